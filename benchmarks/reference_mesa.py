"""The core rules of cxsim written the way most Mesa models are: one Python object per agent.

The real model (:class:`sim.model.CXModel`) keeps agent state in numpy columns and runs each
week as vectorised phases. This module states its *core rules* plainly — ``mesa.Agent``
subclasses with per-agent methods, ``AgentSet.shuffle_do`` scheduling, scalar draws from
``model.rng`` and per-agent dicts and lists — as a yardstick for performance and a readable
statement of the rules. It covers the core-rules configuration (:func:`core_rules_scenario`):
every account is a maintenance customer served by its support team member over email tickets,
with no new business, no quits, no learning, no service failures, no training and no corner cutting
(service standards stay at the time the work requires).

One week (``t`` = ``model.steps``), in the real model's phase order:

1. engagement moves toward its job demands-resources equilibrium         ``Employee.step``
2. accounts raise tickets; support staff serve them        ``Account.step``, ``Employee.serve``
3. satisfaction follows the week's tickets                            ``Account.evaluate``
4. customers tell their server something new; every holder of a fact tells each collaborator
   (independent cascade; people off the account's team only while the fact is fresh)
                                                           ``Account.tell_news``, ``Employee.share``
   team meetings and the executive meeting pass facts on   ``Team.meeting``, ``ReferenceModel.executive_meeting``
5. contracts that end renew (re-priced) or churn                         ``Account.renew``

An account's information is its K latest facts (:class:`Fact`); each person holds a set of
them. Information moves synchronously, as in the real model: colleagues' messages are
collected first and delivered after everyone has shared. Engagement is updated one person
after another in random order (Mesa's usual asynchronous activation) where the real model
updates everyone at once; the docking test (``tests/test_reference_docking.py``) shows no
measurable difference. In the core-rules configuration the support team member serves every
ticket and hears everything the customer says, so tickets are never stale there: the
information rules are stated here in full, but the docking test checks them only through
their (absent) effect on satisfaction and churn.

Run ``python -m benchmarks.reference_mesa`` to time both models on the same scenario.
"""

from __future__ import annotations

import math
import time
from typing import Any

import mesa
import numpy as np

from sim.model.workforce import collaboration_network, split_into_teams
from sim.scenario.schema import Scenario, deep_merge
from sim.vocabulary import DELIVERY, SALES, SUPPORT, UNITS, WEEKS_PER_YEAR


def core_rules_scenario(
    accounts: int = 600,
    employees: tuple[int, int, int] = (40, 50, 30),
    steps: int = 156,
    seed: int = 42,
    warmup: int = 26,
) -> Scenario:
    """The baseline company with everything outside the core rules switched off.

    All accounts in maintenance and no prospects; no arrivals from the market (Bass innovation
    and imitation 0) and no new projects; no quits, learning or service failures; no corner cutting
    (so no eroding service standards); no licence training or CX incentives; no surveys, so no
    reports and no process fixes.
    """
    sales, delivery, support = employees
    overrides = {
        "name": "core_rules",
        "seed": seed,
        "steps": steps,
        "warmup": warmup,
        "organization": {
            "units": {
                "sales": {"employees": sales},
                "delivery": {"employees": delivery},
                "support": {"employees": support},
            }
        },
        "customers": {"accounts": accounts, "prospects": 0, "maintenance_share": 1.0},
        "policies": {
            "licence_to_sell": False,
            "licence_to_deliver": False,
            "cx_incentives": False,
            "survey_coverage": 0.0,
        },
        "parameters": {
            "journey": {"new_project_rate": 0.0},
            "market": {"innovation": 0.0, "imitation": 0.0},
            "staffing": {"base_quit_rate": 0.0, "learning_rate": 0.0},
            "service": {"base_failure_rate": 0.0, "corner_cutting": 0.0},
        },
    }
    raw = deep_merge(Scenario().model_dump(), overrides)
    for segment in raw["customers"]["segments"].values():  # the market scaled with the company (none arrive)
        potential = segment["market_potential"]
        segment["market_potential"] = max(potential, round(potential * accounts / 600))
    return Scenario.model_validate(raw)


