"""The baseline company behaves like a plausible B2B service firm (seed 003's case company)."""

from __future__ import annotations

import pytest
from conftest import replicate, scenario

SEEDS = range(5)


@pytest.fixture(scope="module")
def baseline():
    sc = scenario()
    assert (sc.steps, sc.warmup, sc.customers.accounts) == (156, 26, 600)
    return replicate(sc, SEEDS, "annual_churn_rate", "nps", "mean_satisfaction", "employee_turnover_rate")


def test_annual_churn_between_5_and_20_percent(baseline):
    churn = baseline["annual_churn_rate"]
    assert ((churn >= 0.05) & (churn <= 0.20)).all(), churn
    assert 0.05 <= churn.mean() <= 0.20


def test_census_nps_between_minus_20_and_60(baseline):
    nps = baseline["nps"]
    assert ((nps >= -20) & (nps <= 60)).all(), nps
    assert -20 <= nps.mean() <= 60


def test_satisfied_customers_and_moderate_staff_turnover(baseline):
    assert 0.6 <= baseline["mean_satisfaction"].mean() <= 0.95
    assert 0.0 < baseline["employee_turnover_rate"].mean() <= 0.5
