"""Shared helpers: small scenarios, seeded runs, replications and the ``cxsim`` command.

Plain functions (imported by the test modules with ``from conftest import ...``) so that
hypothesis tests and module-scoped fixtures can use them too; fixtures for the paths.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from sim.model import CXModel
from sim.outputs.summary import summarise
from sim.scenario.schema import Scenario, deep_merge
from sim.validation.experiments import Plan

REPO_ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = REPO_ROOT / "scenarios"
BASELINE_YAML = SCENARIOS / "baseline.yaml"

#: a fifth of the baseline company over a year: every mechanism is active, a run takes ~0.1 s. Its units
#: have one or two teams, too few for the teams' process differences (``feedback.process_spread``, which
#: patterns 1 and 7 rest on) to average out: there one team's luck would be half a unit's, and every
#: lever's test would need several times the seeds. Its teams share one process; the shipped scenarios,
#: the README's directions, the policy evidence and the validation run with the spread.
SMALL: dict[str, Any] = {
    "steps": 52,
    "warmup": 8,
    "organization": {
        "units": {"sales": {"employees": 10}, "delivery": {"employees": 12}, "support": {"employees": 8}},
    },
    "customers": {"accounts": 150, "prospects": 20},
    "parameters": {"feedback": {"process_spread": 0.0}},
}


def scenario(**overrides: Any) -> Scenario:
    """The baseline scenario with nested overrides, e.g. ``scenario(policies={"empowerment": True})``."""
    return Scenario.model_validate(deep_merge(Scenario().model_dump(), overrides))


def small_scenario(**overrides: Any) -> Scenario:
    """A small, fast company (:data:`SMALL`) with nested overrides merged on top."""
    return scenario(**deep_merge(SMALL, overrides))


#: a validation plan small enough for the test suite: every experiment runs, at two replications
VALIDATION_TEST_PLAN = Plan(
    reps=2,
    company_employees=120,
    ties_levels=(0.0, 0.05),
    gap_start=14,
    gap_weeks=6,
    spread_graphs=2,
    spread_cascades=3,
    spread_weeks=4,
    bass_market=800,
    bass_weeks=104,
    bass_runs=2,
)


def write_validation_scenario(folder: Path) -> Path:
    """The company validation tests run: a fifth of the baseline over a year, extending a copy of the baseline file."""
    (folder / "baseline.yaml").write_text(BASELINE_YAML.read_text(encoding="utf-8"), encoding="utf-8")
    small = folder / "small.yaml"
    small.write_text(
        "extends: baseline.yaml\nname: small\nsteps: 52\nwarmup: 8\norganization:\n"
        "  units: {sales: {employees: 10}, delivery: {employees: 12}, support: {employees: 8}}\n"
        "customers: {accounts: 150, prospects: 20}\n",
        encoding="utf-8",
    )
    return small


def write_small_scenario(folder: Path, name: str = "small", policies: dict[str, bool] | None = None) -> Path:
    """A small scenario file on top of the shipped baseline, for commands that take a file (30 weeks)."""
    from sim.scenario.shipped import locate

    lines = [
        f"extends: {locate('baseline', 'scenarios').resolve()}",
        f"name: {name}",
        "steps: 30",
        "warmup: 4",
        "organization:",
        "  units:",
        "    sales: {employees: 10}",
        "    delivery: {employees: 12}",
        "    support: {employees: 8}",
        "customers: {accounts: 150, prospects: 20}",
    ]
    if policies:
        lines += ["policies:", *(f"  {k}: {str(v).lower()}" for k, v in policies.items())]
    path = folder / f"{name}.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def run_model(sc: Scenario, seed: int | None = None) -> CXModel:
    """Build and run the model over the scenario's horizon (at the scenario's own seed unless given)."""
    return CXModel(sc, rng=sc.seed if seed is None else seed, collect=False).run()


def run_summary(sc: Scenario, seed: int) -> dict[str, Any]:
    """The run-level outcomes of one seeded run."""
    return summarise(run_model(sc, seed))


def replicate(sc: Scenario, seeds: range | list[int], *keys: str) -> dict[str, np.ndarray]:
    """Per outcome key, its values over seeded replications (one run per seed)."""
    summaries = [run_summary(sc, s) for s in seeds]
    return {k: np.array([s[k] for s in summaries], dtype=float) for k in keys}


def cxsim(*args: str, cwd: Path, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    """Run ``cxsim`` (``python -m sim.cli``) as a user would, in ``cwd``."""
    env = {**os.environ, "MPLBACKEND": "Agg", "COLUMNS": "80"}
    return subprocess.run(
        [sys.executable, "-m", "sim.cli", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        check=False,
    )


def call(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """``cxsim ARGS`` in this process, through the CLI's entry point: (exit code, stdout, stderr)."""
    from sim import cli

    with pytest.raises(SystemExit) as info:
        cli.main(list(args))
    captured = capsys.readouterr()
    code = info.value.code
    return (0 if code is None else int(code)), captured.out, captured.err


def one_line_error(err: str) -> str:
    """The single ``error: ...`` line of stderr (fails on anything else, a traceback above all)."""
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("error: ") and "Traceback" not in err
    return lines[0]


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT


@pytest.fixture(scope="session")
def baseline_yaml() -> Path:
    return BASELINE_YAML
