"""Evaluating candidates: every candidate runs at the same seeds through the batch engine's workers.

A candidate's runs go to the executor the batch engine uses (serial, or a local process pool
whose workers die with the calibration) through the engine's own worker function, and are saved
under ``parts/`` as they finish, keyed by run id (a hash of the resolved scenario, the seed and the
model version). A run saved once is never computed again: a calibration stopped by Ctrl-C resumes
where it stopped, and a rerun with other targets reuses every run whose inputs it shares.

The objective is each target's squared distance from the model's replication mean in units of
the target's tolerance, weighted and averaged: a term of at most 1 means that target is reached.
Averaging the outcomes over replications before measuring the distance fits the model's
expected behaviour, the usual simulated-moments criterion (Hartig et al. 2011, Ecology Letters
14, 816–827, on summary statistics of stochastic simulation models); averaging per-replication
distances instead would add each candidate's own variance and favour quiet parameter regions.
"""

from __future__ import annotations

import contextlib
import hashlib
import math
import os
import re
import warnings
from collections.abc import Callable, Hashable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.errors import MISSING, InputError
from sim.experiments.batch import run_chunk
from sim.experiments.calibration.spec import Calibration
from sim.experiments.executors import Backend
from sim.experiments.spec import RunTask
from sim.outputs.files import atomic_write
from sim.outputs.folders import TEMP_PATTERN, temp_prefix, write_error
from sim.outputs.provenance import run_id
from sim.outputs.summary import OUTCOMES

#: every run keeps all run outcomes (cheap), so evaluations and later specs can use any of them
KEPT_OUTCOMES = list(OUTCOMES)
#: most runs one worker call computes (amortises the pool's overhead, keeps saves frequent)
CHUNK_MAX = 10
#: the files of the run store under ``parts/``
_PART = re.compile(r"^(runs|ts)-[0-9a-f]{20}\.parquet$")


# ----------------------------------------------------------------------------- the run store


class RunStore:
    """The runs saved under ``parts/``: outcomes per run id, and the weekly KPIs some runs kept."""

    def __init__(self, parts: Path) -> None:
        self.parts = Path(parts)
        self.records: dict[str, dict[str, float]] = {}
        self.series: dict[str, dict[str, np.ndarray]] = {}
        self.errors: dict[str, str] = {}

    def load(self) -> None:
        """Read every saved part (removing the temporaries of a killed process first)."""
        if self.parts.is_symlink():
            raise InputError(str(self.parts), None, MISSING, "a symbolic link: saved runs go into a real folder")
        with _writing(self.parts.parent):
            self.parts.mkdir(exist_ok=True)
        for entry in os.scandir(self.parts):
            if TEMP_PATTERN.match(entry.name) and entry.is_file(follow_symlinks=False):
                with contextlib.suppress(OSError):
                    os.unlink(entry.path)  # the folder is locked: no other cxsim process writes here
        for path in sorted(self.parts.glob("runs-*.parquet")):
            if _PART.match(path.name):
                for row in _read(path).to_dict(orient="records"):
                    self._keep(row)
        for path in sorted(self.parts.glob("ts-*.parquet")):
            if _PART.match(path.name):
                self._keep_series(_read(path))

    def has(self, rid: str, columns: list[str]) -> bool:
        """A run saved without error, with the weekly KPI columns ``columns``."""
        if rid not in self.records:
            return False
        kept = self.series.get(rid, {})
        return all(c in kept for c in columns)

    def save(self, records: list[dict[str, Any]], ts: pd.DataFrame | None) -> None:
        """Save a finished chunk atomically (weekly KPIs first: a run counts once its record exists)."""
        ids = ",".join(sorted(r["run_id"] for r in records))
        cols = ",".join(c for c in ts.columns if c not in ("run_id", "step")) if ts is not None else ""
        key = hashlib.sha256(f"{ids}|{cols}".encode()).hexdigest()[:20]
        with _writing(self.parts.parent):
            if ts is not None:
                _atomic_parquet(ts, self.parts / f"ts-{key}.parquet")
            _atomic_parquet(pd.DataFrame.from_records(records), self.parts / f"runs-{key}.parquet")
        # what is used from now on is what a resume would read back from the files
        frame = pd.DataFrame.from_records(records)
        for row in frame.astype({k: "float64" for k in KEPT_OUTCOMES if k in frame}).to_dict(orient="records"):
            self._keep(row)
        if ts is not None:
            self._keep_series(ts)

    def _keep(self, row: dict[str, Any]) -> None:
        rid, error = str(row["run_id"]), row.get("error")
        if isinstance(error, str):
            self.errors.setdefault(rid, error)
            return
        self.errors.pop(rid, None)
        self.records[rid] = {k: _number(row.get(k)) for k in KEPT_OUTCOMES}

    def _keep_series(self, ts: pd.DataFrame) -> None:
        cols = [c for c in ts.columns if c not in ("run_id", "step")]
        for rid, frame in ts.groupby("run_id", sort=False):
            frame = frame.sort_values("step")
            kept = self.series.setdefault(str(rid), {})
            kept["step"] = frame["step"].to_numpy(dtype=np.int64)
            for c in cols:
                kept[c] = frame[c].to_numpy(dtype=np.float64)


