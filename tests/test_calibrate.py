"""``cxsim calibrate``: the search on a function with a known minimum, the model fitted to its own outcomes
and to a weekly KPI history, the fitted scenario, bad specs, Ctrl-C and the resume."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from conftest import BASELINE_YAML, REPO_ROOT, call, one_line_error

from sim.experiments.batch import run_task
from sim.experiments.calibration import evaluate as evaluate_module
from sim.experiments.calibration.search import BudgetSpent, Objective, Plan, design, search
from sim.experiments.calibration.spec import Calibration, load_calibration
from sim.experiments.spec import RunTask
from sim.outputs.provenance import run_id

EXAMPLE = REPO_ROOT / "experiments" / "calibrate_example.yaml"
#: the values at which the shipped example's targets are the model's own outcomes (its header says so)
EXAMPLE_TRUTH = (0.65, 3.2)

#: a small company over 20 weeks: a run takes about 0.3 s; its teams share one process (as ``conftest.SMALL``)
SMALL_SET = """set:
  warmup: 4
  parameters.feedback.process_spread: 0.0
  customers.accounts: 150
  customers.prospects: 20
  organization.units.sales.employees: 10
  organization.units.delivery.employees: 12
  organization.units.support.employees: 8
"""


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def model_at(
    cal: Calibration, values: tuple[float, ...], outcomes: list[str], kpis: list[str] | None = None
) -> tuple[dict[str, float], pd.DataFrame | None]:
    """The model's replication means at ``values`` on the calibration's own seeds, computed by the worker
    function the calibration uses: run outcomes, and the weekly KPIs ``kpis`` by week."""
    scenario = cal.scenario_at(values)
    got: dict[str, list[float]] = {o: [] for o in outcomes}
    weekly = []
    for k, seed in enumerate(cal.seeds):
        resolved = dict(scenario, seed=seed)
        record, ts = run_task(RunTask(run_id(resolved, seed), "truth", {}, k, seed, resolved), outcomes, kpis)
        assert record["error"] is None, record["error"]
        for o in outcomes:
            got[o].append(record[o])
        weekly.append(ts)
    means = {o: float(np.mean(v)) for o, v in got.items()}
    return means, pd.concat(weekly).groupby("step").mean(numeric_only=True) if kpis else None


# ----------------------------------------------------------------------------- the search


def test_search_finds_the_minimum_of_rosenbrocks_valley():
    """Rosenbrock's curved valley (minimum 0 at (1, 1)) over [-2, 2] x [-1, 3]: the sample finds the
    valley, Nelder–Mead follows it to the minimum."""

    def rosenbrock(points: np.ndarray, phase: str) -> np.ndarray:
        x, y = -2 + 4 * points[:, 0], -1 + 4 * points[:, 1]
        return (1 - x) ** 2 + 100 * (y - x**2) ** 2

    result = search(rosenbrock, 2, Plan("lhs", 16, "nelder-mead", 200, seed=3))
    best = result.trials[result.best]
    x, y = -2 + 4 * best.point[0], -1 + 4 * best.point[1]
    assert abs(x - 1) < 0.03 and abs(y - 1) < 0.06, (x, y)
    assert best.value < 1e-3
    assert "converged" in result.stopped_by or "successfully" in result.stopped_by
    assert [t.phase for t in result.trials[:16]] == ["sample"] * 16
    assert len(result.trials) <= 200


@pytest.mark.parametrize(("sample", "local"), [("sobol", "powell"), ("lhs", "nelder-mead")])
def test_search_finds_a_bowls_minimum_with_either_method(sample, local):
    """An anisotropic bowl with its minimum at (0.3, 0.7, 0.55): both local methods land on it."""
    centre = np.array([0.3, 0.7, 0.55])

    def bowl(points: np.ndarray, phase: str) -> np.ndarray:
        return ((points - centre) ** 2 * [1.0, 9.0, 3.0]).sum(axis=1)

    result = search(bowl, 3, Plan(sample, 16, local, 150, seed=1))
    assert np.abs(result.trials[result.best].point - centre).max() < 0.02


def test_the_budget_counts_distinct_candidates_and_none_is_evaluated_twice():
    calls: list[int] = []

    def f(points: np.ndarray, phase: str) -> np.ndarray:
        calls.append(len(points))
        return points.sum(axis=1)

    objective = Objective(f, max_evaluations=3)
    points = np.array([[0.1, 0.2], [0.1, 0.2], [0.3, 0.4]])
    assert objective.batch(points, "sample").tolist() == pytest.approx([0.3, 0.3, 0.7])
    assert calls == [2]  # the twin is evaluated once
    assert objective(np.array([0.1, 0.2])) == pytest.approx(0.3) and calls == [2]
    with pytest.raises(BudgetSpent):
        objective.batch(np.array([[0.5, 0.5], [0.6, 0.6]]), "local")
    assert calls == [2, 1] and len(objective.trials) == 3  # the one that fits is evaluated, then it stops
    # the designs are seeded: the same seed gives the same sample, in the unit cube
    assert np.array_equal(design("lhs", 8, 2, 5), design("lhs", 8, 2, 5))
    sobol = design("sobol", 8, 3, 5)
    assert sobol.shape == (8, 3) and ((sobol >= 0) & (sobol <= 1)).all()


# ----------------------------------------------------------------------------- the model fits its own outcomes


@pytest.fixture(scope="module")
def fitted(tmp_path_factory) -> dict[str, Any]:
    """Two parameters the targets identify — CX commitment (engagement) and the service's base quality
    (satisfaction) — in a small company over 20 weeks with 6 replications, fitted to targets the model
    itself produced at known values on the same seeds."""
    folder = tmp_path_factory.mktemp("calibrate")
    truth = (0.65, 0.45)
    body = f"""name: recover
