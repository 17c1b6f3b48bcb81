"""Customer knowledge: facts, who holds them, how they spread, what stale information costs, and the handoff.

Each test checks one rule of ``sim.model.knowledge`` and ``sim.model.phases.diffusion`` (ODD 7.3,
7.5) on a small seeded company, with numbers: the sparse store, the customer telling the server,
a touchpoint teaching what was said in it, the shared record, independent-cascade spreading with
its per-contact probability (docked with a plain SI simulation on the same graph), the sales
promise and the requirements that cross each handoff.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest
from conftest import run_model, small_scenario

from sim.model import CXModel
from sim.model.knowledge import fresh_holders, held_bits, missing_facts
from sim.model.phases.diffusion import _customer_news, _spread_fresh, _spread_in_teams, handoff
from sim.model.phases.engagement import equilibrium
from sim.model.phases.touchpoints import touchpoint_phase
from sim.vocabulary import DELIVERY_STAGE, MAINTENANCE, SALES, STAGE_UNIT, STALE_INFORMATION


def model_at(week: int, seed: int = 1, **overrides) -> CXModel:
    """A small company run for ``week`` weeks."""
    model = CXModel(small_scenario(**overrides), rng=seed, collect=False)
    while model.steps < week:
        model.step()
    return model


def popcount(masks: np.ndarray, facts: int) -> np.ndarray:
    return held_bits(masks, facts).sum(axis=1)


# ------------------------------------------------------------------------------------- the store


def test_knowledge_is_stored_sparsely_and_stays_proportional_to_the_facts_in_flight():
    model = run_model(small_scenario(steps=60), 2)
    world, acc = model.world, model.accounts
    kn = world.knowledge
    seats, n = world.workforce.size, acc.n
    for store in (acc, kn, world.workforce):
        for value in vars(store).values():
            if isinstance(value, np.ndarray):
                assert not ({seats, acc.capacity} <= set(value.shape)), "a dense seats x accounts array"
    keys = kn.keys
    assert (np.diff(keys) > 0).all()  # sorted, unique
    assert ((keys >> kn.bits) >= kn.base).all()  # only fresh facts outside the account teams
    fresh = np.arange(kn.base, kn.next_id)
    assert (kn.week > model.steps - model.config.parameters.information.relevance_weeks).all()
    assert fresh.size == kn.cell.size > 0
    # the table does not grow with the run: the second half holds about what the first did
    holders = model.timeseries()["fact_holders"].to_numpy()
    first, second = holders[10:35].mean(), holders[35:].mean()
    assert 0 < second < 1.5 * first
    assert second < 20 * fresh.size  # a few holders per fresh fact, not the company
    # team bits only for facts the account has
    assert not (acc.team_knows[:n][acc.fact_id[:n, 0] < 0] & 1).any()


def test_the_customer_tells_whoever_serves_them_now():
    model = model_at(10, parameters={"information": {"news_rate": 1.0}})
    world, acc = model.world, model.accounts
    before = acc.fact_count[: acc.n].copy()
    _customer_news(world, world.week)
    rows = np.flatnonzero(acc.in_journey()[: acc.n])
    assert (acc.fact_count[rows] == before[rows] + 1).all()  # every customer said one new thing
    k = acc.facts
    slot = (acc.fact_count[rows] - 1) % k
    unit = STAGE_UNIT[acc.stage[rows]]
    server = acc.team[rows, unit]
    own = world.workforce.filled[server]
    bit = (acc.team_knows[rows, :] >> slot[:, None].astype(np.uint16)) & 1
    held = bit[np.arange(rows.size), unit] == 1
    assert held[own].all()  # the server heard it
    others = bit.sum(axis=1) - bit[np.arange(rows.size), unit]
    assert (others[own] == 0).all()  # nobody else on the account's team did
    if (~own).any():  # a vacant seat: a stand-in of the unit heard it
        ids = acc.fact_id[rows[~own], slot[~own]]
        table = world.knowledge.keys >> world.knowledge.bits
        assert np.isin(ids, table).all()


def test_a_touchpoint_teaches_what_was_said_in_it_not_everything():
    model = model_at(10, parameters={"information": {"touchpoint_news_share": 0.0}})
    world, acc = model.world, model.accounts
    k = acc.facts
    maint = np.flatnonzero((acc.stage[: acc.n] == MAINTENANCE) & (acc.fact_count[: acc.n] >= k))
    acc.team_knows[maint, STAGE_UNIT[MAINTENANCE]] = 0  # the support member knows none of their facts
    before = acc.team_knows[maint, STAGE_UNIT[MAINTENANCE]].copy()
    tp = touchpoint_phase(world)
    served = tp.account[~tp.stand_in & ~(tp.server < 0)]
    touched = np.intersect1d(maint, served)
    assert touched.size > 5
    # every stale touchpoint of these accounts counted all K facts missing
    mine = np.isin(tp.account, touched) & ~tp.stand_in
    assert tp.stale[mine].all()
    after = acc.team_knows[touched, STAGE_UNIT[MAINTENANCE]]
    gained = popcount(after, k) - popcount(before[np.searchsorted(maint, touched)], k)
    assert (gained == 1).all()  # the customer repeated one fact, however many touchpoints
    newest = np.argmax(acc.fact_week[touched], axis=1)
    assert ((after >> newest.astype(np.uint16)) & 1 == 1).all()  # the newest one


def test_stale_information_costs_quality_per_missing_fact_and_can_cause_a_wrong_action():
    base = model_at(10, seed=3)
    world = base.world
    acc = world.accounts
    acc.team_knows[: acc.n] = 0  # nobody on any team knows anything
    runs = {}
    for cost, wrong in ((0.0, 0.0), (0.04, 0.0), (0.0, 1.0)):
        w = copy.deepcopy(world)
        w.params.information.repeat_cost = cost
        w.params.information.wrong_action_rate = wrong
        runs[(cost, wrong)] = touchpoint_phase(w)
    plain, costly, wrong = runs[(0.0, 0.0)], runs[(0.04, 0.0)], runs[(0.0, 1.0)]
    n_missing, _, _ = missing_facts(world, plain.account, plain.server, STAGE_UNIT[plain.stage], ~plain.stand_in)
    inside = (plain.quality > 0.2) & (plain.quality < 0.8)  # away from the clip at 0 and 1
    # the serving team's process lets through its share of the loss (2.2, 7.1 of the ODD)
    share = world.process_multiplier[world.workforce.team[plain.server], plain.channel, STALE_INFORMATION]
    expected = 0.04 * n_missing * share
    np.testing.assert_allclose((plain.quality - costly.quality)[inside], expected[inside], atol=1e-12)
    assert (n_missing > 0).mean() > 0.5
    assert wrong.failed[n_missing > 0].all()  # a wrong action on every stale touchpoint
    assert wrong.failed.mean() > plain.failed.mean()


def test_the_shared_record_is_read_by_everyone_serving_the_account():
    record = {"policies": {"shared_customer_record": True}, "parameters": {"information": {"logging_share": 1.0}}}
    model = model_at(20, **record)
    world, acc = model.world, model.accounts
    rows = np.flatnonzero(acc.in_journey()[: acc.n])
    anybody = np.zeros(rows.size, dtype=np.int64)  # seat 0 (a salesperson) reads every account's record
    n_missing, _, _ = missing_facts(world, rows, anybody, np.full(rows.size, SALES), np.zeros(rows.size, dtype=bool))
    heard = acc.fact_logged[rows] | (acc.fact_id[rows] < 0)
    assert (n_missing <= (~heard).sum(axis=1)).all()  # nothing logged is missing
    assert heard.mean() > 0.9  # everything said to somebody was logged
    plain = run_model(small_scenario(), 4).timeseries()
    logged = run_model(small_scenario(**record), 4).timeseries()
    assert logged["stale_share"].iloc[8:].mean() < 0.2 * plain["stale_share"].iloc[8:].mean()
    assert logged["info_age_weeks"].iloc[8:].mean() < 0.2 * plain["info_age_weeks"].iloc[8:].mean()


# ------------------------------------------------------------------------------------- spreading


def _one_fact(model: CXModel, seat: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A fresh fact of a journey account, held by ``seat`` only (outside the account's team, whose
    members are not ``seat``'s collaborators either)."""
    world, acc, kn = model.world, model.accounts, model.world.knowledge
    adj = model.workforce.adjacency
    near = np.append(adj.indices[adj.indptr[seat] : adj.indptr[seat + 1]], seat)
    apart = ~np.isin(acc.team[: acc.n], near).any(axis=1)
    row = int(np.flatnonzero(acc.in_journey()[: acc.n] & apart)[0])
    acc.team_knows[row] = 0
    kn.keys = np.zeros(0, dtype=np.int64)
    fid = int(acc.fact_id[row, 0])
    kn.base, kn.cell, kn.week = fid, np.array([row * acc.facts]), np.array([world.week])
    kn.next_id = fid + 1
    acc.fact_week[row, 0] = world.week
    kn.add(np.array([fid]), np.array([seat]))
    return np.array([fid]), np.array([seat]), np.array([row * acc.facts])


