"""``cxsim report``: one HTML file that stands alone — its headline is the comparison's numbers in
words, every figure is inside it, nothing points off the page, the WHY table is there — written
atomically into the result folder without ever replacing a file cxsim did not write; a folder
that is no result is one line and exit 2. The reports of a sensitivity study, a validation and a
calibration, each from a small real folder, state their answer in words with its numbers.
"""

from __future__ import annotations

import base64
import re
from pathlib import Path

import pytest
from conftest import (
    REPO_ROOT,
    VALIDATION_TEST_PLAN,
    call,
    cxsim,
    one_line_error,
    write_small_scenario,
    write_validation_scenario,
)

from sim.experiments.compare import Plan, run_comparison
from sim.experiments.headline import headline
from sim.report.build import write_report
from sim.report.kinds import result_kind


def small_comparison(folder: Path) -> tuple[Path, dict]:
    """Two small scenarios (the second with the transfer meeting) compared over 2 paired replications."""
    base = write_small_scenario(folder, "small")
    tm = write_small_scenario(folder, "small_tm", {"transfer_meeting": True, "user_stories": True})
    out = folder / "cmp"
    result = run_comparison([str(base), str(tm)], out, Plan(reps=2), seed=3, workers=1, progress=False)
    return out, result


@pytest.fixture(scope="module")
def comparison(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    return small_comparison(tmp_path_factory.mktemp("report"))


def test_a_comparison_report_stands_alone_and_says_the_answer(comparison):
    folder, result = comparison
    assert result_kind(folder) == "comparison"
    path, answer = write_report(folder)
    assert path == folder / "report.html"
    text = path.read_text(encoding="utf-8")
    assert answer == headline(result, "small_tm", "small_tm instead of small")
    assert answer.startswith("With small_tm instead of small, annual churn is ")
    assert "(2 paired replications)" in answer
    assert re.search(r"<div class='headline' id='headline'>With small_tm", text)
    # nothing fetched: no URL in any src, href or CSS url()
    assert not re.search(r"""(src|href)=['"](?!data:)""", text)
    assert "url(" not in text and "@import" not in text and "<script" not in text
    images = re.findall(r"src='data:image/png;base64,([^']+)'", text)
    assert len(images) == 2  # the forest and the time series of the comparison
    assert all(base64.b64decode(i).startswith(b"\x89PNG") for i in images)
    for word in ("What was run", "root seed", "Every outcome", "Why detractors would not recommend the company"):
        assert word in text
    assert text.count("<th>stage</th>") == 2  # a WHY table for each scenario


def test_the_report_replaces_its_own_file_never_someone_elses(tmp_path, capsys):
    folder, _ = small_comparison(tmp_path)
    (folder / "report.html").write_text("mine", encoding="utf-8")
    code, _, err = call(capsys, "report", str(folder))
    assert code == 2
    assert "exists and cxsim did not write it" in one_line_error(err)
    assert (folder / "report.html").read_text(encoding="utf-8") == "mine"
    elsewhere = tmp_path / "elsewhere.html"
    code, out, _ = call(capsys, "report", str(folder), "--out", str(elsewhere))
    assert code == 0 and f"report: {elsewhere}" in out
    (folder / "report.html").unlink()
    assert call(capsys, "report", str(folder))[0] == 0
    assert call(capsys, "report", str(folder))[0] == 0  # its own report it may replace


def test_a_run_report_has_its_figures_and_why_table(tmp_path):
    scenario = write_small_scenario(tmp_path)
    done = cxsim("run", str(scenario), "--out", "run", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    done = cxsim("report", "run", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("In small (seed 42), over weeks 5 to 30: annual churn ")
    text = (tmp_path / "run" / "report.html").read_text(encoding="utf-8")
    assert len(re.findall(r"src='data:image/png;base64,", text)) == 5
    assert "One run has no confidence interval" in text and "<th>cause</th>" in text


@pytest.mark.parametrize("make", ["missing", "empty", "file"])
def test_a_folder_that_is_no_result_is_one_line(tmp_path, capsys, make):
    target = tmp_path / "x"
    if make == "empty":
        target.mkdir()
    elif make == "file":
        target.write_text("x")
    code, out, err = call(capsys, "report", str(target))
    assert code == 2 and out == ""
    line = one_line_error(err)
    assert line.startswith(f"error: {target}: ")


def test_the_readme_shows_a_report():
    shot = REPO_ROOT / "docs" / "figures" / "report_comparison.png"
    assert shot.is_file() and shot.read_bytes().startswith(b"\x89PNG")
    assert "(docs/figures/report_comparison.png)" in (REPO_ROOT / "README.md").read_text(encoding="utf-8")


def test_a_batch_report_has_a_row_per_design_point(tmp_path):
    scenario = write_small_scenario(tmp_path)
    spec = tmp_path / "tiny.yaml"
    spec.write_text(
        f"name: tiny\nscenario: {scenario}\ngrid:\n  policies.transfer_meeting: [false, true]\n"
        "replications: 2\nsteps: 20\n",
        encoding="utf-8",
    )
    done = cxsim("batch", str(spec), "--workers", "1", "--no-progress", "--out", "b", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    done = cxsim("report", "b", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("2 design points; lowest annual churn in base · transfer_meeting=")
    text = (tmp_path / "b" / "report.html").read_text(encoding="utf-8")
    assert "<td>base · transfer_meeting=False</td><td class=num>2</td>" in text
    assert "<td>base · transfer_meeting=True</td><td class=num>2</td>" in text
    assert "<th>cause</th>" in text


# ----------------------------------------------------------------------------- the studies


def assert_self_contained(text: str, images: int) -> None:
    """Every figure a base64 PNG inside the page, nothing fetched, nothing undefined shown."""
    assert not re.search(r"""(src|href)=['"](?!data:)""", text)
    assert not re.search(r"https?://", text) and "url(" not in text and "<script" not in text
    found = re.findall(r"src='data:image/png;base64,([^']+)'", text)
    assert len(found) == images
    assert all(base64.b64decode(i).startswith(b"\x89PNG") for i in found)
    assert not re.search(r"\b(nan|NaN|None|Traceback)\b", re.sub(r"<[^>]+>", " ", text).replace("none that", ""))
    assert "<th>cause</th>" in text  # the detractors' WHY table


def test_a_sensitivity_report_names_the_drivers_with_intervals_and_noise(tmp_path, capsys):
    scenario = write_small_scenario(tmp_path)
    spec = tmp_path / "tiny.yaml"
    spec.write_text(
        f"name: tiny\nscenario: {scenario}\nsteps: 12\nreplications: 2\nseed: 7\n"
        "outcomes: [annual_churn_rate, profit_per_year]\n"
        "sample:\n  method: morris\n  samples: 2\n  levels: 4\n  parameters:\n"
        "    organization.executive.cx_commitment: plausible\n    policies.transfer_meeting: plausible\n",
        encoding="utf-8",
    )
    code, _, err = call(
        capsys, "sensitivity", str(spec), "--out", str(tmp_path / "s"), "--workers", "1", "--no-progress"
    )
    assert code == 0, err
    code, out, err = call(capsys, "report", str(tmp_path / "s"))
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].startswith(
        "Morris study of 2 parameters over their plausible ranges (6 design rows × 2 replications)"
    )
    churn = next(line for line in lines if line.startswith("- Annual churn moves most with "))
    assert re.search(r"\(\d[\d.]* pp, 95 % CI [\d.]+ to [\d.]+; noise alone gives [\d.]+ pp", churn)
    assert "organization.executive" not in churn and "mu_star" not in out
    assert re.search(r"- Profit moves most with .*€.*replication noise makes up \d+ % of its spread", out)
    text = (tmp_path / "s" / "report.html").read_text(encoding="utf-8")
    assert "<li>Annual churn moves most with" in text and "<th>key in the scenario</th>" in text
    # a bar chart and a μ*–σ plot per outcome, and the ranking
    assert_self_contained(text, images=len(list((tmp_path / "s").glob("*.png"))))


def test_a_validation_report_counts_the_passing_patterns_and_shows_the_failing_against_their_bands(tmp_path):
    from sim.validation.run import prepare, run_validation

    design, source = prepare(str(write_validation_scenario(tmp_path)), VALIDATION_TEST_PLAN)
    result = run_validation(design, tmp_path / "v", source, workers=1, progress=False)
    path, answer = write_report(tmp_path / "v")
    passed = sum(r.passed for r in result.results)
    first, *rest = answer.splitlines()
    assert first.startswith(f"{passed} of 10 published patterns pass (2 replications of each experiment)")
    failing = [r for r in result.results if not r.passed]
    items = [line for line in rest if line.startswith("- ")]
    assert [int(line[2:].split(".")[0]) for line in items] == [r.pattern.number for r in failing]
    for line, r in zip(items, failing, strict=True):
        c = next(c for c in r.criteria if not c.passed)
        assert f"{c.criterion.label} {c.criterion.show(c.estimate.value)}" in line
        assert f" against {c.criterion.band_text()}, {c.reason}" in line
    text = path.read_text(encoding="utf-8")
    assert text.count("<li>") >= len(failing)
    assert_self_contained(text, images=10)


def test_a_calibration_report_states_the_fitted_values_and_the_targets(tmp_path, capsys):
    spec = tmp_path / "cal.yaml"
    spec.write_text(
        f"name: tiny_fit\nscenario: {(REPO_ROOT / 'scenarios' / 'baseline.yaml').as_posix()}\n"
        "set:\n  warmup: 4\n  customers.accounts: 150\n  customers.prospects: 20\n"
        "  organization.units.sales.employees: 10\n  organization.units.delivery.employees: 12\n"
        "  organization.units.support.employees: 8\nsteps: 16\n"
        "parameters:\n  organization.executive.cx_commitment: [0.1, 0.9]\n"
        "targets:\n  mean_engagement: {value: 0.66, tolerance: 0.5}\n"
        "replications: 2\nseed: 5\nmethod:\n  sample: lhs\n  samples: 3\n  local: nelder-mead\n  max_evaluations: 4\n",
        encoding="utf-8",
    )
    code, _, err = call(capsys, "calibrate", str(spec), "--out", str(tmp_path / "c"), "--workers", "1", "--no-progress")
    assert code == 0, err
    code, out, err = call(capsys, "report", str(tmp_path / "c"))
    assert code == 0, err
    assert re.match(
        r"Fitted: CX commitment 0\.\d+ \(within the replication noise of the best: 0\.\d+ to 0\.\d+\)\. "
        r"The target is reached \(2 replications at the fitted point\): mean engagement 0\.\d+ "
        r"\[95 % CI −?[\d.]+ to [\d.]+\] against the target 0\.660 ± 0\.500\. 4 candidates evaluated; ",
        out,
    ), out
    text = (tmp_path / "c" / "report.html").read_text(encoding="utf-8")
    assert "What was run" in text and "root seed 5" in text and "*" not in re.sub(r"<[^>]+>", "", text)
    assert_self_contained(text, images=2)  # the fit and the landscape
