"""Acquisition from a finite market: Bass (1969) diffusion over each segment's market potential.

The market's bookkeeping (accounts taken out of it and returning after ``market.return_weeks``),
the weekly arrival probability against its formula, a saturated market that grows only as
churned accounts return, and the docking with Bass diffusion: with every effect but the Bass
terms switched off, the share of a 10,000-account market that the company has won follows
F(t) = (1 - e^(-(p+q)t)) / (1 + (q/p) e^(-(p+q)t)) (pattern 10; Sultan, Farley & Lehmann 1990:
p = .03, q = .38 a year) and a fit of F to it gives back q/p.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from conftest import call, one_line_error, scenario, small_scenario

from sim.model import CXModel
from sim.model.market import Market
from sim.model.phases.word_of_mouth import bass_arrivals
from sim.scenario.schema import Scenario
from sim.validation.experiments import PIPELINE_WEEKS, Plan, bass_docking
from sim.validation.measures import bass_f, fit_bass
from sim.vocabulary import CHURNED, DELIVERY_STAGE, LOST, MAINTENANCE, SEGMENTS, WEEKS_PER_YEAR

#: the market of the docking test and its horizon: 15 years, nearly saturated
BASS_MARKET, BASS_WEEKS, BASS_SEEDS = 10_000, 780, range(1, 7)


def bass_scenario(seed: int) -> Scenario:
    """The Bass docking experiment of ``cxsim validate`` (pattern 10; ODD 7.8, "Docking with Bass").

    One segment holds the whole market, with no customers at the start; word of mouth comes from
    customers regardless of their satisfaction (``market.reputation_effect`` 0); every arrival
    converts and every deal is won (conversion and win rates 1, no dropout, no pull of experience
    or reputation); nobody churns; no touchpoints are made (they would change nothing here but
    run time). A won account is a customer two weeks after it left the market at the earliest
    (``PIPELINE_WEEKS``: created in week t, it converts in week t + 1, its deal is decided in t + 2).
    """
    plan = replace(Plan(), bass_market=BASS_MARKET, bass_weeks=BASS_WEEKS)
    return Scenario.model_validate({**bass_docking(Scenario().model_dump(mode="json"), plan), "seed": seed})


# ---------------------------------------------------------------------------------------------
# bookkeeping


def test_market_counts_taken_accounts_and_returns_them_after_the_delay():
    market = Market(np.array([10, 5, 0]), return_weeks=3)
    market.enter(np.array([0, 0, 1]))
    market.take(np.array([2, 0, 0]))
    assert market.taken.tolist() == [4, 1, 0]
    assert market.remaining().tolist() == [6, 4, 0]
    market.leave(np.array([0, 1]), week=5)
    assert market.release(7) == 0
    assert market.release(8) == 2
    assert market.taken.tolist() == [3, 0, 0]
    market.take(np.array([0, 9, 0]))
    assert market.remaining().tolist() == [7, 0, 0]  # never below 0


def test_market_holds_the_journey_and_the_recently_ended(tmp_path):
    """After every week, a segment's taken accounts are those in the journey plus those that ended
    within ``market.return_weeks`` (released at the earliest the week after they ended)."""
    sc = small_scenario(parameters={"market": {"return_weeks": 6}})
    model = CXModel(sc, rng=5, collect=False)
    back = max(1, sc.parameters.market.return_weeks)
    while model.steps < sc.steps:
        model.step()
        acc, t = model.accounts, model.steps
        n = acc.n
        stage, ended = acc.stage[:n], acc.ended_at[:n]
        held = (stage < CHURNED) | (((stage == CHURNED) | (stage == LOST)) & (t < ended + back))
        expected = np.bincount(acc.segment[:n][held], minlength=len(SEGMENTS))
        assert model.world.market.taken.tolist() == expected.tolist(), f"week {t}"
    assert model.world.counters["market_returns"] > 0


def test_weekly_arrivals_follow_the_bass_hazard():
    """Each account still in the market enters with probability 1 - exp(-h / 52),
    h = p + q (N / M) exp(k (reputation - r0)); a better reputation carries word of mouth further."""
    model = CXModel(small_scenario(), rng=3, collect=False)
    world = model.world
    mk, r0 = world.params.market, world.params.word_of_mouth.reputation_reference
    acc = world.accounts
    is_customer = (acc.stage[: acc.n] == DELIVERY_STAGE) | (acc.stage[: acc.n] == MAINTENANCE)
    customers = np.bincount(acc.segment[: acc.n][is_customer], minlength=len(SEGMENTS))
    m = world.market.potential.astype(float)
    taken = world.market.taken.copy()
    reps = 400
    means = {}
    for reputation in (-0.2, 0.6):
        world.reputation = reputation
        draws = []
        for _ in range(reps):
            world.market.taken[:] = taken
            draws.append(bass_arrivals(world))
        h = mk.innovation + mk.imitation * customers / m * np.exp(mk.reputation_effect * (reputation - r0))
        expected = (m - taken) * -np.expm1(-h / WEEKS_PER_YEAR)
        draws = np.array(draws)
        se = np.sqrt(expected / reps)
        np.testing.assert_array_less(np.abs(draws.mean(axis=0) - expected), 4 * se + 1e-12)
        means[reputation] = draws.sum(axis=1).mean()
    assert means[0.6] > 1.5 * means[-0.2]


def test_a_saturated_market_grows_only_by_accounts_that_come_back():
    """A market no bigger than the accounts at the start has nobody left to win: no prospect
    arrives until churned or lost accounts have been away ``market.return_weeks`` weeks, and
    never more arrive than have come back."""
    sc = scenario(
        steps=104,
        warmup=0,
        customers={
            "accounts": 100,
            "prospects": 0,
            "segments": {
                "small": {"share": 1.0, "market_potential": 100},
                "mid_market": {"share": 0.0, "market_potential": 0},
                "enterprise": {"share": 0.0, "market_potential": 0},
            },
        },
        parameters={"market": {"return_weeks": 5}},
    )
    model = CXModel(sc, rng=2, collect=False).run()
    ts = model.timeseries()
    assert ts["churned"].sum() > 0 and ts["arrivals"].sum() > 0
    first_end = int(ts.index[(ts["churned"] + ts["deals_lost"]) > 0][0]) + 1
    first_arrival = int(ts.index[ts["arrivals"] > 0][0]) + 1
    assert first_arrival >= first_end + 5
    assert (ts["arrivals"].cumsum() <= ts["market_returns"].cumsum()).all()
    assert ts["market_remaining"].max() <= ts["market_returns"].sum()


def test_a_market_smaller_than_the_start_is_refused_with_one_line(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "s.yaml").write_text("customers: {accounts: 5000}\n", encoding="utf-8")
    code, _, err = call(capsys, "run", "s.yaml")
    line = one_line_error(err)
    assert code == 2
    assert "customers" in line and "market_potential" in line and "5,080" in line


# ---------------------------------------------------------------------------------------------
# docking with Bass diffusion


@pytest.fixture(scope="module")
def adoption() -> np.ndarray:
    """Per week, the mean share of the market won over the seeds (customers / market potential)."""
    curves = []
    for seed in BASS_SEEDS:
        model = CXModel(bass_scenario(seed), rng=seed, collect=False).run()
        curves.append(model.timeseries()["adoption_share"].to_numpy())
    return np.mean(curves, axis=0)


@pytest.mark.slow
def test_adoption_follows_the_bass_curve(adoption):
    """The adopted share stays within 2 points of F(t) delayed by the pipeline's two weeks (within
    2 points of F(t) itself too), is S-shaped with its steepest growth near Bass's peak time
    ln(q/p) / (p + q), and saturates toward the whole market."""
    mk = bass_scenario(1).parameters.market
    p, q = mk.innovation, mk.imitation
    t = np.arange(1, BASS_WEEKS + 1) / WEEKS_PER_YEAR
    delayed = bass_f(np.maximum(t - PIPELINE_WEEKS / WEEKS_PER_YEAR, 0.0), p, q)
    assert np.abs(adoption - delayed).max() < 0.02
    assert np.abs(adoption - bass_f(t, p, q)).max() < 0.02
    growth = np.convolve(np.diff(adoption), np.ones(13) / 13, mode="same")  # a quarter's smoothing
    # the steepest growth is where F crosses (q - p) / 2q, at ln(q/p) / (p + q): where the mean curve
    # crosses that share (the argmax of a noisy, flat-topped growth curve would wander by a year)
    crossing = (np.argmax(adoption >= (q - p) / (2 * q)) + 1 - PIPELINE_WEEKS) / WEEKS_PER_YEAR
    assert crossing == pytest.approx(np.log(q / p) / (p + q), abs=0.5)
    assert growth[:26].mean() < growth.max() / 3 and growth[-26:].mean() < growth.max() / 3
    assert 0.95 < adoption[-1] <= 1.0
    assert (np.diff(adoption) >= 0).all()


@pytest.mark.slow
def test_a_bass_fit_recovers_the_input_coefficients(adoption):
    """Fitting F (delayed by the pipeline) to the adopted share gives back q / p within 20 %."""
    mk = bass_scenario(1).parameters.market
    t = np.arange(1, BASS_WEEKS + 1) / WEEKS_PER_YEAR
    p, q = fit_bass(t, adoption, PIPELINE_WEEKS / WEEKS_PER_YEAR)
    assert q / p == pytest.approx(mk.imitation / mk.innovation, rel=0.2)
    assert p == pytest.approx(mk.innovation, rel=0.2)
    assert q == pytest.approx(mk.imitation, rel=0.2)
