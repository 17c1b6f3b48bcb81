"""Customer accounts (B2B): columnar state, satisfaction, renewal and word of mouth.

An account moves through the journey of seed 003 — pre-purchase (a prospect), purchase,
delivery, maintenance — and ends churned (a customer that did not renew) or lost (a prospect
or deal that went elsewhere). Rows are never deleted, so accounts are conserved: every account
ever created is in exactly one stage. Unused capacity rows have stage ``VOID``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.organisation import DELIVERY, N_UNITS, SALES, SUPPORT

if TYPE_CHECKING:
    from sim.journey import Touchpoints
    from sim.model import CXModel

STAGES = ("pre_purchase", "purchase", "delivery", "maintenance")
PRE_PURCHASE, PURCHASE, DELIVERY_STAGE, MAINTENANCE, CHURNED, LOST = 0, 1, 2, 3, 4, 5
VOID = -1
END_STATES = ("churned", "lost")
#: the unit responsible for each stage (seed 003: sales, delivery and maintenance organisations)
STAGE_UNIT = np.array([SALES, SALES, DELIVERY, SUPPORT])
#: the same, indexed by stage + 1 so that unused rows (-1) and end states map to a valid column
_STAGE_UNIT_OR_VOID = np.array([0, SALES, SALES, DELIVERY, SUPPORT, 0, 0])
SEGMENTS = ("small", "mid_market", "enterprise")
NEVER = -100_000  # the week stamp of knowledge nobody has
#: unit pairs whose members may be collaborators: (sales, delivery), (sales, support), (delivery, support)
UNIT_PAIRS = ((SALES, DELIVERY), (SALES, SUPPORT), (DELIVERY, SUPPORT))

_COLUMNS: dict[str, tuple[type, tuple[int, ...], float]] = {
    "stage": (np.int8, (), VOID),
    "segment": (np.int8, (), 0),
    "created": (np.int32, (), 0),
    "stage_since": (np.int32, (), 0),
    "satisfaction": (np.float64, (), 0.0),
    "expectation": (np.float64, (len(STAGES),), 0.0),
    "contract_value": (np.float64, (), 0.0),
    "cohort_value": (np.float64, (), 0.0),
    "contract_end": (np.int32, (), -1),
    "project_end": (np.int32, (), -1),
    "team": (np.int32, (N_UNITS,), -1),
    "known": (np.int32, (N_UNITS,), NEVER),
    "pool": (np.int32, (N_UNITS,), NEVER),
    "news": (np.int32, (), NEVER),
    "tied": (np.bool_, (len(UNIT_PAIRS),), False),
    "open_complaint": (np.bool_, (), False),
    "complaint_seat": (np.int32, (), -1),
    "last_failure": (np.int32, (), NEVER),
    "worst_quality": (np.float64, (), 1.0),
    "worst_time": (np.int32, (), NEVER),
    "worst_channel": (np.int8, (), -1),
    "worst_cause": (np.int8, (), -1),
    "ended_at": (np.int32, (), -1),
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
    contract_end: np.ndarray
    project_end: np.ndarray
    team: np.ndarray
    known: np.ndarray
    pool: np.ndarray
    news: np.ndarray
    tied: np.ndarray
    open_complaint: np.ndarray
    complaint_seat: np.ndarray
    last_failure: np.ndarray
    worst_quality: np.ndarray
    worst_time: np.ndarray
    worst_channel: np.ndarray
    worst_cause: np.ndarray
    ended_at: np.ndarray

    def __init__(self, capacity: int) -> None:
        self.n = 0
        self.capacity = max(16, capacity)
        for name, (dtype, tail, fill) in _COLUMNS.items():
            setattr(self, name, np.full((self.capacity, *tail), fill, dtype=dtype))

    def allocate(self, k: int) -> np.ndarray:
        """Reserve ``k`` new rows (growing the arrays if needed) and return their indices."""
        if self.n + k > self.capacity:
            new_cap = max(int(1.5 * self.capacity), self.n + k)
            for name, (dtype, tail, fill) in _COLUMNS.items():
                old = getattr(self, name)
                grown = np.full((new_cap, *tail), fill, dtype=dtype)
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

    def server_seat(self) -> np.ndarray:
        """The seat responsible for each account in its current stage (-1 outside the journey)."""
        seat = self.team.ravel()[self._team_offset + _STAGE_UNIT_OR_VOID[self.stage + 1]]
        return np.where(self.in_journey(), seat, -1)


def promoter_detractor(satisfaction: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Census classification by expected likelihood to recommend, LTR = 10 x satisfaction.

    Promoters answer 9-10 (satisfaction >= 0.85 rounds to 9), detractors 0-6 (< 0.65)
    (Reichheld 2003).
    """
    return satisfaction >= 0.85, satisfaction < 0.65


