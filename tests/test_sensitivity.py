"""Sampled designs and sensitivity analysis: SALib's samplers mapped onto scenario values, the analysis
recovering the Ishigami function's analytic Sobol' indices, the replication noise beside the indices, and
a tiny Morris study of the real model through ``cxsim sensitivity``, interrupted and resumed."""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import BASELINE_YAML, call, cxsim, one_line_error
from SALib.test_functions import Ishigami

from sim.errors import InputError
from sim.experiments import batch as batch_module
from sim.experiments.batch import run_batch
from sim.experiments.sampling import SampledParameter, SampleOptions, design_rows, row_values, sample_matrix
from sim.experiments.sensitivity import analyse, halvings, noise_surrogate
from sim.experiments.spec import load_experiment

# ------------------------------------------------------------------ the pipeline on a function with known indices

#: Ishigami & Homma (1990) with a = 7, b = 0.1: f = sin x1 + a sin² x2 + b x3⁴ sin x1 on [-π, π]³
A, B = 7.0, 0.1
_V1 = 0.5 * (1 + B * math.pi**4 / 5) ** 2
_V2 = A**2 / 8
_VT3 = 8 * B**2 * math.pi**8 / 225
_V = _V1 + _V2 + _VT3
#: analytic first-order and total indices (Sobol' 1990; Saltelli et al. 2008, ch. 4)
ISHIGAMI_S1 = (_V1 / _V, _V2 / _V, 0.0)
ISHIGAMI_ST = ((_V1 + _VT3) / _V, _V2 / _V, _VT3 / _V)
PARAMETERS = [SampledParameter(f"x{i}", "float", -math.pi, math.pi) for i in (1, 2, 3)]


def ishigami_study(method: str, samples: int, noise_sd: float = 0.0, reps: int = 1, extra: int = 0):
    """Sample, evaluate (with replication noise if asked) and analyse, as a study of the model does."""
    parameters = PARAMETERS + [SampledParameter(f"dummy{i}", "float", 0.0, 1.0) for i in range(extra)]
    options = SampleOptions(method, samples, seed=20260)
    matrix = sample_matrix(parameters, options)
    assert len(matrix) == design_rows(options, len(parameters))
    x = np.array([[row[p.name] for p in parameters[:3]] for row in row_values(parameters, matrix)])
    y = Ishigami.evaluate(x, A, B)[:, None] + np.random.default_rng(3).normal(0, noise_sd, (len(x), reps))
    result = analyse(parameters, options, matrix, y, "ishigami")
    return result.indices.set_index(["parameter", "index"]), result.noise


def test_analytic_values_of_the_ishigami_function():
    assert ISHIGAMI_S1[:2] == pytest.approx((0.3139, 0.4424), abs=1e-4)
    assert pytest.approx((0.5576, 0.4424, 0.2437), abs=1e-4) == ISHIGAMI_ST


def test_sobol_pipeline_recovers_the_ishigami_indices():
    indices, noise = ishigami_study("sobol", 1024)
    for k in range(3):
        s1, st = indices.loc[(f"x{k + 1}", "S1")], indices.loc[(f"x{k + 1}", "ST")]
        assert s1["value"] == pytest.approx(ISHIGAMI_S1[k], abs=0.03)
        assert st["value"] == pytest.approx(ISHIGAMI_ST[k], abs=0.03)
        assert s1["value"] - 2.5 * s1["conf"] < ISHIGAMI_S1[k] < s1["value"] + 2.5 * s1["conf"]
    s2 = indices.xs("S2", level="index")
    assert len(s2) == 3  # the pairs (x1, x2), (x1, x3), (x2, x3)
    assert s2[s2["parameter_2"] == "x3"].loc["x1", "value"] == pytest.approx(_VT3 / _V, abs=0.08)  # x1 x x3
    assert noise["replication_se"] is None and indices["noise"].isna().all()  # one replication: no noise


