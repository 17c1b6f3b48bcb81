"""The fit and its uncertainty: targets against the fitted outcomes, the fitted values and how sure they are.

Uncertainty of the fitted values is read off the candidates the search evaluated: the set of
candidates whose objective the replications cannot tell from the best one's. For each candidate
the paired difference of its objective from the best's gets a jackknife standard error over the
common seeds (leave one seed out at both points: the seeds are shared, so the difference is
paired); a candidate is within the replication noise of the best when the difference lies below
the one-sided 95 % Student-t bound, i.e. the replications cannot show that it is worse. The
range of each parameter over this set is reported, next to the range over the candidates that
reach every target within its tolerance (the acceptance filter of Thiele, Kurth & Grimm 2014,
JASSS 17(3) 11).

Why not a profile or the curvature at the optimum: a stochastic model's objective is rough at
small scales and often flat along ridges where parameters trade off, so a quadratic fit gives an
interval that depends on the step chosen, and a profile needs many more runs per parameter. The
noise-equivalent set needs no extra runs, shows trade-offs (it stretches along a ridge) and does
not assume a smooth basin; it contains only points the search visited, so it is a lower bound of
the uncertainty where the search sampled sparsely, and it is the uncertainty from simulation noise,
not from the targets themselves (for that, the tolerance filter; Hartig et al. 2011, Ecology
Letters 14, 816–827, on likelihood-free inference for stochastic simulation models).
"""

from __future__ import annotations

import math
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import yaml
from matplotlib.lines import Line2D

from sim.experiments.calibration.evaluate import KEPT_OUTCOMES, Candidate, combine, target_terms, term_weights
from sim.experiments.calibration.spec import Calibration
from sim.experiments.stats import mean_interval, mean_intervals, t_quantile
from sim.outputs.figures import PALETTE, STYLE, legend_outside, new_figure, quantity, save_figure, suptitle
from sim.outputs.summary import SHARE_OUTCOMES, UNDEFINED, is_defined
from sim.scenario.schema import NAME_MAX

#: confidence level of every interval
LEVEL = 0.95
#: one-sided level of the test that a candidate is worse than the best
NOISE_LEVEL = 0.95
#: the colour of candidates outside the noise-equivalent set
NEUTRAL = "0.6"


@dataclass
class Fit:
    """The best candidate, the candidates the noise cannot rank below it, and those reaching every target."""

    best: Candidate
    within_noise: list[int] = field(default_factory=list)
    reaching: list[int] = field(default_factory=list)
    gaps: dict[int, tuple[float, float]] = field(default_factory=dict)  # index -> (difference, jackknife SE)


def analyse(cal: Calibration, candidates: list[Candidate], best: int) -> Fit:
    """The noise-equivalent set (paired jackknife over the common seeds) and the tolerance filter."""
    fit = Fit(candidates[best])
    weights = term_weights(cal)
    quantile = float(t_quantile(len(cal.seeds), 2 * NOISE_LEVEL - 1))  # one-sided: the two-sided 90 % quantile
    for cand in candidates:
        if not cand.defined:
            continue
        gap, se = jackknife_gap(cal, cand, fit.best, weights)
        fit.gaps[cand.index] = (gap, se)
        if gap <= quantile * se:
            fit.within_noise.append(cand.index)
        if all(v <= 1.0 for v in cand.terms.values()):
            fit.reaching.append(cand.index)
    return fit


def jackknife_gap(cal: Calibration, cand: Candidate, best: Candidate, weights: dict[str, float]) -> tuple[float, float]:
    """The candidate's objective minus the best's, and its jackknife standard error over the shared seeds."""
    n = len(cal.seeds)
    gap = cand.objective - best.objective
    loo = np.empty(n)
    for k in range(n):
        keep = np.arange(n) != k
        a = combine(target_terms(cal, cand.outcomes, cand.series, keep), weights)
        b = combine(target_terms(cal, best.outcomes, best.series, keep), weights)
        loo[k] = a - b
    if not np.isfinite(loo).all():
        return gap, math.inf
    return gap, float(math.sqrt((n - 1) / n * np.sum((loo - loo.mean()) ** 2)))