def _check_core_rules(sc: Scenario) -> None:
    """Refuse a scenario that relies on rules the reference leaves out."""
    p, pol = sc.parameters, sc.policies
    outside = {
        "customers.maintenance_share": sc.customers.maintenance_share != 1.0,
        "customers.prospects": sc.customers.prospects != 0,
        "parameters.market.innovation": p.market.innovation != 0,
        "parameters.market.imitation": p.market.imitation != 0,
        "parameters.journey.new_project_rate": p.journey.new_project_rate != 0,
        "parameters.staffing.base_quit_rate": p.staffing.base_quit_rate != 0,
        "parameters.staffing.learning_rate": p.staffing.learning_rate != 0,
        "parameters.service.base_failure_rate": p.service.base_failure_rate != 0,
        "parameters.service.corner_cutting": p.service.corner_cutting != 0,
        "policies (licences, cx_incentives, shared record)": pol.licence_to_sell
        or pol.licence_to_deliver
        or pol.cx_incentives
        or pol.shared_customer_record,
        "policies.survey_coverage": pol.survey_coverage != 0,
        # the executive's commitment at the reference level adds nothing to engagement
        "organization.executive.cx_commitment": sc.organization.executive.cx_commitment
        != p.engagement.leader_trait_reference,
        "organization.units.*.leader_mix": any(getattr(sc.organization.units, u).leader_mix is not None for u in UNITS),
    }
    bad = [name for name, off in outside.items() if off]
    if bad:
        raise ValueError(f"the reference covers only the core-rules configuration; not switched off: {bad}")


def _clip(x: float, lo: float = 0.0, hi: float = 1.0) -> float:
    return lo if x < lo else hi if x > hi else x


class Fact:
    """Something a customer said: its account, the week it was said, and who holds it (dicts keep
    insertion order, so a seeded run iterates the same way every time)."""

    __slots__ = ("account", "holders", "week")

    def __init__(self, account: Account, week: int) -> None:
        self.account, self.week = account, week
        self.holders: dict[Employee, None] = {}


