"""Scenario files: every shipped scenario loads and runs; inheritance and overrides resolve as documented."""

from __future__ import annotations

import re

import pytest
from conftest import BASELINE_YAML, SCENARIOS, run_model

from sim.errors import InputError
from sim.scenario import Scenario, load_scenario
from sim.vocabulary import STYLE_PRESETS

SHIPPED = sorted(SCENARIOS.glob("*.yaml"))


def test_scenarios_are_shipped():
    """Exactly the scenarios the README's table documents are shipped."""
    readme = (SCENARIOS.parent / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Scenarios\n", 1)[1].split("\n## ", 1)[0]
    documented = set(re.findall(r"^\| `([a-z_]+)` \|", section, flags=re.M))
    assert {p.stem for p in SHIPPED} == documented
    assert BASELINE_YAML in SHIPPED


def test_baseline_file_is_the_default_scenario():
    loaded = load_scenario(BASELINE_YAML).model_dump()
    default = Scenario().model_dump()
    assert {k: v for k, v in loaded.items() if k != "description"} == {
        k: v for k, v in default.items() if k != "description"
    }


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_shipped_scenario_loads_and_runs(path):
    sc = load_scenario(path)
    assert sc.name == path.stem
    if path != BASELINE_YAML:  # each scenario changes its lever, and nothing is lost on the way
        changed = sc.model_dump(exclude={"name", "description"}) != Scenario().model_dump(
            exclude={"name", "description"}
        )
        assert changed, f"{path.name} does not differ from the baseline"
    short = load_scenario(path, ["steps=30", "warmup=4", "customers.accounts=100"])
    frame = run_model(short).timeseries()
    assert len(frame) == 30 and not frame.isna().any().any()


def test_overrides_and_options_apply():
    sc = load_scenario(
        BASELINE_YAML,
        ["organization.cross_unit_ties=0.3", "policies.empowerment=true", "organization.units.sales.leader=servant"],
        {"seed": 9, "steps": 60},
    )
    assert sc.organization.cross_unit_ties == 0.3
    assert sc.policies.empowerment is True
    assert sc.organization.units.sales.leader.style == "servant"
    assert (sc.seed, sc.steps) == (9, 60)


def test_partial_unit_keeps_that_units_defaults():
    sc = Scenario.model_validate({"organization": {"units": {"delivery": {"employees": 25}, "sales": {"capacity": 6}}}})
    default = Scenario().organization.units
    assert sc.organization.units.delivery.employees == 25
    assert sc.organization.units.delivery.capacity == default.delivery.capacity == 4.0
    assert sc.organization.units.sales.leader.style == default.sales.leader.style == "transformational"


def test_partial_segment_keeps_that_segments_defaults():
    sc = load_scenario(BASELINE_YAML, ["customers.segments.small.contract_value=25000"])
    small = sc.customers.segments.small
    assert (small.share, small.contract_value, small.expectation) == (0.35, 25000, 0.65)


def test_leader_trait_override_keeps_the_inherited_style(tmp_path):
    """``leader: {support: 0.9}`` in a file that extends a ``leader: laissez_faire`` file keeps laissez-faire."""
    child = tmp_path / "child.yaml"
    child.write_text(
        f"extends: {SCENARIOS / 'laissez_faire_leadership.yaml'}\n"
        "organization: {units: {sales: {leader: {support: 0.9}}}}\n"
    )
    from_file = load_scenario(child).organization.units.sales.leader
    from_set = load_scenario(
        SCENARIOS / "laissez_faire_leadership.yaml", ["organization.units.sales.leader.support=0.9"]
    ).organization.units.sales.leader
    assert from_file == from_set
    assert from_file.style == "laissez_faire"
    assert from_file.traits() == {**STYLE_PRESETS["laissez_faire"], "support": 0.9}


def test_load_errors_carry_source_field_and_value(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(f"extends: {BASELINE_YAML}\norganization: {{meeting_every_weeks: 0}}\n")
    with pytest.raises(InputError) as info:
        load_scenario(bad)
    err = info.value
    assert (err.source, err.field, err.value) == (str(bad), "organization.meeting_every_weeks", 0)
    assert "1" in err.allowed and "52" in err.allowed
