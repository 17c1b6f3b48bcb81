"""A single run: scenario in, tidy results out (time series, summary, manifest, figures)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from sim.model import CXModel
from sim.outputs.provenance import atomic_directory, environment, git_commit, run_id, write_json
from sim.outputs.summary import summarise
from sim.scenario.schema import Scenario


@dataclass
class RunResult:
    """Everything one run produced, in memory."""

    scenario: Scenario
    seed: int
    run_id: str
    timeseries: pd.DataFrame
    summary: dict[str, Any]
    manifest: dict[str, Any]


def run_scenario(scenario: Scenario, seed: int | None = None, source: str | None = None) -> RunResult:
    """Build the model, run its horizon, and summarise it."""
    seed = scenario.seed if seed is None else int(seed)
    scenario = scenario.model_copy(update={"seed": seed})
    started = datetime.now(UTC)
    t0 = time.perf_counter()
    model = CXModel(scenario, rng=seed, collect=False).run()
    model_seconds = time.perf_counter() - t0
    frame = model.timeseries()
    summary = summarise(model)
    resolved = scenario.model_dump(mode="json")
    rid = run_id(resolved, seed)
    manifest = {
        "run_id": rid,
        "scenario_name": scenario.name,
        "scenario_file": source,
        "seed": seed,
        "scenario": resolved,
        "git_commit": git_commit(),
        "environment": environment(),
        "started_utc": started.isoformat(timespec="seconds"),
        "model_seconds": round(model_seconds, 4),
        "steps": scenario.steps,
        "warmup": scenario.warmup,
    }
    return RunResult(scenario, seed, rid, frame, summary, manifest)


def default_out_dir(result: RunResult, root: Path = Path("results")) -> Path:
    return root / result.scenario.name / result.run_id


def write_run(result: RunResult, out_dir: Path, figures: bool = True) -> Path:
    """Write results into ``out_dir`` atomically: all files appear together or none do."""
    out_dir = Path(out_dir)
    with atomic_directory(out_dir) as tmp:
        result.timeseries.to_parquet(tmp / "timeseries.parquet", index=False)
        write_json(tmp / "summary.json", result.summary)
        write_json(tmp / "manifest.json", result.manifest)
        if figures:
            from sim.outputs.figures import run_figures

            run_figures(result.timeseries, result.summary, result.scenario, tmp)
    return out_dir
