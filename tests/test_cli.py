"""The ``cxsim`` command: every option checked before any run, undefined outcomes as n/a,
help that shows defaults and allowed names, ``--version``, ``--yes`` for big designs, and
``plot`` on a damaged folder — each a single line on stderr and exit code 2 when wrong."""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import time
from pathlib import Path

import pandas as pd
import pytest
from conftest import BASELINE_YAML, SCENARIOS, call, cxsim, one_line_error

import sim
from sim import cli
from sim.experiments import compare as compare_module
from sim.experiments.compare import Plan, diff_text, fmt, to_markdown
from sim.outputs.folders import write_marker
from sim.outputs.summary import OUTCOMES

EMPOWERMENT = SCENARIOS / "empowerment.yaml"
SMALL = """extends: {base}
name: {name}
steps: 20
warmup: 4
organization: {{units: {{sales: {{employees: 10}}, delivery: {{employees: 12}}, support: {{employees: 8}}}}}}
customers: {{accounts: 150, prospects: 20}}
"""


@pytest.fixture
def work(tmp_path, monkeypatch) -> Path:
    """The current folder, with two small scenarios ``a.yaml`` and ``b.yaml`` (b: empowerment)."""
    (tmp_path / "a.yaml").write_text(SMALL.format(base=BASELINE_YAML, name="a"))
    (tmp_path / "b.yaml").write_text(SMALL.format(base=EMPOWERMENT, name="b"))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    return tmp_path