scenario: {BASELINE_YAML}
{SMALL_SET}steps: 20
parameters:
  organization.executive.cx_commitment: [0.1, 0.9]
  parameters.service.base_quality: [0.35, 0.65]
targets:
  mean_engagement: {{value: 0.5, tolerance: 0.01}}
  mean_satisfaction: {{value: 0.5, tolerance: 0.004}}
replications: 6
seed: 11
method: {{sample: lhs, samples: 8, local: nelder-mead, max_evaluations: 24}}
"""
    spec = write(folder / "recover.yaml", body)
    means, _ = model_at(load_calibration(spec), truth, ["mean_engagement", "mean_satisfaction"])
    for name, value in means.items():
        body = body.replace(f"{name}: {{value: 0.5", f"{name}: {{value: {value!r}")
    write(spec, body)
    out = folder / "out"
    from sim import cli  # a module fixture cannot take capsys: the CLI's entry point, called directly

    with pytest.raises(SystemExit) as done:
        cli.main(["calibrate", str(spec), "--out", str(out), "--workers", "1", "--no-progress"])
    assert done.value.code in (0, None)
    return {"spec": spec, "out": out, "truth": truth, "means": means}


def test_the_model_reaches_targets_it_produced_and_recovers_the_values(fitted):
    out = fitted["out"]
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert all(row["reached"] for row in manifest["targets"]), manifest["targets"]
    cx, quality = manifest["fitted"].values()
    true_cx, true_quality = fitted["truth"]
    assert abs(cx - true_cx) < 0.15 and abs(quality - true_quality) < 0.03, manifest["fitted"]
    # the uncertainty ranges hold the fitted value and lie within the bounds
    for row in manifest["parameters"]:
        low, high = row["noise_range"]
        assert row["low"] <= low <= row["fitted"] <= high <= row["high"]
    evaluations = pd.read_parquet(out / "evaluations.parquet")
    assert len(evaluations) <= 24 and evaluations["candidate"].is_unique
    assert set(evaluations["phase"]) == {"sample", "local"}
    best = evaluations.loc[evaluations["objective"].idxmin()]
    assert best["within_noise"] and best["objective"] == pytest.approx(manifest["objective"])
    assert pd.read_csv(out / "evaluations.csv")["objective"].to_numpy() == pytest.approx(
        evaluations["objective"].to_numpy(), nan_ok=True
    )
    assert len(pd.read_parquet(out / "runs.parquet")) == 6 * len(evaluations)
    report = (out / "calibration.md").read_text(encoding="utf-8")
    assert "95 % CI" in report and "jackknife" in report and "mean_engagement" in report
    for name in ("calibration_fit.png", "calibration_landscape.png"):
        assert (out / name).stat().st_size > 10_000
    marker = json.loads((out / ".cxsim-owned.json").read_text(encoding="utf-8"))
    assert marker["kind"] == "calibration" and "fitted.yaml" in marker["files"]


def test_fitted_yaml_runs_and_repeats_the_first_replication(fitted, tmp_path, capsys, monkeypatch):
    """``cxsim run fitted.yaml`` accepts the file, and its run is replication 0 of the fitted candidate."""
    monkeypatch.chdir(tmp_path)
    out = fitted["out"]
    code, _, err = call(capsys, "run", str(out / "fitted.yaml"), "--out", "run", "--no-figures")
    assert code == 0, err
    summary = json.loads((tmp_path / "run" / "summary.json").read_text(encoding="utf-8"))
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    runs = pd.read_parquet(out / "runs.parquet")
    first = runs[(runs["candidate"] == manifest["fitted_candidate"]) & (runs["replication"] == 0)].iloc[0]
    for name in ("mean_engagement", "mean_satisfaction", "nps", "annual_churn_rate"):
        assert summary[name] == pytest.approx(first[name], abs=1e-12), name
    run_manifest = json.loads((tmp_path / "run" / "manifest.json").read_text(encoding="utf-8"))
    assert run_manifest["run_id"] == first["run_id"]
    scenario = run_manifest["scenario"]
    assert (
        scenario["organization"]["executive"]["cx_commitment"]
        == manifest["fitted"]["organization.executive.cx_commitment"]
    )


def test_the_shipped_example_is_reachable():
    """The example's targets are the model's own outcomes at the values its header states (within tolerance)."""
    cal = load_calibration(EXAMPLE)
    assert len(cal.parameters) == 2
    means, _ = model_at(cal, EXAMPLE_TRUTH, [t.outcome for t in cal.targets])
    for t in cal.targets:
        assert abs(means[t.outcome] - t.value) <= t.tolerance / 2, (t, means[t.outcome])


# ----------------------------------------------------------------------------- a firm's KPI history


def test_a_weekly_kpi_history_is_fitted(tmp_path, capsys, monkeypatch):
    """A CSV of weekly customer satisfaction (a week missing) made by the model at delivery capacity 3:
    the calibration follows it and lands near 3."""
    monkeypatch.chdir(tmp_path)
    spec = write(
        tmp_path / "history.yaml",
        f"""name: history
