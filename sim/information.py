"""How customer information spreads inside the company (seed 000 5.4: "how quickly does new
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
   ``q = peer_share_rate * engagement(sender) * cross_unit_discount * culture(leader)`` — one
   independent-cascade hop (Kempe, Kleinberg & Tardos 2003).
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

from sim.customers import UNIT_PAIRS
from sim.leadership import meeting_due
from sim.organisation import DELIVERY, FAR, N_UNITS, SALES

if TYPE_CHECKING:
    from sim.model import CXModel

ORDERED_PAIRS = tuple((u, v, k) for k, (a, b) in enumerate(UNIT_PAIRS) for (u, v) in ((a, b), (b, a)))


def diffusion_phase(model: CXModel) -> None:
    """Phase 5: customers bring news to one contact; news spreads between people and units."""
    acc, w, rng = model.accounts, model.workforce, model.rng
    ip = model.params.information
    t = model.steps
    rows = np.flatnonzero(acc.in_journey())
    if not rows.size:
        return
    _customer_news(model, rows, t)

    known, pool, team = acc.known, acc.pool, acc.team
    sharing = model.leader_trait_by_unit("information_sharing")
    reached, delay = 0, 0.0
    u_all = rng.random((len(ORDERED_PAIRS), rows.size))
    for i, (u, v, k) in enumerate(ORDERED_PAIRS):
        src = team[rows, u]
        has_src = src >= 0
        src = np.maximum(src, 0)
        stamp = known[rows, u]
        newer = has_src & w.filled[src] & (stamp > np.maximum(known[rows, v], pool[rows, v]))
        if not newer.any():
            continue
        q = ip.peer_share_rate * ip.cross_unit_discount * w.engagement[src] * (0.5 + 0.5 * sharing[u])
        direct = acc.tied[rows, k] & (team[rows, v] >= 0)
        hops = w.hops_to_unit[src, v]
        p = np.where(direct, q, np.where(hops >= FAR, 0.0, q / np.maximum(hops, 1)))
        ok = newer & (u_all[i] < p)
        if not ok.any():
            continue
        hit = rows[ok]
        via_peer = direct[ok]
        known[hit[via_peer], v] = stamp[ok][via_peer]
        pool[hit[~via_peer], v] = np.maximum(pool[hit[~via_peer], v], stamp[ok][~via_peer])
        reached += hit.size
        delay += float((t - stamp[ok]).sum())

    if meeting_due(t, model.spec.organization.meeting_every_weeks):
        r2, d2 = _meetings(model, rows, sharing, t)
        reached += r2
        delay += d2
    model.step_stats["news_reached"] = reached
    model.step_stats["news_delay_sum"] = delay


def _customer_news(model: CXModel, rows: np.ndarray, t: int) -> None:
    """Customers tell one of their contacts something new (a new need, a change on their side)."""
    acc, rng = model.accounts, model.rng
    tells = rows[rng.random(rows.size) < model.params.information.news_rate]
    if not tells.size:
        return
    team = acc.team[tells]
    members = team >= 0
    # pick uniformly among the account's existing contacts
    order = rng.random(team.shape) * members
    unit = order.argmax(axis=1)
    acc.news[tells] = t
    acc.known[tells, unit] = t


def _meetings(model: CXModel, rows: np.ndarray, sharing: np.ndarray, t: int) -> tuple[int, float]:
    """Team meetings pool and share customer news; leaders exchange news between units."""
    acc, rng = model.accounts, model.rng
    ip = model.params.information
    known, pool = acc.known[rows], acc.pool[rows]
    share = ip.meeting_share * sharing  # per unit
    before = np.maximum(known, pool)
    heard = rng.random(known.shape) < share[None, :]
    pool = np.where(heard, np.maximum(pool, known), pool)
    # executive meeting: each unit's pool to each other unit with the two leaders' sharing
    best = pool.copy()
    for u in range(N_UNITS):
        for v in range(N_UNITS):
            if u == v:
                continue
            p = ip.executive_share * sharing[u] * sharing[v]
            passed = rng.random(rows.size) < p
            best[:, v] = np.where(passed, np.maximum(best[:, v], pool[:, u]), best[:, v])
    pool = best
    told = rng.random(known.shape) < share[None, :]
    has_member = acc.team[rows] >= 0
    known = np.where(told & has_member, np.maximum(known, pool), known)
    acc.known[rows], acc.pool[rows] = known, pool
    after = np.maximum(known, pool)
    gained = after > before
    return int(gained.sum()), float((t - after[gained]).sum())


def handoff(model: CXModel, rows: np.ndarray) -> None:
    """Sales hands a won account to delivery: its information survives with a fidelity.

    Fidelity = base + transfer meeting gain + user stories gain (capped at 1) (seed 003:
    "a transfer meeting where sales organization transfers the project to the delivery
    organization ... user stories decrease the chance of miscommunication"). On failure the
    delivery member starts from what the delivery unit has heard, if anything.
    """
    acc, pol = model.accounts, model.spec.policies
    ip = model.params.information
    fidelity = min(
        1.0,
        ip.handoff_fidelity + pol.transfer_meeting * ip.transfer_meeting_gain + pol.user_stories * ip.user_stories_gain,
    )
    kept = model.rng.random(rows.size) < fidelity
    carried = np.where(kept, acc.known[rows, SALES], acc.pool[rows, DELIVERY])
    acc.known[rows, DELIVERY] = np.maximum(carried, acc.pool[rows, DELIVERY])
    lost_news = acc.known[rows, DELIVERY] < acc.news[rows]
    model.counters["handoffs"] += rows.size
    model.counters["handoffs_lost"] += int(lost_news.sum())
