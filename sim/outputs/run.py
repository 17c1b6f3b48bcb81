"""A single run: scenario in, tidy results out (time series, team and segment tables, summary, manifest, figures)."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from sim.model import CXModel
from sim.outputs.files import write_json
from sim.outputs.folders import check_result_folder, clean_stale_temporaries, commit, staging, write_error
from sim.outputs.provenance import environment, git_commit, run_id
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
    teams: pd.DataFrame
    segments: pd.DataFrame


#: what a run writes into its folder (figures only with ``figures=True``)
RUN_FILES = ("timeseries.parquet", "teams.parquet", "segments.parquet", "summary.json", "manifest.json")
FIGURE_FILES = (
    "kpis.png",
    "satisfaction_by_stage.png",
    "engagement_by_unit.png",
    "information_age.png",
    "detractor_causes.png",
)
#: what a result folder of a single run is called in its ownership marker
KIND = "run"


def planned_run_id(scenario: Scenario, seed: int | None = None) -> str:
    """The id a run of ``scenario`` will get, known before it runs (so its folder can be checked first)."""
    seed = scenario.seed if seed is None else int(seed)
    return run_id(scenario.model_copy(update={"seed": seed}).model_dump(mode="json"), seed)


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
        "events_applied": model.event_log,
    }
    return RunResult(scenario, seed, rid, frame, summary, manifest, model.team_table(), model.segment_table())


def default_out_dir(result: RunResult | Scenario, root: Path = Path("results")) -> Path:
    """``results/<scenario name>/<run id>``: one folder per distinct input, known before the run."""
    if isinstance(result, RunResult):
        return root / result.scenario.name / result.run_id
    return root / result.name / planned_run_id(result)


def run_files(figures: bool = True) -> tuple[str, ...]:
    """The names a run writes into its folder."""
    return RUN_FILES + (FIGURE_FILES if figures else ())


def check_run_folder(out_dir: Path, figures: bool = True, source: str = "--out") -> None:
    """Refuse (InputError) a folder a run may not write into: call it before the run starts."""
    check_result_folder(Path(out_dir), KIND, run_files(figures), source)


def write_run(result: RunResult, out_dir: Path, figures: bool = True) -> Path:
    """Write results into ``out_dir`` atomically: all new files appear together, or the old result stays.

    ``out_dir`` must be new, empty, or an earlier run's folder (its marker says so); there only
    the files the earlier run wrote are replaced, and anything the user added stays. Disk full
    and other write errors become one-line InputErrors naming the folder.
    """
    out_dir = Path(out_dir)
    check_run_folder(out_dir, figures)
    try:
        parent = Path(os.path.realpath(out_dir)).parent
        parent.mkdir(parents=True, exist_ok=True)
        clean_stale_temporaries(parent)
        with staging(parent, out_dir.name) as tmp:
            result.timeseries.to_parquet(tmp / "timeseries.parquet", index=False)
            result.teams.to_parquet(tmp / "teams.parquet", index=False)
            result.segments.to_parquet(tmp / "segments.parquet", index=False)
            write_json(tmp / "summary.json", result.summary)
            write_json(tmp / "manifest.json", result.manifest)
            if figures:
                from sim.outputs.figures import run_figures

                run_figures(result.timeseries, result.summary, result.scenario, tmp)
            commit(out_dir, tmp, KIND, supersede=run_files(True))
    except OSError as exc:
        raise write_error(out_dir, exc) from None
    return out_dir