# ----------------------------------------------------------------------------- tables


def value_text(value: float, whole: bool = False) -> str:
    """A parameter value as the tables and the YAML show it."""
    return str(int(value)) if whole else f"{value:.6g}"


def outcome_text(value: float | None, outcome: str) -> str:
    """An outcome in the unit a reader expects: shares as percentages."""
    if not is_defined(value):
        return UNDEFINED
    value = float(value)  # type: ignore[arg-type]
    if outcome in SHARE_OUTCOMES:
        return f"{100 * value:.2f} %"
    return f"{value:,.0f}" if abs(value) >= 10_000 else f"{value:.4g}"


def evaluations_table(cal: Calibration, candidates: list[Candidate], fit: Fit) -> pd.DataFrame:
    """One row per candidate: phase, parameter values, objective and its terms, the outcomes' replication means."""
    rows = []
    for c in candidates:
        row: dict[str, Any] = {"candidate": c.index, "phase": c.phase}
        row.update({p.key: v for p, v in zip(cal.parameters, c.values, strict=True)})
        row["objective"] = c.objective if c.defined else math.nan
        row["within_noise"] = c.index in fit.within_noise
        row["reaches_targets"] = c.index in fit.reaching
        row.update({f"term.{k}": v for k, v in c.terms.items()})
        row.update({k: float(np.mean(v)) if np.isfinite(v).all() else math.nan for k, v in c.outcomes.items()})
        row["error"] = c.error
        rows.append(row)
    table = pd.DataFrame(rows)
    for k in KEPT_OUTCOMES:
        if k not in table:
            table[k] = math.nan
    table["error"] = table["error"].astype("string")
    return table


def runs_table(cal: Calibration, candidates: list[Candidate]) -> pd.DataFrame:
    """One row per run of a candidate: candidate, replication, seed, run id and every outcome."""
    rows = []
    for c in candidates:
        for k, rid in enumerate(c.run_ids):
            row: dict[str, Any] = {"candidate": c.index, "replication": k, "seed": cal.seeds[k], "run_id": rid}
            row.update({o: float(v[k]) for o, v in c.outcomes.items()})
            rows.append(row)
    columns = ["candidate", "replication", "seed", "run_id", *KEPT_OUTCOMES]
    table = pd.DataFrame(rows, columns=columns)
    table["seed"] = table["seed"].astype("uint64")
    return table


def target_rows(cal: Calibration, best: Candidate) -> list[dict[str, Any]]:
    """Each target against the fitted point: its value and tolerance, the mean with a 95 % CI, reached or not."""
    rows = []
    for t in cal.targets:
        ci = mean_interval(best.outcomes[t.outcome], LEVEL)
        reached = abs(ci.mean - t.value) <= t.tolerance if math.isfinite(ci.mean) else False
        rows.append(
            {
                "target": t.outcome,
                "value": t.value,
                "tolerance": t.tolerance,
                "weight": t.weight,
                "mean": ci.mean,
                "low": ci.low,
                "high": ci.high,
                "reached": bool(reached),
            }
        )
    for s in cal.series:
        values = best.series[s.kpi]
        band = mean_intervals(values.T, LEVEL)
        history = np.asarray(s.values)
        rmse = float(np.sqrt(np.nanmean((band.mean - history) ** 2)))
        inside = int(np.sum((history >= band.low) & (history <= band.high)))
        rows.append(
            {
                "target": f"history:{s.kpi}",
                "value": float(np.mean(history)),
                "tolerance": s.tolerance,
                "weight": s.weight,
                "mean": float(np.nanmean(band.mean)),
                "rmse": rmse,
                "weeks": len(s.weeks),
                "weeks_inside_band": inside,
                "reached": bool(rmse <= s.tolerance),
            }
        )
    return rows


