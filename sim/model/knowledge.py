"""Customer knowledge: each account's latest facts and who holds them (seed 000 5.4, seed 004).

An account's information is a small set of **facts**: the ``information.facts_per_account`` (K)
latest things the customer said, each with the week it was said. They are a ring of K slots in
the account store (``fact_id``, ``fact_week``, ``fact_logged``); the account has said
``fact_count`` facts so far and the next one goes to slot ``fact_count mod K``, superseding the
oldest. Every fact has a global id, numbered in the order facts arise.

Who holds a fact is stored sparsely, never as an employees x accounts matrix (10⁹ cells at
10,000 x 100,000):

* the account's **team** (one seat per unit) holds the account's facts as one bit mask per unit,
  ``team_knows`` (bit k set: the member holds the fact in slot k). A member keeps a fact until
  newer facts supersede it;
* anybody else — a colleague who heard it, a stand-in who served the customer — is an entry
  ``(fact id << bits) | seat`` of the sorted table :attr:`Knowledge.keys`, and only while the fact
  is **fresh** (younger than ``information.relevance_weeks``). The table thus stays proportional
  to the facts in flight.

:class:`Knowledge` also keeps the registry of fresh facts (account, slot and week of every id
from :attr:`Knowledge.base` on), through which a table entry finds its account. A shared customer
record (``policies.shared_customer_record``, seed 000 5.4.3) is the flag ``fact_logged``: a logged
fact is readable by everyone serving the account.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numba import njit

from sim.model.grouping import run_starts, unique_values
from sim.vocabulary import MAINTENANCE, N_UNITS, NEVER, PRE_PURCHASE

if TYPE_CHECKING:
    from sim.model.world import World


class Knowledge:
    """The registry of fresh facts and the sparse table of who, outside the account teams, holds them.

    Attributes:
        seats: the number of seats; ``bits`` the bits a seat takes in a table key
            (``(fact id << bits) | seat``: shifts and masks pack and unpack it).
        keys: sorted unique keys of the holders outside the account's team.
        base: the first fact id still in the registry (older facts are no longer fresh).
        next_id: the id the next fact gets.
        cell, week: per registered fact (index id - base), its place in the account store's fact
            columns (``row * K + slot``) and the week it was said.
    """

    def __init__(self, seats: int) -> None:
        self.seats = seats
        self.bits = max(1, int(seats - 1).bit_length())
        self.mask = (1 << self.bits) - 1
        self._keys = np.zeros(0, dtype=np.int64)
        self._pending: list[np.ndarray] = []  # keys added since the table was last sorted
        self.base = 0
        self.next_id = 0
        self.cell = np.zeros(0, dtype=np.int64)
        self.week = np.zeros(0, dtype=np.int64)

    def register(self, cells: np.ndarray, weeks: np.ndarray | int) -> np.ndarray:
        """Ids for new facts in fact cells ``cells`` (``row * K + slot``), said in ``weeks`` (in order: no
        earlier than any fact registered before)."""
        ids = np.arange(self.next_id, self.next_id + cells.size, dtype=np.int64)
        self.next_id += cells.size
        self.cell = np.concatenate([self.cell, cells.astype(np.int64)])
        self.week = np.concatenate([self.week, np.broadcast_to(np.asarray(weeks, dtype=np.int64), cells.shape)])
        return ids

    def expire(self, week: int, lifetime: int) -> None:
        """Facts said ``lifetime`` or more weeks before ``week`` are no longer fresh: out of the registry,
        and their holders outside the account teams forget them."""
        old = int(np.searchsorted(self.week, week - lifetime, side="right"))  # weeks never decrease
        if old:
            self.base += old
            self.cell, self.week = self.cell[old:], self.week[old:]
        keys = self.keys
        cut = int(np.searchsorted(keys, self.base << self.bits))
        if cut:
            self.keys = keys[cut:]

    def holds(self, ids: np.ndarray, seats: np.ndarray) -> np.ndarray:
        """Whether each seat holds the fact outside its account team (vectorised; False for id -1)."""
        table = self.keys
        if not table.size:
            return np.zeros(np.broadcast(ids, seats).shape, dtype=bool)
        keys = (ids << self.bits) | seats
        pos = np.minimum(np.searchsorted(table, keys), table.size - 1)
        return (table[pos] == keys) & (ids >= self.base)

    @property
    def keys(self) -> np.ndarray:
        """The sorted unique table (keys added since the last look are merged in first)."""
        if self._pending:
            new = np.concatenate(self._pending)
            new.sort()
            merged = np.concatenate([self._keys, new])
            merged.sort(kind="stable")  # two sorted runs: a merge
            self._keys = merged[run_starts(merged)]
            self._pending.clear()
        return self._keys

    @keys.setter
    def keys(self, value: np.ndarray) -> None:
        self._keys = value
        self._pending.clear()

    def add(self, ids: np.ndarray, seats: np.ndarray) -> None:
        """Seats hold fresh facts outside their account teams (pairs already held stay once)."""
        if ids.size:
            self._pending.append((ids << self.bits) | seats)

    def add_keys(self, keys: np.ndarray) -> None:
        """Holdings given as table keys ``(fact id << bits) | seat`` (pairs already held stay once)."""
        if keys.size:
            self._pending.append(keys)

    def drop_seats(self, seats: np.ndarray) -> None:
        """Everything the people in ``seats`` held outside their account teams is gone."""
        table = self.keys
        if table.size and seats.size:
            gone = np.zeros(self.seats, dtype=bool)
            gone[seats] = True
            self.keys = table[~gone[table & self.mask]]


def slot_bit(slots: np.ndarray) -> np.ndarray:
    """The ``team_knows`` bit of each ring slot."""
    return np.left_shift(np.uint16(1), slots.astype(np.uint16))


def held_bits(masks: np.ndarray, facts: int) -> np.ndarray:
    """(n, K) booleans from n bit masks: whether bit k is set."""
    return ((masks[:, None] >> np.arange(facts, dtype=np.uint16)) & np.uint16(1)).astype(bool)


def bits_of(flags: np.ndarray) -> np.ndarray:
    """n bit masks from (n, K) booleans."""
    return (flags.astype(np.uint16) << np.arange(flags.shape[1], dtype=np.uint16)).sum(axis=1).astype(np.uint16)


def fresh_holders(world: World) -> tuple[tuple[np.ndarray, np.ndarray, np.ndarray], int]:
    """Fact id, holder seat and fact cell of every holding of a fresh fact of an account in the journey,
    and how many of them (the first ones) are the account teams' own.

    The account's team members come first (from their bits), then everybody else (the table,
    which is cleared on the way of facts superseded since, of accounts that left the journey,
    and of entries of people who have since joined the account's team).
    """
    acc, kn = world.accounts, world.knowledge
    ids, seats, cells, in_team, ok = _fresh_holders(
        kn.base,
        kn.cell,
        kn.keys,
        kn.bits,
        acc.fact_id.reshape(-1),
        acc.stage,
        acc.team.reshape(-1),
        acc.team_knows.reshape(-1),
        world.workforce.unit,
        acc.facts,
    )
    kn.keys = kn.keys[ok]
    return (ids, seats, cells), in_team


@njit(cache=True)
def _fresh_holders(base, registry, table, bits, fact_id, stage, team, knows, unit, k):
    """The holdings of :func:`fresh_holders`, unit by unit in fact order, then the table's; and which
    table entries stay."""
    live = np.empty(registry.size, dtype=np.int64)
    n_live = 0
    for i in range(registry.size):
        cell = registry[i]
        row_stage = stage[cell // k]
        if fact_id[cell] == base + i and PRE_PURCHASE <= row_stage <= MAINTENANCE:
            live[n_live] = i
            n_live += 1
    size = n_live * N_UNITS + table.size
    ids = np.empty(size, dtype=np.int64)
    seats = np.empty(size, dtype=np.int64)
    cells = np.empty(size, dtype=np.int64)
    out = 0
    for u in range(N_UNITS):
        for j in range(n_live):
            i = live[j]
            cell = registry[i]
            at = (cell // k) * N_UNITS + u
            seat = team[at]
            if seat >= 0 and knows[at] & (1 << (cell % k)) != 0:
                ids[out], seats[out], cells[out] = base + i, seat, cell
                out += 1
    in_team = out
    mask = (1 << bits) - 1
    ok = np.zeros(table.size, dtype=np.bool_)
    for e in range(table.size):
        fact, seat = table[e] >> bits, table[e] & mask
        cell = registry[fact - base]
        row_stage = stage[cell // k]
        if fact_id[cell] != fact or not PRE_PURCHASE <= row_stage <= MAINTENANCE:
            continue
        if team[(cell // k) * N_UNITS + unit[seat]] == seat:
            continue
        ok[e] = True
        ids[out], seats[out], cells[out] = fact, seat, cell
        out += 1
    return ids[:out], seats[:out], cells[:out], in_team, ok


def learn(
    world: World, cells: np.ndarray, ids: np.ndarray, seats: np.ndarray, *, current: bool = False
) -> tuple[int, float]:
    """Seats learn facts: a member of the account's team sets its bit, anybody else holds a fresh fact.

    ``cells`` are the facts' places in the account store (``row * K + slot``). A fact superseded
    in the meantime, a seat of -1 or a fact that is no longer fresh for a non-member is not
    learned (``current``: the caller knows the facts are current and the seats real). Returns how
    many facts newly reached a member of their account's team (the people who serve the
    customer) and the sum of those facts' ages (weeks).
    """
    if not cells.size:
        return 0, 0.0
    acc, kn = world.accounts, world.knowledge
    others = np.empty(cells.size, dtype=np.int64)
    n_other, reached, age = _learn(
        cells.astype(np.int64, copy=False),
        ids.astype(np.int64, copy=False),
        seats.astype(np.int64, copy=False),
        current,
        acc.fact_id.reshape(-1),
        acc.fact_week.reshape(-1),
        acc.team.reshape(-1),
        acc.team_knows.reshape(-1),
        world.workforce.unit,
        acc.facts,
        kn.base,
        kn.bits,
        world.week,
        others,
    )
    if n_other:
        kn.add_keys(others[:n_other])
    return reached, float(age)


@njit(cache=True)
def _learn(cells, ids, seats, current, fact_id, fact_week, team, knows, unit, k, base, bits, week, others):
    """The loop of :func:`learn`, in order: a team bit is set (and counted) once, however often it is heard."""
    n_other = 0
    reached = 0
    age = 0
    for i in range(cells.size):
        cell, seat, fact = cells[i], seats[i], ids[i]
        if not current and (seat < 0 or fact_id[cell] != fact):
            continue
        at = (cell // k) * N_UNITS + unit[seat]
        if team[at] == seat:
            bit = np.uint16(1 << (cell % k))
            if knows[at] & bit == 0:
                knows[at] |= bit
                reached += 1
                age += week - fact_week[cell]
        elif fact >= base:
            others[n_other] = (fact << bits) | seat
            n_other += 1
    return n_other, reached, age


def set_bits(masks: np.ndarray, at: np.ndarray, bits: np.ndarray) -> None:
    """``masks[at] |= bits`` where ``at`` is sorted and may repeat (bits of one place combined first)."""
    if at.size:
        first = np.flatnonzero(run_starts(at))
        masks[at[first]] |= np.bitwise_or.reduceat(bits, first)


def clear_bits(masks: np.ndarray, at: np.ndarray, bits: np.ndarray) -> None:
    """``masks[at] &= ~bits`` where ``at`` is sorted and may repeat."""
    if at.size:
        first = np.flatnonzero(run_starts(at))
        masks[at[first]] &= ~np.bitwise_or.reduceat(bits, first)


def push_facts(world: World, rows: np.ndarray, holders: np.ndarray) -> int:
    """The customers of ``rows`` (sorted, in the order they spoke) each say a new fact, heard by ``holders``.

    Each fact takes its account's next ring slot, superseding the oldest fact there (and every
    team member's bit for it); the seat that heard it holds it (-1: nobody). With a shared
    customer record the hearer logs it with probability ``information.logging_share``. Returns
    the number of facts logged.
    """
    acc, kn = world.accounts, world.knowledge
    if not rows.size:
        return 0
    keep, cells = _ring_slots(rows.astype(np.int64, copy=False), acc.fact_count, acc.team_knows, acc.facts)
    rows, holders = rows[keep], holders[keep]
    ids = kn.register(cells, world.week)
    acc.fact_id.reshape(-1)[cells] = ids
    acc.fact_week.reshape(-1)[cells] = world.week
    logged = 0
    if world.config.policies.shared_customer_record:
        log = (holders >= 0) & (world.rng.random(rows.size) < world.params.information.logging_share)
        acc.fact_logged.reshape(-1)[cells] = log
        logged = int(log.sum())
    else:
        acc.fact_logged.reshape(-1)[cells] = False
    learn(world, cells, ids, holders)
    return logged


@njit(cache=True)
def _ring_slots(rows, fact_count, knows, k):
    """The ring slots of :func:`push_facts`: per account run of ``rows`` (sorted), its last K facts take
    the next slots; every team member's bit for them is cleared and the account's fact count raised.
    Returns which rows are kept and the kept facts' cells."""
    keep = np.zeros(rows.size, dtype=np.bool_)
    cells = np.empty(rows.size, dtype=np.int64)
    out = 0
    start = 0
    while start < rows.size:
        row = rows[start]
        end = start
        while end < rows.size and rows[end] == row:
            end += 1
        first = max(start, end - k)  # more than K facts at once: the last K remain
        for i in range(first, end):
            slot = (fact_count[row] + i - start) % k
            keep[i] = True
            cells[out] = row * k + slot
            out += 1
            for u in range(knows.shape[1]):
                knows[row, u] &= ~np.uint16(1 << slot)
        fact_count[row] += end - start
        start = end
    return keep, cells[:out]