def listing(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def flat(text: str) -> str:
    """Help text without Rich's box characters and line breaks."""
    return " ".join(re.sub(r"[│╭╮╰╯─]", " ", text).split())


# ---------------------------------------------------------------------------------------------
# every option checked before any run


@pytest.mark.parametrize(
    ("args", "head", "needle"),
    [
        (["compare", "a.yaml", "b.yaml", "--steps", "-1"], "--steps = -1", "from 1 to 5200"),
        (["compare", "a.yaml", "b.yaml", "--steps", "0"], "--steps = 0", "from 1 to 5200"),
        (["compare", "a.yaml", "b.yaml", "--steps", "3"], "--steps = 3", "warm-up"),
        (["compare", "a.yaml", "b.yaml", "--seed", "-1"], "--seed = -1", "from 0"),
        (["compare", "a.yaml", "b.yaml", "--seed", str(2**64)], f"--seed = {2**64}", "from 0"),
        (["compare", "a.yaml", "b.yaml", "--workers", "-1"], "--workers = -1", ">= 1"),
        (["compare", "a.yaml", "b.yaml", "--workers", "0"], "--workers = 0", ">= 1"),
        (["compare", "a.yaml", "b.yaml", "--workers", "100000"], "--workers = 100000", "at most"),
        (["compare", "a.yaml", "b.yaml", "--ci-width", "nan"], "--ci-width = nan", "finite number > 0"),
        (["compare", "a.yaml", "b.yaml", "--ci-width", "inf"], "--ci-width = inf", "finite number > 0"),
        (["compare", "a.yaml", "b.yaml", "--ci-width", "0"], "--ci-width = 0.0", "> 0"),
        (["compare", "a.yaml", "b.yaml", "--ci-width", "-1"], "--ci-width = -1.0", "> 0"),
        (["compare", "a.yaml", "b.yaml", "--reps", "1"], "--reps = 1", ">= 2"),
        (["compare", "a.yaml", "b.yaml", "--reps", "0"], "--reps = 0", ">= 2"),
        (["compare", "a.yaml", "b.yaml", "--reps", "100001"], "--reps = 100001", "at most 100000"),
        (["compare", "a.yaml", "b.yaml", "--max-reps", "1", "--ci-width", "1"], "--max-reps = 1", ">= 2"),
        (["compare", "a.yaml", "b.yaml", "--reps", "3", "--ci-width", "1"], "--reps = 3", "not both"),
        (["compare", "a.yaml", "b.yaml", "--metric", "nps", "--metric", "NPS"], "--metric = 'NPS'", "nps_surveyed"),
        (["compare", "a.yaml", "b.yaml", "--worker-timeout", "0"], "--worker-timeout = 0.0", "> 0"),
        (["compare", "a.yaml"], "compare = ", "at least two"),
        (["batch", "policy_portfolio", "--workers", "-1"], "--workers = -1", ">= 1"),
        (["batch", "policy_portfolio", "--workers", "0"], "--workers = 0", ">= 1"),
        (["batch", "policy_portfolio", "--worker-timeout", "nan"], "--worker-timeout = nan", "> 0"),
        (["batch", "policy_portfolio", "--scheduler", " "], "--scheduler = ' '", "address"),
        (["run", "a.yaml", "--seed", "-1"], "--seed: seed = -1", "from 0"),
        (["run", "a.yaml", "--seed", str(2**64)], f"--seed: seed = {2**64}", "9223372036854775807"),
        (["run", "a.yaml", "--steps", "0"], "--steps: steps = 0", "from 1"),
    ],
)
def test_bad_options_are_one_line_before_any_run(work, capsys, monkeypatch, args, head, needle):
    from sim.experiments import batch as batch_module
    from sim.outputs import run as run_module

    def no_run(*a, **k):
        raise AssertionError("a run started although an option was wrong")

    monkeypatch.setattr(batch_module, "run_batch", no_run)
    monkeypatch.setattr(compare_module, "run_batch", no_run)
    monkeypatch.setattr(run_module, "run_scenario", no_run)
    before = listing(work)
    code, _, err = call(capsys, *args, "--out", "out")
    assert code == 2
    line = one_line_error(err)
    assert line.startswith(f"error: {head}"), line
    assert needle in line, line
    assert listing(work) == before  # nothing written


def test_unknown_metric_lists_every_allowed_name(work, capsys):
    code, _, err = call(capsys, "compare", "a.yaml", "b.yaml", "--metric", "churn")
    assert code == 2
    line = one_line_error(err)
    assert all(name in line for name in OUTCOMES)


def test_ci_width_is_read_in_the_unit_the_table_shows(work, capsys, monkeypatch):
    """Churn is shown in percentage points: --ci-width 2 means 2 pp, a fraction of 0.02."""
    plans: list[Plan] = []

    def capture(files, out_dir, plan, metrics, **kwargs):
        plans.append(plan)
        raise cli.InputError("test", None, cli.MISSING, "stop here")

    monkeypatch.setattr(compare_module, "run_comparison", capture)
    call(capsys, "compare", "a.yaml", "b.yaml", "--ci-width", "2", "--metric", "annual_churn_rate")
    call(capsys, "compare", "a.yaml", "b.yaml", "--ci-width", "2", "--metric", "nps")
    call(capsys, "compare", "a.yaml", "b.yaml", "--ci-width", "2")  # the first default metric is churn
    assert [p.ci_width for p in plans] == pytest.approx([0.02, 2.0, 0.02])


def test_worker_timeout_reaches_the_batch_engine(work, capsys, monkeypatch):
    from sim.experiments import batch as batch_module

    seen = []

    def capture(*args, **kwargs):
        seen.append(kwargs.get("worker_timeout"))
        raise cli.InputError("engine", None, cli.MISSING, "reached")

    monkeypatch.setattr(compare_module, "run_batch", capture)
    monkeypatch.setattr(batch_module, "run_batch", capture)
    (work / "spec.yaml").write_text("name: s\nscenario: a.yaml\nreplications: 2\n")
    call(capsys, "compare", "a.yaml", "b.yaml", "--worker-timeout", "7.5", "--out", "c")
    call(capsys, "batch", "spec.yaml", "--worker-timeout", "9", "--out", "d")
    assert seen == [7.5, 9.0]
    assert batch_module.WORKER_TIMEOUT == 180  # the default --help states


# ---------------------------------------------------------------------------------------------
# help, version


def test_version(capsys):
    assert call(capsys, "--version") == (0, f"cxsim {sim.__version__}\n", "")


def test_help_shows_defaults_units_and_allowed_names(capsys):
    helps = {}
    for command in ("run", "batch", "sensitivity", "compare", "plot"):
        code, out, _ = call(capsys, command, "--help")
        assert code == 0
        helps[command] = flat(out)
    assert "[default: results/<name>/<run id>]" in helps["run"]
    assert "[default: results/<spec name>]" in helps["batch"]
    assert "[default: results/<spec name>]" in helps["sensitivity"] and "[default: the spec]" in helps["sensitivity"]
    assert "[default: results/compare/<names>]" in helps["compare"]
    assert "[default: all cores]" in helps["compare"]
    assert "percentage points for shares" in helps["compare"]
    assert "Result folder ." not in " ".join(helps.values())
    for name in OUTCOMES:
        assert name in helps["compare"] and name in helps["plot"]


# ---------------------------------------------------------------------------------------------
# undefined outcomes


def test_undefined_outcome_prints_na_in_the_run_summary(work, capsys):
    code, out, err = call(capsys, "run", "a.yaml", "--set", "policies.survey_coverage=0", "--no-figures")
    assert code == 0, err
    row = next(line for line in out.splitlines() if "NPS (census / surveyed)" in line)
    assert re.search(r"[+-]\d+\.\d / n/a", row), row
    summary = json.loads(next(Path("results/a").glob("*/summary.json")).read_text())
    assert summary["nps_surveyed"] is None


def test_undefined_differences_print_na():
    undefined = {"mean": math.nan, "low": math.nan, "high": math.nan, "half_width": math.nan, "n": 0}
    one = {"mean": 0.02, "low": -math.inf, "high": math.inf, "half_width": math.inf, "n": 1}
    assert diff_text(undefined, "nps_surveyed") == "n/a"
    assert diff_text(one, "annual_churn_rate") == "+2.00 pp ± n/a"
    assert fmt(None, "nps") == "n/a" and fmt(math.nan, "stale_share") == "n/a"
    result = {
        "scenarios": ["a", "b"],
        "replications": 3,
        "seed": 1,
        "stopped_by": "fixed",
        "metrics": {"nps_surveyed": {"a": {"mean": 20.0}, "b": {"mean": math.nan}}},
        "differences": {"b": {"nps_surveyed": undefined}},
    }
    table = to_markdown(result)
    assert "| nps_surveyed | 20.0 | n/a | n/a |" in table and "nan" not in table


def test_compare_end_to_end(work, capsys):
    """Undefined shown as n/a, compare.json valid JSON, the folder recorded as cxsim's, reruns keep user files."""
    args = ("compare", "a.yaml", "b.yaml", "--reps", "2", "--workers", "1", "--no-progress", "--out", "cmp")
    code, out, err = call(capsys, *args, "--metric", "recovery_rate", "--metric", "nps_surveyed")
    assert code == 0, err
    assert "nan" not in out
    saved = json.loads(Path("cmp/compare.json").read_text(), parse_constant=lambda c: pytest.fail(c))
    assert saved["scenarios"] == ["a", "b"]
    owned = set(json.loads(Path("cmp/.cxsim-owned.json").read_text())["files"])
    assert {"compare.json", "compare.md", "compare_forest.png", "runs.parquet"} <= owned
    Path("cmp/notes.md").write_text("mine\n")
    code, _, err = call(capsys, *args, "--metric", "nps")
    assert code == 0, err
    assert Path("cmp/notes.md").read_text() == "mine\n"
    assert list(json.loads(Path("cmp/compare.json").read_text())["metrics"]) == ["nps"]
    assert sorted(p.name for p in work.iterdir()) == ["a.yaml", "b.yaml", "cmp"]  # no temporaries


def test_compare_disk_full_is_one_line_and_keeps_the_earlier_comparison(work, capsys, monkeypatch):
    args = ("compare", "a.yaml", "b.yaml", "--reps", "2", "--workers", "1", "--no-progress", "--out", "cmp")
    assert call(capsys, *args)[0] == 0
    before = {p.name: p.read_bytes() for p in Path("cmp").iterdir() if p.name.startswith("compare")}

    def full(path, text):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(compare_module, "atomic_write_text", full)
    code, _, err = call(capsys, *args, "--metric", "nps")
    assert code == 2
    assert one_line_error(err) == "error: cmp: cannot write (No space left on device)"
    assert {p.name: p.read_bytes() for p in Path("cmp").iterdir() if p.name.startswith("compare")} == before
    assert sorted(p.name for p in work.iterdir()) == ["a.yaml", "b.yaml", "cmp"]


# ---------------------------------------------------------------------------------------------
# big designs need --yes


def _big_spec(folder: Path) -> Path:
    levels = ", ".join(f"{i / 1000:.3f}" for i in range(400))
    spec = folder / "big.yaml"
    spec.write_text(
        f"name: big\nscenario: {BASELINE_YAML}\nreplications: 1\n"
        f"grid:\n  organization.cross_unit_ties: [{levels}]\n  policies.survey_coverage: [{levels}]\n"
    )
    return spec


def test_big_batch_is_refused_without_a_terminal_unless_yes(work, capsys, monkeypatch):
    from sim.experiments import spec as spec_module

    _big_spec(work)
    monkeypatch.setattr("sys.stdin.isatty", lambda: False)
    t0 = time.perf_counter()
    code, _, err = call(capsys, "batch", "big.yaml")
    assert code == 2 and "--yes" in one_line_error(err) and "160,000 runs" in err
    assert time.perf_counter() - t0 < 10  # refused before expanding the design

    def expansion(*args, **kwargs):
        raise cli.InputError("expansion", None, cli.MISSING, "reached")

    monkeypatch.setattr(spec_module, "build_experiment", expansion)
    code, out, err = call(capsys, "batch", "big.yaml", "--yes")
    assert "160,000 runs" in out  # the count comes before the expansion work
    assert "expansion: reached" in err


def test_big_batch_asks_on_a_terminal(work, capsys, monkeypatch):
    _big_spec(work)
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    asked = []
    monkeypatch.setattr(cli.typer, "confirm", lambda text, **kw: asked.append(text) or False)
    code, _, _ = call(capsys, "batch", "big.yaml")
    assert code == 2 and asked and "160,000 runs" in asked[0]
    assert not (work / "results").exists()


def test_big_comparison_needs_yes(work, capsys, monkeypatch):
    monkeypatch.setattr("sys.stdin.isatty", lambda: False)
    code, _, err = call(capsys, "compare", "a.yaml", "b.yaml", "--reps", "60000")
    assert code == 2 and "--yes" in one_line_error(err) and "120,000 runs" in err

    def started(*args, **kwargs):
        raise cli.InputError("comparison", None, cli.MISSING, "started")

    monkeypatch.setattr(compare_module, "run_comparison", started)
    code, _, err = call(capsys, "compare", "a.yaml", "b.yaml", "--reps", "60000", "--yes", "--out", "c")
    assert "comparison: started" in err


# ---------------------------------------------------------------------------------------------
# plot


@pytest.fixture(scope="module")
def batch_folder(tmp_path_factory) -> Path:
    """A small finished batch (two grid points, two replications, serial)."""
    from sim.experiments.batch import run_batch
    from sim.experiments.spec import load_experiment

    folder = tmp_path_factory.mktemp("batch")
    (folder / "a.yaml").write_text(SMALL.format(base=BASELINE_YAML, name="a"))
    (folder / "spec.yaml").write_text(
        "name: tiny\nscenario: a.yaml\nreplications: 2\noutcomes: [nps, annual_churn_rate]\n"
        "grid:\n  organization.cross_unit_ties: [0.0, 0.3]\n"
    )
    run_batch(load_experiment(folder / "spec.yaml"), folder / "out", workers=1, progress=False, figures=False)
    return folder / "out"


@pytest.mark.parametrize(
    ("damage", "needle"),
    [
        ("no-runs", "not a batch result folder"),
        ("runs-garbage", "runs.parquet: damaged"),
        ("manifest-garbage", "manifest.json: missing or damaged"),
        ("manifest-no-experiment", "not a batch manifest"),
        ("runs-lack-outcome", "lacks the column 'nps'"),
    ],
)
def test_plot_on_a_damaged_folder_is_one_line(batch_folder, tmp_path, capsys, damage, needle):
    folder = tmp_path / "damaged"
    shutil.copytree(batch_folder, folder, symlinks=True)
    if damage == "no-runs":
        (folder / "runs.parquet").unlink()
    elif damage == "runs-garbage":
        (folder / "runs.parquet").write_bytes(b"PAR1 not really")
    elif damage == "manifest-garbage":
        (folder / "manifest.json").write_text("{ half")
    elif damage == "manifest-no-experiment":
        (folder / "manifest.json").write_text("[1, 2]")
    else:
        pd.read_parquet(folder / "runs.parquet").drop(columns=["nps"]).to_parquet(folder / "runs.parquet")
    before = listing(folder)
    code, _, err = call(capsys, "plot", str(folder))
    assert code == 2
    assert needle in one_line_error(err)
    assert listing(folder) == before


def test_plot_outcome_must_be_kept_by_the_batch(batch_folder, capsys):
    code, _, err = call(capsys, "plot", str(batch_folder), "--outcome", "recovery_rate")
    assert code == 2
    assert one_line_error(err).endswith("allowed: nps, annual_churn_rate")


def test_plot_replaces_a_link_without_writing_through_it(batch_folder, tmp_path, capsys):
    folder = tmp_path / "plotted"
    shutil.copytree(batch_folder, folder, symlinks=True)
    code, out, err = call(capsys, "plot", str(folder))
    assert code == 0, err
    figures = [Path(line) for line in out.splitlines()]
    assert figures and all(p.is_file() for p in figures)
    precious = tmp_path / "precious.png"
    precious.write_bytes(b"mine")
    figures[0].unlink()
    os.symlink(precious, figures[0])
    code, _, err = call(capsys, "plot", str(folder), "--outcome", "annual_churn_rate")
    assert code == 0, err
    assert precious.read_bytes() == b"mine"
    assert not figures[0].is_symlink() and figures[0].stat().st_size > 1000
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plotted", "precious.png"]


def test_plot_needs_a_batch_folder_even_with_the_right_files(tmp_path, capsys):
    folder = tmp_path / "f"
    folder.mkdir()
    write_marker(folder, "run", [])
    (folder / "runs.parquet").write_bytes(b"x")
    (folder / "manifest.json").write_text("{}")
    code, _, err = call(capsys, "plot", str(folder))
    assert code == 2 and "not a batch result folder" in one_line_error(err)


# ---------------------------------------------------------------------------------------------
# a scheduler that cannot be reached


def test_unreachable_scheduler_is_one_line_and_quick(tmp_path):
    t0 = time.perf_counter()
    proc = cxsim(
        "compare", str(BASELINE_YAML), str(EMPOWERMENT), "--reps", "2", "--scheduler", "notanaddress", cwd=tmp_path
    )
    seconds = time.perf_counter() - t0
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and proc.stderr.startswith("error: --scheduler = 'notanaddress'")
    assert "Traceback" not in proc.stderr and "Exception ignored" not in proc.stderr
    assert seconds < 30
    assert os.listdir(tmp_path) == []
