"""Phase 8, word of mouth: the company's reputation; and the market's Bass inflow into the pipeline."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from scipy import special

from sim.model.recommendation import promoter_detractor
from sim.vocabulary import DELIVERY_STAGE, MAINTENANCE, WEEKS_PER_YEAR

if TYPE_CHECKING:
    from sim.model.world import World


def word_of_mouth_phase(world: World) -> None:
    """The promoter-detractor balance of current customers sets the company's reputation.

    Reputation is the smoothed census NPS of current customers; conversion of prospects rises
    with it (see :func:`sim.model.phases.transitions.transition_phase`), and so does the word of
    mouth that brings accounts from the market (:func:`bass_arrivals`, drawn in next week's
    transitions).
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


def bass_arrivals(world: World) -> np.ndarray:
    """Per segment, the accounts that leave the market for the pipeline this week (Bass 1969).

    Accounts that ended ``market.return_weeks`` ago rejoin the market first. Then each of the
    segment's R accounts still in the market (:class:`sim.model.market.Market`) enters with the
    weekly probability ``1 - exp(-h / 52)`` of a constant hazard over the week::

        h = p + q * (N / M) * exp(k * (reputation - r0))

    with p = ``market.innovation`` (marketing and sales effort), q = ``market.imitation`` (word of
    mouth from current customers), N the segment's customers, M its ``market_potential``,
    k = ``market.reputation_effect`` and r0 = ``word_of_mouth.reputation_reference``: promoters
    raise reputation and so carry word of mouth further, detractors lower it (Sultan, Farley &
    Lehmann 1990 give p about .03 and q about .38 a year). With k = 0 this is discrete-time Bass
    diffusion of each segment's customers over its market. The arrivals join the pipeline as
    prospects (their conversion and winning are the journey's, 7.6); those the imitation term
    brought are counted as ``referrals``.
    """
    mk = world.params.market
    market = world.market
    acc = world.accounts
    n = acc.n
    stage = acc.stage[:n]
    is_customer = (stage == DELIVERY_STAGE) | (stage == MAINTENANCE)
    customers = np.bincount(acc.segment[:n], weights=is_customer, minlength=market.potential.size)
    world.counters["market_returns"] += market.release(world.week)
    potential = market.potential.astype(float)
    share = np.divide(customers, potential, out=np.zeros(potential.size), where=potential > 0)
    valence = np.exp(mk.reputation_effect * (world.reputation - world.params.word_of_mouth.reputation_reference))
    imitation = mk.imitation * share * valence
    hazard = mk.innovation + imitation
    u = world.rng.random((2, hazard.size))  # two uniform draws per segment: how many arrive, how many by word
    arrivals = _binomial(u[0], market.remaining(), -np.expm1(-hazard / WEEKS_PER_YEAR))
    by_word = _binomial(u[1], arrivals, np.divide(imitation, hazard, out=np.zeros(hazard.size), where=hazard > 0))
    market.take(arrivals)
    world.counters["referrals"] += int(by_word.sum())
    return arrivals


def _binomial(u: np.ndarray, n: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Binomial(n, p) draws by inversion of one uniform each: the least k with CDF(k) >= u.

    A fixed number of draws per week, whatever n and p: paired runs of two scenarios (common
    random numbers) keep drawing the same numbers while only the market's hazard differs. The
    quantile is scipy's ``binom.ppf`` rule (the inverse of the incomplete beta, then one step
    back where the CDF already reaches u), on its special functions directly.
    """
    with np.errstate(invalid="ignore"):
        k = np.ceil(special.bdtrik(u, n, p))
        below = np.maximum(k - 1, 0)
        k = np.where(special.bdtr(below, n, p) >= u, below, k)
    return np.where((n > 0) & (p > 0), np.nan_to_num(k), 0).astype(np.int64)
