"""Vectorised draws from the run's one Generator, where numpy's general routines cost more than the work."""

from __future__ import annotations

import numpy as np


def draw_weighted(rng: np.random.Generator, weights: np.ndarray, k: int) -> np.ndarray:
    """``k`` indices drawn with probability proportional to non-negative ``weights`` (inverse CDF).

    The same distribution as ``rng.choice(len(weights), k, p=weights / weights.sum())`` without
    its validation overhead, which dominates for the handful of draws a week needs.
    """
    cum = np.cumsum(weights)
    return np.minimum(np.searchsorted(cum, rng.random(k) * cum[-1], side="right"), weights.size - 1)
