"""Two policies on the same seeds: the numbers behind the page's side-by-side view.

Replication ``k`` of both policies runs with the seed ``cxsim compare`` gives replication ``k``
(:func:`sim.experiments.spec.replication_seeds`), so the noise they share cancels in the
difference; the means, the paired differences with their 95 % intervals and the return on the
extra cost come from :func:`sim.experiments.compare.analyse`, the week-by-week difference bands
from :func:`sim.experiments.stats.mean_intervals` — the statistics of the command line, not a
second copy of them.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.dashboard.controls import SWITCHES, with_leaders
from sim.experiments.compare import DEFAULT_METRICS, analyse, payback_weeks
from sim.experiments.headline import HEADLINE_METRICS, headline
from sim.experiments.spec import replication_seeds
from sim.experiments.stats import Band, mean_intervals
from sim.model.cxmodel import LEVERS, CXModel, with_levers
from sim.outputs.summary import summarise
from sim.scenario.loading import load_scenario
from sim.scenario.schema import Scenario
from sim.vocabulary import UNITS

#: the weekly KPIs the view draws for both policies, with how each is named
WEEKLY: dict[str, str] = {
    "churn_rate": "annual churn (%, rolling quarter)",
    "nps": "NPS",
    "satisfaction": "satisfaction (0-1)",
    "profit": "profit (€ k a week)",
}
#: the compared outcomes: the headline's, then the rest of the command line's
METRICS = list(dict.fromkeys([*HEADLINE_METRICS, *DEFAULT_METRICS]))
#: bounds of the view's settings (a page is for a quick look; ``cxsim compare`` for the full study)
MAX_REPS = 30
MAX_STEPS = 520


@dataclass(frozen=True)
class Policy:
    """A policy setting: a scenario (file or shipped name) and the levers changed on top of it."""

    scenario: str
    levers: dict[str, Any] = field(default_factory=dict)
    leaders: dict[str, str] = field(default_factory=dict)

    def config(self, steps: int | None = None) -> Scenario:
        """The validated scenario this policy runs (InputError if the file or a lever is refused)."""
        base = load_scenario(self.scenario, options={} if steps is None else {"steps": steps})
        return with_levers(with_leaders(base, self.leaders), self.levers)

    def label(self) -> str:
        """How the page names the policy: its scenario, then each lever it sets differently."""
        base = load_scenario(self.scenario)
        changes = describe_changes(base, self.config())
        return " + ".join([Path(self.scenario).stem, *changes])


def describe_changes(before: Scenario, after: Scenario) -> list[str]:
    """The levers ``after`` sets differently from ``before``, in words (``transfer meeting at handoff``)."""
    a, b = before.model_dump(), after.model_dump()
    words = []
    for key, path in LEVERS.items():
        if "*" in path or key in ("steps", "accounts"):
            continue
        old, new = _at(a, path), _at(b, path)
        if old == new:
            continue
        if key in SWITCHES:
            words.append(SWITCHES[key].lower() if new else f"no {SWITCHES[key].lower()}")
        else:
            words.append(f"{key.replace('_', ' ')} {new:g} (not {old:g})")
    for unit in UNITS:
        old, new = _at(a, f"organization.units.{unit}.leader.style"), _at(b, f"organization.units.{unit}.leader.style")
        mixed = _at(a, f"organization.units.{unit}.leader_mix") != _at(b, f"organization.units.{unit}.leader_mix")
        if old != new or mixed:
            words.append(f"{new.replace('_', '-')} {unit} leadership")
    return words


def _at(raw: dict[str, Any], path: str) -> Any:
    node: Any = raw
    for part in path.split("."):
        node = node[part]
    return node


def change_phrase(first: Policy, second: Policy) -> str:
    """What the second policy does differently, as the headline names it (``the transfer meeting …``)."""
    a, b = first.config(), second.config()
    words = describe_changes(a, b)
    if a.name != b.name:
        words.insert(0, f"scenario {b.name} instead of {a.name}")
    if not words:
        return "the same settings"
    return "the " + " and ".join(words) if len(words) <= 2 else "the " + ", ".join(words[:-1]) + " and " + words[-1]


@dataclass
class PairResult:
    """What the view shows: the comparison (as ``cxsim compare`` reports it), weekly means and bands."""

    labels: tuple[str, str]
    comparison: dict[str, Any]
    weekly: pd.DataFrame  # step, policy, kpi, mean, low, high (each policy over its replications)
    difference: pd.DataFrame  # step, kpi, mean, low, high (second minus first, paired by seed)
    warmup: int
    seeds: list[int]
    change: str = "the second policy"

    def headline(self) -> str:
        """The answer in one sentence, e.g. ``With …, annual churn is 1.8 points lower, 95 % CI …``."""
        return headline(self.comparison, self.labels[1], self.change)


def weekly_kpis(model: CXModel) -> pd.DataFrame:
    """The KPIs of :data:`WEEKLY` per week of a finished run."""
    from sim.dashboard.charts import annualised_churn

    ts = model.timeseries()
    return pd.DataFrame(
        {
            "step": ts["step"],
            "churn_rate": annualised_churn(ts),
            "nps": ts["nps"],
            "satisfaction": ts["satisfaction"],
            "profit": ts["profit"] / 1e3,
        }
    )


def distinct_labels(first: str, second: str) -> tuple[str, str]:
    """The two policies' names, told apart when their settings read alike."""
    return (first, second) if first != second else (f"{first} (A)", f"{second} (B)")


