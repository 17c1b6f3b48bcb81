"""Phase 9, measurement: surveys, NPS with its WHY, and feedback to leaders.

Seed 002: "NPS is a good KPI ... what is most important is to connect NPS with a question to
customers WHY". A share of touchpoints is surveyed (seed 000 5.4.4: the more data points, the
more to learn from); each answer is a likelihood to recommend (0-10, Reichheld 2003), and each
detractor carries a why — the stage, channel and cause of its worst touchpoint in the recent
window. Reports reach the responsible team leaders after the feedback delay
(:class:`sim.model.feedback.FeedbackQueue`), closing the loop in the leadership phase; the
answers also score each team, which CX-linked pay rewards.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.model.feedback import UNKNOWN_CAUSE, tally
from sim.model.grouping import run_starts
from sim.vocabulary import CHANNEL_UNIT, UNRECOVERED_FAILURE

if TYPE_CHECKING:
    from sim.model.phases.touchpoints import Touchpoints
    from sim.model.world import World

# The definition of NPS (Reichheld 2003), not parameters: changing them would measure something else.
#: top of the 0-10 likelihood-to-recommend answer scale
LTR_SCALE = 10
#: lowest answer of a promoter (9-10)
PROMOTER_ANSWER = 9
#: highest answer of a detractor (0-6)
DETRACTOR_ANSWER = 6


def measurement_phase(world: World, tp: Touchpoints) -> dict[str, float]:
    """Phase 9: survey, score the teams, and send the week's reports on their way to the teams.

    A share ``survey_coverage`` of touchpoints is followed by an invitation; the account answers
    with probability ``response_rate x exp(-fatigue_per_survey x invitations in the past
    fatigue_memory_weeks)`` (survey fatigue: the more an account is asked, the less it answers).
    Each answer is a likelihood to recommend (0-10). Every answer scores the team that served the
    touchpoint (the basis of CX-linked pay, :func:`_score_teams`); for the team table, every answer
    also counts for the team responsible for the account in the touchpoint's unit (its customers'
    survey score, as field studies measure a unit's customer satisfaction). Detractors become reports to
    the team that serves the account in the unit their WHY names, for that channel and cause
    (seed 002) — or, without the WHY question, to the serving team for the surveyed touchpoint's
    channel, cause unknown. Complaints this week (seed 004: complaints are information) and lost
    deals (their worst touchpoint) feed the same queue.
    """
    acc, rng = world.accounts, world.rng
    mp = world.params.measurement
    pol = world.config.policies
    t = world.week
    _update_worst(world, tp, t, mp.why_window_weeks)

    load = acc.survey_load[: acc.n]
    load *= np.exp(-1.0 / mp.fatigue_memory_weeks)
    invited = np.flatnonzero(rng.random(tp.size) < pol.survey_coverage)
    account = tp.account[invited]
    p_answer = mp.response_rate * np.exp(-mp.fatigue_per_survey * load[account])
    np.add.at(load, account, 1.0)
    answered = invited[rng.random(invited.size) < p_answer]
    surveyed = tp.account[answered]
    sat = acc.satisfaction[surveyed]
    ltr = np.clip(np.rint(LTR_SCALE * sat + rng.normal(0, mp.ltr_noise_sd, surveyed.size)), 0, LTR_SCALE)
    promoters = int((ltr >= PROMOTER_ANSWER).sum())
    detractors = ltr <= DETRACTOR_ANSWER
    served_by = world.workforce.team[tp.server[answered]]
    _score_teams(world, served_by, ltr / LTR_SCALE)
    world.tallies.answers(world, _team_of(world, surveyed, tp.channel[answered]), ltr / LTR_SCALE)

    who = surveyed[detractors]
    if pol.ask_why:
        ch, cause = acc.worst_channel[who].astype(np.int64), acc.worst_cause[who].astype(np.int64)
        named = ch >= 0
        who, ch, cause = who[named], ch[named], cause[named]
        team = _team_of(world, who, ch)
        if t > world.config.warmup:
            np.add.at(world.why_counts, (ch, cause), 1)
    else:
        ch = tp.channel[answered][detractors]
        team = served_by[detractors]
        cause = np.full(ch.size, UNKNOWN_CAUSE)
    told = tp.complaint
    lost = world.lost_deals
    lost = lost[acc.worst_channel[lost] >= 0]
    lost_ch = acc.worst_channel[lost].astype(np.int64)
    lost_cause = acc.worst_cause[lost].astype(np.int64) if pol.ask_why else np.full(lost.size, UNKNOWN_CAUSE)
    world.feedback.push(
        tally(
            t,
            np.concatenate([team, world.workforce.team[tp.server[told]], _team_of(world, lost, lost_ch)]),
            np.concatenate([ch, tp.channel[told], lost_ch]),
            np.concatenate([cause, np.full(int(told.sum()), UNRECOVERED_FAILURE), lost_cause]),
            world.process_multiplier.shape[1:],
        )
    )
    world.counters["reports"] += int(who.size + told.sum() + lost.size)
    return {"responses": float(surveyed.size), "promoters": float(promoters), "detractors": float(detractors.sum())}


def _team_of(world: World, rows: np.ndarray, channel: np.ndarray) -> np.ndarray:
    """The team of each account's team member in the unit responsible for ``channel`` (-1 if none)."""
    seat = world.accounts.team[rows, CHANNEL_UNIT[channel]]
    return np.where(seat >= 0, world.workforce.team[np.maximum(seat, 0)], -1)


def _score_teams(world: World, team: np.ndarray, score: np.ndarray) -> None:
    """Each team's measured customer score (answers / 10), smoothed, and the CX bonus it earns.

    CX-linked pay (seed 004: CX results in the reward system; seed 003: licences in bonus plans)
    pays a share of the full bonus that rises linearly from 0 at ``incentives.threshold`` to 1 at
    a perfect score. A team nobody has scored earns nothing: no measurement, no bonus.
    """
    ip = world.params.incentives
    counts = np.bincount(team, minlength=world.team_score.size)
    sums = np.bincount(team, weights=score, minlength=world.team_score.size)
    got = counts > 0
    mean = sums[got] / counts[got]
    old = world.team_score[got]
    world.team_score[got] = np.where(np.isnan(old), mean, old + ip.score_memory * (mean - old))
    if world.config.policies.cx_incentives:
        share = (np.nan_to_num(world.team_score, nan=ip.threshold) - ip.threshold) / (1.0 - ip.threshold)
        world.bonus_share = np.clip(share, 0.0, 1.0)
    else:
        world.bonus_share = np.zeros(world.team_score.size)


def _update_worst(world: World, tp: Touchpoints, t: int, window: int) -> None:
    """Per account, the worst touchpoint within the why window (stage, channel and cause)."""
    if not tp.size:
        return
    acc = world.accounts
    worst = np.minimum.reduceat(tp.quality, tp.starts)  # touchpoints are sorted by account
    hits = np.flatnonzero(tp.quality == np.repeat(worst, tp.counts))
    group = np.repeat(np.arange(tp.starts.size), tp.counts)[hits]
    first = hits[run_starts(group)]  # the first worst touchpoint of each account
    rows = tp.account[first]
    q = tp.quality[first]
    expired = acc.worst_time[rows] < t - window
    worse = expired | (q <= acc.worst_quality[rows])
    rows, first = rows[worse], first[worse]
    acc.worst_quality[rows] = tp.quality[first]
    acc.worst_time[rows] = t
    acc.worst_channel[rows] = tp.channel[first]
    acc.worst_cause[rows] = tp.cause[first]