def test_fast_and_morris_rank_the_ishigami_inputs():
    fast, _ = ishigami_study("fast", 1000)
    for k in range(3):
        assert fast.loc[(f"x{k + 1}", "S1"), "value"] == pytest.approx(ISHIGAMI_S1[k], abs=0.03)
        assert fast.loc[(f"x{k + 1}", "ST"), "value"] == pytest.approx(ISHIGAMI_ST[k], abs=0.05)
    morris, _ = ishigami_study("morris", 100)
    star = morris.xs("mu_star", level="index")["value"]
    assert star.idxmin() == "x3" and min(star["x1"], star["x2"]) > star["x3"]
    sigma = morris.xs("sigma", level="index")["value"]
    assert sigma["x3"] > star["x3"]  # x3 acts only through its interaction with x1 (mu near 0)


def test_replication_noise_is_measured_and_an_inert_input_stays_within_it():
    indices, noise = ishigami_study("sobol", 512, noise_sd=1.0, reps=4, extra=1)
    y_var = noise["sd_of_row_means"] ** 2
    assert noise["replication_se"] == pytest.approx(0.5, rel=0.05)  # sd 1 over 4 replications
    assert noise["noise_share_of_variance"] == pytest.approx(0.25 / y_var, rel=0.15)
    st = indices.xs("ST", level="index")
    # noise inflates every total index by its share of the variance; the noise level says by how much
    assert st.loc["dummy0", "value"] == pytest.approx(noise["noise_share_of_variance"], abs=0.01)
    assert st.loc["dummy0", "noise"] == pytest.approx(noise["noise_share_of_variance"], rel=0.3)
    assert not st.loc["dummy0", "above_noise"]
    assert all(st.loc[f"x{k}", "above_noise"] for k in (1, 2, 3))
    assert st.loc["x3", "value"] == pytest.approx(ISHIGAMI_ST[2] + noise["noise_share_of_variance"], abs=0.04)


def test_the_noise_surrogate_has_the_variance_of_the_noise_in_a_mean():
    rng = np.random.default_rng(1)
    for reps in (2, 3, 5):
        y = rng.normal(10.0, 2.0, (20_000, reps))
        for first in halvings(reps, 4, rng):
            assert np.var(noise_surrogate(y, first)) == pytest.approx(4.0 / reps, rel=0.05)
    assert len(halvings(2, 16, rng)) == 1 and len(halvings(4, 16, rng)) == 3 and len(halvings(6, 16, rng)) == 10
    assert halvings(1, 16, rng) == []


# ------------------------------------------------------------------ mapping samples onto values


def test_whole_numbers_levels_and_switches_take_equal_shares_of_the_draws():
    parameters = [
        SampledParameter("n", "int", 2, 4),
        SampledParameter("style", "levels", levels=("a", "b", "c")),
        SampledParameter("on", "levels", levels=(False, True)),
        SampledParameter("w", "float", 0.1, 0.3),
    ]
    matrix = sample_matrix(parameters, SampleOptions("lhs", 3000, seed=1))
    rows = pd.DataFrame(row_values(parameters, matrix))
    for name, values in (("n", [2, 3, 4]), ("style", ["a", "b", "c"]), ("on", [False, True])):
        shares = rows[name].value_counts(normalize=True)
        assert sorted(shares.index) == values
        assert shares.to_numpy() == pytest.approx(1 / len(values), abs=0.01)
    assert rows["w"].between(0.1, 0.3).all() and rows["n"].map(type).eq(int).all()
    assert parameters[2].value(0.4999) is False and parameters[2].value(0.5) is True
    assert parameters[0].value(1.5) == 2 and parameters[0].value(4.5) == 4  # the sampled interval's ends


def test_the_same_spec_samples_the_same_design():
    options = SampleOptions("morris", 4, seed=9, levels=4)
    first, again = sample_matrix(PARAMETERS, options), sample_matrix(PARAMETERS, options)
    assert np.array_equal(first, again) and first.shape == (16, 3)
    other = sample_matrix(PARAMETERS, SampleOptions("morris", 4, seed=10, levels=4))
    assert not np.array_equal(first, other)


