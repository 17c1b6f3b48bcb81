"""Run-level outcomes from a finished model: the numbers a researcher or strategist reads first.

Rates are over the measured window (after the warm-up) and annualised (52 weeks a year).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from sim.model.kpis import COST_COMPONENTS
from sim.vocabulary import CHANNEL_KEYS, UNITS, WEEKS_PER_YEAR

if TYPE_CHECKING:
    from sim.model.cxmodel import CXModel

#: scalar outcomes of a run, with their meaning (the batch engine keeps these as columns)
OUTCOMES: dict[str, str] = {
    "annual_churn_rate": "accounts lost at renewal per year / mean customer accounts",
    "revenue_churn_rate": "contract value lost at renewal per year / mean recurring revenue",
    "net_revenue_retention": "annualised recurring revenue of the post-warm-up cohort, end / start",
    "nps": "census NPS of customers (-100..100), mean over the measured window",
    "nps_final": "census NPS at the last step",
    "nps_surveyed": "NPS of the surveyed answers in the measured window",
    "mean_satisfaction": "mean customer satisfaction (0..1) over the measured window",
    "mean_engagement": "mean employee engagement (0..1) over the measured window",
    "mean_info_age_weeks": "age of the oldest fact the server lacks at a touchpoint, 0 if none (weeks)",
    "stale_share": "share of touchpoints where the server lacked one of the customer's latest facts",
    "handoff_info_loss": "share of the requirements sales agreed that were lost at the handoff to delivery",
    "overpromise_share": "share of the requirements sales agreed that were over-promised",
    "delivery_failure_rate": "service failures per delivery touchpoint",
    "rework_share": "share of delivery failures caused by missing requirements (rework)",
    "recovery_rate": "share of service failures recovered on the spot",
    "failure_rate": "service failures per touchpoint",
    "employee_turnover_rate": "quits per year / mean headcount",
    "customer_lifetime_years": "1 / annual churn rate (undefined without churn)",
    "wins_per_year": "new customers won per year",
    "customers_final": "customer accounts at the last step",
    "recurring_revenue_final": "annual recurring revenue at the last step (EUR)",
    "adoption_share_final": "customers / the segments' market potential at the last step",
    "min_service_standard": "lowest service standard of any unit in the measured window (share of the time required)",
    "revenue_per_year": "contract revenue recognised per year (EUR; a contract's annual value over 52 weeks)",
    "costs_per_year": "running plus one-off costs per year (EUR)",
    "running_costs_per_year": "salaries, meetings, handoff work, surveys, incentives, goodwill, the shared record "
    "per year (EUR)",
    "one_off_costs_per_year": "hiring, licence training and the attitude premium per year (EUR)",
    "profit_per_year": "revenue minus costs per year (EUR)",
    "discounted_profit": "profit of the measured window discounted weekly at `costs.discount_rate` (EUR)",
    "customer_lifetime_value": "annual margin per customer x r / (1 + i - r), r = 1 - annual churn (EUR)",
}


#: the touchpoint columns of the delivery stage's channels
DELIVERY_TOUCHPOINTS = [f"touchpoints.{c}" for c in CHANNEL_KEYS if c.startswith("delivery.")]

#: outcomes that are shares: shown as percentages, their differences in percentage points
SHARE_OUTCOMES = frozenset(
    [k for k in OUTCOMES if k.endswith("_rate")]
    + ["net_revenue_retention", "stale_share", "handoff_info_loss", "overpromise_share", "rework_share"]
    + ["adoption_share_final"]
)


def display_scale(outcome: str) -> tuple[float, str]:
    """How an outcome is shown to a reader: (factor, unit of a level); differences of shares are in pp."""
    return (100.0, "%") if outcome in SHARE_OUTCOMES else (1.0, "")


#: how an undefined outcome (None in a summary, NaN in a table) is shown everywhere
UNDEFINED = "n/a"


def is_defined(value: object) -> bool:
    """A finite number that can be shown; None and NaN are undefined outcomes, never a made-up 0."""
    try:
        return value is not None and bool(np.isfinite(float(value)))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False


def summarise(model: CXModel) -> dict[str, Any]:
    """The run's scalar outcomes, the cost breakdown and the detractors' why-table (a list of records).

    An outcome with nothing to measure — churn without customers, a recovery rate without
    failures, a surveyed NPS without answers — is None (undefined), never a made-up 0.
    """
    df = model.timeseries(fill=False)
    w = df[df["step"] > model.config.warmup]
    years = len(w) / WEEKS_PER_YEAR
    customers = w["customers"].mean()
    headcount = (w["headcount.sales"] + w["headcount.delivery"] + w["headcount.support"]).mean()
    touchpoints = w["touchpoints"].sum()
    failures = w["failures"].sum()
    churn = _ratio(w["churned"].sum(), customers * years)
    nrr = model.revenue_retention()
    out: dict[str, Any] = {
        "annual_churn_rate": churn,
        "revenue_churn_rate": _ratio(w["churned_revenue"].sum(), w["recurring_revenue"].mean() * years),
        "net_revenue_retention": float(nrr ** (1.0 / years)) if np.isfinite(nrr) else float("nan"),
        "nps": _mean(w["nps"]),
        "nps_final": float(df["nps"].iloc[-1]),
        "nps_surveyed": 100.0 * _ratio(w["promoters"].sum() - w["detractors"].sum(), w["responses"].sum()),
        "mean_satisfaction": _mean(w["satisfaction"]),
        "mean_engagement": _mean(w["engagement"]),
        "mean_info_age_weeks": _ratio(np.nansum(w["info_age_weeks"] * w["touchpoints"]), touchpoints),
        "stale_share": _ratio(np.nansum(w["stale_share"] * w["touchpoints"]), touchpoints),
        "handoff_info_loss": _ratio(w["requirements_lost"].sum(), w["requirements"].sum()),
        "overpromise_share": _ratio(w["requirements_overpromised"].sum(), w["requirements"].sum()),
        "delivery_failure_rate": _ratio(w["delivery_failures"].sum(), w[DELIVERY_TOUCHPOINTS].to_numpy().sum()),
        "rework_share": _ratio(w["rework_failures"].sum(), w["delivery_failures"].sum()),
        "recovery_rate": _ratio(w["recovered"].sum(), failures),
        "failure_rate": _ratio(failures, touchpoints),
        "employee_turnover_rate": _ratio(w["quits"].sum(), headcount * years),
        "customer_lifetime_years": 1.0 / churn if churn > 0 else float("nan"),
        "wins_per_year": _ratio(w["wins"].sum(), years),
        "customers_final": float(df["customers"].iloc[-1]),
        "recurring_revenue_final": float(df["recurring_revenue"].iloc[-1]),
        "adoption_share_final": float(df["adoption_share"].iloc[-1]),
        "min_service_standard": _min(w[[f"service_standard.{u}" for u in UNITS]]),
        **_value(w, years, customers, churn, model.config.parameters.costs.discount_rate, model.config.warmup),
    }
    out = {k: round(float(v), 6) if np.isfinite(v) else None for k, v in out.items()}
    out["cost_breakdown"] = {c: round(_ratio(w[f"cost.{c}"].sum(), years), 6) for c in COST_COMPONENTS}
    out["detractor_why"] = model.why_table().to_dict(orient="records")
    return out


def _value(w: pd.DataFrame, years: float, customers: float, churn: float, rate: float, warmup: int) -> dict[str, float]:
    """Revenue, costs and profit per year, discounted profit and customer lifetime value.

    Discounted profit: sum over the measured weeks of profit / (1 + rate) ** ((step - warmup) / 52),
    each week's profit counted at its end. Customer lifetime value (Gupta, Lehmann & Stuart 2004,
    constant margin and retention, infinite horizon): m * r / (1 + rate - r), with m the annual
    margin per customer (mean annual contract value x profit / revenue) and r = 1 - annual churn.
    """
    revenue, costs, profit = w["revenue"].sum(), w["costs"].sum(), w["profit"].sum()
    weeks = (w["step"].to_numpy() - warmup) / WEEKS_PER_YEAR
    discounted = float((w["profit"].to_numpy() / (1.0 + rate) ** weeks).sum())
    margin = _ratio(profit, revenue) * _ratio(w["recurring_revenue"].mean(), customers)
    retention = 1.0 - churn if np.isfinite(churn) else float("nan")
    clv = margin * retention / (1.0 + rate - retention) if 1.0 + rate - retention > 0 else float("nan")
    return {
        "revenue_per_year": _ratio(revenue, years),
        "costs_per_year": _ratio(costs, years),
        "running_costs_per_year": _ratio(w["costs_running"].sum(), years),
        "one_off_costs_per_year": _ratio(w["costs_one_off"].sum(), years),
        "profit_per_year": _ratio(profit, years),
        "discounted_profit": discounted if len(w) else float("nan"),
        "customer_lifetime_value": clv,
    }


def _ratio(num: float, den: float) -> float:
    """num / den, NaN (undefined) when there is nothing to divide by."""
    return float(num) / float(den) if den else float("nan")


def _min(values: pd.DataFrame) -> float:
    """Lowest value over the weeks; NaN when there is none."""
    return float(np.nanmin(values.to_numpy())) if values.size and values.notna().any().any() else float("nan")


def _mean(values: pd.Series) -> float:
    """Mean over the weeks where the KPI is defined; NaN when it never is."""
    return float(values.mean()) if values.notna().any() else float("nan")
