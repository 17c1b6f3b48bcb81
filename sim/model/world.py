"""The world a week's phases act on: the state stores, the clock, the run's generator and its parameters.

Phases are plain functions of a :class:`World`. They read and write its stores — the accounts,
the workforce, the leaders' traits, the feedback queue, the counters — and never reach back
into the Mesa model, which owns the world, steps it through the phases and keeps its agents in
line with the stores (:mod:`sim.model.cxmodel`).
"""

from __future__ import annotations

from collections import Counter, deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from sim.model.accounts import Accounts
from sim.model.feedback import FeedbackQueue
from sim.model.knowledge import Knowledge
from sim.model.workforce import Workforce
from sim.vocabulary import CAUSES, CHANNELS, N_UNITS, SEGMENTS, TRAITS, UNITS, resolve_traits

if TYPE_CHECKING:
    from sim.scenario.parameters import Parameters
    from sim.scenario.schema import Scenario


@dataclass
class StaffChanges:
    """Seats whose person quit or who were filled this week (the model updates its agents from them)."""

    quits: list[np.ndarray] = field(default_factory=list)
    hires: list[np.ndarray] = field(default_factory=list)

    def clear(self) -> None:
        self.quits.clear()
        self.hires.clear()


class World:
    """Everything that changes during a run, plus the fixed inputs the phases read.

    Attributes:
        config: the validated scenario; ``params`` its behavioural parameters.
        rng: the run's one numpy Generator (every random draw of every phase comes from it).
        week: the current week, 1 during the first step (0 while the world is being built).
        accounts, workforce: the columnar stores of accounts and seats.
        team_styles, traits: per team, its leader's style, and per leadership trait one value per team.
        climate: the executive team's CX commitment (0..1).
        counters: cumulative event counts (churned, wins, quits, ...), read by the KPI record.
        knowledge: the registry of fresh customer facts and who outside the account teams holds them.
        step_stats: this week's diffusion statistics.
        process_multiplier: per channel, the failure-rate multiplier that leaders' fixes lower.
        feedback: detractor reports on their way to the leaders.
        why_counts: detractors' why (channel x cause) over the measured window.
        reputation: smoothed census NPS of customers (a share, -1..1).
        referrals_due: referred prospects that join next week's arrivals.
        staff_changes: this week's quits and hires.
    """

    def __init__(self, config: Scenario, rng: np.random.Generator, workforce: Workforce, capacity: int) -> None:
        self.config = config
        self.params: Parameters = config.parameters
        self.rng = rng
        self.week = 0
        self.workforce = workforce
        self.unit_seats = [np.flatnonzero(workforce.unit == u) for u in range(N_UNITS)]
        self.accounts = Accounts(capacity, facts=self.params.information.facts_per_account)
        #: who outside the account teams holds which fresh customer facts
        self.knowledge = Knowledge(workforce.size)
        self.team_styles, self.traits = team_leaders(config, workforce)
        #: top management's commitment to customer experience: the climate every team works in
        self.climate = config.organization.executive.cx_commitment
        self.team_size = np.bincount(workforce.team, minlength=workforce.teams)
        segments = [getattr(config.customers.segments, name) for name in SEGMENTS]
        self.segment_share = np.array([s.share for s in segments])
        self.segment_value = np.array([s.contract_value for s in segments])
        self.segment_expectation = np.array([s.expectation for s in segments])
        j = self.params.journey
        self.touchpoint_rates = np.array(
            [j.pre_purchase_touchpoints, j.purchase_touchpoints, j.delivery_touchpoints, j.maintenance_touchpoints]
        )
        #: the scenario's channel numbers (share, richness, load, response time) as arrays per channel
        self.channels = config.channels.table()
        self.counters: Counter[str] = Counter()
        self.step_stats: dict[str, float] = {}
        self.referrals_due = 0
        self.reputation = 0.0
        self.process_multiplier = np.ones(len(CHANNELS))
        self.feedback = FeedbackQueue(config.policies.feedback_delay_weeks)
        self.why_counts = np.zeros((len(CHANNELS), len(CAUSES)), dtype=np.int64)
        self.survey_window: deque[tuple[float, float, float]] = deque(maxlen=self.params.measurement.nps_window_weeks)
        self.survey_totals = [0.0, 0.0, 0.0]  # promoters, detractors, answers in the window
        self.staff_changes = StaffChanges()
        self.portfolio_counts = np.zeros(0, dtype=np.int64)
        self.portfolio_week = -1

    def seat_trait(self, trait: str) -> np.ndarray:
        """Per seat, the trait of the seat's team leader."""
        return self.traits[trait][self.workforce.team]

    def unit_trait(self, trait: str) -> np.ndarray:
        """Per unit, the mean trait of its team leaders, weighted by team size (what the unit brings to
        the executive meeting)."""
        w = self.workforce
        total = np.bincount(w.team_unit, weights=self.traits[trait] * self.team_size, minlength=N_UNITS)
        return total / np.maximum(np.bincount(w.team_unit, weights=self.team_size, minlength=N_UNITS), 1)

    def mark_cohort(self) -> None:
        """The customers at the end of the warm-up form the cohort net revenue retention follows."""
        acc = self.accounts
        acc.cohort_value[:] = np.where(acc.customers(), acc.contract_value, 0.0)


def team_leaders(config: Scenario, workforce: Workforce) -> tuple[list[str], dict[str, np.ndarray]]:
    """Each team leader's style and traits: the unit's style or mix, with the unit's trait overrides."""
    styles: list[str] = []
    resolved: list[dict[str, float]] = []
    for u, name in enumerate(UNITS):
        spec = getattr(config.organization.units, name)
        overrides = {t: getattr(spec.leader, t) for t in TRAITS}
        for style in spec.team_styles(int(np.count_nonzero(workforce.team_unit == u))):
            styles.append(style)
            resolved.append(resolve_traits(style, overrides))
    return styles, {t: np.array([r[t] for r in resolved]) for t in TRAITS}
