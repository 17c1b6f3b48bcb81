"""Outputs by team and by segment: ``teams.parquet`` and ``segments.parquet`` of every run.

The tables are tallied during the run (after the warm-up) and must add up to the run's own totals:
the teams' quits to the run's quits, their churned accounts and their revenue served to the run's;
the segments' churn and revenue to the run's. A unit whose team leaders are a mix of styles shows
the leadership effect team by team.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pandas as pd
import pytest
from conftest import BASELINE_YAML, cxsim, run_model, small_scenario

from sim.model import CXModel
from sim.outputs.summary import summarise
from sim.vocabulary import SEGMENTS, UNITS

TEAM_COLUMNS = [
    "team",
    "unit",
    "leader_style",
    "size",
    "headcount",
    "engagement",
    "quits",
    "turnover_rate",
    "accounts_served",
    "satisfaction",
    "nps",
    "survey_answers",
    "survey_score",
    "renewals",
    "churned",
    "churn_rate_at_renewal",
    "revenue_served",
]
SEGMENT_COLUMNS = [
    "segment",
    "accounts",
    "customers",
    "customers_final",
    "satisfaction",
    "nps",
    "churned",
    "annual_churn_rate",
    "revenue_churn_rate",
    "revenue_per_year",
    "recurring_revenue_final",
    "net_revenue_retention",
]


@cache
def finished(seed: int) -> CXModel:
    return run_model(small_scenario(parameters={"staffing": {"base_quit_rate": 0.01}}), seed)


def measured(model: CXModel) -> pd.DataFrame:
    ts = model.timeseries(fill=False)
    return ts[ts["step"] > model.config.warmup]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_team_table_adds_up_to_the_run(seed):
    model = finished(seed)
    teams, w = model.team_table(), measured(model)
    assert list(teams.columns) == TEAM_COLUMNS
    assert len(teams) == model.workforce.teams and teams["team"].tolist() == list(range(len(teams)))
    assert teams["size"].sum() == model.workforce.size
    assert teams["quits"].sum() == w["quits"].sum() > 0
    assert teams["churned"].sum() == w["churned"].sum() > 0
    assert teams["renewals"].sum() == w["churned"].sum() + w["renewals"].sum()
    assert np.isclose(teams["revenue_served"].sum(), w["recurring_revenue"].mean())
    assert np.isclose(teams["headcount"].sum(), (w[[f"headcount.{u}" for u in UNITS]].sum(axis=1)).mean())
    # engagement weighted by headcount is the run's mean engagement (both over filled person-weeks)
    engaged = (teams["engagement"] * teams["headcount"]).sum() / teams["headcount"].sum()
    head = w[[f"headcount.{u}" for u in UNITS]].sum(axis=1)
    assert np.isclose(engaged, (w["engagement"] * head).sum() / head.sum())
    # turnover per year of each team: quits / headcount / years
    years = len(w) / 52
    assert np.allclose(teams["turnover_rate"], teams["quits"] / teams["headcount"] / years)
    # teams serve the accounts of their unit's stages; only delivery and support teams serve customers
    assert (teams.loc[teams["unit"] == "sales", "revenue_served"] == 0).all()
    assert teams.loc[teams["unit"] == "sales", "churn_rate_at_renewal"].isna().all()
    assert teams["satisfaction"].between(0, 1).all() and teams["nps"].between(-100, 100).all()
    # every survey answer counts for the team responsible for the account in the touchpoint's unit (an
    # account nobody in that unit is assigned to counts for none)
    answers = teams["survey_answers"].sum()
    assert 0.95 * w["responses"].sum() <= answers <= w["responses"].sum()
    answered = teams["survey_answers"] > 0
    assert teams.loc[answered, "survey_score"].between(0, 1).all()
    assert teams.loc[~answered, "survey_score"].isna().all()


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_segment_table_adds_up_to_the_run(seed):
    model = finished(seed)
    segments, w, summary = model.segment_table(), measured(model), summarise(model)
    assert list(segments.columns) == SEGMENT_COLUMNS
    assert segments["segment"].tolist() == list(SEGMENTS)
    assert segments["churned"].sum() == w["churned"].sum()
    assert np.isclose(segments["revenue_per_year"].sum(), summary["revenue_per_year"])
    assert np.isclose(segments["customers"].sum(), w["customers"].mean())
    assert segments["customers_final"].sum() == w["customers"].iloc[-1]
    assert np.isclose(segments["recurring_revenue_final"].sum(), w["recurring_revenue"].iloc[-1])
    # customer-weighted satisfaction over the segments is the run's over customer-weeks
    weighted = (segments["satisfaction"] * segments["customers"]).sum() / segments["customers"].sum()
    assert np.isclose(weighted, (w["satisfaction"] * w["customers"]).sum() / w["customers"].sum())
    nps = (segments["nps"] * segments["customers"]).sum() / segments["customers"].sum()
    assert np.isclose(nps, (w["nps"] * w["customers"]).sum() / w["customers"].sum())
    years = len(w) / 52
    assert np.allclose(segments["annual_churn_rate"], segments["churned"] / segments["customers"] / years)
    assert segments["net_revenue_retention"].between(0.5, 1.5).all()
    # enterprise contracts are worth the most per customer
    per_customer = segments["revenue_per_year"] / segments["customers"]
    assert per_customer.is_monotonic_increasing


def test_teams_led_transformationally_are_more_engaged_than_laissez_faire_teams():
    """Delivery split between transformational and laissez-faire team leaders: in every seed the
    transformational teams' mean engagement is higher, and so is their people's retention."""
    mix = {
        "organization": {
            "units": {"delivery": {"employees": 48, "leader_mix": {"transformational": 0.5, "laissez_faire": 0.5}}}
        }
    }
    gaps = []
    for seed in (1, 2, 3, 4):
        teams = run_model(small_scenario(**mix), seed).team_table()
        delivery = teams[teams["unit"] == "delivery"]
        by_style = delivery.groupby("leader_style")["engagement"].mean()
        assert set(by_style.index) == {"transformational", "laissez_faire"}
        assert (delivery["leader_style"] == "transformational").sum() == 3
        gaps.append(by_style["transformational"] - by_style["laissez_faire"])
        # every transformational team above every laissez-faire team
        low = delivery.loc[delivery["leader_style"] == "laissez_faire", "engagement"].max()
        assert delivery.loc[delivery["leader_style"] == "transformational", "engagement"].min() > low, seed
    assert min(gaps) > 0.05, gaps


def test_a_run_writes_the_team_and_segment_tables(tmp_path):
    res = cxsim("run", str(BASELINE_YAML), "--steps", "40", "--out", "r", "--no-figures", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    teams = pd.read_parquet(tmp_path / "r" / "teams.parquet")
    segments = pd.read_parquet(tmp_path / "r" / "segments.parquet")
    assert list(teams.columns) == TEAM_COLUMNS and len(teams) == 16  # 40 + 50 + 30 seats in teams of <= 8
    assert teams.groupby("unit").size().to_dict() == {"sales": 5, "delivery": 7, "support": 4}
    assert list(segments.columns) == SEGMENT_COLUMNS and len(segments) == 3
    assert not segments[["customers", "satisfaction", "nps", "revenue_per_year"]].isna().any().any()


def test_survey_answers_score_the_team_responsible_for_the_account():
    """Constructed answers: each counts for its team (an account with no team member counts for none),
    the score is their mean, and answers in the warm-up are left out (patterns 1 and 7 use it)."""
    model = CXModel(small_scenario(), rng=1, collect=False)
    world = model.world
    world.week = world.config.warmup
    world.tallies.answers(world, np.array([0, 1]), np.array([0.0, 0.0]))  # in the warm-up: not counted
    world.week = world.config.warmup + 1
    world.tallies.answers(world, np.array([0, 0, 1, -1]), np.array([0.9, 0.7, 0.4, 1.0]))
    teams = model.team_table()
    assert teams["survey_answers"].tolist()[:3] == [2, 1, 0]
    assert np.allclose(teams["survey_score"].iloc[:2], [0.8, 0.4]) and np.isnan(teams["survey_score"].iloc[2])
