"""Initialization (ODD): the company and its customer base at week 0.

The workforce and its collaboration network come first, then the customers under contract
(in delivery or maintenance, with contracts at random points of their term and teams that know
their serving unit's picture of them better than the other units'), then the open prospects.
People start near their engagement equilibrium rather than at their bare disposition
(``engagement.settling_rounds`` rounds of it). How long ago the initial accounts were won and
the facts they have said lately and who heard them come from ``journey.initial_account_age_max_weeks``,
``information.initial_knowledge_age_max_weeks`` and ``information.initial_colleague_fact_share``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.model.account_teams import assign_seats, refresh_ties
from sim.model.phases.diffusion import handoff
from sim.model.phases.engagement import equilibrium
from sim.model.phases.transitions import add_prospects, draw_segments
from sim.model.recommendation import promoter_detractor
from sim.model.workforce import build_workforce
from sim.model.world import World
from sim.vocabulary import DELIVERY, DELIVERY_STAGE, MAINTENANCE, N_UNITS, SALES, SUPPORT

if TYPE_CHECKING:
    from sim.scenario.schema import Scenario

# Preallocated account rows: headroom and slack over the initial accounts and prospects. The
# account store grows on demand, so these set memory use only, never a result.
_ROW_HEADROOM = 1.1
_ROW_SLACK = 64


def build_world(config: Scenario, rng: np.random.Generator) -> World:
    """The world at week 0, every draw from ``rng`` in a fixed order."""
    cust = config.customers
    workforce = build_workforce(config, rng)
    world = World(config, rng, workforce, capacity=int(_ROW_HEADROOM * (cust.accounts + cust.prospects)) + _ROW_SLACK)
    _draw_processes(world)
    _add_initial_customers(world, cust.accounts)
    add_prospects(world, cust.prospects)
    acc = world.accounts
    world.market.enter(acc.segment[: acc.n])
    prom, det = promoter_detractor(acc.satisfaction, world.params.measurement)
    c = acc.customers()
    world.reputation = float(((prom & c).sum() - (det & c).sum()) / max(1, c.sum()))
    for _ in range(world.params.engagement.settling_rounds):
        workforce.engagement = equilibrium(world)
    if config.warmup == 0:
        world.mark_cohort()
    return world


def _draw_processes(world: World) -> None:
    """Each team's untreated process: the same work done with different local practice and tooling.

    Frei et al. (1999) found wide, persistent process variation across the units of one service
    firm. A team's multiplier on its losses and failures is log-normal, ``exp(process_spread x Z)``,
    divided by its unit's mean over teams: the spread says how a unit's teams differ, not how
    well the unit works (every unit's teams average exactly 1, so the company's level, and
    what a policy does to it, does not hang on a few teams' luck). The standard normal draws are
    taken whatever the spread, right after the workforce's and before any draw a policy changes:
    runs that differ in a policy or in the spread give every team the same process (common
    random numbers).
    """
    w = world.workforce
    z = world.rng.standard_normal(w.teams)
    raw = np.exp(world.params.feedback.process_spread * z)
    world.process_untreated = raw / w.unit_mean(raw)[w.team_unit]
    world.process_multiplier *= world.process_untreated[:, None, None]


def _add_initial_customers(world: World, k: int) -> None:
    acc, rng, config = world.accounts, world.rng, world.config
    j = world.params.journey
    sp = world.params.satisfaction
    rows = acc.allocate(k)
    if not k:
        return
    acc.segment[rows] = draw_segments(world, k)
    in_maint = rng.random(k) < config.customers.maintenance_share
    acc.stage[rows] = np.where(in_maint, MAINTENANCE, DELIVERY_STAGE)
    acc.created[rows] = -rng.integers(1, j.initial_account_age_max_weeks + 1, k)
    acc.stage_since[rows] = 0
    acc.satisfaction[rows] = np.clip(rng.normal(sp.initial_satisfaction, sp.initial_satisfaction_sd, k), 0, 1)
    acc.expectation[rows] = world.segment_expectation[acc.segment[rows]][:, None]
    acc.contract_value[rows] = world.segment_value[acc.segment[rows]] * rng.lognormal(0.0, j.contract_value_spread, k)
    acc.contract_end[rows] = rng.integers(1, j.contract_weeks + 1, k)
    acc.project_end[rows] = np.where(in_maint, -1, rng.geometric(1.0 / max(j.project_weeks, 1.0), k))
    assign_seats(world, rows, SALES)
    assign_seats(world, rows, DELIVERY)
    maint = rows[in_maint]
    assign_seats(world, maint, SUPPORT, prefer_near=acc.team[maint, DELIVERY])
    _initial_facts(world, rows, np.where(in_maint, SUPPORT, DELIVERY))
    refresh_ties(world, rows)
    handoff(world, rows[~in_maint], count=False)  # the projects under way were sold and handed over too


def _initial_facts(world: World, rows: np.ndarray, serving: np.ndarray) -> None:
    """Each initial account has said its K latest facts within the last ``initial_knowledge_age_max_weeks``.

    The serving unit's team member heard them all; every other team member holds each with
    probability ``initial_colleague_fact_share``; with a shared record each was logged with
    ``logging_share``. Facts are numbered in the order they were said.
    """
    acc, rng, kn = world.accounts, world.rng, world.knowledge
    ip = world.params.information
    k, facts = rows.size, acc.facts
    weeks = -np.sort(rng.integers(0, ip.initial_knowledge_age_max_weeks + 1, (k, facts)), axis=1)[:, ::-1]
    order = np.argsort(weeks, axis=None, kind="stable")
    r, slot = np.divmod(order, facts)
    ids = np.empty(k * facts, dtype=np.int64)
    ids[order] = kn.register(rows[r] * facts + slot, weeks.ravel()[order])
    acc.fact_id[rows] = ids.reshape(k, facts)
    acc.fact_week[rows] = weeks
    acc.fact_count[rows] = facts
    heard = rng.random((k, N_UNITS, facts)) < ip.initial_colleague_fact_share
    heard[np.arange(k), serving] = True
    heard &= (acc.team[rows] >= 0)[:, :, None]
    acc.team_knows[rows] = (heard.astype(np.uint16) << np.arange(facts, dtype=np.uint16)).sum(axis=-1)
    if world.config.policies.shared_customer_record:
        acc.fact_logged[rows] = rng.random((k, facts)) < ip.logging_share
