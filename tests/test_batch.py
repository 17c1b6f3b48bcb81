"""The batch engine: specs, seeds, executors, resume after a crash, failures, comparisons."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import cxsim

from sim.errors import InputError
from sim.experiments.batch import run_batch
from sim.experiments.compare import analyse
from sim.experiments.spec import load_experiment, replication_seeds

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "baseline.yaml"
SMALL = """
name: {name}
scenario: {baseline}
{body}
replications: {reps}
steps: 30
seed: 11
outcomes: [annual_churn_rate, nps, mean_satisfaction, mean_engagement]
"""
SMALL_GRID = """grid:
  organization.cross_unit_ties: [0.0, 0.3]
  organization.units.*.employees: [8, 12]
  customers.accounts: [120]
"""


def write_spec(tmp_path: Path, body: str = SMALL_GRID, reps: int = 3, name: str = "small", extra: str = "") -> Path:
    path = tmp_path / f"{name}.yaml"
    path.write_text(SMALL.format(name=name, baseline=BASELINE, body=body, reps=reps) + extra)
    return path


# ------------------------------------------------------------------ specs and seeds


def test_grid_expands_full_factorial_with_wildcard(tmp_path):
    exp = load_experiment(write_spec(tmp_path))
    assert len(exp.points) == 2 * 2 * 1
    tasks = exp.tasks()
    assert len(tasks) == 12 and len({t.run_id for t in tasks}) == 12
    one = next(t for t in tasks if t.factors["organization.units.*.employees"] == 8)
    units = one.scenario["organization"]["units"]
    assert [units[u]["employees"] for u in ("sales", "delivery", "support")] == [8, 8, 8]
    # the wildcard leaves each unit's other settings alone
    assert units["delivery"]["capacity"] == 4 and units["support"]["capacity"] == 7


def test_replication_k_has_the_same_seed_in_every_case_and_more_reps_keep_old_seeds(tmp_path):
    assert replication_seeds(5, 4) == replication_seeds(5, 9)[:4]
    assert len(set(replication_seeds(5, 50))) == 50
    exp = load_experiment(write_spec(tmp_path, reps=4))
    by_rep: dict[int, set[int]] = {}
    for t in exp.tasks():
        by_rep.setdefault(t.replication, set()).add(t.seed)
    assert all(len(seeds) == 1 for seeds in by_rep.values())  # common random numbers


def test_adding_cases_or_replications_never_changes_existing_run_ids(tmp_path):
    one = write_spec(tmp_path, body="cases:\n  base: {}\n", reps=3, name="one")
    two = write_spec(
        tmp_path,
        body="cases:\n  base: {}\n  silo: {set: {organization.cross_unit_ties: 0.3}}\n",
        reps=5,
        name="two",
    )
    ids_one = {t.run_id for t in load_experiment(one).tasks()}
    ids_two = {t.run_id for t in load_experiment(two).tasks()}
    assert len(ids_one) == 3 and len(ids_two) == 10
    assert ids_one <= ids_two


@pytest.mark.parametrize(
    ("body", "field", "needle"),
    [
        ("grid:\n  organization.cross_unit_ties: [0.1]\nbogus: 1\n", "bogus", "unknown key"),
        ("grid:\n  organization.nope: [1, 2]\n", "organization.nope", "no such setting"),
        ("grid:\n  organization.cross_unit_ties: [0.1, 7.5]\n", "grid.organization.cross_unit_ties", "7.5"),
        ("grid:\n  organization.units.*.leader: [charismatic]\n", "grid.organization.units.*.leader", "laissez_faire"),
        ("grid:\n  customers.accounts: []\n", "grid", "at least one value"),
    ],
)
def test_bad_specs_are_one_line_errors(tmp_path, body, field, needle):
    with pytest.raises(InputError) as info:
        load_experiment(write_spec(tmp_path, body=body))
    message = str(info.value)
    assert field in message and needle in message and "\n" not in message


def test_bad_spec_on_the_command_line_writes_nothing(tmp_path):
    spec = write_spec(tmp_path, body="grid:\n  organization.cross_unit_ties: [0.1, 7.5]\n")
    out = tmp_path / "out"
    res = cxsim("batch", str(spec), "--out", str(out), "--no-progress", cwd=tmp_path)
    assert res.returncode == 2
    assert res.stderr.strip().count("\n") == 0 and "Traceback" not in res.stderr
    assert "7.5" in res.stderr and not out.exists()


def test_unreachable_scheduler_fails_before_any_run(tmp_path):
    spec = write_spec(tmp_path)
    out = tmp_path / "out"
    res = cxsim(
        "batch", str(spec), "--scheduler", "tcp://127.0.0.1:9", "--out", str(out), "--no-progress", cwd=tmp_path
    )
    assert res.returncode == 2
    assert "--scheduler" in res.stderr and "tcp://127.0.0.1:9" in res.stderr and "Traceback" not in res.stderr
    assert res.stderr.strip().count("\n") == 0
    assert not out.exists()


# ------------------------------------------------------------------ executors give the same numbers


@pytest.fixture(scope="module")
def serial_runs(tmp_path_factory) -> pd.DataFrame:
    tmp = tmp_path_factory.mktemp("serial")
    run_batch(load_experiment(write_spec(tmp)), tmp / "out", workers=1, progress=False, figures=False)
    return pd.read_parquet(tmp / "out" / "runs.parquet")


def test_runs_table_is_tidy(serial_runs):
    assert list(serial_runs.columns[:6]) == [
        "run_id",
        "case",
        "organization.cross_unit_ties",
        "organization.units.*.employees",
        "customers.accounts",
        "replication",
    ]
    assert serial_runs["run_id"].is_unique and len(serial_runs) == 12
    assert serial_runs["error"].isna().all()
    assert serial_runs["mean_satisfaction"].between(0, 1).all()
    assert list(serial_runs["run_id"]) == sorted(serial_runs["run_id"])


def test_process_pool_equals_serial(tmp_path, serial_runs):
    run_batch(load_experiment(write_spec(tmp_path)), tmp_path / "out", workers=2, progress=False, figures=False)
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "out" / "runs.parquet"), serial_runs)


def test_dask_cluster_equals_serial_even_when_a_worker_dies(tmp_path, serial_runs):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, host="127.0.0.1", dashboard_address=None, processes=True
    ) as cluster:
        run_batch(
            load_experiment(write_spec(tmp_path)),
            tmp_path / "plain",
            scheduler=cluster.scheduler_address,
            progress=False,
            figures=False,
        )
        pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "plain" / "runs.parquet"), serial_runs)

        # now kill one worker process while the batch is running
        spec = write_spec(tmp_path, reps=6, name="longer")
        out = tmp_path / "killed"
        victim = next(iter(cluster.workers.values())).process.pid

        def kill_when_started() -> None:
            deadline = time.time() + 60
            while time.time() < deadline and not list((out / "parts").glob("runs-*.parquet")):
                time.sleep(0.05)
            os.kill(victim, signal.SIGKILL)

        killer = threading.Thread(target=kill_when_started)
        killer.start()
        run_batch(load_experiment(spec), out, scheduler=cluster.scheduler_address, progress=False, figures=False)
        killer.join()
    reference = tmp_path / "reference"
    run_batch(load_experiment(spec), reference, workers=1, progress=False, figures=False)
    got = pd.read_parquet(out / "runs.parquet")
    assert len(got) == 24 and got["run_id"].is_unique and got["error"].isna().all()
    pd.testing.assert_frame_equal(got, pd.read_parquet(reference / "runs.parquet"))


def test_batch_killed_with_sigkill_resumes_to_the_same_result(tmp_path):
    spec = write_spec(tmp_path, reps=10)  # 40 runs, saved in chunks of a few runs
    out = tmp_path / "out"
    proc = subprocess.Popen(
        [sys.executable, "-m", "sim.cli", "batch", str(spec), "--out", str(out), "--workers", "1", "--no-progress"],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.time() + 120
    while time.time() < deadline and len(list((out / "parts").glob("runs-*.parquet"))) < 2:
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    parts = list((out / "parts").glob("runs-*.parquet"))
    saved = sum(len(pd.read_parquet(p)) for p in parts)
    assert len(parts) >= 2 and saved < 40 and not (out / "runs.parquet").exists()  # killed half-way

    res = cxsim("batch", str(spec), "--out", str(out), "--workers", "1", "--no-progress", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert f"({40 - saved} computed now, {saved} reused)" in res.stdout
    uninterrupted = tmp_path / "uninterrupted"
    run_batch(load_experiment(spec), uninterrupted, workers=2, progress=False, figures=False)
    resumed = pd.read_parquet(out / "runs.parquet")
    assert len(resumed) == 40 and resumed["run_id"].is_unique
    pd.testing.assert_frame_equal(resumed, pd.read_parquet(uninterrupted / "runs.parquet"))


def test_a_failing_run_is_recorded_and_the_batch_goes_on(tmp_path, monkeypatch):
    from sim import model as model_module

    exp = load_experiment(write_spec(tmp_path, reps=2))
    bad_seed = exp.tasks()[0].seed
    original = model_module.CXModel.run

    def run_or_fail(self):
        if self.seed == bad_seed:
            raise RuntimeError("boom")
        return original(self)

    monkeypatch.setattr(model_module.CXModel, "run", run_or_fail)
    report = run_batch(exp, tmp_path / "out", workers=1, progress=False, figures=False)
    runs = pd.read_parquet(tmp_path / "out" / "runs.parquet")
    failed = runs[runs["error"].notna()]
    assert len(runs) == 8 and len(failed) == 4  # replication 0 of each of the 4 design points
    assert failed["error"].str.contains("RuntimeError: boom").all()
    assert failed["mean_satisfaction"].isna().all() and runs.loc[runs["error"].isna(), "nps"].notna().all()
    assert len(report.failed) == 4


def test_batch_writes_manifest_and_figures(tmp_path):
    spec = write_spec(tmp_path, reps=2)
    out = tmp_path / "out"
    res = cxsim("batch", str(spec), "--out", str(out), "--no-progress", "--workers", "1", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    import json

    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["counts"]["runs"] == 8 and manifest["counts"]["failed"] == 0
    assert len(manifest["design_points"]) == 4 and manifest["environment"]["cxsim"]
    assert (out / "factor_organization_cross_unit_ties.png").stat().st_size > 10_000
    heatmaps = list(out.glob("heatmap_*.png"))
    assert len(heatmaps) == 3  # three factor pairs


# ------------------------------------------------------------------ comparisons


@pytest.fixture(scope="module")
def paired(tmp_path_factory) -> pd.DataFrame:
    """Baseline and empowerment, 16 replications, common random numbers."""
    tmp = tmp_path_factory.mktemp("paired")
    body = f"cases:\n  base: {BASELINE}\n  emp: {ROOT / 'scenarios' / 'empowerment.yaml'}\n"
    spec = write_spec(tmp, body=body, reps=16, name="paired")
    text = spec.read_text().replace("steps: 30", "steps: 60")
    spec.write_text(text + "timeseries: false\n")
    run_batch(load_experiment(spec), tmp / "out", workers=2, progress=False, figures=False)
    return pd.read_parquet(tmp / "out" / "runs.parquet")


def test_confidence_interval_narrows_with_more_replications(paired):
    metrics = ["mean_satisfaction", "nps"]
    many = analyse(paired, ["base", "emp"], metrics)
    assert many["replications"] == 16
    quarters = [analyse(paired[paired["replication"] // 4 == q], ["base", "emp"], metrics) for q in range(4)]
    assert all(q["replications"] == 4 for q in quarters)
    for metric in metrics:
        few = np.mean([q["differences"]["emp"][metric]["half_width"] for q in quarters])
        # t(3)/2 vs t(15)/4: about three times narrower with four times the replications
        assert many["differences"]["emp"][metric]["half_width"] < 0.6 * few


def test_common_random_numbers_shrink_the_variance_of_differences(paired):
    base = paired[paired["case"] == "base"].sort_values("replication")
    emp = paired[paired["case"] == "emp"].sort_values("replication")
    crn = emp["mean_satisfaction"].to_numpy() - base["mean_satisfaction"].to_numpy()
    # independent seeds: pair each empowerment run with the baseline run of another replication
    indep = emp["mean_satisfaction"].to_numpy() - np.roll(base["mean_satisfaction"].to_numpy(), 1)
    assert np.var(crn, ddof=1) < 0.5 * np.var(indep, ddof=1)


def test_compare_command_prints_differences_and_writes_files(tmp_path):
    out = tmp_path / "cmp"
    res = cxsim(
        "compare",
        str(BASELINE),
        str(ROOT / "scenarios" / "empowerment.yaml"),
        "--reps",
        "4",
        "--steps",
        "40",
        "--metric",
        "recovery_rate",
        "--metric",
        "nps",
        "--out",
        str(out),
        "--no-progress",
        cwd=tmp_path,
    )
    assert res.returncode == 0, res.stderr
    assert "recovery_rate" in res.stdout and "±" in res.stdout and "stopped by" in res.stdout
    import json

    result = json.loads((out / "compare.json").read_text())
    diff = result["differences"]["empowerment"]["recovery_rate"]
    assert diff["low"] > 0  # empowerment raises on-the-spot recovery, clearly
    assert (out / "compare.md").read_text().count("|") > 10
    assert (out / "compare_forest.png").exists() and (out / "compare_timeseries.png").exists()


def test_compare_ci_width_adds_replications_until_precise(tmp_path):
    from sim.experiments.compare import Plan, run_comparison

    files = [str(BASELINE), str(ROOT / "scenarios" / "empowerment.yaml")]
    result = run_comparison(
        files,
        tmp_path / "seq",
        Plan(ci_width=0.08, max_reps=40, start_reps=3),
        ["recovery_rate"],
        steps=40,
        workers=1,
        progress=False,
    )
    half = result["differences"]["empowerment"]["recovery_rate"]["half_width"]
    assert result["stopped_by"].startswith("precision reached") and half <= 0.08
    capped = run_comparison(
        files,
        tmp_path / "cap",
        Plan(ci_width=1e-6, max_reps=4, start_reps=3),
        ["nps"],
        steps=40,
        workers=1,
        progress=False,
    )
    assert capped["stopped_by"].startswith("maximum replications reached") and capped["replications"] == 4


@pytest.mark.parametrize(
    ("args", "needles"),
    [
        (["compare", str(BASELINE)], ("at least two",)),
        (["compare", str(BASELINE), "nothere.yaml"], ("nothere.yaml", "not found")),
        (
            ["compare", str(BASELINE), str(BASELINE).replace("baseline", "empowerment"), "--reps", "1"],
            ("--reps", ">= 2"),
        ),
        (["compare", str(BASELINE), str(BASELINE).replace("baseline", "empowerment"), "--metric", "foo"], ("'foo'",)),
        (["compare", str(BASELINE), "bad.yaml"], ("bad.yaml", "organization.cross_unit_ties", "7.5")),
        (["batch", "nothere.yaml"], ("nothere.yaml", "not found")),
        (["batch", "missing_case.yaml"], ("cases.a", "nothere.yaml")),
        (["batch", "small.yaml", "--workers", "0"], ("--workers", ">= 1")),
        (["batch", "small.yaml", "--out", "afile"], ("--out", "a file is in the way")),
        (["batch", "small.yaml", "--out", "foreign"], ("--out", "not a cxsim result")),
        (["plot", "nowhere"], ("nowhere", "not a batch result folder")),
    ],
)
def test_bad_batch_and_compare_input_is_one_line_and_writes_nothing(tmp_path, args, needles):
    write_spec(tmp_path)
    (tmp_path / "bad.yaml").write_text(f"extends: {BASELINE}\nname: bad\norganization: {{cross_unit_ties: 7.5}}\n")
    (tmp_path / "missing_case.yaml").write_text(f"name: m\nscenario: {BASELINE}\ncases:\n  a: nothere.yaml\n")
    (tmp_path / "afile").write_text("x")
    (tmp_path / "foreign").mkdir()
    (tmp_path / "foreign" / "notes.txt").write_text("keep me")
    before = sorted(p.name for p in tmp_path.rglob("*"))
    res = cxsim(*args, "--no-progress", cwd=tmp_path) if args[0] != "plot" else cxsim(*args, cwd=tmp_path)
    assert res.returncode == 2
    line = res.stderr.strip()
    assert "\n" not in line and "Traceback" not in line and line.startswith("error: ")
    for needle in needles:
        assert needle in line
    assert sorted(p.name for p in tmp_path.rglob("*")) == before  # nothing written, nothing removed


def test_failed_runs_are_tried_again_when_the_batch_is_started_again(tmp_path, monkeypatch):
    from sim import model as model_module

    exp = load_experiment(write_spec(tmp_path, reps=2))
    bad_seed = exp.tasks()[0].seed
    original = model_module.CXModel.run

    def run_or_fail(self):
        if self.seed == bad_seed:
            raise MemoryError("transient")
        return original(self)

    monkeypatch.setattr(model_module.CXModel, "run", run_or_fail)
    first = run_batch(exp, tmp_path / "out", workers=1, progress=False, figures=False)
    assert len(first.failed) == 4
    monkeypatch.setattr(model_module.CXModel, "run", original)
    second = run_batch(exp, tmp_path / "out", workers=1, progress=False, figures=False)
    assert second.failed == [] and second.reused == 4
    runs = pd.read_parquet(tmp_path / "out" / "runs.parquet")
    assert len(runs) == 8 and runs["error"].isna().all() and runs["nps"].notna().all()


def test_a_changed_spec_cannot_reuse_runs_that_keep_other_outcomes(tmp_path):
    spec = write_spec(tmp_path, reps=1)
    out = tmp_path / "out"
    run_batch(load_experiment(spec), out, workers=1, progress=False, figures=False)
    spec.write_text(spec.read_text().replace("outcomes: [annual_churn_rate, nps", "outcomes: [failure_rate, nps"))
    with pytest.raises(InputError) as info:
        run_batch(load_experiment(spec), out, workers=1, progress=False, figures=False)
    assert "other outcomes" in str(info.value) and "--fresh" in str(info.value)
    report = run_batch(load_experiment(spec), out, workers=1, fresh=True, progress=False, figures=False)
    assert report.computed == 4 and "failure_rate" in pd.read_parquet(out / "runs.parquet").columns


def test_fresh_and_out_never_touch_a_folder_cxsim_did_not_write(tmp_path):
    project = tmp_path / "project"
    (project / "src").mkdir(parents=True)
    (project / "manifest.json").write_text('{"name": "my-web-app"}')
    (project / "src" / "code.py").write_text("print('keep me')")
    spec = write_spec(tmp_path, reps=1)
    res = cxsim("batch", str(spec), "--out", str(project), "--fresh", "--no-progress", cwd=tmp_path)
    assert res.returncode == 2 and "not a cxsim result" in res.stderr
    assert (project / "src" / "code.py").exists() and (project / "manifest.json").exists()


def test_mapping_levels_become_json_labels(tmp_path):
    body = (
        "grid:\n  organization.units.sales.leader: [transformational, {style: servant, support: 0.9}]\n"
        "  organization.cross_unit_ties: [0.0, 0.3]\n"
    )
    out = tmp_path / "out"
    run_batch(load_experiment(write_spec(tmp_path, body=body, reps=1)), out, workers=1, progress=False)
    labels = set(pd.read_parquet(out / "runs.parquet")["organization.units.sales.leader"])
    assert labels == {"transformational", '{"style": "servant", "support": 0.9}'}
    assert (out / "heatmap_organization_cross_unit_ties_x_organization_units_sales_leader_nps.png").exists()
