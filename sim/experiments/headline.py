"""A paired comparison in words: the sentence a strategist reads first, made from the numbers.

A table of differences answers every question; a strategist asks two first — does the policy
keep customers, and does it pay? — so the headline states the change in annual churn and in
profit per year, each with its 95 % confidence interval, and says so when the interval
includes no change. The page and the report print the same sentence.
"""

from __future__ import annotations

import math
from typing import Any

from sim.outputs.summary import SHARE_OUTCOMES, is_defined

#: the outcomes the headline speaks of, in the order it names them
HEADLINE_METRICS = ("annual_churn_rate", "nps", "profit_per_year")

#: how each outcome is called in a sentence
SPOKEN = {
    "annual_churn_rate": "annual churn",
    "nps": "NPS",
    "profit_per_year": "profit",
    "mean_satisfaction": "satisfaction",
    "net_revenue_retention": "net revenue retention",
}


def money(x: float, sign: bool = True) -> str:
    """Euros a reader takes in at a glance: ``+€0.4 M``, ``−€35 k``, ``€900``."""
    size = abs(x)
    head = ("+" if x > 0 else "−" if x < 0 else "") if sign else ("−" if x < 0 else "")
    if size >= 1e6:
        return f"{head}€{size / 1e6:.{_decimals(size / 1e6)}f} M"
    if size >= 1e3:
        return f"{head}€{size / 1e3:.0f} k"
    return f"{head}€{size:.0f}"


def _decimals(x: float) -> int:
    return 1 if x < 100 else 0


def _points(x: float) -> str:
    """A magnitude in (percentage) points with one decimal, two below 0.1."""
    return f"{x:.2f}" if 0 < abs(x) < 0.095 else f"{x:.1f}"


def effect_phrase(metric: str, d: dict[str, Any]) -> str:
    """One outcome's paired difference as words, e.g. ``annual churn is 1.8 points lower, 95 % CI 0.9 to 2.7``.

    Shares are in percentage points, money in euros a year, NPS in points. An interval that
    includes zero is said to be indistinguishable from no change.
    """
    name = SPOKEN.get(metric, metric.replace("_", " "))
    if not is_defined(d.get("mean")):
        return f"{name} is undefined in these runs"
    mean, low, high = float(d["mean"]), float(d.get("low", math.nan)), float(d.get("high", math.nan))
    bounded = is_defined(low) and is_defined(high)
    if metric == "profit_per_year":
        ci = f", 95 % CI {money(low)} to {money(high)}" if bounded else ""
        return f"{name} {money(mean)} a year{ci}{_noise(low, high)}"
    scale = 100.0 if metric in SHARE_OUTCOMES else 1.0
    m, lo, hi = scale * mean, scale * low, scale * high
    if m == 0:
        return f"{name} is unchanged{f', 95 % CI {_points(lo)} to {_points(hi)}' if bounded else ''}"
    direction = "higher" if m > 0 else "lower"
    if not bounded:
        return f"{name} is {_points(abs(m))} points {direction} (no interval: too few replications)"
    if lo > 0 or hi < 0:  # the whole interval on one side: say it in magnitudes, as the mean
        a, b = sorted((abs(lo), abs(hi)))
        return f"{name} is {_points(abs(m))} points {direction}, 95 % CI {_points(a)} to {_points(b)}"
    return (
        f"{name} is {_points(abs(m))} points {direction}, 95 % CI {_points(abs(lo))} lower to "
        f"{_points(abs(hi))} higher{_noise(lo, hi)}"
    )


def _noise(low: float, high: float) -> str:
    """A warning when the interval includes no change."""
    return " (not distinguishable from no change)" if is_defined(low) and is_defined(high) and low <= 0 <= high else ""


def headline(result: dict[str, Any], policy: str, label: str | None = None) -> str:
    """The comparison's answer for ``policy`` against the reference in one sentence.

    ``result`` is what :func:`sim.experiments.compare.analyse` returns (with the headline
    metrics among its metrics); ``label`` is how the policy is named (``"the transfer
    meeting"``), its case name by default.
    """
    diffs = result["differences"][policy]
    parts = [effect_phrase(m, diffs[m]) for m in HEADLINE_METRICS if m in diffs]
    reps = result.get("replications")
    tail = f" ({reps} paired replications)" if reps else ""
    if not parts:
        return f"With {label or policy}: no headline outcome was compared{tail}."
    return f"With {label or policy}, " + "; ".join(parts) + f"{tail}."