# ------------------------------------------------------------------ sampled specs of the real model

BASE = """name: tiny
steps: 14
warmup: 4
organization:
  units: {sales: {employees: 6}, delivery: {employees: 6}, support: {employees: 4}}
customers: {accounts: 40, prospects: 6}
"""


def write_spec(folder: Path, sample: str, reps: int = 2, name: str = "tiny_study") -> Path:
    (folder / "tiny.yaml").write_text(f"extends: {BASELINE_YAML}\n" + BASE)
    path = folder / f"{name}.yaml"
    path.write_text(
        f"name: {name}\nscenario: tiny.yaml\nreplications: {reps}\nseed: 4\n"
        "outcomes: [annual_churn_rate, nps, mean_satisfaction]\n" + sample
    )
    return path


TWINS = """sample:
  method: lhs
  samples: 8
  parameters:
    policies.empowerment: plausible
    organization.units.delivery.leader.style: {levels: [transformational, laissez_faire]}
"""


def test_repeated_design_points_share_runs_and_every_design_row_gets_its_outcome_row(tmp_path):
    experiment = load_experiment(write_spec(tmp_path, TWINS))
    assert len(experiment.points) == 8
    tasks = experiment.tasks()
    distinct = {
        (f["policies.empowerment"], f["organization.units.delivery.leader.style"]) for _, f, _ in experiment.points
    }
    assert len(tasks) == 2 * len(distinct) < 16  # 8 rows, at most 4 distinct points, 2 replications
    report = run_batch(experiment, tmp_path / "out", workers=1, progress=False, figures=False)
    assert report.total == len(tasks) and report.computed == len(tasks)
    runs = pd.read_parquet(tmp_path / "out" / "runs.parquet")
    assert list(runs.columns[:2]) == ["run_id", "design_row"]
    assert "policies.empowerment" in runs and "organization.units.delivery.leader.style" in runs
    assert len(runs) == 16 and runs[["design_row", "replication"]].drop_duplicates().shape[0] == 16
    assert runs["design_row"].tolist() == sorted(runs["design_row"].tolist())
    inputs = ["policies.empowerment", "organization.units.delivery.leader.style", "replication"]
    for _, same in runs.groupby(inputs):
        assert same["run_id"].nunique() == 1 and same["nps"].nunique() == 1  # twins: one run, one outcome
    assert runs.groupby("run_id")[inputs].nunique().eq(1).all().all()
    design = pd.read_parquet(tmp_path / "out" / "design.parquet")
    assert len(design) == 8 and design.drop(columns="design_row").to_numpy() == pytest.approx(experiment.design.matrix)
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert manifest["sample"]["method"] == "lhs" and manifest["distinct_design_points"] == len(distinct)
    assert manifest["sample"]["parameters"]["policies.empowerment"] == {"kind": "levels", "levels": [False, True]}


def test_sampled_ranges_come_from_the_schema_or_the_spec_and_stay_whole(tmp_path):
    spec = write_spec(
        tmp_path,
        "sample:\n  method: lhs\n  samples: 20\n  parameters:\n"
        "    organization.units.delivery.employees: plausible\n"
        "    parameters.service.engagement_weight: [0.1, 0.2]\n",
        reps=1,
    )
    experiment = load_experiment(spec)
    employees = [f["organization.units.delivery.employees"] for _, f, _ in experiment.points]
    assert all(isinstance(v, int) and 4 <= v <= 7 for v in employees)  # 6 people x 0.7 .. 1.3, whole
    weights = [s["parameters"]["service"]["engagement_weight"] for _, _, s in experiment.points]
    assert min(weights) >= 0.1 and max(weights) <= 0.2 and len(set(weights)) == 20