def parameter_rows(cal: Calibration, candidates: list[Candidate], fit: Fit) -> list[dict[str, Any]]:
    """Each parameter: bounds, fitted value, its range within the replication noise and among the candidates
    reaching every target."""
    rows = []
    for i, p in enumerate(cal.parameters):
        noise = [candidates[j].values[i] for j in fit.within_noise]
        reach = [candidates[j].values[i] for j in fit.reaching]
        rows.append(
            {
                "parameter": p.key,
                "low": p.low,
                "high": p.high,
                "whole": p.whole,
                "fitted": fit.best.values[i],
                "noise_range": [min(noise), max(noise)] if noise else None,
                "reaching_range": [min(reach), max(reach)] if reach else None,
            }
        )
    return rows


# ----------------------------------------------------------------------------- fitted scenario


def fitted_name(cal: Calibration) -> str:
    """The fitted scenario's name: the spec's, marked as fitted (within the scenario name's limit)."""
    return f"{cal.spec.name[: NAME_MAX - len('_fitted')]}_fitted"


def fitted_yaml(cal: Calibration, best: Candidate) -> str:
    """The base scenario with the fitted values, resolved in full, as YAML ``cxsim run`` accepts.

    Every key is written, so the file keeps its meaning when defaults change; the seed is the
    first replication's, so ``cxsim run fitted.yaml`` repeats that run exactly.
    """
    scenario = cal.scenario_at(best.values)
    fitted = ", ".join(f"{p.key} = {value_text(v, p.whole)}" for p, v in zip(cal.parameters, best.values, strict=True))
    scenario.update(
        name=fitted_name(cal),
        description=f"Fitted by cxsim calibrate ({Path(cal.source).name}): {fitted}",
        seed=cal.seeds[0],
    )
    overrides = ", ".join(f"{k} = {v}" for k, v in cal.spec.set.items())
    head = [
        f"# Fitted by `cxsim calibrate {Path(cal.source).name}`: the base scenario {cal.spec.scenario}",
        *(textwrap.wrap(f"with {overrides}", 96, initial_indent="# ", subsequent_indent="#   ") if overrides else []),
        "# and the fitted values",
        *(
            f"#   {p.key}: {value_text(v, p.whole)}"
            f"  (bounds [{value_text(p.low, p.whole)}, {value_text(p.high, p.whole)}])"
            for p, v in zip(cal.parameters, best.values, strict=True)
        ),
        "# Every key is written out, so the file means the same under later defaults. The seed is the",
        "# first replication's: `cxsim run fitted.yaml` repeats that run of the calibration exactly.",
    ]
    return "\n".join(head) + "\n" + yaml.safe_dump(scenario, sort_keys=False, allow_unicode=True, width=100)


# ----------------------------------------------------------------------------- calibration.md


