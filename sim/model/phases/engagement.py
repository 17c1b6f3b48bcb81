"""Phase 2, engagement: employee engagement by job demands-resources (Bakker & Demerouti 2007).

Each week engagement moves a share of the way toward an equilibrium set by the person's own
disposition plus job resources minus hindrance demands::

    E* = disposition
         + w_support     * (leader support     - 0.5)      # leadership as a job resource
         + w_recognition * (leader recognition - 0.5)      # contingent reward
         + w_incentive   * cx_incentives                   # seed 004: CX in the reward system
         + w_peer        * (collaborators' engagement - 0.5)  # crossover (Bakker et al. 2006)
         + w_customer    * (served accounts' satisfaction - 0.7)  # Schneider et al. 1998
         - w_overload    * max(0, utilisation - 1)         # hindrance demand (Crawford et al. 2010)
         - w_complaint   * open complaints
    E <- E + rate * (E* - E) + noise

Leadership style thus reaches customers only through people, as seed 000 has it: "the way
leaders treat their people is reflective of how people treat their customers".
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.model.account_teams import portfolio_satisfaction

if TYPE_CHECKING:
    from sim.model.world import World

#: the satisfaction of served accounts at which customers neither lift nor drain engagement
#: (also what a seat that serves nobody is taken to see)
CUSTOMER_REFERENCE = 0.7


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
    peer_mean = np.divide(peers_engaged, peers, out=np.full(w.size, 0.5), where=peers > 0)
    target = (
        w.disposition
        + p.leader_support_weight * (world.unit_trait("support") - 0.5)
        + p.recognition_weight * (world.unit_trait("recognition") - 0.5)
        + p.cx_incentive_weight * float(world.config.policies.cx_incentives)
        + p.peer_weight * (peer_mean - 0.5)
        + p.customer_weight * (portfolio_satisfaction(world, CUSTOMER_REFERENCE) - CUSTOMER_REFERENCE)
        - p.overload_weight * np.maximum(0.0, w.utilisation - 1.0)
        - p.complaint_weight * w.open_complaints
    )
    return np.clip(target, 0.0, 1.0)