class Employee(mesa.Agent):
    """A person in a unit: engagement, skill, service orientation, workload, and what they know.

    ``facts`` holds the customer facts this person knows (as dict keys): of the accounts whose
    team they are on, until newer facts supersede them; of other accounts, only while fresh.
    """

    model: ReferenceModel

    def __init__(self, model: ReferenceModel, unit: int, leader: Leader, capacity: float) -> None:
        super().__init__(model)
        rng, p = model.rng, model.params
        self.unit, self.leader, self.capacity = unit, leader, capacity
        self.disposition = _clip(rng.normal(p.engagement.disposition_mean, p.engagement.disposition_sd))
        self.engagement = self.disposition
        self.orientation = _clip(rng.normal(p.staffing.orientation_mean, p.staffing.orientation_sd))
        self.skill = _clip(rng.normal(p.staffing.experienced_skill_mean, p.staffing.experienced_skill_sd), 0.05, 0.95)
        self.utilisation = 0.0  # smoothed load
        self.load = 0.0  # this week's tickets x channel load / capacity
        self.collaborators: set[Employee] = set()
        self.accounts: list[Account] = []  # the accounts whose team this person is on
        self.facts: dict[Fact, None] = {}
        self.tickets: list[Account] = []
        self.inbox: dict[Fact, None] = {}

    def portfolio_satisfaction(self) -> float:
        """Mean satisfaction of the accounts this person serves (support serves maintenance); 0.7 if none."""
        if self.unit != SUPPORT or not self.accounts:
            return 0.7
        return sum(a.satisfaction for a in self.accounts) / len(self.accounts)

    def equilibrium(self) -> float:
        """E* = disposition + w_s (support - .5) + w_r (recognition - .5) + w_cl (climate - .5)
        + w_i (information sharing - .5) + w_p (peers' mean - .5) + w_c (served accounts' satisfaction - .7)
        - w_o max(0, utilisation - 1), clipped to [0, 1]."""
        p = self.model.params.engagement
        peers = [c.engagement for c in self.collaborators]
        peer_mean = sum(peers) / len(peers) if peers else 0.5
        target = (
            self.disposition
            + p.leader_support_weight * (self.leader.traits["support"] - 0.5)
            + p.recognition_weight * (self.leader.traits["recognition"] - 0.5)
            + p.climate_weight * (self.model.climate - 0.5)
            + p.information_care_weight * (self.leader.traits["information_sharing"] - 0.5)
            + p.peer_weight * (peer_mean - 0.5)
            + p.customer_weight * (self.portfolio_satisfaction() - 0.7)
            - p.overload_weight * max(0.0, self.utilisation - 1.0)
        )
        return _clip(target)

    def on_team(self, fact: Fact) -> bool:
        return fact.account.team[self.unit] is self

    def learn(self, fact: Fact) -> None:
        """Hold a fact: one of my accounts' that is still among its latest, or anybody's while it is fresh."""
        if fact in fact.account.facts and (self.on_team(fact) or self.model.fresh(fact)):
            self.facts[fact] = None
            fact.holders[self] = None

    def forget_stale(self) -> None:
        """Facts of other accounts that are no longer fresh are forgotten."""
        for fact in [f for f in self.facts if not self.on_team(f) and not self.model.fresh(f)]:
            del self.facts[fact]
            del fact.holders[self]

    def step(self) -> None:
        """Engagement (JD-R): U <- U + m (load - U);  E <- clip(E + a (E* - E) + N(0, sd))."""
        p = self.model.params.engagement
        self.utilisation += p.workload_memory * (self.load - self.utilisation)
        noise = self.model.rng.normal(0.0, p.noise_sd) if p.noise_sd > 0 else 0.0
        self.engagement = _clip(self.engagement + p.adjustment_rate * (self.equilibrium() - self.engagement) + noise)

    def serve(self) -> None:
        """Serve this week's tickets. Perceived quality of each::

            q = clip(base + N(0, noise) + w_e E + w_s skill + w_o orientation + w_r richness
                     - repeat_cost * missing                   # recent facts the server lacks
                     - slow * response_weeks * (1 + overload) - overload_penalty * overload)

        with ``overload = max(0, load - 1)``. The information age of a ticket is the age of the
        oldest fact the server lacks (0 if none). Afterwards the customer of a stale ticket has
        repeated the newest fact the server lacked (the server holds it), and each ticket brings a
        new fact with ``touchpoint_news_share``. (Core rules have no service failures, and the
        server here always holds every fact, so a wrong action never arises.)
        """
        model, rng, sv = self.model, self.model.rng, self.model.params.service
        ip = model.params.information
        t = model.steps
        tickets = model.config.channels.maintenance.email_tickets  # the stage's only channel
        self.load = len(self.tickets) * tickets.load / self.capacity
        if not self.tickets:
            return
        overload = max(0.0, self.load - 1.0)
        slow = sv.slow_response_penalty * tickets.response_days / 7.0
        delivered = (
            sv.base_quality
            + sv.engagement_weight * self.engagement
            + sv.skill_weight * self.skill
            + sv.orientation_weight * self.orientation
            + sv.richness_weight * tickets.richness
            - slow * (1.0 + overload)
            - sv.overload_penalty * overload
        )
        repeated = []
        for account in self.tickets:
            missing = [f for f in account.facts if f not in self.facts]
            quality = delivered + rng.normal(0.0, sv.perception_noise_sd) - ip.repeat_cost * len(missing)
            account.experiences.append(_clip(quality))
            age = t - min(f.week for f in missing) if missing else 0
            model.touchpoint_log(min(age, ip.info_age_cap_weeks), bool(missing))
            if missing:
                repeated.append(max(missing, key=lambda f: f.week))
        for fact in repeated:
            self.learn(fact)
        for account in self.tickets:
            if rng.random() < ip.touchpoint_news_share:
                account.say(self)
        self.tickets.clear()

    def share(self) -> None:
        """Tell each collaborator each fact I hold, with q = rate * E * culture (one cascade trial each).

        culture = f + (1 - f) ((1 - w) sharing + w climate). A fresh fact may go to anybody; an
        older one only to a collaborator on the account's team (nobody else would keep it), and
        only if they lack it. Messages are delivered by :meth:`absorb` once everyone has shared.
        """
        rng, ip = self.model.rng, self.model.params.information
        mix = (1 - ip.norm_weight) * self.leader.traits["information_sharing"] + ip.norm_weight * self.model.climate
        q = ip.peer_share_rate * self.engagement * (ip.culture_floor + (1 - ip.culture_floor) * mix)
        for fact in list(self.facts):
            if self.model.fresh(fact):
                for mate in self.collaborators:
                    if rng.random() < q:
                        mate.inbox[fact] = None
            else:
                for mate in fact.account.team:
                    if mate in self.collaborators and fact not in mate.facts and rng.random() < q:
                        mate.inbox[fact] = None

    def absorb(self) -> None:
        for fact in self.inbox:
            self.learn(fact)
        self.inbox.clear()