def test_each_holder_tells_each_collaborator_with_the_per_contact_probability():
    """One independent-cascade trial per (holder, tie): the number of colleagues told in a week is
    Binomial(degree, q) — drawn through the thinning bands, for a q below the top of its band."""
    model = model_at(4, parameters={"staffing": {"base_quit_rate": 0.0}})
    w = model.workforce
    seat = int(np.argmax(np.diff(w.adjacency.indptr)))
    degree = int(np.diff(w.adjacency.indptr)[seat])
    holders = _one_fact(model, seat)
    world = model.world
    saved = world.knowledge.keys.copy()
    q = np.full(w.size, 0.1)
    q[seat] = 0.37  # the top band's only member: its own ceiling is q_top
    q[(seat + 1) % w.size] = 0.5  # a non-holder sets nothing
    told = []
    for _ in range(3000):
        world.knowledge.keys = saved.copy()
        _spread_fresh(world, q, holders)
        told.append(world.knowledge.keys.size - 1)
    told = np.array(told)
    se = np.sqrt(degree * 0.37 * 0.63 / told.size)
    assert abs(told.mean() - degree * 0.37) < 4 * se, (told.mean(), degree * 0.37)
    assert told.var() == pytest.approx(degree * 0.37 * 0.63, rel=0.1)


