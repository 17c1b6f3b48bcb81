"""Account teams: which seat of each unit serves an account, and what a newcomer to the team knows.

Seed 000 (participant 4): teams form along "collaborative networks". An account has one team
member per unit; portfolios (accounts per seat) are counted once a week and kept current as
accounts are assigned.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numba import njit

from sim.model.knowledge import change_member
from sim.model.knowledge import forget_seats as forget_knowledge
from sim.vocabulary import DELIVERY, N_UNITS, UNIT_PAIRS

if TYPE_CHECKING:
    from sim.model.world import World

_PAIR_A = np.array([a for a, _ in UNIT_PAIRS])
_PAIR_B = np.array([b for _, b in UNIT_PAIRS])


def portfolios(world: World) -> np.ndarray:
    """Per seat, the accounts it serves in its unit's stages; counted once per week, then kept current.

    A seat belongs to one unit, so a single count over the accounts' serving seats gives every
    unit's portfolios at once.
    """
    if world.portfolio_week != world.week:
        world.portfolio_week = world.week
        slot = world.accounts.server_seat() + 1  # slot 0 collects the accounts nobody serves
        world.portfolio_counts = np.bincount(slot, minlength=world.workforce.size + 1)[1:]
    return world.portfolio_counts


def portfolio_satisfaction(world: World, empty: float) -> np.ndarray:
    """Per seat, the mean satisfaction of the accounts it serves (``empty`` when it serves none)."""
    acc = world.accounts
    slot = acc.server_seat() + 1
    n = world.workforce.size
    counts = np.bincount(slot, minlength=n + 1)[1:]
    sums = np.bincount(slot, weights=acc.satisfaction, minlength=n + 1)[1:]
    out = np.full(n, empty)
    np.divide(sums, counts, out=out, where=counts > 0)
    return out


def random_colleagues(world: World, units: np.ndarray) -> np.ndarray:
    """A random filled seat of each given unit (-1 if the unit has nobody)."""
    w = world.workforce
    filled = np.flatnonzero(w.filled)  # seats are numbered unit by unit
    start = np.searchsorted(w.unit[filled], np.arange(N_UNITS + 1))
    first, count = start[units], np.diff(start)[units]
    pick = first + (world.rng.random(units.size) * count).astype(np.int64)
    if not filled.size:
        return np.full(units.size, -1, dtype=np.int64)
    return np.where(count > 0, filled[np.minimum(pick, filled.size - 1)], -1)


def refresh_ties(world: World, rows: np.ndarray) -> None:
    """Whether each pair of an account's team members are collaborators."""
    team = world.accounts.team[rows]
    tied = world.workforce.tied(team[:, _PAIR_A].ravel(), team[:, _PAIR_B].ravel())
    world.accounts.tied[rows] = tied.reshape(rows.size, len(UNIT_PAIRS))


def forget_seats(world: World, seats: np.ndarray) -> None:
    """New hires know none of their seat's accounts.

    Unlike a colleague who takes over an account (and brings what they heard of it while it was
    fresh, see :func:`assign_seats`), a new hire has heard nothing: they learn from the customer,
    from colleagues or at their first meeting (:func:`sim.model.knowledge.forget_seats`).
    """
    forget_knowledge(world, seats)


def assign_seats(world: World, rows: np.ndarray, unit: int, prefer_near: np.ndarray | None = None) -> None:
    """Give each account a team member in ``unit``, preferring a collaborator of ``prefer_near``.

    The unit's target portfolio is ``portfolio_headroom`` x its mean portfolio once the new
    accounts are in (for delivery at least ``projects_per_delivery_employee``, seed 003). When
    the previous team member has a collaborator in the unit whose portfolio is below the
    target, that person takes the account; otherwise a seat is drawn with probability
    proportional to its room below the target (plus ``assignment_room_floor``, so a unit at its
    target still takes accounts). A large batch (the initial customer base) is assigned in
    slices of (the unit's seats / ``assignment_slices``) accounts so that the portfolios it fills
    count for the rest of it.
    """
    if not rows.size:
        return
    w = world.workforce
    seats = world.unit_seats[unit]
    counts = portfolios(world)
    staffed = max(int(w.filled[seats].sum()), 1)
    target = max((counts[seats].sum() + rows.size) / staffed * world.params.journey.portfolio_headroom, 1.0)
    if unit == DELIVERY:
        target = max(target, world.params.journey.projects_per_delivery_employee)
    step = max(1, seats.size // world.params.journey.assignment_slices)
    acc, kn = world.accounts, world.knowledge
    nb = w.unit_neighbours[unit]
    near = np.full(rows.size, -1, dtype=np.int64) if prefer_near is None else prefer_near.astype(np.int64)
    kept = np.empty(rows.size * acc.facts, dtype=np.int64)
    n_kept = _assign(
        rows.astype(np.int64, copy=False),
        near,
        prefer_near is not None,
        unit,
        seats,
        counts,
        float(target),
        step,
        world.params.journey.assignment_room_floor,
        w.filled,
        nb.indptr,
        nb.indices,
        acc.team,
        acc.team_knows,
        acc.fact_id,
        kn.keys,
        kn.bits,
        kn.base,
        kept,
        world.rng,
    )
    kn.add_keys(kept[:n_kept])


@njit(cache=True)
def _assign(
    rows,
    near,
    prefer,
    unit,
    seats,
    counts,
    target,
    step,
    floor,
    filled,
    indptr,
    indices,
    team,
    knows,
    fact_id,
    table,
    bits,
    base,
    kept,
    rng,
):
    """The slices of :func:`assign_seats`, in order; returns how many table keys the former members keep.

    Per slice: one uniform per account draws a seat in proportion to its room (inverse CDF),
    then one per account whose previous member has collaborators in the unit picks one of them,
    who takes the account if filled and below the target; then the members change and the
    portfolios count the slice.
    """
    n_kept = 0
    for start in range(0, rows.size, step):
        stop = min(start + step, rows.size)
        room = np.empty(seats.size)
        for s in range(seats.size):
            room[s] = max(target - counts[seats[s]], 0.0) * filled[seats[s]] + floor
        cum = np.cumsum(room)
        choice = np.empty(stop - start, dtype=np.int64)
        for i in range(start, stop):
            at = min(np.searchsorted(cum, rng.random() * cum[-1], side="right"), seats.size - 1)
            choice[i - start] = seats[at]
        if prefer:
            for i in range(start, stop):
                src = near[i]
                if src < 0:
                    continue
                deg = indptr[src + 1] - indptr[src]
                if deg <= 0:
                    continue
                mate = indices[indptr[src] + np.int64(rng.random() * deg)]
                if filled[mate] and counts[mate] < target:
                    choice[i - start] = mate
        for i in range(start, stop):
            row, new = rows[i], choice[i - start]
            old = team[row, unit]
            if old != new:
                team[row, unit] = new
                n_kept = change_member(row, unit, old, new, fact_id, knows, table, bits, base, kept, n_kept)
        for i in range(start, stop):
            counts[choice[i - start]] += 1
    return n_kept
