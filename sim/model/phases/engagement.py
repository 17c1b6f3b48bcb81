"""Phase 2, engagement: employee engagement by job demands-resources (Bakker & Demerouti 2007).

Each week engagement moves a share of the way toward an equilibrium set by the person's own
disposition plus job resources minus hindrance demands::

    E* = disposition
         + w_support     * (leader support     - trait_ref)   # leadership as a job resource
         + w_recognition * (leader recognition - trait_ref)   # contingent reward
         + w_climate     * (executive CX commitment - trait_ref)  # seed 004: leading by example
         + w_care        * (leader information sharing - trait_ref)  # seed 000 5.4.1: keeping people informed
         + w_incentive   * team's CX bonus share              # seed 004: CX results in the reward system
         + w_peer        * (collaborators' engagement - peer_ref)      # crossover (Bakker et al. 2006)
         + w_customer    * (served accounts' satisfaction - cust_ref)  # Schneider et al. 1998
         - w_overload    * max(0, utilisation - 1)            # hindrance demand (Crawford et al. 2010)
         - w_complaint   * open complaints
    E <- E + rate * (E* - E) + noise

with ``trait_ref``, ``peer_ref`` and ``cust_ref`` the parameters ``leader_trait_reference``,
``peer_reference`` and ``customer_reference`` (utilisation 1 is full capacity).

The leader is the person's team leader (a unit's teams may have leaders of different styles).
A leader who keeps the team informed about customers also shows care for the staff (seed 000
5.4.1, participant 5: timely information "means that we as a company cares enough about our
employees to keep them well-informed"), so the leader's information sharing is a job resource
too, weighted by ``information_care_weight``.
Leadership style thus reaches customers only through people, as seed 000 has it: "the way
leaders treat their people is reflective of how people treat their customers".
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.model.account_teams import portfolio_satisfaction

if TYPE_CHECKING:
    from sim.model.world import World


def engagement_phase(world: World) -> None:
    """Move every employee's engagement toward its resource-demand equilibrium."""
    w = world.workforce
    p = world.params.engagement
    w.utilisation += p.workload_memory * (w.load - w.utilisation)
    target = equilibrium(world)
    noise = world.rng.normal(0.0, p.noise_sd, w.size) if p.noise_sd > 0 else 0.0
    updated = w.engagement + p.adjustment_rate * (target - w.engagement) + noise
    w.engagement = np.where(w.filled, np.clip(updated, 0.0, 1.0), w.engagement)


def equilibrium(world: World) -> np.ndarray:
    """E*: the level each employee's engagement moves toward, given today's resources and demands."""
    w = world.workforce
    p = world.params.engagement
    filled = w.filled.astype(float)
    peers_engaged = w.adjacency @ (w.engagement * filled)
    peers = w.adjacency @ filled
    peer_mean = np.divide(peers_engaged, peers, out=np.full(w.size, p.peer_reference), where=peers > 0)
    target = (
        w.disposition
        + p.leader_support_weight * (world.seat_trait("support") - p.leader_trait_reference)
        + p.recognition_weight * (world.seat_trait("recognition") - p.leader_trait_reference)
        + p.climate_weight * (world.climate - p.leader_trait_reference)
        + p.information_care_weight * (world.seat_trait("information_sharing") - p.leader_trait_reference)
        + p.cx_incentive_weight * world.bonus_share[w.team]
        + p.peer_weight * (peer_mean - p.peer_reference)
        + p.customer_weight * (portfolio_satisfaction(world, p.customer_reference) - p.customer_reference)
        - p.overload_weight * np.maximum(0.0, w.utilisation - 1.0)
        - p.complaint_weight * w.open_complaints
    )
    return np.clip(target, 0.0, 1.0)
