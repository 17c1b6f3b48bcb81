"""Figures of a single run (PNG, publication style): KPIs, satisfaction by stage, engagement by
unit, information age, and the detractors' why.

Also the conventions every cxsim figure shares, so that run, batch and comparison figures read
alike: the style and colour-blind-safe palette, how each quantity is shown (:func:`quantity`:
display unit and natural range), honest value axes (:func:`fit_axis`: a bounded quantity is
shown over its whole range, or the axis label says it is zoomed), and legends placed outside
the data (:func:`legend_outside`).
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.artist import Artist
from matplotlib.patches import Patch

from sim.outputs.summary import SHARE_OUTCOMES, display_scale
from sim.vocabulary import STAGES, UNITS

if TYPE_CHECKING:
    from sim.scenario.schema import Scenario

STYLE = {
    "figure.dpi": 150,
    "savefig.dpi": 200,
    "font.size": 9,
    "axes.titlesize": 9.5,
    "axes.labelsize": 9,
    "xtick.labelsize": 8,
    "ytick.labelsize": 8,
    "legend.fontsize": 8,
    "figure.titlesize": 10.5,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "legend.frameon": False,
    "lines.linewidth": 1.4,
}
PALETTE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9"]  # Okabe-Ito
WARMUP_COLOR = "0.9"

#: a bounded quantity whose values span at least this share of its natural range is shown over all of it
FULL_RANGE_SHARE = 0.25
#: a zoomed axis still spans at least this share of the natural range, so that noise is not magnified
MIN_ZOOM_SHARE = 0.10


@dataclass(frozen=True)
class Quantity:
    """How a quantity is shown: a label, the unit of a level, the factor from stored to shown
    values, its natural range in shown units (None if unbounded) and the unit of a difference."""

    label: str
    unit: str = ""
    scale: float = 1.0
    bounds: tuple[float, float] | None = None
    diff_unit: str = ""

    def unit_text(self, zoomed: bool = False, what: str = "axis") -> str:
        """The unit as an axis states it; a zoomed axis says so, so it never claims a range it hides."""
        return f"{self.unit}, {what} zoomed" if zoomed else self.unit

    def axis_label(self, zoomed: bool = False, what: str = "axis") -> str:
        """Label and unit, e.g. ``mean satisfaction (0–1, axis zoomed)``."""
        unit = self.unit_text(zoomed, what)
        return f"{self.label} ({unit})" if unit else self.label

    def diff_label(self) -> str:
        """Axis label of a difference, in the unit the comparison table uses (pp for shares)."""
        return f"difference ({self.diff_unit})" if self.diff_unit else "difference"


_SATISFACTION = {"unit": "0–1", "bounds": (0.0, 1.0), "diff_unit": "0–1 scale"}
_NPS = {"unit": "−100 to 100", "bounds": (-100.0, 100.0), "diff_unit": "NPS points"}
_QUANTITIES: dict[str, Quantity] = {
    "satisfaction": Quantity("satisfaction", **_SATISFACTION),
    "mean_satisfaction": Quantity("mean satisfaction", **_SATISFACTION),
    "engagement": Quantity("engagement", **_SATISFACTION),
    "mean_engagement": Quantity("mean engagement", **_SATISFACTION),
    "nps": Quantity("NPS (census)", **_NPS),
    "nps_final": Quantity("NPS at the last week", **_NPS),
    "nps_surveyed": Quantity("NPS (surveyed)", **_NPS),
    "annual_churn_rate": Quantity("annual churn", "% of accounts / year", 100.0, None, "pp"),
    "revenue_churn_rate": Quantity("revenue churn", "% of revenue / year", 100.0, None, "pp"),
    "net_revenue_retention": Quantity("net revenue retention", "% / year", 100.0, None, "pp"),
    "employee_turnover_rate": Quantity("employee turnover", "% of headcount / year", 100.0, None, "pp"),
    "stale_share": Quantity("stale information", "% of touchpoints", 100.0, (0.0, 100.0), "pp"),
    "handoff_info_loss": Quantity("requirements lost at handoff", "% of requirements", 100.0, (0.0, 100.0), "pp"),
    "overpromise_share": Quantity("over-promised requirements", "% of requirements", 100.0, (0.0, 100.0), "pp"),
    "delivery_failure_rate": Quantity("delivery failures", "% of delivery touchpoints", 100.0, (0.0, 100.0), "pp"),
    "rework_share": Quantity("rework", "% of delivery failures", 100.0, (0.0, 100.0), "pp"),
    "recovery_rate": Quantity("on-the-spot recovery", "% of failures", 100.0, (0.0, 100.0), "pp"),
    "failure_rate": Quantity("service failures", "% of touchpoints", 100.0, (0.0, 100.0), "pp"),
    "info_age_weeks": Quantity("information age", "weeks", diff_unit="weeks"),
    "mean_info_age_weeks": Quantity("information age at touchpoints", "weeks", diff_unit="weeks"),
    "customer_lifetime_years": Quantity("customer lifetime", "years", diff_unit="years"),
    "wins_per_year": Quantity("new customers won", "accounts / year", diff_unit="accounts / year"),
    "customers": Quantity("customer accounts", "accounts", diff_unit="accounts"),
    "customers_final": Quantity("customer accounts at the end", "accounts", diff_unit="accounts"),
    "churned_total": Quantity("churned accounts, cumulative", "accounts", diff_unit="accounts"),
    "adoption_share": Quantity("share of the market won", "% of market potential", 100.0, (0.0, 100.0), "pp"),
    "adoption_share_final": Quantity(
        "share of the market won at the end", "% of market potential", 100.0, (0.0, 100.0), "pp"
    ),
    "service_standard": Quantity("service standard", "share of the time required", bounds=(0.0, 1.0)),
    "min_service_standard": Quantity("lowest service standard", "share of the time required", bounds=(0.0, 1.0)),
    "recurring_revenue": Quantity("recurring revenue", "EUR million / year", 1e-6, None, "EUR million / year"),
    "recurring_revenue_final": Quantity(
        "recurring revenue at the end", "EUR million / year", 1e-6, None, "EUR million / year"
    ),
}


def quantity(name: str) -> Quantity:
    """How an outcome or KPI column is shown; group columns (``satisfaction.delivery``) as their KPI."""
    if name in _QUANTITIES:
        return _QUANTITIES[name]
    base = name.split(".")[0]
    if base in _QUANTITIES:
        return _QUANTITIES[base]
    scale, unit = display_scale(name)
    return Quantity(name.replace("_", " "), unit, scale, None, "pp" if name in SHARE_OUTCOMES else "")


def axis_limits(q: Quantity, values: Iterable[Any]) -> tuple[tuple[float, float] | None, bool]:
    """The value range to show for ``values`` (shown units) and whether it is zoomed.

    A bounded quantity is shown over its natural range when its values fill a fair part of it
    (:data:`FULL_RANGE_SHARE`); otherwise the range is zoomed, to at least :data:`MIN_ZOOM_SHARE`
    of the natural range so that noise is not magnified. Values outside the natural range are
    never cut off. An unbounded quantity gets None: matplotlib's own limits, with no claim.
    """
    v = np.asarray(values if isinstance(values, np.ndarray) else list(values), dtype=float).ravel()
    v = v[np.isfinite(v)]
    if q.bounds is None:
        return None, False
    lo, hi = q.bounds
    full = hi - lo
    if not v.size or v.max() - v.min() >= FULL_RANGE_SHARE * full:
        return (min(lo, v.min()) if v.size else lo, max(hi, v.max()) if v.size else hi), False
    width = max(v.max() - v.min(), MIN_ZOOM_SHARE * full) * 1.15
    centre = (v.max() + v.min()) / 2
    a, b = centre - width / 2, centre + width / 2
    if a < lo:
        a, b = lo, lo + width
    elif b > hi:
        a, b = hi - width, hi
    return (min(a, v.min()), max(b, v.max())), True


def fit_axis(ax: plt.Axes, q: Quantity, values: Iterable[Any], axis: str = "y", label: str = "unit") -> bool:
    """Set an honest value axis for ``values`` (shown units) and its label; True if zoomed.

    Limits as :func:`axis_limits`; a zoomed axis says "axis zoomed" in its label, so no label
    claims a range the axis does not show. ``label``: "unit" (the unit only, for a panel titled
    with the quantity), "full" (quantity and unit) or "none".
    """
    limits, zoomed = axis_limits(q, values)
    if limits is not None:
        (ax.set_ylim if axis == "y" else ax.set_xlim)(*limits)
    text = {"unit": q.unit_text(zoomed), "full": q.axis_label(zoomed), "none": None}[label]
    if text is not None:
        (ax.set_ylabel if axis == "y" else ax.set_xlabel)(text)
    return zoomed


def legend_outside(
    fig: plt.Figure, handles: Sequence[Artist], labels: Sequence[str], where: str = "below", ncols: int | None = None
) -> None:
    """A figure legend beside or below every axes, never on the data (needs constrained layout)."""
    if not handles:
        return
    if where == "right":
        fig.legend(handles, labels, loc="outside right upper")
    else:
        fig.legend(handles, labels, loc="outside lower center", ncols=ncols or min(len(labels), 4))


def suptitle(fig: plt.Figure, title: str, note: str = "") -> None:
    """A figure title with an optional note, wrapped to the figure's width so it never widens it."""
    width = max(40, int(fig.get_figwidth() * 13))
    lines = [textwrap.fill(title, width)] + ([textwrap.fill(note, int(width * 1.1))] if note else [])
    fig.suptitle("\n".join(lines))


