"""Paired policy comparison: each scenario against the first, with common random numbers.

Replication k of every scenario runs with the same seed, so the noise the scenarios share
cancels in the difference; the mean difference of every KPI gets a paired-t 95 % confidence
interval. With a target precision the comparison keeps adding replications until the
interval's half-width is below it (or a maximum is reached), the usual sequential procedure
for a fixed-width interval (Law 2015, ch. 9).
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pydantic import ValidationError

from sim.errors import MISSING, InputError
from sim.experiments.batch import is_batch_folder, run_batch
from sim.experiments.spec import CaseSpec, Experiment, ExperimentSpec, build_experiment
from sim.experiments.stats import mean_interval, paired_difference
from sim.outputs.files import atomic_write_text, json_safe, write_json
from sim.outputs.folders import (
    add_owned,
    check_result_folder,
    clean_stale_temporaries,
    commit,
    owned_files,
    staging,
    write_error,
)
from sim.outputs.summary import OUTCOMES, SHARE_OUTCOMES, UNDEFINED, display_scale, is_defined
from sim.scenario.shipped import locate

DEFAULT_METRICS = (
    "annual_churn_rate",
    "nps",
    "nps_surveyed",
    "mean_satisfaction",
    "mean_engagement",
    "mean_info_age_weeks",
    "stale_share",
    "handoff_info_loss",
    "delivery_failure_rate",
    "recovery_rate",
    "employee_turnover_rate",
    "net_revenue_retention",
    "costs_per_year",
    "profit_per_year",
)
TIMESERIES = ["satisfaction", "nps", "customers", "engagement", "info_age_weeks", "profit"]

#: what a comparison adds to its batch folder (the forest and time-series figures included)
COMPARE_FILES = ("compare.json", "compare.md", "compare_forest.png", "compare_timeseries.png")
#: a comparison folder is a batch folder (saved runs, resumable) with the comparison on top
KIND = "batch"

#: bounds of the options, shared with the command line
MAX_REPS = 100_000
MAX_SEED = 2**63 - 1
MAX_STEPS = 5200


@dataclass
class Plan:
    """How many replications: a fixed number, or until a target half-width."""

    reps: int | None = 30
    ci_width: float | None = None
    max_reps: int = 200
    start_reps: int = 10


def comparison_name(files: list[str]) -> str:
    """A folder and experiment name from the scenario files: ``a_vs_b``, safe on any file system."""
    stems = [re.sub(r"[^A-Za-z0-9_.-]+", "_", Path(f).stem).strip(".") or "scenario" for f in files]
    return "_vs_".join(stems)[:100]


def check_plan(plan: Plan, metrics: list[str] | None = None, seed: int = 2026, steps: int | None = None) -> None:
    """Refuse (InputError, named after the command-line option) a plan that cannot run, before any run."""
    if plan.reps is not None and not 2 <= plan.reps <= MAX_REPS:
        raise InputError(
            "--reps", None, plan.reps, f"allowed: a whole number >= 2 (a CI needs two), at most {MAX_REPS}"
        )
    if plan.ci_width is not None and not (math.isfinite(plan.ci_width) and plan.ci_width > 0):
        raise InputError("--ci-width", None, plan.ci_width, "allowed: a finite number > 0")
    if not 2 <= plan.max_reps <= MAX_REPS:
        raise InputError("--max-reps", None, plan.max_reps, f"allowed: a whole number >= 2, at most {MAX_REPS}")
    if plan.start_reps < 2:
        raise InputError("compare", "start_reps", plan.start_reps, "allowed: a whole number >= 2")
    unknown = [m for m in metrics or [] if m not in OUTCOMES]
    if unknown:
        raise InputError("--metric", None, unknown[0], f"allowed: {', '.join(OUTCOMES)}")
    if metrics is not None and len(set(metrics)) != len(metrics):
        raise InputError("--metric", None, metrics, "each metric may be given once")
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= MAX_SEED:
        raise InputError("--seed", None, seed, f"allowed: a whole number from 0 to {MAX_SEED}")
    if steps is not None and (isinstance(steps, bool) or not isinstance(steps, int) or not 1 <= steps <= MAX_STEPS):
        raise InputError("--steps", None, steps, f"allowed: a whole number from 1 to {MAX_STEPS}")


def comparison_experiment(files: list[str], seed: int, steps: int | None) -> Experiment:
    """Cases named after the scenario files (the first is the reference)."""
    if len(files) < 2:
        raise InputError("compare", None, files, "give at least two scenario files (the first is the reference)")
    files = [str(locate(f, "scenarios")) for f in files]
    names = [Path(f).stem for f in files]
    if len(set(names)) != len(names):
        raise InputError("compare", None, names, "scenario files must have different names")
    for f in files:
        if not Path(f).is_file():
            raise InputError(f, None, MISSING, "scenario file not found")
    check_plan(Plan(), None, seed, steps)
    try:
        spec = ExperimentSpec(
            name="compare_" + comparison_name(files),
            scenario=str(Path(files[0]).resolve()),
            cases={n: CaseSpec(scenario=str(Path(f).resolve())) for n, f in zip(names, files, strict=True)},
            replications=1,
            seed=seed,
            steps=steps,
            outcomes=list(OUTCOMES),
            timeseries=TIMESERIES,
        )
    except ValidationError as exc:
        err = exc.errors()[0]
        raise InputError("compare", ".".join(map(str, err["loc"])), err.get("input", MISSING), err["msg"]) from None
    try:
        return build_experiment(spec, Path.cwd(), "compare")
    except InputError as exc:
        if steps is not None and exc.field == "warmup":
            raise InputError(
                "--steps", None, steps, f"must be longer than the warm-up of {exc.source} ({exc.value} weeks)"
            ) from None
        raise


def analyse(runs: pd.DataFrame, scenarios: list[str], metrics: list[str]) -> dict[str, Any]:
    """Per-scenario means and paired differences against the first scenario."""
    ok = runs[runs["error"].isna()]
    by = {s: ok[ok["case"] == s].set_index("replication").sort_index() for s in scenarios}
    common = sorted(set.intersection(*(set(d.index) for d in by.values())))
    base = by[scenarios[0]].loc[common]
    result: dict[str, Any] = {
        "scenarios": scenarios,
        "replications": len(common),
        "metrics": {
            m: {s: mean_interval(by[s].loc[common, m].to_numpy()).as_dict() for s in scenarios} for m in metrics
        },
        "differences": {
            s: {m: paired_difference(by[s].loc[common, m].to_numpy(), base[m].to_numpy()).as_dict() for m in metrics}
            for s in scenarios[1:]
        },
        "roi": {s: _roi(by[s].loc[common], base) for s in scenarios[1:]},
    }
    return result


def payback_weeks(ts: pd.DataFrame | None, scenarios: list[str]) -> dict[str, int | None]:
    """Per policy, the week from which its cumulative profit stays above the reference's.

    The weekly profit difference is averaged over the paired replications and summed from week 1
    (one-off costs such as licence training fall at the start). The payback week is the first
    week after which the running sum never drops to zero or below again; None when it does not
    end above zero within the horizon (no payback), or when the runs kept no weekly profit.
    """
    out: dict[str, int | None] = dict.fromkeys(scenarios[1:])
    if ts is None or "profit" not in ts.columns:
        return out
    weekly = ts.pivot_table(index="step", columns="scenario", values="profit", aggfunc="mean")
    for s in scenarios[1:]:
        if s not in weekly or scenarios[0] not in weekly:
            continue
        running = (weekly[s] - weekly[scenarios[0]]).cumsum().to_numpy()
        if not running.size or running[-1] <= 0:
            continue
        below = np.flatnonzero(running <= 0)
        out[s] = int(weekly.index[below[-1] + 1]) if below.size else int(weekly.index[0])
    return out


def _roi(case: pd.DataFrame, base: pd.DataFrame) -> float | None:
    """A policy's return on its extra cost against the reference: mean Δprofit / mean Δcosts (per year).

    None when the costs do not differ (nothing was invested), either is undefined, or the runs did
    not keep profit and costs.
    """
    if not {"profit_per_year", "costs_per_year"} <= set(case.columns) & set(base.columns):
        return None
    d_profit = float((case["profit_per_year"] - base["profit_per_year"]).mean())
    d_costs = float((case["costs_per_year"] - base["costs_per_year"]).mean())
    if not (math.isfinite(d_profit) and math.isfinite(d_costs)) or d_costs == 0:
        return None
    return d_profit / d_costs


def run_comparison(
    files: list[str],
    out_dir: Path,
    plan: Plan,
    metrics: list[str] | None = None,
    seed: int = 2026,
    steps: int | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    progress: bool = True,
    worker_timeout: float | None = None,
) -> dict[str, Any]:
    """Run the paired comparison and write compare.json, compare.md and figures into ``out_dir``.

    ``plan.ci_width`` is in the outcome's own unit (a fraction for shares; the command line
    converts from the percentage points its table shows). Everything is checked before the
    first run: the plan, the metrics, the scenario files and the folder.
    """
    check_plan(plan, metrics, seed, steps)
    metrics = list(metrics or DEFAULT_METRICS)
    experiment = comparison_experiment(files, seed, steps)
    out_dir = Path(out_dir)
    owned_before = check_compare_folder(out_dir)
    scenarios = [Path(f).stem for f in files]
    target_metric = metrics[0]
    scale, _ = display_scale(target_metric)
    unit = " pp" if target_metric in SHARE_OUTCOMES else ""
    reps = plan.reps if plan.ci_width is None else min(plan.start_reps, plan.max_reps)
    extra: dict[str, Any] = {} if worker_timeout is None else {"worker_timeout": worker_timeout}
    while True:
        report = run_batch(
            experiment, out_dir, workers, scheduler, replications=reps, progress=progress, figures=False, **extra
        )
        if report.interrupted:  # nothing is analysed or written: the saved runs wait for the resume
            raise KeyboardInterrupt
        runs = pd.read_parquet(out_dir / "runs.parquet")
        result = analyse(runs, scenarios, metrics)
        if plan.ci_width is None:
            result["stopped_by"] = f"fixed number of replications ({reps})"
            break
        widest = max(result["differences"][s][target_metric]["half_width"] for s in scenarios[1:])
        if math.isnan(widest):
            result["stopped_by"] = f"{target_metric} is undefined in these runs; no precision to reach"
            break
        shown = f"{scale * widest:.4g}{unit}"
        wanted = f"{scale * plan.ci_width:g}{unit}"
        if widest <= plan.ci_width:
            result["stopped_by"] = (
                f"precision reached: CI half-width of {target_metric} {shown} <= {wanted} after {reps} reps"
            )
            break
        if reps >= plan.max_reps:
            result["stopped_by"] = (
                f"maximum replications reached ({reps}); CI half-width of {target_metric} is {shown} > {wanted}"
            )
            break
        projected = math.ceil(reps * (widest / plan.ci_width) ** 2 * 1.1) if math.isfinite(widest) else 2 * reps
        reps = min(plan.max_reps, max(reps + 5, projected))
    result["payback_week"] = payback_weeks(_labelled_timeseries(out_dir), scenarios)
    result["seed"] = seed
    result["target"] = {"metric": target_metric, "ci_width": plan.ci_width, "max_reps": plan.max_reps}
    _write_comparison(result, out_dir, owned_before)
    return result


def check_compare_folder(out_dir: Path) -> set[str]:
    """Before any run: a folder cxsim can write, new, empty or a batch's; return what cxsim owns there."""
    return check_result_folder(Path(out_dir), KIND, COMPARE_FILES, accept_unmarked=is_batch_folder)


