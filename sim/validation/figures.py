"""One figure per pattern: what the model does (left), and each criterion's estimate against its band (right).

Every criterion panel draws the published band (shaded), every replication's number (grey
dots), and the estimate with its 95 % interval — the same numbers as the report's table, in the
same units. The drawing conventions are the shared ones of :mod:`sim.outputs.figures`.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import matplotlib.pyplot as plt
import numpy as np

from sim.outputs.figures import PALETTE, new_figure, suptitle
from sim.validation.experiments import STYLE_ORDER
from sim.validation.patterns import ABOVE, BELOW

if TYPE_CHECKING:
    from sim.validation.experiments import Design
    from sim.validation.verdicts import CriterionResult, PatternResult

#: colour of the published band and of a criterion that passes / fails
BAND_COLOR, PASS_COLOR, FAIL_COLOR = "#009E73", PALETTE[0], PALETTE[1]
#: how far the grey dots of the replications spread vertically
JITTER = 0.18


def _scale(unit: str) -> float:
    return 100.0 if unit in ("%", "pp") else 1.0


def _unit_label(unit: str) -> str:
    return {"%": "%", "pp": "percentage points"}.get(unit, unit)


def criterion_panel(ax: plt.Axes, result: CriterionResult, values: list[float] | None) -> None:
    """The band (shaded), the replications (dots) and the estimate with its 95 % interval."""
    c, e = result.criterion, result.estimate
    s = _scale(c.unit)
    shown = [v * s for v in (values or []) if v is not None and math.isfinite(v)]
    points = [x * s for x in (e.value, e.low, e.high) if math.isfinite(x)]
    finite_band = [x * s for x in (c.low, c.high) if math.isfinite(x)]
    span = shown + points + finite_band or [0.0, 1.0]
    lo, hi = min(span), max(span)
    pad = 0.08 * (hi - lo or abs(hi) or 1.0)
    lo, hi = lo - pad, hi + pad
    band_lo = c.low * s if math.isfinite(c.low) else lo
    band_hi = c.high * s if math.isfinite(c.high) else hi
    if c.kind == ABOVE:
        band_hi = hi
    if c.kind == BELOW:
        band_lo = lo
    ax.axvspan(band_lo, band_hi, color=BAND_COLOR, alpha=0.15, lw=0)
    for edge in (c.low, c.high):
        if math.isfinite(edge):
            ax.axvline(edge * s, color=BAND_COLOR, lw=1.0)
    if shown:
        jitter = np.random.default_rng(0).uniform(-JITTER, JITTER, len(shown))
        ax.scatter(shown, jitter, s=8, color="0.55", alpha=0.6, lw=0, zorder=2)
    colour = PASS_COLOR if result.passed else FAIL_COLOR
    if math.isfinite(e.value):
        if math.isfinite(e.low) and math.isfinite(e.high):  # drawn apart: a bootstrap interval need not hold the point
            ax.errorbar(
                [(e.low + e.high) / 2 * s],
                [0.0],
                xerr=[(e.high - e.low) / 2 * s],
                fmt="none",
                color=colour,
                capsize=4,
                lw=1.6,
                zorder=3,
            )
        ax.plot([e.value * s], [0.0], "o", color=colour, ms=6, zorder=4)
    ax.set_xlim(lo, hi)
    ax.set_ylim(-0.5, 0.5)
    ax.set_yticks([])
    ax.grid(axis="y", visible=False)
    verdict = "PASS" if result.passed else "FAIL"
    ax.set_title(f"{c.label} — {verdict}", fontsize=8.5, loc="left")
    ax.set_xlabel(_unit_label(c.unit))


def _values(result: PatternResult, key: str) -> list[float]:
    return [r["value"] for r in result.replications if r["criterion"] == key]


def pattern_figure(result: PatternResult, design: Design) -> plt.Figure:
    """The figure of one pattern: a view of the model's behaviour beside its criteria against their bands."""
    draw = _VIEWS.get(result.pattern.key)
    rows = max(1, len(result.criteria))
    fig, axes = new_figure(
        rows, 2 if draw else 1, figsize=(9.0 if draw else 5.5, 1.15 + 1.05 * rows + (1.2 if draw else 0))
    )
    panels = axes[:, -1]
    for ax, cr in zip(panels, result.criteria, strict=True):
        criterion_panel(ax, cr, _values(result, cr.criterion.key))
    if draw:
        gs = axes[0, 0].get_gridspec()
        for ax in axes[:, 0]:
            ax.remove()
        draw(fig.add_subplot(gs[:, 0]), result, design)
    p = result.pattern
    suptitle(fig, f"Pattern {p.number}: {p.title} — {'PASS' if result.passed else 'FAIL'}", p.source)
    return fig