def new_figure(nrows: int = 1, ncols: int = 1, **kwargs: Any) -> tuple[plt.Figure, np.ndarray]:
    """A figure in the shared style with constrained layout (room for outside legends); axes as a 2-D array."""
    with plt.rc_context(STYLE):
        return plt.subplots(nrows, ncols, squeeze=False, layout="constrained", **kwargs)


def run_figures(df: pd.DataFrame, summary: dict[str, Any], scenario: Scenario, out: Path) -> list[Path]:
    """Write the five run figures into ``out`` and return their paths."""
    return [save_figure(fig, out / f"{name}.png") for name, fig in run_figure_set(df, summary, scenario).items()]


def run_figure_set(df: pd.DataFrame, summary: dict[str, Any], scenario: Scenario) -> dict[str, plt.Figure]:
    """The run figures as matplotlib Figures, by file stem (unsaved: for inspection and saving)."""
    with plt.rc_context(STYLE):
        return {
            "kpis": kpi_figure(df, scenario),
            "satisfaction_by_stage": group_figure(
                df, "satisfaction", STAGES, "satisfaction by journey stage", scenario
            ),
            "engagement_by_unit": group_figure(df, "engagement", UNITS, "engagement by unit", scenario),
            "information_age": info_age_figure(df, scenario),
            "detractor_causes": why_figure(summary, scenario),
        }


