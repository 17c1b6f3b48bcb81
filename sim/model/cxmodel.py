"""CXModel: the Mesa model that runs the nine phases of a week over columnar agent state.

Scheduling (one step = one week; ODD "Process overview and scheduling")::

    0 interventions  timed events take effect (the scenario's ``events``)
    1 leadership     leaders act on delayed survey feedback (process fixes)
    2 engagement     job demands-resources; then staffing (quits, hires) and skill growth
    3 touchpoints    accounts meet capacity-limited employees over their stage's channels; standards adapt
    4 satisfaction   expectation-disconfirmation; complaint resolution
    5 diffusion      customers tell their server; facts spread between collaborators and at meetings
    6 transitions    prospects arrive from the market (Bass) and convert, deals close, projects complete
    7 renewal        contracts end: renew (re-priced) or churn
    8 word of mouth  reputation (how far customers' word of mouth carries into the market)
    9 measurement    surveys, NPS and why; KPIs recorded

The phases act on a :class:`~sim.model.world.World` (the state stores); the model owns it, steps
it, records its KPIs, and keeps its Mesa agents in line with the stores. All randomness comes
from ``model.rng``, one numpy Generator per run.
"""

from __future__ import annotations

import gc
from typing import TYPE_CHECKING, Any

import mesa
import numpy as np
import pandas as pd

from sim.model.agents import Customer, Employee, Leader
from sim.model.initialization import build_world
from sim.model.kpis import KpiRecord
from sim.model.phases.diffusion import diffusion_phase
from sim.model.phases.engagement import engagement_phase
from sim.model.phases.interventions import intervention_phase
from sim.model.phases.leadership import leadership_phase
from sim.model.phases.measurement import measurement_phase
from sim.model.phases.renewal import renewal_phase
from sim.model.phases.satisfaction import satisfaction_phase
from sim.model.phases.staffing import skill_phase, staffing_phase
from sim.model.phases.touchpoints import touchpoint_phase
from sim.model.phases.transitions import transition_phase
from sim.model.phases.word_of_mouth import word_of_mouth_phase
from sim.model.tallies import recovery_table, renewal_table, segment_table, team_table
from sim.scenario.loading import set_override, validate_scenario
from sim.scenario.schema import Scenario
from sim.vocabulary import CAUSES, CHANNELS, STAGES, UNITS

if TYPE_CHECKING:
    from sim.model.accounts import Accounts
    from sim.model.workforce import Workforce
    from sim.model.world import World

#: the model's flat keyword parameters (for SolaraViz controls and ``mesa.batch_run``) and the
#: scenario key each one sets; ``leadership`` sets every unit's leader style
LEVERS: dict[str, str] = {
    "leadership": "organization.units.*.leader",
    "cx_commitment": "organization.executive.cx_commitment",
    "cross_unit_ties": "organization.cross_unit_ties",
    "meeting_every_weeks": "organization.meeting_every_weeks",
    "sales_employees": "organization.units.sales.employees",
    "delivery_employees": "organization.units.delivery.employees",
    "support_employees": "organization.units.support.employees",
    "accounts": "customers.accounts",
    "licence_to_sell": "policies.licence_to_sell",
    "licence_to_deliver": "policies.licence_to_deliver",
    "empowerment": "policies.empowerment",
    "transfer_meeting": "policies.transfer_meeting",
    "user_stories": "policies.user_stories",
    "shared_customer_record": "policies.shared_customer_record",
    "cx_incentives": "policies.cx_incentives",
    "recruit_for_attitude": "policies.recruit_for_attitude",
    "survey_coverage": "policies.survey_coverage",
    "ask_why": "policies.ask_why",
    "feedback_delay_weeks": "policies.feedback_delay_weeks",
    "steps": "steps",
}

#: KPIs Mesa's DataCollector keeps (the full record is in :meth:`CXModel.timeseries`)
HEADLINE_KPIS = ("satisfaction", "nps", "engagement", "info_age_weeks", "customers", "churned", "recurring_revenue")


