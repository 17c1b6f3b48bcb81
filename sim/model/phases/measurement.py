"""Phase 9, measurement: surveys, NPS with its WHY, and feedback to leaders.

Seed 002: "NPS is a good KPI ... what is most important is to connect NPS with a question to
customers WHY". A share of touchpoints is surveyed (seed 000 5.4.4: the more data points, the
more to learn from); each answer is a likelihood to recommend (0-10, Reichheld 2003), and each
detractor carries a why — the stage, channel and cause of its worst touchpoint in the recent
window. Detractor reports reach the responsible leaders after the feedback delay
(:class:`sim.model.feedback.FeedbackQueue`), closing the loop in the leadership phase.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.model.grouping import run_starts
from sim.vocabulary import CHANNELS

if TYPE_CHECKING:
    from sim.model.phases.touchpoints import Touchpoints
    from sim.model.world import World
    from sim.scenario.parameters import MeasurementParameters

# The definition of NPS (Reichheld 2003), not parameters: changing them would measure something else.
#: top of the 0-10 likelihood-to-recommend answer scale
LTR_SCALE = 10
#: lowest answer of a promoter (9-10)
PROMOTER_ANSWER = 9
#: highest answer of a detractor (0-6)
DETRACTOR_ANSWER = 6


def promoter_detractor(satisfaction: np.ndarray, mp: MeasurementParameters) -> tuple[np.ndarray, np.ndarray]:
    """Census classification by expected likelihood to recommend, LTR = 10 x satisfaction.

    Promoters answer 9-10 (satisfaction >= ``promoter_satisfaction``, 0.85 by default),
    detractors 0-6 (satisfaction < ``detractor_satisfaction``, 0.65) (Reichheld 2003).
    """
    return satisfaction >= mp.promoter_satisfaction, satisfaction < mp.detractor_satisfaction


def measurement_phase(world: World, tp: Touchpoints) -> dict[str, float]:
    """Phase 9: keep each account's worst recent touchpoint, survey, and queue the detractors' why."""
    acc, rng = world.accounts, world.rng
    mp = world.params.measurement
    t = world.week
    _update_worst(world, tp, t, mp.why_window_weeks)

    surveyed = tp.account[rng.random(tp.size) < world.config.policies.survey_coverage]
    sat = acc.satisfaction[surveyed]
    ltr = np.clip(np.rint(LTR_SCALE * sat + rng.normal(0, mp.ltr_noise_sd, surveyed.size)), 0, LTR_SCALE)
    promoters = int((ltr >= PROMOTER_ANSWER).sum())
    detractors = ltr <= DETRACTOR_ANSWER
    who = surveyed[detractors]
    ch, cause = acc.worst_channel[who], acc.worst_cause[who]
    known_why = ch >= 0
    reports = np.bincount(ch[known_why], minlength=len(CHANNELS))
    world.feedback.push(reports)
    if t > world.config.warmup:
        np.add.at(world.why_counts, (ch[known_why], cause[known_why]), 1)
    return {"responses": float(surveyed.size), "promoters": float(promoters), "detractors": float(detractors.sum())}


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
