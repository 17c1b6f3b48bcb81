"""The experiments behind the ten patterns: which runs, of which scenario, and what each run measures.

Everything starts from the scenario under validation (the baseline company by default):

* ``baseline``: the scenario itself (patterns 3-6, and the control of pattern 8);
* ``capacity_gap``: the scenario with a timed 40 % cut of delivery capacity for 12 weeks (pattern 8);
* ``large_company``: the scenario scaled to at least 1,000 employees (patterns 1 and 7: enough
  teams per run for a correlation across teams);
* ``leader_mix``: the large company with every unit's team leaders one third each of the three
  styles (pattern 2);
* ``ties_<share>``: the scenario at several shares of cross-unit ties (pattern 9a);
* ``spread_docking``: one fact spread by the model's peer rule beside a plain SI simulation on the
  same graph (pattern 9b);
* ``bass_docking``: acquisition with every effect but the Bass terms switched off (pattern 10).

Replication ``k`` of every replicated experiment runs with the seed of ``SeedSequence(seed,
spawn_key=(k,))``, as in a batch (:func:`sim.experiments.spec.replication_seeds`): the
baseline, the capacity gap and the levels of cross-unit ties are paired by common random numbers,
and runs with the same inputs and seed (the baseline and its own level of ties) are run once.
Each run is reduced in its worker to the few numbers the patterns need (:func:`measure`).
"""

from __future__ import annotations

import copy
import hashlib
import json
import math
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from sim.errors import InputError
from sim.experiments.spec import replication_seeds
from sim.outputs.provenance import run_id
from sim.scenario.loading import set_override, validate_scenario
from sim.scenario.schema import Scenario
from sim.vocabulary import CHANNEL_KEYS, UNITS, WEEKS_PER_YEAR

#: replications of each replicated experiment by default: enough for pattern 2's share of
#: orderings (a Wilson interval no wider than its band of 5 points needs about 75 when all agree)
DEFAULT_REPS = 80
#: the smallest number of replications a confidence interval needs
MIN_REPS = 2
#: most replications ``--reps`` accepts
MAX_REPS = 100_000
#: the root seed of the replications by default (as ``cxsim compare``)
DEFAULT_SEED = 2026
#: the leadership styles of pattern 2, in the published order (Judge & Piccolo 2004)
STYLE_ORDER = ("transformational", "transactional", "laissez_faire")
#: weeks from an account leaving the market to its being a customer: created in week t, it
#: converts in week t + 1 and its deal is decided in week t + 2 (ODD 7.6)
PIPELINE_WEEKS = 2
#: weeks after capacity returns that quality must stay below control (pattern 8's band)
GAP_FOLLOW_WEEKS = 12
#: the delivery channels, whose touchpoints' quality pattern 8 follows
DELIVERY_CHANNELS = tuple(c for c in CHANNEL_KEYS if c.startswith("delivery."))
#: the run outcomes each company run keeps
SUMMARY_KEYS = (
    "annual_churn_rate",
    "revenue_churn_rate",
    "net_revenue_retention",
    "nps",
    "mean_satisfaction",
    "mean_engagement",
    "mean_info_age_weeks",
    "employee_turnover_rate",
)
#: the team-table columns each company run keeps
TEAM_COLUMNS = (
    "unit",
    "leader_style",
    "headcount",
    "engagement",
    "turnover_rate",
    "satisfaction",
    "survey_answers",
    "survey_score",
)
#: bump when what a run records changes, so that runs saved by an earlier version are computed again
RECORD_VERSION = 2

BASELINE, CAPACITY_GAP, LARGE_COMPANY, LEADER_MIX = "baseline", "capacity_gap", "large_company", "leader_mix"
SPREAD, BASS = "spread_docking", "bass_docking"
COMPANY, SPREAD_KIND, BASS_KIND = "company", "spread", "bass"


