"""Phase 3, touchpoints: every account meets the company over its stage's channels.

Seed 003 gives the journey of a B2B service company in four stages — pre-purchase, purchase,
delivery and maintenance — each with its own channels, which narrow as the journey proceeds:
many in pre-purchase, face-to-face and email in purchase, face-to-face and chat in delivery,
email tickets in maintenance (:data:`sim.vocabulary.CHANNELS`). Sales serves the first two
stages, delivery the third, the application-maintenance (support) team the fourth. Each
channel's share of its stage, richness, load and response time are scenario input
(``channels:``), and so is each segment's preference for channels (seed 001: customers expect
to meet companies over the channels of their choice), read from the world's channel table
(:class:`sim.scenario.schema.ChannelTable`). With ``policies.channel_escalation`` a customer
whose problem is still open is served over the richest channel of the stage — the phone for
maintenance tickets (seed 004: an effortless transition from one channel to another when the
customer needs personal service).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from sim.model.account_teams import random_colleagues
from sim.model.complaints import open_complaints, release_complaints
from sim.model.grouping import groups
from sim.model.knowledge import learn, log_facts, missing_facts, push_facts
from sim.vocabulary import (
    DELIVERY_STAGE,
    LOW_ENGAGEMENT,
    LOW_SKILL,
    MISSING_REQUIREMENT,
    OVERLOAD,
    SLOW_CHANNEL,
    STAGE_UNIT,
    STALE_INFORMATION,
    UNRECOVERED_FAILURE,
)

if TYPE_CHECKING:
    from sim.model.world import World


@dataclass
class Touchpoints:
    """This week's touchpoints, one row each, sorted by account; plus per-account aggregates."""

    account: np.ndarray
    stage: np.ndarray
    channel: np.ndarray
    escalated: np.ndarray  # routed to the stage's richest channel because the account has an open complaint
    server: np.ndarray
    stand_in: np.ndarray
    quality: np.ndarray
    time_given: np.ndarray  # time the server gave, as a share of the time the touchpoint requires
    failed: np.ndarray
    recovered: np.ndarray
    complaint: np.ndarray  # unrecovered failures of a served touchpoint: the customer complains
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
            - slow_response * response_weeks * (1 + overtime)   # the channel's answer time
            - overload_penalty * overtime                       # tired service
            - time_shortfall_penalty * (1 - time_given)         # corners cut
            (each loss times the serving team's process multiplier for its cause)

    where ``missing_facts`` counts the account's latest facts the server does not know (neither
    heard nor, with a shared customer record, logged; seed 004: an effortless transition),
    ``missing_requirements`` the requirements of a delivery project lost at its handoff or
    over-promised (seed 003), ``time_given`` the share of the time the touchpoint requires that
    the server gives (its unit's service standard, less under pressure: :func:`time_given`) and
    ``overtime`` the work the server actually does this week above capacity (Oliva & Sterman
    2001: cutting corners and working overtime). A service failure happens with probability
    base * process multiplier * (1 + gain * (overtime + 1 - time_given)) * (1 - protection*skill),
    times (1 - user_stories_failure_cut) in delivery with user stories (Oliva & Sterman 2001:
    errors rise with work pressure and with corners cut); on top of it each missing fact may
    lead to a wrong action (``wrong_action_rate``) and, in delivery, each missing requirement to
    rework (``rework_rate``; Boehm & Basili 2001). An empowered, engaged employee
    recovers it on the spot more often (seed 004); otherwise it escalates into an open
    complaint. The touchpoint's cause is its largest shortfall against a good touchpoint
    (stale information, low engagement, overload, unrecovered failure, low skill, a slow
    channel, a missing requirement) or, when none exceeds ``measurement.cause_threshold``, high
    expectations; engagement and skill count as a shortfall below
    ``measurement.cause_reference_level``. The detractors' why is built from it (seed 002).
    After the touchpoints each unit's service standard drifts toward the time given
    (:func:`adapt_standards`).
    """
    acc, w, rng = world.accounts, world.workforce, world.rng
    sv = world.params.service
    mp = world.params.measurement
    ip = world.params.information
    ch = world.channels
    t = world.week
    account, stage, channel = _draw_touchpoints(world)
    escalated = _escalate(world, account, stage, channel)
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
    demand = np.bincount(server, weights=ch.load[channel] * served, minlength=w.size)
    w.load = demand / capacity  # the work at the time it requires, over capacity
    given, pressure = time_given(world)
    overload = np.maximum(0.0, w.load * given - 1.0)[server] * served  # overtime: work done above capacity
    cut = (1.0 - given[server]) * served

    # info_age, the age of incorrect information (Maatouk et al. 2020): how long the server's picture has
    # lacked something
    n_missing, info_age, newest = missing_facts(world, account, server, unit, ~stand_in)
    stale = n_missing > 0
    in_delivery = stage == DELIVERY_STAGE
    lacking = np.where(in_delivery, acc.req_missing[account], 0)
    eng, skill = w.engagement[server] * served, w.skill[server] * served
    fix = world.process_multiplier[w.team[server], channel]  # (touchpoints, causes): the team's process
    stale_loss = ip.repeat_cost * n_missing * fix[:, STALE_INFORMATION]
    scope_loss = ip.missing_requirement_cost * lacking * fix[:, MISSING_REQUIREMENT]
    response_weeks = ch.response_days[channel] / 7.0  # days to weeks: a unit conversion
    slow_loss = sv.slow_response_penalty * response_weeks * fix[:, SLOW_CHANNEL]
    overload_loss = (
        (sv.overload_penalty + sv.slow_response_penalty * response_weeks) * overload + sv.time_shortfall_penalty * cut
    ) * fix[:, OVERLOAD]
    low_engagement = sv.engagement_weight * np.maximum(0.0, mp.cause_reference_level - eng) * fix[:, LOW_ENGAGEMENT]
    low_skill = sv.skill_weight * np.maximum(0.0, mp.cause_reference_level - skill) * fix[:, LOW_SKILL]
    quality = (
        sv.base_quality
        + rng.normal(0.0, sv.perception_noise_sd, n)
        + sv.engagement_weight * np.maximum(eng, mp.cause_reference_level)
        + sv.skill_weight * np.maximum(skill, mp.cause_reference_level)
        + sv.orientation_weight * w.orientation[server] * served
        + sv.richness_weight * ch.richness[channel]
        - low_engagement
        - low_skill
        - stale_loss
        - scope_loss
        - slow_loss
        - overload_loss
    )

    pressure_now = overload + cut
    p_fail = sv.base_failure_rate * fix[:, UNRECOVERED_FAILURE] * (1 + sv.overload_failure_gain * pressure_now)
    p_fail *= 1.0 - sv.skill_failure_protection * skill
    if world.config.policies.user_stories:
        p_fail *= np.where(in_delivery, 1.0 - ip.user_stories_failure_cut, 1.0)
    # a wrong action on a missing fact, rework on a missing requirement: the same draw decides
    # whether the failure would have happened without them (common random numbers)
    p_wrong = 1.0 - (1.0 - p_fail) * (1.0 - ip.wrong_action_rate * fix[:, STALE_INFORMATION]) ** n_missing
    p_total = 1.0 - (1.0 - p_wrong) * (1.0 - ip.rework_rate * fix[:, MISSING_REQUIREMENT]) ** lacking
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

    shortfalls = np.stack(
        [
            np.full(n, mp.cause_threshold),  # nothing went wrong: the customer simply expected more
            stale_loss,
            low_engagement,
            overload_loss,
            sv.failure_quality_loss * (unrecovered & ~rework),
            low_skill,
            slow_loss,
            scope_loss + sv.failure_quality_loss * (unrecovered & rework),
        ]
    )
    cause = shortfalls.argmax(axis=0)

    acc.last_failure[account[failed]] = t
    if escalated.any():
        _settle_escalations(world, account[escalated & served & ~failed])
    complaint = unrecovered & served
    world.counters["complaints"] += open_complaints(acc, w, account[complaint], server[complaint])
    world.counters["delivery_failures"] += int(np.count_nonzero(failed & in_delivery))
    world.counters["rework_failures"] += int(np.count_nonzero(rework))
    _learn_from_touchpoints(world, account, server, newest, served)
    adapt_standards(world, given, pressure, demand)

    mean_q = np.add.reduceat(quality, starts) / counts if n else np.zeros(0)
    return Touchpoints(
        account=account,
        stage=stage,
        channel=channel,
        escalated=escalated,
        server=server,
        stand_in=stand_in,
        quality=quality,
        time_given=given[server] * served,
        failed=failed,
        recovered=recovered,
        complaint=complaint,
        cause=cause,
        info_age=info_age,
        stale=stale,
        touched=touched,
        starts=starts,
        counts=counts,
        touched_stage=acc.stage[touched].astype(np.int64),
        touched_quality=mean_q,
    )


def time_given(world: World) -> tuple[np.ndarray, np.ndarray]:
    """Per seat, the time given per touchpoint (a share of the time it requires) and the work pressure.

    Oliva & Sterman 2001: a unit's people give each touchpoint the time of its service standard S
    (:attr:`sim.model.world.World.service_standard`) until the work at that standard exceeds their
    capacity. The pressure is ``P = S * U``, with U the seat's smoothed utilisation at the time
    the work requires (7.2); above 1 they cut corners, giving ``S * P^(-c)``, c =
    ``service.corner_cutting``, and work the rest of the excess as overtime.
    """
    standard = world.service_standard[world.workforce.unit]
    pressure = standard * world.workforce.utilisation
    return standard * np.maximum(1.0, pressure) ** -world.params.service.corner_cutting, pressure


def adapt_standards(world: World, given: np.ndarray, pressure: np.ndarray, demand: np.ndarray) -> None:
    """Each unit's service standard drifts toward the time its people give (Oliva & Sterman 2001).

    A seat under pressure (P > 1) pulls toward the time it gave; a seat with slack toward the time
    it could give, ``min(1, 1 / U)`` of what the work requires. The unit's target T is the mean
    over its seats weighted by their work this week (1 when it had none), and
    ``S <- S + (T - S) / tau`` with tau = ``service.standard_erosion_weeks`` when T < S and
    ``service.standard_recovery_weeks`` when T > S: standards erode quickly under sustained
    pressure and recover slowly, so a temporary capacity gap leaves lower quality after it ends.
    """
    w, sv = world.workforce, world.params.service
    u = w.utilisation
    could = np.divide(1.0, u, out=np.ones(w.size), where=u > 1.0)
    target = np.where(pressure > 1.0, given, could)
    work = np.bincount(w.unit, weights=demand, minlength=world.service_standard.size)
    pulled = np.bincount(w.unit, weights=demand * target, minlength=world.service_standard.size)
    unit_target = np.divide(pulled, work, out=np.ones(work.size), where=work > 0)
    s = world.service_standard
    tau = np.where(unit_target < s, sv.standard_erosion_weeks, sv.standard_recovery_weeks)
    world.service_standard = s + (unit_target - s) / tau


def _draw_touchpoints(world: World) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """This week's touchpoints: account, stage and channel of each, sorted by account.

    Each account in stage s has Poisson(rate_s) touchpoints. Drawn the equivalent way (Poisson
    splitting): a Poisson(n_s * rate_s) total per stage, each touchpoint given to one of the
    stage's n_s accounts uniformly at random — fewer draws than one Poisson per account. Each
    touchpoint's channel is drawn from its stage's channel mix: the shares times the segment's
    preferences, renormalised within the stage (one uniform draw, compared with the cumulative
    weights of the account's segment). A stage where only one channel can carry touchpoints
    needs no draw.
    """
    acc, rng, ch = world.accounts, world.rng, world.channels
    stage = acc.stage[: acc.n]
    accounts, stages, channels = [], [], []
    for s, rate in enumerate(world.touchpoint_rates):
        members = np.flatnonzero(stage == s)
        if not members.size or rate <= 0:
            continue
        k = rng.poisson(rate * members.size)
        who = members[rng.integers(0, members.size, k)]
        accounts.append(who)
        stages.append(np.full(k, s))
        if not ch.drawn[s]:
            channels.append(np.full(k, ch.only[s]))
            continue
        u = rng.random(k)
        by_segment = ch.cum_by_segment[s]
        if by_segment is None:
            offset = np.searchsorted(ch.cum[s], u, side="right")
        else:  # the number of cumulative weights of the account's segment at or below u
            offset = (u[:, None] >= by_segment[acc.segment[who]]).sum(axis=1)
        channels.append(ch.first[s] + offset)
    if not accounts:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty
    account = np.concatenate(accounts)
    order = np.argsort(account, kind="stable")
    return account[order], np.concatenate(stages)[order], np.concatenate(channels)[order]


def _escalate(world: World, account: np.ndarray, stage: np.ndarray, channel: np.ndarray) -> np.ndarray:
    """Route touchpoints of accounts with an open complaint to the stage's richest channel (in place).

    Only with ``policies.channel_escalation``; a share ``service.escalated_touchpoint_share`` of
    them (all by default, without a draw). Returns which touchpoints were escalated.
    """
    if not world.config.policies.channel_escalation:
        return np.zeros(account.size, dtype=bool)
    escalated = world.accounts.open_complaint[account]
    share = world.params.service.escalated_touchpoint_share
    if share < 1.0:
        escalated &= world.rng.random(account.size) < share
    channel[escalated] = world.channels.richest[stage[escalated]]
    return escalated


def _settle_escalations(world: World, accounts: np.ndarray) -> None:
    """An escalated touchpoint that goes well settles the account's complaint on the spot.

    Each does so with probability ``service.escalation_resolution_rate`` (seed 004: a complaint
    handled quickly, and the issue fixed, raises satisfaction greatly); the account regains
    ``service.resolution_boost`` as when an escalation is resolved later (phase 4).
    """
    acc, sv = world.accounts, world.params.service
    settled = np.unique(accounts[world.rng.random(accounts.size) < sv.escalation_resolution_rate])
    settled = settled[acc.open_complaint[settled]]
    if settled.size:
        release_complaints(acc, world.workforce, settled)
        acc.satisfaction[settled] = np.minimum(1.0, acc.satisfaction[settled] + sv.resolution_boost)
        world.counters["complaints_resolved"] += settled.size


def _learn_from_touchpoints(
    world: World, account: np.ndarray, server: np.ndarray, newest: np.ndarray, served: np.ndarray
) -> None:
    """The server learns what was said in the touchpoint, not everything.

    At a touchpoint where the server lacked some of the account's latest facts, the customer
    repeats the newest of them (slot ``newest``, -1 when nothing was missing) and the server now
    holds it; at a share ``information.touchpoint_news_share`` of served touchpoints the customer
    says something new, a new fact the server holds. With a shared customer record the server
    logs what they heard with ``information.logging_share``. A touchpoint nobody answered
    teaches nobody.
    """
    acc = world.accounts
    repeat = np.flatnonzero(served & (newest >= 0))
    if repeat.size:
        cells = account[repeat] * acc.facts + newest[repeat]
        learn(world, cells, acc.fact_id.reshape(-1)[cells], server[repeat])
        world.counters["facts_logged"] += log_facts(world, cells)
    reveals = served & (world.rng.random(account.size) < world.params.information.touchpoint_news_share)
    world.counters["facts_logged"] += push_facts(world, account[reveals], server[reveals])
