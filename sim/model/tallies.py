"""Tallies by team and by segment over the measured window: what the team and segment tables report.

The weekly KPI record (:mod:`sim.model.kpis`) sums over the whole company; these accumulators keep
the same quantities per team (engagement, quits, the accounts its members serve, churn at their
renewals, revenue) and per customer segment (customers, satisfaction, promoters and detractors,
churn, revenue), so that a run can say which teams and which segments carry its outcomes. They
are updated once a week after the phases (and, for renewals, by the renewal phase) with a few
bincounts, counting only the weeks after the warm-up.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from sim.model.phases.measurement import promoter_detractor
from sim.vocabulary import (
    DELIVERY_STAGE,
    MAINTENANCE,
    N_UNITS,
    SEGMENTS,
    STAGE_UNIT,
    UNITS,
    WEEKS_PER_YEAR,
)

if TYPE_CHECKING:
    from sim.model.world import World

_NSEG = len(SEGMENTS)
#: classes of an account's satisfaction in the census NPS: passive, promoter, detractor
_NCLASS, _PROMOTER, _DETRACTOR = 3, 1, 2
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
        # per segment: customer-weeks, satisfaction, promoters, detractors, contract value; churn at renewal
        self.seg_customers, self.seg_satisfaction = zeros(_NSEG), zeros(_NSEG)
        self.seg_promoters, self.seg_detractors, self.seg_value = zeros(_NSEG), zeros(_NSEG), zeros(_NSEG)
        self.seg_churned, self.seg_churned_value = zeros(_NSEG), zeros(_NSEG)
        #: 1 for the teams whose unit serves a stage under contract (delivery, support), else 0
        self._serves_customers = np.isin(team_unit, STAGE_UNIT[[DELIVERY_STAGE, MAINTENANCE]]).astype(float)

    def week(self, world: World) -> None:
        """Add the state at the end of a measured week (called after the phases, like the KPI record)."""
        self.weeks += 1
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


def _ratio(num: np.ndarray | float, den: np.ndarray | float) -> np.ndarray:
    """Elementwise num / den, NaN (undefined) where there is nothing to divide by."""
    num, den = np.broadcast_arrays(np.asarray(num, dtype=float), np.asarray(den, dtype=float))
    out = np.full(num.shape, np.nan)
    np.divide(num, den, out=out, where=den != 0)
    return out