BAD = [
    ("method: anova\n  samples: 8", "sample.method", "'lhs', 'sobol', 'morris' or 'fast'"),
    ("method: sobol\n  samples: 100", "sample.samples", "power of 2"),
    ("method: fast\n  samples: 50", "sample.samples", "more than 4 x interference² = 64"),
    ("method: morris\n  samples: 4\n  levels: 3", "sample.levels", "even"),
    ("method: morris\n  samples: 4\n  optimal_trajectories: 4", "sample.optimal_trajectories", "fewer than"),
    ("method: lhs\n  samples: 8\n  second_order: true", "sample.second_order", "method sobol"),
    ("method: morris\n  samples: 1", "sample.samples", "from 2"),
]


@pytest.mark.parametrize(("head", "field", "needle"), BAD, ids=[b[1] + "-" + b[2][:12] for b in BAD])
def test_bad_sampler_settings_are_refused(tmp_path, head, field, needle):
    text = f"sample:\n  {head}\n  parameters:\n    policies.survey_coverage: plausible\n"
    text += "    organization.cross_unit_ties: plausible\n"
    with pytest.raises(InputError) as info:
        load_experiment(write_spec(tmp_path, text))
    assert info.value.field == field and needle in str(info.value), str(info.value)


PARAMETER_CASES = [
    ("organization.cross_unit_ties: [0.3, 0.1]", "0.3, 0.1", "below the high end"),
    ("organization.cross_unit_ties: [0.3, 0.3]", "0.3, 0.3", "below the high end"),
    ("organization.cross_unit_ties: [0.1, 1.5]", "1.5", "outside the allowed range [0, 1]"),
    ("organization.units.delivery.capacity: [0, 5]", "0, 5", "outside the allowed range (0, 1000]"),
    ("organization.units.delivery.leader.style: [0, 1]", "0, 1", "not a number; give its levels"),
    ("organization.units.delivery.leader.style: {levels: [transformational, charismatic]}", "charismatic", "servant"),
    ("organization.units.delivery.employees: [5.5, 8]", "5.5", "whole numbers"),
    ("policies.empowerment: [0, 1]", "0, 1", "a switch"),
    ("organization.units.*.employees: [4, 8]", "4, 8", "'*' is for grids"),
    ("organization.units.delivery: [1, 2]", "1, 2", "a section, not a value"),
    ("seed: [1, 2]", "1, 2", "cannot be sampled"),
    ("organization.nope: [1, 2]", "organization.nope", "no such setting"),
    ("organization.cross_unit_ties: wide", "wide", "plausible, [low, high] or {levels"),
    ("organization.cross_unit_ties: {levels: [0.1]}", "0.1", "at least 2 different levels"),
    ("description: plausible", "plausible", "cannot be sampled (a label"),
    ("customers.segments.small.channel_preference: plausible", "plausible", "no plausible range (not a number)"),
    ("organization.ties_per_employee: [4, 8]", "= 5", "must be an even number"),
]


@pytest.mark.parametrize(("line", "shown", "needle"), PARAMETER_CASES, ids=[c[2][:20] for c in PARAMETER_CASES])
def test_bad_sampled_parameters_are_one_line_errors_naming_the_parameter(tmp_path, capsys, line, shown, needle):
    key = line.split(":")[0]
    text = f"sample:\n  method: lhs\n  samples: 8\n  parameters:\n    {line}\n"
    spec = write_spec(tmp_path, text, reps=1)
    code, _, err = call(capsys, "batch", str(spec), "--workers", "1", "--no-progress", "--out", str(tmp_path / "o"))
    line_ = one_line_error(err)
    assert code == 2 and not (tmp_path / "o").exists()
    assert line_.startswith(f"error: {spec}: ") and shown in line_ and needle in line_, line_
    if key != "organization.nope":
        assert f"sample.parameters.{key}" in line_
    if "ties_per_employee" in key:
        assert line_.endswith("(design row 1)")  # a refused design point names its row