def to_markdown(cal: Calibration, candidates: list[Candidate], fit: Fit, info: dict[str, Any]) -> str:
    """calibration.md: the setting, the fitted values with their uncertainty, the targets against the fit."""
    spec, method = cal.spec, cal.spec.method
    n = len(cal.seeds)
    sample = "Latin hypercube" if method.sample == "lhs" else "scrambled Sobol"
    local = {"nelder-mead": "Nelder–Mead", "powell": "bounded Powell", "none": "no local refinement"}[method.local]
    overrides = ", ".join(f"`{k}` = {v}" for k, v in spec.set.items())
    lines = [
        f"# Calibration: {spec.name}",
        "",
        *([spec.description, ""] if spec.description else []),
        f"Base scenario `{spec.scenario}`{f' with {overrides}' if overrides else ''}, "
        f"{cal.resolved['steps']} weeks ({cal.resolved['warmup']} of warm-up). Every candidate ran at the same "
        f"{n} seeds (common random numbers, root seed {spec.seed}), so candidates are compared on the same noise.",
        f"Search: a {sample} sample of {method.samples} points over the bounds, then {local} from its best point; "
        f"{len(candidates)} candidates evaluated ({info['runs']} runs, {info['computed']} computed now, "
        f"{info['reused']} reused; budget {method.max_evaluations} candidates). Stopped: {info['stopped_by']}.",
        "",
        "The objective is each target's squared distance between the model's replication mean and the target, in "
        "units of the target's tolerance, weighted and averaged: a target whose term is at most 1 is reached. "
        f"At the fitted point it is {fit.best.objective:.4g}.",
        "",
        "## Fitted values",
        "",
        "| parameter | bounds | fitted | within the replication noise of the best | reaching every target |",
        "|---|---|---|---|---|",
    ]
    for row in parameter_rows(cal, candidates, fit):
        w = row["whole"]
        noise, reach = row["noise_range"], row["reaching_range"]
        lines.append(
            f"| `{row['parameter']}` | [{value_text(row['low'], w)}, {value_text(row['high'], w)}] | "
            f"**{value_text(row['fitted'], w)}** | "
            + (f"{value_text(noise[0], w)} – {value_text(noise[1], w)}" if noise else "—")
            + " | "
            + (f"{value_text(reach[0], w)} – {value_text(reach[1], w)}" if reach else "none reaches every target")
            + " |"
        )
    lines += [
        "",
        f"{len(fit.within_noise)} of {len(candidates)} candidates lie within the replication noise of the best "
        f"and {len(fit.reaching)} reach every target within its tolerance.",
        "",
        "## Targets",
        "",
        f"| target | value | tolerance | fitted: mean [95 % CI over {n} replications] | reached |",
        "|---|---|---|---|---|",
    ]
    for row in target_rows(cal, fit.best):
        name = row["target"]
        if name.startswith("history:"):
            kpi = name.split(":", 1)[1]
            lines.append(
                f"| `{kpi}` (weekly history, {row['weeks']} weeks) | mean {outcome_text(row['value'], kpi)} | "
                f"RMSE ≤ {outcome_text(row['tolerance'], kpi)} | RMSE {outcome_text(row['rmse'], kpi)}; history inside "
                f"the model's 95 % band in {row['weeks_inside_band']} of {row['weeks']} weeks | "
                f"{'yes' if row['reached'] else 'no'} |"
            )
            continue
        lines.append(
            f"| `{name}` | {outcome_text(row['value'], name)} | ± {outcome_text(row['tolerance'], name)} | "
            f"{outcome_text(row['mean'], name)} "
            f"[{outcome_text(row['low'], name)}, {outcome_text(row['high'], name)}] | "
            f"{'yes' if row['reached'] else 'no'} |"
        )
    failed = [c for c in candidates if not c.defined]
    lines += [
        "",
        "## How sure the fitted values are",
        "",
        "The range *within the replication noise of the best* holds the candidates whose objective the "
        f"{n} replications cannot tell from the best one's: a candidate belongs to it when the paired difference "
        f"of its objective from the best's lies below the one-sided {100 * NOISE_LEVEL:.0f} % Student-t bound, "
        "with a jackknife standard error over the shared seeds (leave one seed out at both points). "
        "It is used rather than a profile or the local curvature because a stochastic "
        "model's objective is rough at small scales and often flat along ridges where parameters trade off: a "
        "quadratic fit there depends on the step chosen, while this set needs no extra runs, assumes no smooth "
        "basin and stretches along a ridge when there is one. It holds only candidates the search visited, so "
        "where the search sampled sparsely the true range can be wider; and it measures simulation noise, not "
        "uncertainty in the targets — the last column (candidates reaching every target within its tolerance) "
        "speaks to that. More replications narrow the first range; wider tolerances widen the second.",
        "",
        "The fitted means and intervals come from the seeds that chose the point, so they flatter the fit a "
        "little; `cxsim run fitted.yaml --seed <other>` (or a comparison at other seeds) checks it on fresh seeds.",
    ]
    if failed:
        lines += ["", f"{len(failed)} candidates had no defined objective (see `error` in evaluations.csv):"]
        lines += [f"- candidate {c.index}: {c.error}" for c in failed[:10]]
    lines += [
        "",
        "Files: `fitted.yaml` (the fitted scenario), `evaluations.parquet`/`.csv` (every candidate), `runs.parquet` "
        "(every run), `calibration_fit.png`, `calibration_landscape.png`, `manifest.json`.",
    ]
    return "\n".join(lines) + "\n"