scenario: {BASELINE_YAML}
{SMALL_SET}steps: 24
parameters:
  organization.units.delivery.capacity: [2.0, 8.0]
history: {{file: firm.csv, tolerance: {{satisfaction: 0.006}}}}
replications: 4
seed: 5
method: {{samples: 4, local: nelder-mead, max_evaluations: 10}}
""",
    )
    write(tmp_path / "firm.csv", "week,satisfaction\n5,0.5\n")  # a placeholder, to read the seeds
    cal = load_calibration(spec)
    _, weekly = model_at(cal, (3.0,), [], ["satisfaction"])
    rows = ["week,satisfaction"] + [f"{w},{float(weekly.loc[w, 'satisfaction'])!r}" for w in range(5, 25)]
    rows[4] = rows[4].split(",")[0] + ","  # week 8 without data
    write(tmp_path / "firm.csv", "\n".join(rows) + "\n")
    code, stdout, err = call(capsys, "calibrate", str(spec), "--out", "out", "--workers", "1", "--no-progress")
    assert code == 0, err
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text(encoding="utf-8"))
    (row,) = manifest["targets"]
    assert row["target"] == "history:satisfaction" and row["weeks"] == 19 and row["reached"]
    assert abs(manifest["fitted"]["organization.units.delivery.capacity"] - 3.0) < 0.5, manifest["fitted"]
    assert manifest["history"]["sha256"]
    assert "satisfaction (history)" in stdout


# ----------------------------------------------------------------------------- bad specs


GOOD = f"""name: bad
scenario: {BASELINE_YAML}
set:
  warmup: 2
steps: 12
parameters:
  organization.cross_unit_ties: [0.0, 0.3]
targets:
  mean_satisfaction: 0.8