def _write_comparison(result: dict[str, Any], out_dir: Path, owned_before: set[str]) -> None:
    """compare.json, compare.md and the figures, moved into the folder together (or not at all)."""
    from sim.experiments.figures import comparison_figures

    ours = set(COMPARE_FILES)
    earlier = {f for f in owned_before & ours if os.path.lexists(out_dir / f)}
    try:
        if earlier - owned_files(out_dir, KIND):
            add_owned(out_dir, KIND, earlier)  # the batch rewrote the record: keep the comparison's files on it
        parent = Path(os.path.realpath(out_dir)).parent
        clean_stale_temporaries(parent)
        with staging(parent, out_dir.name) as tmp:
            write_json(tmp / "compare.json", json_safe(result))
            atomic_write_text(tmp / "compare.md", to_markdown(result))
            comparison_figures(result, _labelled_timeseries(out_dir), tmp)
            commit(out_dir, tmp, KIND, supersede=ours)
    except OSError as exc:
        raise write_error(out_dir, exc) from None


def _labelled_timeseries(out_dir: Path) -> pd.DataFrame | None:
    path = out_dir / "timeseries.parquet"
    if not path.exists():
        return None
    ts = pd.read_parquet(path)
    runs = pd.read_parquet(out_dir / "runs.parquet", columns=["run_id", "case"])
    return ts.merge(runs.rename(columns={"case": "scenario"}), on="run_id")


