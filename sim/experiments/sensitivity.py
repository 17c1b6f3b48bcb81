"""Global sensitivity analysis: a sampled batch, then SALib's indices of each outcome, next to the noise.

``cxsim sensitivity SPEC`` runs the spec's sampled design (method ``morris``, ``sobol`` or ``fast``;
:mod:`sim.experiments.sampling`) as a batch — common random numbers, saved chunks, resume after a
kill, local processes or Dask — averages each design row's outcomes over its replications and
analyses the averages with SALib (Herman & Usher 2017; Iwanaga, Usher & Herman 2022):

- **Morris** elementary effects (Morris 1991) with μ* (Campolongo, Cariboni & Saltelli 2007), its
  bootstrap confidence interval, σ and the signed μ. An effect is the change of the outcome when one
  parameter moves by Δ = levels / (2 (levels − 1)) of its range, in the outcome's own unit.
- **Sobol'** first-order (S1), total (ST) and second-order (S2) indices with Saltelli et al.'s
  (2010) estimators and bootstrap intervals: shares of the outcome's variance over the ranges.
- **FAST** first-order and total indices (Saltelli, Tarantola & Chan 1999); SALib's intervals for FAST
  are indicative only.

A simulated outcome carries replication noise, which every estimator mistakes for a little
sensitivity. Beside each index the analysis reports what the same design gives when the outcome is
noise alone: the difference between the means of two halves of the replications, scaled to the noise
of a row's mean (so it has the same variance and, with common random numbers, the same correlation
across rows as the noise in the averages), analysed like the outcome. Its magnitude (averaged over
random halvings) is the index's noise level; an index stands above the noise when its lower interval
end (value − conf) exceeds it. Variance-based noise levels are scaled to the outcome's variance, so
they read on the indices' own scale (the noise's share of ST is the noise's share of the variance).
"""

from __future__ import annotations

import json
import math
import os
import time
import warnings
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.errors import MISSING, InputError
from sim.experiments.batch import BatchReport, is_batch_folder, run_batch
from sim.experiments.sampling import SENSITIVITY_METHODS, SampledParameter, SampleOptions, problem
from sim.experiments.spec import MAX_RUNS, Experiment, load_experiment
from sim.outputs.files import atomic_write, atomic_write_text, json_safe, write_json
from sim.outputs.folders import (
    add_owned,
    check_result_folder,
    clean_stale_temporaries,
    commit,
    owned_files,
    staging,
    write_error,
)
from sim.outputs.provenance import environment, git_commit
from sim.outputs.summary import OUTCOMES

#: a sensitivity folder is a batch folder (saved runs, resumable) with the analysis on top
KIND = "batch"
#: confidence level of every interval the analysis reports
CONF_LEVEL = 0.95
#: bootstrap resamples behind SALib's intervals
RESAMPLES = 1000
#: most random halvings of the replications behind a noise level (fewer when fewer exist)
NOISE_SPLITS = 16
#: the indices each method reports, in the order indices.csv lists them
INDICES = {"morris": ("mu_star", "sigma", "mu"), "sobol": ("S1", "ST", "S2"), "fast": ("S1", "ST")}
#: the index each method ranks the parameters by
MAIN_INDEX = {"morris": "mu_star", "sobol": "ST", "fast": "ST"}
#: the files every sensitivity result has (the figures are named per outcome, see :func:`result_files`)
FIXED_FILES = ("indices.csv", "sensitivity.json", "sensitivity.md")


def result_files(outcomes: list[str] | tuple[str, ...] = tuple(OUTCOMES)) -> list[str]:
    """Every file a sensitivity result can write for ``outcomes`` (what a new result supersedes)."""
    figures = [f"{kind}_{o}.png" for o in outcomes for kind in ("indices", "morris")]
    return [*FIXED_FILES, "ranking.png", *figures]


# ----------------------------------------------------------------------------- loading


def load_study(
    path: str | Path,
    *,
    replications: int | None = None,
    max_runs: int | None = MAX_RUNS,
    on_count: Any = None,
) -> Experiment:
    """Read a spec for a sensitivity study: a sampled design of method morris, sobol or fast."""
    experiment = load_experiment(path, max_runs=max_runs, on_count=on_count, replications=replications)
    sample = experiment.spec.sample
    if sample is None:
        raise InputError(
            experiment.source, "sample", MISSING, "a sensitivity study needs a sample: section (method, samples, ...)"
        )
    if sample.method not in SENSITIVITY_METHODS:
        raise InputError(
            experiment.source,
            "sample.method",
            sample.method,
            f"allowed for sensitivity: {', '.join(SENSITIVITY_METHODS)} (lhs has no indices; run it with cxsim batch)",
        )
    return experiment


