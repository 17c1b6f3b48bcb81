"""Phase 5, diffusion: how customer information spreads inside the company (seed 000 5.4: "how quickly does new
information about a customer disseminate within a B2B enterprise?").

Knowledge is kept per account team, never as an employees x accounts matrix: for each account
and unit, ``known`` is the week stamp of the newest picture of the customer that the account's
team member in that unit holds, and ``pool`` what the unit as a whole has heard (what a
stand-in colleague can know). ``news`` is the stamp of the customer's latest news. The age of
the server's picture at a touchpoint, ``t - known``, is the information age (the age-of-
information metric of Kaul, Yates & Gruteser 2012); news the server lacks costs quality.

News moves three ways:

1. **Between collaborators.** If the account's team members in two units are tied in the
   collaboration network, the newer picture passes each week with probability
   ``q = peer_share_rate * engagement(sender) * culture(leader)`` — one
   independent-cascade hop (Kempe, Kleinberg & Tardos 2003); ``culture = floor + (1 - floor) *
   information_sharing`` with ``floor = culture_floor``.
2. **Through the network.** Otherwise the news has to travel ``h`` hops to reach anybody in
   the other unit (``h`` from one breadth-first search per unit, precomputed). Its arrival in
   that unit's pool is geometric with the same mean delay as ``h`` hops of probability ``q``:
   ``q / h`` per week. More cross-unit ties shorten ``h`` and make direct ties likelier (Wu et
   al. 2004: spread on small-world graphs).
3. **At meetings.** On the leaders' cadence each unit pools what its members know and passes
   it back to them, and leaders pass a share of their units' news to each other, each in
   proportion to the leaders' information sharing (seed 000 5.4.1).

At the sales-to-delivery handoff the account's information survives with a fidelity raised
by a transfer meeting and by user stories (seed 003).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.model.phases.leadership import meeting_due
from sim.model.sampling import bernoulli_indices
from sim.vocabulary import DELIVERY, SALES, UNIT_PAIRS

if TYPE_CHECKING:
    from sim.model.world import World

ORDERED_PAIRS = tuple((u, v, k) for k, (a, b) in enumerate(UNIT_PAIRS) for (u, v) in ((a, b), (b, a)))
_SRC = np.array([u for u, _, _ in ORDERED_PAIRS])
_DST = np.array([v for _, v, _ in ORDERED_PAIRS])
_PAIR = np.array([k for _, _, k in ORDERED_PAIRS])


def diffusion_phase(world: World) -> None:
    """Customers bring news to one contact; news spreads between people and units.

    All six directed unit pairs of every account team are checked at once, as (accounts x 6)
    arrays; only the pairs where one member knows something the other side lacks are drawn, so
    the phase costs a few dozen array operations whatever the size of the company. It works on
    views of the account arrays (rows in use), with accounts outside the journey masked out.
    """
    acc, w, rng = world.accounts, world.workforce, world.rng
    ip = world.params.information
    t = world.week
    n = acc.n
    active = acc.in_journey()[:n]
    if not active.any():
        return
    _customer_news(world, active, t)

    team, known, pool = acc.team[:n], acc.known[:n], acc.pool[:n]  # views: updates land in place
    sharing = world.unit_trait("information_sharing")
    culture = ip.culture_floor + (1.0 - ip.culture_floor) * world.seat_trait("information_sharing")
    # Each (account, directed unit pair) passes news with probability p <= p_top. Candidates are
    # drawn at p_top and accepted with p / p_top (thinning): the same draws in distribution as
    # testing every pair, at a fraction of the cost when most pairs have nothing to pass on.
    p_top = ip.peer_share_rate * float(culture.max()) * float(w.engagement.max())
    flat = bernoulli_indices(rng, n * len(ORDERED_PAIRS), p_top)
    r, j = np.divmod(flat, len(ORDERED_PAIRS))
    stamp = known[r, _SRC[j]]
    ahead = np.flatnonzero(stamp > np.maximum(known[r, _DST[j]], pool[r, _DST[j]]))  # the selective test first
    r, j, stamp = r[ahead], j[ahead], stamp[ahead]
    u, v = _SRC[j], _DST[j]
    seat = team[r, u]
    pending = np.flatnonzero(active[r] & (seat >= 0) & w.filled[np.maximum(seat, 0)])
    r, j, u, v, seat, stamp = r[pending], j[pending], u[pending], v[pending], seat[pending], stamp[pending]
    q = ip.peer_share_rate * w.engagement[seat] * culture[seat]
    direct = acc.tied[r, _PAIR[j]] & (team[r, v] >= 0)
    ok = rng.random(r.size) * p_top < q * np.where(direct, 1.0, w.route_weight[seat, v])
    r, v, news, direct = r[ok], v[ok], stamp[ok], direct[ok]
    np.maximum.at(known, (r[direct], v[direct]), news[direct])
    np.maximum.at(pool, (r[~direct], v[~direct]), news[~direct])
    reached = int(r.size)
    delay = float((t - news).sum())

    if meeting_due(t, world.config.organization.meeting_every_weeks):
        r2, d2 = _meetings(world, active, team, known, pool, sharing, t)
        reached += r2
        delay += d2
    world.step_stats["news_reached"] = reached
    world.step_stats["news_delay_sum"] = delay


def _customer_news(world: World, active: np.ndarray, t: int) -> None:
    """Customers tell one of their contacts something new (a new need, a change on their side)."""
    acc, rng = world.accounts, world.rng
    tells = bernoulli_indices(rng, active.size, world.params.information.news_rate)
    tells = tells[active[tells]]
    if not tells.size:
        return
    team = acc.team[tells]
    members = team >= 0
    # pick uniformly among the account's existing contacts
    order = rng.random(team.shape) * members
    unit = order.argmax(axis=1)
    acc.news[tells] = t
    acc.known[tells, unit] = t


def _meetings(
    world: World,
    active: np.ndarray,
    team: np.ndarray,
    known: np.ndarray,
    pool: np.ndarray,
    sharing: np.ndarray,
    t: int,
) -> tuple[int, float]:
    """Team meetings pool and share customer news; leaders exchange news between units (in place).

    Accounts outside the journey are left as they are.
    """
    rng = world.rng
    ip = world.params.information
    n = known.shape[0]
    share = ip.meeting_share * sharing  # per unit
    # only entries where something would change are drawn (the same in distribution)
    r, u = np.nonzero((known > pool) & active[:, None])
    heard = rng.random(r.size) < share[u]
    r, u = r[heard], u[heard]
    arrived = [t - known[r, u]]
    pool[r, u] = known[r, u]
    # executive meeting: unit u's news reaches unit v with the two leaders' sharing; candidates
    # drawn at the highest pair's probability, then thinned to each pair's own
    reach = ip.executive_share * sharing[_SRC] * sharing[_DST]  # per ordered unit pair
    top = float(reach.max())
    flat = bernoulli_indices(rng, n * len(ORDERED_PAIRS), top)
    r, k = np.divmod(flat, len(ORDERED_PAIRS))
    keep = active[r] & (rng.random(flat.size) * top < reach[k])
    r, src, dst = r[keep], _SRC[k[keep]], _DST[k[keep]]
    news = pool[r, src]  # from the pools as they were before the exchange
    better = news > pool[r, dst]
    arrived.append(t - news[better])
    np.maximum.at(pool, (r[better], dst[better]), news[better])
    r, u = np.nonzero((pool > known) & (team >= 0) & active[:, None])
    told = rng.random(r.size) < share[u]
    r, u = r[told], u[told]
    arrived.append(t - pool[r, u])
    known[r, u] = pool[r, u]
    delays = np.concatenate(arrived)
    return int(delays.size), float(delays.sum())


def handoff(world: World, rows: np.ndarray) -> None:
    """Sales hands a won account to delivery: its information survives with a fidelity.

    Fidelity = base + transfer meeting gain + user stories gain (capped at 1) (seed 003:
    "a transfer meeting where sales organization transfers the project to the delivery
    organization ... user stories decrease the chance of miscommunication"). On failure the
    delivery member starts from what the delivery unit has heard, if anything.
    """
    acc, pol = world.accounts, world.config.policies
    ip = world.params.information
    fidelity = min(
        1.0,
        ip.handoff_fidelity + pol.transfer_meeting * ip.transfer_meeting_gain + pol.user_stories * ip.user_stories_gain,
    )
    kept = world.rng.random(rows.size) < fidelity
    carried = np.where(kept, acc.known[rows, SALES], acc.pool[rows, DELIVERY])
    acc.known[rows, DELIVERY] = np.maximum(carried, acc.pool[rows, DELIVERY])
    lost = acc.known[rows, DELIVERY] < acc.known[rows, SALES]  # delivery lacks what sales knew
    world.counters["handoffs"] += rows.size
    world.counters["handoffs_lost"] += int(lost.sum())
