"""Mesa agents as thin views onto the model's columnar arrays.

The many employees and customers keep their state in the columnar stores of the model's world
(:mod:`sim.model.world`), so each step runs as vectorised phases over whole arrays. An agent
object is a named handle on one row: ``model.agents_by_type[Customer].to_list()[0].satisfaction``
reads the array, and Mesa's own tools (AgentSet selection, DataCollector, SolaraViz) work on the
agents as usual.

The AgentSets hold the people and accounts that are there now: a person who quits leaves it
(a new hire in the seat is a new agent), and so does an account that churned or was lost, at
the end of the week it left. ``Customer`` agents are the accounts in the journey — prospects and
open deals included; ``customer.under_contract`` selects the customers proper (delivery or
maintenance), which is what the KPI ``customers`` counts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa

from sim.vocabulary import DELIVERY_STAGE, END_STATES, MAINTENANCE, SEGMENTS, STAGES, UNITS

if TYPE_CHECKING:
    from sim.model.cxmodel import CXModel


class Employee(mesa.Agent):
    """A person in a seat of a unit: engagement, skill, service orientation, workload."""

    model: CXModel

    def __init__(self, model: CXModel, seat: int) -> None:
        super().__init__(model)
        self.seat = int(seat)

    @property
    def unit(self) -> str:
        return UNITS[self.model.workforce.unit[self.seat]]

    @property
    def engagement(self) -> float:
        return float(self.model.workforce.engagement[self.seat])

    @property
    def skill(self) -> float:
        return float(self.model.workforce.skill[self.seat])

    @property
    def service_orientation(self) -> float:
        return float(self.model.workforce.orientation[self.seat])

    @property
    def utilisation(self) -> float:
        """Smoothed load relative to capacity (1 = fully loaded)."""
        return float(self.model.workforce.utilisation[self.seat])

    @property
    def tenure_weeks(self) -> int:
        return int(self.model.steps - self.model.workforce.hired_at[self.seat])

    @property
    def collaborators(self) -> list[int]:
        """Seats tied to this one in the collaboration network."""
        adj = self.model.workforce.adjacency
        return adj.indices[adj.indptr[self.seat] : adj.indptr[self.seat + 1]].tolist()


class Customer(mesa.Agent):
    """A B2B account: segment, journey stage, satisfaction, expectations, contract."""

    model: CXModel

    def __init__(self, model: CXModel, row: int) -> None:
        super().__init__(model)
        self.row = int(row)

    @property
    def stage(self) -> str:
        s = int(self.model.accounts.stage[self.row])
        return STAGES[s] if s < len(STAGES) else END_STATES[s - len(STAGES)]

    @property
    def under_contract(self) -> bool:
        """A customer proper: in delivery or maintenance (not a prospect or an open deal)."""
        return int(self.model.accounts.stage[self.row]) in (DELIVERY_STAGE, MAINTENANCE)

    @property
    def segment(self) -> str:
        return SEGMENTS[self.model.accounts.segment[self.row]]

    @property
    def satisfaction(self) -> float:
        return float(self.model.accounts.satisfaction[self.row])

    @property
    def expectations(self) -> dict[str, float]:
        return dict(zip(STAGES, self.model.accounts.expectation[self.row].tolist(), strict=True))

    @property
    def contract_value(self) -> float:
        return float(self.model.accounts.contract_value[self.row])

    @property
    def team(self) -> dict[str, int | None]:
        """The account team: the seat serving this account in each unit (None if not yet assigned)."""
        seats = self.model.accounts.team[self.row].tolist()
        return {u: (s if s >= 0 else None) for u, s in zip(UNITS, seats, strict=True)}


class Leader(mesa.Agent):
    """A team leader: a leadership style resolved into traits (see :mod:`sim.model.phases.leadership`).

    Like the other agents a view: style and traits are read from the world, so a timed event that
    changes a unit's leadership shows here too.
    """

    model: CXModel

    def __init__(self, model: CXModel, team: int, unit_index: int) -> None:
        super().__init__(model)
        self.team = team
        self.unit_index = unit_index

    @property
    def unit(self) -> str:
        return UNITS[self.unit_index]

    @property
    def style(self) -> str:
        return self.model.world.team_styles[self.team]

    @property
    def traits(self) -> dict[str, float]:
        return {t: float(v[self.team]) for t, v in self.model.world.traits.items()}

    @property
    def team_size(self) -> int:
        """Seats in the leader's team."""
        return int(self.model.world.team_size[self.team])