@dataclass(frozen=True)
class Plan:
    """How much is run: replications, sizes and the settings of the experiments (the defaults of ``cxsim validate``)."""

    reps: int = DEFAULT_REPS
    seed: int = DEFAULT_SEED
    #: the large company's size: Harter et al. 2002 pool business units of large firms
    company_employees: int = 1000
    #: shares of cross-unit ties of pattern 9a (the baseline's 0.05 among them)
    ties_levels: tuple[float, ...] = (0.0, 0.05, 0.15, 0.3)
    #: the capacity gap of pattern 8: from this week, for this many weeks, this share of delivery capacity
    gap_start: int = 52
    gap_weeks: int = 12
    gap_cut: float = 0.4
    #: pattern 9b: companies (each a replication's collaboration graph), cascades of one fact on each, and
    #: weeks of spreading; one cascade's curve varies so much (SD about 0.2 of the company late in the
    #: spread) that about 2,000 cascades are needed for an interval as narrow as the 2-point band
    spread_graphs: int = 20
    spread_cascades: int = 100
    spread_weeks: int = 12
    #: pattern 10: the market (at least 10,000 accounts), years of adoption (15) and runs; the largest gap
    #: of a mean curve is biased up by its noise (about 0.4 points at 8 runs), so the mean is taken over 40
    bass_market: int = 10_000
    bass_weeks: int = 780
    bass_runs: int = 40

    def as_dict(self) -> dict[str, Any]:
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in self.__dict__.items()}


@dataclass(frozen=True)
class Task:
    """One run: fully resolved, so that a worker process needs nothing else."""

    key: str
    kind: str
    seed: int
    scenario: dict[str, Any] = field(repr=False)
    weeks: int = 0  # spread: the weeks of spreading
    cascades: int = 0  # spread: the cascades on the company's graph

    @property
    def cost(self) -> float:
        """A rough guess of the run's length, to start the long runs first."""
        sc = self.scenario
        employees = sum(u["employees"] for u in sc["organization"]["units"].values())
        accounts = sc["customers"]["accounts"] + sum(
            s["market_potential"] for s in sc["customers"]["segments"].values()
        )
        weeks = sc["warmup"] if self.kind == SPREAD_KIND else sc["steps"]
        return weeks * (employees + accounts)


@dataclass
class Design:
    """The experiments of one validation: per experiment (arm), its runs in replication order."""

    scenario: Scenario
    plan: Plan
    arms: dict[str, list[Task]]

    def tasks(self) -> list[Task]:
        """Every distinct run (runs with the same inputs and seed appear once), longest first."""
        unique = {t.key: t for tasks in self.arms.values() for t in tasks}
        return sorted(unique.values(), key=lambda t: (-t.cost, t.key))

    def settings(self) -> dict[str, Any]:
        """The plan's settings as the patterns' measurement texts name them."""
        from sim.model.tallies import RECOVERY_FOLLOWUP_WEEKS

        plan = self.plan
        return {
            **plan.as_dict(),
            "company_employees": sum(
                u["employees"] for u in self.arms[LARGE_COMPANY][0].scenario["organization"]["units"].values()
            ),
            "followup_weeks": RECOVERY_FOLLOWUP_WEEKS,
            "gap_cut_pct": 100 * plan.gap_cut,
            "ties_levels": ", ".join(f"{v:g}" for v in sorted(plan.ties_levels)),
            "bass_years": plan.bass_weeks / WEEKS_PER_YEAR,
        }

    def ties_arms(self) -> list[tuple[float, str]]:
        """Pattern 9a's arms: (share of cross-unit ties, arm name), ascending."""
        return [(level, ties_arm(level)) for level in sorted(self.plan.ties_levels)]


def ties_arm(level: float) -> str:
    return f"ties_{level:g}"


# ----------------------------------------------------------------------------- the design


def build_design(scenario: Scenario, plan: Plan, source: str = "scenario") -> Design:
    """Every experiment's runs, each scenario validated before anything runs (InputError otherwise)."""
    check_plan(plan)
    need = plan.gap_start + plan.gap_weeks + GAP_FOLLOW_WEEKS
    if scenario.steps < need:
        raise InputError(
            source,
            "steps",
            scenario.steps,
            f"pattern 8 needs at least {need} weeks (a {plan.gap_weeks}-week capacity gap from week "
            f"{plan.gap_start}, then {GAP_FOLLOW_WEEKS} weeks)",
        )
    if scenario.warmup >= plan.gap_start:
        raise InputError(source, "warmup", scenario.warmup, f"pattern 8's capacity gap starts in week {plan.gap_start}")
    base = scenario.model_dump(mode="json")
    large = at_size(base, plan.company_employees)
    variants = {
        BASELINE: base,
        CAPACITY_GAP: with_capacity_gap(base, plan),
        LARGE_COMPANY: large,
        LEADER_MIX: with_leader_mix(large),
        **{ties_arm(level): with_ties(base, level) for level in plan.ties_levels},
    }
    checked = {arm: _validated(raw, f"{source} ({arm})") for arm, raw in variants.items()}
    seeds = replication_seeds(plan.seed, plan.reps)
    arms = {arm: [company_task(raw, s) for s in seeds] for arm, raw in checked.items()}
    arms[SPREAD] = [
        spread_task(base, s, plan.spread_weeks, plan.spread_cascades)
        for s in replication_seeds(plan.seed, plan.spread_graphs)
    ]
    bass = _validated(bass_docking(base, plan), f"{source} ({BASS})")
    arms[BASS] = [company_task(bass, s, kind=BASS_KIND) for s in replication_seeds(plan.seed, plan.bass_runs)]
    return Design(scenario, plan, arms)


