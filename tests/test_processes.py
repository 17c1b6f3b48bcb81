"""Teams' untreated processes (``feedback.process_spread``, Frei et al. 1999): how they are drawn,
that policy arms share them, that fixes and drift work around each team's own level, and that
they reach customers through the team's touchpoints (patterns 1 and 7 rest on it)."""

from __future__ import annotations

import numpy as np
from conftest import scenario

from sim.model import CXModel
from sim.model.phases.leadership import leadership_phase
from sim.vocabulary import N_UNITS

#: a company with many teams per unit, over a year
MANY_TEAMS = {
    "steps": 52,
    "warmup": 8,
    "organization": {
        "units": {"sales": {"employees": 80}, "delivery": {"employees": 200}, "support": {"employees": 120}}
    },
    "customers": {
        "accounts": 2000,
        "prospects": 200,
        # the baseline's markets, four times over, as the company is
        "segments": {
            "small": {"market_potential": 2520},
            "mid_market": {"market_potential": 3600},
            "enterprise": {"market_potential": 1080},
        },
    },
}


def spread(value: float, **overrides) -> dict:
    return {**MANY_TEAMS, "parameters": {"feedback": {"process_spread": value}}, **overrides}


def untreated(model: CXModel) -> np.ndarray:
    return model.world.process_untreated


def test_each_unit_s_teams_average_one_and_spread_by_the_log_sd():
    model = CXModel(scenario(**spread(0.5)), rng=1, collect=False)
    w = model.workforce
    u = untreated(model)
    means = np.bincount(w.team_unit, weights=u, minlength=N_UNITS) / np.bincount(w.team_unit, minlength=N_UNITS)
    np.testing.assert_allclose(means, 1.0, atol=1e-12)
    assert w.teams > 40
    log_sd = np.log(u).std(ddof=1)
    assert 0.4 < log_sd < 0.6, log_sd  # about 50 teams: the sample log-sd within a few SEs of 0.5
    # every multiplier of a team starts at its untreated level
    np.testing.assert_array_equal(
        model.world.process_multiplier,
        np.broadcast_to(u[:, None, None], (w.teams, *model.world.process_multiplier.shape[1:])),
    )


def test_without_spread_every_team_runs_the_untreated_process_of_one():
    model = CXModel(scenario(**spread(0.0)), rng=1, collect=False)
    np.testing.assert_array_equal(untreated(model), 1.0)
    np.testing.assert_array_equal(model.world.process_multiplier, 1.0)


def test_policy_arms_and_spreads_share_each_team_s_draw():
    """Common random numbers: a policy that adds draws at week 0 (the shared record logs facts) and
    another spread leave each team's standard normal draw the same."""
    plain = untreated(CXModel(scenario(**spread(0.5)), rng=7, collect=False))
    record = untreated(
        CXModel(scenario(**spread(0.5, policies={"shared_customer_record": True})), rng=7, collect=False)
    )
    np.testing.assert_array_equal(plain, record)
    wider = untreated(CXModel(scenario(**spread(1.0)), rng=7, collect=False))
    # log-multipliers are the same draws scaled (up to each unit's normalising constant)
    model = CXModel(scenario(**spread(0.5)), rng=7, collect=False)
    unit = model.workforce.team_unit
    for u in range(N_UNITS):
        at = unit == u
        a, b = np.log(plain[at]), np.log(wider[at])
        np.testing.assert_allclose(b - b.mean(), 2 * (a - a.mean()), atol=1e-9)


def test_drift_returns_to_the_team_s_own_level_and_fixes_stop_at_the_floor_of_it():
    model = CXModel(scenario(**spread(0.5)), rng=3, collect=False)
    world = model.world
    u = untreated(model)[:, None, None]
    world.process_multiplier[:] = 0.0  # as if every cause had been fixed away
    leadership_phase(world)
    drift = world.params.feedback.process_drift
    np.testing.assert_allclose(world.process_multiplier, drift * np.broadcast_to(u, world.process_multiplier.shape))
    # a fix never takes a multiplier below fix_floor times its team's level
    for _ in range(60):
        model.step()
    floor = world.params.feedback.fix_floor * u
    assert (world.process_multiplier >= floor - 1e-12).all()
    assert (world.process_multiplier < np.broadcast_to(u, world.process_multiplier.shape)).any()  # fixes happened


def test_teams_with_a_worse_process_have_less_satisfied_customers():
    """The chain: a team's process lets more of each cause's loss through and fails more often ->
    its touchpoints are worse -> its customers' survey answers are lower. Across the teams of
    delivery and support, log(untreated) and the team's survey score correlate clearly negatively,
    and the teams differ more in their customers' answers than when all teams share one process."""
    rs, sds = [], {0.0: [], 0.5: []}
    for seed in (1, 2):
        for value in (0.0, 0.5):
            model = CXModel(scenario(**spread(value)), rng=seed, collect=False).run()
            teams = model.team_table()
            serving = teams["unit"].isin(["delivery", "support"]).to_numpy()
            score = teams["survey_score"].to_numpy()[serving]
            units = teams["unit"].to_numpy()[serving]
            centred = score - np.array([score[units == x].mean() for x in units])
            sds[value].append(centred.std(ddof=1))
            if value:
                logs = np.log(untreated(model))[serving]
                rs.append(np.corrcoef(logs, centred)[0, 1])
    assert max(rs) < -0.6, rs
    assert min(sds[0.5]) > 2 * max(sds[0.0]), sds