def _team_scatter(ax: plt.Axes, result: PatternResult, xlabel: str) -> None:
    first = result.details.get("first_run") or {}
    if not first:
        ax.text(0.5, 0.5, "no runs", ha="center", va="center")
        return
    units = np.asarray(first["unit"])
    x, y = np.asarray(first["x"], dtype=float), np.asarray(first["y"], dtype=float)
    for i, u in enumerate(dict.fromkeys(units.tolist())):
        at = units == u
        ax.scatter(x[at], y[at], s=12, color=PALETTE[i + 1], label=f"{u} teams", alpha=0.8, lw=0)
    ax.axhline(0, color="0.7", lw=0.8)
    ax.axvline(0, color="0.7", lw=0.8)
    ax.set_xlabel(xlabel + " (centred on the unit's mean)")
    ax.set_ylabel("customers' satisfaction (0–1, centred on the unit's mean)")
    ax.set_title("teams of the large company, first replication", fontsize=8.5, loc="left")
    ax.legend(loc="best")


def _engagement_view(ax: plt.Axes, result: PatternResult, design: Design) -> None:
    _team_scatter(ax, result, "team engagement (0–1)")


def _turnover_view(ax: plt.Axes, result: PatternResult, design: Design) -> None:
    _team_scatter(ax, result, "team turnover (quits / person-year)")


def _leadership_view(ax: plt.Axes, result: PatternResult, design: Design) -> None:
    means = result.details["means"]
    for i, style in enumerate(STYLE_ORDER):
        v = np.asarray(means.get(style, []), dtype=float)
        jitter = np.random.default_rng(i).uniform(-0.15, 0.15, v.size)
        ax.scatter(i + jitter, v, s=8, color=PALETTE[i], alpha=0.6, lw=0)
        if v.size:
            ax.plot([i - 0.3, i + 0.3], [np.nanmean(v)] * 2, color="black", lw=1.5)
    ax.set_xticks(range(len(STYLE_ORDER)), [s.replace("_", "-") for s in STYLE_ORDER])
    ax.set_ylabel("mean engagement of the style's employees (0–1)")
    ax.set_title("each replication's mean by team leader style (bar: mean)", fontsize=8.5, loc="left")


def _retention_view(ax: plt.Axes, result: PatternResult, design: Design) -> None:
    bins = np.asarray(result.details["bins"], dtype=float)
    if bins.size:
        width = bins[1, 0] - bins[0, 0] if len(bins) > 1 else 0.05
        keep = bins[:, 1] >= 20  # a rate from fewer decisions is mostly noise
        rate = np.where(keep, bins[:, 2] / np.maximum(bins[:, 1], 1), np.nan)
        ax.bar(bins[:, 0] + width / 2, 100 * rate, width=width * 0.9, color=PALETTE[0])
    low, high = result.details["thresholds"]
    ax.axvspan(low, high, color=PALETTE[4], alpha=0.15, lw=0, label="satisfied, not top box")
    ax.axvspan(high, 1.0, color=BAND_COLOR, alpha=0.15, lw=0, label="top box")
    ax.set_xlim(0.3, 1.0)
    ax.set_xlabel("satisfaction at the renewal decision (0–1)")
    ax.set_ylabel("churned at renewal (% of decisions)")
    ax.set_title("churn at renewal by satisfaction (all replications pooled)", fontsize=8.5, loc="left")
    ax.legend(loc="upper right")


def _recovery_view(ax: plt.Axes, result: PatternResult, design: Design) -> None:
    change = result.details["change"]
    names = list(change)
    for i, name in enumerate(names):
        e = change[name]
        if e["value"] is None or not math.isfinite(e["value"]):
            continue
        if e["low"] is not None and e["high"] is not None and math.isfinite(e["low"]):
            ax.errorbar(
                [i],
                [(e["low"] + e["high"]) / 2],
                yerr=[(e["high"] - e["low"]) / 2],
                fmt="none",
                color=PALETTE[i],
                capsize=4,
            )
        ax.plot([i], [e["value"]], "o", color=PALETTE[i])
    ax.axhline(0, color="0.6", lw=0.8)
    ax.set_xticks(range(len(names)), [n.replace("_", " ") for n in names])
    ax.set_ylabel("change in satisfaction over 8 weeks (0–1)")
    ax.set_title("after a single failure, by its recovery (mean, 95 % CI)", fontsize=8.5, loc="left")


