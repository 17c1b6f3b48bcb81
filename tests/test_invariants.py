"""Invariants that hold for every valid scenario, checked after every week of hypothesis-drawn runs."""

from __future__ import annotations

import math

import numpy as np
from conftest import scenario
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from sim.model import CXModel
from sim.model.agents import Customer, Employee, Leader
from sim.outputs.summary import DELIVERY_TOUCHPOINTS, OUTCOMES, summarise
from sim.vocabulary import CHURNED, DELIVERY_STAGE, LOST, MAINTENANCE, PURCHASE, STAGES, VOID

STYLES = ("transformational", "transactional", "laissez_faire", "servant")
POLICIES = (
    "licence_to_sell",
    "licence_to_deliver",
    "empowerment",
    "transfer_meeting",
    "user_stories",
    "cx_incentives",
    "recruit_for_attitude",
)
#: KPI columns that are shares or 0..1 levels
UNIT_INTERVAL_PREFIXES = ("satisfaction", "engagement", "quality", "stale_share", "stand_in_share")


@st.composite
def scenarios(draw):
    steps = draw(st.integers(5, 40))
    units = {
        name: {"employees": draw(st.integers(1, 30)), "leader": draw(st.sampled_from(STYLES))}
        for name in ("sales", "delivery", "support")
    }
    # a company of three single-person units has no collaboration tie at all: known crash, see below
    assume(any(u["employees"] > 1 for u in units.values()))
    return scenario(
        seed=draw(st.integers(0, 2**16)),
        steps=steps,
        warmup=draw(st.integers(0, steps - 1)),
        organization={
            "units": units,
            "cross_unit_ties": draw(st.floats(0, 1)),
            "meeting_every_weeks": draw(st.integers(1, 8)),
        },
        customers={"accounts": draw(st.integers(0, 200)), "prospects": draw(st.integers(0, 50))},
        policies={
            **{p: draw(st.booleans()) for p in POLICIES},
            "survey_coverage": draw(st.floats(0, 1)),
            "feedback_delay_weeks": draw(st.integers(0, 10)),
        },
    )


def check_state(model: CXModel) -> None:
    acc, w = model.accounts, model.workforce
    n = acc.n
    stage = acc.stage
    # accounts are conserved: every account ever created is in exactly one stage or end state
    assert (stage[:n] >= 0).all()
    assert (stage[:n] <= LOST).all()
    assert (stage[n:] == VOID).all()
    # ... and every account was created: the initial ones plus each week's arrivals
    sc = model.config
    assert n == sc.customers.accounts + sc.customers.prospects + model.world.counters["arrivals"]
    # end states hold exactly the accounts the phases ended
    counts = np.bincount(stage[:n], minlength=len(STAGES) + 2)
    ended = model.world.counters
    assert counts[CHURNED] == ended["churned"]
    assert counts[LOST] == ended["deals_lost"] + ended["prospects_gone_cold"]
    assert model.summary_state()["by_stage"] == counts.tolist()
    # the market holds the accounts in the journey and those that ended within its return delay
    back = max(1, sc.parameters.market.return_weeks)
    ended_at = acc.ended_at[:n]
    held = (stage[:n] < CHURNED) | ((stage[:n] >= CHURNED) & (model.steps < ended_at + back))
    assert model.world.market.taken.tolist() == np.bincount(acc.segment[:n][held], minlength=3).tolist()
    # every customer has a renewal ahead (none is past its contract end without a decision)
    cust = acc.customers()[:n]
    assert (acc.contract_end[:n][cust] > model.steps).all()
    # levels stay in [0, 1]
    sat = acc.satisfaction[:n]
    assert ((sat >= 0) & (sat <= 1)).all()
    assert ((w.engagement >= 0) & (w.engagement <= 1)).all()
    assert ((acc.expectation[:n] >= 0) & (acc.expectation[:n] <= 1)).all()
    # agents are one per account in the journey (those that ended have left) and one per filled seat
    customers = model.agents_by_type.get(Customer, [])
    assert sorted(c.row for c in customers) == np.flatnonzero(stage[:n] < len(STAGES)).tolist()
    employees = model.agents_by_type.get(Employee, [])
    assert len(employees) == int(w.filled.sum())
    seats = [e.seat for e in employees]
    assert len(set(seats)) == len(seats)
    assert w.filled[seats].all()
    assert len(model.agents_by_type[Leader]) == model.workforce.teams
    # knowledge: a sorted set of fresh (fact, seat) holdings off the account teams; team bits only
    # for facts the account has; at most K facts per account, each once
    kn = model.world.knowledge
    keys = kn.keys
    assert (np.diff(keys) > 0).all()
    assert ((keys >> kn.bits) >= kn.base).all() and ((keys & kn.mask) < w.size).all()
    k = acc.facts
    held = (acc.team_knows[:n, :, None] >> np.arange(k, dtype=np.uint16)) & 1
    assert not (held.astype(bool) & (acc.fact_id[:n, None, :] < 0)).any()
    ids = acc.fact_id[:n][acc.fact_id[:n] >= 0]
    assert np.unique(ids).size == ids.size
    assert (acc.fact_count[:n] >= (acc.fact_id[:n] >= 0).sum(axis=1)).all()


