"""Same scenario and seed give the same numbers, in memory and through ``cxsim run``."""

from __future__ import annotations

import json
import math
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest
from conftest import BASELINE_YAML, REPO_ROOT, cxsim, run_model, small_scenario

from sim import __version__
from sim.outputs.summary import OUTCOMES, summarise

FIGURES = (
    "kpis.png",
    "satisfaction_by_stage.png",
    "engagement_by_unit.png",
    "information_age.png",
    "detractor_causes.png",
)
SUMMARY_KEYS = (
    "annual_churn_rate",
    "nps",
    "mean_satisfaction",
    "mean_engagement",
    "mean_info_age_weeks",
    "net_revenue_retention",
    "employee_turnover_rate",
    "detractor_why",
)


@pytest.fixture(scope="module")
def runs():
    sc = small_scenario(steps=40, warmup=8)
    first, again, other = run_model(sc, 11), run_model(sc, 11), run_model(sc, 12)
    return {
        "first": (first.timeseries(), summarise(first)),
        "again": (again.timeseries(), summarise(again)),
        "other": (other.timeseries(), summarise(other)),
    }


def test_same_seed_gives_identical_timeseries(runs):
    frame, again = runs["first"][0], runs["again"][0]
    assert len(frame) == 40
    assert frame.equals(again)


def test_same_seed_gives_identical_summary(runs):
    assert runs["first"][1] == runs["again"][1]
    assert set(OUTCOMES) <= set(runs["first"][1])


def test_different_seed_gives_different_timeseries(runs):
    frame, other = runs["first"][0], runs["other"][0]
    assert frame.shape == other.shape
    assert not frame.equals(other)
    # not merely one column: the stochastic customer record differs in many weeks
    assert (frame["satisfaction"] != other["satisfaction"]).sum() > 30


def test_seed_argument_overrides_scenario_seed():
    sc = small_scenario(steps=20, warmup=4, seed=5)
    assert run_model(sc).timeseries().equals(run_model(sc, seed=5).timeseries())
    assert not run_model(sc).timeseries().equals(run_model(sc, seed=6).timeseries())


# ---------------------------------------------------------------------------------------------
# the command


@pytest.fixture(scope="module")
def cli_runs(tmp_path_factory):
    """``cxsim run baseline.yaml --seed 7 --steps 40 --out A`` twice in one folder: the second replaces the
    files of the first (the folder's ownership marker lists them).

    Returns the result folder, the first run's files (bytes) and both processes.
    """
    cwd = tmp_path_factory.mktemp("cli")
    args = ("run", str(BASELINE_YAML), "--seed", "7", "--steps", "40", "--out", "A")
    first = cxsim(*args, cwd=cwd)
    files = {p.name: p.read_bytes() for p in (cwd / "A").iterdir()} if first.returncode == 0 else {}
    second = cxsim(*args, cwd=cwd)
    return cwd / "A", files, (first, second)


def test_cli_run_succeeds(cli_runs):
    out, _, procs = cli_runs
    for proc in procs:
        assert proc.returncode == 0, proc.stderr
        assert proc.stderr == ""
        assert "results: A" in proc.stdout
    assert out.is_dir()


def test_cli_run_is_byte_identical(cli_runs):
    out, first, _ = cli_runs
    for name in ("timeseries.parquet", "teams.parquet", "segments.parquet", "summary.json"):
        assert (out / name).read_bytes() == first[name], name
    assert {p.name for p in out.iterdir()} == set(first)
    marker = json.loads((out / ".cxsim-owned.json").read_text())
    assert marker["kind"] == "run" and set(marker["files"]) == set(first) - {".cxsim-owned.json"}


def test_cli_run_writes_all_artefacts(cli_runs):
    out = cli_runs[0]
    expected = {"timeseries.parquet", "teams.parquet", "segments.parquet", "summary.json", "manifest.json", *FIGURES}
    assert expected <= {p.name for p in out.iterdir()}
    for name in FIGURES:
        data = (out / name).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n", name
        assert len(data) > 5_000, name
    # no temporary or replaced folders left next to the result
    assert [p.name for p in out.parent.iterdir()] == ["A"]


def test_cli_timeseries_has_one_row_per_week(cli_runs):
    frame = pd.read_parquet(cli_runs[0] / "timeseries.parquet")
    assert frame["step"].tolist() == list(range(1, 41))
    assert not frame.isna().any().any()


def test_cli_summary_keys(cli_runs):
    summary = json.loads((cli_runs[0] / "summary.json").read_text())
    assert set(SUMMARY_KEYS) <= set(summary)
    for key in SUMMARY_KEYS[:-1]:
        assert isinstance(summary[key], float) and math.isfinite(summary[key]), key
    assert 0 <= summary["annual_churn_rate"] <= 1
    assert -100 <= summary["nps"] <= 100
    assert 0 <= summary["mean_satisfaction"] <= 1
    assert isinstance(summary["detractor_why"], list) and summary["detractor_why"]
    row = summary["detractor_why"][0]
    assert set(row) == {"stage", "channel", "cause", "count", "share"}
    assert sum(r["share"] for r in summary["detractor_why"]) == pytest.approx(1.0)


def test_cli_manifest(cli_runs):
    manifest = json.loads((cli_runs[0] / "manifest.json").read_text())
    assert manifest["seed"] == 7
    assert manifest["scenario"]["seed"] == 7
    assert manifest["scenario"]["steps"] == 40
    assert manifest["scenario"]["warmup"] == 26
    assert manifest["scenario"]["organization"]["units"]["delivery"]["employees"] == 50
    assert manifest["environment"]["cxsim"] == __version__
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO_ROOT, capture_output=True, text=True, check=True)
    assert manifest["git_commit"].removesuffix("-dirty") == head.stdout.strip()
    started = datetime.fromisoformat(manifest["started_utc"])
    assert started.tzinfo is not None
    assert abs(datetime.now(UTC) - started) < timedelta(hours=1)
    assert manifest["model_seconds"] > 0
    assert Path(manifest["scenario_file"]).name == "baseline.yaml"


def test_cli_manifest_scenario_reproduces_the_run(cli_runs):
    """The resolved scenario in the manifest is the whole input: re-running it gives the same series."""
    from sim.scenario.schema import Scenario

    out = cli_runs[0]
    manifest = json.loads((out / "manifest.json").read_text())
    frame = run_model(Scenario.model_validate(manifest["scenario"])).timeseries()
    assert frame.equals(pd.read_parquet(out / "timeseries.parquet"))
