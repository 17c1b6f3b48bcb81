"""Phase 1, leadership: leaders turn delayed customer feedback into process fixes.

A leadership style is a preset of continuous traits (seed 000 5.4.1-5.4.2, seed 004;
:data:`sim.vocabulary.STYLE_PRESETS`). A leader acts on the team through four channels:

* ``support`` and ``recognition`` are job resources that lift engagement (Bakker & Demerouti
  2007); transformational and servant leaders support most, transactional leaders recognise
  through contingent reward, laissez-faire leaders do neither (Judge & Piccolo 2004:
  r = .44, .39 and -.37 with follower outcomes). They act in the engagement phase.
* ``feedback_processing`` is how readily the reports reaching the team become a process fix
  (seed 003: "the negative feedbacks are directly processed"; seed 000: a good leader listens).
* ``information_sharing`` is the share of the unit's customer news passed on at each meeting
  (seed 000 5.4.1: "timely and regular workplace information about an existing or new
  customer"). It acts in the diffusion phase.

Above the team leaders, the executive team's commitment to customer experience (seed 000
5.4.1, seed 004: "leading by example") sets the priority every leader gives to feedback; it
also acts as a job resource in the engagement phase and as the sharing norm in diffusion.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.model.feedback import UNKNOWN_CAUSE
from sim.vocabulary import FIXABLE

if TYPE_CHECKING:
    from sim.model.world import World


def leadership_phase(world: World) -> None:
    """Team leaders turn the reports that reach them into process fixes; unattended processes drift back.

    Every team has a process multiplier per (channel, cause) on the losses of that cause in its
    touchpoints (:mod:`sim.model.phases.touchpoints`). Teams start from their untreated process
    (``process_spread``, Frei et al. 1999); without attention each multiplier drifts back toward
    it (eroding standards, Oliva & Sterman 2001), and fixes cannot take it below ``fix_floor``
    times it.
    A cell of ``c`` reports that reaches the team's leader is acted on with probability
    ``1 - (1 - a)^c``, where ``a = feedback_processing x priority`` and the priority that the
    executive team gives customer feedback is ``floor + (1 - floor) x CX commitment`` (seed 000
    5.4.1, seed 004). A fix's strength is ``fix_effect x exp(-age / relevance_weeks)``: a report
    loses value as it ages — the team has moved on, the people have changed — so the feedback
    delay matters. With the cause named (the WHY, seed 002; complaints always say what went wrong,
    seed 004) the fix lowers that cause's multiplier. A report without a cause is harder to act
    on — the leader acts on it ``untargeted_action_share`` times as often — and its fix is spread over
    every cause the team could fix on that channel, so each gets a share.
    """
    fb = world.params.feedback
    mult = world.process_multiplier
    untreated = world.process_untreated[:, None, None]
    mult += fb.process_drift * (untreated - mult)
    batches = world.feedback.deliver(world.week)
    if not batches:
        return
    priority = fb.commitment_floor + (1.0 - fb.commitment_floor) * world.climate
    act = world.traits["feedback_processing"] * priority  # per team
    for reports in batches:
        if not reports.size:
            continue
        named = reports.cause != UNKNOWN_CAUSE
        a = act[reports.team] * np.where(named, 1.0, fb.untargeted_action_share)
        p_fix = 1.0 - (1.0 - a) ** reports.count
        fixed = world.rng.random(reports.size) < p_fix
        if not fixed.any():
            continue
        strength = fb.fix_effect * float(np.exp(-(world.week - reports.week) / fb.relevance_weeks))
        team, channel, cause, named = reports.team[fixed], reports.channel[fixed], reports.cause[fixed], named[fixed]
        keep = np.ones_like(mult)
        np.multiply.at(keep, (team[named], channel[named], cause[named]), 1.0 - strength)
        spread = 1.0 - strength / FIXABLE.size
        for c in FIXABLE:  # a handful of causes: the untargeted fixes of all cells at once per cause
            np.multiply.at(keep[:, :, c], (team[~named], channel[~named]), spread)
        np.maximum(fb.fix_floor * untreated, mult * keep, out=mult, where=keep < 1.0)
        world.counters["fixes"] += int(fixed.sum())
        world.counters["fixes_targeted"] += int(named.sum())


def meeting_due(week: int, every_weeks: int) -> bool:
    """Leaders meet on a fixed cadence (the scenario's ``meeting_every_weeks``)."""
    return week % every_weeks == 0
