"""Phase 7, renewal: B2B churn is decided when a contract ends, by the customer's satisfaction."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.model.complaints import close_complaints
from sim.vocabulary import CHURNED

if TYPE_CHECKING:
    from sim.model.world import World


def renewal_phase(world: World) -> None:
    """At contract end an account renews or churns, logistic in satisfaction.

    P(churn) = 1 / (1 + exp(-(a - b * S))). With the defaults an account at S = 0.95 churns at
    about 2 %, at S = 0.75 at about 13 %: completely satisfied customers stay several times more
    often than merely satisfied ones (Jones & Sasser 1995; Mittal & Kamakura 2001). B2B churn
    is decided at renewal, never in between. A renewal re-prices the contract with satisfaction,
    by the factor 1 + expansion_rate * (S - S0) / (1 - S0) clipped to [min_value_factor,
    max_value_factor], S0 = ``neutral_satisfaction`` (expansion above S0, contraction below) —
    the source of net revenue retention.
    """
    acc = world.accounts
    r = world.params.renewal
    t = world.week
    due = np.flatnonzero(acc.customers() & (acc.contract_end == t))
    if not due.size:
        return
    sat = acc.satisfaction[due]
    p_churn = 1.0 / (1.0 + np.exp(-(r.churn_intercept - r.churn_slope * sat)))
    churn = world.rng.random(due.size) < p_churn
    gone, stay = due[churn], due[~churn]
    acc.stage[gone] = CHURNED
    acc.stage_since[gone] = t
    acc.ended_at[gone] = t
    close_complaints(acc, world.workforce, gone)
    world.market.leave(acc.segment[gone], t)  # it rejoins the market after `market.return_weeks`
    world.counters["churned"] += gone.size
    world.counters["churned_revenue"] += float(acc.contract_value[gone].sum())
    world.counters["renewals"] += stay.size
    change = r.expansion_rate * (acc.satisfaction[stay] - r.neutral_satisfaction) / (1.0 - r.neutral_satisfaction)
    factor = np.clip(1.0 + change, r.min_value_factor, r.max_value_factor)
    acc.contract_value[stay] *= factor
    acc.contract_end[stay] += world.params.journey.contract_weeks
