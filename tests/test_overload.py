"""Overload and service standards (Oliva & Sterman 2001), and overload's path to quits (JD-R).

The mechanism, piece by piece with constructed numbers: the time a seat gives per touchpoint under
pressure, the asymmetric drift of a unit's service standard, and the quit hazard's overload term.
Then the two patterns in the baseline company (600 accounts, 120 employees), each over 20 paired
replications (the same seeds in both arms, common random numbers) with the 95 % confidence
interval of the mean paired difference:

* halving the delivery and support staff raises employee turnover (and churn, and lowers NPS);
* a 12-week cut of delivery capacity by 40 % leaves delivery touchpoints worse than in the
  control for at least 12 weeks after capacity returns (pattern 8: a temporary capacity gap
  lowers service standards for longer than the gap lasts); with corner cutting switched off,
  quality snaps back the week the gap ends.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pytest
from conftest import run_model, scenario, small_scenario
from scipy import stats

from sim.model import CXModel
from sim.model.phases.staffing import staffing_phase
from sim.model.phases.touchpoints import adapt_standards, time_given
from sim.outputs.summary import summarise
from sim.vocabulary import CHANNEL_KEYS, DELIVERY, SUPPORT

SEEDS = range(1, 21)
HALF_STAFF = {"organization": {"units": {"delivery": {"employees": 25}, "support": {"employees": 15}}}}
#: the capacity gap: delivery seats lose 40 % of their capacity in weeks 41-52 of a 2-year run
GAP_START, GAP_WEEKS, GAP_CUT, GAP_HORIZON = 40, 12, 0.4, 76
NO_CORNER_CUTTING = {"parameters": {"service": {"corner_cutting": 0.0}}}


def paired_ci(d: np.ndarray) -> tuple[float, float, float]:
    """Mean of the paired differences and its 95 % confidence interval (t distribution)."""
    half = stats.t.ppf(0.975, d.size - 1) * d.std(ddof=1) / np.sqrt(d.size)
    return float(d.mean()), float(d.mean() - half), float(d.mean() + half)


# ---------------------------------------------------------------------------------------------
# the mechanism with constructed numbers


def test_time_given_falls_with_pressure_at_the_standard():
    """Below capacity at the standard, a seat gives the standard; above, S * (S * U)^(-c)."""
    model = CXModel(small_scenario(), rng=1, collect=False)
    world, w = model.world, model.workforce
    c = world.params.service.corner_cutting
    world.service_standard[:] = [1.0, 0.9, 0.8]
    w.utilisation[:] = 1.5
    w.utilisation[w.unit == DELIVERY] = 1.0  # pressure 0.9: no corner cut
    given, pressure = time_given(world)
    np.testing.assert_allclose(given[w.unit == DELIVERY], 0.9)
    np.testing.assert_allclose(pressure[w.unit == SUPPORT], 0.8 * 1.5)
    np.testing.assert_allclose(given[w.unit == SUPPORT], 0.8 * (0.8 * 1.5) ** -c)
    assert given[w.unit == SUPPORT][0] < 0.8


def test_standards_erode_fast_and_recover_slowly():
    """Pulled down, the standard closes 1/standard_erosion_weeks of the gap a week; pulled up,
    1/standard_recovery_weeks; a unit with no work is pulled toward the full time required."""
    model = CXModel(small_scenario(), rng=1, collect=False)
    world, w = model.world, model.workforce
    sv = world.params.service
    world.service_standard[:] = [0.8, 0.8, 0.8]
    w.utilisation[:] = 0.5  # slack everywhere: each seat could give the full time
    w.utilisation[w.unit == DELIVERY] = 2.0  # pressure 1.6: delivery gives less than its standard
    given, pressure = time_given(world)
    demand = np.where(w.unit == 0, 0.0, 1.0)  # sales had no work this week
    adapt_standards(world, given, pressure, demand)
    g = float(given[w.unit == DELIVERY][0])
    assert world.service_standard[DELIVERY] == pytest.approx(0.8 + (g - 0.8) / sv.standard_erosion_weeks)
    assert world.service_standard[SUPPORT] == pytest.approx(0.8 + 0.2 / sv.standard_recovery_weeks)
    assert world.service_standard[0] == pytest.approx(0.8 + 0.2 / sv.standard_recovery_weeks)
    assert sv.standard_recovery_weeks > 10 * sv.standard_erosion_weeks


def test_overload_raises_the_quit_hazard():
    """At the reference engagement, the weekly quit hazard is base * exp(s * max(0, U - 1))."""
    model = CXModel(small_scenario(), rng=7, collect=False)
    world, w = model.world, model.workforce
    st = world.params.staffing
    quits = {1.0: 0, 1.5: 0}
    reps = 1500
    for u in quits:
        for _ in range(reps):
            w.filled[:] = True
            w.engagement[:] = st.quit_reference_engagement
            w.utilisation[:] = u
            before = world.counters["quits"]
            staffing_phase(world)
            quits[u] += world.counters["quits"] - before
    n = reps * w.size
    for u, k in quits.items():
        p = st.base_quit_rate * np.exp(st.quit_overload_sensitivity * max(0.0, u - 1.0))
        assert k == pytest.approx(n * p, abs=4 * np.sqrt(n * p)), (u, k, n * p)


# ---------------------------------------------------------------------------------------------
# halving the service staff


@cache
def halving() -> dict[str, np.ndarray]:
    """Paired differences (half the delivery and support staff minus baseline) over the seeds."""
    keys = ("employee_turnover_rate", "annual_churn_rate", "nps")
    cols = ("utilisation.support", "service_standard.support", "engagement.support")
    out: dict[str, list[float]] = {k: [] for k in keys + cols}
    for seed in SEEDS:
        base, half = run_model(scenario(), seed), run_model(scenario(**HALF_STAFF), seed)
        sb, sh = summarise(base), summarise(half)
        tb, th = base.timeseries(), half.timeseries()
        warmup = base.config.warmup
        for k in keys:
            out[k].append(sh[k] - sb[k])
        for c in cols:
            out[c].append(th[c][warmup:].mean() - tb[c][warmup:].mean())
    return {k: np.array(v) for k, v in out.items()}


def test_halving_the_service_staff_raises_employee_turnover():
    """Half the delivery and support people for the same customers: support works above capacity,
    its service standard erodes and its engagement falls; overload exhausts people and
    disengagement drives them away, so employee turnover rises (95 % CI above 0), besides churn
    rising and NPS falling."""
    d = halving()
    mean, low, _ = paired_ci(d["employee_turnover_rate"])
    assert low > 0, f"turnover +{100 * mean:.1f} pp, CI low {100 * low:+.1f} pp"
    assert paired_ci(d["annual_churn_rate"])[1] > 0
    assert paired_ci(d["nps"])[2] < 0
    assert paired_ci(d["utilisation.support"])[1] > 0
    assert paired_ci(d["service_standard.support"])[2] < 0
    assert paired_ci(d["engagement.support"])[2] < 0


# ---------------------------------------------------------------------------------------------
# a temporary capacity gap in delivery


def delivery_quality(model: CXModel) -> np.ndarray:
    """Per week, the touchpoint-weighted mean quality of the delivery stage."""
    ts = model.timeseries(fill=False)
    chs = [c for c in CHANNEL_KEYS if c.startswith("delivery.")]
    n = ts[[f"touchpoints.{c}" for c in chs]].to_numpy()
    q = np.nan_to_num(ts[[f"quality.{c}" for c in chs]].to_numpy())
    return (n * q).sum(axis=1) / n.sum(axis=1)


def run_with_gap(seed: int, cut: bool, **overrides) -> CXModel:
    """The baseline company; with ``cut``, delivery seats lose ``GAP_CUT`` of their capacity for
    ``GAP_WEEKS`` weeks from week ``GAP_START`` + 1 (the world is changed between steps)."""
    model = CXModel(scenario(steps=GAP_HORIZON, **overrides), rng=seed, collect=False)
    seats = model.workforce.unit == DELIVERY
    full = model.workforce.capacity.copy()
    while model.steps < GAP_HORIZON:
        if cut and model.steps == GAP_START:
            model.workforce.capacity[seats] = full[seats] * (1.0 - GAP_CUT)
        if cut and model.steps == GAP_START + GAP_WEEKS:
            model.workforce.capacity[seats] = full[seats]
        model.step()
    return model


@cache
def gap(corner_cutting: bool) -> tuple[np.ndarray, np.ndarray]:
    """Per seed and week, the paired differences (gap minus control) of delivery touchpoint quality
    and of the delivery service standard."""
    overrides = {} if corner_cutting else NO_CORNER_CUTTING
    quality, standard = [], []
    for seed in SEEDS:
        control, cut = run_with_gap(seed, False, **overrides), run_with_gap(seed, True, **overrides)
        quality.append(delivery_quality(cut) - delivery_quality(control))
        standard.append(
            cut.timeseries()["service_standard.delivery"].to_numpy()
            - control.timeseries()["service_standard.delivery"].to_numpy()
        )
    return np.array(quality), np.array(standard)


def test_a_capacity_gap_lowers_quality_for_longer_than_it_lasts():
    """During the gap delivery staff are overloaded: they cut corners and work overtime, and the
    delivery standard erodes toward the time they give. When capacity returns the overtime ends
    at once, but the standard recovers only slowly: delivery touchpoints stay worse than in the
    control, with a 95 % CI below 0, in every one of the 12 weeks after the gap."""
    quality, standard = gap(True)
    end = GAP_START + GAP_WEEKS  # the last week of the gap
    assert paired_ci(quality[:, end - 1])[2] < 0
    for week in range(end + 1, end + 13):
        mean, _, high = paired_ci(quality[:, week - 1])
        assert high < 0, f"week {week}: quality {mean:+.4f}, CI high {high:+.4f}"
    eroded = standard[:, end - 1].mean()
    assert eroded < -0.05
    # still more than half eroded 12 weeks later: recovery is slow
    assert standard[:, end + 11].mean() < eroded / 2


def test_without_corner_cutting_quality_snaps_back_when_the_gap_ends():
    """The same gap with ``service.corner_cutting`` 0: overtime alone absorbs the overload, the
    standard does not move, and once capacity returns delivery quality is back to the control's
    within the noise, far from the lasting gap of the eroded standard."""
    quality, standard = gap(False)
    eroded, _ = gap(True)
    end = GAP_START + GAP_WEEKS
    assert np.abs(standard).max() == 0.0
    assert paired_ci(quality[:, end - 1])[2] < 0  # the gap itself still hurts
    after = slice(end + 1, end + 12)
    without, with_ = quality[:, after].mean(axis=1), eroded[:, after].mean(axis=1)
    assert abs(without.mean()) < 0.01
    assert paired_ci(with_ - without)[2] < 0
