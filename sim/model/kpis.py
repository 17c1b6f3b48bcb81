"""The per-step KPI record: one row of model-level numbers per week, from the state stores.

The record is the model's own output (Mesa's DataCollector keeps a few headline columns of it);
run summaries, figures and batches are computed from it outside the model.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.model.phases.leadership import meeting_due
from sim.model.recommendation import promoter_detractor
from sim.vocabulary import (
    CAUSES,
    CHANNEL_KEYS,
    CHANNELS,
    DELIVERY_STAGE,
    FIXABLE,
    MAINTENANCE,
    STAGE_UNIT,
    STAGES,
    UNITS,
    WEEKS_PER_YEAR,
)

if TYPE_CHECKING:
    from sim.model.phases.touchpoints import Touchpoints
    from sim.model.world import World

N_CH = len(CHANNELS)
MINUTES_PER_HOUR = 60.0

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
    "requirements",
    "requirements_lost",
    "requirements_overpromised",
    "delivery_failures",
    "rework_failures",
    "facts_logged",
    "trainees",
    "reports",
    "fixes",
    "fixes_targeted",
    "events_applied",
    "arrivals",
    "market_returns",
)

#: running cost components (EUR per week; see :func:`costs_of_week`)
RUNNING_COSTS = (
    *(f"salaries.{u}" for u in UNITS),
    "meetings",
    "transfer_meetings",
    "user_stories",
    "surveys",
    "cx_incentives",
    "empowerment",
    "shared_record",
)
#: one-off cost components, paid once per person (EUR per week in which they fall)
ONE_OFF_COSTS = ("hiring", "licence_training", "attitude_premium")
COST_COMPONENTS = RUNNING_COSTS + ONE_OFF_COSTS


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
    cols += ["failures", "recovered", "escalated", "open_complaints"]
    cols += ["info_age_weeks", *(f"info_age_weeks.{u}" for u in UNITS), "stale_share"]
    cols += ["news_reached", "news_delay_sum", "fact_holders", "stand_in_share"]
    cols += ["process_multiplier", *(f"process_multiplier.{CAUSES[c]}" for c in FIXABLE), "cx_bonus_share"]
    cols += ["revenue", *(f"cost.{c}" for c in COST_COMPONENTS), "costs_running", "costs_one_off", "costs", "profit"]
    cols += [*(f"service_standard.{u}" for u in UNITS), *(f"time_given.{u}" for u in UNITS)]
    cols += ["market_remaining", "adoption_share"]
    return cols


_COLUMNS = kpi_columns()
_AT = {name: i for i, name in enumerate(_COLUMNS)}
_NU, _NS = len(UNITS), len(STAGES)


class KpiRecord:
    """The KPI rows of a run, preallocated for its horizon; event counters become weekly changes."""

    def __init__(self, steps: int) -> None:
        self.columns = kpi_columns()
        self.index = {name: i for i, name in enumerate(self.columns)}
        self.rows = np.full((steps, len(self.columns)), np.nan)
        self.last_counters: dict[str, float] = dict.fromkeys(EVENT_COUNTERS, 0)

    def record(self, week: int, world: World, tp: Touchpoints, survey: dict[str, float]) -> None:
        """Write week ``week``'s row (weeks count from 1)."""
        self.rows[week - 1] = kpi_row(world, tp, survey, self.last_counters)
        self.last_counters = dict(world.counters)


