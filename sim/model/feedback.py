"""The feedback queue: detractor reports on their way from the survey to the leaders.

Seed 000 5.4.4 and seed 003 ("the negative feedbacks are directly processed"): what customers
say reaches the people who can fix it only after a delay, set by the scenario's
``policies.feedback_delay_weeks``.
"""

from __future__ import annotations

from collections import deque

import numpy as np


class FeedbackQueue:
    """Detractor reports per channel, delivered to leaders ``delay`` weeks after the survey."""

    def __init__(self, delay: int) -> None:
        self.delay = delay
        self._queue: deque[np.ndarray] = deque()

    def push(self, reports: np.ndarray) -> None:
        self._queue.append(reports)

    def deliver(self) -> np.ndarray | None:
        """This week's arrivals: the reports pushed ``delay`` weeks ago (at the earliest, last week's).

        Reports are pushed at the end of a week (phase 9) and read at the start of one (phase 1),
        so the queue holds the last ``delay`` weeks' reports when the oldest is due. When the delay
        has been shortened (a timed event), every report now overdue arrives at once, summed; when
        it has been lengthened, the queue waits until its oldest report is due again.
        """
        due = len(self._queue) - max(self.delay, 1) + 1
        if due <= 0:
            return None
        reports = self._queue.popleft()
        for _ in range(due - 1):
            reports = reports + self._queue.popleft()
        return reports
