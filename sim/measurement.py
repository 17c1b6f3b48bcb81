"""Measurement: surveys, NPS with its WHY, feedback to leaders, and the per-step KPI record.

Seed 002: "NPS is a good KPI ... what is most important is to connect NPS with a question to
customers WHY". A share of touchpoints is surveyed (seed 000 5.4.4: the more data points, the
more to learn from); each answer is a likelihood to recommend (0-10, Reichheld 2003), and each
detractor carries a why — the stage, channel and cause of its worst touchpoint in the recent
window. Detractor reports reach the responsible leaders after the feedback delay
(:class:`FeedbackQueue`), closing the loop in the leadership phase.
"""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING

import numpy as np

from sim.customers import (
    MAINTENANCE,
    PRE_PURCHASE,
    STAGES,
    promoter_detractor,
)
from sim.journey import CAUSES, CHANNEL_KEYS, CHANNELS
from sim.organisation import UNITS

if TYPE_CHECKING:
    from sim.journey import Touchpoints
    from sim.model import CXModel

N_CH, N_CAUSES = len(CHANNELS), len(CAUSES)

#: counters recorded per step as the change since the previous step
EVENT_COUNTERS = (
    "churned",
    "churned_revenue",
    "renewals",
    "conversions",
    "wins",
    "new_projects",
    "deals_lost",
    "referrals",
    "quits",
    "hires",
    "complaints",
    "complaints_resolved",
    "handoffs",
    "handoffs_lost",
)


class FeedbackQueue:
    """Detractor reports per channel, delivered to leaders ``delay`` weeks after the survey."""

    def __init__(self, delay: int) -> None:
        self.delay = delay
        self._queue: deque[np.ndarray] = deque()

    def push(self, reports: np.ndarray) -> None:
        self._queue.append(reports)

    def deliver(self) -> np.ndarray | None:
        """This week's arrivals: the reports pushed ``delay`` weeks ago (at the earliest, last week's).

        Reports are pushed at the end of a week (phase 9) and read at the start of one (phase 1),
        so the queue holds the last ``delay`` weeks' reports when the oldest is due.
        """
        if self._queue and len(self._queue) >= self.delay:
            return self._queue.popleft()
        return None


def measurement_phase(model: CXModel, tp: Touchpoints) -> dict[str, float]:
    """Phase 9: keep each account's worst recent touchpoint, survey, and queue the detractors' why."""
    acc, rng = model.accounts, model.rng
    mp = model.params.measurement
    t = model.steps
    _update_worst(model, tp, t, mp.why_window_weeks)

    surveyed = tp.account[rng.random(tp.size) < model.spec.policies.survey_coverage]
    sat = acc.satisfaction[surveyed]
    ltr = np.clip(np.rint(10 * sat + rng.normal(0, mp.ltr_noise_sd, surveyed.size)), 0, 10)
    promoters = int((ltr >= 9).sum())
    detractors = ltr <= 6
    who = surveyed[detractors]
    ch, cause = acc.worst_channel[who], acc.worst_cause[who]
    known_why = ch >= 0
    reports = np.bincount(ch[known_why], minlength=N_CH)
    model.feedback.push(reports)
    if t > model.spec.warmup:
        np.add.at(model.why_counts, (ch[known_why], cause[known_why]), 1)
    return {"responses": float(surveyed.size), "promoters": float(promoters), "detractors": float(detractors.sum())}


def _update_worst(model: CXModel, tp: Touchpoints, t: int, window: int) -> None:
    """Per account, the worst touchpoint within the why window (stage, channel and cause)."""
    if not tp.size:
        return
    acc = model.accounts
    counts = np.diff(np.append(tp.starts, tp.size))
    worst = np.minimum.reduceat(tp.quality, tp.starts)  # touchpoints are sorted by account
    hits = np.flatnonzero(tp.quality == np.repeat(worst, counts))
    group = np.repeat(np.arange(tp.starts.size), counts)[hits]
    first = hits[np.r_[True, group[1:] != group[:-1]]]  # the first worst touchpoint of each account
    rows = tp.account[first]
    q = tp.quality[first]
    expired = acc.worst_time[rows] < t - window
    worse = expired | (q <= acc.worst_quality[rows])
    rows, first = rows[worse], first[worse]
    acc.worst_quality[rows] = tp.quality[first]
    acc.worst_time[rows] = t
    acc.worst_channel[rows] = tp.channel[first]
    acc.worst_cause[rows] = tp.cause[first]


