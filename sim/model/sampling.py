"""Vectorised draws from the run's one Generator, where numpy's general routines cost more than the work."""

from __future__ import annotations

import numpy as np
from numba import njit


def draw_weighted(rng: np.random.Generator, weights: np.ndarray, k: int) -> np.ndarray:
    """``k`` indices drawn with probability proportional to non-negative ``weights`` (inverse CDF).

    The same distribution as ``rng.choice(len(weights), k, p=weights / weights.sum())`` without
    its validation overhead, which dominates for the handful of draws a week needs.
    """
    cum = np.cumsum(weights)
    return np.minimum(np.searchsorted(cum, rng.random(k) * cum[-1], side="right"), weights.size - 1)


@njit(cache=True)
def bernoulli_indices(rng: np.random.Generator, n: int, p: float) -> np.ndarray:
    """Sorted indices ``i < n`` of the successes of ``n`` independent Bernoulli(``p``) trials.

    Exactly distributed like ``np.flatnonzero(rng.random(n) < p)``, but drawn as geometric gaps
    between successes, so it costs about ``n * p`` draws instead of ``n`` — the saving that
    matters when ``p`` is small and ``n`` is large. The gaps are drawn in blocks of a size that
    rarely falls short (then another block follows), so the draws a call takes depend on n and p
    only through that rule.
    """
    if p <= 0.0 or n <= 0:
        return np.zeros(0, dtype=np.int64)
    if p >= 1.0:
        return np.arange(n)
    expected = n * p
    size = int(expected + 6.0 * np.sqrt(expected) + 16)
    positions = np.cumsum(_geometric(rng, p, size)) - 1
    while positions[-1] < n:  # rare: draw further gaps until past the end
        more = np.cumsum(_geometric(rng, p, size)) + positions[-1]
        positions = np.concatenate((positions, more))
    return positions[: np.searchsorted(positions, n)]


@njit(cache=True)
def _geometric(rng: np.random.Generator, p: float, size: int) -> np.ndarray:
    """``rng.geometric(p, size)``: the same draws, one at a time."""
    out = np.empty(size, dtype=np.int64)
    for i in range(size):
        out[i] = rng.geometric(p)
    return out
