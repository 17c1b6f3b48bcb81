"""Batch execution: many runs through one executor seam, saved in chunks, resumable.

Local and cluster execution differ only in the ``concurrent.futures.Executor`` (a serial one,
a process pool, or a Dask client's executor); the code path is the same. Finished runs are
saved atomically in chunks (``parts/``) as they complete, so a batch killed at any moment and
started again computes only the runs that are missing; the final ``runs.parquet`` holds each
run exactly once, sorted by run id, and is identical whatever executor produced it.

Faults end in one line, never in a lost batch: an OS error while writing (disk full, no
permission) and a Dask cluster without live workers are :class:`InputError` messages, and
the runs saved until then are kept for the resume. Pool workers die with the batch that
started them; ``--fresh`` removes only what the batch recorded writing (its ownership marker).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import re
import shutil
import tempfile
import time
import traceback
from collections.abc import Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, CancelledError, Future, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from sim.errors import MISSING, InputError
from sim.experiments.executors import WORKER_TIMEOUT, Backend, check_scheduler, make_executor
from sim.experiments.spec import Experiment, RunTask
from sim.outputs.files import atomic_write, write_json
from sim.outputs.folders import MARKER, owned_files, read_marker, write_error, write_marker
from sim.outputs.provenance import environment, git_commit

PARTS = "parts"
OUTPUTS = "outputs.json"  # in parts/: the outcomes and time series the saved runs keep
KIND = "batch"  # the ownership marker's kind of a batch (and comparison) folder
#: what a batch saves under ``parts/``: chunks of runs and time series, and the outputs they keep
_SAVED_PART = re.compile(r"^(?:(?:runs|ts)-[0-9a-f]+\.parquet|outputs\.json)$")


def _temporary(names: str) -> re.Pattern[str]:
    """cxsim's temporary names for ``names``: ``.<name>.tmp-<suffix>`` or ``.<name>.<8 random>``."""
    return re.compile(rf"^\.(?:{names})\.(?:tmp-[\w-]+|[a-z0-9_]{{8}})$")


#: temporary names of cxsim's own atomic writes (a killed batch can leave them; never renamed, never read)
_TEMPORARY = {
    "": _temporary(
        r"runs\.parquet|timeseries\.parquet|design\.parquet|manifest\.json|compare\.json|compare\.md|figures|"
        + re.escape(MARKER)
    ),
    PARTS: _temporary(r"(?:runs|ts)-[0-9a-f]{20}\.parquet|outputs\.json"),
}


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


def run_chunk(
    tasks: list[RunTask], outcomes: list[str], ts_columns: list[str] | None
) -> tuple[list[dict[str, Any]], pd.DataFrame | None]:
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
    """The KPI columns whose weekly values the batch keeps (None: no time series)."""
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
    worker_timeout: float = WORKER_TIMEOUT,
) -> BatchReport:
    """Run every missing run of the experiment and assemble the results in ``out_dir``.

    ``worker_timeout``: seconds a Dask batch waits while the cluster has no live worker
    before it stops with an error (the saved runs are kept). Ctrl-C stops the batch at once
    and returns a report marked ``interrupted``; the saved runs are kept for the resume.
    """
    ts_columns = timeseries_columns(experiment)
    if ts_columns:
        from sim.model.kpis import kpi_columns

        unknown = [c for c in ts_columns if c not in kpi_columns()]
        if unknown:
            raise InputError(experiment.source, "timeseries", unknown[0], "not a KPI column (see docs/ODD.md Outputs)")
    if isinstance(worker_timeout, bool) or not (
        isinstance(worker_timeout, int | float) and math.isfinite(worker_timeout) and worker_timeout > 0
    ):
        raise InputError("--worker-timeout", None, worker_timeout, "allowed: a number of seconds > 0")
    out_dir = Path(out_dir)
    check_batch_folder(out_dir)
    if scheduler:
        check_scheduler(scheduler)
    tasks = experiment.tasks(replications)
    rows = experiment.rows(replications)
    with _writing(out_dir):
        out_dir.mkdir(parents=True, exist_ok=True)
    try:
        with folder_lock(out_dir):
            return _run_locked(
                experiment,
                out_dir,
                tasks,
                rows,
                ts_columns,
                workers,
                scheduler,
                fresh,
                progress,
                figures,
                worker_timeout,
            )
    except KeyboardInterrupt:  # before the runs started: nothing to report but the interruption
        return BatchReport(out_dir, len(tasks), 0, 0, [], 0.0, "none (interrupted)", interrupted=True)