def fmt(value: float | None, metric: str) -> str:
    """A scenario's mean: shares as percentages, others with a precision that suits their size; n/a if undefined."""
    if not is_defined(value):
        return UNDEFINED
    value = float(value)  # type: ignore[arg-type]
    if metric in SHARE_OUTCOMES:
        return f"{100 * value:.2f} %"
    size = abs(value)
    if size >= 10_000:  # money: whole euros, thousands grouped
        return f"{value:,.0f}"
    return f"{value:.1f}" if size >= 10 else f"{value:.2f}" if size >= 1 else f"{value:.3f}"


def diff_text(d: dict[str, Any], metric: str) -> str:
    """``+mean ± half-width`` with two significant digits of the half-width (pp for shares); n/a if undefined."""
    if not is_defined(d.get("mean")):
        return UNDEFINED
    scale, unit = (100.0, " pp") if metric in SHARE_OUTCOMES else (1.0, "")
    mean = scale * float(d["mean"])
    half = scale * float(d["half_width"]) if is_defined(d.get("half_width")) else math.nan
    if not math.isfinite(half):
        return f"{mean:+.2f}{unit} ± {UNDEFINED}"
    decimals = max(0, 1 - math.floor(math.log10(half))) if half > 0 else 2
    mark = " *" if d["low"] > 0 or d["high"] < 0 else ""
    return f"{mean:+,.{decimals}f} ± {half:,.{decimals}f}{unit}{mark}"


