"""Phase 4, satisfaction: expectation-disconfirmation after the week's touchpoints; complaint resolution."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.model.complaints import release_complaints

if TYPE_CHECKING:
    from sim.model.phases.touchpoints import Touchpoints
    from sim.model.world import World


def satisfaction_phase(world: World, tp: Touchpoints) -> None:
    """Expectation-disconfirmation with a direct performance path, then adaptation.

    For each account touched this week, with mean perceived quality P and stage expectation E::

        D   = P - E,  weighted by ``negative_gap_weight`` when negative (loss aversion,
              Anderson & Sullivan 1993)
        S_t = w * P + (1 - w) * (E + g * D_w)    (Oliver 1980; Churchill & Surprenant 1982)
        S  <- (1 - m) * S + m * S_t              (Bolton 1998: cumulative satisfaction)
        E  <- E + lambda * (P - E)               (expectations adapt toward experience)

    When expectations are exactly met, S_t equals performance; disconfirmation moves it away.
    Escalated complaints resolved this week add a partial recovery (TARP: slow resolution is
    better than none, worse than on-the-spot recovery).
    """
    acc = world.accounts
    s = world.params.satisfaction
    if tp.touched.size:
        rows, stage, perf = tp.touched, tp.touched_stage, tp.touched_quality
        expect = acc.expectation[rows, stage]
        gap = perf - expect
        weighted = np.where(gap < 0, s.negative_gap_weight * gap, gap)
        now = np.clip(
            s.performance_weight * perf + (1 - s.performance_weight) * (expect + s.disconfirmation_gain * weighted),
            0,
            1,
        )
        acc.satisfaction[rows] += s.memory * (now - acc.satisfaction[rows])
        acc.expectation[rows, stage] = expect + s.expectation_adaptation * (perf - expect)
    _resolve_complaints(world)


def _resolve_complaints(world: World) -> None:
    acc = world.accounts
    sv = world.params.service
    open_ = np.flatnonzero(acc.open_complaint)
    if not open_.size:
        return
    rate = sv.complaint_resolution_rate * (sv.empowered_resolution_factor if world.config.policies.empowerment else 1.0)
    done = open_[world.rng.random(open_.size) < min(1.0, rate)]
    if done.size:
        release_complaints(acc, world.workforce, done)
        acc.satisfaction[done] = np.minimum(1.0, acc.satisfaction[done] + sv.resolution_boost)
        world.counters["complaints_resolved"] += done.size
