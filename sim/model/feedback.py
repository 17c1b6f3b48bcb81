"""The feedback loop's mail: reports on their way from customers to the teams that can act on them.

Seed 000 5.4.4 and seed 003 ("the negative feedbacks are directly processed"; results go to
teams and management): what customers say reaches the people who can fix it only after a delay,
set by the scenario's ``policies.feedback_delay_weeks``. Seed 004 treats complaints as
information and seed 002 asks every detractor WHY, so a report names the team that served the
account, the channel, and — when the cause is known — the cause (``UNKNOWN_CAUSE`` otherwise).

A week's reports are stored sparsely, as counts per (team, channel, cause) cell; the cells are
few (teams x channels x causes) whatever the number of customers.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np

#: the cause of a report that does not say why (a score without the WHY question)
UNKNOWN_CAUSE = -1


@dataclass(frozen=True)
class Reports:
    """Report counts per (team, channel, cause) cell, written in one week."""

    week: int
    team: np.ndarray
    channel: np.ndarray
    cause: np.ndarray
    count: np.ndarray

    @property
    def size(self) -> int:
        return self.team.size


def tally(week: int, team: np.ndarray, channel: np.ndarray, cause: np.ndarray, shape: tuple[int, int]) -> Reports:
    """Count reports by cell; reports without a team (nobody serves the account there) are dropped."""
    keep = team >= 0
    team, channel, cause = team[keep], channel[keep], cause[keep]
    n_channels, n_causes = shape
    key = (team.astype(np.int64) * n_channels + channel) * (n_causes + 1) + (cause + 1)
    cells, count = np.unique(key, return_counts=True)
    rest, cause_ = np.divmod(cells, n_causes + 1)
    team_, channel_ = np.divmod(rest, n_channels)
    return Reports(week, team_, channel_, cause_ - 1, count)


class FeedbackQueue:
    """Reports delivered ``delay`` weeks after they were written (at the earliest, the next week)."""

    def __init__(self, delay: int) -> None:
        self.delay = delay
        self._queue: deque[Reports] = deque()

    def push(self, reports: Reports) -> None:
        self._queue.append(reports)

    def deliver(self, week: int) -> list[Reports]:
        """This week's arrivals: every batch written ``delay`` or more weeks ago.

        Reports are pushed at the end of a week (phase 9) and read at the start of one (phase 1),
        so a batch written in week ``w`` arrives in week ``w + max(delay, 1)``. When a timed event
        shortens the delay, every batch now overdue arrives at once; when it lengthens it, the
        queue waits until its oldest batch is due again.
        """
        due = week - max(self.delay, 1)
        out = []
        while self._queue and self._queue[0].week <= due:
            out.append(self._queue.popleft())
        return out
