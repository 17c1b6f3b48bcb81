"""Phase 3, touchpoints: every account meets the company over its stage's channels.

Seed 003 gives the journey of a B2B service company in four stages — pre-purchase, purchase,
delivery and maintenance — each with its own channels, which narrow as the journey proceeds:
many in pre-purchase, face-to-face and email in purchase, face-to-face and chat in delivery,
email tickets in maintenance (:data:`sim.vocabulary.CHANNELS`). Sales serves the first two
stages, delivery the third, the application-maintenance (support) team the fourth. Each
channel's share of its stage, richness, load and response time are scenario input
(``channels:``), read from the world's channel table (:class:`sim.scenario.schema.ChannelTable`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from sim.model.account_teams import random_colleagues
from sim.model.complaints import open_complaints
from sim.model.grouping import groups
from sim.model.knowledge import known_facts, learn, log_facts, push_facts
from sim.vocabulary import DELIVERY_STAGE, NEVER, STAGE_UNIT

if TYPE_CHECKING:
    from sim.model.world import World


@dataclass
class Touchpoints:
    """This week's touchpoints, one row each, sorted by account; plus per-account aggregates."""

    account: np.ndarray
    stage: np.ndarray
    channel: np.ndarray
    server: np.ndarray
    stand_in: np.ndarray
    quality: np.ndarray
    failed: np.ndarray
    recovered: np.ndarray
    cause: np.ndarray
    info_age: np.ndarray
    stale: np.ndarray
    touched: np.ndarray  # unique accounts touched
    starts: np.ndarray  # first touchpoint row of each touched account
    counts: np.ndarray  # touchpoints of each touched account
    touched_stage: np.ndarray
    touched_quality: np.ndarray  # mean quality per touched account

    @property
    def size(self) -> int:
        return self.account.size


