"""Tallies over the measured window: what the team, segment, renewal and recovery tables report.

The weekly KPI record (:mod:`sim.model.kpis`) sums over the whole company; these accumulators keep
the same quantities per team (engagement, quits, the accounts its members serve, churn at their
renewals, revenue) and per customer segment (customers, satisfaction, promoters and detractors,
churn, revenue), so that a run can say which teams and which segments carry its outcomes. Two
more read what the published patterns compare: the renewal decisions by the customer's
satisfaction at the decision (Jones & Sasser 1995: completely satisfied customers stay far more
often than merely satisfied ones), and the customers' satisfaction some weeks after a single
service failure, by how it was recovered (TARP; de Matos et al. 2007). They are updated once a
week after the phases (and, for renewals, by the renewal phase) with a few bincounts, counting
only the weeks after the warm-up; they read the state and draw nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from sim.model.recommendation import promoter_detractor
from sim.vocabulary import (
    DELIVERY_STAGE,
    MAINTENANCE,
    N_UNITS,
    NEVER,
    SEGMENTS,
    STAGE_UNIT,
    UNITS,
    WEEKS_PER_YEAR,
)

if TYPE_CHECKING:
    from sim.model.phases.touchpoints import Touchpoints
    from sim.model.world import World

_NSEG = len(SEGMENTS)
#: classes of an account's satisfaction in the census NPS: passive, promoter, detractor
_NCLASS, _PROMOTER, _DETRACTOR = 3, 1, 2
#: the census classes by code, as the renewal table names them (LTR 0-6, 7-8, 9-10; Reichheld 2003)
SATISFACTION_CLASSES = ("passive", "promoter", "detractor")
#: equal-width satisfaction bins in which the renewal table also counts decisions (the shape of the
#: churn curve; an output's resolution, not a mechanism)
RENEWAL_BINS = 20
#: weeks after a failure at which the recovery table reads the customer's satisfaction: long enough
#: for most escalated complaints to be settled or not (``service.complaint_resolution_rate``), short
#: enough that a second failure seldom intervenes (an output's definition, not a mechanism)
RECOVERY_FOLLOWUP_WEEKS = 8
#: how a customer's failure episode ended, as the recovery table names it: no failure (the
#: comparison), recovered on the spot, a complaint resolved within the follow-up, a complaint still open
RECOVERY_CLASSES = ("no_failure", "quick", "slow", "unresolved")
_NO_FAILURE, _QUICK, _SLOW, _UNRESOLVED = range(len(RECOVERY_CLASSES))
#: an episode whose complaint is still to be settled (recorded as slow or unresolved at its end)
_COMPLAINT = -1
#: cells per team: segment x class
_CELLS = _NSEG * _NCLASS
_STAGE_UNIT = STAGE_UNIT.astype(np.intp)
#: per cell, whether it counts for the accounts served, the promoters, the detractors
_SELECT = np.stack(
    [
        np.ones(_CELLS),
        np.tile(np.arange(_NCLASS) == _PROMOTER, _NSEG),
        np.tile(np.arange(_NCLASS) == _DETRACTOR, _NSEG),
    ],
    axis=1,
).astype(float)


class Tallies:
    """Per-team and per-segment sums over the measured weeks (see :meth:`week` and :meth:`renewals`)."""

    def __init__(self, team: np.ndarray, team_unit: np.ndarray) -> None:
        teams = team_unit.size
        self.weeks = 0
        self._team_key = (team * _CELLS).astype(np.int32)  # per seat, its team's first key
        zeros = np.zeros
        # per team: person-weeks, engagement, quits; served account-weeks, satisfaction, promoters,
        # detractors, served customers' contract value; renewals decided and churned
        self.team_people, self.team_engagement, self.team_quits = zeros(teams), zeros(teams), zeros(teams)
        self.team_served, self.team_satisfaction = zeros(teams), zeros(teams)
        self.team_promoters, self.team_detractors, self.team_value = zeros(teams), zeros(teams), zeros(teams)
        self.team_renewals, self.team_churned = zeros(teams), zeros(teams)
        # per team: survey answers of the accounts it is responsible for, and their sum (answer / 10)
        self.team_answers, self.team_answer_sum = zeros(teams), zeros(teams)
        # per segment: customer-weeks, satisfaction, promoters, detractors, contract value; churn at renewal
        self.seg_customers, self.seg_satisfaction = zeros(_NSEG), zeros(_NSEG)
        self.seg_promoters, self.seg_detractors, self.seg_value = zeros(_NSEG), zeros(_NSEG), zeros(_NSEG)
        self.seg_churned, self.seg_churned_value = zeros(_NSEG), zeros(_NSEG)
        # renewal decisions and churn by census class and by satisfaction bin at the decision
        self.class_renewals, self.class_churned = zeros(_NCLASS), zeros(_NCLASS)
        self.bin_renewals, self.bin_churned = zeros(RENEWAL_BINS), zeros(RENEWAL_BINS)
        self.recovery = RecoveryFollowUp()
        #: 1 for the teams whose unit serves a stage under contract (delivery, support), else 0
        self._serves_customers = np.isin(team_unit, STAGE_UNIT[[DELIVERY_STAGE, MAINTENANCE]]).astype(float)

    def week(self, world: World, tp: Touchpoints) -> None:
        """Add the state at the end of a measured week (called after the phases, like the KPI record)."""
        self.weeks += 1
        self.recovery.week(world, tp)
        w, acc = world.workforce, world.accounts
        teams = w.teams
        filled = w.filled.astype(float)
        self.team_people += np.bincount(w.team, weights=filled, minlength=teams)
        self.team_engagement += np.bincount(w.team, weights=w.engagement * filled, minlength=teams)
        for seats in world.staff_changes.quits:
            self.team_quits += np.bincount(w.team[seats], minlength=teams)

        # every account in the journey, keyed by (team of its server, segment, promoter / detractor /
        # passive): three bincounts, then small reductions to teams and, over the teams that serve
        # customers (delivery and support: the stages under contract), to segments
        stage = acc.stage[: acc.n]
        rows = np.flatnonzero(stage.view(np.uint8) <= MAINTENANCE)  # the journey's stages (VOID = -1 reads 255)
        seat = acc.team.ravel()[rows * N_UNITS + _STAGE_UNIT[stage[rows]]]
        if (seat < 0).any():  # an account nobody has been assigned to counts for no team
            rows, seat = rows[seat >= 0], seat[seat >= 0]
        sat = acc.satisfaction[rows]
        prom, det = promoter_detractor(sat, world.params.measurement)
        key = self._team_key[seat]
        key += acc.segment[rows] * np.int32(_NCLASS)
        key += prom
        key += det * np.int32(_DETRACTOR)
        size = teams * _CELLS
        count = np.bincount(key, minlength=size).reshape(teams, _CELLS).astype(float)
        total = np.bincount(key, weights=sat, minlength=size).reshape(teams, _CELLS)
        value = np.bincount(key, weights=acc.contract_value[rows], minlength=size).reshape(teams, _CELLS)
        served, promoters, detractors = (count @ _SELECT).T
        self.team_served += served
        self.team_satisfaction += total.sum(axis=1)
        self.team_promoters += promoters
        self.team_detractors += detractors
        self.team_value += value.sum(axis=1) * self._serves_customers
        customers = self._serves_customers @ count  # per (segment, class), over the customer-serving teams
        self.seg_customers += customers.reshape(_NSEG, _NCLASS).sum(axis=1)
        self.seg_satisfaction += (self._serves_customers @ total).reshape(_NSEG, _NCLASS).sum(axis=1)
        self.seg_promoters += customers.reshape(_NSEG, _NCLASS)[:, _PROMOTER]
        self.seg_detractors += customers.reshape(_NSEG, _NCLASS)[:, _DETRACTOR]
        self.seg_value += (self._serves_customers @ value).reshape(_NSEG, _NCLASS).sum(axis=1)

    def answers(self, world: World, team: np.ndarray, score: np.ndarray) -> None:
        """Survey answers this week (0-10 / 10), each counted for the team responsible for the answering account.

        ``team`` is the team of the account's member in the surveyed touchpoint's unit (-1: none, not counted).
        """
        if world.week <= world.config.warmup:
            return
        teams = self.team_answers.size
        team, score = team[team >= 0], score[team >= 0]
        self.team_answers += np.bincount(team, minlength=teams)
        self.team_answer_sum += np.bincount(team, weights=score, minlength=teams)

    def renewals(self, world: World, due: np.ndarray, churn: np.ndarray) -> None:
        """Renewals decided this week: each counts for the team of the account's server and the account's segment."""
        if world.week <= world.config.warmup:
            return
        acc, w = world.accounts, world.workforce
        seat = acc.team[due, STAGE_UNIT[acc.stage[due]]]
        known = seat >= 0
        team, gone = w.team[seat[known]], churn[known]
        self.team_renewals += np.bincount(team, minlength=w.teams)
        self.team_churned += np.bincount(team, weights=gone, minlength=w.teams)
        segment = acc.segment[due]
        self.seg_churned += np.bincount(segment, weights=churn, minlength=_NSEG)
        self.seg_churned_value += np.bincount(segment, weights=acc.contract_value[due] * churn, minlength=_NSEG)
        sat = acc.satisfaction[due]
        prom, det = promoter_detractor(sat, world.params.measurement)
        cls = prom + det * _DETRACTOR
        self.class_renewals += np.bincount(cls, minlength=_NCLASS)
        self.class_churned += np.bincount(cls, weights=churn, minlength=_NCLASS)
        b = np.clip((sat * RENEWAL_BINS).astype(np.intp), 0, RENEWAL_BINS - 1)
        self.bin_renewals += np.bincount(b, minlength=RENEWAL_BINS)
        self.bin_churned += np.bincount(b, weights=churn, minlength=RENEWAL_BINS)


class RecoveryFollowUp:
    """Customers' satisfaction :data:`RECOVERY_FOLLOWUP_WEEKS` after a single service failure, by its recovery.

    An episode starts in a measured week for a customer served in delivery or maintenance that had
    no failure in the ``service.first_failure_window_weeks`` before and no open complaint: with a
    failure this week, *quick* when every failed touchpoint was recovered on the spot, a complaint
    otherwise; without one, *no failure* (the comparison). A complaint episode is *slow* if the
    complaint is resolved within the follow-up and *unresolved* if it is still open at its end
    (TARP's ordering). An episode ends after the follow-up weeks and records the customer's
    satisfaction then and at the end of the week before it started, so that each customer is its
    own baseline; it is dropped when the account fails again (the recovery paradox holds after a
    single failure only, Maxham & Netemeyer 2002) or leaves the customers. A customer is in one
    episode at a time.
    """

    def __init__(self, weeks: int = RECOVERY_FOLLOWUP_WEEKS) -> None:
        self.weeks = weeks
        self.start = np.zeros(0, dtype=np.int64)  # per account, the week its episode started (-1: none)
        self.kind = np.zeros(0, dtype=np.int8)  # no failure, quick, or a complaint still to settle
        self.settled = np.zeros(0, dtype=bool)  # a complaint episode whose complaint was resolved
        self.before = np.zeros(0)  # satisfaction at the end of the week before the episode
        self._last: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None  # S, last failure, open complaint
        n = len(RECOVERY_CLASSES)
        self.episodes, self.before_sum, self.after_sum, self.change_sq = (np.zeros(n) for _ in range(4))

    def week(self, world: World, tp: Touchpoints) -> None:
        """Follow the open episodes one week, end those due, and start new ones from this week's touchpoints."""
        acc, t = world.accounts, world.week
        n = acc.n
        self._grow(n)
        sat, stage = acc.satisfaction[:n], acc.stage[:n]
        customer = (stage == DELIVERY_STAGE) | (stage == MAINTENANCE)
        failed = _flags(n, tp.account[tp.failed])
        start, kind = self.start[:n], self.kind[:n]
        running = start >= 0
        dropped = running & (~customer | (failed & (start < t)))
        start[dropped] = -1
        running &= ~dropped
        self.settled[:n] |= running & (kind == _COMPLAINT) & ~acc.open_complaint[:n]
        due = np.flatnonzero(running & (start + self.weeks <= t))
        if due.size:
            cls = kind[due].astype(np.intp)
            cls[cls == _COMPLAINT] = np.where(self.settled[due][cls == _COMPLAINT], _SLOW, _UNRESOLVED)
            change = sat[due] - self.before[due]
            size = len(RECOVERY_CLASSES)
            self.episodes += np.bincount(cls, minlength=size)
            self.before_sum += np.bincount(cls, weights=self.before[due], minlength=size)
            self.after_sum += np.bincount(cls, weights=sat[due], minlength=size)
            self.change_sq += np.bincount(cls, weights=change**2, minlength=size)
            start[due] = -1
        if self._last is not None:
            self._begin(world, tp, running, customer, failed)
        self._last = (sat.copy(), acc.last_failure[:n].copy(), acc.open_complaint[:n].copy())

    def _begin(
        self, world: World, tp: Touchpoints, running: np.ndarray, customer: np.ndarray, failed: np.ndarray
    ) -> None:
        """Episodes of the customers served this week who had no recent failure and no open complaint."""
        n, t = running.size, world.week
        sat, last_failure, was_open = (x[:n] for x in self._grow_last(n))
        served = np.zeros(n, dtype=bool)
        served[tp.touched[(tp.touched_stage == DELIVERY_STAGE) | (tp.touched_stage == MAINTENANCE)]] = True
        window = world.params.service.first_failure_window_weeks
        ready = served & customer & ~running & ~was_open & (last_failure < t - window)
        complaint = _flags(n, tp.account[tp.complaint])
        unrecovered = _flags(n, tp.account[tp.failed & ~tp.recovered])
        kinds = (
            (ready & ~failed, _NO_FAILURE),
            (ready & failed & ~unrecovered, _QUICK),
            (ready & complaint, _COMPLAINT),  # an unserved failure opens no complaint: no episode
        )
        for mask, kind in kinds:
            rows = np.flatnonzero(mask)
            self.start[rows] = t
            self.kind[rows] = kind
            self.settled[rows] = False
            self.before[rows] = sat[rows]

    def _grow(self, n: int) -> None:
        """Room for ``n`` accounts (new accounts have no episode)."""
        old = self.start.size
        if n <= old:
            return
        size = max(n, 2 * old)
        self.start = np.concatenate([self.start, np.full(size - old, -1, dtype=np.int64)])
        self.kind = np.concatenate([self.kind, np.zeros(size - old, dtype=np.int8)])
        self.settled = np.concatenate([self.settled, np.zeros(size - old, dtype=bool)])
        self.before = np.concatenate([self.before, np.zeros(size - old)])

    def _grow_last(self, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Last week's state for ``n`` accounts: an account created since had no failure and no complaint."""
        sat, failure, was_open = self._last  # type: ignore[misc]
        extra = n - sat.size
        if extra <= 0:
            return sat, failure, was_open
        return (
            np.concatenate([sat, np.zeros(extra)]),
            np.concatenate([failure, np.full(extra, NEVER, dtype=failure.dtype)]),
            np.concatenate([was_open, np.zeros(extra, dtype=bool)]),
        )


def _flags(n: int, rows: np.ndarray) -> np.ndarray:
    """A mask over ``n`` accounts, true at ``rows``."""
    out = np.zeros(n, dtype=bool)
    out[rows] = True
    return out


def team_table(world: World) -> pd.DataFrame:
    """One row per team over the measured window (see the ODD's Outputs section for each column)."""
    t = world.tallies
    w = world.workforce
    years = t.weeks / WEEKS_PER_YEAR
    headcount = _ratio(t.team_people, t.weeks)
    return pd.DataFrame(
        {
            "team": np.arange(w.teams),
            "unit": [UNITS[u] for u in w.team_unit],
            "leader_style": list(world.team_styles),
            "size": world.team_size.astype(int),
            "headcount": headcount,
            "engagement": _ratio(t.team_engagement, t.team_people),
            "quits": t.team_quits.astype(int),
            "turnover_rate": _ratio(t.team_quits, headcount * years),
            "accounts_served": _ratio(t.team_served, t.weeks),
            "satisfaction": _ratio(t.team_satisfaction, t.team_served),
            "nps": 100.0 * _ratio(t.team_promoters - t.team_detractors, t.team_served),
            "survey_answers": t.team_answers.astype(int),
            "survey_score": _ratio(t.team_answer_sum, t.team_answers),
            "renewals": t.team_renewals.astype(int),
            "churned": t.team_churned.astype(int),
            "churn_rate_at_renewal": _ratio(t.team_churned, t.team_renewals),
            "revenue_served": _ratio(t.team_value, t.weeks),
        }
    )


def segment_table(world: World) -> pd.DataFrame:
    """One row per customer segment over the measured window (see the ODD's Outputs section)."""
    t = world.tallies
    acc = world.accounts
    n = acc.n
    years = t.weeks / WEEKS_PER_YEAR
    customers = _ratio(t.seg_customers, t.weeks)
    segment = acc.segment[:n]
    now = acc.customers()[:n]
    cohort = np.bincount(segment, weights=acc.cohort_value[:n], minlength=_NSEG)
    kept = np.bincount(
        segment, weights=np.where(now & (acc.cohort_value[:n] > 0), acc.contract_value[:n], 0.0), minlength=_NSEG
    )
    retention = _ratio(kept, cohort)
    return pd.DataFrame(
        {
            "segment": list(SEGMENTS),
            "accounts": np.bincount(segment, weights=acc.in_journey()[:n], minlength=_NSEG).astype(int),
            "customers": customers,
            "customers_final": np.bincount(segment, weights=now, minlength=_NSEG).astype(int),
            "satisfaction": _ratio(t.seg_satisfaction, t.seg_customers),
            "nps": 100.0 * _ratio(t.seg_promoters - t.seg_detractors, t.seg_customers),
            "churned": t.seg_churned.astype(int),
            "annual_churn_rate": _ratio(t.seg_churned, customers * years),
            "revenue_churn_rate": _ratio(t.seg_churned_value, _ratio(t.seg_value, t.weeks) * years),
            "revenue_per_year": _ratio(t.seg_value / WEEKS_PER_YEAR, years),
            "recurring_revenue_final": np.bincount(segment, weights=acc.contract_value[:n] * now, minlength=_NSEG),
            "net_revenue_retention": retention ** (1.0 / years) if years else np.full(_NSEG, np.nan),
        }
    )


def renewal_table(world: World) -> pd.DataFrame:
    """Renewal decisions over the measured window by the customer's satisfaction at the decision.

    One row per census class (``band`` detractor, passive, promoter; ``satisfaction_from`` and
    ``satisfaction_to`` its limits) and then one per satisfaction bin (``band`` ``bin``): decisions,
    churned and their ratio ``churn_rate`` (NaN without decisions).
    """
    t = world.tallies
    mp = world.params.measurement
    order = [_DETRACTOR, 0, _PROMOTER]
    limits = {_DETRACTOR: (0.0, mp.detractor_satisfaction), 0: (mp.detractor_satisfaction, mp.promoter_satisfaction)}
    limits[_PROMOTER] = (mp.promoter_satisfaction, 1.0)
    edges = np.linspace(0.0, 1.0, RENEWAL_BINS + 1)
    return pd.DataFrame(
        {
            "band": [SATISFACTION_CLASSES[c] for c in order] + ["bin"] * RENEWAL_BINS,
            "satisfaction_from": [limits[c][0] for c in order] + list(edges[:-1]),
            "satisfaction_to": [limits[c][1] for c in order] + list(edges[1:]),
            "decisions": np.concatenate([t.class_renewals[order], t.bin_renewals]).astype(int),
            "churned": np.concatenate([t.class_churned[order], t.bin_churned]).astype(int),
            "churn_rate": np.concatenate(
                [_ratio(t.class_churned[order], t.class_renewals[order]), _ratio(t.bin_churned, t.bin_renewals)]
            ),
        }
    )


def recovery_table(world: World) -> pd.DataFrame:
    """Customers' satisfaction before and :data:`RECOVERY_FOLLOWUP_WEEKS` after a single failure, by its recovery.

    One row per class (no_failure, quick, slow, unresolved; :class:`RecoveryFollowUp`): the episodes
    ended in the measured window, the mean satisfaction the week before and at the end of the
    follow-up, the mean change and its standard deviation (NaN without episodes).
    """
    r = world.tallies.recovery
    n = r.episodes
    change = _ratio(r.after_sum - r.before_sum, n)
    var = _ratio(r.change_sq - n * np.nan_to_num(change) ** 2, n - 1)
    return pd.DataFrame(
        {
            "recovery": list(RECOVERY_CLASSES),
            "episodes": n.astype(int),
            "satisfaction_before": _ratio(r.before_sum, n),
            "satisfaction_after": _ratio(r.after_sum, n),
            "change": change,
            "change_sd": np.sqrt(np.maximum(var, 0.0)),
        }
    )


def _ratio(num: np.ndarray | float, den: np.ndarray | float) -> np.ndarray:
    """Elementwise num / den, NaN (undefined) where there is nothing to divide by."""
    num, den = np.broadcast_arrays(np.asarray(num, dtype=float), np.asarray(den, dtype=float))
    out = np.full(num.shape, np.nan)
    np.divide(num, den, out=out, where=den != 0)
    return out
