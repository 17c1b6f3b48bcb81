"""Costs and value: revenue, the cost components, profit and their run outcomes, with numbers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import call, one_line_error, run_model, small_scenario

from sim.experiments.compare import DEFAULT_METRICS, analyse, to_markdown
from sim.model.kpis import COST_COMPONENTS, ONE_OFF_COSTS, RUNNING_COSTS
from sim.outputs.summary import OUTCOMES, summarise
from sim.vocabulary import UNITS

NO_QUITS = {"staffing": {"base_quit_rate": 0.0}}
COSTS = [f"cost.{c}" for c in COST_COMPONENTS]
EVERY_POLICY = {
    "licence_to_sell": True,
    "licence_to_deliver": True,
    "empowerment": True,
    "transfer_meeting": True,
    "user_stories": True,
    "shared_customer_record": True,
    "cx_incentives": True,
    "recruit_for_attitude": True,
}


def frame(seed: int = 3, **overrides) -> pd.DataFrame:
    return run_model(small_scenario(**overrides), seed).timeseries(fill=False)


@pytest.fixture(scope="module")
def all_on() -> tuple[pd.DataFrame, dict]:
    model = run_model(small_scenario(policies=EVERY_POLICY), 5)
    return model.timeseries(fill=False), summarise(model)


def test_salaries_are_headcount_times_salary_and_halving_delivery_halves_them() -> None:
    full = frame(parameters=NO_QUITS)
    half = frame(parameters=NO_QUITS, organization={"units": {"delivery": {"employees": 6}}})
    np.testing.assert_allclose(full["cost.salaries.delivery"], full["headcount.delivery"] * 65_000 / 52, rtol=1e-12)
    np.testing.assert_allclose(full["cost.salaries.sales"], 10 * 70_000 / 52, rtol=1e-12)
    np.testing.assert_allclose(full["cost.salaries.support"], 8 * 45_000 / 52, rtol=1e-12)
    assert half["cost.salaries.delivery"].sum() == pytest.approx(0.5 * full["cost.salaries.delivery"].sum(), rel=1e-12)
    assert half["cost.salaries.sales"].sum() == pytest.approx(full["cost.salaries.sales"].sum(), rel=1e-12)


def test_licences_add_the_training_cost_once_per_trainee() -> None:
    off = frame(parameters=NO_QUITS)
    on = frame(parameters=NO_QUITS, policies={"licence_to_sell": True})
    assert off["cost.licence_training"].sum() == 0
    # the 10 sales people train once, in week 1; nobody quits, so nobody else ever trains
    assert on["trainees"].tolist() == [10.0] + [0.0] * 51
    assert on["cost.licence_training"].iloc[0] == 10 * 5_000
    assert on["cost.licence_training"].iloc[1:].sum() == 0
    assert on["costs_one_off"].iloc[0] == 10 * 5_000


def test_new_hires_into_a_licensed_unit_train_and_cost_their_hiring() -> None:
    df = frame(4, policies={"licence_to_deliver": True, "recruit_for_attitude": True})  # a seed with hires
    assert df["trainees"].iloc[0] == 12 + 8  # the delivery and support staff at the start
    assert df["hires"].sum() > 0
    assert df["trainees"].iloc[1:].sum() <= df["hires"].iloc[1:].sum()
    np.testing.assert_allclose(df["cost.licence_training"], df["trainees"] * 5_000)
    np.testing.assert_allclose(df["cost.hiring"], df["hires"] * 10_000)
    np.testing.assert_allclose(df["cost.attitude_premium"], df["hires"] * 2_000)


def test_transfer_meeting_cost_is_handoffs_times_time_times_rate() -> None:
    """Every project is handed over, won deals and repeat projects alike."""
    on = frame(policies={"transfer_meeting": True})
    off = frame()
    rate = (70_000 + 65_000) / 2 / 1_600  # EUR per hour, half sales and half delivery
    assert on["wins"].sum() > 5 and on["new_projects"].sum() > 5
    np.testing.assert_allclose(on["handoffs"], on["wins"] + on["new_projects"])
    np.testing.assert_allclose(on["cost.transfer_meetings"], on["handoffs"] * 4.0 * rate, rtol=1e-12)
    assert off["cost.transfer_meetings"].sum() == 0


def test_shared_record_costs_a_licence_per_seat_and_the_logging_time() -> None:
    on = frame(parameters=NO_QUITS, policies={"shared_customer_record": True})
    off = frame(parameters=NO_QUITS)
    assert off["cost.shared_record"].sum() == 0 and off["facts_logged"].sum() == 0
    assert on["facts_logged"].sum() > 100
    hourly = (10 * 70_000 + 12 * 65_000 + 8 * 45_000) / 30 / 1_600  # mean over the filled seats
    want = 30 * 1_200 / 52 + on["facts_logged"] * 2.0 / 60 * hourly
    np.testing.assert_allclose(on["cost.shared_record"], want, rtol=1e-12)


def test_meetings_cost_the_staff_an_hour_every_meeting_week() -> None:
    df = frame(parameters=NO_QUITS)
    per_meeting = (10 * 70_000 + 12 * 65_000 + 8 * 45_000) / 1_600
    want = np.where(df["step"] % 2 == 0, per_meeting, 0.0)  # leaders meet every 2 weeks
    np.testing.assert_allclose(df["cost.meetings"], want, rtol=1e-12)


def test_survey_cost_is_proportional_to_answers_and_costs_change_no_behaviour() -> None:
    base = frame()
    dear = frame(parameters={"costs": {"survey_cost_per_answer": 20.0, "salary_sales": 1.0}})
    assert base["responses"].sum() > 100
    np.testing.assert_allclose(base["cost.surveys"], base["responses"] * 5.0)
    np.testing.assert_allclose(dear["cost.surveys"], 4 * base["cost.surveys"])
    behaviour = [c for c in base.columns if not c.startswith("cost") and c not in ("profit",)]
    pd.testing.assert_frame_equal(base[behaviour], dear[behaviour])


def test_policy_costs_are_zero_when_off_and_priced_when_on(all_on) -> None:
    df, _ = all_on
    off = frame(seed=5)
    for c in ("transfer_meetings", "user_stories", "cx_incentives", "empowerment", "licence_training", "shared_record"):
        assert off[f"cost.{c}"].sum() == 0
        assert df[f"cost.{c}"].sum() > 0
    np.testing.assert_allclose(df["cost.user_stories"], df["handoffs"] * 8.0 * 65_000 / 1_600, rtol=1e-12)
    np.testing.assert_allclose(df["cost.empowerment"], df["recovered"] * 200.0)
    head = df[[f"headcount.{u}" for u in UNITS]].sum(axis=1)
    # each team is paid its bonus share of the full bonus: somewhere between nothing and everybody's full bonus
    assert (df["cost.cx_incentives"] <= head * 2_000 / 52 + 1e-9).all()
    assert (df["cost.cx_incentives"] > 0).mean() > 0.9


def test_cx_bonus_cost_is_each_teams_share_of_the_full_bonus() -> None:
    """Week by week: the CX incentive cost is Σ over teams of filled seats x bonus share x payout / 52."""
    from sim.model import CXModel

    model = CXModel(small_scenario(policies={"cx_incentives": True}, steps=20), rng=3, collect=False)
    world = model.world
    for _ in range(20):
        model.step()
        team_head = np.bincount(world.workforce.team, weights=world.workforce.filled, minlength=world.workforce.teams)
        want = float(world.bonus_share @ team_head) * 2_000 / 52
        assert model.latest("cost.cx_incentives") == pytest.approx(want, rel=1e-12)
    assert 0 < world.bonus_share.mean() < 1


def test_profit_is_revenue_minus_the_components_exactly(all_on) -> None:
    df, summary = all_on
    np.testing.assert_allclose(df["revenue"], df["recurring_revenue"] / 52, rtol=1e-15)
    running = df[[f"cost.{c}" for c in RUNNING_COSTS]].sum(axis=1)
    one_off = df[[f"cost.{c}" for c in ONE_OFF_COSTS]].sum(axis=1)
    np.testing.assert_allclose(df["costs_running"], running, rtol=1e-12)
    np.testing.assert_allclose(df["costs_one_off"], one_off, rtol=1e-12)
    np.testing.assert_allclose(df["profit"], df["revenue"] - df[COSTS].sum(axis=1), rtol=1e-12)
    w = df[df["step"] > 8]
    years = len(w) / 52
    assert summary["revenue_per_year"] == pytest.approx(w["revenue"].sum() / years, rel=1e-9)
    assert summary["profit_per_year"] == pytest.approx(
        summary["revenue_per_year"] - summary["costs_per_year"], rel=1e-9
    )
    assert sum(summary["cost_breakdown"].values()) == pytest.approx(summary["costs_per_year"], rel=1e-9)
    assert summary["running_costs_per_year"] + summary["one_off_costs_per_year"] == pytest.approx(
        summary["costs_per_year"], rel=1e-9
    )


def test_discounting_at_rate_zero_is_the_plain_sum_and_a_positive_rate_discounts() -> None:
    plain = summarise(run_model(small_scenario(parameters={"costs": {"discount_rate": 0.0}}), 3))
    years = (52 - 8) / 52
    assert plain["discounted_profit"] == pytest.approx(plain["profit_per_year"] * years, rel=1e-9)
    disc = summarise(run_model(small_scenario(parameters={"costs": {"discount_rate": 0.5}}), 3))
    df = frame()
    w = df[df["step"] > 8]
    want = (w["profit"] / 1.5 ** ((w["step"] - 8) / 52)).sum()
    assert disc["discounted_profit"] == pytest.approx(want, rel=1e-9)
    assert disc["discounted_profit"] < plain["discounted_profit"]


def test_customer_lifetime_value_follows_gupta_lehmann_stuart(all_on) -> None:
    df, s = all_on
    w = df[df["step"] > 8]
    margin = (s["profit_per_year"] / s["revenue_per_year"]) * w["recurring_revenue"].mean() / w["customers"].mean()
    r = 1 - s["annual_churn_rate"]
    assert 0 < r < 1
    assert s["customer_lifetime_value"] == pytest.approx(margin * r / (1.08 - r), rel=1e-5)
    assert "customer_lifetime_value" in OUTCOMES


def test_no_customers_leave_no_revenue_and_an_undefined_lifetime_value() -> None:
    empty = small_scenario(customers={"accounts": 0, "prospects": 0}, parameters={"market": {"innovation": 0.0}})
    s = summarise(run_model(empty, 1))
    assert s["revenue_per_year"] == 0
    assert s["profit_per_year"] < 0  # the staff is still paid
    assert s["customer_lifetime_value"] is None


def test_a_negative_salary_is_refused_with_one_line(tmp_path: Path, capsys, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    code, _, err = call(capsys, "run", "baseline", "--set", "parameters.costs.salary_sales=-1")
    assert code == 2
    line = one_line_error(err)
    assert "salary_sales" in line
    assert not list(tmp_path.iterdir())


def test_compare_reports_profit_and_the_return_on_extra_cost() -> None:
    assert "profit_per_year" in DEFAULT_METRICS
    runs = pd.DataFrame(
        {
            "case": ["a", "a", "b", "b"],
            "replication": [0, 1, 0, 1],
            "error": [None] * 4,
            "profit_per_year": [100.0, 110.0, 130.0, 150.0],
            "costs_per_year": [50.0, 50.0, 60.0, 60.0],
        }
    )
    result = analyse(runs, ["a", "b"], ["profit_per_year", "costs_per_year"])
    assert result["differences"]["b"]["profit_per_year"]["mean"] == pytest.approx(35.0)
    assert result["roi"]["b"] == pytest.approx(35.0 / 10.0)
    result.update(seed=1, stopped_by="test")
    assert "- b: +3.50" in to_markdown(result)


def test_payback_week_is_when_the_cumulative_profit_gap_turns_positive_for_good():
    """A policy that costs 100 a week for 4 weeks and then earns 50 a week more pays back when its
    running sum (-400, then +50 a week) is above zero for good: week 13 (-400 + 9 x 50 = +50)."""
    import pandas as pd

    from sim.experiments.compare import payback_weeks

    weeks = np.arange(1, 21)
    gain = np.where(weeks <= 4, -100.0, 50.0)
    rows = [(w, "ref", 1000.0) for w in weeks] + [(w, "policy", 1000.0 + g) for w, g in zip(weeks, gain, strict=True)]
    rows += [(w, "loser", 990.0) for w in weeks]
    ts = pd.DataFrame(rows, columns=["step", "scenario", "profit"])
    assert payback_weeks(ts, ["ref", "policy", "loser"]) == {"policy": 13, "loser": None}
    assert payback_weeks(None, ["ref", "policy"]) == {"policy": None}