class Team:
    """A team leader's people (teams of ``span_of_control`` within a unit)."""

    def __init__(self, model: ReferenceModel, leader: Leader) -> None:
        self.model, self.leader = model, leader
        self.members: list[Employee] = []

    def topics(self) -> list[Fact]:
        """The fresh facts the members hold about accounts whose team they are on (once each)."""
        return list({f: None for m in self.members for f in m.facts if m.on_team(f) and self.model.fresh(f)})

    def meeting(self, topics: list[Fact]) -> None:
        """Each topic comes up with probability meeting_share * sharing; then every member holds it."""
        rng, ip = self.model.rng, self.model.params.information
        share = ip.meeting_share * self.leader.traits["information_sharing"]
        for fact in topics:
            if rng.random() < share:
                for member in self.members:
                    member.learn(fact)


class Leader(mesa.Agent):
    """A unit's leaders (every team leader of a unit has the unit's style in the core rules)."""

    model: ReferenceModel

    def __init__(self, model: ReferenceModel, unit: int, traits: dict[str, float]) -> None:
        super().__init__(model)
        self.unit, self.traits = unit, dict(traits)
        self.members: list[Employee] = []


class Account(mesa.Agent):
    """A maintenance customer: satisfaction, expectation, contract, its team (one member per unit), its news."""

    model: ReferenceModel

    def __init__(self, model: ReferenceModel, segment: int) -> None:
        super().__init__(model)
        rng, p = model.rng, model.params
        spec = model.segment_specs[segment]
        self.segment = segment
        self.satisfaction = _clip(
            rng.normal(p.satisfaction.initial_satisfaction, p.satisfaction.initial_satisfaction_sd)
        )
        self.expectation = spec.expectation
        self.contract_value = spec.contract_value * rng.lognormal(0.0, p.journey.contract_value_spread)
        self.contract_end = int(rng.integers(1, p.journey.contract_weeks + 1))
        self.team: list[Employee] = []
        self.facts: list[Fact] = []  # the K latest, oldest first
        self.experiences: list[float] = []

    def say(self, hearer: Employee | None, week: int | None = None) -> Fact:
        """The customer says something new to ``hearer``: the oldest of K facts is superseded."""
        fact = Fact(self, self.model.steps if week is None else week)
        self.facts.append(fact)
        if len(self.facts) > self.model.params.information.facts_per_account:
            old = self.facts.pop(0)
            for holder in old.holders:
                del holder.facts[old]
        if hearer is not None:
            hearer.learn(fact)
        return fact

    def step(self) -> None:
        """Raise a Poisson(maintenance_touchpoints) number of tickets with the support team member."""
        for _ in range(self.model.rng.poisson(self.model.params.journey.maintenance_touchpoints)):
            self.team[SUPPORT].tickets.append(self)

    def evaluate(self) -> None:
        """Expectation-disconfirmation over the week's mean ticket quality P, expectation E::

        D = P - E (x negative_gap_weight if < 0);  S_t = clip(w P + (1 - w)(E + g D))
        S <- S + memory (S_t - S);  E <- E + adaptation (P - E)
        """
        if not self.experiences:
            return
        s = self.model.params.satisfaction
        perf = sum(self.experiences) / len(self.experiences)
        self.experiences.clear()
        gap = perf - self.expectation
        weighted = s.negative_gap_weight * gap if gap < 0 else gap
        now = _clip(
            s.performance_weight * perf
            + (1 - s.performance_weight) * (self.expectation + s.disconfirmation_gain * weighted)
        )
        self.satisfaction += s.memory * (now - self.satisfaction)
        self.expectation += s.expectation_adaptation * (perf - self.expectation)

    def tell_news(self) -> None:
        """With probability news_rate the customer tells whoever serves them now (support) something new."""
        if self.model.rng.random() < self.model.params.information.news_rate:
            self.say(self.team[SUPPORT])

    def renew(self) -> None:
        """At contract end: churn with P = 1 / (1 + exp(-(a - b S))); else renew for another
        term at value x clip(1 + 2 expansion_rate (S - 0.5), 0.5, 2)."""
        if self.model.steps != self.contract_end:
            return
        r = self.model.params.renewal
        if self.model.rng.random() < 1.0 / (1.0 + math.exp(-(r.churn_intercept - r.churn_slope * self.satisfaction))):
            self.leave()
            return
        self.contract_value *= _clip(1.0 + r.expansion_rate * 2.0 * (self.satisfaction - 0.5), 0.5, 2.0)
        self.contract_end += self.model.params.journey.contract_weeks

    def leave(self) -> None:
        """A churned account leaves its team members' portfolios and memories, and the model."""
        self.model.churned += 1
        for member in self.team:
            member.accounts.remove(self)
        for fact in self.facts:
            for holder in fact.holders:
                del holder.facts[fact]
        self.remove()


