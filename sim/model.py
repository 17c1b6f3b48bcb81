"""CXModel: the Mesa model that runs the nine phases of a week over columnar agent state.

Scheduling (one step = one week; ODD "Process overview and scheduling")::

    1 leadership     leaders act on delayed survey feedback (process fixes)
    2 engagement     job demands-resources; then staffing (quits, hires) and skill growth
    3 touchpoints    accounts meet capacity-limited employees over their stage's channels
    4 satisfaction   expectation-disconfirmation; complaint resolution
    5 diffusion      customer news spreads between people, units and meetings
    6 transitions    prospects arrive and convert, deals close, projects complete
    7 renewal        contracts end: renew (re-priced) or churn
    8 word of mouth  referrals and reputation
    9 measurement    surveys, NPS and why; KPIs recorded

All randomness comes from ``model.rng``, one numpy Generator seeded from the scenario seed.
"""

from __future__ import annotations

import gc
from collections import Counter, deque
from typing import Any

import mesa
import numpy as np
import pandas as pd

from sim.agents import Customer, Employee, Leader
from sim.customers import (
    DELIVERY_STAGE,
    MAINTENANCE,
    NEVER,
    PRE_PURCHASE,
    SEGMENTS,
    UNIT_PAIRS,
    Accounts,
    promoter_detractor,
    renewal_phase,
    satisfaction_phase,
    word_of_mouth_phase,
)
from sim.engagement import engagement_phase, equilibrium
from sim.information import diffusion_phase
from sim.journey import CAUSES, CHANNELS, assign_seats, touchpoint_phase, touchpoint_rates, transition_phase
from sim.leadership import TRAITS, leadership_phase
from sim.measurement import EVENT_COUNTERS, FeedbackQueue, kpi_columns, kpi_row, measurement_phase
from sim.organisation import DELIVERY, N_UNITS, SALES, SUPPORT, UNITS, build_workforce, skill_phase, staffing_phase
from sim.sampling import draw_weighted
from sim.scenario import Scenario


