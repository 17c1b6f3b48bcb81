"""Figures of batches and comparisons: one-factor effects with confidence bands, two-factor
heatmaps, case comparisons, comparison time series and forest plots."""

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
from matplotlib.ticker import MaxNLocator

from sim.experiments.batch import factor_label
from sim.experiments.stats import mean_interval
from sim.outputs.figures import PALETTE, STYLE, save_figure

KEY_OUTCOMES = (
    "annual_churn_rate",
    "nps",
    "mean_satisfaction",
    "mean_engagement",
    "mean_info_age_weeks",
    "net_revenue_retention",
)


def batch_figures(out_dir: Path, outcome: str | None = None) -> list[Path]:
    """Write the figures of a finished batch folder (``runs.parquet`` + ``manifest.json``)."""
    out_dir = Path(out_dir)
    runs = pd.read_parquet(out_dir / "runs.parquet")
    runs = runs[runs["error"].isna()]
    manifest = json.loads((out_dir / "manifest.json").read_text())
    spec = manifest["experiment"]
    grid = {k: [factor_label(v) for v in levels] for k, levels in spec.get("grid", {}).items()}
    outcomes = [o for o in KEY_OUTCOMES if o in spec["outcomes"]] or spec["outcomes"][:6]
    chosen = outcome or ("nps" if "nps" in spec["outcomes"] else spec["outcomes"][0])
    written = []
    with plt.rc_context(STYLE):
        for factor, levels in grid.items():
            written.append(_one_factor(runs, factor, levels, outcomes, spec["name"], out_dir))
        for f1, f2 in combinations(grid, 2):
            written.append(_heatmap(runs, f1, grid[f1], f2, grid[f2], chosen, spec["name"], out_dir))
        if runs["case"].nunique() > 1:
            order = manifest.get("case_order") or sorted(set(runs["case"]))
            written.append(_cases(runs, outcomes, spec["name"], out_dir, order))
    return written


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "_", text.replace("*", "all")).strip("_")


def _label(name: str) -> str:
    return name.replace("_", " ")


def _positions(levels: list[Any]) -> tuple[np.ndarray, bool]:
    numeric = all(isinstance(v, int | float) and not isinstance(v, bool) for v in levels)
    return (np.array(levels, dtype=float) if numeric else np.arange(len(levels), dtype=float)), numeric


