"""Figures of batches, comparisons and sensitivity studies: one-factor effects, two-factor heatmaps,
case comparisons, comparison time series, forest plots of differences, sensitivity index bars,
Morris μ*–σ plots and the parameter ranking across outcomes.

Every interval drawn is the Student-t interval of :func:`sim.experiments.stats.mean_intervals`
(the tables' :func:`~sim.experiments.stats.mean_interval`, row-wise) or a paired-t difference
from the comparison result, so a figure and its table agree.

A factor's effect is its **marginal mean**: at each level, the outcome averaged over the other
factors' levels (each cell weighted equally). Its interval comes from replication noise only:
replication ``k`` runs with the same seed in every cell (common random numbers), so the mean
over the cells in replication ``k`` is one independent draw of the marginal mean, and the t
interval is taken over those per-replication means. The spread *between* the other factors'
cells is an effect, not noise, and is left out of the interval (the heatmaps show it).
"""

from __future__ import annotations

import json
import re
from itertools import combinations
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.colors import Normalize
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

from sim.experiments.labels import factor_label
from sim.experiments.stats import Band, mean_intervals
from sim.outputs.figures import (
    PALETTE,
    STYLE,
    axis_limits,
    fit_axis,
    legend_outside,
    new_figure,
    quantity,
    save_figure,
    suptitle,
)

KEY_OUTCOMES = (
    "annual_churn_rate",
    "nps",
    "mean_satisfaction",
    "mean_engagement",
    "mean_info_age_weeks",
    "net_revenue_retention",
)
#: colour of a difference whose interval includes zero (the others take PALETTE[1])
NEUTRAL = "0.45"


# ----------------------------------------------------------------------------- batches


def batch_figures(out_dir: Path, outcome: str | None = None) -> list[Path]:
    """Write the figures of a finished batch folder (``runs.parquet`` + ``manifest.json``)."""
    out_dir = Path(out_dir)
    runs = pd.read_parquet(out_dir / "runs.parquet")
    manifest = json.loads((out_dir / "manifest.json").read_text())
    figures = batch_figure_set(runs, manifest["experiment"], outcome, manifest.get("case_order"))
    return [save_figure(fig, out_dir / f"{name}.png") for name, fig in figures.items()]


def batch_figure_set(
    runs: pd.DataFrame, spec: dict[str, Any], outcome: str | None = None, case_order: list[str] | None = None
) -> dict[str, plt.Figure]:
    """The batch figures as matplotlib Figures, by file stem (unsaved: for inspection and saving)."""
    runs = runs[runs["error"].isna()]
    grid = {k: [factor_label(v) for v in levels] for k, levels in spec.get("grid", {}).items()}
    outcomes = [o for o in KEY_OUTCOMES if o in spec["outcomes"]] or spec["outcomes"][:6]
    chosen = outcome or ("nps" if "nps" in spec["outcomes"] else next(iter(spec["outcomes"]), ""))
    cases = [c for c in (case_order or sorted(set(runs["case"]))) if c in set(runs["case"])]
    figures: dict[str, plt.Figure] = {}
    if not outcomes or runs.empty:
        return figures
    with plt.rc_context(STYLE):
        for factor, levels in grid.items():
            others = [f for f in grid if f != factor]
            figures[f"factor_{_slug(factor)}"] = one_factor_figure(
                runs, factor, levels, outcomes, spec["name"], cases, others
            )
        for f1, f2 in combinations(grid, 2):
            name = f"heatmap_{_slug(f1)}_x_{_slug(f2)}_{chosen}"
            others = [f for f in grid if f not in (f1, f2)]
            figures[name] = heatmap_figure(runs, f1, grid[f1], f2, grid[f2], chosen, spec["name"], others)
        if len(cases) > 1:
            figures["cases"] = cases_figure(runs, outcomes, spec["name"], cases, bool(grid))
    return figures


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "_", text.replace("*", "all")).strip("_")


def is_numeric(levels: list[Any]) -> bool:
    """Numeric levels are drawn on a number line (lines and bands); all others as categories."""
    return all(
        isinstance(v, int | float | np.integer | np.floating) and not isinstance(v, bool | np.bool_) for v in levels
    )