def _number(value: Any) -> float:
    """An outcome as a float; None (undefined) becomes NaN."""
    return math.nan if value is None else float(value)


def _read(path: Path) -> pd.DataFrame:
    try:
        return pd.read_parquet(path)
    except Exception:  # pyarrow reports a damaged file in several ways
        raise InputError(
            str(path), None, MISSING, "damaged saved runs; delete the file to compute its runs again"
        ) from None


def _atomic_parquet(frame: pd.DataFrame, path: Path) -> None:
    atomic_write(path, lambda fh: frame.to_parquet(fh, index=False), temp_prefix=temp_prefix(path.name))


@contextlib.contextmanager
def _writing(folder: Path) -> Iterator[None]:
    """An OS error while saving runs (disk full, no permission) is one line naming the folder."""
    try:
        yield
    except OSError as exc:
        raise write_error(folder, exc) from None


# ----------------------------------------------------------------------------- candidates


@dataclass
class Candidate:
    """A candidate point: its parameter values, its runs and its objective."""

    index: int
    phase: str
    values: tuple[float | int, ...]
    run_ids: list[str] = field(default_factory=list)
    #: per outcome, its value in each replication (NaN: undefined)
    outcomes: dict[str, np.ndarray] = field(default_factory=dict)
    #: per history KPI, the model's value at the history's weeks in each replication (replications x weeks)
    series: dict[str, np.ndarray] = field(default_factory=dict)
    objective: float = math.nan
    terms: dict[str, float] = field(default_factory=dict)
    error: str | None = None

    @property
    def defined(self) -> bool:
        return self.error is None and math.isfinite(self.objective)


def target_terms(
    cal: Calibration, outcomes: dict[str, np.ndarray], series: dict[str, np.ndarray], keep: np.ndarray | None = None
) -> dict[str, float]:
    """Each target's squared distance, in units of its tolerance, of the replication mean from the target.

    ``keep`` selects replications (the jackknife leaves one out). A scalar target is undefined (NaN)
    when its outcome is undefined in any kept replication; a KPI history when the model leaves a
    history week undefined in every kept replication. A history's term is the mean over its weeks.
    """
    terms: dict[str, float] = {}
    for t in cal.targets:
        x = outcomes[t.outcome] if keep is None else outcomes[t.outcome][keep]
        terms[t.outcome] = float(((x.mean() - t.value) / t.tolerance) ** 2) if np.isfinite(x).all() else math.nan
    for s in cal.series:
        x = series[s.kpi] if keep is None else series[s.kpi][keep]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # a week undefined in every replication is NaN
            mean = np.nanmean(x, axis=0)
        gap = (mean - np.asarray(s.values)) / s.tolerance
        terms[f"history:{s.kpi}"] = float(np.mean(gap**2)) if np.isfinite(gap).all() else math.nan
    return terms


def term_weights(cal: Calibration) -> dict[str, float]:
    """Each target's weight, by the name its term carries."""
    return {**{t.outcome: t.weight for t in cal.targets}, **{f"history:{s.kpi}": s.weight for s in cal.series}}


def combine(terms: dict[str, float], weights: dict[str, float]) -> float:
    """The weighted mean of the terms: at most 1 when every target is within its tolerance."""
    total = sum(weights.values())
    return float(sum(weights[k] * v for k, v in terms.items()) / total)


