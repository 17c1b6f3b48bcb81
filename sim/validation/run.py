"""``cxsim validate``: run the experiments behind the ten patterns and write the report into a result folder.

The folder follows the conventions of every cxsim result: it is checked before any run (new,
empty, or an earlier validation's), owned through its marker (``.cxsim-owned.json``), and the
report, tables, figures and manifest are staged beside it and moved in together. Each finished
run's record is saved under ``parts/`` as it completes, so a validation that was interrupted
(Ctrl-C, a killed process) computes only the missing runs when the same command is run again.
Runs go through the batch engine's executor seam (:func:`sim.experiments.executors.make_executor`):
serially, or in a local process pool.
"""

from __future__ import annotations

import json
import os
import time
from concurrent.futures import FIRST_COMPLETED, Future, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sim.experiments.batch import folder_lock
from sim.experiments.executors import make_executor
from sim.outputs.files import write_json
from sim.outputs.folders import (
    check_result_folder,
    clean_stale_temporaries,
    commit,
    read_marker,
    staging,
    write_error,
    write_marker,
)
from sim.outputs.provenance import environment, git_commit
from sim.scenario.loading import load_scenario
from sim.validation.experiments import RECORD_VERSION, Design, Plan, Task, build_design, measure
from sim.validation.patterns import PATTERNS
from sim.validation.report import REPORT_FILES, evaluate, figure_name, write_report
from sim.validation.verdicts import PatternResult

#: a validation folder's kind in its ownership marker
KIND = "validation"
#: where finished runs are saved (one JSON record per run), for the resume
PARTS = "parts"
#: new process pools a validation starts when a worker process dies, before the rest count as failed
POOL_RESTARTS = 3
#: the shipped scenario validated when none is named
DEFAULT_SCENARIO = "baseline"
#: every file a validation writes into its folder
OUTPUT_FILES = (*REPORT_FILES, "manifest.json", *(figure_name(p) for p in PATTERNS))


@dataclass
class Validation:
    """What a validation did: the verdicts, where it wrote, and its runs."""

    out_dir: Path
    results: list[PatternResult]
    computed: int
    reused: int
    failed: list[dict[str, str]]
    seconds: float

    @property
    def passed(self) -> bool:
        return all(r.passed for r in self.results)


def default_out_dir(name: str) -> Path:
    """``results/validate/<scenario name>``."""
    return Path("results") / "validate" / name


def prepare(scenario: str | None, plan: Plan) -> tuple[Design, str]:
    """The validated scenario and every experiment's runs, checked before anything runs (InputError)."""
    source = scenario or DEFAULT_SCENARIO
    sc = load_scenario(source)
    return build_design(sc, plan, source), source


def check_validation_folder(out_dir: Path) -> set[str]:
    """Before any run: a folder cxsim can write, new, empty or an earlier validation's."""
    return check_result_folder(Path(out_dir), KIND, OUTPUT_FILES, "--out")


def run_validation(
    design: Design,
    out_dir: Path,
    source: str,
    workers: int | None = None,
    progress: bool = True,
) -> Validation:
    """Run what is missing of the design, evaluate the patterns, and write the report into ``out_dir``.

    Ctrl-C stops at once (KeyboardInterrupt goes up to the caller); the runs saved so far are
    kept for the next start. A write that fails (disk full, no permission) is an InputError
    naming the folder.
    """
    out_dir = Path(out_dir)
    check_validation_folder(out_dir)
    started = datetime.now(UTC)
    t0 = time.perf_counter()
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        if read_marker(out_dir) is None:
            write_marker(out_dir, KIND, [])
        (out_dir / PARTS).mkdir(exist_ok=True)
    except OSError as exc:
        raise write_error(out_dir, exc) from None
    with folder_lock(out_dir):
        records = load_saved(out_dir / PARTS, design)
        reused = len(records)
        todo = [t for t in design.tasks() if t.key not in records]
        failed = execute(todo, out_dir / PARTS, records, workers, progress)
        results = evaluate(design, records)
        seconds = time.perf_counter() - t0
        meta = metadata(design, source, started, seconds, len(todo) - len(failed), reused, failed)
        _write(out_dir, design, results, meta)
    return Validation(out_dir, results, len(todo) - len(failed), reused, failed, seconds)


def load_saved(parts: Path, design: Design) -> dict[str, dict[str, Any]]:
    """The records of the design's runs saved by an earlier start (a damaged or outdated one is run again)."""
    records = {}
    for task in design.tasks():
        path = parts / f"{task.key}.json"
        if path.is_symlink() or not path.is_file():
            continue
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        ours = isinstance(record, dict) and record.get("key") == task.key
        if ours and record.get("version") == RECORD_VERSION and record.get("error") is None:
            records[task.key] = record
    return records