def _run_locked(
    experiment, out_dir, tasks, rows, ts_columns, workers, scheduler, fresh, progress, figures, worker_timeout
):
    """Prepare the folder, run what is missing, write the results (the folder is locked)."""
    parts = out_dir / PARTS
    outputs = {"outcomes": experiment.spec.outcomes, "timeseries": ts_columns}
    final = ["runs.parquet", "manifest.json", *(["timeseries.parquet"] if ts_columns is not None else [])]
    if experiment.design is not None:
        final.append("design.parquet")
    with _writing(out_dir):
        owned = _adopt(out_dir)
        if fresh:
            clear_batch_folder(out_dir)
            owned = set()
        _check_saved_outputs(parts, outputs, experiment.source)
        _check_in_the_way(out_dir, owned, final)
        if parts.is_symlink():
            raise InputError(
                str(parts), None, MISSING, "a symbolic link: saved runs go into a real folder (--fresh replaces it)"
            )
        _clean_temporaries(out_dir)
        parts.mkdir(exist_ok=True)
        write_json(parts / OUTPUTS, outputs)
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
                with make_executor(workers, scheduler) as backend:
                    executor_name = backend.name
                    bar.describe(executor_name)
                    _execute(backend, todo, outcomes, ts_columns, parts, bar, workers, scheduler, worker_timeout)
                todo = []
            except BrokenProcessPool:
                # a worker process died (out of memory, killed): start a new pool for what is left
                restarts += 1
                done = _saved_run_ids(parts)
                todo = [t for t in tasks if t.run_id not in done]
                if restarts > 3:
                    records = [_failed_record(t.run_id, outcomes, "worker process died 4 times") for t in todo]
                    with _writing(out_dir):
                        _save_chunk(parts, records, None)
                    todo = []
    except KeyboardInterrupt:
        interrupted = True
    finally:
        bar.close()
    seconds = time.perf_counter() - t0
    if interrupted:  # stop at once: the saved chunks are the result so far
        return BatchReport(out_dir, len(tasks), bar.done, reused, [], seconds, executor_name, interrupted=True)
    runs = _assemble(parts, wanted, experiment, rows)
    # a sampled design's repeated points name one run from several rows: count and list each run once
    failed = list({r.run_id: r.error for r in runs.itertuples() if isinstance(r.error, str)}.items())
    computed = runs["run_id"].nunique() - reused
    report = BatchReport(out_dir, len(tasks), computed, reused, failed, seconds, executor_name)
    try:
        with _writing(out_dir):
            _claim(out_dir, owned, final)
            _write_outputs(out_dir, runs, parts, wanted, experiment, tasks, report, started, ts_columns)
            if figures and not runs.empty:
                _write_figures(out_dir, owned)
    except KeyboardInterrupt:
        report.interrupted = True
    return report


def _execute(
    backend: Backend,
    todo: list[RunTask],
    outcomes: list[str],
    ts_columns: list[str] | None,
    parts: Path,
    bar: _Progress,
    workers: int | None,
    scheduler: str | None,
    worker_timeout: float,
) -> None:
    """Submit the chunks (at most ``backend.window`` ahead) and save each one as it finishes."""
    n_workers = workers or os.cpu_count() or 1
    size = max(1, min(10, math.ceil(len(todo) / (n_workers * 16))))
    chunks = iter([todo[i : i + size] for i in range(0, len(todo), size)])
    pending: dict[Future, list[RunTask]] = {}
    poll = min(2.0, max(0.1, worker_timeout / 10)) if backend.live_workers else None
    idle_since: float | None = None  # since when the cluster has had no live worker
    try:
        while True:
            while backend.window is None or len(pending) < backend.window:
                chunk = next(chunks, None)
                if chunk is None:
                    break
                pending[backend.executor.submit(run_chunk, chunk, outcomes, ts_columns)] = chunk
            if not pending:
                return
            finished, _ = wait(pending, timeout=poll, return_when=FIRST_COMPLETED)
            for future in finished:
                chunk = pending.pop(future)
                records, ts = _chunk_result(future, chunk, outcomes, scheduler, parts)
                with _writing(parts.parent):
                    _save_chunk(parts, records, ts)
                bar.advance(len(chunk), sum(r["error"] is not None for r in records))
            if finished or backend.live_workers is None or backend.live_workers() > 0:
                idle_since = None
            elif idle_since is None:
                idle_since = time.monotonic()
            elif time.monotonic() - idle_since >= worker_timeout:
                raise InputError(
                    "--scheduler",
                    None,
                    scheduler,
                    f"no live Dask workers for {worker_timeout:g} s (--worker-timeout); the runs saved so far "
                    f"are kept in {parts}: start workers and run the same command again to resume",
                )
    except BaseException:
        for future in pending:
            future.cancel()
        raise