class ReferenceModel(mesa.Model):
    """The core rules of :class:`sim.model.CXModel`, one object per agent.

    Args:
        scenario: a core-rules scenario (default :func:`core_rules_scenario`).
        seed: overrides the scenario's seed.
    """

    def __init__(self, scenario: Scenario | None = None, *, seed: int | None = None) -> None:
        scenario = core_rules_scenario() if scenario is None else scenario
        seed = scenario.seed if seed is None else int(seed)
        super().__init__(rng=seed)
        _check_core_rules(scenario)
        self.config, self.params = scenario, scenario.parameters
        segs = scenario.customers.segments
        self.segment_specs = [segs.small, segs.mid_market, segs.enterprise]
        self.churned = 0
        self.climate = scenario.organization.executive.cx_commitment
        self.kpis: list[dict[str, float]] = []
        self._tp = [0, 0.0, 0]  # this week's touchpoints, summed information age, stale touchpoints
        self._build_company()
        self._build_accounts(scenario.customers.accounts)
        for _ in range(3):  # start people near their equilibrium (all at once, as the real model does)
            targets = [e.equilibrium() for e in self.employees]
            for e, target in zip(self.employees, targets, strict=True):
                e.engagement = target

    @property
    def employees(self) -> mesa.AgentSet[Employee]:
        return self.agents_by_type[Employee]

    @property
    def accounts(self) -> mesa.AgentSet[Account]:
        return self.agents_by_type[Account]

    def _build_company(self) -> None:
        """Leaders, people, and the real model's collaboration network (small-world units, cross ties)."""
        org = self.config.organization
        specs = [getattr(org.units, name) for name in UNITS]
        self.leaders = [Leader(self, u, spec.leader.traits()) for u, spec in enumerate(specs)]
        people = [
            Employee(self, u, self.leaders[u], spec.capacity)
            for u, spec in enumerate(specs)
            for _ in range(spec.employees)
        ]
        for person in people:
            self.leaders[person.unit].members.append(person)
        sizes = np.array([s.employees for s in specs])
        team_of, team_unit = split_into_teams(sizes, org.span_of_control)
        self.teams = [Team(self, self.leaders[u]) for u in team_unit.tolist()]
        for person, team in zip(people, team_of.tolist(), strict=True):
            self.teams[team].members.append(person)
        adjacency = collaboration_network(sizes, org.ties_per_employee, org.rewiring, org.cross_unit_ties, self.rng)
        for i, person in enumerate(people):
            person.collaborators = {people[j] for j in adjacency.indices[adjacency.indptr[i] : adjacency.indptr[i + 1]]}

    def _build_accounts(self, n: int) -> None:
        """Each account gets a sales, a delivery and a support member, one account at a time.

        A unit's target portfolio is ``portfolio_headroom`` x the mean once all ``n`` accounts are in (delivery: at
        least ``projects_per_delivery_employee``). Support prefers a random support collaborator
        of the account's delivery member whose portfolio is below the target; otherwise, as for
        sales and delivery, a member is drawn in proportion to their room below the target
        (:func:`sim.journey.assign_seats`). Each account has said K facts within the last
        ``initial_knowledge_age_max_weeks``; support heard them all, sales and delivery each with
        ``initial_colleague_fact_share``.
        """
        rng = self.rng
        shares = np.array([s.share for s in self.segment_specs])
        portfolio: dict[Employee, int] = {}
        headroom = self.config.parameters.journey.portfolio_headroom
        target = {u: max(headroom * n / len(self.leaders[u].members), 1.0) for u in (SALES, DELIVERY, SUPPORT)}
        target[DELIVERY] = max(target[DELIVERY], self.config.parameters.journey.projects_per_delivery_employee)

        def draw(unit: int) -> Employee:
            members = self.leaders[unit].members
            room = np.array([max(target[unit] - portfolio.get(m, 0), 0.0) + 1e-3 for m in members])
            cum = np.cumsum(room)
            return members[min(int(np.searchsorted(cum, rng.random() * cum[-1], side="right")), len(members) - 1)]

        for _ in range(n):
            account = Account(self, int(rng.choice(len(shares), p=shares / shares.sum())))
            sales = draw(SALES)
            portfolio[sales] = portfolio.get(sales, 0) + 1
            delivery = draw(DELIVERY)
            portfolio[delivery] = portfolio.get(delivery, 0) + 1
            support = draw(SUPPORT)
            near = [c for c in delivery.collaborators if c.unit == SUPPORT]
            if near:
                mate = near[int(rng.integers(len(near)))]
                if portfolio.get(mate, 0) < target[SUPPORT]:
                    support = mate
            portfolio[support] = portfolio.get(support, 0) + 1
            account.team = [sales, delivery, support]  # indexed by unit
            for member in account.team:
                member.accounts.append(account)
            ip = self.params.information
            ages = sorted(rng.integers(0, ip.initial_knowledge_age_max_weeks + 1, ip.facts_per_account), reverse=True)
            for age in ages:
                fact = account.say(support, week=-int(age))
                for member in (sales, delivery):
                    if rng.random() < ip.initial_colleague_fact_share:
                        member.learn(fact)

    def fresh(self, fact: Fact) -> bool:
        """Whether a fact is younger than ``relevance_weeks``."""
        return self.steps - fact.week < self.params.information.relevance_weeks

    def executive_meeting(self) -> None:
        """Between units u and v each account comes up with probability executive_share * sharing_u * sharing_v;
        then its member in v learns what its member in u holds (from the holdings before the meeting)."""
        rng, ip = self.rng, self.params.information
        told = []
        for u, v in ((a, b) for a in range(len(UNITS)) for b in range(len(UNITS)) if a != b):
            reach = ip.executive_share * self.leaders[u].traits["information_sharing"]
            reach *= self.leaders[v].traits["information_sharing"]
            for account in self.accounts:
                if rng.random() < reach:
                    told += [(account.team[v], f) for f in account.facts if f in account.team[u].facts]
        for member, fact in told:
            member.learn(fact)

    def touchpoint_log(self, info_age: float, stale: bool) -> None:
        self._tp[0] += 1
        self._tp[1] += info_age
        self._tp[2] += stale

    def step(self) -> None:
        """One week: engagement, tickets, satisfaction, information, renewal; then the KPI record."""
        self._tp = [0, 0.0, 0]
        self.churned = 0
        self.employees.shuffle_do("step")
        self.accounts.shuffle_do("step")
        self.employees.shuffle_do("serve")
        self.accounts.shuffle_do("evaluate")
        self.employees.do("forget_stale")
        self.accounts.shuffle_do("tell_news")
        meeting = self.steps % self.config.organization.meeting_every_weeks == 0
        topics = [(team, team.topics()) for team in self.teams] if meeting else []
        self.employees.shuffle_do("share")
        self.employees.do("absorb")
        for team, raised in topics:  # team meetings work from the holdings before the colleagues' exchange
            team.meeting(raised)
        if meeting:
            self.executive_meeting()
        self.accounts.shuffle_do("renew")
        self._record()
        if self.steps >= self.config.steps:
            self.running = False

    def _record(self) -> None:
        accounts, people = self.accounts.to_list(), self.employees.to_list()
        n, age, stale = self._tp
        self.kpis.append(
            {
                "customers": len(accounts),
                "churned": self.churned,
                "satisfaction": sum(a.satisfaction for a in accounts) / len(accounts) if accounts else math.nan,
                "engagement": sum(e.engagement for e in people) / len(people),
                "touchpoints": n,
                "info_age_sum": age,
                "stale": stale,
            }
        )

    def run(self) -> ReferenceModel:
        while self.running and self.steps < self.config.steps:
            self.step()
        return self

    def summary(self) -> dict[str, float]:
        """Outcomes over the weeks after the warm-up, computed as :func:`sim.summary.summarise` does."""
        w = self.kpis[self.config.warmup :]
        years = len(w) / WEEKS_PER_YEAR
        customers = sum(r["customers"] for r in w) / len(w)
        touchpoints = sum(r["touchpoints"] for r in w)
        return {
            "annual_churn_rate": sum(r["churned"] for r in w) / (customers * years) if customers else 0.0,
            "mean_satisfaction": float(np.nanmean([r["satisfaction"] for r in w])),
            "mean_engagement": sum(r["engagement"] for r in w) / len(w),
            "mean_info_age_weeks": sum(r["info_age_sum"] for r in w) / touchpoints if touchpoints else 0.0,
            "stale_share": sum(r["stale"] for r in w) / touchpoints if touchpoints else 0.0,
            "customers_final": float(self.kpis[-1]["customers"]),
        }