# ----------------------------------------------------------------------------- figures


def calibration_figures(cal: Calibration, candidates: list[Candidate], fit: Fit, out: Path) -> list[Path]:
    """The fit against the targets and the objective landscape, written into ``out``."""
    with plt.rc_context(STYLE):
        figures = {
            "calibration_fit": fit_figure(cal, fit),
            "calibration_landscape": landscape_figure(cal, candidates, fit),
        }
    return [save_figure(fig, out / f"{name}.png") for name, fig in figures.items()]


def fit_figure(cal: Calibration, fit: Fit) -> plt.Figure:
    """Each target with its tolerance band, the fitted mean with its 95 % CI; each history against the model's band."""
    panels = len(cal.targets) + len(cal.series)
    ncols = min(3, panels)
    nrows = math.ceil(panels / ncols)
    fig, axes = new_figure(nrows, ncols, figsize=(2.6 * ncols + 0.4, 2.4 * nrows + 0.9))
    flat = list(axes.flat)
    n = len(cal.seeds)
    for ax, t in zip(flat, cal.targets, strict=False):
        q = quantity(t.outcome)
        ci = mean_interval(fit.best.outcomes[t.outcome], LEVEL)
        ax.axhspan(
            q.scale * (t.value - t.tolerance), q.scale * (t.value + t.tolerance), color=PALETTE[2], alpha=0.2, lw=0
        )
        ax.axhline(q.scale * t.value, color=PALETTE[2], lw=1.2)
        if math.isfinite(ci.low) and math.isfinite(ci.high):
            ax.vlines(0, q.scale * ci.low, q.scale * ci.high, color=PALETTE[0], lw=2)
        ax.plot(0, q.scale * ci.mean, "o", color=PALETTE[0], ms=6)
        ax.plot(np.zeros(n) + 0.25, q.scale * fit.best.outcomes[t.outcome], ".", color=NEUTRAL, ms=4)
        ax.set_xlim(-0.6, 0.6)
        ax.set_xticks([])
        ax.grid(axis="x", visible=False)
        ax.set_title(q.label)
        ax.set_ylabel(q.unit)
    for ax, s in zip(flat[len(cal.targets) :], cal.series, strict=False):
        q = quantity(s.kpi)
        band = mean_intervals(fit.best.series[s.kpi].T, LEVEL)
        weeks = np.asarray(s.weeks)
        ax.fill_between(weeks, q.scale * band.low, q.scale * band.high, color=PALETTE[0], alpha=0.2, lw=0)
        ax.plot(weeks, q.scale * band.mean, color=PALETTE[0])
        ax.plot(weeks, q.scale * np.asarray(s.values), "o", color=PALETTE[2], ms=3)
        ax.set_title(f"{q.label} (history)")
        ax.set_xlabel("week")
        ax.set_ylabel(q.unit)
    for ax in flat[panels:]:
        ax.set_axis_off()
    handles = [
        Line2D([], [], color=PALETTE[2], lw=6, alpha=0.3),
        Line2D([], [], color=PALETTE[0], marker="o", lw=2, ms=5),
        Line2D([], [], color=NEUTRAL, marker=".", lw=0, ms=5),
    ]
    labels = ["target ± tolerance (history: points)", "fitted mean, 95 % CI", "single replications"]
    legend_outside(fig, handles, labels)
    suptitle(fig, f"{cal.spec.name}: targets and the fitted model", f"{n} replications on common random numbers")
    return fig