def satisfaction_phase(model: CXModel, tp: Touchpoints) -> None:
    """Phase 4: expectation-disconfirmation with a direct performance path, then adaptation.

    For each account touched this week, with mean perceived quality P and stage expectation E::

        D   = P - E,  weighted by ``negative_gap_weight`` when negative (loss aversion,
              Anderson & Sullivan 1993)
        S_t = w * P + (1 - w) * (E + g * D_w)    (Oliver 1980; Churchill & Surprenant 1982)
        S  <- (1 - m) * S + m * S_t              (Bolton 1998: cumulative satisfaction)
        E  <- E + lambda * (P - E)               (expectations adapt toward experience)

    When expectations are exactly met, S_t equals performance; disconfirmation moves it away.
    Escalated complaints resolved this week add a partial recovery (TARP: slow resolution is
    better than none, worse than on-the-spot recovery).
    """
    acc = model.accounts
    s = model.params.satisfaction
    if tp.touched.size:
        rows, stage, perf = tp.touched, tp.touched_stage, tp.touched_quality
        expect = acc.expectation[rows, stage]
        gap = perf - expect
        weighted = np.where(gap < 0, s.negative_gap_weight * gap, gap)
        now = np.clip(
            s.performance_weight * perf + (1 - s.performance_weight) * (expect + s.disconfirmation_gain * weighted),
            0,
            1,
        )
        acc.satisfaction[rows] += s.memory * (now - acc.satisfaction[rows])
        acc.expectation[rows, stage] = expect + s.expectation_adaptation * (perf - expect)
    _resolve_complaints(model)


def _resolve_complaints(model: CXModel) -> None:
    acc = model.accounts
    sv = model.params.service
    open_ = np.flatnonzero(acc.open_complaint)
    if not open_.size:
        return
    rate = sv.complaint_resolution_rate * (sv.empowered_resolution_factor if model.spec.policies.empowerment else 1.0)
    done = open_[model.rng.random(open_.size) < min(1.0, rate)]
    if done.size:
        acc.open_complaint[done] = False
        acc.satisfaction[done] = np.minimum(1.0, acc.satisfaction[done] + sv.resolution_boost)
        owned = done[acc.complaint_seat[done] >= 0]
        np.subtract.at(model.workforce.open_complaints, acc.complaint_seat[owned], 1.0)
        np.maximum(model.workforce.open_complaints, 0.0, out=model.workforce.open_complaints)
        model.counters["complaints_resolved"] += done.size


def renewal_phase(model: CXModel) -> None:
    """Phase 7: at contract end an account renews or churns, logistic in satisfaction.

    P(churn) = 1 / (1 + exp(-(a - b * S))). With the defaults an account at S = 0.95 churns at
    about 2 %, at S = 0.75 at about 13 %: completely satisfied customers stay several times more
    often than merely satisfied ones (Jones & Sasser 1995; Mittal & Kamakura 2001). B2B churn
    is decided at renewal, never in between. A renewal re-prices the contract with satisfaction
    (expansion above S = 0.5, contraction below) — the source of net revenue retention.
    """
    acc = model.accounts
    r = model.params.renewal
    t = model.steps
    due = np.flatnonzero(acc.customers() & (acc.contract_end == t))
    if not due.size:
        return
    sat = acc.satisfaction[due]
    p_churn = 1.0 / (1.0 + np.exp(-(r.churn_intercept - r.churn_slope * sat)))
    churn = model.rng.random(due.size) < p_churn
    gone, stay = due[churn], due[~churn]
    acc.stage[gone] = CHURNED
    acc.stage_since[gone] = t
    acc.ended_at[gone] = t
    model.close_complaints(gone)
    model.counters["churned"] += gone.size
    model.counters["churned_revenue"] += float(acc.contract_value[gone].sum())
    model.counters["renewals"] += stay.size
    factor = np.clip(1.0 + r.expansion_rate * 2.0 * (acc.satisfaction[stay] - 0.5), 0.5, 2.0)
    acc.contract_value[stay] *= factor
    acc.contract_end[stay] += model.params.journey.contract_weeks


def word_of_mouth_phase(model: CXModel) -> None:
    """Phase 8: promoters refer prospects; the promoter-detractor balance sets reputation.

    Referrals are a Poisson number with mean ``referral_rate`` per promoter-week (the imitation
    term of Bass 1969); they join the prospect pool with next week's arrivals. Reputation is the
    smoothed census NPS of current customers; conversion of prospects rises with it (see
    :func:`sim.journey.transition_phase`).
    """
    acc = model.accounts
    wm = model.params.word_of_mouth
    cust = acc.customers()
    promoters, detractors = promoter_detractor(acc.satisfaction)
    n_cust = int(cust.sum())
    n_prom = int((promoters & cust).sum())
    if n_cust:
        nps = (n_prom - int((detractors & cust).sum())) / n_cust
        model.reputation += wm.reputation_memory * (nps - model.reputation)
    referrals = int(model.rng.poisson(wm.referral_rate * n_prom)) if n_prom else 0
    model.referrals_due += referrals  # they enter the prospect pool with next week's arrivals
    model.counters["referrals"] += referrals