class CXModel(mesa.Model):
    """Employees, customers and leaders of a B2B service company, week by week.

    Args:
        config: the validated scenario (defaults to the baseline company).
        rng: the seed of the run's generator, as in Mesa: an int gives a reproducible run (the
            CLI and batches pass the scenario's ``seed``), None fresh entropy (the seed drawn is
            kept in ``model.seed``, so the run can be repeated).
        scenario: Mesa's own scenario object (SolaraViz passes it on Reset); cxsim's input is
            ``config``.
        collect: keep Mesa's DataCollector of headline KPIs.
        record: keep the per-step KPI record behind :meth:`timeseries` (off only to measure what
            data collection costs; the summary needs it).
        leadership, cx_commitment, cross_unit_ties, ...: the main levers as flat keywords (see :data:`LEVERS`
            for the scenario key each sets); None keeps the scenario's value.
    """

    def __init__(
        self,
        config: Scenario | None = None,
        *,
        rng: int | None = None,
        scenario: Any = None,
        collect: bool = True,
        record: bool = True,
        leadership: str | None = None,
        cx_commitment: float | None = None,
        cross_unit_ties: float | None = None,
        meeting_every_weeks: int | None = None,
        sales_employees: int | None = None,
        delivery_employees: int | None = None,
        support_employees: int | None = None,
        accounts: int | None = None,
        licence_to_sell: bool | None = None,
        licence_to_deliver: bool | None = None,
        empowerment: bool | None = None,
        transfer_meeting: bool | None = None,
        user_stories: bool | None = None,
        shared_customer_record: bool | None = None,
        cx_incentives: bool | None = None,
        recruit_for_attitude: bool | None = None,
        survey_coverage: float | None = None,
        ask_why: bool | None = None,
        feedback_delay_weeks: int | None = None,
        steps: int | None = None,
    ) -> None:
        levers = {
            "leadership": leadership,
            "cx_commitment": cx_commitment,
            "cross_unit_ties": cross_unit_ties,
            "meeting_every_weeks": meeting_every_weeks,
            "sales_employees": sales_employees,
            "delivery_employees": delivery_employees,
            "support_employees": support_employees,
            "accounts": accounts,
            "licence_to_sell": licence_to_sell,
            "licence_to_deliver": licence_to_deliver,
            "empowerment": empowerment,
            "transfer_meeting": transfer_meeting,
            "user_stories": user_stories,
            "shared_customer_record": shared_customer_record,
            "cx_incentives": cx_incentives,
            "recruit_for_attitude": recruit_for_attitude,
            "survey_coverage": survey_coverage,
            "ask_why": ask_why,
            "feedback_delay_weeks": feedback_delay_weeks,
            "steps": steps,
        }
        if rng is None and scenario is not None and isinstance(getattr(scenario, "rng", None), int | np.integer):
            rng = int(scenario.rng)
        if config is not None and not isinstance(config, Scenario):
            raise TypeError(f"config must be a Scenario (see sim.scenario.load_scenario), not {type(config).__name__}")
        seed = int(np.random.SeedSequence().entropy % 2**63) if rng is None else _seed(rng)
        super().__init__(rng=seed)
        if scenario is not None:
            self.scenario = scenario
        self.config = with_levers(config if config is not None else Scenario(), levers).model_copy(
            update={"seed": seed}
        )
        self.seed = seed
        self.record = record
        self.world: World = build_world(self.config, self.rng)
        world = self.world
        self.leaders = [Leader(self, k, int(unit)) for k, unit in enumerate(world.workforce.team_unit)]
        self._employees: list[Employee | None] = list(
            Employee.create_agents(self, self.world.workforce.size, seat=np.arange(self.world.workforce.size))
        )
        self._customers: list[Customer | None] = []
        self._sync_customers()
        self._kpis = KpiRecord(self.config.steps)
        self.datacollector = (
            mesa.DataCollector(model_reporters={name: _reporter(name) for name in HEADLINE_KPIS})
            if collect and record
            else None
        )

    # ------------------------------------------------------------------ the week
    def step(self) -> None:
        """One week: the nine phases in order, then the KPI record and the agents."""
        world = self.world
        world.week = t = self.steps
        intervention_phase(world)
        leadership_phase(world)
        engagement_phase(world)
        staffing_phase(world)
        skill_phase(world)
        tp = touchpoint_phase(world)
        satisfaction_phase(world, tp)
        diffusion_phase(world)
        transition_phase(world)
        renewal_phase(world)
        word_of_mouth_phase(world)
        survey = measurement_phase(world, tp)
        if t == self.config.warmup:
            world.mark_cohort()
        if self.record and t <= self.config.steps:
            self._kpis.record(t, world, tp, survey)
            if t > self.config.warmup:
                world.tallies.week(world, tp)
        self._sync_employees()
        self._sync_customers()
        if self.datacollector is not None:
            self.datacollector.collect(self)
        if t >= self.config.steps:
            self.running = False

    def run(self) -> CXModel:
        """Run the scenario's horizon.

        The agents built so far are frozen out of the cyclic garbage collector while the run
        lasts (they live as long as the model), so its full collections stay cheap at 100,000
        agents; they are handed back afterwards so a finished model can be freed.
        """
        gc.freeze()
        try:
            while self.running and self.steps < self.config.steps:
                self.step()
        finally:
            gc.unfreeze()
        return self

    # ------------------------------------------------------------------ the agents
    def _sync_employees(self) -> None:
        """A quit removes the person's agent; a hire creates a new one in the seat."""
        changes = self.world.staff_changes
        for seats in changes.quits:
            for seat in seats.tolist():
                agent = self._employees[seat]
                if agent is not None:
                    agent.remove()
                    self._employees[seat] = None
        for seats in changes.hires:
            for seat in seats.tolist():
                self._employees[seat] = Employee(self, seat)
        changes.clear()

    def _sync_customers(self) -> None:
        """New accounts get an agent; an account that churned or was lost this week leaves the AgentSet."""
        acc = self.world.accounts
        first = len(self._customers)
        self._customers.extend(Customer(self, row) for row in range(first, acc.n))
        ended = np.flatnonzero(acc.ended_at[: acc.n] == self.steps) if self.steps else np.zeros(0, dtype=np.int64)
        for row in ended.tolist():
            agent = self._customers[row]
            if agent is not None:
                agent.remove()
                self._customers[row] = None

    # ------------------------------------------------------------------ state and results
    @property
    def accounts(self) -> Accounts:
        """The account store (every account ever created, one row each)."""
        return self.world.accounts

    @property
    def workforce(self) -> Workforce:
        """The workforce store (one row per seat)."""
        return self.world.workforce

    def timeseries(self, fill: bool = True) -> pd.DataFrame:
        """One row per step: KPIs overall and by stage, channel and unit.

        A KPI that a week cannot define (the quality of a channel nobody used that week, the
        satisfaction of an empty stage) is NaN in the record; ``fill`` carries the last defined
        value forward (then back, then 0) so that plots and tables have no holes.
        """
        n = min(self.steps, self.config.steps)
        df = pd.DataFrame(self._kpis.rows[:n], columns=self._kpis.columns)
        df.insert(0, "step", np.arange(1, n + 1))
        if fill:
            gaps = df.columns[df.isna().any()]
            df[gaps] = df[gaps].ffill().bfill().fillna(0.0)
        return df

    def latest(self, name: str) -> float:
        """The newest recorded value of a KPI."""
        return float(self._kpis.rows[max(0, self.steps - 1), self._kpis.index[name]])

    def revenue_retention(self) -> float:
        """Net revenue retention of the cohort of customers at the end of the warm-up (ratio)."""
        acc = self.world.accounts
        base = acc.cohort_value.sum()
        if base <= 0:
            return float("nan")
        still = acc.customers() & (acc.cohort_value > 0)
        return float(acc.contract_value[still].sum() / base)

    def gross_revenue_retention(self) -> float:
        """Gross revenue retention of the end-of-warm-up cohort (ratio): its contract value still under
        contract, each contract counted at most at its value then (expansion left out, contraction and
        churn counted; SaaS Capital's definition)."""
        acc = self.world.accounts
        base = acc.cohort_value.sum()
        if base <= 0:
            return float("nan")
        still = acc.customers() & (acc.cohort_value > 0)
        return float(np.minimum(acc.contract_value[still], acc.cohort_value[still]).sum() / base)

    def team_table(self) -> pd.DataFrame:
        """One row per team over the measured window: engagement, turnover and the outcomes of the accounts it serves.

        Columns: ``team``, ``unit``, ``leader_style`` (at the end of the run), ``size`` (seats),
        ``headcount`` (mean filled seats), ``engagement`` (mean over its people's weeks), ``quits``,
        ``turnover_rate`` (quits per year / headcount), ``accounts_served`` (mean accounts in the
        journey whose current stage its members serve: prospects and deals for sales teams),
        ``satisfaction`` and ``nps`` (census, over those accounts' weeks), ``renewals`` and
        ``churned`` (contracts its members' accounts decided at renewal, and lost),
        ``churn_rate_at_renewal``, ``revenue_served`` (mean annual contract value of the customers
        it serves, EUR). Undefined values (a team without renewals) are NaN.
        """
        return team_table(self.world)

    def segment_table(self) -> pd.DataFrame:
        """One row per customer segment over the measured window: customers, satisfaction, NPS, churn, revenue.

        Columns: ``segment``, ``accounts`` (in the journey at the end), ``customers`` (mean),
        ``customers_final``, ``satisfaction`` and ``nps`` (census, over customer-weeks), ``churned``,
        ``annual_churn_rate``, ``revenue_churn_rate``, ``revenue_per_year`` (EUR; the segments add
        up to the run's ``revenue_per_year``), ``recurring_revenue_final`` and
        ``net_revenue_retention`` (of the segment's end-of-warm-up cohort, annualised).
        """
        return segment_table(self.world)

    def renewal_table(self) -> pd.DataFrame:
        """Renewal decisions over the measured window by the customer's satisfaction at the decision.

        One row per census class (``band``: detractor, passive, promoter, with ``satisfaction_from`` and
        ``satisfaction_to``) and then per satisfaction bin (``band`` = ``bin``): ``decisions``,
        ``churned`` and ``churn_rate``.
        """
        return renewal_table(self.world)

    def recovery_table(self) -> pd.DataFrame:
        """Customers' satisfaction before and some weeks after a single service failure, by its recovery.

        One row per ``recovery`` class (no_failure, quick, slow, unresolved): ``episodes``,
        ``satisfaction_before``, ``satisfaction_after``, ``change`` and ``change_sd``
        (:class:`sim.model.tallies.RecoveryFollowUp`).
        """
        return recovery_table(self.world)

    @property
    def event_log(self) -> list[dict[str, Any]]:
        """The timed events applied so far: week, event (its index in ``events``), start or end, keys."""
        return self.world.event_log

    def why_table(self) -> pd.DataFrame:
        """Detractors' why over the measured window: stage, channel, cause, count and share."""
        why = self.world.why_counts
        ch, cause = np.nonzero(why)
        counts = why[ch, cause]
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

    def summary_state(self) -> dict[str, Any]:
        """Counts that check conservation: accounts per stage and end state."""
        acc = self.world.accounts
        return {
            "accounts_created": int(acc.n),
            "by_stage": np.bincount(acc.stage[acc.stage >= 0], minlength=len(STAGES) + 2).tolist(),
        }