def check_plan(plan: Plan) -> None:
    """Refuse a plan that cannot give an interval or a run (InputError named after its option)."""
    if isinstance(plan.reps, bool) or not MIN_REPS <= plan.reps <= MAX_REPS:
        raise InputError(
            "--reps", None, plan.reps, f"allowed: a whole number from {MIN_REPS} (a CI needs two) to {MAX_REPS}"
        )
    if isinstance(plan.seed, bool) or not 0 <= plan.seed <= 2**63 - 1:
        raise InputError("--seed", None, plan.seed, "allowed: a whole number from 0 to 2**63-1")
    for name in ("spread_graphs", "bass_runs"):
        if getattr(plan, name) < MIN_REPS:
            raise InputError("validate", name, getattr(plan, name), f"allowed: a whole number >= {MIN_REPS}")
    if plan.spread_cascades < 1 or plan.spread_weeks < 1:
        raise InputError("validate", "spread_cascades", plan.spread_cascades, "allowed: whole numbers >= 1")
    if not plan.ties_levels or len(set(plan.ties_levels)) < 2:
        raise InputError("validate", "ties_levels", plan.ties_levels, "allowed: at least two different shares")
    if not 0 < plan.gap_cut < 1:
        raise InputError("validate", "gap_cut", plan.gap_cut, "allowed: a share of capacity between 0 and 1")


def _validated(raw: dict[str, Any], source: str) -> dict[str, Any]:
    return validate_scenario(copy.deepcopy(raw), source).model_dump(mode="json")


def company_task(scenario: dict[str, Any], seed: int, kind: str = COMPANY) -> Task:
    resolved = dict(scenario, seed=seed)
    return Task(_key(kind, run_id(resolved, seed)), kind, seed, resolved)


def spread_task(scenario: dict[str, Any], seed: int, weeks: int, cascades: int) -> Task:
    resolved = dict(scenario, seed=seed)
    key = _key(SPREAD_KIND, run_id(resolved, seed), weeks, cascades)
    return Task(key, SPREAD_KIND, seed, resolved, weeks, cascades)


def _key(kind: str, *parts: Any) -> str:
    """A run's key: its kind, its run id and what else it depends on, with the record's version."""
    text = json.dumps([kind, RECORD_VERSION, *parts])
    return hashlib.sha256(text.encode()).hexdigest()[:16]


# ----------------------------------------------------------------------------- derived scenarios


def at_size(raw: dict[str, Any], employees: int) -> dict[str, Any]:
    """The company scaled to at least ``employees``: units, accounts, prospects and markets in proportion.

    A company already that large is returned as it is.
    """
    units = raw["organization"]["units"]
    total = sum(units[u]["employees"] for u in UNITS)
    if total >= employees:
        return copy.deepcopy(raw)
    factor = employees / total
    out = copy.deepcopy(raw)
    sizes = {u: max(1, round(units[u]["employees"] * factor)) for u in UNITS}
    short = employees - sum(sizes.values())
    if short > 0:
        sizes[max(sizes, key=sizes.__getitem__)] += short
    for u in UNITS:
        out["organization"]["units"][u]["employees"] = sizes[u]
    cust = out["customers"]
    cust["accounts"] = round(cust["accounts"] * factor)
    cust["prospects"] = round(cust["prospects"] * factor)
    for segment in cust["segments"].values():
        segment["market_potential"] = math.ceil(segment["market_potential"] * factor)
    return _named(out, f"{employees}_employees")


