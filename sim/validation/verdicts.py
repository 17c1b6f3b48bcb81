"""A pattern's verdict: each criterion with the model's estimate, and whether it passes.

Shared by the evaluation and the report (:mod:`sim.validation.report`), the figures
(:mod:`sim.validation.figures`) and the result folder (:mod:`sim.validation.run`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sim.validation.measures import Estimate
from sim.validation.patterns import Criterion, Pattern


@dataclass(frozen=True)
class CriterionResult:
    """A criterion with the model's estimate and the verdict."""

    criterion: Criterion
    estimate: Estimate

    @property
    def passed(self) -> bool:
        e = self.estimate
        return self.criterion.passes(e.value, e.low, e.high)

    @property
    def reason(self) -> str:
        e = self.estimate
        return self.criterion.why_not(e.value, e.low, e.high)


@dataclass
class PatternResult:
    """A pattern's criteria with their estimates, the replications behind them, and what its figure draws."""

    pattern: Pattern
    criteria: list[CriterionResult]
    replications: list[dict[str, Any]] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.criteria)
