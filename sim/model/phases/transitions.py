"""Phase 6, transitions: prospects arrive and convert, deals are won or lost, projects start and end.

The stages and their order are seed 003's customer journey; conversion and winning rise with
the experience so far (Lemon & Verhoef 2016: experience in earlier stages carries into later
ones) and conversion with the company's reputation (word of mouth, Bass 1969).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.model.account_teams import assign_seats, refresh_ties
from sim.model.complaints import close_complaints
from sim.model.phases.diffusion import handoff
from sim.model.phases.word_of_mouth import bass_arrivals
from sim.model.sampling import draw_weighted
from sim.vocabulary import DELIVERY, DELIVERY_STAGE, LOST, MAINTENANCE, PRE_PURCHASE, PURCHASE, SALES, SUPPORT

if TYPE_CHECKING:
    from sim.model.world import World


def add_prospects(world: World, k: int, segments: np.ndarray | None = None) -> np.ndarray:
    """New prospects enter pre-purchase with a sales contact.

    ``segments`` gives each one's segment (the market's arrivals); without it they are drawn in
    the segments' shares (the initial prospects).
    """
    acc, rng, t = world.accounts, world.rng, world.week
    rows = acc.allocate(k)
    new = slice(acc.n - k, acc.n)  # new rows are contiguous
    acc.segment[new] = segment = draw_segments(world, k) if segments is None else segments
    acc.stage[new] = PRE_PURCHASE
    acc.created[new] = t
    acc.stage_since[new] = t
    sp = world.params.satisfaction
    acc.satisfaction[new] = np.clip(rng.normal(sp.prospect_satisfaction, sp.prospect_satisfaction_sd, k), 0, 1)
    acc.expectation[new] = world.segment_expectation[segment][:, None]
    assign_seats(world, rows, SALES)
    return rows


def draw_segments(world: World, k: int) -> np.ndarray:
    """Segments of ``k`` new accounts, in the scenario's segment shares."""
    return draw_weighted(world.rng, world.segment_share, k).astype(np.int8)


def transition_phase(world: World) -> None:
    """Prospects convert or go cold, deals are won or lost, projects complete.

    * New prospects arrive from the market: the Bass inflow of
      :func:`sim.model.phases.word_of_mouth.bass_arrivals` (marketing and word of mouth).
    * Maintenance -> delivery: a customer orders a new project with a weekly probability that
      rises with its satisfaction; it starts together with the week's won deals, and like them
      it is sold and handed from sales to delivery (see :func:`sim.model.phases.diffusion.handoff`).
    * Prospect -> purchase: weekly probability logistic in the pre-purchase experience and the
      company's reputation (word of mouth); prospects also go cold at a constant rate.
    * Purchase -> delivery (won) or lost: a deal is decided at ``close_rate`` a week and won
      with a probability logistic in the purchase experience, lower at a higher price
      (``journey.price_win_sensitivity`` x ``policies.price_change``). A won deal signs an annual
      contract and is handed from sales to delivery .
    * Delivery -> maintenance: when the project ends the account passes to a support engineer,
      without a transfer meeting (seed 003 names none at this step).
    """
    acc, rng, t = world.accounts, world.rng, world.week
    j = world.params.journey
    wm = world.params.word_of_mouth

    by_segment = bass_arrivals(world)
    arrivals = int(by_segment.sum())
    world.counters["arrivals"] += arrivals
    if arrivals:
        add_prospects(world, arrivals, np.repeat(np.arange(by_segment.size), by_segment).astype(np.int8))
    pros = np.flatnonzero((acc.stage == PRE_PURCHASE) & (acc.created < t))
    if pros.size:
        logit = (
            _logit(j.conversion_rate)
            + j.conversion_satisfaction_slope * (acc.satisfaction[pros] - j.experience_reference)
            + j.reputation_effect * (world.reputation - wm.reputation_reference)
        )
        p_conv = _sigmoid(logit)
        u = rng.random(pros.size)
        cold = u < j.prospect_dropout
        conv = ~cold & (u < j.prospect_dropout + p_conv)
        _end(world, pros[cold], LOST)
        world.counters["prospects_gone_cold"] += int(cold.sum())
        _enter(world, pros[conv], PURCHASE)
        world.counters["conversions"] += int(conv.sum())

    deals = np.flatnonzero((acc.stage == PURCHASE) & (acc.stage_since < t))
    if deals.size:
        u = rng.random((2, deals.size))  # two uniform draws per deal: decided, then won
        decided = u[0] < j.close_rate
        p_win = _sigmoid(
            _logit(j.win_rate)
            + j.win_satisfaction_slope * (acc.satisfaction[deals] - j.experience_reference)
            - j.price_win_sensitivity * world.config.policies.price_change
        )
        won = deals[decided & (u[1] < p_win)]
        lost = deals[decided & (u[1] >= p_win)]
        _end(world, lost, LOST)
        world.counters["deals_lost"] += lost.size
    else:
        won = lost = deals
    world.lost_deals = lost

    maint = np.flatnonzero(acc.stage == MAINTENANCE)
    p_project = np.minimum(1.0, j.new_project_rate * acc.satisfaction[maint] / j.experience_reference)
    ordered = maint[rng.random(maint.size) < p_project]
    world.counters["new_projects"] += ordered.size
    if won.size or ordered.size:
        _sign(world, won)
        starting = np.concatenate([won, ordered])
        _start_project(world, starting, prefer_near=np.concatenate([acc.team[won, SALES], acc.team[ordered, SUPPORT]]))
        handoff(world, starting)

    done = np.flatnonzero((acc.stage == DELIVERY_STAGE) & (acc.project_end <= t))
    if done.size:
        acc.req_missing[done] = 0
        _enter(world, done, MAINTENANCE)
        assign_seats(world, done, SUPPORT, prefer_near=acc.team[done, DELIVERY])
        refresh_ties(world, done)


def _sign(world: World, rows: np.ndarray) -> None:
    """A won deal signs an annual contract at today's list price (its project starts with the week's other projects)."""
    acc, rng, t = world.accounts, world.rng, world.week
    j = world.params.journey
    level = 1.0 + world.config.policies.price_change
    acc.contract_value[rows] = (
        world.segment_value[acc.segment[rows]] * rng.lognormal(0.0, j.contract_value_spread, rows.size) * level
    )
    acc.price_level[rows] = level
    acc.contract_end[rows] = t + j.contract_weeks
    world.counters["wins"] += rows.size


def _start_project(world: World, rows: np.ndarray, prefer_near: np.ndarray) -> None:
    """A project starts: a delivery team member is assigned and the project length drawn."""
    j = world.params.journey
    acc = world.accounts
    acc.project_end[rows] = world.week + world.rng.geometric(1.0 / max(j.project_weeks, 1.0), rows.size)
    _enter(world, rows, DELIVERY_STAGE)
    assign_seats(world, rows, DELIVERY, prefer_near=prefer_near)
    refresh_ties(world, rows)


def _enter(world: World, rows: np.ndarray, stage: int) -> None:
    acc = world.accounts
    acc.stage[rows] = stage
    acc.stage_since[rows] = world.week


def _end(world: World, rows: np.ndarray, state: int) -> None:
    if rows.size:
        _enter(world, rows, state)
        world.accounts.ended_at[rows] = world.week
        close_complaints(world.accounts, world.workforce, rows)
        world.market.leave(world.accounts.segment[rows], world.week)


def _logit(p: float) -> float:
    p = min(max(p, 1e-9), 1 - 1e-9)  # numerical guard (keeps the log finite), not a mechanism
    return float(np.log(p / (1 - p)))


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))