def run_pair(
    first: Policy,
    second: Policy,
    reps: int,
    seed: int,
    steps: int | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> PairResult:
    """Run both policies ``reps`` times on common seeds and compare the second with the first."""
    if not 2 <= reps <= MAX_REPS:
        raise ValueError(f"replications must be from 2 to {MAX_REPS} (a confidence interval needs two)")
    configs = (first.config(steps), second.config(steps))
    labels = distinct_labels(first.label(), second.label())
    seeds = replication_seeds(seed, reps)
    rows: list[dict[str, Any]] = []
    weeks: dict[str, list[pd.DataFrame]] = {labels[0]: [], labels[1]: []}
    done, total = 0, 2 * reps
    for k, s in enumerate(seeds):
        for label, config in zip(labels, configs, strict=True):
            model = CXModel(config, rng=s, collect=False).run()
            summary = summarise(model)
            rows.append(
                {"case": label, "replication": k, "error": None, **{m: _number(summary.get(m)) for m in METRICS}}
            )
            weeks[label].append(weekly_kpis(model))
            done += 1
            if on_progress is not None:
                on_progress(done, total)
    runs = pd.DataFrame(rows)
    comparison = analyse(runs, list(labels), METRICS)
    comparison["seed"] = seed
    comparison["seeds"] = seeds
    profit_ts = pd.concat(
        [w.assign(scenario=label, profit=w["profit"] * 1e3) for label in labels for w in weeks[label]]
    )
    comparison["payback_week"] = payback_weeks(profit_ts, list(labels))
    comparison["stopped_by"] = f"fixed number of replications ({reps})"
    return PairResult(
        labels=labels,
        comparison=comparison,
        weekly=_weekly_bands(weeks, labels),
        difference=_difference_bands(weeks, labels),
        warmup=configs[0].warmup,
        seeds=seeds,
        change=change_phrase(first, second),
    )


def _number(x: Any) -> float:
    """An outcome as a float: undefined (None) becomes NaN, which the statistics leave out."""
    try:
        value = float(x)
    except (TypeError, ValueError):
        return math.nan
    return value


def _matrix(frames: list[pd.DataFrame], kpi: str) -> tuple[np.ndarray, np.ndarray]:
    """(weeks, weeks x replications) of one KPI."""
    steps = frames[0]["step"].to_numpy()
    return steps, np.column_stack([f[kpi].to_numpy(dtype=float) for f in frames])


def _band_rows(steps: np.ndarray, band: Band, **labels: str) -> pd.DataFrame:
    return pd.DataFrame({"step": steps, **labels, "mean": band.mean, "low": band.low, "high": band.high})


def _weekly_bands(weeks: dict[str, list[pd.DataFrame]], labels: tuple[str, str]) -> pd.DataFrame:
    parts = []
    for label in labels:
        for kpi in WEEKLY:
            steps, values = _matrix(weeks[label], kpi)
            parts.append(_band_rows(steps, mean_intervals(values), policy=label, kpi=kpi))
    return pd.concat(parts, ignore_index=True)


def _difference_bands(weeks: dict[str, list[pd.DataFrame]], labels: tuple[str, str]) -> pd.DataFrame:
    """Week by week, the mean of the paired differences (second − first) with its 95 % t interval."""
    parts = []
    for kpi in WEEKLY:
        steps, a = _matrix(weeks[labels[0]], kpi)
        _, b = _matrix(weeks[labels[1]], kpi)
        parts.append(_band_rows(steps, mean_intervals(b - a), kpi=kpi))
    return pd.concat(parts, ignore_index=True)