def _one_factor(runs: pd.DataFrame, factor: str, levels: list[Any], outcomes: list[str], name: str, out: Path) -> Path:
    x, numeric = _positions(levels)
    cases = sorted(set(runs["case"]))
    ncols = min(3, len(outcomes))
    nrows = int(np.ceil(len(outcomes) / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(3.6 * ncols, 2.9 * nrows), squeeze=False)
    for ax, outcome in zip(axes.flat, outcomes, strict=False):
        for i, case in enumerate(cases):
            sub = runs[runs["case"] == case]
            stats = [mean_interval(sub.loc[sub[factor] == lv, outcome].to_numpy()) for lv in levels]
            mean = np.array([s.mean for s in stats])
            lo = np.array([s.low for s in stats])
            hi = np.array([s.high for s in stats])
            color = PALETTE[i % len(PALETTE)]
            ax.plot(x, mean, "o-", color=color, lw=1.4, ms=3.5, label=case if len(cases) > 1 else None)
            ax.fill_between(x, lo, hi, color=color, alpha=0.2, lw=0)
        ax.set_title(_label(outcome))
        ax.set_xlabel(factor)
        if not numeric:
            ax.set_xticks(x, [str(v) for v in levels], rotation=20)
    for ax in list(axes.flat)[len(outcomes) :]:
        ax.set_axis_off()
    if len(cases) > 1:
        axes.flat[0].legend()
    fig.suptitle(f"{name}: effect of {factor} (mean and 95 % CI over replications and other factors)", fontsize=10)
    return save_figure(fig, out / f"factor_{_slug(factor)}.png")


def _heatmap(
    runs: pd.DataFrame, f1: str, l1: list[Any], f2: str, l2: list[Any], outcome: str, name: str, out: Path
) -> Path:
    table = runs.groupby([f1, f2])[outcome].mean().unstack(f2)
    table = table.reindex(index=l1, columns=l2)
    fig, ax = plt.subplots(figsize=(1.2 * len(l2) + 2.5, 0.7 * len(l1) + 1.8))
    im = ax.imshow(table.to_numpy(dtype=float), cmap="viridis", aspect="auto")
    ax.set_xticks(range(len(l2)), [str(v) for v in l2])
    ax.set_yticks(range(len(l1)), [str(v) for v in l1])
    ax.set_xlabel(f2)
    ax.set_ylabel(f1)
    ax.grid(False)
    values = table.to_numpy(dtype=float)
    finite = values[np.isfinite(values)]
    mid = (finite.min() + finite.max()) / 2 if finite.size else 0.0
    for (i, j), v in np.ndenumerate(values):
        if np.isfinite(v):
            ax.text(j, i, f"{v:.3g}", ha="center", va="center", fontsize=8, color="white" if v < mid else "black")
    fig.colorbar(im, ax=ax, label=_label(outcome))
    ax.set_title(f"{name}: mean {_label(outcome)}")
    return save_figure(fig, out / f"heatmap_{_slug(f1)}_x_{_slug(f2)}_{outcome}.png")


def _cases(runs: pd.DataFrame, outcomes: list[str], name: str, out: Path, order: list[str]) -> Path:
    cases = [c for c in order if c in set(runs["case"])]
    ncols = min(3, len(outcomes))
    nrows = int(np.ceil(len(outcomes) / ncols))
    fig, axes = plt.subplots(
        nrows, ncols, figsize=(3.8 * ncols, 0.32 * len(cases) * nrows + 1.5 * nrows), squeeze=False
    )
    y = np.arange(len(cases))
    for ax, outcome in zip(axes.flat, outcomes, strict=False):
        stats = [mean_interval(runs.loc[runs["case"] == c, outcome].to_numpy()) for c in cases]
        mean = np.array([s.mean for s in stats])
        err = np.array([s.half_width for s in stats])
        ax.errorbar(mean, y, xerr=err, fmt="o", color=PALETTE[0], ms=4, capsize=2)
        ax.set_yticks(y, cases)
        ax.invert_yaxis()
        ax.set_title(_label(outcome))
    for ax in list(axes.flat)[len(outcomes) :]:
        ax.set_axis_off()
    fig.suptitle(f"{name}: cases (mean and 95 % CI over replications)", fontsize=10)
    return save_figure(fig, out / "cases.png")


def comparison_figures(result: dict[str, Any], ts: pd.DataFrame | None, out: Path) -> list[Path]:
    """Time series with confidence bands per scenario, and a forest plot of the differences."""
    written = []
    with plt.rc_context(STYLE):
        if ts is not None and not ts.empty:
            written.append(_compare_timeseries(ts, result, out / "compare_timeseries.png"))
        written.append(_forest(result, out / "compare_forest.png"))
    return written


def _compare_timeseries(ts: pd.DataFrame, result: dict[str, Any], path: Path) -> Path:
    metrics = [c for c in ("satisfaction", "nps", "customers", "engagement", "info_age_weeks") if c in ts.columns]
    fig, axes = plt.subplots(1, len(metrics), figsize=(3.4 * len(metrics), 3.2), squeeze=False)
    for ax, metric in zip(axes.flat, metrics, strict=True):
        for i, name in enumerate(result["scenarios"]):
            sub = ts[ts["scenario"] == name].pivot(index="step", columns="run_id", values=metric)
            n = sub.shape[1]
            mean = sub.mean(axis=1)
            half = 1.96 * sub.std(axis=1, ddof=1) / np.sqrt(n) if n > 1 else mean * 0
            color = PALETTE[i % len(PALETTE)]
            ax.plot(mean.index, mean, color=color, lw=1.3, label=name)
            ax.fill_between(mean.index, mean - half, mean + half, color=color, alpha=0.2, lw=0)
        ax.set_title(_label(metric))
        ax.set_xlabel("week")
    axes.flat[0].legend(fontsize=7)
    fig.suptitle(
        f"Scenarios over time (mean and 95 % CI over {result['replications']} paired replications)", fontsize=10
    )
    return save_figure(fig, path)


def _forest(result: dict[str, Any], path: Path) -> Path:
    metrics = list(result["metrics"])
    others = [s for s in result["scenarios"][1:]]
    ncols = min(3, len(metrics))
    nrows = int(np.ceil(len(metrics) / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(3.8 * ncols, (0.35 * len(others) + 1.3) * nrows), squeeze=False)
    y = np.arange(len(others))
    for ax, metric in zip(axes.flat, metrics, strict=False):
        diffs = [result["differences"][s][metric] for s in others]
        mean = np.array([d["mean"] for d in diffs], dtype=float)
        lo = np.array([d["low"] for d in diffs], dtype=float)
        hi = np.array([d["high"] for d in diffs], dtype=float)
        colors = [PALETTE[1] if (a > 0 or b < 0) else "0.5" for a, b in zip(lo, hi, strict=True)]
        ax.hlines(y, lo, hi, colors=colors, lw=2)
        ax.scatter(mean, y, color=colors, zorder=3, s=16)
        ax.axvline(0, color="0.3", lw=0.8)
        ax.set_yticks(y, others)
        ax.invert_yaxis()
        ax.set_title(f"Δ {_label(metric)}")
        ax.xaxis.set_major_locator(MaxNLocator(4))
    for ax in list(axes.flat)[len(metrics) :]:
        ax.set_axis_off()
    fig.suptitle(f"Difference from {result['scenarios'][0]} (mean, 95 % CI; coloured: excludes 0)", fontsize=10)
    return save_figure(fig, path)
