"""Every shipped experiment spec loads, validates every design point, and has the promised size."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.experiments.spec import load_experiment

ROOT = Path(__file__).resolve().parents[1]
EXPECTED_RUNS = {"leadership_x_information_speed": 360, "policy_portfolio": 160, "staffing_sweep": 180}


@pytest.mark.parametrize("name", sorted(EXPECTED_RUNS))
def test_shipped_experiment_specs_load(name):
    experiment = load_experiment(ROOT / "experiments" / f"{name}.yaml")
    tasks = experiment.tasks()
    assert len(tasks) == EXPECTED_RUNS[name]
    assert len({t.run_id for t in tasks}) == len(tasks)
    assert experiment.spec.replications >= 10


def test_every_spec_in_the_folder_is_covered():
    assert {p.stem for p in (ROOT / "experiments").glob("*.yaml")} == set(EXPECTED_RUNS)
