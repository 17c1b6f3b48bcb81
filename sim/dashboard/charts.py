"""The live page's charts as Vega-Lite specifications drawn from a run's KPI record so far.

The browser draws them (Vega, shipped with the page's assets), so a step costs the server a few
milliseconds of dictionaries rather than a matplotlib render per chart. Each function takes the
model's time series (one row per week, :meth:`CXModel.timeseries`) and returns a plain dict;
nothing here knows Solara, so a notebook or a test can call them as they are. The warm-up weeks,
which no KPI counts, are shaded.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from sim.vocabulary import STAGES, UNITS, WEEKS_PER_YEAR

#: a chart's drawing height on the page (pixels); its width follows its card
HEIGHT = 170
#: weeks over which churn is annualised: a quarter smooths the weekly count of renewals
CHURN_WINDOW = 13
#: the journey's stages as the funnel names them, with the store's count columns
FUNNEL = (
    ("prospects", "prospects"),
    ("in purchase", "purchase"),
    ("in delivery", "delivery"),
    ("in maintenance", "maintenance"),
    ("churned", "churned_total"),
    ("lost deals", "lost_total"),
)
SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json"


def _value(x: Any) -> float | None:
    """A number Vega can draw: NaN and infinities become gaps (null)."""
    x = float(x)
    return x if math.isfinite(x) else None


def long_table(ts: pd.DataFrame, columns: dict[str, str], scale: float = 1.0) -> list[dict[str, Any]]:
    """``columns`` (label -> column) of the time series as rows of week, series and value."""
    weeks = ts["step"].to_numpy()
    rows: list[dict[str, Any]] = []
    for label, col in columns.items():
        values = ts[col].to_numpy(dtype=float) * scale
        rows += [{"week": int(w), "series": label, "value": _value(v)} for w, v in zip(weeks, values, strict=True)]
    return rows


def _warmup_layer(ts: pd.DataFrame, warmup: int) -> list[dict[str, Any]]:
    """A grey band over the warm-up weeks the run has passed through."""
    if warmup <= 0 or not len(ts):
        return []
    end = min(warmup, int(ts["step"].iloc[-1])) + 0.5
    return [
        {
            "data": {"values": [{"from": 0.5, "to": end}]},
            "mark": {"type": "rect", "color": "#eeeeee"},
            "encoding": {"x": {"field": "from", "type": "quantitative"}, "x2": {"field": "to"}},
        }
    ]


def line_chart(
    title: str,
    rows: list[dict[str, Any]],
    ts: pd.DataFrame,
    warmup: int,
    y_title: str,
    domain: tuple[float, float] | None = None,
    zero_line: bool = False,
    horizon: int | None = None,
) -> dict[str, Any]:
    """A line per series over the weeks (the run's whole horizon, so a step draws on), the warm-up shaded."""
    y: dict[str, Any] = {"field": "value", "type": "quantitative", "title": y_title}
    x: dict[str, Any] = {"field": "week", "type": "quantitative", "title": "week"}
    if horizon:
        x["scale"] = {"domain": [0, horizon]}
    series = list(dict.fromkeys(r["series"] for r in rows))
    if domain is not None:
        y["scale"] = {"domain": list(domain)}
    layers: list[dict[str, Any]] = _warmup_layer(ts, warmup)
    if zero_line:
        layers.append(
            {
                "data": {"values": [{"zero": 0}]},
                "mark": {"type": "rule", "color": "#999999"},
                "encoding": {"y": {"field": "zero", "type": "quantitative"}},
            }
        )
    layers.append(
        {
            "data": {"values": rows},
            "mark": {"type": "line", "strokeWidth": 1.6},
            "encoding": {
                "x": x,
                "y": y,
                "color": {
                    "field": "series",
                    "type": "nominal",
                    "title": None,
                    "sort": series,
                    "legend": {"orient": "bottom"},
                },
            },
        }
    )
    return frame(title, {"layer": layers})


def frame(title: str, body: dict[str, Any]) -> dict[str, Any]:
    """The common wrapping of a chart: title, size, no action menu (it would offer links off the page)."""
    return {
        "$schema": SCHEMA,
        "title": {"text": title, "anchor": "start", "fontSize": 13},
        "width": "container",
        "height": HEIGHT,
        "usermeta": {"embedOptions": {"actions": False}},
        **body,
    }


def satisfaction_by_stage(ts: pd.DataFrame, warmup: int, horizon: int | None = None) -> dict[str, Any]:
    """Mean satisfaction of the accounts in each journey stage (0..1)."""
    rows = long_table(ts, {s.replace("_", "-"): f"satisfaction.{s}" for s in STAGES})
    return line_chart(
        "Customer satisfaction by journey stage", rows, ts, warmup, "satisfaction (0-1)", (0, 1), horizon=horizon
    )


def nps(ts: pd.DataFrame, warmup: int, horizon: int | None = None) -> dict[str, Any]:
    """NPS of all customers (census) and of the survey answers (what management sees)."""
    rows = long_table(ts, {"all customers": "nps", "surveyed": "nps_surveyed"})
    return line_chart("Net Promoter Score", rows, ts, warmup, "NPS", (-100, 100), zero_line=True, horizon=horizon)


def annualised_churn(ts: pd.DataFrame) -> pd.Series:
    """Accounts lost per year / customers, over the last :data:`CHURN_WINDOW` weeks (%)."""
    lost = ts["churned"].rolling(CHURN_WINDOW, min_periods=1).sum()
    weeks = ts["churned"].rolling(CHURN_WINDOW, min_periods=1).count()
    customers = ts["customers"].rolling(CHURN_WINDOW, min_periods=1).mean()
    with np.errstate(divide="ignore", invalid="ignore"):
        return 100.0 * lost * (WEEKS_PER_YEAR / weeks) / customers.where(customers > 0)


def churn(ts: pd.DataFrame, warmup: int, horizon: int | None = None) -> dict[str, Any]:
    """Annualised churn over a rolling quarter (%)."""
    frame_ = pd.DataFrame({"step": ts["step"], "churn": annualised_churn(ts) if len(ts) else []})
    rows = long_table(frame_, {"annual churn rate": "churn"})
    return line_chart(
        f"Churn, annualised over {CHURN_WINDOW} weeks (%)", rows, ts, warmup, "% of customers a year", horizon=horizon
    )


def engagement_by_unit(ts: pd.DataFrame, warmup: int, horizon: int | None = None) -> dict[str, Any]:
    """Mean engagement of each unit's people (0..1)."""
    rows = long_table(ts, {u: f"engagement.{u}" for u in UNITS})
    return line_chart("Employee engagement by unit", rows, ts, warmup, "engagement (0-1)", (0, 1), horizon=horizon)


def information_age(ts: pd.DataFrame, warmup: int, horizon: int | None = None) -> dict[str, Any]:
    """How old the fact a server lacked at a touchpoint was, by the unit serving (weeks)."""
    rows = long_table(ts, {u: f"info_age_weeks.{u}" for u in UNITS})
    return line_chart("Information age at touchpoints", rows, ts, warmup, "weeks", horizon=horizon)


def profit(ts: pd.DataFrame, warmup: int, horizon: int | None = None) -> dict[str, Any]:
    """Weekly revenue, costs and profit (EUR thousand)."""
    rows = long_table(ts, {"revenue": "revenue", "costs": "costs", "profit": "profit"}, scale=1e-3)
    return line_chart(
        "Revenue, costs and profit", rows, ts, warmup, "€ thousand a week", zero_line=True, horizon=horizon
    )


def funnel_counts(ts: pd.DataFrame) -> list[tuple[str, int]]:
    """The accounts in each stage of the journey at the newest week (zeros before the first)."""
    last = ts.iloc[-1] if len(ts) else None
    return [(label, 0 if last is None else int(last[col])) for label, col in FUNNEL]


def journey_funnel(ts: pd.DataFrame) -> dict[str, Any]:
    """Accounts by stage of the journey this week, the ones that left at the bottom."""
    order = [label for label, _ in FUNNEL]
    rows = [
        {"stage": label, "accounts": n, "left": label in ("churned", "lost deals")} for label, n in funnel_counts(ts)
    ]
    bars = {
        "mark": {"type": "bar"},
        "encoding": {
            "y": {"field": "stage", "type": "nominal", "sort": order, "title": None},
            "x": {"field": "accounts", "type": "quantitative", "title": "accounts"},
            "color": {
                "field": "left",
                "type": "nominal",
                "scale": {"domain": [False, True], "range": ["#4c78a8", "#e45756"]},
                "legend": None,
            },
        },
    }
    labels = {
        "mark": {"type": "text", "align": "left", "dx": 3},
        "encoding": {
            "y": {"field": "stage", "type": "nominal", "sort": order},
            "x": {"field": "accounts", "type": "quantitative"},
            "text": {"field": "accounts", "type": "quantitative", "format": ","},
        },
    }
    return frame("The journey: accounts by stage this week", {"data": {"values": rows}, "layer": [bars, labels]})