def replication_means(runs: pd.DataFrame, factor: str, levels: list[Any], outcome: str) -> pd.DataFrame:
    """Rows: the factor's levels; columns: replications; cells: the outcome averaged over the
    other factors' cells of that replication (undefined runs left out of the average)."""
    sub = runs[runs[factor].isin(levels)]
    table = sub.groupby([factor, "replication"])[outcome].mean().unstack("replication")
    return table.reindex(levels).astype(float)


def factor_effect(runs: pd.DataFrame, factor: str, levels: list[Any], outcome: str, level: float = 0.95) -> Band:
    """The factor's marginal mean per level with the t interval over replications (see module doc)."""
    return mean_intervals(replication_means(runs, factor, levels, outcome).to_numpy(), level)


def _draw_effect(ax: plt.Axes, x: np.ndarray, band: Band, numeric: bool, color: str, label: str | None) -> Line2D:
    """Numeric levels: a line with a band; categories: points with error bars, never joined."""
    if numeric:
        (line,) = ax.plot(x, band.mean, "o-", color=color, ms=3.5, label=label)
        ax.fill_between(x, band.low, band.high, color=color, alpha=0.22, lw=0)
        return line
    err = np.vstack([band.mean - band.low, band.high - band.mean])
    bars = ax.errorbar(x, band.mean, yerr=err, fmt="o", ls="none", color=color, ms=4.5, capsize=3, label=label)
    return bars.lines[0]


def _replications_text(counts: np.ndarray) -> str:
    counts = counts[counts > 0]
    if not counts.size:
        return "no replications"
    lo, hi = int(counts.min()), int(counts.max())
    return f"{lo} replications" if lo == hi else f"{lo}–{hi} replications"


def one_factor_figure(
    runs: pd.DataFrame,
    factor: str,
    levels: list[Any],
    outcomes: list[str],
    name: str,
    cases: list[str],
    others: list[str] | None = None,
) -> plt.Figure:
    """One panel per outcome: the factor's marginal mean per level (per case) with its t interval."""
    numeric = is_numeric(levels)
    x = np.array(levels, dtype=float) if numeric else np.arange(len(levels), dtype=float)
    ncols = min(3, len(outcomes))
    nrows = int(np.ceil(len(outcomes) / ncols))
    fig, axes = new_figure(nrows, ncols, figsize=(2.45 * ncols + 0.4, 2.25 * nrows + 0.9))
    handles: list[Line2D] = []
    counts: list[np.ndarray] = []
    width = 0.5 if len(cases) > 1 else 0.0
    for ax, outcome in zip(axes.flat, outcomes, strict=False):
        q = quantity(outcome)
        shown = []
        for i, case in enumerate(cases):
            band = factor_effect(runs[runs["case"] == case], factor, levels, outcome)
            counts.append(band.n)
            scaled = Band(q.scale * band.mean, q.scale * band.low, q.scale * band.high, band.n)
            offset = 0.0 if numeric or len(cases) == 1 else width * (i / (len(cases) - 1) - 0.5)
            line = _draw_effect(ax, x + offset, scaled, numeric, PALETTE[i % len(PALETTE)], case)
            if ax is axes.flat[0]:
                handles.append(line)
            shown += [scaled.mean, scaled.low, scaled.high]
        ax.set_title(q.label)
        if not np.isfinite(np.concatenate(shown)).any():
            ax.text(0.5, 0.5, "undefined in every run", transform=ax.transAxes, ha="center", va="center")
        fit_axis(ax, q, np.concatenate(shown))
        if numeric:
            ax.set_xticks(x, [f"{v:g}" for v in levels])
        else:
            ax.set_xticks(x, [str(v) for v in levels], rotation=20 if len(levels) > 2 else 0)
            ax.set_xlim(x[0] - 0.6, x[-1] + 0.6)
            ax.grid(axis="x", visible=False)
    _label_bottom(axes, len(outcomes), factor)
    if len(cases) > 1:
        legend_outside(fig, handles, [c.replace("_", " ") for c in cases])
    n = _replications_text(np.concatenate(counts)) if counts else "no replications"
    averaged = f"mean over the levels of {', '.join(others)} (equal weight)" if others else "mean"
    mark = "band" if numeric else "bars"
    suptitle(
        fig,
        f"{name}: effect of {factor}",
        f"{averaged}; {mark}: 95 % t-interval over {n} (replication noise only, common random numbers)",
    )
    return fig