def kpi_row(world: World, tp: Touchpoints, survey: dict[str, float], last_counters: dict[str, float]) -> np.ndarray:
    """One step's model-level KPIs, computed from the arrays in a few vectorised reductions.

    Accounts are counted per stage (and end state) in bincounts over ``stage + 1`` (bin 0 would
    hold unused rows); employees per unit, touchpoints per channel and unit likewise. Every mean
    is one element of a single division (NaN where there is nothing to average), written into a
    preallocated row: data collection stays a small share of a run.
    """
    acc, w = world.accounts, world.workforce
    n = acc.n
    code = acc.stage[:n] + 1
    n_by = np.bincount(code, minlength=7)[1:]  # pre, purchase, delivery, maint, churned, lost
    sat_sum = np.bincount(code, weights=acc.satisfaction[:n], minlength=7)[1:]
    value_sum = np.bincount(code, weights=acc.contract_value[:n], minlength=7)[1:]
    n_cust = n_by[2] + n_by[3]
    customers = (code == DELIVERY_STAGE + 1) | (code == MAINTENANCE + 1)
    prom, det = promoter_detractor(acc.satisfaction[:n][customers], world.params.measurement)
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
        world.counters[k] - last_counters.get(k, 0) for k in EVENT_COUNTERS
    ]
    row[_AT["satisfaction"] : _AT["satisfaction"] + 1 + _NS] = mean[: 1 + _NS]
    i = 1 + _NS
    row[_AT["nps"]] = nps
    row[_AT["nps_surveyed"]] = _surveyed_nps(world, survey, nps)
    row[_AT["responses"]] = survey["responses"]
    row[_AT["promoters"]] = survey["promoters"]
    row[_AT["detractors"]] = survey["detractors"]
    row[_AT["recurring_revenue"]] = value_sum[2] + value_sum[3]
    row[_AT["reputation"]] = world.reputation
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
    row[_AT["escalated"]] = np.count_nonzero(tp.escalated)
    row[_AT["open_complaints"]] = np.count_nonzero(acc.open_complaint)
    row[_AT["info_age_weeks"] : _AT["info_age_weeks"] + 1 + _NU] = mean[i : i + 1 + _NU]
    row[_AT["stale_share"]] = mean[i + 1 + _NU]
    row[_AT["stand_in_share"]] = mean[i + 2 + _NU]
    row[_AT["news_reached"]] = world.step_stats.get("news_reached", 0.0)
    row[_AT["news_delay_sum"]] = world.step_stats.get("news_delay_sum", 0.0)
    row[_AT["fact_holders"]] = world.knowledge.keys.size
    served = world.process_cells & world.channels.usable  # the channels in use that each team serves
    cells = world.process_multiplier[served][:, FIXABLE]
    row[_AT["process_multiplier"]] = cells.mean()
    row[_AT["process_multiplier"] + 1 : _AT["process_multiplier"] + 1 + FIXABLE.size] = cells.mean(axis=0)
    row[_AT["cx_bonus_share"]] = world.bonus_share.mean()
    row[_AT["revenue"]] = row[_AT["recurring_revenue"]] / WEEKS_PER_YEAR
    cost = costs_of_week(
        world,
        {name: row[_AT[name]] for name in ("wins", "handoffs", "hires", "trainees", "responses", "recovered")}
        | {"facts_logged": row[_AT["facts_logged"]]},
        head,
    )
    row[_AT[f"cost.{COST_COMPONENTS[0]}"] : _AT[f"cost.{COST_COMPONENTS[0]}"] + len(COST_COMPONENTS)] = cost
    running = float(cost[: len(RUNNING_COSTS)].sum())
    one_off = float(cost[len(RUNNING_COSTS) :].sum())
    row[_AT["costs_running"]] = running
    row[_AT["costs_one_off"]] = one_off
    row[_AT["costs"]] = running + one_off
    row[_AT["profit"]] = row[_AT["revenue"]] - (running + one_off)
    row[_AT[f"service_standard.{UNITS[0]}"] : _AT[f"service_standard.{UNITS[0]}"] + _NU] = world.service_standard
    given = np.bincount(tp_unit, weights=tp.time_given, minlength=_NU)
    with np.errstate(divide="ignore", invalid="ignore"):
        row[_AT[f"time_given.{UNITS[0]}"] : _AT[f"time_given.{UNITS[0]}"] + _NU] = np.where(
            tp_by_unit > 0, given / tp_by_unit, np.nan
        )
    market = world.market
    row[_AT["market_remaining"]] = market.remaining().sum()
    potential = market.potential.sum()
    row[_AT["adoption_share"]] = n_cust / potential if potential else np.nan
    return row


def costs_of_week(world: World, events: dict[str, float], head: np.ndarray) -> np.ndarray:
    """The week's cost components (EUR) in the order of :data:`COST_COMPONENTS`.

    ``events`` holds the week's wins, handoffs (won deals and repeat projects), hires, trainees,
    survey answers, recovered failures and facts logged in the shared customer record; ``head``
    the filled seats per unit. Salaries are a year's employer cost over 52 weeks; time (meetings,
    transfer meetings, user stories, logging) is priced at the salary per working hour (logging at
    the mean over the filled seats). A policy's cost is zero while the policy is off.
    """
    c = world.params.costs
    pol = world.config.policies
    salary = np.array([c.salary_sales, c.salary_delivery, c.salary_support])
    hourly = salary / c.working_hours_per_year
    sales, delivery = UNITS.index("sales"), UNITS.index("delivery")
    meeting = meeting_due(world.week, world.config.organization.meeting_every_weeks)
    hires = events["hires"]
    team_head = np.bincount(world.workforce.team, weights=world.workforce.filled, minlength=world.bonus_share.size)
    running = [
        *(head * salary / WEEKS_PER_YEAR),
        float(meeting) * c.meeting_hours * float(head @ hourly),
        pol.transfer_meeting * events["handoffs"] * c.transfer_meeting_hours * (hourly[sales] + hourly[delivery]) / 2.0,
        pol.user_stories * events["handoffs"] * c.user_stories_hours * hourly[delivery],
        events["responses"] * c.survey_cost_per_answer,
        float(world.bonus_share @ team_head) * c.cx_incentive_payout / WEEKS_PER_YEAR,
        pol.empowerment * events["recovered"] * c.goodwill_per_recovery,
        pol.shared_customer_record
        * (
            head.sum() * c.record_cost_per_seat_year / WEEKS_PER_YEAR
            + events["facts_logged"]
            * c.record_minutes_per_fact
            / MINUTES_PER_HOUR
            * float(head @ hourly)
            / max(float(head.sum()), 1.0)
        ),
    ]
    one_off = [
        hires * c.hiring_cost,
        events["trainees"] * c.licence_training_cost,
        pol.recruit_for_attitude * hires * c.attitude_premium,
    ]
    return np.array(running + one_off, dtype=float)


def _surveyed_nps(world: World, survey: dict[str, float], fallback: float) -> float:
    """NPS of the survey answers of the last ``nps_window_weeks`` weeks (running sums)."""
    new = (survey["promoters"], survey["detractors"], survey["responses"])
    window = world.survey_window
    totals = world.survey_totals
    if len(window) == window.maxlen:
        totals = [t - old for t, old in zip(totals, window[0], strict=True)]
    window.append(new)
    p, d, r = world.survey_totals = [t + x for t, x in zip(totals, new, strict=True)]
    return 100.0 * (p - d) / r if r else fallback
