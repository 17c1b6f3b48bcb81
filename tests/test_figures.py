"""Figures say what the tables say: t intervals, effects without pooled noise, table units,
legends off the data, and value axes that state the range they show.

The drawing functions return matplotlib Figures, so these tests read the drawn numbers back
from the artists (band polygons, error bars, points, axis limits and labels).
"""

from __future__ import annotations

import re

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from conftest import small_scenario
from matplotlib.collections import LineCollection, PolyCollection
from matplotlib.container import ErrorbarContainer
from scipy import stats

from sim.experiments.compare import diff_text
from sim.experiments.figures import (
    batch_figure_set,
    comparison_figure_set,
    factor_effect,
    forest_figure,
    one_factor_figure,
    timeseries_figure,
)
from sim.experiments.stats import mean_interval, mean_intervals, paired_difference
from sim.outputs.figures import axis_limits, quantity, run_figure_set
from sim.outputs.run import run_scenario

T975 = {n: stats.t.ppf(0.975, n - 1) for n in range(2, 40)}


# ----------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def small_run():
    """A short run of the small company: flat satisfaction, a census and a surveyed NPS."""
    return run_scenario(small_scenario(steps=40, warmup=8))


def synthetic_runs(reps: int = 6, seed: int = 3, cases: tuple[str, ...] = ("base",)) -> pd.DataFrame:
    """A batch table: numeric factor A, categorical factor B with a large effect (±20 NPS),
    a replication effect shared by every cell (common random numbers, sd 2) and small cell noise."""
    rng = np.random.default_rng(seed)
    shared = rng.normal(0, 2.0, reps)
    rows = []
    for c, case in enumerate(cases):
        for a in (0.0, 0.1, 0.3):
            for b, effect in (("calm", -20.0), ("mixed", 0.0), ("bold", 20.0)):
                for k in range(reps):
                    nps = effect + 30 * a + 5 * c + shared[k] + rng.normal(0, 0.5)
                    rows.append(
                        {
                            "run_id": f"{case}-{a}-{b}-{k}",
                            "case": case,
                            "A": a,
                            "B": b,
                            "replication": k,
                            "seed": 100 + k,
                            "nps": nps,
                            "mean_satisfaction": 0.78 + nps / 2000,
                            "stale_share": 0.1 + nps / 1000,
                            "customer_lifetime_years": np.nan,
                            "error": None,
                        }
                    )
    return pd.DataFrame(rows)


SPEC = {"name": "synthetic", "grid": {"A": [0.0, 0.1, 0.3], "B": ["calm", "mixed", "bold"]}}


def synthetic_timeseries(reps: int = 3) -> tuple[pd.DataFrame, dict]:
    """Two scenarios over 10 weeks, ``reps`` replications each, with known spread."""
    rng = np.random.default_rng(7)
    rows = []
    for s, name in enumerate(("base", "policy")):
        for k in range(reps):
            for step in range(1, 11):
                rows.append(
                    {
                        "run_id": f"{name}-{k}",
                        "scenario": name,
                        "step": step,
                        "satisfaction": 0.78 + 0.01 * s + rng.normal(0, 0.004),
                        "nps": 15 + 5 * s + rng.normal(0, 2),
                    }
                )
    return pd.DataFrame(rows), {"scenarios": ["base", "policy"], "replications": reps}


def comparison_result() -> dict:
    """A comparison result as ``analyse`` builds it: shares stored as fractions."""
    rng = np.random.default_rng(11)
    base = {"stale_share": rng.normal(0.10, 0.004, 8), "nps": rng.normal(15, 3, 8)}
    policy = {"stale_share": base["stale_share"] - 0.004, "nps": base["nps"] + rng.normal(4, 1, 8)}
    return {
        "scenarios": ["base", "policy"],
        "replications": 8,
        "metrics": {m: {} for m in base},
        "differences": {"policy": {m: paired_difference(policy[m], base[m]).as_dict() for m in base}},
    }


def band_extent(ax: plt.Axes) -> dict[float, tuple[float, float]]:
    """Low and high of the first band (fill_between polygon) at each x."""
    poly = next(c for c in ax.collections if isinstance(c, PolyCollection))
    out: dict[float, list[float]] = {}
    for x, y in poly.get_paths()[0].vertices:
        out.setdefault(round(float(x), 9), []).append(float(y))
    return {x: (min(v), max(v)) for x, v in out.items()}