def _label_bottom(axes: np.ndarray, used: int, xlabel: str) -> None:
    """Label the x axis of the panels with no panel below them; switch off the unused panels."""
    ncols = axes.shape[1]
    for i, ax in enumerate(axes.flat):
        if i >= used:
            ax.set_axis_off()
        elif i + ncols >= used:
            ax.set_xlabel(xlabel)


def heatmap_figure(
    runs: pd.DataFrame,
    f1: str,
    l1: list[Any],
    f2: str,
    l2: list[Any],
    outcome: str,
    name: str,
    others: list[str] | None = None,
) -> plt.Figure:
    """Mean of one outcome per cell of two factors (over replications, cases and other factors)."""
    q = quantity(outcome)
    table = runs.groupby([f1, f2])[outcome].mean().unstack(f2).reindex(index=l1, columns=l2)
    values = q.scale * table.to_numpy(dtype=float)
    limits, zoomed = axis_limits(q, values)
    finite = values[np.isfinite(values)]
    if limits is None:
        limits = (finite.min(), finite.max()) if finite.size else (0.0, 1.0)
    norm = Normalize(*limits)
    fig, axes = new_figure(figsize=(1.0 * len(l2) + 2.8, 0.55 * len(l1) + 1.9))
    ax = axes[0, 0]
    im = ax.imshow(values, cmap="viridis", norm=norm, aspect="auto")
    ax.set_xticks(range(len(l2)), [str(v) for v in l2])
    ax.set_yticks(range(len(l1)), [str(v) for v in l1])
    ax.set_xlabel(f2)
    ax.set_ylabel(f1)
    ax.grid(False)
    size = np.abs(finite).max() if finite.size else 0.0
    decimals = 1 if size >= 10 else 2 if size >= 1 else 3
    for (i, j), v in np.ndenumerate(values):
        if np.isfinite(v):
            dark = norm(v) < 0.55
            ax.text(j, i, f"{v:.{decimals}f}", ha="center", va="center", fontsize=8, color="white" if dark else "black")
    fig.colorbar(im, ax=ax, label=q.axis_label(zoomed, what="colour scale"))
    reps = _replications_text(runs.groupby([f1, f2])["replication"].nunique().to_numpy())
    over = f"{reps} and the levels of {', '.join(others)}" if others else reps
    ax.set_title(f"{name}: mean {q.label}\n(each cell: mean over {over})")
    return fig


def cases_figure(runs: pd.DataFrame, outcomes: list[str], name: str, cases: list[str], grid: bool) -> plt.Figure:
    """Each case's mean (over the grid's cells, if any) with its t interval over replications."""
    ncols = min(3, len(outcomes))
    nrows = int(np.ceil(len(outcomes) / ncols))
    fig, axes = new_figure(nrows, ncols, figsize=(2.3 * ncols + 1.4, (0.28 * len(cases) + 1.0) * nrows + 0.6))
    y = np.arange(len(cases), dtype=float)
    counts = []
    for ax, outcome in zip(axes.flat, outcomes, strict=False):
        q = quantity(outcome)
        band = factor_effect(runs, "case", cases, outcome)
        counts.append(band.n)
        mean, low, high = q.scale * band.mean, q.scale * band.low, q.scale * band.high
        ax.errorbar(
            mean, y, xerr=np.vstack([mean - low, high - mean]), fmt="o", ls="none", color=PALETTE[0], ms=4, capsize=2
        )
        ax.set_yticks(y, [c.replace("_", " ") for c in cases])
        ax.tick_params(axis="y", labelleft=ax.get_subplotspec().is_first_col())
        ax.set_ylim(y[-1] + 0.6, -0.6)
        ax.grid(axis="y", visible=False)
        ax.set_title(q.label)
        fit_axis(ax, q, np.concatenate([mean, low, high]), axis="x")
        ax.xaxis.set_major_locator(MaxNLocator(4))
    for ax in list(axes.flat)[len(outcomes) :]:
        ax.set_axis_off()
    over = " averaged over the grid's cells" if grid else ""
    suptitle(
        fig, f"{name}: cases", f"mean{over}; bars: 95 % t-interval over {_replications_text(np.concatenate(counts))}"
    )
    return fig