def test_the_adoption_curve_of_one_fact_docks_with_si_on_the_same_graph():
    """Every holder passes the fact on, each tie each week with probability q: the mean number of
    holders week by week agrees with a plain SI simulation on the same collaboration graph within
    2 % (of the company) — the model's spreading is SI / independent cascade (Kempe et al. 2003)."""
    fresh_forever = {"information": {"relevance_weeks": 520}, "staffing": {"base_quit_rate": 0.0}}
    model = model_at(2, parameters=fresh_forever, organization={"cross_unit_ties": 0.2})
    world, w = model.world, model.workforce
    q, weeks, reps, start = 0.15, 8, 1000, 5
    holders = _one_fact(model, start)
    fid = holders[0][0]
    state = (world.knowledge.keys.copy(), model.accounts.team_knows.copy())
    adj = w.adjacency.toarray().astype(bool)
    qs = np.full(w.size, q)
    rng = np.random.default_rng(0)
    model_curve, si_curve = np.zeros((reps, weeks)), np.zeros((reps, weeks))
    for r in range(reps):
        world.knowledge.keys, model.accounts.team_knows[:] = state[0].copy(), state[1]
        informed = np.zeros(w.size, dtype=bool)
        informed[start] = True
        for t in range(weeks):
            _spread_fresh(world, qs, tuple(h[...] for h in fresh_holders(world)[0]))
            ids, _, _ = fresh_holders(world)[0]
            model_curve[r, t] = np.count_nonzero(ids == fid)
            tries = adj[informed].astype(int)  # one trial per (informed holder, tie)
            hit = (rng.random(tries.shape) < q) & (tries > 0)
            informed |= hit.any(axis=0)
            si_curve[r, t] = informed.sum()
    gap = np.abs(model_curve.mean(axis=0) - si_curve.mean(axis=0)) / w.size
    assert gap.max() < 0.02, gap
    assert si_curve.mean(axis=0)[-1] > 0.5 * w.size  # the fact did spread through the company


