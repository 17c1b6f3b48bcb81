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
from sim.journey import CAUSES, CHANNEL_KEYS, CHANNELS, run_starts
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


_COLUMNS = kpi_columns()
_AT = {name: i for i, name in enumerate(_COLUMNS)}
_NU, _NS = len(UNITS), len(STAGES)


def kpi_row(model: CXModel, tp: Touchpoints, survey: dict[str, float]) -> np.ndarray:
    """One step's model-level KPIs, computed from the arrays in a few vectorised reductions.

    Accounts are counted per stage (and end state) in bincounts over ``stage + 1`` (bin 0 would
    hold unused rows); employees per unit, touchpoints per channel and unit likewise. Every mean
    is one element of a single division (NaN where there is nothing to average), written into a
    preallocated row: data collection stays a small share of a run.
    """
    acc, w = model.accounts, model.workforce
    n = acc.n
    code = acc.stage[:n] + 1
    n_by = np.bincount(code, minlength=7)[1:]  # pre, purchase, delivery, maint, churned, lost
    sat_sum = np.bincount(code, weights=acc.satisfaction[:n], minlength=7)[1:]
    value_sum = np.bincount(code, weights=acc.contract_value[:n], minlength=7)[1:]
    n_cust = n_by[2] + n_by[3]
    prom, det = promoter_detractor(acc.satisfaction[:n][(code == DELIVERY_STAGE + 1) | (code == MAINTENANCE + 1)])
    nps = 100.0 * (np.count_nonzero(prom) - np.count_nonzero(det)) / n_cust if n_cust else np.nan

    filled = w.filled.astype(float)
    head = np.bincount(w.unit, weights=filled, minlength=_NU)
    eng_sum = np.bincount(w.unit, weights=w.engagement * filled, minlength=_NU)
    util_sum = np.bincount(w.unit, weights=w.utilisation * filled, minlength=_NU)
    n_tp = tp.size
    tp_by_ch = np.bincount(tp.channel, minlength=N_CH)
    q_sum = np.bincount(tp.channel, weights=tp.quality, minlength=N_CH)
    tp_unit = STAGE_UNIT[tp.stage]
    tp_by_unit = np.bincount(tp_unit, minlength=_NU)
    age_sum = np.bincount(tp_unit, weights=tp.info_age, minlength=_NU)
    counts = np.array([np.count_nonzero(tp.stale), np.count_nonzero(tp.stand_in)], dtype=float)

    # numerators and denominators of every mean, in the order they are written below
    num = np.concatenate(
        [
            [sat_sum[2] + sat_sum[3]],
            sat_sum[:_NS],
            [eng_sum.sum()],
            eng_sum,
            util_sum,
            [q_sum.sum()],
            q_sum,
            [age_sum.sum()],
            age_sum,
            counts,
        ]
    )
    den = np.concatenate(
        [[n_cust], n_by[:_NS], [head.sum()], head, head, [n_tp], tp_by_ch, [n_tp], tp_by_unit, [n_tp, n_tp]]
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = num / den
    mean[den == 0] = np.nan

    row = np.empty(len(_COLUMNS))
    row[_AT["customers"]] = n_cust
    row[_AT["prospects"] : _AT["prospects"] + 6] = n_by
    row[_AT[EVENT_COUNTERS[0]] : _AT[EVENT_COUNTERS[0]] + len(EVENT_COUNTERS)] = [
        model.counters[k] - model.last_counters.get(k, 0) for k in EVENT_COUNTERS
    ]
    model.last_counters = dict(model.counters)
    row[_AT["satisfaction"] : _AT["satisfaction"] + 1 + _NS] = mean[: 1 + _NS]
    i = 1 + _NS
    row[_AT["nps"]] = nps
    row[_AT["nps_surveyed"]] = _surveyed_nps(model, survey, nps)
    row[_AT["responses"]] = survey["responses"]
    row[_AT["promoters"]] = survey["promoters"]
    row[_AT["detractors"]] = survey["detractors"]
    row[_AT["recurring_revenue"]] = value_sum[2] + value_sum[3]
    row[_AT["reputation"]] = model.reputation
    row[_AT["engagement"] : _AT["engagement"] + 1 + 2 * _NU] = mean[i : i + 1 + 2 * _NU]  # then utilisation
    i += 1 + 2 * _NU
    row[_AT[f"headcount.{UNITS[0]}"] : _AT[f"headcount.{UNITS[0]}"] + _NU] = head
    row[_AT["vacancies"]] = w.size - head.sum()
    row[_AT["touchpoints"]] = n_tp
    row[_AT["touchpoints"] + 1 : _AT["touchpoints"] + 1 + N_CH] = tp_by_ch
    row[_AT["quality"] : _AT["quality"] + 1 + N_CH] = mean[i : i + 1 + N_CH]
    i += 1 + N_CH
    row[_AT["failures"]] = np.count_nonzero(tp.failed)
    row[_AT["recovered"]] = np.count_nonzero(tp.recovered)
    row[_AT["open_complaints"]] = np.count_nonzero(acc.open_complaint)
    row[_AT["info_age_weeks"] : _AT["info_age_weeks"] + 1 + _NU] = mean[i : i + 1 + _NU]
    row[_AT["stale_share"]] = mean[i + 1 + _NU]
    row[_AT["stand_in_share"]] = mean[i + 2 + _NU]
    row[_AT["news_reached"]] = model.step_stats.get("news_reached", 0.0)
    row[_AT["news_delay_sum"]] = model.step_stats.get("news_delay_sum", 0.0)
    row[_AT["process_multiplier"]] = model.process_multiplier.sum() / model.process_multiplier.size
    return row


def _surveyed_nps(model: CXModel, survey: dict[str, float], fallback: float) -> float:
    """NPS of the survey answers of the last ``nps_window_weeks`` weeks (running sums)."""
    new = (survey["promoters"], survey["detractors"], survey["responses"])
    window = model.survey_window
    totals = model.survey_totals
    if len(window) == window.maxlen:
        totals = [t - old for t, old in zip(totals, window[0], strict=True)]
    window.append(new)
    p, d, r = model.survey_totals = [t + x for t, x in zip(totals, new, strict=True)]
    return 100.0 * (p - d) / r if r else fallback