def _chunk_result(
    future: Future, chunk: list[RunTask], outcomes: list[str], scheduler: str | None, parts: Path
) -> tuple[list[dict[str, Any]], pd.DataFrame | None]:
    """A chunk's records; a chunk no worker could run is recorded as failed (tried again on resume)."""
    try:
        return future.result()
    except BrokenProcessPool:
        raise
    except CancelledError:
        if scheduler is None:
            raise
        raise InputError(
            "--scheduler",
            None,
            scheduler,
            f"the Dask scheduler dropped the batch's runs; the runs saved so far are kept in {parts}: "
            "run the same command again to resume",
        ) from None
    except Exception as exc:  # e.g. a Dask worker died each time it ran the chunk (KilledWorker)
        reason = str(exc).splitlines()[0] if str(exc).strip() else ""
        error = f"worker failed: {type(exc).__name__}: {reason}"[:300]
        return [_failed_record(t.run_id, outcomes, error) for t in chunk], None


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
    """Write a Parquet file atomically, under a temporary name the start-up cleaning recognises."""
    atomic_write(path, lambda fh: frame.to_parquet(fh, index=False), temp_prefix=f".{path.name}.tmp-")


def is_batch_folder(folder: Path) -> bool:
    """A folder a batch wrote: its ownership marker says so.

    Nothing else counts — not a ``manifest.json`` or a ``parts/`` folder that look like a batch's:
    a guess could take a user's files for cxsim's and replace or delete them.
    """
    marker = read_marker(Path(folder))
    return marker is not None and marker["kind"] == KIND


def check_batch_folder(out_dir: Path) -> None:
    """A batch writes only into a new folder, an empty one or a batch folder (never into others)."""
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise InputError("--out", None, str(out_dir), "a file is in the way; name a folder")
    try:
        empty = not out_dir.exists() or not [e for e in os.listdir(out_dir) if e != MARKER]
    except OSError as exc:
        raise InputError("--out", None, str(out_dir), f"cannot read the folder ({exc.strerror or exc})") from None
    if not empty and not is_batch_folder(out_dir):
        raise InputError("--out", None, str(out_dir), "a folder that is not a cxsim batch result; name a new folder")


def _adopt(out_dir: Path) -> set[str]:
    """The files the batch owns in ``out_dir``, recorded in the marker from the start."""
    owned = owned_files(out_dir, KIND)
    owned = {f for f in owned if len(Path(f).parts) == 1 and os.path.lexists(out_dir / f)}
    write_marker(out_dir, KIND, owned)
    return owned


def _check_in_the_way(out_dir: Path, owned: set[str], names: Iterable[str]) -> None:
    """A file the batch would write must be its own, absent, or a link (replaced, never followed)."""
    for name in names:
        path = out_dir / name
        if name not in owned and not path.is_symlink() and path.exists():
            raise InputError(
                str(path), None, MISSING, "a file cxsim did not write is in the way; move it or name another --out"
            )


def _claim(out_dir: Path, owned: set[str], names: list[str]) -> None:
    """Check that ``names`` may be written, then record them in the marker before they are."""
    _check_in_the_way(out_dir, owned, names)
    if not set(names) <= owned:
        owned.update(names)
        write_marker(out_dir, KIND, owned)