def execute(
    todo: list[Task], parts: Path, records: dict[str, dict[str, Any]], workers: int | None, progress: bool
) -> list[dict[str, str]]:
    """Run the tasks through the executor seam, saving each record as it arrives; return the failures.

    A worker process that dies (out of memory, killed) breaks its pool: a new pool takes the
    runs not yet done, up to :data:`POOL_RESTARTS` times, after which they count as failed.
    """
    failed: list[dict[str, str]] = []
    if not todo:
        return failed
    bar = _Progress(len(todo), progress)
    waiting = list(todo)
    try:
        for _ in range(POOL_RESTARTS + 1):
            try:
                _submit_all(waiting, parts, records, failed, workers, bar)
                waiting = []
                break
            except BrokenProcessPool:
                done = set(records) | {f["key"] for f in failed}
                waiting = [t for t in waiting if t.key not in done]
        failed += [{"key": t.key, "kind": t.kind, "error": "worker process died"} for t in waiting]
    finally:
        bar.close()
    return failed


def _submit_all(
    todo: list[Task],
    parts: Path,
    records: dict[str, dict[str, Any]],
    failed: list[dict[str, str]],
    workers: int | None,
    bar: _Progress,
) -> None:
    """One executor's pass over the tasks (at most its window ahead of the finished ones)."""
    pending: dict[Future, Task] = {}
    queue = iter(todo)
    try:
        with make_executor(workers) as backend:
            bar.describe(backend.name)
            while True:
                while backend.window is None or len(pending) < backend.window:
                    task = next(queue, None)
                    if task is None:
                        break
                    pending[backend.executor.submit(measure, task)] = task
                if not pending:
                    return
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    task = pending.pop(future)
                    record = future.result()
                    if record.get("error") is None:
                        try:
                            write_json(parts / f"{task.key}.json", record)
                        except OSError as exc:
                            raise write_error(parts, exc) from None
                        records[task.key] = record
                    else:
                        failed.append({"key": task.key, "kind": task.kind, "error": str(record["error"])})
                    bar.advance()
    finally:
        for future in pending:
            future.cancel()


def metadata(
    design: Design,
    source: str,
    started: datetime,
    seconds: float,
    computed: int,
    reused: int,
    failed: list[dict[str, str]],
) -> dict[str, Any]:
    """What the report and the manifest say about the run: scenario, plan, versions, timing, runs."""
    return {
        "scenario_source": source,
        "scenario_name": design.scenario.name,
        "plan": design.plan.as_dict(),
        "settings": design.settings(),
        "git_commit": git_commit(),
        "environment": environment(),
        "started_utc": started.isoformat(timespec="seconds"),
        "wall_seconds": round(seconds, 1),
        "runs": {"total": len(design.tasks()), "computed_now": computed, "reused": reused, "failed": len(failed)},
        "failures": failed,
    }


def _write(out_dir: Path, design: Design, results: list[PatternResult], meta: dict[str, Any]) -> None:
    """Stage the report, tables, figures and manifest beside the folder, then move them in together."""
    manifest = {
        **meta,
        "scenario": design.scenario.model_dump(mode="json"),
        "experiments": {
            arm: [{"replication": k, "seed": t.seed, "run": t.key} for k, t in enumerate(tasks)]
            for arm, tasks in design.arms.items()
        },
        "verdicts": {str(r.pattern.number): r.passed for r in results},
    }
    try:
        parent = Path(os.path.realpath(out_dir)).parent
        clean_stale_temporaries(parent)
        with staging(parent, out_dir.name) as tmp:
            write_report(tmp, design, results, meta)
            write_json(tmp / "manifest.json", manifest)
            commit(out_dir, tmp, KIND, supersede=OUTPUT_FILES)
    except OSError as exc:
        raise write_error(out_dir, exc) from None


class _Progress:
    """A progress bar over the runs (quiet when disabled)."""

    def __init__(self, total: int, enabled: bool) -> None:
        self.progress = None
        if not enabled:
            return
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self.progress = Progress(
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TextColumn("runs"), TimeElapsedColumn()
        )
        self.progress.start()
        self.task = self.progress.add_task("validate", total=total)

    def describe(self, name: str) -> None:
        if self.progress:
            self.progress.update(self.task, description=name)

    def advance(self) -> None:
        if self.progress:
            self.progress.update(self.task, advance=1)

    def close(self) -> None:
        if self.progress:
            self.progress.stop()
