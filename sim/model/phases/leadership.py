"""Phase 1, leadership: leaders turn delayed customer feedback into process fixes.

A leadership style is a preset of continuous traits (seed 000 5.4.1-5.4.2, seed 004;
:data:`sim.vocabulary.STYLE_PRESETS`). A leader acts on the team through four channels:

* ``support`` and ``recognition`` are job resources that lift engagement (Bakker & Demerouti
  2007); transformational and servant leaders support most, transactional leaders recognise
  through contingent reward, laissez-faire leaders do neither (Judge & Piccolo 2004:
  r = .44, .39 and -.37 with follower outcomes). They act in the engagement phase.
* ``feedback_processing`` is how readily negative customer feedback becomes a process fix
  (seed 003: "the negative feedbacks are directly processed"; seed 000: a good leader listens).
* ``information_sharing`` is the share of the unit's customer news passed on at each meeting
  (seed 000 5.4.1: "timely and regular workplace information about an existing or new
  customer"). It acts in the diffusion phase.
* ``cx_commitment`` is management's commitment to customer experience (seed 000 5.4.1,
  seed 004: "leading by example"): it scales how much feedback is acted on.

Leaders are few, so the phase works in plain Python over units.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.vocabulary import CHANNEL_UNIT, N_UNITS

if TYPE_CHECKING:
    from sim.model.world import World


def leadership_phase(world: World) -> None:
    """Detractor reports that reach a unit's leader prompt fixes; without attention, processes drift back.

    Each stage/channel's failure rate carries a multiplier. Detractor reports about a channel
    that reach the responsible unit's leader (after the feedback delay) prompt a fix with a
    probability set by the leader's feedback processing and CX commitment (processing x
    (floor + (1 - floor) x commitment), floor = ``feedback.commitment_floor``); a fix removes a share
    of that channel's failures (down to a floor). Without attention the multiplier drifts back
    toward 1 (eroding standards, Oliva & Sterman 2001). One draw per channel in use (a channel
    that can carry no touchpoint, such as the phone without escalation, is not considered).
    """
    fb = world.params.feedback
    mult = world.process_multiplier
    mult += fb.process_drift * (1.0 - mult)
    reports = world.feedback.deliver()
    if reports is None:
        return
    processing = world.unit_trait("feedback_processing")
    priority = fb.commitment_floor + (1.0 - fb.commitment_floor) * world.climate
    usable = world.channels.usable
    for unit in range(N_UNITS):
        triggered = (unit == CHANNEL_UNIT) & (reports >= fb.detractor_trigger) & usable
        if not triggered.any():
            continue
        act = processing[unit] * priority
        draw = np.ones(mult.size)
        draw[usable] = world.rng.random(int(np.count_nonzero(usable)))
        fixed = triggered & (draw < act)
        mult[fixed] = np.maximum(fb.fix_floor, mult[fixed] * (1.0 - fb.fix_effect))


def meeting_due(week: int, every_weeks: int) -> bool:
    """Leaders meet on a fixed cadence (the scenario's ``meeting_every_weeks``)."""
    return week % every_weeks == 0
