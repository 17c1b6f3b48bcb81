"""Batch execution: many runs through one executor seam, saved in chunks, resumable.

Local and cluster execution differ only in the ``concurrent.futures.Executor`` (a serial one,
a process pool, or a Dask client's executor); the code path is the same. Finished runs are
saved atomically in chunks (``parts/``) as they complete, so a batch killed at any moment and
started again computes only the runs that are missing; the final ``runs.parquet`` holds each
run exactly once, sorted by run id, and is identical whatever executor produced it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import multiprocessing
import os
import shutil
import time
import traceback
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Executor, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from sim.errors import MISSING, InputError
from sim.experiments.spec import Experiment, RunTask
from sim.outputs.provenance import environment, git_commit, write_json

PARTS = "parts"
OUTPUTS = "outputs.json"  # in parts/: the outcomes and time series the saved runs keep


def factor_label(value: Any) -> Any:
    """A factor level as a table cell: scalars as they are, sections as canonical JSON text."""
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True)
    return value


class SerialExecutor(Executor):
    """Runs each submitted call at once, in this process (``--workers 1``)."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future:
        future: Future = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:
            future.set_exception(exc)
        return future


@contextlib.contextmanager
def make_executor(workers: int | None = None, scheduler: str | None = None) -> Iterator[tuple[Executor, str]]:
    """The executor seam: serial, a local process pool, or an existing Dask cluster."""
    if scheduler:
        client = connect(scheduler)
        try:
            yield client.get_executor(pure=False), f"dask {scheduler}"
        finally:
            client.close()
    elif workers == 1:
        yield SerialExecutor(), "serial"
    else:
        n = workers or os.cpu_count() or 1
        ctx = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=n, mp_context=ctx) as pool:
            yield pool, f"process pool ({n} workers)"