def touchpoint_phase(world: World) -> Touchpoints:
    """Every account meets the company; capacity-limited employees serve it.

    Each account in a stage has a Poisson number of touchpoints at its stage's rate, over a
    channel drawn from the stage's channel mix. The account's team member in the responsible
    unit serves it; a vacant seat is covered by a random colleague of the unit (a stand-in who
    knows only the fresh facts they heard as a colleague, and what the shared record holds); a
    unit with nobody left cannot answer at all (an unrecovered failure). Perceived quality::

        q = base + noise + w_e*engagement + w_s*skill + w_o*service_orientation + w_r*richness
            - repeat_cost * missing_facts                       # the customer repeats themselves
            - missing_requirement_cost * missing_requirements   # delivery: less than was promised
            - slow_response * response_weeks * (1 + overload)   # the channel's answer time
            - overload_penalty * overload                       # rushed service

    where ``missing_facts`` counts the account's latest facts the server does not know (neither
    heard nor, with a shared customer record, logged; seed 004: an effortless transition),
    ``missing_requirements`` the requirements of a delivery project lost at its handoff or
    over-promised (seed 003), and ``overload`` the server's load this week above capacity. A
    service failure happens with probability base * process multiplier * (1 + gain*overload)
    * (1 - protection*skill), times (1 - user_stories_failure_cut) in delivery with user stories
    (Oliva & Sterman 2001: errors rise with work pressure); on top of it each missing fact may
    lead to a wrong action (``wrong_action_rate``) and, in delivery, each missing requirement to
    rework (``rework_rate``; Boehm & Basili 2001). An empowered, engaged employee
    recovers it on the spot more often (seed 004); otherwise it escalates into an open
    complaint. The touchpoint's cause is its largest shortfall against a good touchpoint
    (stale information, low engagement, overload, unrecovered failure, low skill, a slow
    channel, a missing requirement) or, when none exceeds ``measurement.cause_threshold``, high
    expectations; engagement and skill count as a shortfall below
    ``measurement.cause_reference_level``. The detractors' why is built from it (seed 002).
    """
    acc, w, rng = world.accounts, world.workforce, world.rng
    sv = world.params.service
    mp = world.params.measurement
    ch = world.channels
    t = world.week
    account, stage, channel = _draw_touchpoints(world)
    touched, starts, counts = groups(account)
    n = account.size
    unit = STAGE_UNIT[stage]
    owner = acc.team[account, unit]
    stand_in = (owner < 0) | ~w.filled[np.maximum(owner, 0)]
    server = owner.copy()
    if stand_in.any():
        server[stand_in] = random_colleagues(world, unit[stand_in])
    unserved = server < 0  # nobody left in the unit: the customer gets no answer
    stand_in &= ~unserved
    server = np.maximum(server, 0)
    served = ~unserved

    capacity = w.capacity * (1.0 - world.params.training.training_time_share * w.training)
    w.load = np.bincount(server, weights=ch.load[channel] * served, minlength=w.size) / capacity
    overload = np.maximum(0.0, w.load[server] - 1.0) * served

    ip = world.params.information
    missing = ~known_facts(world, account, server, unit, ~stand_in)
    n_missing = missing.sum(axis=1)
    stale = n_missing > 0
    stale_loss = ip.repeat_cost * n_missing
    # age of incorrect information (Maatouk et al. 2020): how long the server's picture has lacked something
    info_age = np.zeros(n)
    lag = np.flatnonzero(stale)
    said = np.where(missing[lag], acc.fact_week[account[lag]], t).min(axis=1)
    info_age[lag] = np.minimum(t - said, ip.info_age_cap_weeks)
    in_delivery = stage == DELIVERY_STAGE
    lacking = np.where(in_delivery, acc.req_missing[account], 0)
    scope_loss = ip.missing_requirement_cost * lacking
    eng, skill = w.engagement[server] * served, w.skill[server] * served
    response_weeks = ch.response_days[channel] / 7.0  # days to weeks: a unit conversion
    slow_loss = sv.slow_response_penalty * response_weeks
    overload_loss = (sv.overload_penalty + sv.slow_response_penalty * response_weeks) * overload
    quality = (
        sv.base_quality
        + rng.normal(0.0, sv.perception_noise_sd, n)
        + sv.engagement_weight * eng
        + sv.skill_weight * skill
        + sv.orientation_weight * w.orientation[server] * served
        + sv.richness_weight * ch.richness[channel]
        - stale_loss
        - scope_loss
        - slow_loss
        - overload_loss
    )

    p_fail = sv.base_failure_rate * world.process_multiplier[channel] * (1 + sv.overload_failure_gain * overload)
    p_fail *= 1.0 - sv.skill_failure_protection * skill
    if world.config.policies.user_stories:
        p_fail *= np.where(stage == DELIVERY_STAGE, 1.0 - world.params.information.user_stories_failure_cut, 1.0)
    # a wrong action on a missing fact, rework on a missing requirement: the same draw decides
    # whether the failure would have happened without them (common random numbers)
    p_wrong = 1.0 - (1.0 - p_fail) * (1.0 - ip.wrong_action_rate) ** n_missing
    p_total = 1.0 - (1.0 - p_wrong) * (1.0 - ip.rework_rate) ** lacking
    u = rng.random((2, n))  # two uniform draws per touchpoint: failure and recovery
    failed = (u[0] < p_total) | unserved
    rework = failed & served & (u[0] >= p_wrong)
    p_recover = sv.base_recovery_rate + world.config.policies.empowerment * sv.empowered_recovery_rate * eng
    recovered = failed & served & (u[1] < p_recover)
    unrecovered = failed & ~recovered
    first = acc.last_failure[account] < t - sv.first_failure_window_weeks
    quality -= np.where(recovered, sv.recovered_quality_loss - sv.recovery_paradox_bonus * first, 0.0)
    quality -= sv.failure_quality_loss * unrecovered
    np.clip(quality, 0.0, 1.0, out=quality)

    shortfall = np.stack(
        [
            np.full(n, mp.cause_threshold),  # nothing went wrong: the customer simply expected more
            stale_loss,
            sv.engagement_weight * np.maximum(0.0, mp.cause_reference_level - eng),
            overload_loss,
            sv.failure_quality_loss * unrecovered,
            sv.skill_weight * np.maximum(0.0, mp.cause_reference_level - skill),
            slow_loss,
            scope_loss + sv.failure_quality_loss * (unrecovered & rework),
        ]
    )
    cause = shortfall.argmax(axis=0)

    acc.last_failure[account[failed]] = t
    complaint = unrecovered & served
    world.counters["complaints"] += open_complaints(acc, w, account[complaint], server[complaint])
    world.counters["delivery_failures"] += int(np.count_nonzero(failed & in_delivery))
    world.counters["rework_failures"] += int(np.count_nonzero(rework))
    _learn_from_touchpoints(world, account, server, missing, served, t)

    mean_q = np.add.reduceat(quality, starts) / counts if n else np.zeros(0)
    return Touchpoints(
        account=account,
        stage=stage,
        channel=channel,
        server=server,
        stand_in=stand_in,
        quality=quality,
        failed=failed,
        recovered=recovered,
        cause=cause,
        info_age=info_age,
        stale=stale,
        touched=touched,
        starts=starts,
        counts=counts,
        touched_stage=acc.stage[touched].astype(np.int64),
        touched_quality=mean_q,
    )


