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

    P(churn) = 1 / (1 + exp(-(a - b * S))). With the defaults an account at S = 0.85 churns at
    about 1.8 %, at S = 0.75 at about 8 %: completely satisfied customers stay several times more
    often than merely satisfied ones (Jones & Sasser 1995; Mittal & Kamakura 2001). B2B churn
    is decided at renewal, never in between. A renewal re-prices the contract with satisfaction,
    by the factor 1 + expansion_rate * (S - S0) / (1 - S0) clipped to [min_value_factor,
    max_value_factor], S0 = ``neutral_satisfaction`` (expansion above S0, contraction below) —
    the source of net revenue retention.

    Prices (``policies.price_change``, a timed event or a scenario's lever): a renewal also
    re-prices the contract from the list price at which it was last priced (``price_level``,
    1 + the price change then) to today's, and the relative rise ``rise`` = today's level / the
    contract's - 1 adds ``price_churn_sensitivity * rise`` to the churn log-odds. A churned
    account is counted for the team of its server and for its segment (:mod:`sim.model.tallies`).
    """
    acc = world.accounts
    r = world.params.renewal
    t = world.week
    due = np.flatnonzero(acc.customers() & (acc.contract_end == t))
    if not due.size:
        return
    sat = acc.satisfaction[due]
    level = 1.0 + world.config.policies.price_change
    rise = level / acc.price_level[due] - 1.0
    p_churn = 1.0 / (1.0 + np.exp(-(r.churn_intercept - r.churn_slope * sat + r.price_churn_sensitivity * rise)))
    churn = world.rng.random(due.size) < p_churn
    world.tallies.renewals(world, due, churn)
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
    acc.contract_value[stay] *= factor * (1.0 + rise[~churn])
    acc.price_level[stay] = level
    acc.contract_end[stay] += world.params.journey.contract_weeks