def clear_batch_folder(out_dir: Path) -> None:
    """``--fresh``: remove what the batch recorded writing (its marker's files) and the saved runs.

    Nothing else is touched; a link is removed as a link, never followed.
    """
    out_dir = Path(out_dir)
    for name in owned_files(out_dir, KIND):
        path = out_dir / name
        if len(Path(name).parts) == 1 and (path.is_symlink() or path.is_file()):
            path.unlink()
    parts = out_dir / PARTS
    if parts.is_symlink():
        parts.unlink()
    elif parts.is_dir():
        for path in parts.iterdir():
            if _SAVED_PART.match(path.name) and (path.is_symlink() or path.is_file()):
                path.unlink()
        with contextlib.suppress(OSError):
            parts.rmdir()  # kept if anything else is in it
    write_marker(out_dir, KIND, set())


def _clean_temporaries(out_dir: Path) -> None:
    """Half-written files of cxsim's own atomic writes that a killed batch left behind.

    Only cxsim's temporary names are matched; such files were never renamed into place, so
    nothing reads them.
    """
    for sub, pattern in _TEMPORARY.items():
        folder = out_dir / sub if sub else out_dir
        if folder.is_symlink() or not folder.is_dir():
            continue
        for entry in os.scandir(folder):
            if not pattern.match(entry.name):
                continue
            if entry.is_dir(follow_symlinks=False):
                shutil.rmtree(entry.path, ignore_errors=True)
            else:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(entry.path)