def test_a_sample_with_a_grid_or_too_many_runs_is_refused(tmp_path, capsys):
    spec = write_spec(
        tmp_path,
        "grid: {policies.empowerment: [true, false]}\n"
        "sample:\n  method: lhs\n  samples: 4\n  parameters: {organization.cross_unit_ties: plausible}\n",
    )
    code, _, err = call(capsys, "batch", str(spec), "--workers", "1", "--no-progress")
    assert code == 2 and "sample: a spec has a grid and/or cases, or a sample" in one_line_error(err)
    big = write_spec(
        tmp_path,
        "sample:\n  method: sobol\n  samples: 65536\n  parameters:\n"
        "    organization.cross_unit_ties: plausible\n    policies.survey_coverage: plausible\n",
        name="big",
    )
    code, _, err = call(capsys, "sensitivity", str(big), "--workers", "1", "--no-progress")
    assert code == 2 and "786,432 runs (393,216 sobol design rows x 2 replications)" in one_line_error(err)
    assert "--yes" in err


def test_sensitivity_refuses_designs_it_cannot_analyse(tmp_path, capsys):
    lhs = write_spec(
        tmp_path, "sample:\n  method: lhs\n  samples: 4\n  parameters:\n    policies.survey_coverage: plausible\n"
    )
    code, _, err = call(capsys, "sensitivity", str(lhs), "--no-progress")
    assert code == 2 and "sample.method = 'lhs': allowed for sensitivity: morris, sobol, fast" in one_line_error(err)
    grid = write_spec(tmp_path, "grid: {policies.empowerment: [true, false]}\n", name="grid")
    code, _, err = call(capsys, "sensitivity", str(grid), "--no-progress")
    assert code == 2 and "sample: a sensitivity study needs a sample: section" in one_line_error(err)
    one = write_spec(
        tmp_path,
        "sample:\n  method: morris\n  samples: 2\n  parameters: {policies.survey_coverage: plausible}\n",
        name="one",
    )
    code, _, err = call(capsys, "sensitivity", str(one), "--no-progress")
    assert code == 2 and "compares parameters: give at least 2" in one_line_error(err)
    code, _, err = call(capsys, "sensitivity", str(one), "--replications", "0")
    assert code == 2 and one_line_error(err).startswith("error: --replications = 0: allowed: a whole number from 1")


MORRIS = """sample:
  method: morris
  samples: 2
  parameters:
    parameters.service.engagement_weight: plausible
    policies.empowerment: plausible
"""


def test_a_tiny_morris_study_end_to_end_resumes_after_an_interruption(tmp_path, capsys, monkeypatch):
    spec = write_spec(tmp_path, MORRIS, reps=2)
    out = tmp_path / "study"
    started: list[str] = []
    run_task = batch_module.run_task

    def interrupted_run_task(task, *args):
        if len(started) == 5:
            raise KeyboardInterrupt
        started.append(task.run_id)
        return run_task(task, *args)

    monkeypatch.setattr(batch_module, "run_task", interrupted_run_task)
    code, _, err = call(capsys, "sensitivity", str(spec), "--out", str(out), "--workers", "1", "--no-progress")
    assert code == 130 and err.startswith("interrupted: saved runs are kept in") and "resume" in err
    assert not (out / "indices.csv").exists() and len(list((out / "parts").glob("runs-*.parquet"))) == 5

    monkeypatch.setattr(batch_module, "run_task", run_task)
    resumed: list[str] = []
    monkeypatch.setattr(batch_module, "run_task", lambda task, *a: resumed.append(task.run_id) or run_task(task, *a))
    code, text, err = call(capsys, "sensitivity", str(spec), "--out", str(out), "--workers", "1", "--no-progress")
    assert code == 0, err
    assert "12 runs (7 computed now, 5 reused) for 6 design rows x 2 replications" in text
    assert len(resumed) == 7 and not set(resumed) & set(started)  # the finished runs were not run again
    indices = pd.read_csv(out / "indices.csv")
    assert list(indices.columns) == [
        "outcome",
        "parameter",
        "parameter_2",
        "index",
        "value",
        "conf",
        "noise",
        "above_noise",
    ]
    assert len(indices) == 3 * 2 * 3  # outcomes x parameters x (mu_star, sigma, mu)
    assert set(indices["index"]) == {"mu_star", "sigma", "mu"} and indices["value"].notna().all()
    star = indices[indices["index"] == "mu_star"]
    assert star["conf"].notna().all() and star["noise"].notna().all() and (star["value"] >= 0).all()
    for outcome in ("annual_churn_rate", "nps", "mean_satisfaction"):
        assert (out / f"indices_{outcome}.png").stat().st_size > 10_000
        assert (out / f"morris_{outcome}.png").stat().st_size > 10_000
    assert (out / "ranking.png").exists() and "## nps" in (out / "sensitivity.md").read_text()
    record = json.loads((out / "sensitivity.json").read_text())
    assert record["method"] == "morris" and record["counts"] == {
        "design_rows": 6,
        "runs": 12,
        "computed_now": 7,
        "reused_from_earlier": 5,
    }
    assert record["salib"] and record["environment"]["cxsim"] and "git_commit" in record
    assert record["outcomes"]["nps"]["replication_se"] > 0
    runs = pd.read_parquet(out / "runs.parquet")
    assert len(runs) == 12 and {"design_row", "parameters.service.engagement_weight"} <= set(runs.columns)

    again = pd.read_csv(out / "indices.csv")
    code, text, _ = call(capsys, "sensitivity", str(spec), "--out", str(out), "--workers", "1", "--no-progress")
    assert code == 0 and "(0 computed now, 12 reused)" in text
    later = json.loads((out / "sensitivity.json").read_text())
    assert later["run_seconds"] >= record["run_seconds"] > 0  # the time behind the reused runs is kept
    pd.testing.assert_frame_equal(pd.read_csv(out / "indices.csv"), again)  # the same runs, the same indices
    owned = json.loads((out / ".cxsim-owned.json").read_text())["files"]
    assert {"indices.csv", "sensitivity.json", "runs.parquet", "ranking.png"} <= set(owned)