@settings(
    max_examples=15,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(sc=scenarios())
def test_invariants_hold_every_week(sc):
    model = CXModel(sc, rng=sc.seed, collect=False)
    check_state(model)
    while model.running and model.steps < sc.steps:
        before = model.accounts.stage[: model.accounts.n].copy()
        model.step()
        check_state(model)
        after = model.accounts.stage[: before.size]
        # end states are final, and only customers churn / only prospects and deals are lost
        assert (after[before == CHURNED] == CHURNED).all()
        assert (after[before == LOST] == LOST).all()
        new_churn = (after == CHURNED) & (before != CHURNED)
        assert np.isin(before[new_churn], (DELIVERY_STAGE, MAINTENANCE)).all()
        new_lost = (after == LOST) & (before != LOST)
        assert (before[new_lost] <= PURCHASE).all()
    assert model.steps == sc.steps

    frame = model.timeseries()
    assert len(frame) == sc.steps
    assert frame["step"].tolist() == list(range(1, sc.steps + 1))
    assert not frame.isna().any().any()
    # the weekly record agrees with the account store
    journey = frame[["prospects", "purchase", "delivery", "maintenance", "churned_total", "lost_total"]].sum(axis=1)
    assert journey.iloc[-1] == model.accounts.n
    assert (journey.diff().dropna() >= 0).all()
    assert (frame["customers"] == frame["delivery"] + frame["maintenance"]).all()
    assert frame["churned"].sum() == frame["churned_total"].iloc[-1]
    assert (frame["churned_total"].diff().dropna() >= 0).all()
    assert (frame["lost_total"].diff().dropna() >= 0).all()
    for col in frame.columns:
        if col.startswith(UNIT_INTERVAL_PREFIXES):
            assert frame[col].between(0, 1).all(), col
    assert frame["nps"].between(-100, 100).all()
    assert frame["info_age_weeks"].ge(0).all()

    summary = summarise(model)
    assert set(OUTCOMES) <= set(summary)
    raw = model.timeseries(fill=False)
    w = raw[raw["step"] > sc.warmup]
    no_customers = w["customers"].sum() == 0
    no_touchpoints = w["touchpoints"].sum() == 0
    headcount = w["headcount.sales"] + w["headcount.delivery"] + w["headcount.support"]
    undefined_when = {  # an outcome may be None (undefined) exactly when there is nothing to measure
        "annual_churn_rate": no_customers,
        "revenue_churn_rate": w["recurring_revenue"].sum() == 0,
        "net_revenue_retention": model.accounts.cohort_value.sum() == 0,
        "nps": no_customers,
        "nps_final": raw["customers"].iloc[-1] == 0,
        "nps_surveyed": w["responses"].sum() == 0,
        "mean_satisfaction": no_customers,
        "mean_engagement": w["engagement"].isna().all(),
        "mean_info_age_weeks": no_touchpoints,
        "stale_share": no_touchpoints,
        "failure_rate": no_touchpoints,
        "handoff_info_loss": w["requirements"].sum() == 0,
        "overpromise_share": w["requirements"].sum() == 0,
        "delivery_failure_rate": w[DELIVERY_TOUCHPOINTS].to_numpy().sum() == 0,
        "rework_share": w["delivery_failures"].sum() == 0,
        "recovery_rate": w["failures"].sum() == 0,
        "employee_turnover_rate": headcount.sum() == 0,
        "customer_lifetime_years": not summary["annual_churn_rate"],
    }
    for key in OUTCOMES:
        value = summary[key]
        if value is None:
            assert undefined_when.get(key, False), key
            continue
        assert isinstance(value, float) and math.isfinite(value), key
    for key in ("annual_churn_rate", "mean_satisfaction", "mean_engagement", "stale_share", "recovery_rate"):
        assert summary[key] is None or summary[key] >= 0, key
    shares = ("handoff_info_loss", "overpromise_share", "delivery_failure_rate", "rework_share")
    for key in ("mean_satisfaction", "mean_engagement", "stale_share", "recovery_rate", *shares):
        assert summary[key] is None or 0 <= summary[key] <= 1, key
    # every requirement agreed is a requirement of a handoff; rework failures are delivery failures
    assert (frame["requirements"] == frame["handoffs"] * sc.parameters.information.requirements_per_project).all()
    assert (frame["requirements_lost"] <= frame["requirements"]).all()
    assert (frame["rework_failures"] <= frame["delivery_failures"]).all()
    assert (frame["delivery_failures"] <= frame["failures"]).all()
    assert summary["nps"] is None or -100 <= summary["nps"] <= 100


def test_company_without_any_collaboration_tie_runs():
    units = {name: {"employees": 1} for name in ("sales", "delivery", "support")}
    sc = scenario(steps=5, warmup=0, organization={"units": units}, customers={"accounts": 5, "prospects": 0})
    model = CXModel(sc, rng=sc.seed, collect=False).run()
    assert model.steps == 5


def test_net_revenue_retention_is_zero_when_the_whole_cohort_churns():
    sc = scenario(
        steps=60,
        warmup=0,
        customers={"accounts": 3, "prospects": 0},
        parameters={"renewal": {"churn_intercept": 20.0, "churn_slope": 0.0}},
    )
    model = CXModel(sc, rng=1, collect=False).run()
    assert model.accounts.cohort_value.sum() > 0
    assert model.revenue_retention() == 0.0  # every cohort account churned at its first renewal
    assert summarise(model)["net_revenue_retention"] == 0.0


def test_an_outcome_with_nothing_to_measure_is_undefined_not_zero():
    sc = scenario(steps=30, warmup=0, policies={"survey_coverage": 0.0}, customers={"accounts": 50, "prospects": 5})
    summary = summarise(CXModel(sc, rng=3, collect=False).run())
    assert summary["nps_surveyed"] is None  # no answers
    assert summary["nps"] is not None and summary["mean_satisfaction"] is not None
    empty = scenario(steps=10, warmup=0, customers={"accounts": 0, "prospects": 0})
    empty = empty.model_copy(update={"parameters": empty.parameters.model_copy(deep=True)})
    empty.parameters.market.innovation = 0.0  # nobody arrives from the market (no customers: no word of mouth)
    none = summarise(CXModel(empty, rng=3, collect=False).run())
    for key in ("annual_churn_rate", "nps", "mean_satisfaction", "failure_rate", "recovery_rate"):
        assert none[key] is None, key
