"""Figures of a single run (PNG, publication style): KPIs, satisfaction by stage, engagement by
unit, information age, and the detractors' why."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pandas as pd

from sim.vocabulary import STAGES, UNITS

if TYPE_CHECKING:
    from sim.scenario.schema import Scenario

STYLE = {
    "figure.dpi": 150,
    "savefig.dpi": 150,
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "legend.frameon": False,
}
PALETTE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9"]  # Okabe-Ito


def run_figures(df: pd.DataFrame, summary: dict[str, Any], scenario: Scenario, out: Path) -> list[Path]:
    """Write the five run figures into ``out`` and return their paths."""
    with plt.rc_context(STYLE):
        return [
            _kpis(df, scenario, out / "kpis.png"),
            _lines(
                df,
                "satisfaction",
                STAGES,
                "Satisfaction by journey stage",
                "satisfaction (0-1)",
                scenario,
                out / "satisfaction_by_stage.png",
            ),
            _lines(
                df,
                "engagement",
                UNITS,
                "Engagement by unit",
                "engagement (0-1)",
                scenario,
                out / "engagement_by_unit.png",
            ),
            _info_age(df, scenario, out / "information_age.png"),
            _why(summary, scenario, out / "detractor_causes.png"),
        ]


def _warmup(ax: plt.Axes, scenario: Scenario) -> None:
    if scenario.warmup:
        ax.axvspan(0, scenario.warmup, color="0.9", zorder=0, lw=0)


def _kpis(df: pd.DataFrame, scenario: Scenario, path: Path) -> Path:
    panels = [
        ("satisfaction", "Mean satisfaction", "0-1"),
        ("nps", "NPS (census)", "-100..100"),
        ("customers", "Customer accounts", "accounts"),
        ("churned_total", "Churned accounts (cumulative)", "accounts"),
        ("engagement", "Mean engagement", "0-1"),
        ("recurring_revenue", "Recurring revenue", "EUR million / year"),
    ]
    fig, axes = plt.subplots(2, 3, figsize=(10, 5.5), sharex=True)
    for ax, (col, title, unit) in zip(axes.flat, panels, strict=True):
        y = df[col] / 1e6 if col == "recurring_revenue" else df[col]
        ax.plot(df["step"], y, color=PALETTE[0], lw=1.4)
        if col == "nps":
            ax.plot(df["step"], df["nps_surveyed"], color=PALETTE[1], lw=1, alpha=0.8, label="surveyed (13-week)")
            ax.legend(loc="lower right")
        _warmup(ax, scenario)
        ax.set_title(title)
        ax.set_ylabel(unit)
    for ax in axes[-1]:
        ax.set_xlabel("week")
    fig.suptitle(f"{scenario.name}: key indicators (grey: warm-up, left out of the KPIs)", fontsize=11)
    return save_figure(fig, path)


def _lines(df: pd.DataFrame, prefix: str, groups, title: str, ylabel: str, scenario: Scenario, path: Path) -> Path:
    fig, ax = plt.subplots(figsize=(7, 4))
    for i, g in enumerate(groups):
        ax.plot(df["step"], df[f"{prefix}.{g}"], color=PALETTE[i], lw=1.4, label=g.replace("_", " "))
    _warmup(ax, scenario)
    ax.set_xlabel("week")
    ax.set_ylabel(ylabel)
    ax.set_title(f"{scenario.name}: {title.lower()}")
    ax.legend(ncols=len(groups), loc="lower center")
    return save_figure(fig, path)


def _info_age(df: pd.DataFrame, scenario: Scenario, path: Path) -> Path:
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(10, 4))
    roll = 4
    for i, u in enumerate(UNITS):
        a1.plot(
            df["step"], df[f"info_age_weeks.{u}"].rolling(roll, min_periods=1).mean(), color=PALETTE[i], lw=1.4, label=u
        )
    a1.set_title("Age of the server's picture of the customer")
    a1.set_ylabel("weeks (4-week mean)")
    a1.legend()
    a2.plot(df["step"], 100 * df["stale_share"].rolling(roll, min_periods=1).mean(), color=PALETTE[1], lw=1.4)
    a2.set_title("Touchpoints where the server lacked the latest news")
    a2.set_ylabel("% of touchpoints (4-week mean)")
    for ax in (a1, a2):
        _warmup(ax, scenario)
        ax.set_xlabel("week")
    fig.suptitle(f"{scenario.name}: speed of customer information inside the company", fontsize=11)
    return save_figure(fig, path)


def _why(summary: dict[str, Any], scenario: Scenario, path: Path) -> Path:
    rows = pd.DataFrame(summary.get("detractor_why", []))
    fig, ax = plt.subplots(figsize=(8, 4.5))
    if rows.empty:
        ax.text(0.5, 0.5, "no surveyed detractors in the measured window", ha="center", va="center")
        ax.set_axis_off()
    else:
        top = rows.head(12).iloc[::-1]
        labels = [f"{r.stage} · {r.channel} · {r.cause.replace('_', ' ')}" for r in top.itertuples()]
        ax.barh(labels, 100 * top["share"], color=PALETTE[0])
        ax.set_xlabel("% of detractors' worst recent touchpoints")
        ax.grid(axis="y", visible=False)
    ax.set_title(f"{scenario.name}: why detractors are detractors (stage · channel · cause)")
    return save_figure(fig, path)


def save_figure(fig: plt.Figure, path: Path) -> Path:
    """Lay out, write and close a figure."""
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path