def all_figures(small_run) -> dict[str, plt.Figure]:
    figures = dict(run_figure_set(small_run.timeseries, small_run.summary, small_run.scenario))
    spec = {**SPEC, "outcomes": ["nps", "mean_satisfaction", "stale_share"]}
    figures |= batch_figure_set(synthetic_runs(cases=("base", "alt")), spec)
    ts, result = synthetic_timeseries()
    figures |= comparison_figure_set({**comparison_result(), **result}, ts)
    return figures


# ----------------------------------------------------------------------------- t intervals


def test_mean_intervals_is_the_tables_t_interval_row_by_row():
    rng = np.random.default_rng(0)
    x = rng.normal(0, 1, (6, 5))
    x[2, [0, 3]] = np.nan  # undefined runs are dropped, as in the tables
    band = mean_intervals(x)
    for row, lo, hi, n in zip(x, band.low, band.high, band.n, strict=True):
        ref = mean_interval(row)
        assert n == ref.n
        assert lo == pytest.approx(ref.low, rel=1e-12) and hi == pytest.approx(ref.high, rel=1e-12)
    one = mean_intervals(np.array([[1.0, np.nan, np.nan]]))
    assert one.mean[0] == 1.0 and np.isnan(one.low[0])  # no interval from one replication: nothing drawn


def test_compare_time_series_band_is_t_based_not_1_96():
    ts, result = synthetic_timeseries(reps=3)
    fig = timeseries_figure(ts, result)
    ax = fig.axes[0]  # satisfaction
    extent = band_extent(ax)  # first scenario: base
    wide = ts[ts["scenario"] == "base"].pivot(index="step", columns="run_id", values="satisfaction")
    for step, row in wide.iterrows():
        low, high = extent[float(step)]
        expected = T975[3] * row.std(ddof=1) / np.sqrt(3)
        assert (high - low) / 2 == pytest.approx(expected, rel=1e-9)
        assert (high - low) / 2 > 2 * 1.96 * row.std(ddof=1) / np.sqrt(3)  # t(2) = 4.30, twice 1.96
    plt.close(fig)


# ----------------------------------------------------------------------------- one-factor effects


def test_factor_effect_interval_is_replication_noise_not_the_other_factors():
    runs = synthetic_runs(reps=6)
    band = factor_effect(runs, "A", [0.0, 0.1, 0.3], "nps")
    for i, a in enumerate([0.0, 0.1, 0.3]):
        at = runs[runs["A"] == a]
        per_rep = at.groupby("replication")["nps"].mean()  # mean over B's cells in each replication
        ref = mean_interval(per_rep.to_numpy())
        assert band.mean[i] == pytest.approx(at["nps"].mean())  # balanced: the marginal mean
        assert band.low[i] == pytest.approx(ref.low) and band.high[i] == pytest.approx(ref.high)
        pooled = mean_interval(at["nps"].to_numpy())  # the old band: B's ±20 effect counted as noise
        assert pooled.half_width > 7.0
        assert band.half_width[i] < 3.5 and band.half_width[i] < 0.4 * pooled.half_width


def test_numeric_factor_drawn_as_line_with_the_marginal_band():
    runs = synthetic_runs(reps=6)
    fig = one_factor_figure(runs, "A", [0.0, 0.1, 0.3], ["nps"], "synthetic", ["base"], ["B"])
    ax = fig.axes[0]
    band = factor_effect(runs, "A", [0.0, 0.1, 0.3], "nps")
    extent = band_extent(ax)
    for i, a in enumerate([0.0, 0.1, 0.3]):
        assert extent[a] == pytest.approx((band.low[i], band.high[i]))
        assert extent[a][1] - extent[a][0] < 7.0  # the pooled band was wider than 14
    (line,) = ax.lines
    assert line.get_linestyle() == "-" and list(line.get_xdata()) == [0.0, 0.1, 0.3]
    title = fig.get_suptitle()
    assert "mean over the levels of B" in title and "t-interval over 6 replications" in title
    assert "replication noise" in title
    plt.close(fig)


def test_categorical_factor_drawn_as_points_with_error_bars_not_joined():
    runs = synthetic_runs(reps=5, cases=("base", "alt"))
    levels = ["calm", "mixed", "bold"]
    fig = one_factor_figure(runs, "B", levels, ["nps"], "synthetic", ["base", "alt"], ["A"])
    ax = fig.axes[0]
    containers = [c for c in ax.containers if isinstance(c, ErrorbarContainer)]
    assert len(containers) == 2  # one per case
    for line in ax.lines:
        assert line.get_linestyle() == "None"  # points and caps, no line joining the levels
    band = factor_effect(runs[runs["case"] == "base"], "B", levels, "nps")
    data_line, _, (bars,) = containers[0]
    np.testing.assert_allclose(data_line.get_ydata(), band.mean)
    for seg, lo, hi in zip(bars.get_segments(), band.low, band.high, strict=True):
        assert sorted(seg[:, 1]) == pytest.approx([lo, hi])
    assert "bars: 95 % t-interval" in fig.get_suptitle()
    plt.close(fig)