def connect(scheduler: str):
    """A Dask client for ``scheduler``; an unreachable address is a one-line input error."""
    from distributed import Client

    try:
        return Client(scheduler, timeout="5s", set_as_default=False)
    except (OSError, TimeoutError, ValueError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InputError(
            "--scheduler", None, scheduler, f"cannot reach a Dask scheduler there ({reason[:120]})"
        ) from None


def check_scheduler(scheduler: str) -> None:
    """Fail before any run starts if the scheduler cannot be reached."""
    connect(scheduler).close()


# ----------------------------------------------------------------------------- worker side


def run_task(task: RunTask, outcomes: list[str], ts_columns: list[str] | None) -> tuple[dict[str, Any], Any]:
    """Run one task; an exception becomes a recorded error, never a lost batch."""
    from sim.model import CXModel
    from sim.outputs.summary import summarise
    from sim.scenario.schema import Scenario

    record: dict[str, Any] = {"run_id": task.run_id}
    try:
        scenario = Scenario.model_validate(task.scenario)
        model = CXModel(scenario, rng=scenario.seed, collect=False).run()
        frame = model.timeseries()
        summary = summarise(model)
        record.update({k: summary[k] for k in outcomes})
        record["error"] = None
        ts = None
        if ts_columns is not None:
            ts = frame[["step", *ts_columns]].copy()
            ts.insert(0, "run_id", task.run_id)
        return record, ts
    except Exception as exc:
        tb = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
        where = f" at {Path(tb.filename).name}:{tb.lineno}" if tb else ""
        return _failed_record(task.run_id, outcomes, f"{type(exc).__name__}: {exc}{where}"), None


def run_chunk(tasks: list[RunTask], outcomes: list[str], ts_columns: list[str] | None):
    """Run a chunk of tasks in one worker call (amortises scheduling overhead)."""
    records, frames = [], []
    for task in tasks:
        record, ts = run_task(task, outcomes, ts_columns)
        records.append(record)
        if ts is not None:
            frames.append(ts)
    return records, (pd.concat(frames, ignore_index=True) if frames else None)


# ----------------------------------------------------------------------------- driver side


@dataclass
class BatchReport:
    """What a batch did: counts, failures, timings and where it wrote."""

    out_dir: Path
    total: int
    computed: int
    reused: int
    failed: list[tuple[str, str]]
    seconds: float
    executor: str
    interrupted: bool = False


def timeseries_columns(experiment: Experiment) -> list[str] | None:
    ts = experiment.spec.timeseries
    if ts is False:
        return None
    if ts is True:
        from sim.model.kpis import kpi_columns

        return kpi_columns()
    return list(ts)


def run_batch(
    experiment: Experiment,
    out_dir: Path,
    workers: int | None = None,
    scheduler: str | None = None,
    fresh: bool = False,
    replications: int | None = None,
    progress: bool = True,
    figures: bool = True,
) -> BatchReport:
    """Run every missing run of the experiment and assemble the results in ``out_dir``."""
    ts_columns = timeseries_columns(experiment)
    if ts_columns:
        from sim.model.kpis import kpi_columns

        unknown = [c for c in ts_columns if c not in kpi_columns()]
        if unknown:
            raise InputError(experiment.source, "timeseries", unknown[0], "not a KPI column (see docs/ODD.md Outputs)")
    if scheduler:
        check_scheduler(scheduler)
    tasks = experiment.tasks(replications)
    out_dir = Path(out_dir)
    parts = out_dir / PARTS
    outputs = {"outcomes": experiment.spec.outcomes, "timeseries": ts_columns}
    if fresh:
        clear_batch_folder(out_dir)
    _check_saved_outputs(parts, outputs, experiment.source)
    parts.mkdir(parents=True, exist_ok=True)
    write_json(parts / OUTPUTS, outputs)
    _clean_temporaries(out_dir)
    done = _saved_run_ids(parts)
    wanted = {t.run_id for t in tasks}
    todo = [t for t in tasks if t.run_id not in done]
    reused = len(wanted & done)
    outcomes = experiment.spec.outcomes
    started = datetime.now(UTC)
    t0 = time.perf_counter()
    executor_name = "none (all runs saved)"
    interrupted = False
    bar = _Progress(len(tasks), reused, enabled=progress)
    try:
        restarts = 0
        while todo:
            try:
                with make_executor(workers, scheduler) as (executor, executor_name):
                    bar.describe(executor_name)
                    _execute(executor, todo, outcomes, ts_columns, parts, bar, workers)
                todo = []
            except BrokenProcessPool:
                # a worker process died (out of memory, killed): start a new pool for what is left
                restarts += 1
                done = _saved_run_ids(parts)
                todo = [t for t in tasks if t.run_id not in done]
                if restarts > 3:
                    records = [_failed_record(t.run_id, outcomes, "worker process died 4 times") for t in todo]
                    _save_chunk(parts, records, None)
                    todo = []
    except KeyboardInterrupt:
        interrupted = True
    finally:
        bar.close()
    seconds = time.perf_counter() - t0
    runs = _assemble(parts, wanted, experiment, tasks)
    failed = [(r.run_id, r.error) for r in runs.itertuples() if isinstance(r.error, str)]
    report = BatchReport(out_dir, len(tasks), len(runs) - reused, reused, failed, seconds, executor_name, interrupted)
    if interrupted:
        return report
    _write_outputs(out_dir, runs, parts, wanted, experiment, tasks, report, started, ts_columns)
    if figures and not runs.empty:
        from sim.experiments.figures import batch_figures

        batch_figures(out_dir)
    return report


def _execute(executor, todo, outcomes, ts_columns, parts: Path, bar: _Progress, workers: int | None) -> None:
    n_workers = workers or os.cpu_count() or 1
    size = max(1, min(10, math.ceil(len(todo) / (n_workers * 16))))
    chunks = [todo[i : i + size] for i in range(0, len(todo), size)]
    pending = {executor.submit(run_chunk, chunk, outcomes, ts_columns): chunk for chunk in chunks}
    try:
        while pending:
            finished, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in finished:
                chunk = pending.pop(future)
                records, ts = future.result()
                _save_chunk(parts, records, ts)
                bar.advance(len(chunk), sum(r["error"] is not None for r in records))
    except BaseException:
        for future in pending:
            future.cancel()
        raise


def _chunk_key(records: list[dict[str, Any]]) -> str:
    ids = ",".join(sorted(r["run_id"] for r in records))
    return hashlib.sha256(ids.encode()).hexdigest()[:20]


def _save_chunk(parts: Path, records: list[dict[str, Any]], ts: pd.DataFrame | None) -> None:
    """Timeseries first, then the run records: a run counts as saved only once its record exists."""
    key = _chunk_key(records)
    if ts is not None:
        _atomic_parquet(ts, parts / f"ts-{key}.parquet")
    _atomic_parquet(pd.DataFrame.from_records(records), parts / f"runs-{key}.parquet")


def _atomic_parquet(frame: pd.DataFrame, path: Path) -> None:
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        frame.to_parquet(tmp, index=False)
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _clean_temporaries(out_dir: Path) -> None:
    """Half-written files that a killed batch left behind (never read: only renamed files count)."""
    for folder in (out_dir, out_dir / PARTS):
        for tmp in folder.glob(".*.tmp-*") if folder.is_dir() else ():
            tmp.unlink(missing_ok=True)


def _saved_run_ids(parts: Path) -> set[str]:
    """Runs saved without an error; a failed run is tried again when the batch is started again."""
    ids: set[str] = set()
    for f in parts.glob("runs-*.parquet"):
        saved = pd.read_parquet(f, columns=["run_id", "error"])
        ids.update(saved.loc[saved["error"].isna(), "run_id"])
    return ids


def _failed_record(run_id: str, outcomes: list[str], error: str) -> dict[str, Any]:
    return {"run_id": run_id, **{k: None for k in outcomes}, "error": error}


def clear_batch_folder(out_dir: Path) -> None:
    """``--fresh``: remove what a batch writes (saved runs, results, figures), nothing else."""
    if (out_dir / PARTS).is_dir():
        shutil.rmtree(out_dir / PARTS)
    for name in ("runs.parquet", "timeseries.parquet", "manifest.json", "compare.json", "compare.md"):
        (out_dir / name).unlink(missing_ok=True)
    for png in out_dir.glob("*.png") if out_dir.is_dir() else ():
        png.unlink()


def _check_saved_outputs(parts: Path, outputs: dict[str, Any], source: str) -> None:
    """Saved runs hold the outcomes their spec asked for; a spec asking for others cannot reuse them."""
    path = parts / OUTPUTS
    if path.is_file() and json.loads(path.read_text()) != json.loads(json.dumps(outputs)):
        raise InputError(
            source,
            "outcomes",
            MISSING,
            f"the runs saved in {parts.parent} keep other outcomes or time series; "
            "use --fresh to start over or --out for a new folder",
        )


def _assemble(parts: Path, wanted: set[str], experiment: Experiment, tasks: list[RunTask]) -> pd.DataFrame:
    """One row per wanted run: design columns from the tasks, outcomes from the saved parts."""
    files = sorted(parts.glob("runs-*.parquet"))
    if not files:
        return pd.DataFrame(columns=["run_id", "error"])
    saved = pd.concat([pd.read_parquet(f) for f in files], ignore_index=True)
    saved = saved[saved["run_id"].isin(wanted)]
    # a run that failed and was retried successfully keeps its successful record
    saved = saved.sort_values("error", na_position="first", kind="stable").drop_duplicates("run_id")
    design = pd.DataFrame(
        [
            {
                "run_id": t.run_id,
                "case": t.case,
                **{k: factor_label(v) for k, v in t.factors.items()},
                "replication": t.replication,
                "seed": t.seed,
            }
            for t in tasks
        ]
    ).drop_duplicates("run_id")
    runs = design.merge(saved, on="run_id", how="inner")
    cols = ["run_id", "case", *experiment.factor_names, "replication", "seed", *experiment.spec.outcomes, "error"]
    runs = runs[cols].sort_values("run_id").reset_index(drop=True)
    runs["seed"] = runs["seed"].astype("uint64")
    for c in experiment.spec.outcomes:
        runs[c] = runs[c].astype("float64")
    runs["error"] = runs["error"].astype("string")
    return runs


def _write_outputs(out_dir, runs, parts, wanted, experiment, tasks, report, started, ts_columns) -> None:
    _atomic_parquet(runs, out_dir / "runs.parquet")
    if ts_columns is not None:
        files = sorted(parts.glob("ts-*.parquet"))
        if files:
            ts = pd.concat([pd.read_parquet(f) for f in files], ignore_index=True)
            ts = ts[ts["run_id"].isin(wanted)].drop_duplicates(["run_id", "step"])
            ts = ts.sort_values(["run_id", "step"]).reset_index(drop=True)
            _atomic_parquet(ts, out_dir / "timeseries.parquet")
    write_json(
        out_dir / "manifest.json",
        {
            "experiment": experiment.spec.model_dump(mode="json"),
            "spec_file": experiment.source,
            "case_order": list(dict.fromkeys(c for c, _, _ in experiment.points)),
            "design_points": [{"case": c, "factors": f, "scenario": s} for c, f, s in experiment.points],
            "git_commit": git_commit(),
            "environment": environment(),
            "executor": report.executor,
            "started_utc": started.isoformat(timespec="seconds"),
            "wall_seconds": round(report.seconds, 3),
            "counts": {
                "runs": report.total,
                "computed_now": report.computed,
                "reused_from_earlier": report.reused,
                "failed": len(report.failed),
                "replications": len({t.replication for t in tasks}),
                "design_points": len(experiment.points),
            },
            "failures": [{"run_id": r, "error": e} for r, e in report.failed],
        },
    )


class _Progress:
    """A rich progress bar with ETA and a failure count (quiet when disabled)."""

    def __init__(self, total: int, already: int, enabled: bool) -> None:
        self.failed = 0
        self.progress = None
        if not enabled:
            return
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self.progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("runs"),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            TextColumn("[red]{task.fields[failed]} failed"),
        )
        self.progress.start()
        self.task = self.progress.add_task("batch", total=total, completed=already, failed=0)

    def describe(self, name: str) -> None:
        if self.progress:
            self.progress.update(self.task, description=name)

    def advance(self, n: int, failed: int) -> None:
        self.failed += failed
        if self.progress:
            self.progress.update(self.task, advance=n, failed=self.failed)

    def close(self) -> None:
        if self.progress:
            self.progress.stop()