def _warmup(ax: plt.Axes, scenario: Scenario) -> None:
    if scenario.warmup:
        ax.axvspan(0, scenario.warmup, color=WARMUP_COLOR, zorder=0, lw=0)


def _warmup_handle(scenario: Scenario) -> list[tuple[Artist, str]]:
    if not scenario.warmup:
        return []
    return [(Patch(color=WARMUP_COLOR), f"warm-up (weeks 1–{scenario.warmup}, not in the KPIs)")]


def kpi_figure(df: pd.DataFrame, scenario: Scenario) -> plt.Figure:
    """Six headline KPIs over time, each on an honest axis; NPS census against surveyed."""
    panels = ["satisfaction", "nps", "customers", "churned_total", "engagement", "recurring_revenue"]
    titles = {"satisfaction": "mean satisfaction", "engagement": "mean engagement", "nps": "NPS"}
    fig, axes = new_figure(2, 3, figsize=(7.2, 4.6), sharex=True)
    extra: list[tuple[Artist, str]] = []
    for ax, col in zip(axes.flat, panels, strict=True):
        q = quantity(col)
        y = q.scale * df[col]
        (line,) = ax.plot(df["step"], y, color=PALETTE[0])
        shown = [y]
        if col == "nps":
            surveyed = surveyed_nps(df, scenario)
            (survey,) = ax.plot(df["step"], surveyed, color=PALETTE[1], lw=1.1)
            shown.append(surveyed)
            window = scenario.parameters.measurement.nps_window_weeks
            answered = f"{window}-week window" if surveyed.notna().any() else "no survey answers"
            extra = [(line, "NPS census (all customers)"), (survey, f"NPS surveyed ({answered})")]
        _warmup(ax, scenario)
        ax.set_title(titles.get(col, q.label))
        fit_axis(ax, q, np.concatenate([np.asarray(s, dtype=float) for s in shown]))
    for ax in axes[-1]:
        ax.set_xlabel("week")
    handles = extra + _warmup_handle(scenario)
    legend_outside(fig, [h for h, _ in handles], [t for _, t in handles], ncols=len(handles))
    suptitle(fig, f"{scenario.name}: key indicators")
    return fig