"""


def _history_spec(csv: str) -> tuple[str, str]:
    return GOOD.replace("targets:\n  mean_satisfaction: 0.8\n", "history: firm.csv\n"), csv


@pytest.mark.parametrize(
    ("text", "csv", "field", "needle"),
    [
        (GOOD + "bogus: 1\n", None, "bogus", "unknown key"),
        (GOOD.replace("organization.cross_unit_ties", "organization.cross_unit_tie"), None, "parameters.", "no such"),
        (GOOD.replace("[0.0, 0.3]", "[-0.1, 0.3]"), None, "parameters.organization.cross_unit_ties", "validation"),
        (GOOD.replace("[0.0, 0.3]", "[0.0, 1.5]"), None, "parameters.organization.cross_unit_ties", "validation"),
        (GOOD.replace("[0.0, 0.3]", "[0.3, 0.3]"), None, "parameters.organization.cross_unit_ties", "below high"),
        (GOOD.replace("[0.0, 0.3]", "[0.4, 0.1]"), None, "parameters.organization.cross_unit_ties", "below high"),
        (GOOD.replace("[0.0, 0.3]", "[0.1]"), None, "parameters.organization.cross_unit_ties", "[low, high]"),
        (
            GOOD.replace("organization.cross_unit_ties: [0.0, 0.3]", "organization.meeting_every_weeks: [1.5, 4]"),
            None,
            "parameters.organization.meeting_every_weeks",
            "whole numbers",
        ),
        (
            GOOD.replace("organization.cross_unit_ties: [0.0, 0.3]", "policies.empowerment: [0, 1]"),
            None,
            "parameters.policies.empowerment",
            "not a number",
        ),
        (
            GOOD.replace("organization.cross_unit_ties: [0.0, 0.3]", "steps: [10, 20]"),
            None,
            "parameters.steps",
            "horizon",
        ),
        (
            GOOD.replace("organization.cross_unit_ties: [0.0, 0.3]", "customers.segments.small.share: [0.1, 0.6]"),
            None,
            "parameters.customers.segments.small.share",
            "add up to 1",
        ),
        (GOOD.replace("mean_satisfaction: 0.8", "churn: 0.1"), None, "targets.churn", "unknown outcome"),
        (GOOD.replace("mean_satisfaction: 0.8", "nps: 0"), None, "targets.nps.tolerance", "target of 0"),
        (GOOD.replace("mean_satisfaction: 0.8", "nps: {value: 10, tolerance: -1}"), None, "targets.nps", "> 0"),
        (GOOD.replace("targets:\n  mean_satisfaction: 0.8\n", ""), None, "targets", "history CSV"),
        (GOOD + "replications: 1\n", None, "replications", "from 2 to 1000"),
        (GOOD + "method: {sample: sobol, samples: 6}\n", None, "method.samples", "power of 2"),
        (GOOD + "method: {samples: 50, max_evaluations: 20}\n", None, "method.samples", "budget"),
        (GOOD + "method: {local: bfgs}\n", None, "method.local", "nelder-mead"),
        (
            GOOD.replace("  warmup: 2\n", "  warmup: 2\n  organization.cross_unit_ties: 0.1\n"),
            None,
            "set.organization.cross_unit_ties",
            "fitted",
        ),
        (GOOD.replace("steps: 12", "steps: 2"), None, "warmup", "shorter than steps"),
        (*_history_spec("quality\n0.5\n"), "line 1", "'week' column"),
        (*_history_spec("week,quality\n1,abc\n"), "line 2, column quality", "finite number"),
        (*_history_spec("week,quality\n1,0.5,0.6\n"), "line 2", "3 cells"),
        (*_history_spec("week,satisfactoin\n1,0.5\n"), "line 1, column satisfactoin", "KPI column"),
        (*_history_spec("week,quality\n13,0.5\n"), "line 2, column week", "steps (12)"),
        (*_history_spec("week,quality\n1.5,0.5\n"), "line 2, column week", "whole number"),
        (*_history_spec("week,quality\n2,0.5\n2,0.6\n"), "line 3, column week", "line 2"),
        (*_history_spec("week,quality\n"), None, "no weeks"),
        (*_history_spec("week,quality\n1,\n"), "column quality", "no values"),
        (*_history_spec('week,quality\n1,"0.5\n'), "line", "malformed CSV"),
        (*_history_spec(""), None, "empty"),
    ],
)
def test_bad_specs_are_one_line_and_exit_2_before_any_run(tmp_path, capsys, monkeypatch, text, csv, field, needle):
    monkeypatch.chdir(tmp_path)
    spec = write(tmp_path / "spec.yaml", text)
    if csv is not None:
        write(tmp_path / "firm.csv", csv)

    def no_run(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("a run started although the spec was wrong")

    monkeypatch.setattr(evaluate_module, "run_chunk", no_run)
    code, _, err = call(capsys, "calibrate", str(spec), "--out", "out", "--workers", "1")
    assert code == 2
    line = one_line_error(err)
    source = "firm.csv" if csv is not None else "spec.yaml"
    assert source in line, line
    if field is not None:
        assert f": {field}" in line, line
    assert needle in line, line
    assert not (tmp_path / "out").exists()


def test_help_names_the_default_folder_and_the_options(capsys):
    code, out, _ = call(capsys, "calibrate", "--help")
    assert code == 0
    flat = " ".join(out.replace("│", " ").split())
    for needle in ("[default: results/calibrate/<spec name>]", "--workers", "--yes", "[default: all cores]"):
        assert needle in flat, needle


def test_plausible_takes_the_range_from_the_schema(tmp_path):
    """``plausible`` takes the schema's plausible range: fixed ranges as declared, relative ones around the
    base scenario's value (whole numbers for a whole-number key)."""
    spec = write(tmp_path / "spec.yaml", GOOD.replace("[0.0, 0.3]", "plausible"))
    (parameter,) = load_calibration(spec).parameters
    assert (parameter.low, parameter.high) == (0.02, 0.3)
    relative = GOOD.replace(
        "organization.cross_unit_ties: [0.0, 0.3]", "organization.units.delivery.employees: plausible"
    )
    (parameter,) = load_calibration(write(tmp_path / "rel.yaml", relative)).parameters
    assert (parameter.low, parameter.high, parameter.whole) == (35.0, 65.0, True)  # 50 seats x (0.7, 1.3)
    write(tmp_path / "big_company.yaml", "name: big\norganization:\n  units:\n    delivery:\n      employees: 101\n")
    bigger = relative.replace(f"scenario: {BASELINE_YAML}", "scenario: big_company.yaml")
    (parameter,) = load_calibration(write(tmp_path / "big.yaml", bigger)).parameters
    assert (parameter.low, parameter.high) == (71.0, 131.0)  # ceil(70.7), floor(131.3)


