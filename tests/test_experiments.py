"""Experiment specs: every shipped spec loads with the promised size; bad specs are refused up front."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from conftest import BASELINE_YAML, REPO_ROOT

from sim.errors import InputError
from sim.experiments.spec import MAX_RUNS, design_size, load_experiment

EXPECTED_RUNS = {"leadership_x_information_speed": 360, "policy_portfolio": 180, "staffing_sweep": 180}
#: calibration specs (``cxsim calibrate``) ship beside the batch specs; tests/test_calibrate.py covers them
CALIBRATION_SPECS = {"calibrate_example"}
#: sampled specs: (method, design rows, replications)
EXPECTED_SAMPLES = {"sensitivity_morris": ("morris", 310, 2), "sensitivity_sobol": ("sobol", 640, 2)}


@pytest.mark.parametrize("name", sorted(EXPECTED_RUNS))
def test_shipped_experiment_specs_load(name):
    counted: list[int] = []
    experiment = load_experiment(REPO_ROOT / "experiments" / f"{name}.yaml", on_count=counted.append)
    tasks = experiment.tasks()
    assert len(tasks) == EXPECTED_RUNS[name] == counted[0] == design_size(experiment.spec)[0]
    assert len({t.run_id for t in tasks}) == len(tasks)
    assert experiment.spec.replications >= 10


@pytest.mark.parametrize("name", sorted(EXPECTED_SAMPLES))
def test_shipped_sensitivity_specs_load(name):
    method, rows, reps = EXPECTED_SAMPLES[name]
    counted: list[int] = []
    experiment = load_experiment(REPO_ROOT / "experiments" / f"{name}.yaml", on_count=counted.append)
    assert experiment.spec.sample.method == method and len(experiment.points) == rows
    assert counted[0] == rows * reps == design_size(experiment.spec)[0] >= len(experiment.tasks())
    assert experiment.spec.replications == reps >= 2  # two or more: the noise beside the indices
    assert set(experiment.spec.outcomes) == {
        "annual_churn_rate",
        "nps",
        "mean_satisfaction",
        "net_revenue_retention",
        "profit_per_year",
    }


def test_the_screening_spec_covers_the_levers_and_the_assumptions():
    from sim.scenario.parameters import is_assumption
    from sim.scenario.ranges import field_info

    spec = load_experiment(REPO_ROOT / "experiments" / "sensitivity_morris.yaml").spec
    keys = list(spec.sample.parameters)
    assumptions = [k for k in keys if is_assumption(field_info(k)[0])]
    assert len(keys) >= 20 and len(assumptions) >= 10
    assert {"organization.executive.cx_commitment", "policies.empowerment", "policies.transfer_meeting"} <= set(keys)
    sobol = load_experiment(REPO_ROOT / "experiments" / "sensitivity_sobol.yaml").spec.sample
    assert len(sobol.parameters) == 8 and set(sobol.parameters) <= set(keys)  # the screening's top eight
    assert 64 <= sobol.samples <= 128


def test_every_spec_in_the_folder_is_covered():
    expected = set(EXPECTED_RUNS) | set(EXPECTED_SAMPLES) | CALIBRATION_SPECS
    assert {p.stem for p in (REPO_ROOT / "experiments").glob("*.yaml")} == expected


def test_a_shipped_spec_is_found_by_name_from_any_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert load_experiment("staffing_sweep").spec.name == "staffing_sweep"


SPEC = f"name: t\nscenario: {BASELINE_YAML}\nsteps: 30\nreplications: 1\n"


def _spec(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "spec.yaml"
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("text", "field", "needles"),
    [
        (SPEC + "outcomes: []\n", "outcomes", ("at least one outcome",)),
        (SPEC.replace("name: t", "name: '.'"), "name", ("outside the results folder",)),
        (SPEC.replace("name: t", "name: '..'"), "name", ("outside the results folder",)),
        (SPEC.replace("name: t", "name: a/b"), "name", ("letters",)),
        (SPEC.replace("name: t", f"name: {'n' * 300}"), "name", ("at most 100 characters",)),
        (SPEC.replace("replications: 1", "replications: '10'"), "replications", ("whole number", "without quotes")),
        (SPEC.replace("replications: 1", "replications: 2.0"), "replications", ("whole number",)),
        (SPEC + "timeseries: yes\n", "timeseries", ("true, false",)),
        (SPEC + "replications: 2\n", "replications", ("duplicate key", "line 4")),
        (SPEC + "grid:\n  customers.accounts: ['40']\n", "grid.customers.accounts", ("whole number",)),
        (SPEC + "grid:\n  policies.empowerment: [yes, no]\n", "grid.policies.empowerment", ("true or false",)),
        (
            SPEC
            + "grid:\n  organization.units.sales.leader: [servant]\n  organization.units.*.leader: [laissez_faire]\n",
            "grid.organization.units.*.leader",
            ("overlaps grid.organization.units.sales.leader", "organization.units.sales.leader"),
        ),
        (
            SPEC + "grid:\n  organization.units.sales: [{employees: 5}]\n  organization.units.sales.employees: [6]\n",
            "grid.organization.units.sales.employees",
            ("overlaps grid.organization.units.sales",),
        ),
        (
            SPEC
            + "grid: {organization.cross_unit_ties: [0.1, 0.2]}\n"
            + "cases: {a: {set: {organization.cross_unit_ties: 0.3}}}\n",
            "cases.a.set.organization.cross_unit_ties",
            ("grid.organization.cross_unit_ties",),
        ),
        (SPEC.replace(str(BASELINE_YAML), "/etc/shadow"), "scenario", (".yaml or .yml",)),
        (SPEC + "cases: {a: /etc/passwd}\n", "cases.a", (".yaml or .yml",)),
    ],
    ids=[
        "no-outcomes",
        "name-dot",
        "name-dots",
        "name-path",
        "name-long",
        "quoted-replications",
        "float-replications",
        "timeseries-yes",
        "duplicate-key",
        "grid-quoted-number",
        "grid-yes",
        "overlapping-leaders",
        "overlapping-section",
        "case-overlaps-grid",
        "scenario-not-yaml",
        "case-not-yaml",
    ],
)
def test_bad_specs_are_refused_before_any_run(tmp_path, text, field, needles):
    with pytest.raises(InputError) as info:
        load_experiment(_spec(tmp_path, text))
    assert info.value.field == field, str(info.value)
    for needle in needles:
        assert needle in str(info.value)
    assert "root:" not in str(info.value)


def _levels(n: int) -> str:
    return "[" + ", ".join(str(i / 100) for i in range(n)) + "]"


def test_a_design_above_the_limit_is_refused_before_it_is_built(tmp_path):
    spec = _spec(
        tmp_path,
        SPEC + f"grid:\n  organization.cross_unit_ties: {_levels(60)}\n  organization.rewiring: {_levels(60)}\n"
        f"  policies.survey_coverage: {_levels(60)}\n",
    )
    start = time.perf_counter()
    with pytest.raises(InputError) as info:
        load_experiment(spec)
    assert time.perf_counter() - start < 1.0
    assert "216,000 runs (60 x 60 x 60 grid points x 1 case x 1 replication)" in str(info.value)
    assert f"above {MAX_RUNS:,} runs needs --yes" in str(info.value)


def test_the_run_limit_is_the_callers_and_the_count_comes_before_expansion(tmp_path):
    spec = _spec(
        tmp_path, SPEC.replace("replications: 1", "replications: 3") + "grid:\n  customers.accounts: [100, 120]\n"
    )
    with pytest.raises(InputError, match="6 runs"):
        load_experiment(spec, max_runs=5)
    counted: list[int] = []
    experiment = load_experiment(spec, max_runs=None, on_count=counted.append)
    assert counted == [6] and len(experiment.tasks()) == 6