def _gap_view(ax: plt.Axes, result: PatternResult, design: Design) -> None:
    d = result.details
    weekly = np.asarray(d["weekly"], dtype=float)
    if weekly.size:
        week = np.arange(1, len(weekly) + 1)
        ax.fill_between(week, weekly[:, 1], weekly[:, 2], color=PALETTE[0], alpha=0.25, lw=0, label="95 % CI")
        ax.plot(week, weekly[:, 0], color=PALETTE[0], label="cut − control")
    start, weeks, follow = d["gap_start"], d["gap_weeks"], d["follow_weeks"]
    ax.axvspan(start - 0.5, start + weeks - 0.5, color=PALETTE[1], alpha=0.15, lw=0, label="capacity cut")
    ax.axvspan(
        start + weeks - 0.5,
        start + weeks + follow - 0.5,
        color=BAND_COLOR,
        alpha=0.12,
        lw=0,
        label=f"{follow} weeks after",
    )
    ax.axhline(0, color="0.5", lw=0.8)
    ax.set_xlabel("week")
    ax.set_ylabel("delivery touchpoint quality, cut − control (0–1)")
    ax.set_title("paired difference per week", fontsize=8.5, loc="left")
    ax.legend(loc="lower right")


def _spread_view(ax: plt.Axes, result: PatternResult, design: Design) -> None:
    d = result.details
    model, si = np.asarray(d["model_curve"]), np.asarray(d["si_curve"])
    week = np.arange(1, model.size + 1)
    if model.size:
        ax.plot(week, 100 * model, color=PALETTE[0], label="model's peer rule")
        ax.plot(week, 100 * si, color=PALETTE[1], ls="--", label="plain SI, same graph")
    ax.set_xlabel("weeks after the fact was told")
    ax.set_ylabel("employees holding the fact (% of filled seats)")
    ax.set_ylim(0, 100)
    inset = ax.inset_axes([0.58, 0.12, 0.38, 0.38])
    ages = [e["value"] if e["value"] is not None else math.nan for e in d["info_age"]]
    low = [a - (e["low"] if e["low"] is not None else math.nan) for a, e in zip(ages, d["info_age"], strict=True)]
    high = [(e["high"] if e["high"] is not None else math.nan) - a for a, e in zip(ages, d["info_age"], strict=True)]
    inset.errorbar(d["levels"], ages, yerr=[low, high], fmt="o-", color=PALETTE[2], capsize=3, ms=3)
    inset.set_xlabel("cross-unit ties", fontsize=7)
    inset.set_ylabel("info age (weeks)", fontsize=7)
    inset.tick_params(labelsize=6)
    ax.set_title("docking: mean adoption curves (inset: information age)", fontsize=8.5, loc="left")
    ax.legend(loc="upper left")


def _bass_view(ax: plt.Axes, result: PatternResult, design: Design) -> None:
    d = result.details
    curve = np.asarray(d.get("mean_curve", []))
    if curve.size:
        years = np.arange(1, curve.size + 1) / 52.0
        ax.plot(years, 100 * curve, color=PALETTE[0], label="model, mean adoption share")
        ax.plot(
            years,
            100 * np.asarray(d["bass_f"]),
            color=PALETTE[1],
            ls="--",
            label=f"Bass F(t), p={d['p']:g}, q={d['q']:g}",
        )
    ax.set_xlabel("years")
    ax.set_ylabel("share of the market adopted (%)")
    ax.set_ylim(0, 100)
    ax.set_title("adoption on a complete graph", fontsize=8.5, loc="left")
    ax.legend(loc="lower right")


_VIEWS: dict[str, Any] = {
    "engagement_customers": _engagement_view,
    "leadership_engagement": _leadership_view,
    "satisfaction_retention": _retention_view,
    "service_recovery": _recovery_view,
    "turnover_customers": _turnover_view,
    "capacity_gap": _gap_view,
    "information_spread": _spread_view,
    "bass": _bass_view,
}