def kpi_columns() -> list[str]:
    """Names of the per-step KPI record, in order (see :func:`kpi_row`)."""
    cols = ["customers", "prospects", "purchase", "delivery", "maintenance", "churned_total", "lost_total"]
    cols += list(EVENT_COUNTERS)
    cols += ["satisfaction", *(f"satisfaction.{s}" for s in STAGES)]
    cols += ["nps", "nps_surveyed", "responses", "promoters", "detractors", "recurring_revenue", "reputation"]
    cols += ["engagement", *(f"engagement.{u}" for u in UNITS)]
    cols += [f"utilisation.{u}" for u in UNITS] + [f"headcount.{u}" for u in UNITS] + ["vacancies"]
    cols += ["touchpoints", *(f"touchpoints.{c}" for c in CHANNEL_KEYS)]
    cols += ["quality", *(f"quality.{c}" for c in CHANNEL_KEYS)]
    cols += ["failures", "recovered", "open_complaints"]
    cols += ["info_age_weeks", *(f"info_age_weeks.{u}" for u in UNITS), "stale_share"]
    cols += ["news_reached", "news_delay_sum", "stand_in_share", "process_multiplier"]
    return cols


def kpi_row(model: CXModel, tp: Touchpoints, survey: dict[str, float]) -> np.ndarray:
    """One step's model-level KPIs, computed from the arrays in a few vectorised reductions."""
    acc, w = model.accounts, model.workforce
    stage_counts = np.bincount(acc.stage[acc.stage >= 0], minlength=6).astype(float)
    cust = acc.customers()
    n_cust = stage_counts[2] + stage_counts[3]
    sat = acc.satisfaction
    in_j = acc.in_journey()
    sat_by_stage = _group_mean(acc.stage[in_j], sat[in_j], len(STAGES))
    prom, det = promoter_detractor(sat)
    nps = 100.0 * ((prom & cust).sum() - (det & cust).sum()) / n_cust if n_cust else 0.0
    model.survey_window.append((survey["promoters"], survey["detractors"], survey["responses"]))
    p, d, r = np.sum(model.survey_window, axis=0)
    nps_surveyed = 100.0 * (p - d) / r if r else nps
    events = [model.counters[k] - model.last_counters.get(k, 0) for k in EVENT_COUNTERS]
    model.last_counters = dict(model.counters)

    filled = w.filled
    unit = w.unit
    eng_by_unit = _group_mean(unit[filled], w.engagement[filled], len(UNITS))
    util_by_unit = _group_mean(unit[filled], w.utilisation[filled], len(UNITS))
    head = np.bincount(unit[filled], minlength=len(UNITS)).astype(float)

    n_tp = tp.size
    tp_by_ch = np.bincount(tp.channel, minlength=N_CH).astype(float)
    q_by_ch = _group_mean(tp.channel, tp.quality, N_CH, empty=np.nan)
    tp_unit = model_unit_of_stage(tp.stage)
    age_by_unit = _group_mean(tp_unit, tp.info_age, len(UNITS), empty=np.nan)
    mean = (lambda x: float(x.mean())) if n_tp else (lambda x: np.nan)
    return np.concatenate(
        [
            [n_cust, stage_counts[PRE_PURCHASE], stage_counts[1], stage_counts[2], stage_counts[MAINTENANCE]],
            [stage_counts[4], stage_counts[5]],
            events,
            [float(sat[cust].mean()) if n_cust else np.nan],
            sat_by_stage,
            [nps, nps_surveyed, survey["responses"], survey["promoters"], survey["detractors"]],
            [float(acc.contract_value[cust].sum()), model.reputation],
            [float(w.engagement[filled].mean()) if filled.any() else np.nan],
            eng_by_unit,
            util_by_unit,
            head,
            [float((~filled).sum())],
            [float(n_tp)],
            tp_by_ch,
            [mean(tp.quality)],
            q_by_ch,
            [float(tp.failed.sum()), float(tp.recovered.sum()), float(acc.open_complaint.sum())],
            [mean(tp.info_age)],
            age_by_unit,
            [mean(tp.stale)],
            [model.step_stats.get("news_reached", 0.0), model.step_stats.get("news_delay_sum", 0.0)],
            [mean(tp.stand_in), float(model.process_multiplier.mean())],
        ]
    )


def model_unit_of_stage(stage: np.ndarray) -> np.ndarray:
    from sim.customers import STAGE_UNIT

    return STAGE_UNIT[stage]


def _group_mean(groups: np.ndarray, values: np.ndarray, n: int, empty: float = np.nan) -> np.ndarray:
    counts = np.bincount(groups, minlength=n)
    sums = np.bincount(groups, weights=values, minlength=n)
    out = np.full(n, empty, dtype=float)
    np.divide(sums, counts, out=out, where=counts > 0)
    return out
