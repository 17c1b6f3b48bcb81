"""The customer journey: channels per stage, touchpoints, and transitions between stages.

Seed 003 gives the journey of a B2B service company in four stages — pre-purchase, purchase,
delivery and maintenance — each with its own channels, which narrow as the journey proceeds:
many in pre-purchase, face-to-face and email in purchase, face-to-face and chat in delivery,
email tickets in maintenance. Sales serves the first two stages, delivery the third, the
application-maintenance (support) team the fourth.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from sim.customers import (
    DELIVERY_STAGE,
    LOST,
    MAINTENANCE,
    PRE_PURCHASE,
    PURCHASE,
    STAGE_UNIT,
    STAGES,
)
from sim.information import handoff
from sim.organisation import DELIVERY, SALES, SUPPORT
from sim.sampling import draw_weighted

if TYPE_CHECKING:
    from sim.model import CXModel
    from sim.parameters import Parameters


@dataclass(frozen=True)
class Channel:
    """A way a customer meets the company at one stage.

    richness: media richness, face-to-face highest (Daft & Lengel 1986).
    load: capacity units one touchpoint takes from the serving employee (its cost).
    response_days: typical delay before the customer gets an answer.
    share: the channel's share of the stage's touchpoints (seed 003's account of the case).
    """

    stage: int
    name: str
    share: float
    richness: float
    load: float
    response_days: float

    @property
    def key(self) -> str:
        return f"{STAGES[self.stage]}.{self.name}"


CHANNELS: tuple[Channel, ...] = (
    # pre-purchase (seed 003: principal's salespeople, LinkedIn/Twitter, events and fairs,
    # seminars and webinars, website and blog, face-to-face and online meetings)
    Channel(PRE_PURCHASE, "partner_salespeople", 0.25, 0.60, 0.30, 3.0),
    Channel(PRE_PURCHASE, "social", 0.15, 0.25, 0.05, 1.0),
    Channel(PRE_PURCHASE, "events", 0.10, 0.80, 0.50, 0.0),
    Channel(PRE_PURCHASE, "webinars", 0.10, 0.50, 0.20, 0.0),
    Channel(PRE_PURCHASE, "website", 0.20, 0.20, 0.02, 1.0),
    Channel(PRE_PURCHASE, "meetings", 0.20, 0.85, 1.00, 2.0),
    # purchase (seed 003: face-to-face meetings, email)
    Channel(PURCHASE, "face_to_face", 0.60, 1.00, 1.00, 2.0),
    Channel(PURCHASE, "email", 0.40, 0.35, 0.40, 1.0),
    # delivery (seed 003: face-to-face meetings, chat such as Teams or Slack)
    Channel(DELIVERY_STAGE, "face_to_face", 0.50, 1.00, 1.00, 2.0),
    Channel(DELIVERY_STAGE, "chat", 0.50, 0.55, 0.50, 0.2),
    # maintenance (seed 003: email is the only channel, for tickets)
    Channel(MAINTENANCE, "email_tickets", 1.00, 0.30, 1.00, 1.0),
)
CHANNEL_KEYS = tuple(c.key for c in CHANNELS)
CHANNEL_STAGE = np.array([c.stage for c in CHANNELS])
CHANNEL_UNIT = STAGE_UNIT[CHANNEL_STAGE]
RICHNESS = np.array([c.richness for c in CHANNELS])
LOAD = np.array([c.load for c in CHANNELS])
RESPONSE_WEEKS = np.array([c.response_days for c in CHANNELS]) / 7.0
#: per stage, the first channel index and the cumulative shares of its channels
_FIRST = np.array([min(i for i, c in enumerate(CHANNELS) if c.stage == s) for s in range(len(STAGES))])
_CUM = np.ones((len(STAGES), max(np.bincount(CHANNEL_STAGE))))
for _s in range(len(STAGES)):
    _shares = np.array([c.share for c in CHANNELS if c.stage == _s])
    assert abs(_shares.sum() - 1.0) < 1e-9, f"channel shares of {STAGES[_s]} must add up to 1"
    _CUM[_s, : _shares.size] = np.cumsum(_shares)
    _CUM[_s, _shares.size - 1 :] = 2.0  # past the last channel: never chosen beyond it

#: per stage, the cumulative shares of its channels but the last (for a searchsorted draw)
_STAGE_CUM = [np.cumsum([c.share for c in CHANNELS if c.stage == s])[:-1] for s in range(len(STAGES))]

CAUSES = (
    "high_expectations",
    "stale_information",
    "low_engagement",
    "overload",
    "unrecovered_failure",
    "low_skill",
    "slow_channel",
)
#: a shortfall smaller than this (in quality) does not count as the touchpoint's cause
CAUSE_THRESHOLD = 0.02
#: engagement and skill at or above this level are not counted as a shortfall
REFERENCE_LEVEL = 0.7


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


def touchpoint_rates(params: Parameters) -> np.ndarray:
    """Touchpoints per account-week for each stage."""
    j = params.journey
    return np.array(
        [j.pre_purchase_touchpoints, j.purchase_touchpoints, j.delivery_touchpoints, j.maintenance_touchpoints]
    )


def touchpoint_phase(model: CXModel) -> Touchpoints:
    """Phase 3: every account meets the company; capacity-limited employees serve it.

    Each account in a stage has a Poisson number of touchpoints at its stage's rate, over a
    channel drawn from the stage's channel mix. The account's team member in the responsible
    unit serves it; a vacant seat is covered by a random colleague of the unit (a stand-in who
    knows only what the unit has heard); a unit with nobody left cannot answer at all (an
    unrecovered failure). Perceived quality::

        q = base + noise + w_e*engagement + w_s*skill + w_o*service_orientation + w_r*richness
            - stale_penalty * (1 - exp(-missing_weeks / tau))   # customer repeats themselves
            - slow_response * response_weeks * (1 + overload)   # the channel's answer time
            - overload_penalty * overload                       # rushed service

    where ``missing_weeks`` is how far the server's picture lags the customer's latest news and
    ``overload`` the server's load this week above capacity. A service failure happens with
    probability base * process multiplier * (1 + gain*overload) * (1 - protection*skill),
    times (1 - user_stories_failure_cut) in delivery with user stories (Oliva & Sterman 2001:
    errors rise with work pressure). An empowered, engaged employee
    recovers it on the spot more often (seed 004); otherwise it escalates into an open
    complaint. The touchpoint's cause is its largest shortfall against a good touchpoint
    (stale information, low engagement, overload, unrecovered failure, low skill, a slow
    channel) or, when none reaches ``CAUSE_THRESHOLD``, high expectations; the detractors' why
    is built from it (seed 002).
    """
    acc, w, rng = model.accounts, model.workforce, model.rng
    sv = model.params.service
    t = model.steps
    account, stage, channel = _draw_touchpoints(model)
    touched, starts, counts = _groups(account)
    n = account.size
    unit = STAGE_UNIT[stage]
    owner = acc.team[account, unit]
    stand_in = (owner < 0) | ~w.filled[np.maximum(owner, 0)]
    server = owner.copy()
    if stand_in.any():
        server[stand_in] = model.random_colleagues(unit[stand_in])
    unserved = server < 0  # nobody left in the unit: the customer gets no answer
    stand_in &= ~unserved
    server = np.maximum(server, 0)
    served = ~unserved

    capacity = w.capacity * (1.0 - model.params.training.training_time_share * w.training)
    w.load = np.bincount(server, weights=LOAD[channel] * served, minlength=w.size) / capacity
    overload = np.maximum(0.0, w.load[server] - 1.0) * served

    knows = np.where(stand_in, acc.pool[account, unit], acc.known[account, unit])
    missing = np.maximum(0, acc.news[account] - knows)
    stale = missing > 0
    stale_loss = sv.stale_penalty * stale * (1.0 - np.exp(-missing / sv.stale_time_constant))
    info_age = np.minimum(t - knows, model.params.information.info_age_cap_weeks)
    eng, skill = w.engagement[server] * served, w.skill[server] * served
    slow_loss = sv.slow_response_penalty * RESPONSE_WEEKS[channel]
    overload_loss = (sv.overload_penalty + sv.slow_response_penalty * RESPONSE_WEEKS[channel]) * overload
    quality = (
        sv.base_quality
        + rng.normal(0.0, sv.perception_noise_sd, n)
        + sv.engagement_weight * eng
        + sv.skill_weight * skill
        + sv.orientation_weight * w.orientation[server] * served
        + sv.richness_weight * RICHNESS[channel]
        - stale_loss
        - slow_loss
        - overload_loss
    )

    p_fail = sv.base_failure_rate * model.process_multiplier[channel] * (1 + sv.overload_failure_gain * overload)
    p_fail *= 1.0 - sv.skill_failure_protection * skill
    if model.spec.policies.user_stories:
        p_fail *= np.where(stage == DELIVERY_STAGE, 1.0 - model.params.information.user_stories_failure_cut, 1.0)
    u = rng.random((2, n))
    failed = (u[0] < p_fail) | unserved
    p_recover = sv.base_recovery_rate + model.spec.policies.empowerment * sv.empowered_recovery_rate * eng
    recovered = failed & served & (u[1] < p_recover)
    unrecovered = failed & ~recovered
    first = acc.last_failure[account] < t - sv.first_failure_window_weeks
    quality -= np.where(recovered, sv.recovered_quality_loss - sv.recovery_paradox_bonus * first, 0.0)
    quality -= sv.failure_quality_loss * unrecovered
    np.clip(quality, 0.0, 1.0, out=quality)

    shortfall = np.stack(
        [
            np.full(n, CAUSE_THRESHOLD),  # nothing went wrong: the customer simply expected more
            stale_loss,
            sv.engagement_weight * np.maximum(0.0, REFERENCE_LEVEL - eng),
            overload_loss,
            sv.failure_quality_loss * unrecovered,
            sv.skill_weight * np.maximum(0.0, REFERENCE_LEVEL - skill),
            slow_loss,
        ]
    )
    cause = shortfall.argmax(axis=0)

    acc.last_failure[account[failed]] = t
    complaint = unrecovered & served
    _open_complaints(model, account[complaint], server[complaint])
    _learn_from_touchpoints(model, account, unit, stand_in, served, t)

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
        info_age=info_age.astype(float),
        stale=stale,
        touched=touched,
        starts=starts,
        counts=counts,
        touched_stage=acc.stage[touched].astype(np.int64),
        touched_quality=mean_q,
    )


def _draw_touchpoints(model: CXModel) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """This week's touchpoints: account, stage and channel of each, sorted by account.

    Each account in stage s has Poisson(rate_s) touchpoints. Drawn the equivalent way (Poisson
    splitting): a Poisson(n_s * rate_s) total per stage, each touchpoint given to one of the
    stage's n_s accounts uniformly at random — fewer draws than one Poisson per account. Each
    touchpoint's channel is drawn from its stage's channel mix.
    """
    acc, rng = model.accounts, model.rng
    stage = acc.stage[: acc.n]
    accounts, stages, channels = [], [], []
    for s, rate in enumerate(model.touchpoint_rates):
        members = np.flatnonzero(stage == s)
        if not members.size or rate <= 0:
            continue
        k = rng.poisson(rate * members.size)
        accounts.append(members[rng.integers(0, members.size, k)])
        stages.append(np.full(k, s))
        cum = _STAGE_CUM[s]
        offset = np.searchsorted(cum, rng.random(k), side="right") if cum.size else np.zeros(k, dtype=np.int64)
        channels.append(_FIRST[s] + offset)
    if not accounts:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty
    account = np.concatenate(accounts)
    order = np.argsort(account, kind="stable")
    return account[order], np.concatenate(stages)[order], np.concatenate(channels)[order]


def run_starts(values: np.ndarray) -> np.ndarray:
    """Mask of the first element of each run of equal values in a sorted array."""
    first = np.empty(values.size, dtype=bool)
    first[:1] = True
    np.not_equal(values[1:], values[:-1], out=first[1:])
    return first


def _groups(account: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Unique accounts of a sorted array, where each one's run starts, and its length."""
    if not account.size:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty
    starts = np.flatnonzero(run_starts(account))
    counts = np.diff(starts, append=account.size)
    return account[starts], starts, counts


def _open_complaints(model: CXModel, account: np.ndarray, seat: np.ndarray) -> None:
    if not account.size:
        return
    acc = model.accounts
    first = run_starts(account)  # touchpoints are sorted by account
    new = first & ~acc.open_complaint[account]
    account, seat = account[new], seat[new]
    acc.open_complaint[account] = True
    acc.complaint_seat[account] = seat
    model.workforce.open_complaints += np.bincount(seat, minlength=model.workforce.size)
    model.counters["complaints"] += account.size


def _learn_from_touchpoints(
    model: CXModel, account: np.ndarray, unit: np.ndarray, stand_in: np.ndarray, served: np.ndarray, t: int
) -> None:
    """The server's picture is up to date after the customer has spoken; some touchpoints bring news.

    A stand-in's picture goes to the unit's pool; a touchpoint nobody answered teaches nobody.
    """
    acc = model.accounts
    own = served & ~stand_in
    acc.known[account[own], unit[own]] = t
    acc.pool[account[stand_in], unit[stand_in]] = t
    reveals = served & (model.rng.random(account.size) < model.params.information.touchpoint_news_share)
    acc.news[account[reveals]] = t


def transition_phase(model: CXModel) -> None:
    """Phase 6: prospects convert or go cold, deals are won or lost, projects complete.

    * New prospects arrive: from marketing (Poisson) and last week's referrals.
    * Maintenance -> delivery: a customer orders a new project with a weekly probability that
      rises with its satisfaction; it starts together with the week's won deals.
    * Prospect -> purchase: weekly probability logistic in the pre-purchase experience and the
      company's reputation (word of mouth); prospects also go cold at a constant rate.
    * Purchase -> delivery (won) or lost: a deal is decided at ``close_rate`` a week and won
      with a probability logistic in the purchase experience. A won deal signs an annual
      contract and is handed from sales to delivery (see :func:`sim.information.handoff`).
    * Delivery -> maintenance: when the project ends the account passes to a support engineer,
      without a transfer meeting (seed 003 names none at this step).
    """
    acc, rng, t = model.accounts, model.rng, model.steps
    j = model.params.journey
    wm = model.params.word_of_mouth

    arrivals = int(rng.poisson(j.marketing_inflow)) + model.referrals_due
    model.referrals_due = 0
    if arrivals:
        model.add_prospects(arrivals)
    pros = np.flatnonzero((acc.stage == PRE_PURCHASE) & (acc.created < t))
    if pros.size:
        logit = (
            _logit(j.conversion_rate)
            + j.conversion_satisfaction_slope * (acc.satisfaction[pros] - 0.75)
            + j.reputation_effect * (model.reputation - wm.reputation_reference)
        )
        p_conv = _sigmoid(logit)
        u = rng.random(pros.size)
        cold = u < j.prospect_dropout
        conv = ~cold & (u < j.prospect_dropout + p_conv)
        _end(model, pros[cold], LOST)
        _enter(model, pros[conv], PURCHASE)
        model.counters["conversions"] += int(conv.sum())

    deals = np.flatnonzero((acc.stage == PURCHASE) & (acc.stage_since < t))
    if deals.size:
        u = rng.random((2, deals.size))
        decided = u[0] < j.close_rate
        p_win = _sigmoid(_logit(j.win_rate) + j.win_satisfaction_slope * (acc.satisfaction[deals] - 0.75))
        won = deals[decided & (u[1] < p_win)]
        lost = deals[decided & (u[1] >= p_win)]
        _end(model, lost, LOST)
        model.counters["deals_lost"] += lost.size
    else:
        won = deals

    maint = np.flatnonzero(acc.stage == MAINTENANCE)
    p_project = np.minimum(1.0, j.new_project_rate * acc.satisfaction[maint] / 0.75)
    ordered = maint[rng.random(maint.size) < p_project]
    model.counters["new_projects"] += ordered.size
    if won.size or ordered.size:
        _sign(model, won)
        starting = np.concatenate([won, ordered])
        _start_project(model, starting, prefer_near=np.concatenate([acc.team[won, SALES], acc.team[ordered, SUPPORT]]))
        if won.size:
            handoff(model, won)

    done = np.flatnonzero((acc.stage == DELIVERY_STAGE) & (acc.project_end <= t))
    if done.size:
        _enter(model, done, MAINTENANCE)
        assign_seats(model, done, SUPPORT, prefer_near=acc.team[done, DELIVERY])
        model.refresh_ties(done)


def _sign(model: CXModel, rows: np.ndarray) -> None:
    """A won deal signs an annual contract (its project starts with the week's other projects)."""
    acc, rng, t = model.accounts, model.rng, model.steps
    j = model.params.journey
    acc.contract_value[rows] = model.segment_value[acc.segment[rows]] * rng.lognormal(
        0.0, j.contract_value_spread, rows.size
    )
    acc.contract_end[rows] = t + j.contract_weeks
    model.counters["wins"] += rows.size


def _start_project(model: CXModel, rows: np.ndarray, prefer_near: np.ndarray) -> None:
    """A project starts: a delivery team member is assigned and the project length drawn."""
    j = model.params.journey
    acc = model.accounts
    acc.project_end[rows] = model.steps + model.rng.geometric(1.0 / max(j.project_weeks, 1.0), rows.size)
    _enter(model, rows, DELIVERY_STAGE)
    assign_seats(model, rows, DELIVERY, prefer_near=prefer_near)
    model.refresh_ties(rows)


def _enter(model: CXModel, rows: np.ndarray, stage: int) -> None:
    acc = model.accounts
    acc.stage[rows] = stage
    acc.stage_since[rows] = model.steps


def _end(model: CXModel, rows: np.ndarray, state: int) -> None:
    if rows.size:
        _enter(model, rows, state)
        model.accounts.ended_at[rows] = model.steps
        model.close_complaints(rows)


def assign_seats(model: CXModel, rows: np.ndarray, unit: int, prefer_near: np.ndarray | None = None) -> None:
    """Give each account a team member in ``unit``, preferring a collaborator of ``prefer_near``.

    Seed 000 (participant 4): teams form along "collaborative networks". The unit's target
    portfolio is 1.15 x its mean portfolio once the new accounts are in (for delivery at least
    ``projects_per_delivery_employee``, seed 003). When the previous team member has a
    collaborator in the unit whose portfolio is below the target, that person takes the
    account; otherwise a seat is drawn with probability proportional to its room below the
    target. Portfolios are counted once a week (:meth:`CXModel.portfolios`) and grow with each
    assignment; a large batch (the initial customer base) is assigned in slices so that the
    portfolios it fills count for the rest of it.
    """
    if not rows.size:
        return
    w = model.workforce
    seats = model.unit_seats[unit]
    counts = model.portfolios()
    staffed = max(int(w.filled[seats].sum()), 1)
    target = max((counts[seats].sum() + rows.size) / staffed * model.params.journey.portfolio_headroom, 1.0)
    if unit == DELIVERY:
        target = max(target, model.params.journey.projects_per_delivery_employee)
    step = max(1, seats.size // 4)
    for start in range(0, rows.size, step):
        part = slice(start, start + step)
        near = prefer_near[part] if prefer_near is not None else None
        _assign_slice(model, rows[part], unit, seats, counts, target, near)


def _assign_slice(
    model: CXModel,
    rows: np.ndarray,
    unit: int,
    seats: np.ndarray,
    counts: np.ndarray,
    target: float,
    prefer_near: np.ndarray | None,
) -> None:
    acc, w, rng = model.accounts, model.workforce, model.rng
    room = np.maximum(target - counts[seats], 0.0) * w.filled[seats] + 1e-3
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
    changed = acc.team[rows, unit] != choice
    acc.team[rows, unit] = choice
    # a new team member knows what the unit has heard, not what the previous one knew
    acc.known[rows[changed], unit] = acc.pool[rows[changed], unit]
    np.add.at(counts, choice, 1)


def _logit(p: float) -> float:
    p = min(max(p, 1e-9), 1 - 1e-9)
    return float(np.log(p / (1 - p)))


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))
