"""Leaders: a leadership style is a preset of continuous traits (seed 000 5.4.1-5.4.2, seed 004).

A leader acts on the team through four channels, each a trait in [0, 1]:

* ``support`` and ``recognition`` are job resources that lift engagement (Bakker & Demerouti
  2007); transformational and servant leaders support most, transactional leaders recognise
  through contingent reward, laissez-faire leaders do neither (Judge & Piccolo 2004:
  r = .44, .39 and -.37 with follower outcomes).
* ``feedback_processing`` is how readily negative customer feedback becomes a process fix
  (seed 003: "the negative feedbacks are directly processed"; seed 000: a good leader listens).
* ``information_sharing`` is the share of the unit's customer news passed on at each meeting
  (seed 000 5.4.1: "timely and regular workplace information about an existing or new customer").
* ``cx_commitment`` is management's commitment to customer experience (seed 000 5.4.1,
  seed 004: "leading by example"): it scales how much feedback is acted on.

Leaders are few, so the phase works in plain Python over units.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from sim.model import CXModel

TRAITS = ("support", "recognition", "feedback_processing", "information_sharing", "cx_commitment")

STYLE_PRESETS: dict[str, dict[str, float]] = {
    # Bass & Riggio 2006: individualised consideration, inspiration, open communication.
    "transformational": {
        "support": 0.85,
        "recognition": 0.70,
        "feedback_processing": 0.80,
        "information_sharing": 0.85,
        "cx_commitment": 0.80,
    },
    # Judge & Piccolo 2004: contingent reward is the active ingredient; management by exception.
    "transactional": {
        "support": 0.50,
        "recognition": 0.75,
        "feedback_processing": 0.50,
        "information_sharing": 0.50,
        "cx_commitment": 0.50,
    },
    # Skogstad et al. 2007: absent leadership, no feedback, no information.
    "laissez_faire": {
        "support": 0.10,
        "recognition": 0.10,
        "feedback_processing": 0.15,
        "information_sharing": 0.15,
        "cx_commitment": 0.20,
    },
    # van Dierendonck 2011; Liden et al. 2008: follower growth and listening first.
    "servant": {
        "support": 0.90,
        "recognition": 0.60,
        "feedback_processing": 0.85,
        "information_sharing": 0.80,
        "cx_commitment": 0.75,
    },
}
STYLES = tuple(STYLE_PRESETS)


def resolve_traits(style: str, overrides: dict[str, float | None]) -> dict[str, float]:
    """The style's preset with every trait the scenario sets replacing the preset value."""
    traits = dict(STYLE_PRESETS[style])
    traits.update({k: v for k, v in overrides.items() if v is not None})
    return traits


def leadership_phase(model: CXModel) -> None:
    """Phase 1: leaders turn delayed survey feedback into process fixes; processes drift back.

    Each stage/channel's failure rate carries a multiplier. Detractor reports about a channel
    that reach the responsible unit's leader (after the feedback delay) prompt a fix with a
    probability set by the leader's feedback processing and CX commitment; a fix removes a share
    of that channel's failures (down to a floor). Without attention the multiplier drifts back
    toward 1 (eroding standards, Oliva & Sterman 2001).
    """
    fb = model.params.feedback
    mult = model.process_multiplier
    mult += fb.process_drift * (1.0 - mult)
    reports = model.feedback.deliver()
    if reports is None:
        return
    from sim.journey import CHANNEL_UNIT

    for leader in model.leaders:
        unit_channels = leader.unit_index == CHANNEL_UNIT
        triggered = unit_channels & (reports >= fb.detractor_trigger)
        if not triggered.any():
            continue
        act = leader.traits["feedback_processing"] * (0.5 + 0.5 * leader.traits["cx_commitment"])
        fixed = triggered & (model.rng.random(mult.size) < act)
        mult[fixed] = np.maximum(fb.fix_floor, mult[fixed] * (1.0 - fb.fix_effect))
        leader.fixes += int(fixed.sum())


def meeting_due(step: int, every_weeks: int) -> bool:
    """Leaders meet on a fixed cadence (the scenario's ``meeting_every_weeks``)."""
    return step % every_weeks == 0