def test_a_sampled_batch_is_the_same_on_a_process_pool_and_a_dask_cluster(tmp_path):
    distributed = pytest.importorskip("distributed")
    spec = write_spec(tmp_path, TWINS)
    run_batch(load_experiment(spec), tmp_path / "serial", workers=1, progress=False, figures=False)
    serial = pd.read_parquet(tmp_path / "serial" / "runs.parquet")
    run_batch(load_experiment(spec), tmp_path / "pool", workers=2, progress=False, figures=False)
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "pool" / "runs.parquet"), serial)
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, host="127.0.0.1", dashboard_address=None, processes=True
    ) as cluster:
        run_batch(load_experiment(spec), tmp_path / "dask", scheduler=cluster.scheduler_address, progress=False)
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "dask" / "runs.parquet"), serial)


def test_a_killed_study_resumes_to_the_same_indices(tmp_path):
    spec = write_spec(tmp_path, MORRIS, reps=4)  # 6 design rows x 4 replications = 24 runs
    out = tmp_path / "killed"
    env = {**os.environ, "MPLBACKEND": "Agg"}
    command = [sys.executable, "-m", "sim.cli", "sensitivity", str(spec), "--out", str(out), "--workers", "1"]
    proc = subprocess.Popen(
        [*command, "--no-progress"], cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env
    )
    deadline = time.time() + 120
    while time.time() < deadline and len(list((out / "parts").glob("runs-*.parquet"))) < 2:
        assert proc.poll() is None
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    saved = sum(len(pd.read_parquet(p)) for p in (out / "parts").glob("runs-*.parquet"))
    assert 2 <= saved < 24 and not (out / "indices.csv").exists()
    res = cxsim("sensitivity", str(spec), "--out", str(out), "--workers", "1", "--no-progress", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert f"24 runs ({24 - saved} computed now, {saved} reused)" in res.stdout
    reference = tmp_path / "reference"
    res = cxsim("sensitivity", str(spec), "--out", str(reference), "--workers", "2", "--no-progress", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    pd.testing.assert_frame_equal(pd.read_csv(out / "indices.csv"), pd.read_csv(reference / "indices.csv"))
    pd.testing.assert_frame_equal(pd.read_parquet(out / "runs.parquet"), pd.read_parquet(reference / "runs.parquet"))