def landscape_figure(cal: Calibration, candidates: list[Candidate], fit: Fit) -> plt.Figure:
    """Every candidate: for two parameters their plane coloured by the objective, else the objective per parameter."""
    ok = [c for c in candidates if c.defined]
    values = np.array([c.values for c in ok], dtype=float).reshape(len(ok), len(cal.parameters))
    objective = np.array([c.objective for c in ok])
    noise = np.array([c.index in fit.within_noise for c in ok], dtype=bool)
    local = np.array([c.phase == "local" for c in ok], dtype=bool)
    best = np.array(fit.best.values, dtype=float)
    log = np.log10(np.maximum(objective, 1e-6))
    if len(cal.parameters) == 2:
        fig, axes = new_figure(1, 1, figsize=(4.6, 4.2))
        ax = axes[0, 0]
        x, y = values[:, 0], values[:, 1]
        scatter = ax.scatter(
            x[~local], y[~local], c=log[~local], cmap="viridis_r", marker="s", s=28, vmin=log.min(), vmax=log.max()
        )
        ax.scatter(x[local], y[local], c=log[local], cmap="viridis_r", marker="o", s=18, vmin=log.min(), vmax=log.max())
        ax.scatter(x[noise], y[noise], facecolors="none", edgecolors=PALETTE[1], s=70, lw=1)
        ax.plot(*best, "*", color=PALETTE[1], ms=14, mec="black", mew=0.6)
        p, r = cal.parameters
        ax.set_xlim(p.low, p.high)
        ax.set_ylim(r.low, r.high)
        ax.set_xlabel(p.key)
        ax.set_ylabel(r.key)
        fig.colorbar(scatter, ax=ax, label="log10 objective")
    else:
        k = len(cal.parameters)
        ncols = min(3, k)
        nrows = math.ceil(k / ncols)
        fig, axes = new_figure(nrows, ncols, figsize=(2.6 * ncols + 0.4, 2.4 * nrows + 0.9))
        for i, (ax, p) in enumerate(zip(axes.flat, cal.parameters, strict=False)):
            ax.scatter(values[~local, i], objective[~local], marker="s", s=14, color=NEUTRAL)
            ax.scatter(values[local, i], objective[local], marker="o", s=10, color=PALETTE[0])
            ax.scatter(values[noise, i], objective[noise], facecolors="none", edgecolors=PALETTE[1], s=50, lw=1)
            ax.plot(best[i], fit.best.objective, "*", color=PALETTE[1], ms=12, mec="black", mew=0.6)
            ax.set_yscale("log")
            ax.set_xlim(p.low, p.high)
            ax.set_xlabel(p.key, fontsize=7)
            ax.set_ylabel("objective")
        for ax in list(axes.flat)[k:]:
            ax.set_axis_off()
    # in the plane of two parameters colour is the objective: the legend shows the markers' shapes only
    local_color = NEUTRAL if len(cal.parameters) == 2 else PALETTE[0]
    handles = [
        Line2D([], [], color=NEUTRAL, marker="s", lw=0, ms=5),
        Line2D([], [], color=local_color, marker="o", lw=0, ms=5),
        Line2D([], [], color=PALETTE[1], marker="o", mfc="none", lw=0, ms=8),
        Line2D([], [], color=PALETTE[1], marker="*", mec="black", lw=0, ms=10),
    ]
    labels = ["sampled candidate", "local search", "within the replication noise of the best", "fitted"]
    legend_outside(fig, handles, labels, ncols=2)
    suptitle(fig, f"{cal.spec.name}: objective of every candidate", "lower is closer to the targets")
    return fig