def surveyed_nps(df: pd.DataFrame, scenario: Scenario) -> pd.Series:
    """The surveyed NPS only where its window holds survey answers (the record carries the
    census value there, which a line labelled "surveyed" must not show)."""
    window = scenario.parameters.measurement.nps_window_weeks
    answered = df["responses"].rolling(window, min_periods=1).sum() > 0
    return df["nps_surveyed"].where(answered)


def group_figure(df: pd.DataFrame, prefix: str, groups: Sequence[str], title: str, scenario: Scenario) -> plt.Figure:
    """One KPI per group (stage or unit) over time, the legend to the right of the axes."""
    q = quantity(prefix)
    fig, axes = new_figure(figsize=(7.2, 3.4))
    ax = axes[0, 0]
    handles = []
    for i, g in enumerate(groups):
        (line,) = ax.plot(df["step"], q.scale * df[f"{prefix}.{g}"], color=PALETTE[i], label=g.replace("_", " "))
        handles.append(line)
    _warmup(ax, scenario)
    fit_axis(ax, q, q.scale * df[[f"{prefix}.{g}" for g in groups]].to_numpy(), label="full")
    ax.set_xlabel("week")
    ax.set_title(f"{scenario.name}: {title}")
    pairs = [(h, h.get_label()) for h in handles] + _warmup_handle(scenario)
    legend_outside(fig, [h for h, _ in pairs], [t for _, t in pairs], where="right")
    return fig


def info_age_figure(df: pd.DataFrame, scenario: Scenario) -> plt.Figure:
    """How old the server's picture of the customer is, per unit, and how often it missed news."""
    fig, axes = new_figure(1, 2, figsize=(7.2, 3.2))
    a1, a2 = axes[0]
    roll = 4
    handles = []
    for i, u in enumerate(UNITS):
        (line,) = a1.plot(df["step"], df[f"info_age_weeks.{u}"].rolling(roll, min_periods=1).mean(), color=PALETTE[i])
        handles.append((line, u))
    a1.set_title("age of the server's picture of the customer")
    a1.set_ylabel("weeks")
    a1.set_ylim(bottom=0)
    stale = quantity("stale_share")
    y = stale.scale * df["stale_share"].rolling(roll, min_periods=1).mean()
    a2.plot(df["step"], y, color=PALETTE[4])
    a2.set_title("touchpoints where the server lacked the latest news")
    fit_axis(a2, stale, y)
    for ax in (a1, a2):
        _warmup(ax, scenario)
        ax.set_xlabel("week")
    handles += _warmup_handle(scenario)
    legend_outside(fig, [h for h, _ in handles], [t for _, t in handles], ncols=len(handles))
    suptitle(fig, f"{scenario.name}: speed of customer information inside the company (4-week moving means)")
    return fig


def why_figure(summary: dict[str, Any], scenario: Scenario) -> plt.Figure:
    """The detractors' worst recent touchpoints by stage, channel and cause (top 12)."""
    rows = pd.DataFrame(summary.get("detractor_why", []))
    fig, axes = new_figure(figsize=(7.2, 3.8))
    ax = axes[0, 0]
    if rows.empty:
        empty = (
            "detractors were not asked why (policies.ask_why: false)"
            if not scenario.policies.ask_why
            else "no surveyed detractors in the measured window"
        )
        ax.text(0.5, 0.5, empty, ha="center", va="center")
        ax.set_axis_off()
    else:
        top = rows.head(12).iloc[::-1]
        labels = [f"{r.stage} · {r.channel} · {r.cause}".replace("_", " ") for r in top.itertuples()]
        ax.barh(labels, 100 * top["share"], color=PALETTE[0])
        ax.set_xlabel("% of detractors' worst recent touchpoints")
        ax.set_xlim(left=0)
        ax.grid(axis="y", visible=False)
    suptitle(fig, f"{scenario.name}: why detractors are detractors (stage · channel · cause)")
    return fig


def save_figure(fig: plt.Figure, path: Path) -> Path:
    """Lay out, write and close a figure (tight bounding box: outside legends are kept whole)."""
    with plt.rc_context(STYLE):
        if fig.get_layout_engine() is None:
            fig.tight_layout()
        fig.savefig(path, bbox_inches="tight", pad_inches=0.04)
    plt.close(fig)
    return path
