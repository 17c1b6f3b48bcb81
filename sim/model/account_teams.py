"""Account teams: which seat of each unit serves an account, and what a newcomer to the team knows.

Seed 000 (participant 4): teams form along "collaborative networks". An account has one team
member per unit; portfolios (accounts per seat) are counted once a week and kept current as
accounts are assigned.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.model.knowledge import change_members
from sim.model.knowledge import forget_seats as forget_knowledge
from sim.model.sampling import draw_weighted
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
    for start in range(0, rows.size, step):
        part = slice(start, start + step)
        near = prefer_near[part] if prefer_near is not None else None
        _assign_slice(world, rows[part], unit, seats, counts, target, near)


def _assign_slice(
    world: World,
    rows: np.ndarray,
    unit: int,
    seats: np.ndarray,
    counts: np.ndarray,
    target: float,
    prefer_near: np.ndarray | None,
) -> None:
    acc, w, rng = world.accounts, world.workforce, world.rng
    room = np.maximum(target - counts[seats], 0.0) * w.filled[seats] + world.params.journey.assignment_room_floor
    choice = seats[draw_weighted(rng, room, rows.size)]
    if prefer_near is not None:
        nb = w.unit_neighbours[unit]
        src = np.maximum(prefer_near, 0)
        deg = (nb.indptr[src + 1] - nb.indptr[src]) * (prefer_near >= 0)
        has = deg > 0
        if has.any():
            off = (rng.random(int(has.sum())) * deg[has]).astype(np.int64)
            mate = nb.indices[nb.indptr[src[has]] + off]
            ok = w.filled[mate] & (counts[mate] < target)
            pick = choice[has]
            pick[ok] = mate[ok]
            choice[has] = pick
    previous = acc.team[rows, unit]
    changed = previous != choice
    acc.team[rows, unit] = choice
    # a new team member knows what they heard while it was fresh, not what the previous one knew
    change_members(world, rows[changed], unit, previous[changed], choice[changed])
    np.add.at(counts, choice, 1)
