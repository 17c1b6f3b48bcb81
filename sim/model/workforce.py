"""The workforce store: units, seats, people and the collaboration network.

An employee occupies a *seat*: a position in a unit and in the collaboration network. When a
person quits, the seat falls vacant (its accounts are served by stand-ins) until a new hire
fills it after a delay; the new hire keeps the seat's network position and portfolio but knows
none of its customers (seed 000 5.4.5: the employee lifecycle; knowledge walks out of the door).

All per-employee state lives in the columnar arrays of :class:`Workforce`; the ``Employee``
agents are views onto its rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import networkx as nx
import numpy as np
import scipy.sparse as sp

from sim.vocabulary import DELIVERY, N_UNITS, SALES, SUPPORT, UNITS

if TYPE_CHECKING:
    from sim.scenario.parameters import Parameters
    from sim.scenario.schema import Scenario


@dataclass
class Workforce:
    """Columnar state of every seat (one row per seat)."""

    unit: np.ndarray  # int8, the seat's unit
    team: np.ndarray  # int32, the seat's team (teams are numbered unit by unit)
    team_unit: np.ndarray  # int8, per team its unit
    filled: np.ndarray  # bool, a person occupies the seat
    engagement: np.ndarray  # 0..1, work engagement (Schaufeli & Bakker 2004)
    disposition: np.ndarray  # 0..1, the person's own engagement level without job factors
    skill: np.ndarray  # 0..1, know-how
    skill_ceiling: np.ndarray  # 0..1, where learning on the job (or a licence) leads
    orientation: np.ndarray  # 0..1, service orientation / emotional intelligence (fixed at hire)
    utilisation: np.ndarray  # smoothed load / capacity
    load: np.ndarray  # this week's touchpoint load / capacity
    hired_at: np.ndarray  # int32 week the current person started
    training_left: np.ndarray  # weeks of licence training still to go
    training: np.ndarray  # bool, in licence training this week (gives up some capacity)
    open_complaints: np.ndarray  # escalations this person answers for
    capacity: np.ndarray  # touchpoints per week before overload
    adjacency: sp.csr_matrix  # collaboration ties (symmetric, 0/1)
    tie_keys: np.ndarray  # sorted i * n + j for every tie, for vectorised tie look-ups
    unit_neighbours: list[sp.csr_matrix]  # per unit: ties into that unit only

    @property
    def size(self) -> int:
        return self.unit.size

    @property
    def teams(self) -> int:
        return self.team_unit.size

    def unit_mean(self, per_team: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
        """Per unit, the (weighted) mean of a per-team value over its teams (0 for a unit without teams)."""
        w = np.ones(self.teams) if weights is None else weights
        total = np.bincount(self.team_unit, weights=per_team * w, minlength=N_UNITS)
        return total / np.maximum(np.bincount(self.team_unit, weights=w, minlength=N_UNITS), 1)

    def graph(self) -> nx.Graph:
        """The collaboration network as a networkx graph (built on demand, for inspection and the page)."""
        graph = nx.Graph()
        graph.add_nodes_from(range(self.size))
        coo = sp.triu(self.adjacency).tocoo()
        graph.add_edges_from(zip(coo.row.tolist(), coo.col.tolist(), strict=True))
        return graph

    def tied(self, i: np.ndarray, j: np.ndarray) -> np.ndarray:
        """Whether seats ``i[k]`` and ``j[k]`` are collaborators (vectorised)."""
        if self.tie_keys.size == 0:
            return np.zeros(np.shape(i), dtype=bool)
        keys = i.astype(np.int64) * self.size + j
        pos = np.minimum(np.searchsorted(self.tie_keys, keys), self.tie_keys.size - 1)
        return (self.tie_keys[pos] == keys) & (i >= 0) & (j >= 0)


def build_workforce(scenario: Scenario, rng: np.random.Generator) -> Workforce:
    """Seats per unit, initial people, and the collaboration network."""
    units = scenario.organization.units
    specs = [getattr(units, name) for name in UNITS]
    sizes = np.array([s.employees for s in specs])
    unit = np.repeat(np.arange(N_UNITS, dtype=np.int8), sizes)
    n = unit.size
    team, team_unit = split_into_teams(sizes, scenario.organization.span_of_control)
    p = scenario.parameters
    disposition = draw_disposition(rng, n, p, scenario.policies.recruit_for_attitude, shift=False)
    orientation = draw_orientation(rng, n, p, scenario.policies.recruit_for_attitude, initial=True)
    st = p.staffing
    skill = np.clip(
        rng.normal(st.experienced_skill_mean, st.experienced_skill_sd, n),
        st.experienced_skill_min,
        st.experienced_skill_max,
    )
    ceiling = np.full(n, p.staffing.skill_ceiling)
    training = np.zeros(n)
    licensed = licensed_units(scenario)
    for u in licensed:
        ceiling[unit == u] = p.training.licence_skill
        training[unit == u] = p.training.licence_weeks
    adjacency = collaboration_network(
        sizes,
        scenario.organization.ties_per_employee,
        scenario.organization.rewiring,
        scenario.organization.cross_unit_ties,
        rng,
    )
    coo = adjacency.tocoo()
    tie_keys = np.sort(coo.row.astype(np.int64) * n + coo.col)
    unit_neighbours = [_ties_into(adjacency, unit == u) for u in range(N_UNITS)]
    return Workforce(
        unit=unit,
        team=team,
        team_unit=team_unit,
        filled=np.ones(n, dtype=bool),
        engagement=disposition.copy(),
        disposition=disposition,
        skill=skill,
        skill_ceiling=ceiling,
        orientation=orientation,
        utilisation=np.zeros(n),
        load=np.zeros(n),
        hired_at=-rng.integers(0, st.initial_tenure_max_weeks + 1, n).astype(np.int32),
        training_left=training,
        training=training > 0,
        open_complaints=np.zeros(n),
        capacity=np.repeat([s.capacity for s in specs], sizes).astype(float),
        adjacency=adjacency,
        tie_keys=tie_keys,
        unit_neighbours=unit_neighbours,
    )


def split_into_teams(sizes: np.ndarray, span: int) -> tuple[np.ndarray, np.ndarray]:
    """Each unit's seats in ``ceil(size / span)`` teams of near-equal size, in blocks of neighbouring seats.

    Neighbouring seats are neighbours on the unit's small-world ring, so most of a person's
    collaborators are in their own team and a few in the next (seed 000: teams form along
    collaborative networks). Returns each seat's team and each team's unit.
    """
    teams, team_unit, first = [], [], 0
    for u, size in enumerate(sizes.tolist()):
        k = max(1, -(-size // span))  # ceiling division
        teams.append(first + (np.arange(size) * k) // max(size, 1))
        team_unit.extend([u] * k)
        first += k
    return np.concatenate(teams).astype(np.int32), np.array(team_unit, dtype=np.int8)


def collaboration_network(
    sizes: np.ndarray, k: int, rewiring: float, cross_share: float, rng: np.random.Generator
) -> sp.csr_matrix:
    """Small-world teams joined by cross-unit ties (seed 000 'collaborative networks', seed 002 silos).

    Each unit is a Watts-Strogatz graph (Watts & Strogatz 1998) of degree ``k``; then each tie
    has one end moved to a random seat of another unit with probability ``cross_share``, so that
    share of all ties crosses units. 0 gives perfect silos, 1 a company without unit boundaries.
    """
    offsets = np.concatenate([[0], np.cumsum(sizes)])
    n = int(offsets[-1])
    rows, cols = [], []
    for u, size in enumerate(sizes):
        # Watts-Strogatz needs an even degree of at least 2 below the unit size (graph constraints)
        kk = min(k, size - 1 - (size - 1) % 2) if size > 2 else 0
        if kk < 2:
            g = nx.complete_graph(int(size))
        else:
            g = nx.watts_strogatz_graph(int(size), kk, rewiring, seed=int(rng.integers(2**31)))  # networkx seed range
        e = np.array(g.edges(), dtype=np.int64).reshape(-1, 2) + offsets[u]
        rows.append(e[:, 0])
        cols.append(e[:, 1])
    a = np.concatenate(rows)
    b = np.concatenate(cols)
    unit = np.repeat(np.arange(len(sizes)), sizes)
    other_units = len(sizes) > 1 and n > sizes.max()
    if other_units and cross_share > 0:
        move = rng.random(a.size) < cross_share
        m = int(move.sum())
        # draw a seat outside the moving end's unit: sample among the n - size(unit) others
        src_unit = unit[a[move]]
        outside = n - sizes[src_unit]
        pick = (rng.random(m) * outside).astype(np.int64)
        # map pick (0..outside-1) to a seat index skipping the source unit's block
        start = offsets[src_unit]
        b[move] = np.where(pick < start, pick, pick + sizes[src_unit])
    keep = a != b
    a, b = a[keep], b[keep]
    data = np.ones(2 * a.size, dtype=np.int8)
    adj = sp.coo_matrix((data, (np.concatenate([a, b]), np.concatenate([b, a]))), shape=(n, n)).tocsr()
    adj.data[:] = 1  # duplicate ties count once
    adj.sort_indices()
    return adj


def _ties_into(adjacency: sp.csr_matrix, members: np.ndarray) -> sp.csr_matrix:
    """The ties of every seat that lead into the given set of seats."""
    coo = adjacency.tocoo()
    keep = members[coo.col]
    out = sp.csr_matrix((coo.data[keep], (coo.row[keep], coo.col[keep])), shape=adjacency.shape)
    out.sort_indices()
    return out


def licensed_units(scenario: Scenario) -> list[int]:
    """Units whose people train to a licence (seed 003: licence to sell, licence to deliver)."""
    pol = scenario.policies
    return ([SALES] if pol.licence_to_sell else []) + ([DELIVERY, SUPPORT] if pol.licence_to_deliver else [])


def draw_disposition(rng: np.random.Generator, n: int, p: Parameters, attitude: bool, shift: bool) -> np.ndarray:
    """Own engagement levels of ``n`` people; recruiting for attitude shifts new hires' (seed 004).

    The shift is ``attitude_disposition_share`` of the service-orientation shift ``attitude_shift``.
    """
    shifted = p.training.attitude_shift * p.training.attitude_disposition_share if attitude and shift else 0.0
    mean = p.engagement.disposition_mean + shifted
    return np.clip(rng.normal(mean, p.engagement.disposition_sd, n), 0.0, 1.0)


def draw_orientation(rng: np.random.Generator, n: int, p: Parameters, attitude: bool, initial: bool) -> np.ndarray:
    """Service orientation of ``n`` people; recruiting for attitude raises new hires' (seed 004)."""
    shift = p.training.attitude_shift if attitude and not initial else 0.0
    return np.clip(rng.normal(p.staffing.orientation_mean + shift, p.staffing.orientation_sd, n), 0.0, 1.0)
