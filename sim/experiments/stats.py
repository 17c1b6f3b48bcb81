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


def t_quantile(n: np.ndarray | int, level: float = 0.95) -> np.ndarray:
    """The two-sided Student-t quantile for ``n`` replications (NaN below two): the one factor
    every interval in the tables and figures uses, so a band and its table cell agree."""
    df = np.asarray(n, dtype=float) - 1
    with np.errstate(invalid="ignore"):
        return np.where(df >= 1, stats.t.ppf(0.5 + level / 2, np.maximum(df, 1)), np.nan)


@dataclass(frozen=True)
class Band:
    """Means with their t intervals, one per row of a replications matrix (what a figure draws)."""

    mean: np.ndarray
    low: np.ndarray
    high: np.ndarray
    n: np.ndarray

    @property
    def half_width(self) -> np.ndarray:
        return (self.high - self.low) / 2.0


def mean_intervals(values: np.ndarray, level: float = 0.95) -> Band:
    """Row-wise mean of independent replications (columns) with the t interval of :func:`mean_interval`.

    NaNs are dropped per row. Rows with fewer than two finite values have no interval (NaN
    bounds, so nothing is drawn) rather than the infinite one a table reports.
    """
    x = np.atleast_2d(np.asarray(values, dtype=float))
    finite = np.isfinite(x)
    n = finite.sum(axis=1)
    filled = np.where(finite, x, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(n > 0, filled.sum(axis=1) / np.maximum(n, 1), np.nan)
        dev = np.where(finite, x - mean[:, None], 0.0)
        sd = np.sqrt((dev**2).sum(axis=1) / (n - 1))
        half = t_quantile(n, level) * sd / np.sqrt(n)
    return Band(mean, mean - half, mean + half, n)


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
