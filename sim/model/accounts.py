"""The account store: columnar state of every B2B account, one row each, kept forever.

An account moves through the journey of seed 003 — pre-purchase (a prospect), purchase,
delivery, maintenance — and ends churned (a customer that did not renew) or lost (a prospect
or deal that went elsewhere). Rows are never deleted, so accounts are conserved: every account
ever created is in exactly one stage. Unused capacity rows have stage ``VOID``.

Per account and unit the store also keeps the account *team* (the seat serving it in each unit),
the account's latest facts (``fact_id``, ``fact_week``, ``fact_logged``: a ring of
``information.facts_per_account`` slots, ``fact_count`` facts so far) and which of them each
team member holds (``team_knows``, one bit per slot; see :mod:`sim.model.knowledge`), and the
requirements of its current project that delivery lacks (``req_missing``: lost at the handoff or
over-promised, see :func:`sim.model.phases.diffusion.handoff`).
"""

from __future__ import annotations

import numpy as np

from sim.vocabulary import (
    DELIVERY,
    DELIVERY_STAGE,
    MAINTENANCE,
    N_UNITS,
    NEVER,
    PRE_PURCHASE,
    SALES,
    STAGES,
    SUPPORT,
    UNIT_PAIRS,
    VOID,
)

#: a column dimension: one entry per fact slot of the account (``information.facts_per_account``)
FACTS = "facts"

#: the unit responsible for each stage, indexed by stage + 1 so that unused rows (-1) and end
#: states map to a valid column
_STAGE_UNIT_OR_VOID = np.array([0, SALES, SALES, DELIVERY, SUPPORT, 0, 0])

_COLUMNS: dict[str, tuple[type, tuple[int | str, ...], float]] = {
    "stage": (np.int8, (), VOID),
    "segment": (np.int8, (), 0),
    "created": (np.int32, (), 0),
    "stage_since": (np.int32, (), 0),
    "satisfaction": (np.float64, (), 0.0),
    "expectation": (np.float64, (len(STAGES),), 0.0),
    "contract_value": (np.float64, (), 0.0),
    "cohort_value": (np.float64, (), 0.0),
    "price_level": (np.float64, (), 1.0),
    "contract_end": (np.int32, (), -1),
    "project_end": (np.int32, (), -1),
    "team": (np.int32, (N_UNITS,), -1),
    "fact_id": (np.int64, (FACTS,), -1),
    "fact_week": (np.int32, (FACTS,), NEVER),
    "fact_logged": (np.bool_, (FACTS,), False),
    "fact_count": (np.int64, (), 0),
    "team_knows": (np.uint16, (N_UNITS,), 0),
    "req_missing": (np.int16, (), 0),
    "tied": (np.bool_, (len(UNIT_PAIRS),), False),
    "open_complaint": (np.bool_, (), False),
    "complaint_seat": (np.int32, (), -1),
    "last_failure": (np.int32, (), NEVER),
    "worst_quality": (np.float64, (), 1.0),
    "worst_time": (np.int32, (), NEVER),
    "worst_channel": (np.int8, (), -1),
    "worst_cause": (np.int8, (), -1),
    "ended_at": (np.int32, (), -1),
    "survey_load": (np.float64, (), 0.0),
}


class Accounts:
    """Columnar store of every account, grown by half again when full; rows keep their index forever."""

    stage: np.ndarray
    segment: np.ndarray
    created: np.ndarray
    stage_since: np.ndarray
    satisfaction: np.ndarray
    expectation: np.ndarray
    contract_value: np.ndarray
    cohort_value: np.ndarray
    price_level: np.ndarray
    contract_end: np.ndarray
    project_end: np.ndarray
    team: np.ndarray
    fact_id: np.ndarray
    fact_week: np.ndarray
    fact_logged: np.ndarray
    fact_count: np.ndarray
    team_knows: np.ndarray
    req_missing: np.ndarray
    tied: np.ndarray
    open_complaint: np.ndarray
    complaint_seat: np.ndarray
    last_failure: np.ndarray
    worst_quality: np.ndarray
    worst_time: np.ndarray
    worst_channel: np.ndarray
    worst_cause: np.ndarray
    ended_at: np.ndarray
    survey_load: np.ndarray

    def __init__(self, capacity: int, facts: int = 1) -> None:
        self.n = 0
        self.capacity = max(16, capacity)
        self.facts = facts
        for name, (dtype, tail, fill) in _COLUMNS.items():
            setattr(self, name, np.full((self.capacity, *self._shape(tail)), fill, dtype=dtype))

    def _shape(self, tail: tuple[int | str, ...]) -> tuple[int, ...]:
        return tuple(self.facts if d == FACTS else int(d) for d in tail)

    def allocate(self, k: int) -> np.ndarray:
        """Reserve ``k`` new rows (growing the arrays if needed) and return their indices."""
        if self.n + k > self.capacity:
            new_cap = max(int(1.5 * self.capacity), self.n + k)
            for name, (dtype, tail, fill) in _COLUMNS.items():
                old = getattr(self, name)
                grown = np.full((new_cap, *self._shape(tail)), fill, dtype=dtype)
                grown[: self.capacity] = old
                setattr(self, name, grown)
            self.capacity = new_cap
        rows = np.arange(self.n, self.n + k)
        self.n += k
        return rows

    @property
    def _team_offset(self) -> np.ndarray:
        """Flat index of each row's first team column (cached until the arrays grow)."""
        if getattr(self, "_offset_cache", np.zeros(0)).size != self.capacity:
            self._offset_cache = np.arange(self.capacity) * N_UNITS
        return self._offset_cache

    def customers(self) -> np.ndarray:
        """Mask of accounts under contract (delivery or maintenance)."""
        return (self.stage == DELIVERY_STAGE) | (self.stage == MAINTENANCE)

    def in_journey(self) -> np.ndarray:
        """Mask of accounts in one of the four journey stages."""
        return (self.stage >= PRE_PURCHASE) & (self.stage <= MAINTENANCE)

    def in_journey_rows(self, rows: np.ndarray) -> np.ndarray:
        """Whether each of ``rows`` is in one of the four journey stages."""
        stage = self.stage[rows]
        return (stage >= PRE_PURCHASE) & (stage <= MAINTENANCE)

    def server_seat(self) -> np.ndarray:
        """The seat responsible for each account in its current stage (-1 outside the journey)."""
        seat = self.team.ravel()[self._team_offset + _STAGE_UNIT_OR_VOID[self.stage + 1]]
        return np.where(self.in_journey(), seat, -1)
