"""The statistics behind the validation report: per-replication measurements and their 95 % intervals.

Each pattern is measured once per replication (a run, or a pair of runs with common random
numbers), and the estimate is the mean over replications with a 95 % confidence interval that
reflects replication noise only (Law 2015, ch. 9): a Student-t interval for means and paired
differences, a t interval on Fisher's z for correlations (Fisher 1921), a Wilson score interval
for a share of replications (Wilson 1927), the delta method for a ratio of means, and a
percentile bootstrap over runs for the largest gap between two mean curves (Efron & Tibshirani
1993). The functions here are pure: they take numbers, not models, so each can be checked on a
case with a known answer.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass

import numpy as np
from scipy import sparse, stats
from scipy.optimize import curve_fit

from sim.experiments.stats import mean_interval, paired_difference

#: the confidence level of every interval in the report
LEVEL = 0.95
#: resamples of the bootstrap interval of a largest gap between mean curves
BOOTSTRAP_RESAMPLES = 2000
#: seed of the bootstrap's own generator, so that a report's intervals are reproducible
BOOTSTRAP_SEED = 2026
#: a correlation is kept this far inside (-1, 1) before Fisher's z (which is infinite at +-1)
FISHER_EPS = 1e-9


@dataclass(frozen=True)
class Estimate:
    """A pattern's number: the estimate, its 95 % interval and the replications behind it."""

    value: float
    low: float
    high: float
    n: int

    @property
    def width(self) -> float:
        return self.high - self.low

    def as_dict(self) -> dict[str, float | int | None]:
        return {k: (v if not isinstance(v, float) or math.isfinite(v) else None) for k, v in asdict(self).items()}


UNDEFINED = Estimate(math.nan, math.nan, math.nan, 0)


# ----------------------------------------------------------------------------- intervals over replications


def mean_estimate(values: Sequence[float] | np.ndarray) -> Estimate:
    """Mean over replications with its Student-t interval (undefined values left out)."""
    iv = mean_interval(np.asarray(values, dtype=float), LEVEL)
    return Estimate(iv.mean, iv.low, iv.high, iv.n)


def paired_estimate(treatment: Sequence[float] | np.ndarray, control: Sequence[float] | np.ndarray) -> Estimate:
    """Mean paired difference ``treatment - control`` over replications (common random numbers), t interval."""
    iv = paired_difference(np.asarray(treatment, dtype=float), np.asarray(control, dtype=float), LEVEL)
    return Estimate(iv.mean, iv.low, iv.high, iv.n)


def correlation_estimate(rs: Sequence[float] | np.ndarray) -> Estimate:
    """A correlation over replications: Fisher's z averaged, its t interval, both taken back to r.

    Averaging z rather than r keeps the estimate unbiased by the bounded scale, and the interval
    inside (-1, 1) (Fisher 1921).
    """
    r = np.asarray(rs, dtype=float)
    r = r[np.isfinite(r)]
    if not r.size:
        return UNDEFINED
    z = np.arctanh(np.clip(r, -1 + FISHER_EPS, 1 - FISHER_EPS))
    iv = mean_interval(z, LEVEL)
    return Estimate(float(np.tanh(iv.mean)), float(np.tanh(iv.low)), float(np.tanh(iv.high)), iv.n)


def share_estimate(holds: Sequence[bool] | np.ndarray) -> Estimate:
    """The share of replications in which something holds, with the Wilson score interval.

    Wilson's interval stays inside [0, 1] and is not degenerate when every replication agrees
    (Wilson 1927; Brown, Cai & DasGupta 2001), unlike the normal approximation.
    """
    x = np.asarray(holds, dtype=bool)
    n = x.size
    if not n:
        return UNDEFINED
    p = float(x.mean())
    z = float(stats.norm.ppf(0.5 + LEVEL / 2))
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    # the interval holds p exactly (rounding would otherwise put 1 a hair above a bound of 1)
    return Estimate(p, min(p, max(0.0, centre - half)), max(p, min(1.0, centre + half)), n)