@contextlib.contextmanager
def folder_lock(out_dir: Path) -> Iterator[None]:
    """One cxsim process at a time writes in a batch folder; the lock ends with the process, even a killed one."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not a POSIX system
        yield
        return
    fd = os.open(out_dir, os.O_RDONLY)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise InputError(
                "--out",
                None,
                str(out_dir),
                "another cxsim process is writing in this folder; wait for it or name another folder",
            ) from None
        except OSError:
            pass  # a file system without locks
        yield
    finally:
        os.close(fd)


@contextlib.contextmanager
def _writing(out_dir: Path) -> Iterator[None]:
    """An OS error while writing results (disk full, no permission) is one line naming the folder."""
    try:
        yield
    except OSError as exc:
        raise write_error(out_dir, exc) from None


def _read_part(path: Path, columns: list[str] | None = None) -> pd.DataFrame:
    try:
        return pd.read_parquet(path, columns=columns)
    except Exception:
        raise InputError(
            str(path),
            None,
            MISSING,
            "damaged saved runs; delete the file to compute its runs again, or start over in a new --out folder",
        ) from None


def _saved_run_ids(parts: Path) -> set[str]:
    """Runs saved without an error; a failed run is tried again when the batch is started again."""
    ids: set[str] = set()
    for f in parts.glob("runs-*.parquet"):
        saved = _read_part(f, ["run_id", "error"])
        ids.update(saved.loc[saved["error"].isna(), "run_id"])
    return ids


def _failed_record(run_id: str, outcomes: list[str], error: str) -> dict[str, Any]:
    return {"run_id": run_id, **{k: None for k in outcomes}, "error": error}


def _check_saved_outputs(parts: Path, outputs: dict[str, Any], source: str) -> None:
    """Saved runs hold the outcomes their spec asked for; a spec asking for others cannot reuse them."""
    path = parts / OUTPUTS
    if not path.is_file():
        return
    try:
        saved = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise InputError(
            str(path), None, MISSING, "damaged; start over in a new --out folder (or with batch --fresh)"
        ) from None
    if saved != json.loads(json.dumps(outputs)):
        raise InputError(
            source,
            "outcomes",
            MISSING,
            f"the runs saved in {parts.parent} keep other outcomes or time series; "
            "start over in a new --out folder (or with batch --fresh)",
        )


def _assemble(parts: Path, wanted: set[str], experiment: Experiment, rows: list[dict[str, Any]]) -> pd.DataFrame:
    """One row per design row and replication: design columns from the experiment, outcomes from the saved parts.

    A grid or cases design has one row per run, sorted by run id; a sampled design one row per
    design row and replication (repeated points name the same run), in design-row order.
    """
    files = sorted(parts.glob("runs-*.parquet"))
    if not files:
        return pd.DataFrame(columns=["run_id", "error"])
    saved = pd.concat([_read_part(f) for f in files], ignore_index=True)
    saved = saved[saved["run_id"].isin(wanted)]
    # a run that failed and was retried successfully keeps its successful record
    saved = saved.sort_values("error", na_position="first", kind="stable").drop_duplicates("run_id")
    design = pd.DataFrame(rows)
    sampled = experiment.design is not None
    if not sampled:
        design = design.drop_duplicates("run_id")
    runs = design.merge(saved, on="run_id", how="inner")
    head = ["run_id", "design_row"] if sampled else ["run_id"]
    cols = [*head, "case", *experiment.factor_names, "replication", "seed", *experiment.spec.outcomes, "error"]
    order = ["design_row", "replication"] if sampled else "run_id"
    runs = runs[cols].sort_values(order).reset_index(drop=True)
    runs["seed"] = runs["seed"].astype("uint64")
    for c in experiment.spec.outcomes:
        runs[c] = runs[c].astype("float64")
    runs["error"] = runs["error"].astype("string")
    return runs


def design_table(experiment: Experiment) -> pd.DataFrame:
    """A sampled design's matrix: one row per design row, the sampled number of each parameter.

    The numbers are the sampler's (before rounding or mapping onto levels), the matrix the
    sensitivity analysis reads; ``runs.parquet`` holds the values the model ran with.
    """
    assert experiment.design is not None
    table = pd.DataFrame(experiment.design.matrix, columns=experiment.factor_names)
    table.insert(0, "design_row", range(len(table)))
    return table


def _write_outputs(out_dir, runs, parts, wanted, experiment, tasks, report, started, ts_columns) -> None:
    _atomic_parquet(runs, out_dir / "runs.parquet")
    if ts_columns is not None:
        files = sorted(parts.glob("ts-*.parquet"))
        if files:
            ts = pd.concat([_read_part(f) for f in files], ignore_index=True)
            ts = ts[ts["run_id"].isin(wanted)].drop_duplicates(["run_id", "step"])
            ts = ts.sort_values(["run_id", "step"]).reset_index(drop=True)
            _atomic_parquet(ts, out_dir / "timeseries.parquet")
    if experiment.design is not None:
        _atomic_parquet(design_table(experiment), out_dir / "design.parquet")
        design: dict[str, Any] = {
            "sample": experiment.design.record(),
            "base_scenario": experiment.design.base_scenario,
            "distinct_design_points": len(tasks) // max(1, len({t.replication for t in tasks})),
        }
    else:
        design = {"design_points": [{"case": c, "factors": f, "scenario": s} for c, f, s in experiment.points]}
    write_json(
        out_dir / "manifest.json",
        {
            "experiment": experiment.spec.model_dump(mode="json"),
            "spec_file": experiment.source,
            "case_order": list(dict.fromkeys(c for c, _, _ in experiment.points)),
            **design,
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


def _write_figures(out_dir: Path, owned: set[str]) -> None:
    """Draw the figures in a temporary folder, then rename each into place.

    A figure name that is a link is replaced by the figure; the link's target is never written.
    """
    from sim.experiments.figures import batch_figures

    stage = Path(tempfile.mkdtemp(prefix=".figures.tmp-", dir=out_dir))
    try:
        for name in ("runs.parquet", "manifest.json"):
            try:
                os.link(out_dir / name, stage / name)
            except OSError:
                shutil.copyfile(out_dir / name, stage / name)
        names = [Path(p).name for p in batch_figures(stage)]
        _claim(out_dir, owned, names)
        for name in names:
            os.replace(stage / name, out_dir / name)
    finally:
        shutil.rmtree(stage, ignore_errors=True)


class _Progress:
    """A rich progress bar with ETA and a failure count (quiet when disabled)."""

    def __init__(self, total: int, already: int, enabled: bool) -> None:
        self.failed = 0
        self.done = 0  # runs saved by this batch
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
        self.done += n
        self.failed += failed
        if self.progress:
            self.progress.update(self.task, advance=n, failed=self.failed)

    def close(self) -> None:
        if self.progress:
            self.progress.stop()
