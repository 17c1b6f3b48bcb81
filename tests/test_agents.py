"""Agents are named views onto the model's arrays, and leaders carry their resolved style."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import run_model, small_scenario

from sim.model import CXModel
from sim.model.agents import Customer, Employee, Leader
from sim.vocabulary import END_STATES, SEGMENTS, STAGES, STYLE_PRESETS, TRAITS, UNITS


@pytest.fixture(scope="module")
def model():
    sc = small_scenario(
        steps=30,
        warmup=4,
        organization={
            "units": {
                "sales": {"leader": {"style": "laissez_faire", "support": 0.9}},
                "delivery": {"leader": "servant"},
                "support": {"leader": {"style": "transformational", "recognition": 0.1}},
            }
        },
    )
    return run_model(sc, seed=3)


def test_first_customer_reads_the_satisfaction_array(model):
    first = model.agents_by_type[Customer].to_list()[0]
    assert first.row == 0
    assert first.satisfaction == model.accounts.satisfaction[0]


def test_every_customer_view_matches_its_row(model):
    acc = model.accounts
    customers = model.agents_by_type[Customer].to_list()
    # accounts that churned or were lost have left the AgentSet; the rest are there, once each
    assert sorted(c.row for c in customers) == np.flatnonzero(acc.in_journey()[: acc.n]).tolist()
    assert int((acc.stage[: acc.n] >= len(STAGES)).sum()) > 0
    for c in customers:
        assert c.satisfaction == acc.satisfaction[c.row]
        assert c.contract_value == acc.contract_value[c.row]
        assert c.segment == SEGMENTS[acc.segment[c.row]]
        assert c.expectations == dict(zip(STAGES, acc.expectation[c.row].tolist(), strict=True))
        assert c.stage == (STAGES + END_STATES)[acc.stage[c.row]]
    # after 30 weeks some accounts are at every point of the journey
    assert {c.stage for c in customers} == set(STAGES)
    assert sum(c.under_contract for c in customers) == model.latest("customers")


def test_customer_is_a_view_not_a_copy(model):
    c = model.agents_by_type[Customer].to_list()[5]
    old = model.accounts.satisfaction[c.row]
    try:
        model.accounts.satisfaction[c.row] = 0.123
        assert c.satisfaction == 0.123
    finally:
        model.accounts.satisfaction[c.row] = old
    assert c.satisfaction == old


def test_employee_views_match_the_workforce(model):
    w = model.workforce
    employees = model.agents_by_type[Employee].to_list()
    assert len(employees) == int(w.filled.sum())
    first = employees[0]
    assert first.engagement == w.engagement[first.seat]
    for e in employees:
        assert e.engagement == w.engagement[e.seat]
        assert e.skill == w.skill[e.seat]
        assert e.unit == UNITS[w.unit[e.seat]]
        assert e.tenure_weeks == model.steps - w.hired_at[e.seat]
    engagement = np.array([e.engagement for e in employees])
    assert engagement.std() > 0  # people differ: the views are not one shared number


def test_employee_is_a_view_not_a_copy(model):
    e = model.agents_by_type[Employee].to_list()[0]
    old = model.workforce.engagement[e.seat]
    try:
        model.workforce.engagement[e.seat] = 0.321
        assert e.engagement == 0.321
    finally:
        model.workforce.engagement[e.seat] = old


def test_leaders_carry_the_style_preset_with_overrides(model):
    """Every team leader of a unit has the unit's style, with the unit's trait overrides."""
    by_unit: dict[str, list[Leader]] = {}
    for ld in model.agents_by_type[Leader]:
        by_unit.setdefault(ld.unit, []).append(ld)
    assert set(by_unit) == set(UNITS)
    # 10 sales seats in teams of at most 8: two teams of five
    assert sorted(ld.team_size for ld in by_unit["sales"]) == [5, 5]
    for sales in by_unit["sales"]:
        assert sales.style == "laissez_faire"
        assert sales.traits == {**STYLE_PRESETS["laissez_faire"], "support": 0.9}
    assert all(ld.traits == STYLE_PRESETS["servant"] for ld in by_unit["delivery"])
    for support in by_unit["support"]:
        assert support.traits == {**STYLE_PRESETS["transformational"], "recognition": 0.1}
        assert set(support.traits) == set(TRAITS)
    assert sum(ld.team_size for ld in model.agents_by_type[Leader]) == model.workforce.size


def test_mechanisms_see_the_leaders_traits(model):
    """The per-seat trait the engagement phase uses is the trait of the seat's team leader."""
    w = model.workforce
    support = model.world.seat_trait("support")
    assert support[w.unit == UNITS.index("sales")] == pytest.approx(0.9)
    assert support[w.unit == UNITS.index("delivery")] == pytest.approx(STYLE_PRESETS["servant"]["support"])
    recognition = model.world.unit_trait("recognition")
    assert recognition.tolist() == pytest.approx([0.1, STYLE_PRESETS["servant"]["recognition"], 0.1])


def test_a_leader_mix_gives_team_leaders_of_each_style_in_its_shares():
    """A unit of 6 teams with a 50/30/20 mix has 3, 2 and 1 team leaders of those styles (largest remainder)."""
    sc = small_scenario(
        organization={
            "span_of_control": 5,
            "units": {
                "delivery": {
                    "employees": 30,
                    "leader_mix": {"transformational": 0.5, "transactional": 0.3, "laissez_faire": 0.2},
                }
            },
        }
    )
    m = CXModel(sc, rng=1)
    styles = [ld.style for ld in m.agents_by_type[Leader] if ld.unit == "delivery"]
    assert sorted(styles) == sorted(["transformational"] * 3 + ["transactional"] * 2 + ["laissez_faire"])
    seat_support = m.world.seat_trait("support")[m.workforce.unit == UNITS.index("delivery")]
    assert set(np.round(seat_support, 2)) == {STYLE_PRESETS[s]["support"] for s in set(styles)}


def test_collaboration_graph_is_built_on_demand_from_the_ties(model):
    """The network is kept as a sparse matrix; a networkx graph is made only when asked for."""
    w = model.workforce
    assert not hasattr(w, "degree") and not hasattr(w, "hops_to_unit")
    graph = w.graph()
    assert graph.number_of_nodes() == w.size
    assert graph.number_of_edges() == w.adjacency.nnz // 2 > 0
    i, j = next(iter(graph.edges))
    assert w.tied(np.array([i]), np.array([j]))[0]


def test_leaders_carry_no_unused_state(model):
    assert all(not hasattr(leader, "fixes") for leader in model.agents_by_type[Leader])