def ratio_estimate(numerator: Sequence[float] | np.ndarray, denominator: Sequence[float] | np.ndarray) -> Estimate:
    """The ratio of two means over paired replications, with the delta-method t interval.

    ``mean(a) / mean(b)`` rather than the mean of per-replication ratios, which a replication with
    a small denominator would dominate; var ≈ (var a + R² var b − 2 R cov(a, b)) / (n mean(b)²).
    """
    a, b = np.asarray(numerator, dtype=float), np.asarray(denominator, dtype=float)
    ok = np.isfinite(a) & np.isfinite(b)
    a, b = a[ok], b[ok]
    n = a.size
    if not n or b.mean() == 0:
        return Estimate(math.nan, math.nan, math.nan, n)
    ratio = float(a.mean() / b.mean())
    if n < 2:
        return Estimate(ratio, -math.inf, math.inf, n)
    cov = np.cov(a, b, ddof=1)
    var = (cov[0, 0] + ratio**2 * cov[1, 1] - 2 * ratio * cov[0, 1]) / (n * b.mean() ** 2)
    half = float(stats.t.ppf(0.5 + LEVEL / 2, n - 1) * math.sqrt(max(var, 0.0)))
    return Estimate(ratio, ratio - half, ratio + half, n)


def max_gap_estimate(differences: np.ndarray) -> Estimate:
    """The largest absolute gap between two mean curves, with a percentile bootstrap interval over runs.

    ``differences`` holds one row per run: the run's curve minus its reference (a paired
    reference run, or a closed form). The gap at a week is the mean difference over the runs;
    the estimate is its largest absolute value over the weeks, and the runs are resampled
    (:data:`BOOTSTRAP_RESAMPLES` times, a seeded generator) for the interval.
    """
    d = np.atleast_2d(np.asarray(differences, dtype=float))
    n = d.shape[0]
    if not n or not d.size:
        return UNDEFINED
    value = float(np.abs(d.mean(axis=0)).max())
    if n < 2:
        return Estimate(value, -math.inf, math.inf, n)
    rng = np.random.default_rng(BOOTSTRAP_SEED)
    picks = rng.integers(0, n, size=(BOOTSTRAP_RESAMPLES, n))
    boot = np.array([np.abs(d[p].mean(axis=0)).max() for p in picks])
    low, high = np.quantile(boot, [(1 - LEVEL) / 2, (1 + LEVEL) / 2])
    return Estimate(value, float(low), float(high), n)


# ----------------------------------------------------------------------------- one replication's numbers


def within_unit_correlation(x: np.ndarray, y: np.ndarray, units: np.ndarray) -> float:
    """Pearson r of ``x`` and ``y`` across teams, each centred on its unit's mean.

    Centring compares teams that do the same work (Harter et al. 2002 compare business units of
    the same companies); differences between units (delivery against support) are left out.
    NaN when fewer than three teams or no variation remain.
    """
    x, y, units = np.asarray(x, dtype=float), np.asarray(y, dtype=float), np.asarray(units)
    ok = np.isfinite(x) & np.isfinite(y)
    x, y, units = x[ok], y[ok], units[ok]
    if x.size < 3:
        return math.nan
    cx, cy = x.copy(), y.copy()
    for u in np.unique(units):
        at = units == u
        cx[at] -= x[at].mean()
        cy[at] -= y[at].mean()
    if not cx.any() or not cy.any():
        return math.nan
    return float(np.corrcoef(cx, cy)[0, 1])


def quartile_gap(engagement: np.ndarray, satisfaction: np.ndarray, units: np.ndarray) -> float:
    """Mean satisfaction of the top-quartile teams by engagement over the bottom quartile's, minus 1.

    Teams are ranked within their unit (top: at or above the unit's 75th percentile of
    engagement; bottom: at or below its 25th), then pooled (Gallup's Q12 meta-analyses compare
    top- and bottom-quartile business units).
    """
    e, s, units = np.asarray(engagement, dtype=float), np.asarray(satisfaction, dtype=float), np.asarray(units)
    ok = np.isfinite(e) & np.isfinite(s)
    e, s, units = e[ok], s[ok], units[ok]
    top, bottom = np.zeros(e.size, dtype=bool), np.zeros(e.size, dtype=bool)
    for u in np.unique(units):
        at = units == u
        if at.sum() < 4:
            continue
        q1, q3 = np.quantile(e[at], [0.25, 0.75])
        top |= at & (e >= q3)
        bottom |= at & (e <= q1)
    if not top.any() or not bottom.any() or s[bottom].mean() == 0:
        return math.nan
    return float(s[top].mean() / s[bottom].mean() - 1.0)