# ----------------------------------------------------------------------------- comparisons


def comparison_figures(result: dict[str, Any], ts: pd.DataFrame | None, out: Path) -> list[Path]:
    """Time series with confidence bands per scenario, and a forest plot of the differences."""
    return [save_figure(fig, out / f"{name}.png") for name, fig in comparison_figure_set(result, ts).items()]


def comparison_figure_set(result: dict[str, Any], ts: pd.DataFrame | None) -> dict[str, plt.Figure]:
    """The comparison figures as matplotlib Figures, by file stem (unsaved)."""
    figures: dict[str, plt.Figure] = {}
    with plt.rc_context(STYLE):
        if ts is not None and not ts.empty:
            figures["compare_timeseries"] = timeseries_figure(ts, result)
        figures["compare_forest"] = forest_figure(result)
    return figures


def step_intervals(ts: pd.DataFrame, scenario: str, metric: str) -> tuple[np.ndarray, Band]:
    """Per week, the scenario's mean of ``metric`` over replications with its t interval."""
    wide = ts[ts["scenario"] == scenario].pivot(index="step", columns="run_id", values=metric)
    return wide.index.to_numpy(), mean_intervals(wide.to_numpy(dtype=float))


def timeseries_figure(ts: pd.DataFrame, result: dict[str, Any]) -> plt.Figure:
    """Each scenario's mean path with a t band, one panel per KPI, the legend below the panels."""
    metrics = [c for c in ("satisfaction", "nps", "customers", "engagement", "info_age_weeks") if c in ts.columns]
    ncols = min(3, len(metrics))
    nrows = int(np.ceil(len(metrics) / ncols))
    fig, axes = new_figure(nrows, ncols, figsize=(2.45 * ncols + 0.4, 2.3 * nrows + 0.9))
    handles = []
    for ax, metric in zip(axes.flat, metrics, strict=False):
        q = quantity(metric)
        shown = []
        for i, name in enumerate(result["scenarios"]):
            steps, band = step_intervals(ts, name, metric)
            mean, low, high = q.scale * band.mean, q.scale * band.low, q.scale * band.high
            color = PALETTE[i % len(PALETTE)]
            (line,) = ax.plot(steps, mean, color=color, lw=1.3)
            ax.fill_between(steps, low, high, color=color, alpha=0.2, lw=0)
            if ax is axes.flat[0]:
                handles.append(line)
            shown += [mean, low, high]
        ax.set_title(q.label)
        fit_axis(ax, q, np.concatenate(shown))
    for ax in list(axes.flat)[len(metrics) :]:
        ax.set_axis_off()
    _label_bottom(axes, len(metrics), "week")
    legend_outside(fig, handles, [s.replace("_", " ") for s in result["scenarios"]])
    suptitle(
        fig,
        "Scenarios over time",
        f"mean and 95 % t-interval over {result['replications']} replications (common random numbers)",
    )
    return fig