def run_reference(scenario: Scenario, seed: int) -> dict[str, Any]:
    """Run the reference over the scenario's horizon and summarise it."""
    return ReferenceModel(scenario, seed=seed).run().summary()


def main() -> None:
    """Time one run of each model at the baseline company size in the core-rules configuration."""
    from sim.model import CXModel
    from sim.outputs.summary import summarise

    sc = core_rules_scenario()
    keys = ("mean_satisfaction", "annual_churn_rate", "mean_engagement", "mean_info_age_weeks", "stale_share")
    t0 = time.perf_counter()
    ref = run_reference(sc, sc.seed)
    t1 = time.perf_counter()
    real = summarise(CXModel(sc, rng=sc.seed, collect=False).run())
    t2 = time.perf_counter()
    people = sum(getattr(sc.organization.units, u).employees for u in UNITS)
    print(f"core rules: {sc.customers.accounts} accounts, {people} employees, {sc.steps} weeks, seed {sc.seed}")
    print(f"reference (per-agent Mesa): {t1 - t0:7.2f} s   " + "  ".join(f"{k}={ref[k]:.4f}" for k in keys))
    print(f"cxsim (vectorised):         {t2 - t1:7.2f} s   " + "  ".join(f"{k}={real[k]:.4f}" for k in keys))


if __name__ == "__main__":
    main()