def group_means(groups: Mapping[str, Sequence[float]]) -> dict[str, float]:
    """Per group, the mean from its sufficient statistics (count, sum, sum of squares)."""
    return {g: (v[1] / v[0] if v[0] else math.nan) for g, v in groups.items()}


def point_biserial(groups: Mapping[str, Sequence[float]], group: str) -> float:
    """Pearson r between belonging to ``group`` (1) or not (0) and the values, from each group's
    count, sum and sum of squares: r = (m1 − m0) · sqrt(p (1 − p)) / s, s the population SD."""
    n = sum(v[0] for v in groups.values())
    total = sum(v[1] for v in groups.values())
    squares = sum(v[2] for v in groups.values())
    if group not in groups or not n:
        return math.nan
    n1, s1 = groups[group][0], groups[group][1]
    if n1 in (0, n):
        return math.nan
    var = squares / n - (total / n) ** 2
    if var <= 0:
        return math.nan
    m1, m0 = s1 / n1, (total - s1) / (n - n1)
    p = n1 / n
    return float((m1 - m0) * math.sqrt(p * (1 - p)) / math.sqrt(var))


def is_ordered(means: Mapping[str, float], order: Sequence[str]) -> bool:
    """Whether the means fall strictly in ``order`` (every group present and defined)."""
    values = [means.get(g, math.nan) for g in order]
    return all(math.isfinite(v) for v in values) and all(a > b for a, b in itertools.pairwise(values))


def weeks_below(differences: np.ndarray, first: int) -> tuple[int, list[Estimate]]:
    """Consecutive weeks from index ``first`` in which the paired difference's 95 % interval lies below 0.

    ``differences`` holds one row per replication and one column per week (treatment minus its
    paired control). Returns the count and every week's estimate (for the figure).
    """
    d = np.atleast_2d(np.asarray(differences, dtype=float))
    weekly = [mean_estimate(d[:, w]) for w in range(d.shape[1])]
    count = 0
    for est in weekly[first:]:
        if not (est.n >= 2 and est.high < 0):
            break
        count += 1
    return count, weekly


# ----------------------------------------------------------------------------- docking references


def si_curve(
    adjacency: sparse.csr_matrix,
    q: np.ndarray,
    can_learn: np.ndarray,
    start: int,
    weeks: int,
    rng: np.random.Generator,
) -> np.ndarray:
    """A plain susceptible-infected simulation in discrete time: the number informed after each week.

    Each week every informed node with ``q > 0`` tries each of its neighbours once, with its own
    per-contact probability ``q`` (independent cascade, Kempe, Kleinberg & Tardos 2003); a
    neighbour that ``can_learn`` becomes informed and passes it on from the next week.
    """
    informed = np.zeros(adjacency.shape[0], dtype=bool)
    informed[start] = True
    indptr, indices = adjacency.indptr, adjacency.indices
    out = np.zeros(weeks)
    for week in range(weeks):
        senders = np.flatnonzero(informed & (q > 0))
        degree = indptr[senders + 1] - indptr[senders]
        first = np.repeat(indptr[senders], degree)
        offset = np.arange(degree.sum()) - np.repeat(np.cumsum(degree) - degree, degree)
        mates = indices[first + offset]
        hit = rng.random(mates.size) < np.repeat(q[senders], degree)
        reached = mates[hit]
        informed[reached[can_learn[reached]]] = True
        out[week] = informed.sum()
    return out


def bass_f(t: np.ndarray, p: float, q: float) -> np.ndarray:
    """Bass's cumulative adoption share F(t) = (1 − e^−(p+q)t) / (1 + (q/p) e^−(p+q)t), t in years (Bass 1969)."""
    e = np.exp(-(p + q) * np.asarray(t, dtype=float))
    return (1.0 - e) / (1.0 + (q / p) * e)


def fit_bass(t: np.ndarray, share: np.ndarray, delay: float = 0.0) -> tuple[float, float]:
    """Least-squares p and q of F(t − delay) fitted to an adoption curve (t and delay in years)."""

    def curve(t: np.ndarray, p: float, q: float) -> np.ndarray:
        return bass_f(np.maximum(np.asarray(t) - delay, 0.0), p, q)

    (p, q), _ = curve_fit(curve, t, share, p0=(0.01, 0.5), bounds=([1e-6, 1e-6], [10.0, 50.0]))
    return float(p), float(q)
