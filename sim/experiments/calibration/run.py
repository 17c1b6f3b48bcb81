"""``cxsim calibrate``: search, evaluate on common random numbers, and write the fit into a result folder.

The folder follows the conventions of every cxsim result: checked before the first run, owned
through its marker (a folder cxsim did not write is never written into), one process at a time,
runs saved under ``parts/`` as they finish (Ctrl-C keeps them; the same command resumes), and the
results staged beside the folder and moved in together, so a reader sees the old set or the new.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sim.errors import MISSING, InputError
from sim.experiments.batch import folder_lock
from sim.experiments.calibration.evaluate import Candidate, ModelEvaluator, RunStore
from sim.experiments.calibration.report import (
    Fit,
    analyse,
    calibration_figures,
    evaluations_table,
    fitted_yaml,
    parameter_rows,
    runs_table,
    target_rows,
    to_markdown,
)
from sim.experiments.calibration.search import Plan, search
from sim.experiments.calibration.spec import Calibration
from sim.experiments.executors import make_executor
from sim.outputs.files import atomic_write_text, json_safe, write_json
from sim.outputs.folders import (
    check_result_folder,
    clean_stale_temporaries,
    commit,
    staging,
    write_error,
    write_marker,
)
from sim.outputs.provenance import environment, git_commit

#: a calibration folder's kind in its ownership marker
KIND = "calibration"
#: where the runs are saved as they finish
PARTS = "parts"
#: what a calibration writes into its folder
OUTPUT_FILES = (
    "fitted.yaml",
    "evaluations.parquet",
    "evaluations.csv",
    "runs.parquet",
    "calibration.md",
    "calibration_fit.png",
    "calibration_landscape.png",
    "manifest.json",
)


@dataclass
class CalibrationResult:
    """What a calibration found and did."""

    out_dir: Path
    candidates: list[Candidate]
    fit: Fit
    stopped_by: str
    computed: int
    reused: int
    seconds: float
    executor: str
    targets: list[dict[str, Any]]
    parameters: list[dict[str, Any]]


def default_out_dir(cal: Calibration) -> Path:
    """``results/calibrate/<spec name>``."""
    return Path("results") / "calibrate" / cal.spec.name


def check_calibration_folder(out_dir: Path, source: str = "--out") -> set[str]:
    """Before any run: a folder cxsim may write a calibration into; return what cxsim owns there."""
    return check_result_folder(Path(out_dir), KIND, OUTPUT_FILES, source)


def run_calibration(
    cal: Calibration, out_dir: Path, workers: int | None = None, progress: bool = False
) -> CalibrationResult:
    """Fit the spec's parameters and write the results into ``out_dir``.

    ``workers``: 1 runs serially, more a local process pool (None: all cores). Ctrl-C raises
    KeyboardInterrupt with every finished run saved under ``parts/``; the same call resumes.
    """
    out_dir = Path(out_dir)
    owned = check_calibration_folder(out_dir)
    with _writing(out_dir):
        out_dir.mkdir(parents=True, exist_ok=True)
        write_marker(out_dir, KIND, {f for f in owned if os.path.lexists(out_dir / f)})
    with folder_lock(out_dir):
        store = RunStore(out_dir / PARTS)
        store.load()
        started = datetime.now(UTC)
        t0 = time.perf_counter()
        method = cal.spec.method
        plan = Plan(method.sample, method.samples, method.local, method.max_evaluations, cal.spec.seed)
        bar = _Progress(method.max_evaluations, progress)
        try:
            with make_executor(workers, None) as backend:
                n_workers = 1 if workers == 1 else workers or os.cpu_count() or 1
                evaluator = ModelEvaluator(cal, store, backend, n_workers, bar.advance)
                found = search(evaluator, len(cal.parameters), plan, key=evaluator.key)
                executor = backend.name
        finally:
            bar.close()
        seconds = time.perf_counter() - t0
        candidates = evaluator.candidates
        if found.best < 0:
            first = next((c.error for c in candidates if c.error), "no candidate evaluated")
            raise InputError(
                cal.source, "parameters", MISSING, f"no candidate has a defined objective (the first: {first})"
            )
        fit = analyse(cal, candidates, found.best)
        result = CalibrationResult(
            out_dir,
            candidates,
            fit,
            found.stopped_by,
            evaluator.computed,
            evaluator.reused,
            seconds,
            executor,
            target_rows(cal, fit.best),
            parameter_rows(cal, candidates, fit),
        )
        _write(cal, result, started)
    return result


def _write(cal: Calibration, result: CalibrationResult, started: datetime) -> None:
    """Every output, staged beside the folder and moved in together (or not at all)."""
    out_dir = result.out_dir
    runs = sum(len(c.run_ids) for c in result.candidates)
    info = {"runs": runs, "computed": result.computed, "reused": result.reused, "stopped_by": result.stopped_by}
    try:
        parent = Path(os.path.realpath(out_dir)).parent
        clean_stale_temporaries(parent)
        with staging(parent, out_dir.name) as tmp:
            atomic_write_text(tmp / "fitted.yaml", fitted_yaml(cal, result.fit.best))
            table = evaluations_table(cal, result.candidates, result.fit)
            table.to_parquet(tmp / "evaluations.parquet", index=False)
            table.to_csv(tmp / "evaluations.csv", index=False)
            runs_table(cal, result.candidates).to_parquet(tmp / "runs.parquet", index=False)
            atomic_write_text(tmp / "calibration.md", to_markdown(cal, result.candidates, result.fit, info))
            calibration_figures(cal, result.candidates, result.fit, tmp)
            write_json(tmp / "manifest.json", json_safe(_manifest(cal, result, started, info)))
            commit(out_dir, tmp, KIND, supersede=OUTPUT_FILES)
    except OSError as exc:
        raise write_error(out_dir, exc) from None


def _manifest(cal: Calibration, result: CalibrationResult, started: datetime, info: dict[str, Any]) -> dict[str, Any]:
    best = result.fit.best
    history = None
    if cal.history_file is not None:
        data = Path(cal.history_file).read_bytes()
        history = {"file": cal.history_file, "sha256": hashlib.sha256(data).hexdigest()}
    return {
        "calibration": cal.spec.model_dump(mode="json"),
        "spec_file": cal.source,
        "history": history,
        "base_scenario": cal.resolved,
        "seeds": cal.seeds,
        "fitted": {p.key: v for p, v in zip(cal.parameters, best.values, strict=True)},
        "fitted_candidate": best.index,
        "objective": best.objective,
        "parameters": result.parameters,
        "targets": result.targets,
        "stopped_by": result.stopped_by,
        "counts": {
            "candidates": len(result.candidates),
            "runs": info["runs"],
            "computed_now": result.computed,
            "reused_from_earlier": result.reused,
            "within_noise": len(result.fit.within_noise),
            "reaching_targets": len(result.fit.reaching),
        },
        "git_commit": git_commit(),
        "environment": environment(),
        "executor": result.executor,
        "started_utc": started.isoformat(timespec="seconds"),
        "wall_seconds": round(result.seconds, 3),
    }


@contextlib.contextmanager
def _writing(folder: Path) -> Iterator[None]:
    try:
        yield
    except OSError as exc:
        raise write_error(folder, exc) from None


class _Progress:
    """A rich progress bar over the budget of candidates, with the best objective so far (quiet when disabled)."""

    def __init__(self, total: int, enabled: bool) -> None:
        self.best = float("inf")
        self.progress = None
        if not enabled:
            return
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self.progress = Progress(
            TextColumn("calibration"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("candidates"),
            TimeElapsedColumn(),
            TextColumn("best objective {task.fields[best]}"),
        )
        self.progress.start()
        self.task = self.progress.add_task("calibration", total=total, best="-")

    def advance(self, candidate: Candidate) -> None:
        if candidate.defined:
            self.best = min(self.best, candidate.objective)
        if self.progress:
            shown = f"{self.best:.4g}" if self.best < float("inf") else "-"
            self.progress.update(self.task, advance=1, best=shown)

    def close(self) -> None:
        if self.progress:
            self.progress.stop()