class ModelEvaluator:
    """The objective of candidates on the unit cube, computed by running the model at every seed.

    One executor serves the whole calibration; runs already in the store are reused, the others
    submitted (at most ``backend.window`` chunks ahead) and saved as each chunk finishes.
    ``on_candidate`` hears each evaluated candidate (a progress display).
    """

    def __init__(
        self,
        cal: Calibration,
        store: RunStore,
        backend: Backend,
        workers: int,
        on_candidate: Callable[[Candidate], None] | None = None,
    ) -> None:
        self.cal, self.store, self.backend, self.workers = cal, store, backend, workers
        self.on_candidate = on_candidate
        self.candidates: list[Candidate] = []
        self.computed = 0
        self.reused = 0
        self.weights = term_weights(cal)

    def values(self, point: np.ndarray) -> tuple[float | int, ...]:
        """The parameter values at a point of the unit cube."""
        return tuple(p.at(u) for p, u in zip(self.cal.parameters, point, strict=True))

    def key(self, point: np.ndarray) -> Hashable:
        """Points with the same parameter values (after rounding) are one candidate."""
        return self.values(point)

    def __call__(self, points: np.ndarray, phase: str) -> np.ndarray:
        """Run every new candidate at every seed (together, so the workers share the load) and score them."""
        batch: list[Candidate] = []
        tasks: list[RunTask] = []
        for point in points:
            cand = Candidate(len(self.candidates) + len(batch), phase, self.values(point))
            batch.append(cand)
            try:
                scenario = self.cal.scenario_at(cand.values)
            except InputError as exc:
                cand.error = f"invalid scenario: {exc.field}: {exc.allowed}" if exc.field else str(exc)
                continue
            for k, seed in enumerate(self.cal.seeds):
                resolved = dict(scenario, seed=seed)
                rid = run_id(resolved, seed)
                cand.run_ids.append(rid)
                tasks.append(RunTask(rid, f"c{cand.index}", {}, k, seed, resolved))
        self._run(tasks)
        for cand in batch:
            self._score(cand)
            self.candidates.append(cand)
            if self.on_candidate is not None:
                self.on_candidate(cand)
        return np.array([c.objective for c in batch])

    def _run(self, tasks: list[RunTask]) -> None:
        columns = self.cal.series_columns
        todo = list({t.run_id: t for t in tasks if not self.store.has(t.run_id, columns)}.values())
        self.reused += len({t.run_id for t in tasks}) - len(todo)
        if not todo:
            return
        size = max(1, min(CHUNK_MAX, math.ceil(len(todo) / (4 * self.workers))))
        chunks = iter([todo[i : i + size] for i in range(0, len(todo), size)])
        pending: dict[Future, list[RunTask]] = {}
        try:
            while True:
                while self.backend.window is None or len(pending) < self.backend.window:
                    chunk = next(chunks, None)
                    if chunk is None:
                        break
                    pending[self.backend.executor.submit(run_chunk, chunk, KEPT_OUTCOMES, columns or None)] = chunk
                if not pending:
                    return
                finished, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in finished:
                    chunk = pending.pop(future)
                    try:
                        records, ts = future.result()
                    except BrokenProcessPool:
                        raise InputError(
                            "--workers",
                            None,
                            MISSING,
                            "a worker process died (out of memory?); the runs saved so far are kept: "
                            "run the same command again to resume",
                        ) from None
                    except Exception as exc:
                        error = f"worker failed: {type(exc).__name__}: {exc}"[:300]
                        records = [{"run_id": t.run_id, **dict.fromkeys(KEPT_OUTCOMES), "error": error} for t in chunk]
                        ts = None
                    self.store.save(records, ts)
                    self.computed += len(chunk)
        except BaseException:
            for future in pending:
                future.cancel()
            raise

    def _score(self, cand: Candidate) -> None:
        """The candidate's outcomes per replication and its objective, from the store."""
        if cand.error is not None:
            return
        failed = [self.store.errors[r] for r in cand.run_ids if r not in self.store.records and r in self.store.errors]
        if failed or not all(r in self.store.records for r in cand.run_ids):
            cand.error = f"run failed: {failed[0] if failed else 'not computed'}"
            return
        cand.outcomes = {k: np.array([self.store.records[r][k] for r in cand.run_ids]) for k in KEPT_OUTCOMES}
        for s in self.cal.series:
            rows = []
            for r in cand.run_ids:
                kept = self.store.series[r]
                at = {int(w): i for i, w in enumerate(kept["step"])}
                rows.append([kept[s.kpi][at[w]] if w in at else math.nan for w in s.weeks])
            cand.series[s.kpi] = np.array(rows, dtype=np.float64)
        cand.terms = target_terms(self.cal, cand.outcomes, cand.series)
        cand.objective = combine(cand.terms, self.weights)
        if not math.isfinite(cand.objective):
            undefined = [k for k, v in cand.terms.items() if not math.isfinite(v)]
            cand.error = f"undefined outcome: {undefined[0]}"