def check_replications(replications: int | None) -> None:
    """``--replications``: a whole number from 1 (noise then cannot be estimated) to 100,000."""
    if replications is not None and not 1 <= replications <= 100_000:
        raise InputError("--replications", None, replications, "allowed: a whole number from 1 to 100000")


def check_sensitivity_folder(out_dir: Path) -> set[str]:
    """Before any run: a folder cxsim can write, new, empty or a batch's; return what cxsim owns there."""
    return check_result_folder(Path(out_dir), KIND, result_files(), accept_unmarked=is_batch_folder)


# ----------------------------------------------------------------------------- analysis


@dataclass
class Analysis:
    """The indices of one outcome and what replication noise alone gives."""

    indices: pd.DataFrame  # outcome, parameter, parameter_2, index, value, conf, noise, above_noise
    noise: dict[str, Any]  # replication standard error, noise share of the variance, ...


def analyse(
    parameters: list[SampledParameter],
    options: SampleOptions,
    matrix: np.ndarray,
    outputs: np.ndarray,
    outcome: str = "y",
    seed: int | None = None,
) -> Analysis:
    """SALib's indices of one outcome from a design matrix and its outputs (design rows x replications).

    The rows are averaged over replications; with two or more replications each index also gets its
    noise level (see the module docstring). ``seed`` seeds the bootstrap intervals and the halvings.
    """
    y = np.asarray(outputs, dtype=float)
    y = y.reshape(len(y), -1)
    if not np.isfinite(y).any(axis=1).all():
        raise ValueError(f"{outcome}: undefined in every replication of some design row")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a row with an undefined replication: mean of the rest
        means = np.nanmean(y, axis=1)
    spread = float(np.var(means))
    if not spread > 0:
        raise ValueError(f"{outcome}: the same in every design row; nothing to apportion")
    seed = options.seed if seed is None else seed
    prob = problem(parameters)
    found = _salib(options, prob, matrix, means, seed, RESAMPLES)
    reps = y.shape[1]
    noise_values: dict[str, np.ndarray] = {}
    summary: dict[str, Any] = {"replications": reps, "mean": float(np.mean(means)), "sd_of_row_means": spread**0.5}
    if reps >= 2:
        residual = y - means[:, None]
        within = np.nansum(residual**2) / max(1, np.isfinite(y).sum() - len(y))
        summary["replication_se"] = float(np.sqrt(within / reps))
        summary["noise_share_of_variance"] = float(min(1.0, within / reps / spread))
        noise_values = _noise_levels(options, prob, matrix, y, spread, seed)
    else:
        summary["replication_se"] = None
        summary["noise_share_of_variance"] = None
    return Analysis(_tidy(options.method, prob["names"], found, noise_values, outcome), summary)