def log_facts(world: World, cells: np.ndarray) -> int:
    """With a shared record, a person who hears a fact from the customer logs it with ``logging_share``."""
    if not world.config.policies.shared_customer_record or not cells.size:
        return 0
    logged = world.accounts.fact_logged.reshape(-1)
    log = (world.rng.random(cells.size) < world.params.information.logging_share) & ~logged[cells]
    logged[cells[log]] = True
    return int(unique_values(cells[log]).size)


def missing_facts(
    world: World, rows: np.ndarray, seats: np.ndarray, units: np.ndarray, own: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """How many of the accounts' current facts the serving seats lack, per touchpoint.

    The account's own team member knows what its bits say; anybody else (a stand-in) what it
    holds as a colleague. With a shared customer record everybody serving the account also
    reads what was logged. Empty slots count as known (there is nothing to miss). Returns how
    many are missing, the age of the oldest missing one
    (weeks, capped at ``information.info_age_cap_weeks``; 0 when none is missing) and the slot of
    the newest missing one (-1 when none is).
    """
    acc = world.accounts
    kn = world.knowledge
    return _missing_facts(
        rows.astype(np.int64, copy=False),
        seats.astype(np.int64, copy=False),
        units.astype(np.int64, copy=False),
        own,
        acc.fact_id,
        acc.fact_week,
        acc.fact_logged,
        acc.team_knows,
        kn.keys,
        kn.bits,
        kn.base,
        world.config.policies.shared_customer_record,
        world.week,
        float(world.params.information.info_age_cap_weeks),
    )


@njit(cache=True)
def _missing_facts(rows, seats, units, own, fact_id, fact_week, logged, knows, table, bits, base, shared, week, cap):
    """The loop of :func:`missing_facts`, one touchpoint at a time."""
    n, k = rows.size, fact_id.shape[1]
    n_missing = np.zeros(n, dtype=np.int64)
    info_age = np.zeros(n)
    newest = np.full(n, -1, dtype=np.int64)
    for i in range(n):
        row = rows[i]
        mask = knows[row, units[i]] if own[i] else 0
        oldest = week
        newest_week = NEVER  # before any fact (as the slots nobody filled)
        for slot in range(k):
            fact = fact_id[row, slot]
            if fact < 0 or (mask >> slot) & 1 or (shared and logged[row, slot]):
                continue
            if not own[i] and fact >= base and table.size:
                key = (fact << bits) | seats[i]
                pos = min(np.searchsorted(table, key), table.size - 1)
                if table[pos] == key:
                    continue
            n_missing[i] += 1
            said = fact_week[row, slot]
            oldest = min(oldest, said)
            if said > newest_week:  # the first of equally new ones
                newest_week = said
                newest[i] = slot
        if n_missing[i]:
            info_age[i] = min(week - oldest, cap)
    return n_missing, info_age, newest


@njit(cache=True)
def change_member(row, unit, old, new, fact_id, knows, table, bits, base, kept, n_kept):
    """The account team's member of ``row`` in ``unit`` changes from seat ``old`` to ``new`` (-1: none).

    The former member keeps the fresh facts as a colleague (their table keys are written to
    ``kept`` from ``n_kept`` on; returns the new count); the new one brings what they heard
    while it was fresh (their table entries, looked up in the sorted ``table``, become team
    bits; the entries themselves are cleared on the next pass over the table), and nothing else.
    """
    mask = knows[row, unit]
    bits_now = np.uint16(0)
    for slot in range(fact_id.shape[1]):
        fact = fact_id[row, slot]
        if fact < base:  # an empty slot or a fact no longer fresh
            continue
        if old >= 0 and (mask >> slot) & 1:
            kept[n_kept] = (fact << bits) | old
            n_kept += 1
        if new >= 0 and table.size:
            key = (fact << bits) | new
            pos = min(np.searchsorted(table, key), table.size - 1)
            if table[pos] == key:
                bits_now |= np.uint16(1 << slot)
    knows[row, unit] = bits_now
    return n_kept


def forget_seats(world: World, seats: np.ndarray) -> None:
    """The people now in ``seats`` know none of their accounts: team bits and table entries are cleared."""
    is_new = np.zeros(world.workforce.size, dtype=bool)
    is_new[seats] = True
    acc = world.accounts
    team = acc.team[: acc.n]
    gone = (team >= 0) & is_new[np.maximum(team, 0)]
    acc.team_knows[: acc.n][gone] = 0
    world.knowledge.drop_seats(seats)