def with_leader_mix(raw: dict[str, Any]) -> dict[str, Any]:
    """Every unit's team leaders one third each of the three styles (their preset traits, no overrides)."""
    out = copy.deepcopy(raw)
    for u in UNITS:
        unit = out["organization"]["units"][u]
        unit["leader"] = {"style": STYLE_ORDER[0]}
        unit["leader_mix"] = {style: 1 / len(STYLE_ORDER) for style in STYLE_ORDER}
    return _named(out, "leader_mix")


def with_capacity_gap(raw: dict[str, Any], plan: Plan) -> dict[str, Any]:
    """A timed event: delivery capacity cut by ``plan.gap_cut`` for ``plan.gap_weeks`` weeks from ``plan.gap_start``."""
    out = copy.deepcopy(raw)
    capacity = raw["organization"]["units"]["delivery"]["capacity"]
    out["events"] = [
        *raw.get("events", []),
        {
            "at": plan.gap_start,
            "until": plan.gap_start + plan.gap_weeks - 1,
            "set": {"organization.units.delivery.capacity": capacity * (1.0 - plan.gap_cut)},
        },
    ]
    return _named(out, "capacity_gap")


def with_ties(raw: dict[str, Any], level: float) -> dict[str, Any]:
    """The scenario with ``organization.cross_unit_ties`` at ``level``."""
    out = copy.deepcopy(raw)
    set_override(out, "organization.cross_unit_ties", level, source="validate")
    return out


def bass_docking(raw: dict[str, Any], plan: Plan) -> dict[str, Any]:
    """Acquisition reduced to Bass diffusion (ODD 7.8, "Docking with Bass"), with the scenario's p and q.

    One segment holds the whole market, with no customers at the start; word of mouth comes from
    customers regardless of their satisfaction; every arrival converts and every deal is won (no
    dropout, no pull of experience, reputation or price); nobody churns; no touchpoints are made
    (they would change nothing here but run time); no timed events.
    """
    out = copy.deepcopy(raw)
    out.update(steps=plan.bass_weeks, warmup=0, events=[])
    segments = out["customers"]["segments"]
    first = next(iter(segments))
    for name, segment in segments.items():
        segment["share"] = 1.0 if name == first else 0.0
        segment["market_potential"] = plan.bass_market if name == first else 0
    out["customers"].update(accounts=0, prospects=0)
    out["policies"]["price_change"] = 0.0
    journey = out["parameters"]["journey"]
    journey.update(conversion_rate=1.0, prospect_dropout=0.0, close_rate=1.0, win_rate=1.0)
    journey.update(conversion_satisfaction_slope=0.0, win_satisfaction_slope=0.0, reputation_effect=0.0)
    for stage in ("pre_purchase", "purchase", "delivery", "maintenance"):
        journey[f"{stage}_touchpoints"] = 0.0
    out["parameters"]["renewal"].update(churn_intercept=-20.0, churn_slope=0.0)
    out["parameters"]["market"]["reputation_effect"] = 0.0
    return _named(out, "bass_docking")


def _named(raw: dict[str, Any], suffix: str) -> dict[str, Any]:
    """The derived scenario's name (a label: run ids leave it out), within the schema's length."""
    raw["name"] = f"{raw['name'][:60]}_{suffix}"
    return raw


def plan_with(plan: Plan, **changes: Any) -> Plan:
    """A copy of the plan with some settings changed."""
    return replace(plan, **changes)


# ----------------------------------------------------------------------------- the worker side


def measure(task: Task) -> dict[str, Any]:
    """Run one task in a worker and keep what the patterns need; an exception becomes a recorded error."""
    try:
        record = {COMPANY: _company, SPREAD_KIND: _spread, BASS_KIND: _bass}[task.kind](task)
        return {"key": task.key, "kind": task.kind, "version": RECORD_VERSION, "error": None, **record}
    except Exception as exc:  # recorded, reported, and tried again next time
        return {"key": task.key, "kind": task.kind, "version": RECORD_VERSION, "error": f"{type(exc).__name__}: {exc}"}


def _model(task: Task):
    from sim.model import CXModel

    return CXModel(Scenario.model_validate(task.scenario), rng=task.seed, collect=False)


