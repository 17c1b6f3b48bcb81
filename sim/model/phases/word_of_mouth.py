"""Phase 8, word of mouth: referrals from promoters and the company's reputation."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sim.model.phases.measurement import promoter_detractor

if TYPE_CHECKING:
    from sim.model.world import World


def word_of_mouth_phase(world: World) -> None:
    """Promoters refer prospects; the promoter-detractor balance sets reputation.

    Referrals are a Poisson number with mean ``referral_rate`` per promoter-week (the imitation
    term of Bass 1969); they join the prospect pool with next week's arrivals. Reputation is the
    smoothed census NPS of current customers; conversion of prospects rises with it (see
    :func:`sim.model.phases.transitions.transition_phase`).
    """
    acc = world.accounts
    wm = world.params.word_of_mouth
    cust = acc.customers()
    promoters, detractors = promoter_detractor(acc.satisfaction, world.params.measurement)
    n_cust = int(cust.sum())
    n_prom = int((promoters & cust).sum())
    if n_cust:
        nps = (n_prom - int((detractors & cust).sum())) / n_cust
        world.reputation += wm.reputation_memory * (nps - world.reputation)
    referrals = int(world.rng.poisson(wm.referral_rate * n_prom)) if n_prom else 0
    world.referrals_due += referrals  # they enter the prospect pool with next week's arrivals
    world.counters["referrals"] += referrals