def _salib(
    options: SampleOptions, prob: dict[str, Any], matrix: np.ndarray, y: np.ndarray, seed: int, resamples: int
) -> dict[str, np.ndarray]:
    """One SALib analysis of the row means ``y``: each index and its interval half-width."""
    seed = int(seed % 2**32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SALib warns that FAST's intervals are indicative (said in the docs)
        if options.method == "morris":
            from SALib.analyze import morris

            si = morris.analyze(
                prob, matrix, y, num_resamples=resamples, conf_level=CONF_LEVEL, num_levels=options.levels, seed=seed
            )
            return {
                "mu_star": np.asarray(si["mu_star"], float),
                "mu_star_conf": np.asarray(si["mu_star_conf"], float),
                "sigma": np.asarray(si["sigma"], float),
                "mu": np.asarray(si["mu"], float),
            }
        if options.method == "sobol":
            from SALib.analyze import sobol

            si = sobol.analyze(
                prob,
                y,
                calc_second_order=options.second_order,
                num_resamples=resamples,
                conf_level=CONF_LEVEL,
                seed=seed,
            )
            return {
                k: np.asarray(v, float)
                for k, v in si.items()
                if k in ("S1", "S1_conf", "ST", "ST_conf", "S2", "S2_conf")
            }
        from SALib.analyze import fast

        state = np.random.get_state()  # SALib's FAST seeds numpy's global generator: leave it as it was
        try:
            si = fast.analyze(
                prob, y, M=options.interference, num_resamples=resamples, conf_level=CONF_LEVEL, seed=seed
            )
        finally:
            np.random.set_state(state)
        return {k: np.asarray(v, float) for k, v in si.items() if k in ("S1", "S1_conf", "ST", "ST_conf")}


def halvings(reps: int, count: int, rng: np.random.Generator) -> list[np.ndarray]:
    """Up to ``count`` distinct ways to split the replications into two halves (the first half's members)."""
    if reps < 2:
        return []
    half = reps // 2
    total = math.comb(reps, half) // (2 if reps % 2 == 0 else 1)
    seen: set[tuple[int, ...]] = set()
    out = []
    while len(out) < min(count, total):
        first = tuple(sorted(rng.choice(reps, size=half, replace=False).tolist()))
        other = tuple(sorted(set(range(reps)) - set(first)))
        key = min(first, other) if reps % 2 == 0 else first
        if key in seen:
            continue
        seen.add(key)
        out.append(np.array(first))
    return out


def noise_surrogate(y: np.ndarray, first: np.ndarray) -> np.ndarray:
    """Replication noise alone: the two halves' mean difference, scaled to the noise of a row's mean.

    With halves of a and b replications, (mean_a − mean_b) has variance σ² (1/a + 1/b); times
    sqrt(1 / (R (1/a + 1/b))) it has σ²/R, the variance of the noise in the mean of R replications.
    Every row is halved the same way, so common random numbers keep their correlation across rows.
    """
    reps = y.shape[1]
    mask = np.zeros(reps, dtype=bool)
    mask[first] = True
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        a, b = np.nanmean(y[:, mask], axis=1), np.nanmean(y[:, ~mask], axis=1)
    n_a, n_b = mask.sum(), (~mask).sum()
    return np.nan_to_num(a - b) * math.sqrt(1.0 / (reps * (1.0 / n_a + 1.0 / n_b)))


def _noise_levels(
    options: SampleOptions, prob: dict[str, Any], matrix: np.ndarray, y: np.ndarray, spread: float, seed: int
) -> dict[str, np.ndarray]:
    """Per index, its mean magnitude over the design analysed on noise alone (variance-based ones rescaled)."""
    rng = np.random.default_rng(seed)
    found: dict[str, list[np.ndarray]] = {}
    for first in halvings(y.shape[1], NOISE_SPLITS, rng):
        noise = noise_surrogate(y, first)
        var = float(np.var(noise))
        if not var > 0:
            continue
        scale = 1.0 if options.method == "morris" else var / spread
        for key, value in _salib(options, prob, matrix, noise, seed, 2).items():
            if not key.endswith("_conf"):
                found.setdefault(key, []).append(np.abs(value) * scale)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # S2's lower triangle is empty by design
        return {k: np.nanmean(np.stack(v), axis=0) for k, v in found.items()}


def _tidy(
    method: str, names: list[str], found: dict[str, np.ndarray], noise: dict[str, np.ndarray], outcome: str
) -> pd.DataFrame:
    """indices.csv rows: one per outcome, parameter (pair for S2) and index, with conf and noise."""
    records = []
    for index in INDICES[method]:
        if index not in found:
            continue
        values, conf = found[index], found.get(f"{index}_conf")
        level = noise.get(index)
        if index == "S2":
            pairs = [(i, j) for i in range(len(names)) for j in range(i + 1, len(names))]
        else:
            pairs = [(i, None) for i in range(len(names))]
        for i, j in pairs:
            at = (i, j) if j is not None else i
            value = float(values[at])
            half = float(conf[at]) if conf is not None else math.nan
            floor = float(level[at]) if level is not None else math.nan
            records.append(
                {
                    "outcome": outcome,
                    "parameter": names[i],
                    "parameter_2": names[j] if j is not None else "",
                    "index": index,
                    "value": value,
                    "conf": half,
                    "noise": floor,
                    "above_noise": _above(index, value, half, floor),
                }
            )
    return pd.DataFrame.from_records(records, columns=list(INDEX_COLUMNS))


#: the columns of indices.csv
INDEX_COLUMNS = ("outcome", "parameter", "parameter_2", "index", "value", "conf", "noise", "above_noise")


def _above(index: str, value: float, conf: float, floor: float) -> bool | None:
    """Whether an index stands above what noise alone gives: its lower interval end (value − conf) beyond the
    noise level (its value for an index without an interval). The signed μ is read through μ*; None if unknown."""
    if index == "mu" or not math.isfinite(floor):
        return None
    low = abs(value) - (conf if math.isfinite(conf) else 0.0)
    return bool(low > floor)


def outcome_matrix(runs: pd.DataFrame, outcome: str, rows: int, reps: int) -> np.ndarray:
    """An outcome as design rows x replications (NaN where undefined), from ``runs.parquet``."""
    table = runs.pivot(index="design_row", columns="replication", values=outcome)
    return table.reindex(index=range(rows), columns=range(reps)).to_numpy(dtype=float)


def analyse_runs(experiment: Experiment, runs: pd.DataFrame, reps: int) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Every outcome of a finished sampled batch: its indices (stacked) and per outcome the noise or why it was
    left out (undefined in a design row, or the same everywhere)."""
    design = experiment.design
    assert design is not None
    frames, per_outcome = [], {}
    for outcome in experiment.spec.outcomes:
        y = outcome_matrix(runs, outcome, len(design.matrix), reps)
        try:
            result = analyse(design.parameters, design.options, design.matrix, y, outcome)
        except ValueError as exc:
            per_outcome[outcome] = {"left_out": str(exc).split(": ", 1)[-1]}
            continue
        frames.append(result.indices)
        per_outcome[outcome] = result.noise
    indices = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=list(INDEX_COLUMNS))
    return indices, per_outcome


# ----------------------------------------------------------------------------- the study


def run_sensitivity(
    experiment: Experiment,
    out_dir: Path,
    *,
    replications: int | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    progress: bool = True,
    worker_timeout: float | None = None,
) -> dict[str, Any]:
    """Run the sampled batch (resuming what a killed study saved), analyse it, write the results.

    Writes, beside the batch's ``runs.parquet``, ``design.parquet`` and ``manifest.json``:
    ``indices.csv``, ``sensitivity.json`` (the analysis and its provenance), ``sensitivity.md`` and
    the figures. Ctrl-C raises KeyboardInterrupt with the saved runs kept for the resume; failed
    runs stop the study with an InputError (a rerun tries them again).
    """
    check_replications(replications)
    out_dir = Path(out_dir)
    owned_before = check_sensitivity_folder(out_dir)
    reps = experiment.spec.replications if replications is None else replications
    started = datetime.now(UTC)
    t0 = time.perf_counter()
    extra: dict[str, Any] = {} if worker_timeout is None else {"worker_timeout": worker_timeout}
    report = run_batch(
        experiment, out_dir, workers, scheduler, replications=reps, progress=progress, figures=False, **extra
    )
    if report.interrupted:
        raise KeyboardInterrupt
    if report.failed:
        raise InputError(
            str(out_dir),
            None,
            MISSING,
            f"{len(report.failed)} of {report.total} runs failed (first: {report.failed[0][1]}); the indices need "
            "every design row: run the same command again to retry them",
        )
    runs = pd.read_parquet(out_dir / "runs.parquet")
    indices, per_outcome = analyse_runs(experiment, runs, reps)
    result = _record(experiment, reps, report, per_outcome, started, time.perf_counter() - t0)
    result["run_seconds"] = round(report.seconds + (_earlier_run_seconds(out_dir) if report.reused else 0.0), 3)
    _write_results(out_dir, owned_before, experiment, indices, result)
    result["indices"] = indices
    return result


def _earlier_run_seconds(out_dir: Path) -> float:
    """The batch time the study's earlier invocations spent on the runs it reuses (0 if unknown)."""
    try:
        earlier = json.loads((out_dir / "sensitivity.json").read_text(encoding="utf-8")).get("run_seconds")
    except (OSError, ValueError, AttributeError):
        return 0.0
    return float(earlier) if isinstance(earlier, int | float) and math.isfinite(earlier) else 0.0


def _record(
    experiment: Experiment,
    reps: int,
    report: BatchReport,
    per_outcome: dict[str, Any],
    started: datetime,
    seconds: float,
) -> dict[str, Any]:
    """sensitivity.json: the design, the analysis settings, the noise per outcome and the provenance."""
    from importlib.metadata import version

    design = experiment.design
    assert design is not None
    return {
        "name": experiment.spec.name,
        "spec_file": experiment.source,
        "method": design.options.method,
        "sample": design.record(),
        "replications": reps,
        "outcomes": per_outcome,
        "outcome_order": list(experiment.spec.outcomes),
        "main_index": MAIN_INDEX[design.options.method],
        "analysis": {
            "conf_level": CONF_LEVEL,
            "bootstrap_resamples": RESAMPLES,
            "noise_halvings": len(halvings(reps, NOISE_SPLITS, np.random.default_rng(0))),
            "seed": design.options.seed,
        },
        "counts": {
            "design_rows": len(design.matrix),
            "runs": report.total,
            "computed_now": report.computed,
            "reused_from_earlier": report.reused,
        },
        "executor": report.executor,
        "salib": version("SALib"),
        "git_commit": git_commit(),
        "environment": environment(),
        "started_utc": started.isoformat(timespec="seconds"),
        "wall_seconds": round(seconds, 3),
    }


def _write_results(
    out_dir: Path, owned_before: set[str], experiment: Experiment, indices: pd.DataFrame, result: dict[str, Any]
) -> None:
    """indices.csv, sensitivity.json, sensitivity.md and the figures, moved into the folder together (or not at all)."""
    from sim.experiments.figures import sensitivity_figures

    ours = set(result_files())
    earlier = {f for f in owned_before & ours if os.path.lexists(out_dir / f)}
    try:
        if earlier - owned_files(out_dir, KIND):
            add_owned(out_dir, KIND, earlier)  # the batch rewrote the record: keep the study's files on it
        parent = Path(os.path.realpath(out_dir)).parent
        clean_stale_temporaries(parent)
        with staging(parent, out_dir.name) as tmp:
            atomic_write(tmp / "indices.csv", lambda fh: fh.write(indices.to_csv(index=False).encode("utf-8")))
            write_json(tmp / "sensitivity.json", json_safe(result))
            atomic_write_text(tmp / "sensitivity.md", to_markdown(indices, result))
            sensitivity_figures(indices, result, tmp)
            commit(out_dir, tmp, KIND, supersede=ours)
    except OSError as exc:
        raise write_error(out_dir, exc) from None


# ----------------------------------------------------------------------------- reading


def short_name(parameter: str) -> str:
    """A parameter as tables and figures name it: the key path without the ``parameters.`` prefix."""
    return parameter.removeprefix("parameters.")


def ranking(indices: pd.DataFrame, outcome: str, index: str) -> pd.DataFrame:
    """One outcome's parameters by one index, largest first (ties in the spec's order)."""
    sub = indices[(indices["outcome"] == outcome) & (indices["index"] == index)]
    return sub.sort_values("value", ascending=False, kind="stable", key=lambda v: v.abs())


def to_markdown(indices: pd.DataFrame, result: dict[str, Any]) -> str:
    """A readable summary: per outcome its parameters ranked by the main index, with intervals and noise."""
    method = result["method"]
    main = result["main_index"]
    lines = [
        f"# Sensitivity: {result['name']} ({method})",
        "",
        f"{result['counts']['design_rows']:,} design rows x {result['replications']} replications "
        f"({result['counts']['runs']:,} distinct runs); {len(result['sample']['parameters'])} parameters. "
        f"Intervals are {CONF_LEVEL:.0%} bootstrap intervals (± conf). `noise` is what replication noise alone "
        "gives for the index; `*` marks an index whose lower interval end lies above it.",
    ]
    for outcome, noise in result["outcomes"].items():
        lines += ["", f"## {outcome}", ""]
        if "left_out" in noise:
            lines.append(f"Left out: {noise['left_out']}.")
            continue
        if noise.get("replication_se") is not None:
            lines.append(
                f"Mean {noise['mean']:.4g}; SD across design rows {noise['sd_of_row_means']:.4g}; replication "
                f"standard error of a row's mean {noise['replication_se']:.3g} "
                f"({noise['noise_share_of_variance']:.1%} of the variance across rows)."
            )
        else:
            lines.append(f"Mean {noise['mean']:.4g}; one replication: the noise is not estimated.")
        others = [i for i in INDICES[method] if i not in (main, "S2", "mu")]
        head = ["parameter", main, *others, *(["mu"] if method == "morris" else [])]
        lines += ["", "| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
        table = indices[indices["outcome"] == outcome]
        for row in ranking(indices, outcome, main).itertuples():
            cells = [f"`{short_name(row.parameter)}`", _cell(row)]
            for other in others:
                match = table[(table["index"] == other) & (table["parameter"] == row.parameter)]
                cells.append(_cell(next(match.itertuples())) if len(match) else "")
            if method == "morris":
                mu = table[(table["index"] == "mu") & (table["parameter"] == row.parameter)]["value"]
                cells.append(f"{float(mu.iloc[0]):+.4g}" if len(mu) else "")
            lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _cell(row: Any) -> str:
    """``value ± conf (noise n) *``."""
    text = f"{row.value:.3g}"
    if isinstance(row.conf, float) and math.isfinite(row.conf):
        text += f" ± {row.conf:.2g}"
    if isinstance(row.noise, float) and math.isfinite(row.noise):
        text += f" (noise {row.noise:.2g})"
    return text + (" *" if is_above(row.above_noise) else "")


def is_above(value: Any) -> bool:
    """A yes in the ``above_noise`` column (a missing value is no)."""
    return isinstance(value, bool | np.bool_) and bool(value)