def _company(task: Task) -> dict[str, Any]:
    """A full run: outcomes, the team, renewal and recovery tables, engagement by style, weekly delivery quality."""
    from sim.outputs.summary import summarise

    model = _model(task).run()
    summary = summarise(model)
    years = (model.config.steps - model.config.warmup) / WEEKS_PER_YEAR
    grr = model.gross_revenue_retention()
    teams = model.team_table()
    w = model.workforce
    filled = w.filled
    styles = np.asarray(model.world.team_styles)[w.team][filled]
    engagement = w.engagement[filled]
    by_style = {
        s: [
            float((styles == s).sum()),
            float(engagement[styles == s].sum()),
            float((engagement[styles == s] ** 2).sum()),
        ]
        for s in sorted(set(styles.tolist()))
    }
    renewals = model.renewal_table()
    recovery = model.recovery_table()
    return {
        "summary": {k: summary[k] for k in SUMMARY_KEYS},
        "gross_revenue_retention": grr ** (1.0 / years) if math.isfinite(grr) and years > 0 else math.nan,
        "teams": {c: teams[c].tolist() for c in TEAM_COLUMNS},
        "engagement_by_style": by_style,
        "renewals": {c: renewals[c].tolist() for c in ("band", "satisfaction_from", "decisions", "churned")},
        "recovery": {c: recovery[c].tolist() for c in ("recovery", "episodes", "change")},
        "delivery_quality": delivery_quality(model.timeseries(fill=False)).tolist(),
    }


def delivery_quality(frame: Any) -> np.ndarray:
    """Per week, the mean perceived quality of the delivery stage's touchpoints (NaN in a week without any)."""
    n = frame[[f"touchpoints.{c}" for c in DELIVERY_CHANNELS]].to_numpy(dtype=float)
    q = np.nan_to_num(frame[[f"quality.{c}" for c in DELIVERY_CHANNELS]].to_numpy(dtype=float))
    total = n.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, (n * q).sum(axis=1) / total, np.nan)


def _spread(task: Task) -> dict[str, Any]:
    """Cascades of one fact by the model's peer rule beside a plain SI simulation on the same graph (pattern 9b).

    The company runs to the end of its warm-up. Then, ``task.cascades`` times, from that state: a
    customer in the journey tells a new fact to an employee drawn at random, and for ``task.weeks``
    weeks only the peer rule acts (:func:`sim.model.phases.diffusion._spread_fresh`: each holder
    tells each collaborator with its per-contact probability ``peer_share_rate x engagement x
    sharing culture``); nothing else moves, so the fact stays fresh. The SI reference starts from
    the same employee on the same graph with the same probabilities. Each cascade has generators of
    its own, seeded from the run's seed and the cascade's number. Returns the mean curves, as
    shares of the filled seats.
    """
    from sim.model.knowledge import fresh_holders, push_facts
    from sim.model.phases.diffusion import _spread_fresh, sharing_culture
    from sim.validation.measures import si_curve

    model = _model(task)
    while model.steps < max(1, model.config.warmup):
        model.step()
    at_warmup = model.world
    w = at_warmup.workforce
    q = at_warmup.params.information.peer_share_rate * w.engagement * sharing_culture(at_warmup) * w.filled
    adjacency, filled = w.adjacency.tocsr(), w.filled.copy()
    seats, journey = np.flatnonzero(filled), np.flatnonzero(at_warmup.accounts.in_journey()[: at_warmup.accounts.n])
    model_sum, si_sum = np.zeros(task.weeks), np.zeros(task.weeks)
    for cascade in range(task.cascades):
        world = copy.deepcopy(at_warmup)
        world.rng = np.random.default_rng([task.seed, cascade, 0])
        pick = np.random.default_rng([task.seed, cascade, 1])
        start, row = int(pick.choice(seats)), int(pick.choice(journey))
        acc = world.accounts
        push_facts(world, np.array([row]), np.array([start]))
        fact = int(acc.fact_id[row, (acc.fact_count[row] - 1) % acc.facts])
        for week in range(task.weeks):
            (ids, holders, cells), _ = fresh_holders(world)
            mine = ids == fact
            _spread_fresh(world, q, (ids[mine], holders[mine], cells[mine]))
            (ids, holders, _), _ = fresh_holders(world)
            model_sum[week] += np.unique(holders[ids == fact]).size
        si_sum += si_curve(adjacency, q, filled, start, task.weeks, pick)
    scale = task.cascades * seats.size
    return {"model": (model_sum / scale).tolist(), "si": (si_sum / scale).tolist(), "filled": int(seats.size)}


def _bass(task: Task) -> dict[str, Any]:
    """The market's adoption share week by week (pattern 10)."""
    model = _model(task).run()
    return {"adoption": model.timeseries(fill=False)["adoption_share"].to_numpy(dtype=float).tolist()}