def test_boolean_levels_are_categories():
    runs = synthetic_runs(reps=3)
    runs["flag"] = runs["B"] == "bold"
    fig = one_factor_figure(runs, "flag", [False, True], ["nps"], "synthetic", ["base"], ["A"])
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["False", "True"]
    assert not any(isinstance(c, PolyCollection) for c in ax.collections)
    assert all(line.get_linestyle() == "None" for line in ax.lines)
    plt.close(fig)


def test_undefined_outcome_is_drawn_as_a_note_not_a_crash():
    runs = synthetic_runs(reps=3)
    fig = one_factor_figure(runs, "A", [0.0, 0.1, 0.3], ["customer_lifetime_years"], "synthetic", ["base"], ["B"])
    assert any("undefined" in t.get_text() for t in fig.axes[0].texts)
    plt.close(fig)


# ----------------------------------------------------------------------------- forest plot


def test_forest_plot_is_in_table_units():
    result = comparison_result()
    fig = forest_figure(result)
    by_title = {ax.get_title(): ax for ax in fig.axes}
    share = by_title[quantity("stale_share").label]
    d = result["differences"]["policy"]["stale_share"]
    (point,) = [ln for ln in share.lines if ln.get_marker() == "o"]
    assert point.get_xdata()[0] == pytest.approx(100 * d["mean"])  # percentage points, not a fraction
    (hline,) = [c for c in share.collections if isinstance(c, LineCollection)]
    assert sorted(hline.get_segments()[0][:, 0]) == pytest.approx([100 * d["low"], 100 * d["high"]])
    assert "pp" in share.get_xlabel()
    table_mean = float(re.match(r"([+-][\d.]+)", diff_text(d, "stale_share")).group(1))
    assert point.get_xdata()[0] == pytest.approx(table_mean, abs=0.06)  # the table's number, same unit
    nps = by_title[quantity("nps").label]
    (point,) = [ln for ln in nps.lines if ln.get_marker() == "o"]
    assert point.get_xdata()[0] == pytest.approx(result["differences"]["policy"]["nps"]["mean"])
    assert "NPS points" in nps.get_xlabel()
    plt.close(fig)


# ----------------------------------------------------------------------------- legends and axes


def test_no_legend_sits_on_any_axes(small_run):
    figures = all_figures(small_run)
    with_legend = 0
    for name, fig in figures.items():
        fig.canvas.draw()
        renderer = fig.canvas.get_renderer()
        legends = list(fig.legends) + [ax.get_legend() for ax in fig.axes if ax.get_legend()]
        with_legend += bool(legends)
        for legend in legends:
            box = legend.get_window_extent(renderer)
            for ax in fig.axes:
                if ax.axison:
                    assert not box.overlaps(ax.bbox), f"{name}: legend on the data of '{ax.get_title()}'"
        plt.close(fig)
    assert with_legend >= 5  # kpis, both group figures, information age, batch factors, comparison


RANGE = re.compile(r"([−-]?\d+(?:\.\d+)?)\s*(?:–|-|\.\.|to)\s*([−-]?\d+(?:\.\d+)?)")


def _stated_range(label: str) -> tuple[float, float] | None:
    m = RANGE.search(label)
    return (float(m.group(1).replace("−", "-")), float(m.group(2).replace("−", "-"))) if m else None


def test_axis_labels_never_claim_a_range_the_axis_hides(small_run):
    figures = all_figures(small_run)
    checked = zoomed = 0
    for name, fig in figures.items():
        for ax in fig.axes:
            for label, (lo, hi) in ((ax.get_ylabel(), ax.get_ylim()), (ax.get_xlabel(), ax.get_xlim())):
                stated = _stated_range(label)
                if stated is None:
                    continue
                lo, hi = min(lo, hi), max(lo, hi)
                checked += 1
                if "zoomed" in label:
                    zoomed += 1
                    assert hi - lo < stated[1] - stated[0], f"{name}: '{label}' is not zoomed"
                else:
                    assert lo <= stated[0] and hi >= stated[1], f"{name}: '{label}' shows only {lo:.3g}..{hi:.3g}"
        plt.close(fig)
    assert checked >= 10 and zoomed >= 3


