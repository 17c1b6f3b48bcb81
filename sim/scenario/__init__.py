"""Scenarios: the schema of a run's input and how files become validated scenarios."""

from sim.scenario.loading import load_scenario
from sim.scenario.schema import Scenario

__all__ = ["Scenario", "load_scenario"]
