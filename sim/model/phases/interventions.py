"""Phase 0, interventions: the scenario's timed events take effect at the start of their week.

A scenario may schedule events (``events:``): scenario keys set from week ``at`` on and, with
``until``, back to their earlier values from the week after ``until`` — a policy rolled out at a
week, a capacity cut, a hiring freeze or a price change for a span of weeks — so rollout,
payback and shocks can be simulated (the design brief's timed interventions). The configuration
in force in each week is the scenario with every event active then applied in list order; it is
worked out and validated when the scenario is loaded (:meth:`sim.scenario.schema.Scenario.at_week`),
so this phase only swaps it in (:meth:`sim.model.world.World.reconfigure`) before the other phases
of the week run.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sim.model.world import World


def intervention_phase(world: World) -> None:
    """Where an event starts or ends this week, put the configuration now in force and log the change."""
    t = world.week
    config = world.timeline.get(t)
    if config is None:
        return
    world.reconfigure(config)
    changes = [
        {"week": t, "event": i, "change": "start", "set": dict(event.set)}
        for i, event in enumerate(world.events)
        if event.at == t
    ]
    changes += [
        {"week": t, "event": i, "change": "end", "restored": sorted(event.set)}
        for i, event in enumerate(world.events)
        if event.until is not None and event.until + 1 == t
    ]
    world.event_log.extend(changes)
    world.counters["events_applied"] += len(changes)
