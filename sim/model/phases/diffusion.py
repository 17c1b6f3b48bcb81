"""Phase 5, diffusion: how customer information spreads inside the company (seed 000 5.4: "how quickly does new
information about a customer disseminate within a B2B enterprise?").

An account's information is its ``information.facts_per_account`` latest facts; who holds which
is kept sparsely (:mod:`sim.model.knowledge`): the account's team as bit masks, anybody else in
a sorted table while the fact is fresh (younger than ``information.relevance_weeks``). Facts
move four ways:

1. **From the customer.** With probability ``information.news_rate`` a week the customer says
   something new to whoever serves them now: the account's team member in the unit of its
   stage, or a stand-in of that unit when the seat is vacant (seed 004: the customer tells the
   person in front of them). Touchpoints add the facts said in them (phase 3).
2. **Between collaborators** — susceptible-infected spreading, one independent-cascade trial per
   holder, tie and week (Kempe, Kleinberg & Tardos 2003): every filled seat that holds a fact
   tells each collaborator with the per-contact probability
   ``q = peer_share_rate * engagement(sender) * culture(sender)``, with
   ``culture = floor + (1 - floor) * ((1 - w) * information_sharing(team leader) + w * climate)``,
   ``floor = culture_floor``, ``w = norm_weight`` and ``climate`` the executive team's CX
   commitment, which sets the company's sharing norm (seed 000 5.4.1). A fresh fact may be told
   to anybody; an older one only matters to the account's team, so it passes only between team
   members who are collaborators (people outside the team would not keep it). More cross-unit
   ties put more of an account's team within reach of each other (Wu et al. 2004).
3. **At team meetings** (every ``organization.meeting_every_weeks``): each fresh fact that a
   member of the team holds about an account whose team they are on comes up with probability
   ``meeting_share * information_sharing(team leader)``, and then every member of the team
   hears it (seed 000 5.4.1: "timely and regular workplace information about an existing or
   new customer").
4. **At the executive meeting** (the same weeks) leaders review their units' accounts: between
   units u and v each account comes up with probability ``executive_share * sharing(u) *
   sharing(v)`` (the units' size-weighted team leaders' information sharing; seed 003: CX
   management sits in the executive team), and its member in v then learns what its member in
   u holds.

A shared customer record (``policies.shared_customer_record``) is not spreading: everyone
serving an account reads what was logged (phase 3). The sales-to-delivery handoff of every
project (:func:`handoff`) carries requirements and facts with a fidelity raised by a transfer
meeting and user stories (seed 003).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numba import njit

from sim.model.account_teams import random_colleagues
from sim.model.knowledge import fresh_holders, held_bits, learn, push_facts
from sim.model.phases.leadership import meeting_due
from sim.model.sampling import bernoulli_indices
from sim.vocabulary import DELIVERY, DELIVERY_STAGE, MAINTENANCE, PRE_PURCHASE, SALES, STAGE_UNIT, UNIT_PAIRS

if TYPE_CHECKING:
    from sim.model.world import World

#: bands of the per-contact probability in which peer trials are drawn (implementation: the draws are
#: distributed the same for any number of bands; more bands, fewer wasted candidates)
BANDS = 4
ORDERED_PAIRS = tuple((u, v, k) for k, (a, b) in enumerate(UNIT_PAIRS) for (u, v) in ((a, b), (b, a)))


def diffusion_phase(world: World) -> None:
    """Customers tell their server something new; facts spread between collaborators and at meetings.

    Every trial between collaborators and at team meetings is drawn from the holdings as they
    were after the customers spoke (a fact a person learns this week they pass on next week at
    the earliest); the executive meeting comes last and reviews what the account teams hold by then.
    """
    w, ip = world.workforce, world.params.information
    t = world.week
    world.knowledge.expire(t, ip.relevance_weeks)
    world.counters["facts_logged"] += _customer_news(world, t)
    q = ip.peer_share_rate * w.engagement * sharing_culture(world) * w.filled
    holders, in_team = fresh_holders(world)
    reached, delay = _spread_fresh(world, q, holders)
    r2, d2 = _spread_in_teams(world, q, t)
    reached, delay = reached + r2, delay + d2
    if meeting_due(t, world.config.organization.meeting_every_weeks):
        r3, d3 = _meetings(world, tuple(h[:in_team] for h in holders))
        r4, d4 = _executive_meeting(world)
        reached, delay = reached + r3 + r4, delay + d3 + d4
    world.step_stats["news_reached"] = reached
    world.step_stats["news_delay_sum"] = delay


def sharing_culture(world: World) -> np.ndarray:
    """Per seat, the sharing culture its team works in: the team leader's information sharing and the
    company's sharing norm (the executive team's CX commitment), from ``culture_floor`` up to 1."""
    ip = world.params.information
    mix = (1.0 - ip.norm_weight) * world.seat_trait("information_sharing") + ip.norm_weight * world.climate
    return ip.culture_floor + (1.0 - ip.culture_floor) * mix


def _customer_news(world: World, t: int) -> int:
    """Customers say something new to whoever serves them now; returns the facts logged."""
    acc, w = world.accounts, world.workforce
    journey = np.flatnonzero(acc.in_journey()[: acc.n])
    rows = journey[bernoulli_indices(world.rng, journey.size, world.params.information.news_rate)]
    if not rows.size:
        return 0
    unit = STAGE_UNIT[acc.stage[rows]]
    seat = acc.team[rows, unit]
    away = (seat < 0) | ~w.filled[np.maximum(seat, 0)]
    if away.any():
        seat[away] = random_colleagues(world, unit[away])
    return push_facts(world, rows, seat)


def _spread_fresh(world: World, q: np.ndarray, holders: tuple[np.ndarray, ...]) -> tuple[int, float]:
    """Every holder of a fresh fact tells each collaborator with probability q(holder) (one IC trial each).

    The (holder, tie) trials are drawn in :data:`BANDS` bands of q: each band's trials at the
    band's highest q, each success then kept with q / that top (thinning) — the same draws in
    distribution as one Bernoulli(q) per trial, at a fraction of the cost.
    """
    w = world.workforce
    ids, seats, cells = holders
    adj = w.adjacency
    j, mate = _fresh_trials(seats, q, adj.indptr, adj.indices, w.filled, world.rng)
    return learn(world, cells[j], ids[j], mate, current=True)


@njit(cache=True)
def _fresh_trials(seats, q, indptr, indices, filled, rng):
    """The trials of :func:`_spread_fresh`: the holdings (indices into ``seats``) that passed and to whom.

    Holdings are ordered by band (stably), each band's (holding, tie) trials numbered holding by
    holding; each band's successes are drawn as Bernoulli indices at its ceiling, then one
    uniform per success thins it to q; a colleague whose seat is vacant hears nothing.
    """
    n = seats.size
    qs = np.empty(n)
    deg = np.zeros(n, dtype=np.int64)
    top = 0.0
    for i in range(n):
        qs[i] = q[seats[i]]
        if qs[i] > 0:
            deg[i] = indptr[seats[i] + 1] - indptr[seats[i]]
        top = max(top, qs[i])
    if deg.sum() == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    band = np.empty(n, dtype=np.int64)
    trials = np.zeros(BANDS, dtype=np.int64)
    for i in range(n):
        band[i] = min(int(qs[i] * (BANDS / top)), BANDS - 1)
        trials[band[i]] += deg[i]
    order = np.empty(n, dtype=np.int64)  # a stable counting sort by band
    at = 0
    for b in range(BANDS):
        for i in range(n):
            if band[i] == b:
                order[at] = i
                at += 1
    ends = np.cumsum(deg[order])
    flats = []
    ceilings = np.empty(BANDS)
    first = 0
    for b in range(BANDS):
        ceilings[b] = top * (b + 1) / BANDS
        flats.append(first + bernoulli_indices(rng, trials[b], ceilings[b]))
        first += trials[b]
    hits = 0
    for f in flats:
        hits += f.size
    u = np.empty(hits)
    for i in range(hits):
        u[i] = rng.random()
    passed = np.empty(hits, dtype=np.int64)
    mates = np.empty(hits, dtype=np.int64)
    out = 0
    h = 0
    for b in range(BANDS):
        for flat in flats[b]:
            k = np.searchsorted(ends, flat, side="right")  # the holding of this trial
            holder = order[k]
            mate = indices[indptr[seats[holder]] + flat - (ends[k] - deg[holder])]
            if u[h] * ceilings[b] < qs[holder] and filled[mate]:
                passed[out] = holder
                mates[out] = mate
                out += 1
            h += 1
    return passed[:out], mates[:out]


def _spread_in_teams(world: World, q: np.ndarray, t: int) -> tuple[int, float]:
    """Facts that are no longer fresh pass between the account's team members who are collaborators: each
    such fact the member in unit u holds and the member in v lacks passes with probability q(u's member)."""
    acc, w = world.accounts, world.workforce
    cells, seats = _team_trials(
        acc.n,
        acc.stage,
        acc.fact_id,
        acc.fact_week,
        t - world.params.information.relevance_weeks,
        acc.team,
        acc.team_knows,
        acc.tied,
        w.filled,
        q,
        world.rng,
    )
    return learn(world, cells, acc.fact_id.reshape(-1)[cells], seats)


@njit(cache=True)
def _team_trials(n, stage, fact_id, fact_week, old_by, team, knows, tied, filled, q, rng):
    """The trials of :func:`_spread_in_teams`, pair by pair (:data:`ORDERED_PAIRS`), account by account,
    slot by slot, all from the bits as they were before: the cells that passed and the seats they reach."""
    k = fact_id.shape[1]
    rows = np.empty(n, dtype=np.int64)
    old = np.empty(n, dtype=np.uint16)
    m = 0
    for row in range(n):
        if stage[row] < PRE_PURCHASE or stage[row] > MAINTENANCE:
            continue
        if not (tied[row, 0] or tied[row, 1] or tied[row, 2]):
            continue
        bits = 0
        for slot in range(k):
            if fact_id[row, slot] >= 0 and fact_week[row, slot] <= old_by:
                bits |= 1 << slot
        rows[m] = row
        old[m] = bits
        m += 1
    cells = np.empty(m * len(ORDERED_PAIRS) * k, dtype=np.int64)
    seats = np.empty(cells.size, dtype=np.int64)
    out = 0
    for u, v, pair in ORDERED_PAIRS:
        for i in range(m):
            row = rows[i]
            pending = knows[row, u] & ~knows[row, v] & old[i]
            if pending == 0 or not tied[row, pair]:
                continue
            src, dst = team[row, u], team[row, v]
            if not (filled[src] and filled[dst]):
                continue
            for slot in range(k):
                if (pending >> slot) & 1 and rng.random() < q[src]:
                    cells[out] = row * k + slot
                    seats[out] = dst
                    out += 1
    return cells[:out], seats[:out]


def _meetings(world: World, holders: tuple[np.ndarray, ...]) -> tuple[int, float]:
    """Team meetings pass the fresh facts of the team's accounts to every member of the team.
    ``holders``: the account teams' holdings of fresh facts after the customers spoke."""
    w = world.workforce
    ids, seats, cells = holders
    start = np.searchsorted(w.team, np.arange(w.teams))  # a team's seats are one block
    chance = world.params.information.meeting_share * world.traits["information_sharing"]
    cells, ids, members = _meeting_facts(ids, seats, cells, w.team, w.filled, start, world.team_size, chance, world.rng)
    return learn(world, cells, ids, members)


@njit(cache=True)
def _meeting_facts(ids, seats, cells, team, filled, start, size, chance, rng):
    """The facts of :func:`_meetings` and who hears them: each distinct (fact, team of a filled holder)
    in order of ``fact id * teams + team`` comes up with probability ``chance[team]`` (one uniform
    each, in that order), and then every filled seat of the team hears it."""
    teams = size.size
    keys = np.empty(ids.size, dtype=np.int64)
    cell_of = np.empty(ids.size, dtype=np.int64)
    n = 0
    for i in range(ids.size):
        if filled[seats[i]]:
            keys[n] = ids[i] * teams + team[seats[i]]
            cell_of[n] = cells[i]
            n += 1
    order = np.argsort(keys[:n])  # any holder of a fact names its cell
    heard = 0
    for i in range(n):
        if i == 0 or keys[order[i]] != keys[order[i - 1]]:
            heard += size[keys[order[i]] % teams]
    out_cells = np.empty(heard, dtype=np.int64)
    out_ids = np.empty(heard, dtype=np.int64)
    out_seats = np.empty(heard, dtype=np.int64)
    out = 0
    for i in range(n):
        key = keys[order[i]]
        if i > 0 and key == keys[order[i - 1]]:
            continue
        t = key % teams
        if not rng.random() < chance[t]:
            continue
        for seat in range(start[t], start[t] + size[t]):
            if filled[seat]:
                out_cells[out], out_ids[out], out_seats[out] = cell_of[order[i]], key // teams, seat
                out += 1
    return out_cells[:out], out_ids[:out], out_seats[:out]


def _executive_meeting(world: World) -> tuple[int, float]:
    """Leaders review their units' accounts: between units u and v each account comes up with probability
    ``executive_share * sharing(u) * sharing(v)``, and then its member in v learns every fact its member
    in u holds and v lacks. All pairs are drawn from the bits as they were before the meeting."""
    acc, w, rng = world.accounts, world.workforce, world.rng
    sharing = world.unit_trait("information_sharing")
    share = world.params.information.executive_share
    journey = np.flatnonzero(acc.in_journey()[: acc.n])
    drawn = [
        journey[bernoulli_indices(rng, journey.size, share * sharing[u] * sharing[v])] for u, v, _ in ORDERED_PAIRS
    ]
    ends = np.cumsum([d.size for d in drawn])
    cells, seats = _executive_review(np.concatenate(drawn), ends, acc.team, acc.team_knows, w.filled, acc.facts)
    return learn(world, cells, acc.fact_id.reshape(-1)[cells], seats)


@njit(cache=True)
def _executive_review(rows, ends, team, knows, filled, k):
    """The facts of :func:`_executive_meeting`: for the accounts drawn for each ordered pair (``rows`` up to
    ``ends[p]``), every fact its member in u holds and its member in v lacks, and v's member's seat."""
    cells = np.empty(rows.size * k, dtype=np.int64)
    seats = np.empty(cells.size, dtype=np.int64)
    out = 0
    i = 0
    for p in range(len(ORDERED_PAIRS)):
        u, v = ORDERED_PAIRS[p][0], ORDERED_PAIRS[p][1]
        while i < ends[p]:
            row = rows[i]
            i += 1
            pending = knows[row, u] & ~knows[row, v]
            src, dst = team[row, u], team[row, v]
            if pending == 0 or src < 0 or dst < 0 or not (filled[src] and filled[dst]):
                continue
            for slot in range(k):
                if (pending >> slot) & 1:
                    cells[out] = row * k + slot
                    seats[out] = dst
                    out += 1
    return cells[:out], seats[:out]


def handoff(world: World, rows: np.ndarray, *, count: bool = True) -> None:
    """Sales promises a project and hands it to delivery: requirements and facts cross with a fidelity.

    At every project start — a won deal or a repeat project of a maintenance customer — the
    account's salesperson (a stand-in if the seat is vacant) agrees ``requirements_per_project``
    requirements with the customer. Each is over-promised with probability
    ``overpromise_rate * (1 - skill)``, so a licence to sell (more skill) promises closer to what
    delivery can do (seed 003), and the account's delivery expectation is set to its segment's
    expectation plus ``overpromise_lift`` per over-promised requirement: the promise sets what
    the account expects from delivery (seed 003: "the forwarded message should typify the
    upcoming events in later phases"). Each requirement then reaches delivery with the fidelity

        phi = min(1, handoff_fidelity + transfer_meeting * transfer_meeting_gain
                     + user_stories * user_stories_gain)

    (seed 003: "a transfer meeting where sales organization transfers the project to the
    delivery organization ... user stories ... decrease the chance of miscommunication"), and so
    does each fact the salesperson holds (to the account's delivery team member). A requirement
    lost or over-promised is **missing** for the project's whole life: it raises the chance of
    delivery failures (rework) and lowers what delivery delivers (phase 3).
    """
    acc, w, rng = world.accounts, world.workforce, world.rng
    if not rows.size:
        return
    ip, pol = world.params.information, world.config.policies
    phi = min(
        1.0,
        ip.handoff_fidelity + pol.transfer_meeting * ip.transfer_meeting_gain + pol.user_stories * ip.user_stories_gain,
    )
    seller = acc.team[rows, SALES]
    away = (seller < 0) | ~w.filled[np.maximum(seller, 0)]
    if away.any():
        seller[away] = random_colleagues(world, np.full(int(away.sum()), SALES))
    skill = np.where(seller >= 0, w.skill[np.maximum(seller, 0)], 0.0)
    draws = rng.random((rows.size, ip.requirements_per_project, 2))  # per requirement: over-promised, lost
    over = draws[:, :, 0] < (ip.overpromise_rate * (1.0 - skill))[:, None]
    lost = draws[:, :, 1] >= phi
    acc.req_missing[rows] = (over | lost).sum(axis=1)
    n_over = over.sum(axis=1)
    promised = world.segment_expectation[acc.segment[rows]] + ip.overpromise_lift * n_over
    acc.expectation[rows, DELIVERY_STAGE] = np.minimum(1.0, promised)
    # what the salesperson knows of the customer crosses with the same fidelity
    has = held_bits(acc.team_knows[rows, SALES], acc.facts) & ~away[:, None]
    carried = has & (rng.random(has.shape) < phi)
    r, slot = np.nonzero(carried)
    cell = rows[r] * acc.facts + slot
    learn(world, cell, acc.fact_id.reshape(-1)[cell], acc.team[rows[r], DELIVERY].astype(np.int64))
    if count:
        c = world.counters
        c["handoffs"] += rows.size
        c["handoffs_lost"] += int(lost.any(axis=1).sum())
        c["requirements"] += lost.size
        c["requirements_lost"] += int(lost.sum())
        c["requirements_overpromised"] += int(over.sum())
