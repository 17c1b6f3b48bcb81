"""The market: per segment, its potential M and the accounts taken out of it (Bass 1969).

An account is *taken* from its segment's market while it is in the journey (a prospect, an open
deal, a customer) and for ``market.return_weeks`` after it ended (churned or lost): it has signed
with someone else and can be won back once that contract is up. What is neither is *remaining*,
the not-yet-customers M - N of the Bass model over which the weekly acquisition hazard acts
(:func:`sim.model.phases.word_of_mouth.bass_arrivals`). The counts are kept incrementally, so
the market costs nothing per account and week.
"""

from __future__ import annotations

import numpy as np


class Market:
    """Market potential and taken accounts per segment; accounts that ended return after a delay."""

    def __init__(self, potential: np.ndarray, return_weeks: int) -> None:
        self.potential = np.asarray(potential, dtype=np.int64)
        self.taken = np.zeros(self.potential.size, dtype=np.int64)
        self.return_weeks = return_weeks
        self._returning: dict[int, np.ndarray] = {}  # week due -> accounts per segment returning then

    def remaining(self) -> np.ndarray:
        """Accounts per segment still in the market (never below 0)."""
        return np.maximum(self.potential - self.taken, 0)

    def enter(self, segments: np.ndarray) -> None:
        """Accounts of the given segments leave the market: they enter the journey."""
        self.take(np.bincount(segments, minlength=self.potential.size))

    def take(self, counts: np.ndarray) -> None:
        """``counts[s]`` accounts of segment s leave the market for the journey."""
        self.taken += counts

    def leave(self, segments: np.ndarray, week: int) -> None:
        """Accounts of the given segments ended (churned or lost) in ``week``; they return later."""
        if not segments.size:
            return
        due = week + self.return_weeks
        counts = np.bincount(segments, minlength=self.potential.size)
        self._returning[due] = self._returning.get(due, 0) + counts

    def release(self, week: int) -> int:
        """Accounts whose return is due by ``week`` rejoin the market; returns how many."""
        due = [d for d in self._returning if d <= week]
        back = 0
        for d in due:
            counts = self._returning.pop(d)
            self.taken -= counts
            back += int(counts.sum())
        return back
