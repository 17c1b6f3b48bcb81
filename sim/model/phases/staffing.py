"""Phase 2 (continued), staffing and skill: quits, delayed hires, and learning on the job.

An employee occupies a *seat*: a position in a unit and in the collaboration network. When a
person quits, the seat falls vacant (its accounts are served by stand-ins) until a new hire
fills it after a delay; the new hire keeps the seat's network position and portfolio but knows
none of its customers (seed 000 5.4.5: the employee lifecycle; knowledge walks out of the door).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.model.account_teams import forget_seats
from sim.model.complaints import orphan_complaints
from sim.model.workforce import draw_disposition, draw_orientation, licensed_units

if TYPE_CHECKING:
    from sim.model.world import World


def staffing_phase(world: World) -> None:
    """Quits (hazard rising as engagement falls and with overload) and delayed hires that start with no
    account knowledge.

    Weekly quit hazard = base * exp(s * (e0 - engagement)) * exp(s_o * max(0, U - 1)), e0 =
    ``quit_reference_engagement`` (Harter et al. 2002: engagement and turnover), U the smoothed
    utilisation and s_o = ``quit_overload_sensitivity`` (job demands-resources' health-impairment
    process, Bakker & Demerouti 2007: sustained overload exhausts people, who then leave, besides
    what it does to their engagement). A vacancy is filled each week with probability
    1 / hiring delay, and not at all during a hiring freeze (``policies.hiring_freeze``). A new
    hire brings a fresh disposition and service orientation (raised by recruiting for attitude,
    seed 004), new-hire skill, and knows nothing about the seat's accounts.
    """
    w = world.workforce
    sp_ = world.params.staffing
    rng = world.rng
    hazard = sp_.base_quit_rate * np.exp(
        sp_.quit_engagement_sensitivity * (sp_.quit_reference_engagement - w.engagement)
        + sp_.quit_overload_sensitivity * np.maximum(0.0, w.utilisation - 1.0)
    )
    if world.week == 1:  # the initial staff of licensed units starts its licence training with the run
        world.counters["trainees"] += int(np.count_nonzero(w.filled & (w.training_left > 0)))
    draws = rng.random(w.size)
    quits = w.filled & (draws < hazard)
    fill_p = 1.0 if sp_.hiring_delay_weeks <= 0 else 1.0 / sp_.hiring_delay_weeks
    if world.config.policies.hiring_freeze:  # vacancies stay open (the draws are made all the same)
        fill_p = 0.0
    hires = ~w.filled & (draws < fill_p)
    nq, nh = int(quits.sum()), int(hires.sum())
    world.counters["quits"] += nq
    world.counters["hires"] += nh
    if nq:
        gone = np.flatnonzero(quits)
        w.filled[quits] = False
        w.open_complaints[quits] = 0.0
        orphan_complaints(world.accounts, gone)
        world.staff_changes.quits.append(gone)
    if nh:
        idx = np.flatnonzero(hires)
        pol = world.config.policies
        p = world.params
        w.filled[idx] = True
        w.disposition[idx] = draw_disposition(rng, nh, p, pol.recruit_for_attitude, shift=True)
        w.engagement[idx] = w.disposition[idx]
        w.orientation[idx] = draw_orientation(rng, nh, p, pol.recruit_for_attitude, initial=False)
        w.skill[idx] = sp_.new_hire_skill
        w.utilisation[idx] = 0.0
        w.hired_at[idx] = world.week
        licensed = np.isin(w.unit[idx], licensed_units(world.config))
        w.training_left[idx] = np.where(licensed, p.training.licence_weeks, 0.0)
        world.counters["trainees"] += int(np.count_nonzero(licensed))
        forget_seats(world, idx)
        world.staff_changes.hires.append(idx)


def skill_phase(world: World) -> None:
    """Learning on the job, faster during licence training (seed 003: licence to sell / deliver)."""
    w = world.workforce
    t = world.params.training
    w.training = w.training_left > 0
    rate = np.where(w.training, 1.0 / t.licence_weeks, world.params.staffing.learning_rate)
    w.skill += w.filled * rate * np.maximum(0.0, w.skill_ceiling - w.skill)
    w.training_left = np.maximum(0.0, w.training_left - 1.0)
