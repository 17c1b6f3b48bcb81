"""Docking (Axtell et al. 1996): the per-agent Mesa reference and cxsim agree on the core rules.

Both models run the same core-rules scenario (``benchmarks.reference_mesa.core_rules_scenario``)
over the same seeds; their mean outcomes must agree within the confidence interval of the
difference (Welch) and within a stated tolerance, so that a change to either model's rules shows.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from benchmarks import reference_mesa as reference
from sim.model import CXModel
from sim.outputs.summary import summarise
from sim.scenario.schema import Scenario

SEEDS = range(20)
#: the largest difference of means that still counts as agreement (about 3-4 standard errors here)
TOLERANCE = {"mean_satisfaction": 0.01, "annual_churn_rate": 0.02}


@pytest.fixture(scope="module")
def outcomes() -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per outcome, the reference's and cxsim's values over the seeds (baseline staff, 600 accounts, 2 years)."""
    sc = reference.core_rules_scenario(accounts=600, employees=(40, 50, 30), steps=104)
    ref = [reference.run_reference(sc, seed) for seed in SEEDS]
    real = [summarise(CXModel(sc, rng=seed, collect=False).run()) for seed in SEEDS]
    return {k: (np.array([r[k] for r in ref]), np.array([r[k] for r in real])) for k in TOLERANCE}


@pytest.mark.slow
@pytest.mark.parametrize("outcome", sorted(TOLERANCE))
def test_reference_docks_with_model(outcomes, outcome):
    ref, real = outcomes[outcome]
    diff = ref.mean() - real.mean()
    ci = stats.ttest_ind(ref, real, equal_var=False).confidence_interval(0.95)
    detail = (
        f"reference {ref.mean():.4f}, cxsim {real.mean():.4f}, difference {diff:+.4f} [{ci.low:+.4f}, {ci.high:+.4f}]"
    )
    assert ci.low <= 0.0 <= ci.high, f"{outcome}: the 95 % CI of the difference excludes 0: {detail}"
    assert abs(diff) < TOLERANCE[outcome], f"{outcome}: |difference| >= {TOLERANCE[outcome]}: {detail}"


def test_reference_refuses_rules_it_leaves_out():
    with pytest.raises(ValueError, match="base_quit_rate"):
        reference.ReferenceModel(Scenario(), seed=1)