def test_a_folder_cxsim_did_not_write_is_refused(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "spec.yaml", GOOD)
    (tmp_path / "out").mkdir()
    write(tmp_path / "out" / "notes.txt", "mine")
    code, _, err = call(capsys, "calibrate", "spec.yaml", "--out", "out", "--workers", "1")
    assert code == 2 and "not a cxsim result" in one_line_error(err)
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["notes.txt"]


# ----------------------------------------------------------------------------- Ctrl-C and resume


TINY = f"""name: tiny
scenario: {BASELINE_YAML}
{SMALL_SET.replace("warmup: 4", "warmup: 2")}steps: 10
parameters:
  organization.units.delivery.capacity: [2.0, 8.0]
targets:
  mean_satisfaction: {{value: 0.79, tolerance: 0.005}}
replications: 2
seed: 9
method: {{samples: 3, local: none, max_evaluations: 3}}
"""


def test_ctrl_c_keeps_the_runs_and_the_rerun_resumes_without_recomputing(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "tiny.yaml", TINY)
    real = evaluate_module.run_chunk
    calls: list[int] = []

    def interrupted_at_the_third_chunk(tasks, outcomes, ts_columns):
        calls.append(len(tasks))
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real(tasks, outcomes, ts_columns)

    monkeypatch.setattr(evaluate_module, "run_chunk", interrupted_at_the_third_chunk)
    args = ("calibrate", "tiny.yaml", "--out", "out", "--workers", "1", "--no-progress")
    code, _, err = call(capsys, *args)
    assert code == 130 and "interrupted" in err and "resume" in err
    saved = sum(len(pd.read_parquet(p)) for p in (tmp_path / "out" / "parts").glob("runs-*.parquet"))
    assert saved == sum(calls[:2]) and 0 < saved < 6
    assert not (tmp_path / "out" / "fitted.yaml").exists()

    counted: list[int] = []

    def counting(tasks, outcomes, ts_columns):
        counted.append(len(tasks))
        return real(tasks, outcomes, ts_columns)

    monkeypatch.setattr(evaluate_module, "run_chunk", counting)
    code, _, err = call(capsys, *args)
    assert code == 0, err
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text(encoding="utf-8"))
    assert sum(counted) == 6 - saved
    assert manifest["counts"]["computed_now"] == 6 - saved and manifest["counts"]["reused_from_earlier"] == saved
    first = pd.read_parquet(tmp_path / "out" / "evaluations.parquet")

    counted.clear()
    code, _, err = call(capsys, *args)  # a finished calibration: everything comes from the saved runs
    assert code == 0, err
    assert counted == []
    again = pd.read_parquet(tmp_path / "out" / "evaluations.parquet")
    pd.testing.assert_frame_equal(first, again)
    assert json.loads((tmp_path / "out" / "manifest.json").read_text())["counts"]["computed_now"] == 0


def test_a_process_pool_gives_the_same_evaluations_as_a_serial_run(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "tiny.yaml", TINY)
    tables = []
    for workers, out in (("1", "serial"), ("2", "pool")):
        code, _, err = call(capsys, "calibrate", "tiny.yaml", "--out", out, "--workers", workers, "--no-progress")
        assert code == 0, err
        tables.append(pd.read_parquet(tmp_path / out / "evaluations.parquet"))
    pd.testing.assert_frame_equal(*tables)
    assert not math.isnan(tables[0]["objective"].min())