def to_markdown(result: dict[str, Any]) -> str:
    """A table a strategist can read: each scenario's mean, and its difference ± 95 % CI."""
    scenarios = result["scenarios"]
    base = scenarios[0]
    head = ["KPI", *scenarios, *(f"{s} − {base}" for s in scenarios[1:])]
    lines = [
        f"# Comparison against {base}",
        "",
        f"{result['replications']} paired replications (common random numbers, root seed {result['seed']}); "
        f"stopped by: {result['stopped_by']}.",
        "Differences are mean ± half-width of the 95 % confidence interval (paired t); "
        "`*` marks an interval that excludes zero. `pp` = percentage points; "
        f"`{UNDEFINED}` = undefined in these runs.",
        "",
        "| " + " | ".join(head) + " |",
        "|" + "|".join("---" for _ in head) + "|",
    ]
    for metric, per in result["metrics"].items():
        cells = [metric, *(fmt(per[s]["mean"], metric) for s in scenarios)]
        cells += [diff_text(result["differences"][s][metric], metric) for s in scenarios[1:]]
        lines.append("| " + " | ".join(cells) + " |")
    lines += _per_scenario_block(
        "Return on the extra cost (mean Δprofit per year / mean Δcosts per year against the reference):",
        result.get("roi", {}),
        scenarios[1:],
        lambda roi: f"{roi:+.2f}" if is_defined(roi) else f"{UNDEFINED} (costs do not differ)",
    )
    lines += _per_scenario_block(
        "Payback (the week from which cumulative profit stays above the reference's, mean of the runs):",
        result.get("payback_week", {}),
        scenarios[1:],
        lambda week: f"week {week}" if week is not None else "no payback within the horizon",
    )
    return "\n".join(lines) + "\n"


def _per_scenario_block(
    title: str, values: dict[str, Any], scenarios: list[str], show: Callable[[Any], str]
) -> list[str]:
    """A titled list with one line per compared scenario; nothing when the result lacks the values."""
    if not values:
        return []
    return ["", title, "", *(f"- {s}: {show(values.get(s))}" for s in scenarios)]