class CXModel(mesa.Model):
    """Employees, customers and leaders of a B2B service company, week by week.

    Args:
        scenario: the validated scenario (defaults to the baseline company).
        seed: overrides the scenario's seed.
        collect: keep Mesa's DataCollector of headline KPIs.
        record: keep the per-step KPI record behind :meth:`timeseries` (off only to measure what
            data collection costs; the summary needs it).
    """

    def __init__(
        self, scenario: Scenario | None = None, *, seed: int | None = None, collect: bool = True, record: bool = True
    ) -> None:
        scenario = scenario if scenario is not None else Scenario()
        seed = scenario.seed if seed is None else int(seed)
        super().__init__(rng=seed)
        self.spec = scenario
        self.record = record
        self.seed = seed
        self.params = scenario.parameters
        segments = [getattr(scenario.customers.segments, name) for name in SEGMENTS]
        self.segment_share = np.array([s.share for s in segments])
        self.segment_value = np.array([s.contract_value for s in segments])
        self.segment_expectation = np.array([s.expectation for s in segments])
        self.counters: Counter[str] = Counter()
        self.last_counters: dict[str, float] = {k: 0 for k in EVENT_COUNTERS}
        self.step_stats: dict[str, float] = {}
        self.referrals_due = 0
        self.process_multiplier = np.ones(len(CHANNELS))
        self.touchpoint_rates = touchpoint_rates(self.params)
        self.feedback = FeedbackQueue(scenario.policies.feedback_delay_weeks)
        self.why_counts = np.zeros((len(CHANNELS), len(CAUSES)), dtype=np.int64)
        self._portfolio = np.zeros(0, dtype=np.int64)
        self._portfolio_week = -1
        self.survey_window: deque[tuple[float, float, float]] = deque(maxlen=self.params.measurement.nps_window_weeks)
        self.survey_totals = [0.0, 0.0, 0.0]  # promoters, detractors, answers in the window

        self.workforce = build_workforce(scenario, self.rng)
        self.unit_seats = [np.flatnonzero(self.workforce.unit == u) for u in range(N_UNITS)]
        self.leaders: list[Leader] = []
        for u, name in enumerate(UNITS):
            spec = getattr(scenario.organization.units, name).leader
            self.leaders.append(Leader(self, u, spec.style, spec.traits()))
        self._trait = {t: np.array([ld.traits[t] for ld in self.leaders]) for t in TRAITS}
        self._employees: list[Employee | None] = list(
            Employee.create_agents(self, self.workforce.size, seat=np.arange(self.workforce.size))
        )
        self._customers: list[Customer] = []

        cust = scenario.customers
        self.accounts = Accounts(int(1.1 * (cust.accounts + cust.prospects)) + 64)
        self._add_initial_customers(cust.accounts)
        self.add_prospects(cust.prospects)
        prom, det = promoter_detractor(self.accounts.satisfaction)
        c = self.accounts.customers()
        self.reputation = float(((prom & c).sum() - (det & c).sum()) / max(1, c.sum()))
        for _ in range(3):  # start people near their equilibrium, not at their bare disposition
            self.workforce.engagement = equilibrium(self)
        if scenario.warmup == 0:
            self._mark_cohort()

        self._columns = kpi_columns()
        self._col = {name: i for i, name in enumerate(self._columns)}
        self._kpis = np.full((scenario.steps, len(self._columns)), np.nan)
        self.datacollector = (
            mesa.DataCollector(model_reporters={name: _reporter(name) for name in HEADLINE_KPIS})
            if collect and record
            else None
        )

    # ------------------------------------------------------------------ the week
    def step(self) -> None:
        """One week: the nine phases in order, then the KPI record."""
        leadership_phase(self)
        engagement_phase(self)
        staffing_phase(self)
        skill_phase(self)
        tp = touchpoint_phase(self)
        satisfaction_phase(self, tp)
        diffusion_phase(self)
        transition_phase(self)
        renewal_phase(self)
        word_of_mouth_phase(self)
        survey = measurement_phase(self, tp)
        t = self.steps
        if t == self.spec.warmup:
            self._mark_cohort()
        if self.record and t <= self.spec.steps:
            self._kpis[t - 1] = kpi_row(self, tp, survey)
        if self.datacollector is not None:
            self.datacollector.collect(self)
        if t >= self.spec.steps:
            self.running = False

    def run(self) -> CXModel:
        """Run the scenario's horizon.

        The agents built so far are frozen out of the cyclic garbage collector while the run
        lasts (they live as long as the model), so its full collections stay cheap at 100,000
        agents; they are handed back afterwards so a finished model can be freed.
        """
        gc.freeze()
        try:
            while self.running and self.steps < self.spec.steps:
                self.step()
        finally:
            gc.unfreeze()
        return self

    # ------------------------------------------------------------------ results
    def timeseries(self, fill: bool = True) -> pd.DataFrame:
        """One row per step: KPIs overall and by stage, channel and unit.

        A KPI that a week cannot define (the quality of a channel nobody used that week, the
        satisfaction of an empty stage) is NaN in the record; ``fill`` carries the last defined
        value forward (then back, then 0) so that plots and tables have no holes.
        """
        n = min(self.steps, self.spec.steps)
        df = pd.DataFrame(self._kpis[:n], columns=self._columns)
        df.insert(0, "step", np.arange(1, n + 1))
        if fill:
            gaps = df.columns[df.isna().any()]
            df[gaps] = df[gaps].ffill().bfill().fillna(0.0)
        return df

    def latest(self, name: str) -> float:
        """The newest recorded value of a KPI."""
        return float(self._kpis[max(0, self.steps - 1), self._col[name]])

    def revenue_retention(self) -> float:
        """Net revenue retention of the cohort of customers at the end of the warm-up (ratio)."""
        acc = self.accounts
        base = acc.cohort_value.sum()
        if base <= 0:
            return float("nan")
        still = acc.customers() & (acc.cohort_value > 0)
        return float(acc.contract_value[still].sum() / base)

    def why_table(self) -> pd.DataFrame:
        """Detractors' why over the measured window: stage, channel, cause, count and share."""
        ch, cause = np.nonzero(self.why_counts)
        counts = self.why_counts[ch, cause]
        total = counts.sum()
        df = pd.DataFrame(
            {
                "stage": [CHANNELS[c].key.split(".")[0] for c in ch],
                "channel": [CHANNELS[c].name for c in ch],
                "cause": [CAUSES[c] for c in cause],
                "count": counts.astype(int),
                "share": counts / total if total else counts * 0.0,
            }
        )
        return df.sort_values(["count", "stage", "channel", "cause"], ascending=[False, True, True, True]).reset_index(
            drop=True
        )

    # ------------------------------------------------------------------ helpers used by the phases
    def unit_trait(self, trait: str) -> np.ndarray:
        """Per seat, the trait of the seat's unit leader."""
        return self._trait[trait][self.workforce.unit]

    def leader_trait_by_unit(self, trait: str) -> np.ndarray:
        return self._trait[trait]

    def portfolio_satisfaction(self) -> np.ndarray:
        """Per seat, the mean satisfaction of the accounts it serves (0.7 when it serves none)."""
        acc = self.accounts
        slot = acc.server_seat() + 1  # slot 0 collects the accounts nobody serves
        n = self.workforce.size
        counts = np.bincount(slot, minlength=n + 1)[1:]
        sums = np.bincount(slot, weights=acc.satisfaction, minlength=n + 1)[1:]
        out = np.full(n, 0.7)
        np.divide(sums, counts, out=out, where=counts > 0)
        return out

    def portfolios(self) -> np.ndarray:
        """Per seat, the accounts it serves in its unit's stages; counted once per week, then kept current.

        A seat belongs to one unit, so a single count over the accounts' serving seats gives every
        unit's portfolios at once.
        """
        if self._portfolio_week != self.steps:
            self._portfolio_week = self.steps
            slot = self.accounts.server_seat() + 1
            self._portfolio = np.bincount(slot, minlength=self.workforce.size + 1)[1:]
        return self._portfolio

    def random_colleagues(self, units: np.ndarray) -> np.ndarray:
        """A random filled seat of each given unit (-1 if the unit has nobody)."""
        w = self.workforce
        filled = np.flatnonzero(w.filled)  # seats are numbered unit by unit
        start = np.searchsorted(w.unit[filled], np.arange(N_UNITS + 1))
        first, count = start[units], np.diff(start)[units]
        pick = first + (self.rng.random(units.size) * count).astype(np.int64)
        if not filled.size:
            return np.full(units.size, -1, dtype=np.int64)
        return np.where(count > 0, filled[np.minimum(pick, filled.size - 1)], -1)

    def orphan_complaints(self, seats: np.ndarray) -> None:
        """Open complaints of people who quit stay open but no longer weigh on anybody."""
        acc = self.accounts
        acc.complaint_seat[acc.open_complaint & np.isin(acc.complaint_seat, seats)] = -1

    def forget_seats(self, seats: np.ndarray) -> None:
        """New hires know none of their seat's accounts.

        Unlike a colleague who takes over an account (and starts from what the unit has heard at
        the meetings they attended, see :func:`sim.journey.assign_seats`), a new hire has been to
        none of them: they learn from the customer or at their first meeting.
        """
        is_new = np.zeros(self.workforce.size, dtype=bool)
        is_new[seats] = True
        team = self.accounts.team
        for u in range(N_UNITS):
            col = team[:, u]
            m = (col >= 0) & is_new[np.maximum(col, 0)]
            self.accounts.known[m, u] = NEVER

    def refresh_ties(self, rows: np.ndarray) -> None:
        """Whether each pair of an account's team members are collaborators."""
        team = self.accounts.team[rows]
        tied = self.workforce.tied(team[:, _PAIR_A].ravel(), team[:, _PAIR_B].ravel())
        self.accounts.tied[rows] = tied.reshape(rows.size, len(UNIT_PAIRS))

    def close_complaints(self, rows: np.ndarray) -> None:
        """Complaints of accounts that leave the journey are closed unresolved."""
        acc = self.accounts
        rows = rows[acc.open_complaint[rows]]
        if rows.size:
            acc.open_complaint[rows] = False
            owned = rows[acc.complaint_seat[rows] >= 0]
            np.subtract.at(self.workforce.open_complaints, acc.complaint_seat[owned], 1.0)
            np.maximum(self.workforce.open_complaints, 0.0, out=self.workforce.open_complaints)

    def replace_employee_agents(self, seats: np.ndarray, hired: bool) -> None:
        """A quit removes the person's agent; a hire creates a new one in the seat."""
        if hired:
            for seat in seats.tolist():
                self._employees[seat] = Employee(self, seat)
        else:
            for seat in seats.tolist():
                agent = self._employees[seat]
                if agent is not None:
                    agent.remove()
                    self._employees[seat] = None

    def add_prospects(self, k: int) -> np.ndarray:
        """New prospects (marketing or referrals) enter pre-purchase with a sales contact."""
        acc, rng, t = self.accounts, self.rng, self.steps
        rows = acc.allocate(k)
        new = slice(acc.n - k, acc.n)  # new rows are contiguous
        acc.segment[new] = segment = self._draw_segments(k)
        acc.stage[new] = PRE_PURCHASE
        acc.created[new] = t
        acc.stage_since[new] = t
        sp = self.params.satisfaction
        acc.satisfaction[new] = np.clip(rng.normal(sp.prospect_satisfaction, sp.prospect_satisfaction_sd, k), 0, 1)
        acc.expectation[new] = self.segment_expectation[segment][:, None]
        assign_seats(self, rows, SALES)
        acc.known[new, SALES] = t
        acc.news[new] = t
        self._add_customer_agents(rows)
        return rows

    def _add_initial_customers(self, k: int) -> None:
        acc, rng = self.accounts, self.rng
        j = self.params.journey
        rows = acc.allocate(k)
        if not k:
            return
        acc.segment[rows] = self._draw_segments(k)
        in_maint = rng.random(k) < self.spec.customers.maintenance_share
        acc.stage[rows] = np.where(in_maint, MAINTENANCE, DELIVERY_STAGE)
        acc.created[rows] = -rng.integers(1, 260, k)
        acc.stage_since[rows] = 0
        s0 = self.params.satisfaction.initial_satisfaction
        acc.satisfaction[rows] = np.clip(rng.normal(s0, self.params.satisfaction.initial_satisfaction_sd, k), 0, 1)
        acc.expectation[rows] = self.segment_expectation[acc.segment[rows]][:, None]
        acc.contract_value[rows] = self.segment_value[acc.segment[rows]] * rng.lognormal(
            0.0, j.contract_value_spread, k
        )
        acc.contract_end[rows] = rng.integers(1, j.contract_weeks + 1, k)
        acc.project_end[rows] = np.where(in_maint, -1, rng.geometric(1.0 / max(j.project_weeks, 1.0), k))
        assign_seats(self, rows, SALES)
        assign_seats(self, rows, DELIVERY)
        maint = rows[in_maint]
        assign_seats(self, maint, SUPPORT, prefer_near=acc.team[maint, DELIVERY])
        # what each team member knows: the serving unit recently, the others longer ago
        age = rng.integers(0, 27, (k, N_UNITS))
        age[np.arange(k), np.where(in_maint, SUPPORT, DELIVERY)] = rng.integers(0, 4, k)
        acc.known[rows] = np.where(acc.team[rows] >= 0, -age, NEVER)
        acc.news[rows] = acc.known[rows].max(axis=1)
        self.refresh_ties(rows)
        self._add_customer_agents(rows)

    def _add_customer_agents(self, rows: np.ndarray) -> None:
        # plain construction: each agent registers itself with the model (no AgentSet per batch)
        self._customers.extend(Customer(self, row) for row in rows.tolist())

    def _draw_segments(self, k: int) -> np.ndarray:
        return draw_weighted(self.rng, self.segment_share, k).astype(np.int8)

    def _mark_cohort(self) -> None:
        acc = self.accounts
        acc.cohort_value[:] = np.where(acc.customers(), acc.contract_value, 0.0)

    def summary_state(self) -> dict[str, Any]:
        """Counts that check conservation: accounts per stage and end state."""
        acc = self.accounts
        return {
            "accounts_created": int(acc.n),
            "by_stage": np.bincount(acc.stage[acc.stage >= 0], minlength=6).tolist(),
        }


_PAIR_A = np.array([a for a, _ in UNIT_PAIRS])
_PAIR_B = np.array([b for _, b in UNIT_PAIRS])

#: KPIs Mesa's DataCollector keeps (the full record is in :meth:`CXModel.timeseries`)
HEADLINE_KPIS = ("satisfaction", "nps", "engagement", "info_age_weeks", "customers", "churned", "recurring_revenue")


def _reporter(name: str):
    def report(model: CXModel) -> float:
        return model.latest(name)

    report.__name__ = name
    return report
