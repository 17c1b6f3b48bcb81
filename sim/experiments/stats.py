"""Confidence intervals for replicated runs (Student t; paired for common random numbers)."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
from scipy import stats


@dataclass(frozen=True)
class Interval:
    """A mean with its two-sided confidence interval."""

    mean: float
    low: float
    high: float
    n: int
    sd: float
    p_value: float | None = None

    @property
    def half_width(self) -> float:
        return (self.high - self.low) / 2.0

    def as_dict(self) -> dict[str, float | int | None]:
        return {**asdict(self), "half_width": self.half_width}


def mean_interval(values: np.ndarray, level: float = 0.95) -> Interval:
    """Mean of independent replications with a t interval (NaNs dropped)."""
    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    n = x.size
    if n == 0:
        return Interval(float("nan"), float("nan"), float("nan"), 0, float("nan"))
    mean = float(x.mean())
    if n == 1:
        return Interval(mean, float("-inf"), float("inf"), 1, float("nan"))
    sd = float(x.std(ddof=1))
    half = float(stats.t.ppf(0.5 + level / 2, n - 1) * sd / np.sqrt(n))
    return Interval(mean, mean - half, mean + half, n, sd)


def paired_difference(treatment: np.ndarray, control: np.ndarray, level: float = 0.95) -> Interval:
    """Mean of ``treatment - control`` over paired replications (same seeds), paired t test.

    Pairing removes the variance the two arms share through common random numbers, so the
    interval is narrower than that of two independent samples of the same size.
    """
    t = np.asarray(treatment, dtype=float)
    c = np.asarray(control, dtype=float)
    ok = np.isfinite(t) & np.isfinite(c)
    d = t[ok] - c[ok]
    base = mean_interval(d, level)
    if base.n < 2 or not np.isfinite(base.sd):
        return base
    if base.sd == 0:
        p = 1.0 if base.mean == 0 else 0.0
    else:
        p = float(2 * stats.t.sf(abs(base.mean) / (base.sd / np.sqrt(base.n)), base.n - 1))
    return Interval(base.mean, base.low, base.high, base.n, base.sd, p)