def test_flat_satisfaction_is_zoomed_and_says_so(small_run):
    figures = run_figure_set(small_run.timeseries, small_run.summary, small_run.scenario)
    kpis = figures["kpis"]
    (ax,) = [a for a in kpis.axes if a.get_title() == "mean satisfaction"]
    values = small_run.timeseries["satisfaction"]
    assert values.max() - values.min() < 0.1
    assert "zoomed" in ax.get_ylabel() and "0–1" in ax.get_ylabel()
    for fig in figures.values():
        plt.close(fig)


def test_axis_limits_show_the_natural_range_when_the_data_fill_it():
    sat = quantity("mean_satisfaction")
    assert axis_limits(sat, [0.2, 0.5, 0.9]) == ((0.0, 1.0), False)
    limits, zoomed = axis_limits(sat, [0.775, 0.788])
    assert zoomed and 0.0 < limits[0] < 0.775 and 0.788 < limits[1] < 1.0
    assert limits[1] - limits[0] >= 0.1  # never zoomed so far that noise looks like an effect
    low, _ = axis_limits(quantity("stale_share"), [1.0, 3.0])  # near a bound: the window stays inside
    assert low[0] == 0.0 and low[1] > 3.0
    assert axis_limits(quantity("nps"), [-60, 40]) == ((-100.0, 100.0), False)
    assert axis_limits(quantity("mean_info_age_weeks"), [2.3, 2.5]) == (None, False)  # unbounded: no claim


def test_surveyed_nps_line_is_blank_without_survey_answers(small_run):
    df = small_run.timeseries.copy()
    df["responses"] = 0.0  # the record then carries the census NPS in the surveyed column
    fig = run_figure_set(df, small_run.summary, small_run.scenario)["kpis"]
    (ax,) = [a for a in fig.axes if a.get_title() == "NPS"]
    census, surveyed = ax.lines
    assert np.isfinite(census.get_ydata()).all() and np.isnan(surveyed.get_ydata()).all()
    assert "no survey answers" in [t.get_text() for t in fig.legends[0].get_texts()][1]
    plt.close("all")


def test_forest_plot_of_undefined_or_single_replication_differences_draws_no_interval():
    result = comparison_result()
    result["differences"]["policy"]["nps"] = {"mean": 3.0, "low": None, "high": None, "half_width": None}  # n = 1
    result["differences"]["policy"]["stale_share"] = dict.fromkeys(("mean", "low", "high", "half_width"))
    fig = forest_figure(result)
    by_title = {ax.get_title(): ax for ax in fig.axes}
    nps = by_title[quantity("nps").label]
    assert not [c for c in nps.collections if isinstance(c, LineCollection)]  # no interval drawn
    (point,) = [ln for ln in nps.lines if ln.get_marker() == "o"]
    assert point.get_xdata()[0] == 3.0 and np.isfinite(nps.get_xlim()).all()
    share = by_title[quantity("stale_share").label]
    assert all(np.isnan(ln.get_xdata()).all() for ln in share.lines if ln.get_marker() == "o")
    plt.close(fig)


def test_every_outcome_is_drawn_in_the_unit_the_tables_print():
    from sim.outputs.summary import OUTCOMES, SHARE_OUTCOMES, display_scale

    for outcome in OUTCOMES:
        q = quantity(outcome)
        assert q.scale == display_scale(outcome)[0] or outcome.startswith("recurring_revenue"), outcome
        assert (q.diff_unit == "pp") == (outcome in SHARE_OUTCOMES), outcome


def test_why_figure_says_when_the_why_was_not_asked(small_run):
    """Without the WHY question the why-table is empty by design, and the figure says so."""
    summary = {**small_run.summary, "detractor_why": []}
    asked = run_figure_set(small_run.timeseries, summary, small_run.scenario)["detractor_causes"]
    not_asked = small_run.scenario.model_copy(
        update={"policies": small_run.scenario.policies.model_copy(update={"ask_why": False})}
    )
    fig = run_figure_set(small_run.timeseries, summary, not_asked)["detractor_causes"]
    assert [t.get_text() for t in asked.axes[0].texts] == ["no surveyed detractors in the measured window"]
    assert [t.get_text() for t in fig.axes[0].texts] == ["detractors were not asked why (policies.ask_why: false)"]
    plt.close("all")
