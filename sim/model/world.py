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
from sim.model.market import Market
from sim.model.tallies import Tallies
from sim.model.workforce import Workforce, licensed_units
from sim.vocabulary import CAUSES, CHANNEL_UNIT, CHANNELS, N_UNITS, SEGMENTS, TRAITS, UNITS, resolve_traits

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
        process_multiplier: per team, channel and cause, the multiplier on that cause's losses that
            leaders' fixes lower; process_untreated: per team, the level it drifts back to.
        team_score, bonus_share: per team, the measured customer score and the CX bonus share.
        feedback: detractor reports on their way to the leaders.
        why_counts: detractors' why (channel x cause) over the measured window.
        reputation: smoothed census NPS of customers (a share, -1..1).
        market: per segment the market potential and the accounts taken out of it (Bass 1969).
        service_standard: per unit, the time its people give a touchpoint, as a share of the time
            the work requires (Oliva & Sterman 2001).
        staff_changes: this week's quits and hires.
        events, timeline, event_log: the scenario's timed events, the configuration in force from
            each week where one starts or ends, and what was applied when.
        tallies: per-team and per-segment sums over the measured window (:mod:`sim.model.tallies`).
    """

    def __init__(self, config: Scenario, rng: np.random.Generator, workforce: Workforce, capacity: int) -> None:
        self.rng = rng
        self.week = 0
        self.workforce = workforce
        self.unit_seats = [np.flatnonzero(workforce.unit == u) for u in range(N_UNITS)]
        self.accounts = Accounts(capacity, facts=config.parameters.information.facts_per_account)
        #: who outside the account teams holds which fresh customer facts
        self.knowledge = Knowledge(workforce.size)
        self.team_size = np.bincount(workforce.team, minlength=workforce.teams)
        self._derive(config)
        self.counters: Counter[str] = Counter()
        self.step_stats: dict[str, float] = {}
        segments = [getattr(config.customers.segments, name) for name in SEGMENTS]
        self.market = Market(np.array([s.market_potential for s in segments]), self.params.market.return_weeks)
        self.service_standard = np.ones(N_UNITS)
        self.reputation = 0.0
        #: per team, channel and cause, the share of that cause's losses the team's process lets through
        self.process_multiplier = np.ones((workforce.teams, len(CHANNELS), len(CAUSES)))
        #: per team, the multiplier of its untreated process (1 for every team without process spread)
        self.process_untreated = np.ones(workforce.teams)
        #: per team and channel, whether the team serves the channel (its unit's stage)
        self.process_cells = CHANNEL_UNIT[None, :] == workforce.team_unit[:, None]
        #: per team, its smoothed measured customer score (NaN until surveyed) and the CX bonus it earns
        self.team_score = np.full(workforce.teams, np.nan)
        self.bonus_share = np.zeros(workforce.teams)
        #: deals lost this week (their reasons feed the feedback loop)
        self.lost_deals = np.zeros(0, dtype=np.int64)
        self.feedback = FeedbackQueue(config.policies.feedback_delay_weeks)
        self.why_counts = np.zeros((len(CHANNELS), len(CAUSES)), dtype=np.int64)
        self.survey_window: deque[tuple[float, float, float]] = deque(maxlen=self.params.measurement.nps_window_weeks)
        self.survey_totals = [0.0, 0.0, 0.0]  # promoters, detractors, answers in the window
        self.staff_changes = StaffChanges()
        self.portfolio_counts = np.zeros(0, dtype=np.int64)
        self.portfolio_week = -1
        self.events = config.events
        self.timeline: dict[int, Scenario] = {week: config.at_week(week) for week in config.breakpoints()}
        self.event_log: list[dict[str, object]] = []
        self.tallies = Tallies(workforce.team, workforce.team_unit)

    def _derive(self, config: Scenario) -> None:
        """Take the configuration's inputs that the phases read from the world rather than from the scenario."""
        self.config = config
        self.params: Parameters = config.parameters
        self.team_styles, self.traits = team_leaders(config, self.workforce)
        #: top management's commitment to customer experience: the climate every team works in
        self.climate = config.organization.executive.cx_commitment
        segments = [getattr(config.customers.segments, name) for name in SEGMENTS]
        self.segment_share = np.array([s.share for s in segments])
        self.segment_value = np.array([s.contract_value for s in segments])
        self.segment_expectation = np.array([s.expectation for s in segments])
        j = self.params.journey
        self.touchpoint_rates = np.array(
            [j.pre_purchase_touchpoints, j.purchase_touchpoints, j.delivery_touchpoints, j.maintenance_touchpoints]
        )
        #: the scenario's channel numbers (share, richness, load, response time, the segments' preferences
        #: and the escalation channel of each stage) as arrays per channel
        self.channels = config.channels.table(
            config.customers.segments.preferences(), escalation=config.policies.channel_escalation
        )

    def reconfigure(self, config: Scenario) -> None:
        """Put a new configuration in force mid-run (a timed event) and re-derive what depends on it.

        Besides the inputs of :meth:`_derive`: every seat's capacity (its unit's), the skill ceilings,
        licence training (the current staff of a unit whose licence is switched on starts training;
        where it is switched off, training stops) and the feedback delay. Keys that shape what was
        built at week 0 cannot change (the scenario refuses them, :data:`sim.scenario.schema.FIXED_KEYS`).
        """
        before = set(licensed_units(self.config))
        self._derive(config)
        w, p = self.workforce, self.params
        units = config.organization.units
        w.capacity = np.array([getattr(units, name).capacity for name in UNITS], dtype=float)[w.unit]
        now = set(licensed_units(config))
        licensed = np.isin(w.unit, sorted(now))
        w.skill_ceiling = np.where(licensed, p.training.licence_skill, p.staffing.skill_ceiling)
        starting = np.isin(w.unit, sorted(now - before)) & w.filled
        w.training_left[starting] = p.training.licence_weeks
        w.training_left[np.isin(w.unit, sorted(before - now))] = 0.0
        if self.week > 1:  # in week 1 the staffing phase counts everyone who starts training
            self.counters["trainees"] += int(np.count_nonzero(starting))
        self.feedback.delay = config.policies.feedback_delay_weeks

    def seat_trait(self, trait: str) -> np.ndarray:
        """Per seat, the trait of the seat's team leader."""
        return self.traits[trait][self.workforce.team]

    def unit_trait(self, trait: str) -> np.ndarray:
        """Per unit, the mean trait of its team leaders, weighted by team size (what the unit brings to
        the executive meeting)."""
        return self.workforce.unit_mean(self.traits[trait], weights=self.team_size)

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