def _draw_touchpoints(world: World) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """This week's touchpoints: account, stage and channel of each, sorted by account.

    Each account in stage s has Poisson(rate_s) touchpoints. Drawn the equivalent way (Poisson
    splitting): a Poisson(n_s * rate_s) total per stage, each touchpoint given to one of the
    stage's n_s accounts uniformly at random — fewer draws than one Poisson per account. Each
    touchpoint's channel is drawn from its stage's channel mix.
    """
    acc, rng, ch = world.accounts, world.rng, world.channels
    stage = acc.stage[: acc.n]
    accounts, stages, channels = [], [], []
    for s, rate in enumerate(world.touchpoint_rates):
        members = np.flatnonzero(stage == s)
        if not members.size or rate <= 0:
            continue
        k = rng.poisson(rate * members.size)
        accounts.append(members[rng.integers(0, members.size, k)])
        stages.append(np.full(k, s))
        cum = ch.cum[s]
        offset = np.searchsorted(cum, rng.random(k), side="right") if cum.size else np.zeros(k, dtype=np.int64)
        channels.append(ch.first[s] + offset)
    if not accounts:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty
    account = np.concatenate(accounts)
    order = np.argsort(account, kind="stable")
    return account[order], np.concatenate(stages)[order], np.concatenate(channels)[order]


def _learn_from_touchpoints(
    world: World, account: np.ndarray, server: np.ndarray, missing: np.ndarray, served: np.ndarray, t: int
) -> None:
    """The server learns what was said in the touchpoint, not everything.

    At a touchpoint where the server lacked some of the account's latest facts, the customer
    repeats the newest of them and the server now holds it; at a share
    ``information.touchpoint_news_share`` of served touchpoints the customer says something new,
    a new fact the server holds. With a shared customer record the server logs what they heard
    with ``information.logging_share``. A touchpoint nobody answered teaches nobody.
    """
    acc = world.accounts
    repeat = np.flatnonzero(served & missing.any(axis=1))
    if repeat.size:
        weeks = np.where(missing[repeat], acc.fact_week[account[repeat]], NEVER)
        cells = account[repeat] * acc.facts + weeks.argmax(axis=1)
        learn(world, cells, acc.fact_id.reshape(-1)[cells], server[repeat])
        world.counters["facts_logged"] += log_facts(world, cells)
    reveals = served & (world.rng.random(account.size) < world.params.information.touchpoint_news_share)
    world.counters["facts_logged"] += push_facts(world, account[reveals], server[reveals])