def with_levers(config: Scenario, levers: dict[str, Any]) -> Scenario:
    """The scenario with each given lever (not None) set at its key path, validated again."""
    given = {name: value for name, value in levers.items() if value is not None}
    if not given:
        return config
    raw = config.model_dump()
    origins: dict[str, str] = {}
    for name, value in given.items():
        head, star, tail = LEVERS[name].partition(".*.")
        paths = [f"{head}.{unit}.{tail}" for unit in UNITS] if star else [head]
        for path in paths:
            origins[path] = f"CXModel({name}=...)"
            set_override(raw, path, value, source=origins[path])
    return validate_scenario(raw, "CXModel", origins)


def _seed(rng: Any) -> int:
    """The run's whole-number seed from what Mesa accepts as ``rng``.

    A Generator or SeedSequence gives one draw, so the run still has a seed to record and repeat.
    """
    if isinstance(rng, np.random.Generator):
        return int(rng.integers(2**63))
    if isinstance(rng, np.random.SeedSequence):
        return int(rng.generate_state(1, np.uint64)[0] >> np.uint64(1))
    if isinstance(rng, bool) or not isinstance(rng, int | np.integer):
        raise TypeError(
            f"rng must be a whole number, a numpy Generator or SeedSequence, or None, not {type(rng).__name__}"
        )
    if not 0 <= int(rng) < 2**63:
        raise ValueError(f"rng must be a whole number from 0 to 2**63 - 1, not {int(rng)}")
    return int(rng)


def _reporter(name: str):
    def report(model: CXModel) -> float:
        return model.latest(name)

    report.__name__ = name
    return report
