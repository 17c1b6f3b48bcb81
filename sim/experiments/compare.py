"""Paired policy comparison: each scenario against the first, with common random numbers.

Replication k of every scenario runs with the same seed, so the noise the scenarios share
cancels in the difference; the mean difference of every KPI gets a paired-t 95 % confidence
interval. With a target precision the comparison keeps adding replications until the
interval's half-width is below it (or a maximum is reached), the usual sequential procedure
for a fixed-width interval (Law 2015, ch. 9).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from sim.errors import MISSING, InputError
from sim.experiments.batch import run_batch
from sim.experiments.spec import CaseSpec, Experiment, ExperimentSpec, build_experiment
from sim.experiments.stats import mean_interval, paired_difference
from sim.outputs.provenance import atomic_write_text, write_json
from sim.outputs.summary import OUTCOMES, SHARE_OUTCOMES

DEFAULT_METRICS = (
    "annual_churn_rate",
    "nps",
    "nps_surveyed",
    "mean_satisfaction",
    "mean_engagement",
    "mean_info_age_weeks",
    "stale_share",
    "handoff_info_loss",
    "recovery_rate",
    "employee_turnover_rate",
    "net_revenue_retention",
)
TIMESERIES = ["satisfaction", "nps", "customers", "engagement", "info_age_weeks"]


@dataclass
class Plan:
    """How many replications: a fixed number, or until a target half-width."""

    reps: int | None = 30
    ci_width: float | None = None
    max_reps: int = 200
    start_reps: int = 10


def comparison_experiment(files: list[str], seed: int, steps: int | None) -> Experiment:
    """Cases named after the scenario files (the first is the reference)."""
    names = [Path(f).stem for f in files]
    if len(set(names)) != len(names):
        raise InputError("compare", None, names, "scenario files must have different names")
    for f in files:
        if not Path(f).is_file():
            raise InputError(f, None, MISSING, "scenario file not found")
    spec = ExperimentSpec(
        name="compare_" + "_vs_".join(names)[:100],
        scenario=str(Path(files[0]).resolve()),
        cases={n: CaseSpec(scenario=str(Path(f).resolve())) for n, f in zip(names, files, strict=True)},
        replications=1,
        seed=seed,
        steps=steps,
        outcomes=list(OUTCOMES),
        timeseries=TIMESERIES,
    )
    return build_experiment(spec, Path.cwd(), "compare")


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
    }
    return result


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
) -> dict[str, Any]:
    """Run the paired comparison and write compare.json, compare.md and figures into ``out_dir``."""
    metrics = list(metrics or DEFAULT_METRICS)
    unknown = [m for m in metrics if m not in OUTCOMES]
    if unknown:
        raise InputError("--metric", None, unknown[0], f"allowed: {', '.join(OUTCOMES)}")
    if len(files) < 2:
        raise InputError("compare", None, files, "give at least two scenario files (the first is the reference)")
    experiment = comparison_experiment(files, seed, steps)
    scenarios = [Path(f).stem for f in files]
    target_metric = metrics[0]
    reps = plan.reps if plan.ci_width is None else min(plan.start_reps, plan.max_reps)
    while True:
        run_batch(experiment, out_dir, workers, scheduler, replications=reps, progress=progress, figures=False)
        runs = pd.read_parquet(out_dir / "runs.parquet")
        result = analyse(runs, scenarios, metrics)
        if plan.ci_width is None:
            result["stopped_by"] = f"fixed number of replications ({reps})"
            break
        widest = max(result["differences"][s][target_metric]["half_width"] for s in scenarios[1:])
        if math.isnan(widest):
            result["stopped_by"] = f"{target_metric} is undefined in these runs; no precision to reach"
            break
        if widest <= plan.ci_width:
            result["stopped_by"] = (
                f"precision reached: CI half-width of {target_metric} {widest:.4g} <= {plan.ci_width:g} "
                f"after {reps} reps"
            )
            break
        if reps >= plan.max_reps:
            result["stopped_by"] = (
                f"maximum replications reached ({reps}); CI half-width of {target_metric} "
                f"is {widest:.4g} > {plan.ci_width:g}"
            )
            break
        projected = math.ceil(reps * (widest / plan.ci_width) ** 2 * 1.1) if math.isfinite(widest) else 2 * reps
        reps = min(plan.max_reps, max(reps + 5, projected))
    result["seed"] = seed
    result["target"] = {"metric": target_metric, "ci_width": plan.ci_width, "max_reps": plan.max_reps}
    write_json(out_dir / "compare.json", result)
    atomic_write_text(out_dir / "compare.md", to_markdown(result))
    from sim.experiments.figures import comparison_figures

    ts = _labelled_timeseries(out_dir)
    comparison_figures(result, ts, out_dir)
    return result


def _labelled_timeseries(out_dir: Path) -> pd.DataFrame | None:
    path = out_dir / "timeseries.parquet"
    if not path.exists():
        return None
    ts = pd.read_parquet(path)
    runs = pd.read_parquet(out_dir / "runs.parquet", columns=["run_id", "case"])
    return ts.merge(runs.rename(columns={"case": "scenario"}), on="run_id")


def fmt(value: float | None, metric: str) -> str:
    """A scenario's mean: shares as percentages, others with a precision that suits their size."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    if metric in SHARE_OUTCOMES:
        return f"{100 * value:.2f} %"
    size = abs(value)
    return f"{value:.1f}" if size >= 10 else f"{value:.2f}" if size >= 1 else f"{value:.3f}"


def diff_text(d: dict[str, Any], metric: str) -> str:
    """``+mean ± half-width`` with two significant digits of the half-width (pp for shares)."""
    scale, unit = (100.0, " pp") if metric in SHARE_OUTCOMES else (1.0, "")
    mean, half = scale * d["mean"], scale * d["half_width"]
    decimals = max(0, 1 - math.floor(math.log10(half))) if half > 0 and math.isfinite(half) else 2
    mark = " *" if d["low"] > 0 or d["high"] < 0 else ""
    return f"{mean:+.{decimals}f} ± {half:.{decimals}f}{unit}{mark}"


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
        "`*` marks an interval that excludes zero. `pp` = percentage points.",
        "",
        "| " + " | ".join(head) + " |",
        "|" + "|".join("---" for _ in head) + "|",
    ]
    for metric, per in result["metrics"].items():
        cells = [metric, *(fmt(per[s]["mean"], metric) for s in scenarios)]
        cells += [diff_text(result["differences"][s][metric], metric) for s in scenarios[1:]]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"
