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
    DELIVERY_STAGE,
    MAINTENANCE,
    STAGE_UNIT,
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
    """One step's model-level KPIs, computed from the arrays in a few vectorised reductions.

    Accounts are counted per stage (and end state) in two bincounts over ``stage + 1`` (so unused
    rows, stage -1, land in bin 0); employees per unit in three; touchpoints per channel and unit.
    """
    acc, w = model.accounts, model.workforce
    code = acc.stage[: acc.n] + 1  # rows beyond n are unused
    n_by = np.bincount(code, minlength=7)[1:].astype(float)  # pre, purchase, delivery, maint, churned, lost
    sat_sum = np.bincount(code, weights=acc.satisfaction[: acc.n], minlength=7)[1:]
    value_sum = np.bincount(code, weights=acc.contract_value[: acc.n], minlength=7)[1:]
    n_cust = n_by[2] + n_by[3]
    sat_by_stage = _ratio(sat_sum[:4], n_by[:4])
    cust = (code == DELIVERY_STAGE + 1) | (code == MAINTENANCE + 1)
    prom, det = promoter_detractor(acc.satisfaction[: acc.n][cust])
    nps = 100.0 * (int(prom.sum()) - int(det.sum())) / n_cust if n_cust else np.nan
    nps_surveyed = _surveyed_nps(model, survey, nps)
    events = [model.counters[k] - model.last_counters.get(k, 0) for k in EVENT_COUNTERS]
    model.last_counters = dict(model.counters)

    unit, filled = w.unit, w.filled.astype(float)
    head = np.bincount(unit, weights=filled, minlength=len(UNITS))
    eng_sum = np.bincount(unit, weights=w.engagement * filled, minlength=len(UNITS))
    util_sum = np.bincount(unit, weights=w.utilisation * filled, minlength=len(UNITS))

    n_tp = tp.size
    tp_by_ch = np.bincount(tp.channel, minlength=N_CH).astype(float)
    q_sum = np.bincount(tp.channel, weights=tp.quality, minlength=N_CH)
    tp_unit = STAGE_UNIT[tp.stage]
    tp_by_unit = np.bincount(tp_unit, minlength=len(UNITS))
    age_sum = np.bincount(tp_unit, weights=tp.info_age, minlength=len(UNITS))
    per_tp = 1.0 / n_tp if n_tp else np.nan
    return np.concatenate(
        [
            [n_cust, n_by[0], n_by[1], n_by[2], n_by[3], n_by[4], n_by[5]],
            events,
            [(sat_sum[2] + sat_sum[3]) / n_cust if n_cust else np.nan],
            sat_by_stage,
            [nps, nps_surveyed, survey["responses"], survey["promoters"], survey["detractors"]],
            [value_sum[2] + value_sum[3], model.reputation],
            [eng_sum.sum() / head.sum() if head.sum() else np.nan],
            _ratio(eng_sum, head),
            _ratio(util_sum, head),
            head,
            [w.size - head.sum()],
            [float(n_tp)],
            tp_by_ch,
            [q_sum.sum() * per_tp],
            _ratio(q_sum, tp_by_ch),
            [float(tp.failed.sum()), float(tp.recovered.sum()), float(acc.open_complaint.sum())],
            [age_sum.sum() * per_tp],
            _ratio(age_sum, tp_by_unit),
            [tp.stale.sum() * per_tp],
            [model.step_stats.get("news_reached", 0.0), model.step_stats.get("news_delay_sum", 0.0)],
            [tp.stand_in.sum() * per_tp, float(model.process_multiplier.mean())],
        ]
    )


def _surveyed_nps(model: CXModel, survey: dict[str, float], fallback: float) -> float:
    """NPS of the survey answers of the last ``nps_window_weeks`` weeks (running sums)."""
    new = np.array([survey["promoters"], survey["detractors"], survey["responses"]])
    window = model.survey_window
    if len(window) == window.maxlen:
        model.survey_totals -= window[0]
    window.append(new)
    model.survey_totals += new
    p, d, r = model.survey_totals
    return 100.0 * (p - d) / r if r else fallback


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """Element-wise num / den, NaN where there is nothing to average."""
    out = np.full(num.shape, np.nan)
    np.divide(num, den, out=out, where=den > 0)
    return out