def test_old_facts_pass_only_between_collaborating_team_members():
    silo = model_at(20, organization={"cross_unit_ties": 0.0})
    world = silo.world
    assert not silo.accounts.tied[: silo.accounts.n].any()
    q = np.ones(world.workforce.size)
    assert _spread_in_teams(world, q, world.week) == (0, 0.0)
    linked = model_at(20, organization={"cross_unit_ties": 0.5})
    reached, _ = _spread_in_teams(linked.world, np.ones(linked.workforce.size), linked.world.week)
    assert reached > 0


def test_information_sharing_lifts_engagement_as_care_for_staff():
    model = model_at(1)
    world = model.world
    before = equilibrium(world)
    world.traits["information_sharing"] = world.traits["information_sharing"] + 0.1
    after = equilibrium(world)
    inside = (before > 0.05) & (before < 0.9)
    weight = model.config.parameters.engagement.information_care_weight
    np.testing.assert_allclose((after - before)[inside], 0.1 * weight, atol=1e-12)


# ------------------------------------------------------------------------------------- the handoff


def test_every_project_start_is_sold_and_handed_over():
    df = run_model(small_scenario(), 6).timeseries(fill=False)
    assert df["wins"].sum() > 5 and df["new_projects"].sum() > 20
    np.testing.assert_array_equal(df["handoffs"], df["wins"] + df["new_projects"])
    np.testing.assert_array_equal(df["requirements"], 6 * df["handoffs"])
    assert 0.15 < df["requirements_lost"].sum() / df["requirements"].sum() < 0.35  # a plain handoff: one in four


def test_sales_skill_sets_the_promise_and_the_fidelity_sets_what_is_lost():
    model = model_at(3)
    world, acc, w = model.world, model.accounts, model.workforce
    rows = np.flatnonzero(acc.stage[: acc.n] == MAINTENANCE)[:60]
    ip = world.params.information
    for skill, fidelity in ((0.0, 1.0), (1.0, 0.0)):
        world.params.information.handoff_fidelity = fidelity
        w.skill[w.unit == SALES] = skill
        w.filled[:] = True
        before = dict(world.counters)
        handoff(world, rows)
        over = world.counters["requirements_overpromised"] - before.get("requirements_overpromised", 0)
        lost = world.counters["requirements_lost"] - before.get("requirements_lost", 0)
        n_req = rows.size * ip.requirements_per_project
        if skill == 0.0:  # an unskilled seller over-promises at the full rate; nothing is lost
            assert lost == 0
            assert over == pytest.approx(n_req * ip.overpromise_rate, abs=4 * np.sqrt(n_req * 0.25 * 0.75))
            n_over = acc.req_missing[rows]
            promised = world.segment_expectation[acc.segment[rows]] + ip.overpromise_lift * n_over
            np.testing.assert_allclose(acc.expectation[rows, DELIVERY_STAGE], np.minimum(promised, 1.0))
        else:  # a fully skilled seller promises what delivery can do; a zero-fidelity handoff loses all
            assert over == 0
            assert lost == n_req
            assert (acc.req_missing[rows] == ip.requirements_per_project).all()


def test_missing_requirements_fail_delivery_for_the_whole_project_and_then_stop():
    # no process fixes, so nothing lowers the rework rate
    lost = {"information": {"handoff_fidelity": 0.0, "rework_rate": 1.0}, "feedback": {"fix_effect": 0.0}}
    model = run_model(small_scenario(parameters=lost), 7)
    df = model.timeseries(fill=False)
    delivery = df[[c for c in df.columns if c.startswith("touchpoints.delivery.")]].sum(axis=1)
    assert delivery.sum() > 100
    np.testing.assert_array_equal(df["delivery_failures"], delivery)  # every delivery touchpoint fails
    assert df["rework_failures"].sum() > 0.8 * df["delivery_failures"].sum()
    acc = model.accounts
    assert (acc.req_missing[: acc.n][acc.stage[: acc.n] == MAINTENANCE] == 0).all()  # projects that ended