def forest_values(result: dict[str, Any], metric: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean, low and high of each scenario's difference from the reference, in table units (pp for shares)."""
    q = quantity(metric)
    diffs = [result["differences"][s][metric] for s in result["scenarios"][1:]]
    get = lambda key: q.scale * np.array([np.nan if d[key] is None else d[key] for d in diffs], dtype=float)  # noqa: E731
    return get("mean"), get("low"), get("high")


def forest_figure(result: dict[str, Any]) -> plt.Figure:
    """Each scenario's paired difference from the reference per KPI, in the comparison table's units."""
    metrics = list(result["metrics"])
    others = result["scenarios"][1:]
    ncols = min(3, len(metrics))
    nrows = int(np.ceil(len(metrics) / ncols))
    fig, axes = new_figure(nrows, ncols, figsize=(2.45 * ncols + 1.2, (0.3 * len(others) + 1.15) * nrows + 0.9))
    y = np.arange(len(others), dtype=float)
    for ax, metric in zip(axes.flat, metrics, strict=False):
        q = quantity(metric)
        mean, lo, hi = forest_values(result, metric)
        excludes = (lo > 0) | (hi < 0)
        drawn = np.isfinite(lo) & np.isfinite(hi)
        for k in range(len(others)):
            color = PALETTE[1] if excludes[k] else NEUTRAL
            if drawn[k]:
                ax.hlines(y[k], lo[k], hi[k], colors=color, lw=2)
            ax.plot(mean[k], y[k], "o", ms=5, color=color, mfc=color if excludes[k] else "white", zorder=3)
        ax.axvline(0, color="0.2", lw=0.8)
        ax.set_yticks(y, [s.replace("_", " ") for s in others])
        ax.set_ylim(y[-1] + 0.6, -0.6)
        ax.grid(axis="y", visible=False)
        ax.set_title(q.label)
        ax.set_xlabel(q.diff_label())
        finite = np.concatenate([v[np.isfinite(v)] for v in (mean, lo[drawn], hi[drawn])] + [np.zeros(1)])
        pad = 0.08 * (finite.max() - finite.min()) or 1.0
        ax.set_xlim(finite.min() - pad, finite.max() + pad)
        ax.xaxis.set_major_locator(MaxNLocator(4))
    for ax in list(axes.flat)[len(metrics) :]:
        ax.set_axis_off()
    handles = [
        Line2D([], [], color=PALETTE[1], marker="o", lw=2, ms=5),
        Line2D([], [], color=NEUTRAL, marker="o", mfc="white", lw=2, ms=5),
    ]
    legend_outside(fig, handles, ["interval excludes 0", "interval includes 0"])
    suptitle(
        fig,
        f"Difference from {result['scenarios'][0]}",
        f"mean and 95 % paired-t interval over {result['replications']} replications "
        "(common random numbers; pp = percentage points)",
    )
    return fig


# ----------------------------------------------------------------------------- sensitivity studies

#: outcomes in euros: sensitivity figures show them in EUR million
_MONEY = ("revenue_per_year", "costs_per_year", "running_costs_per_year", "one_off_costs_per_year")
_MONEY += ("profit_per_year", "discounted_profit", "customer_lifetime_value", "recurring_revenue_final")
#: colours of the first-order and total (or μ*) indices, and of the noise level
FIRST, TOTAL, NOISE = PALETTE[0], PALETTE[1], "0.35"


def effect_unit(outcome: str) -> tuple[float, str]:
    """How a Morris effect on ``outcome`` is shown: (factor from stored values, unit of a change)."""
    if outcome in _MONEY:
        return 1e-6, "EUR million"
    q = quantity(outcome)
    return q.scale, q.diff_unit or q.unit or "outcome units"


def sensitivity_figures(indices: pd.DataFrame, result: dict[str, Any], out: Path) -> list[Path]:
    """Write a sensitivity study's figures into ``out`` and return their paths."""
    figures = sensitivity_figure_set(indices, result)
    return [save_figure(fig, Path(out) / f"{name}.png") for name, fig in figures.items()]


def sensitivity_figure_set(indices: pd.DataFrame, result: dict[str, Any]) -> dict[str, plt.Figure]:
    """Per analysed outcome its index bars (and, for Morris, its μ*–σ plot); the ranking across outcomes."""
    method = result["method"]
    outcomes = [o for o in result["outcomes"] if "left_out" not in result["outcomes"][o]]
    figures: dict[str, plt.Figure] = {}
    with plt.rc_context(STYLE):
        for outcome in outcomes:
            figures[f"indices_{outcome}"] = index_bars_figure(indices, outcome, result)
            if method == "morris":
                figures[f"morris_{outcome}"] = morris_figure(indices, outcome, result)
        if len(outcomes) > 1:
            figures["ranking"] = ranking_figure(indices, outcomes, result)
    return figures


def _short(parameter: str) -> str:
    return parameter.removeprefix("parameters.")


def _index_table(indices: pd.DataFrame, outcome: str, index: str) -> pd.DataFrame:
    sub = indices[(indices["outcome"] == outcome) & (indices["index"] == index)]
    return sub.set_index("parameter")


def _study_note(result: dict[str, Any]) -> str:
    rows, reps = result["counts"]["design_rows"], result["replications"]
    return f"{result['method']}: {rows:,} design rows x {reps} replication{'s' * (reps != 1)}"


def index_bars_figure(indices: pd.DataFrame, outcome: str, result: dict[str, Any]) -> plt.Figure:
    """The parameters of one outcome ranked by the main index: bars with their 95 % intervals and the
    noise level (what replication noise alone gives) as a tick on each bar."""
    method = result["method"]
    main = result["main_index"]
    order = (
        _index_table(indices, outcome, main)["value"].abs().sort_values(ascending=True, kind="stable").index.tolist()
    )
    shown = ["mu_star"] if method == "morris" else ["S1", "ST"]
    colors = {"mu_star": TOTAL, "S1": FIRST, "ST": TOTAL}
    labels = {"mu_star": "μ*", "S1": "first order S1", "ST": "total ST"}
    scale, unit = effect_unit(outcome) if method == "morris" else (1.0, "share of the variance")
    fig, axes = new_figure(1, 1, figsize=(6.2, 0.26 * len(order) + 1.5))
    ax = axes[0, 0]
    y = np.arange(len(order), dtype=float)
    height = 0.8 / len(shown)
    handles: list[Any] = []
    for k, index in enumerate(shown):
        table = _index_table(indices, outcome, index).reindex(order)
        pos = y + (k - (len(shown) - 1) / 2) * height
        value, conf, noise = (scale * table[c].to_numpy(dtype=float) for c in ("value", "conf", "noise"))
        bars = ax.barh(pos, value, height=height * 0.92, color=colors[index], alpha=0.85, label=labels[index])
        err = np.where(np.isfinite(conf), conf, 0.0)
        ax.errorbar(value, pos, xerr=err, fmt="none", ecolor="0.15", elinewidth=0.8, capsize=2)
        if np.isfinite(noise).any():
            ax.scatter(noise, pos, marker="|", s=90, color=NOISE, linewidths=1.6, zorder=4)
        handles.append(bars)
    if np.isfinite(_index_table(indices, outcome, shown[-1])["noise"].to_numpy(dtype=float)).any():
        handles.append(Line2D([], [], marker="|", ls="none", color=NOISE, ms=9, mew=1.6))
        names = [labels[i] for i in shown] + ["noise level (replication noise alone)"]
    else:
        names = [labels[i] for i in shown]
    ax.set_yticks(y, [_short(p) for p in order])
    ax.set_ylim(-0.6, len(order) - 0.4)
    ax.axvline(0, color="0.2", lw=0.8)
    ax.grid(axis="y", visible=False)
    ax.set_xlabel(f"μ*: mean absolute elementary effect ({unit})" if method == "morris" else unit)
    legend_outside(fig, handles, names)
    suptitle(
        fig,
        f"{result['name']}: sensitivity of {quantity(outcome).label}",
        f"{_study_note(result)}; bars: {CONF_TEXT} (bootstrap)",
    )
    return fig


#: how the intervals of the index figures are described
CONF_TEXT = "95 % intervals"
#: parameters numbered on a Morris μ*–σ plot (the largest μ*)
LABELLED = 12


def morris_figure(indices: pd.DataFrame, outcome: str, result: dict[str, Any]) -> plt.Figure:
    """μ* against σ (Morris 1991; μ* after Campolongo, Cariboni & Saltelli 2007): far right matters, high up
    acts nonlinearly or through interactions; the shaded band is what replication noise alone reaches."""
    scale, unit = effect_unit(outcome)
    star = _index_table(indices, outcome, "mu_star")
    sigma = _index_table(indices, outcome, "sigma").reindex(star.index)
    x = scale * star["value"].to_numpy(dtype=float)
    xerr = scale * np.nan_to_num(star["conf"].to_numpy(dtype=float))
    s = scale * sigma["value"].to_numpy(dtype=float)
    fig, axes = new_figure(1, 1, figsize=(7.4, 4.4))
    ax = axes[0, 0]
    noise = scale * star["noise"].to_numpy(dtype=float)
    if np.isfinite(noise).any():
        ax.axvspan(0, float(np.nanmax(noise)), color="0.88", lw=0, zorder=0)
    ax.errorbar(x, s, xerr=xerr, fmt="o", ms=4.5, color=TOTAL, ecolor="0.55", elinewidth=0.8, capsize=2, zorder=3)
    right = max(float(np.nanmax(x + xerr)), 1e-12) * 1.08
    up = max(float(np.nanmax(s)), 1e-12) * 1.12
    ax.plot([0, right], [0, right], ls="--", lw=0.9, color="0.35")
    ax.set_xlim(0, right)
    ax.set_ylim(0, up)
    rank = np.argsort(-x, kind="stable")[:LABELLED]
    for n, i in enumerate(rank, start=1):
        ax.annotate(str(n), (x[i], s[i]), xytext=(3, 3), textcoords="offset points", fontsize=7, color="0.15")
    key = "\n".join(f"{n:>2}  {_short(star.index[i])}" for n, i in enumerate(rank, start=1))
    ax.text(1.03, 1.0, key, transform=ax.transAxes, va="top", ha="left", fontsize=6.8, family="monospace")
    ax.set_xlabel(f"μ* ({unit})")
    ax.set_ylabel(f"σ ({unit})")
    handles = [Line2D([], [], ls="--", color="0.35"), Patch(color="0.88")]
    legend_outside(fig, handles, ["σ = μ*: above, nonlinear or interacting", "within replication noise"])
    suptitle(
        fig,
        f"{result['name']}: Morris μ*–σ of {quantity(outcome).label}",
        f"{_study_note(result)}; bars: {CONF_TEXT} of μ* (bootstrap); the {LABELLED} largest numbered by μ*",
    )
    return fig


def _within_noise(flag: Any) -> bool:
    """An index known to lie within replication noise (unknown counts as not)."""
    return flag is not None and not pd.isna(flag) and not bool(flag)


def ranking_figure(indices: pd.DataFrame, outcomes: list[str], result: dict[str, Any]) -> plt.Figure:
    """The main index of every parameter for every outcome: μ* as a share of the outcome's largest μ*
    (Morris), ST as it is (Sobol, FAST); parameters by their mean over the outcomes. A dot marks an index
    within replication noise."""
    main = result["main_index"]
    tables = {o: _index_table(indices, o, main) for o in outcomes}
    params = list(tables[outcomes[0]].index)
    values = np.array([[float(tables[o]["value"].get(p, np.nan)) for o in outcomes] for p in params])
    values = np.abs(values)
    if main == "mu_star":
        values = values / np.nanmax(values, axis=0, keepdims=True)
    order = np.argsort(-np.nanmean(values, axis=1), kind="stable")
    values = values[order]
    within = np.array([[_within_noise(tables[o]["above_noise"].get(params[i])) for o in outcomes] for i in order])
    fig, axes = new_figure(1, 1, figsize=(1.1 * len(outcomes) + 3.4, 0.26 * len(params) + 1.6))
    ax = axes[0, 0]
    image = ax.imshow(values, aspect="auto", cmap="Blues", norm=Normalize(0, max(1e-12, float(np.nanmax(values)))))
    for i in range(values.shape[0]):
        for j in range(values.shape[1]):
            if np.isfinite(values[i, j]):
                color = "white" if values[i, j] > 0.6 * np.nanmax(values) else "0.1"
                ax.text(j, i, f"{values[i, j]:.2f}", ha="center", va="center", fontsize=6.5, color=color)
            if within[i, j]:
                ax.plot(j + 0.36, i - 0.28, marker="o", ms=2.2, color="0.5")
    ax.set_xticks(range(len(outcomes)), [quantity(o).label for o in outcomes], rotation=25, ha="right")
    ax.set_yticks(range(len(params)), [_short(params[i]) for i in order])
    ax.grid(False)
    label = "μ* / largest μ* of the outcome" if main == "mu_star" else "total index ST"
    fig.colorbar(image, ax=ax, shrink=0.6, label=label)
    suptitle(
        fig,
        f"{result['name']}: which parameters drive which outcome",
        f"{_study_note(result)}; a grey dot: within replication noise",
    )
    return fig
