"""Sampled designs: SALib's samplers over parameter ranges, and the mapping of each sample onto values.

A sampled design draws points from a box of parameter ranges instead of listing them: a Latin
hypercube (McKay, Beckman & Conover 1979) to cover the box evenly; Saltelli's extension of the
Sobol' sequence for variance-based indices (Saltelli 2002, Saltelli et al. 2010); Morris
trajectories for screening by elementary effects (Morris 1991), optionally the most spread of a
larger pool (Campolongo, Cariboni & Saltelli 2007); or the extended FAST search curves (Saltelli,
Tarantola & Chan 1999). The samplers are SALib's (Herman & Usher 2017; Iwanaga, Usher & Herman 2022).

SALib samples continuous numbers. A whole-number parameter is sampled over ``[low - 1/2, high + 1/2]``
and rounded, so each whole number from ``low`` to ``high`` gets the same share of the draws; a
switch (boolean) or a categorical parameter (e.g. a leader style) is sampled over [0, 1] and its
``n`` levels take equal parts of it (a switch is on from 0.5). The sampled numbers stay the design
matrix the analysis reads; the values they map to are what the model runs with.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

#: the samplers a spec may name
METHODS = ("lhs", "sobol", "morris", "fast")
#: the samplers whose designs ``cxsim sensitivity`` can analyse
SENSITIVITY_METHODS = ("morris", "sobol", "fast")
#: Morris grid levels when the spec gives none (Morris 1991 and Saltelli et al. 2008 use 4)
MORRIS_LEVELS = 4
#: FAST's interference factor M when the spec gives none (Saltelli, Tarantola & Chan 1999; SALib's default)
FAST_INTERFERENCE = 4


@dataclass(frozen=True)
class SampledParameter:
    """One sampled parameter: its name, its range or levels, and how a sampled number becomes its value.

    ``kind`` ``"float"`` samples ``[low, high]`` as it is; ``"int"`` samples ``[low - 1/2, high + 1/2]`` and
    rounds; ``"levels"`` samples [0, 1] and takes one of ``levels`` (a switch has the levels false, true).
    """

    name: str
    kind: Literal["float", "int", "levels"]
    low: float = 0.0
    high: float = 1.0
    levels: tuple[Any, ...] = field(default=())

    def bounds(self) -> tuple[float, float]:
        """The interval SALib samples for this parameter."""
        if self.kind == "int":
            return self.low - 0.5, self.high + 0.5
        if self.kind == "levels":
            return 0.0, 1.0
        return self.low, self.high

    def value(self, x: float) -> Any:
        """The value a sampled number stands for: itself, the nearest whole number, or a level."""
        if self.kind == "int":
            return int(min(self.high, max(self.low, math.floor(x + 0.5))))
        if self.kind == "levels":
            return self.levels[min(len(self.levels) - 1, max(0, math.floor(x * len(self.levels))))]
        return float(min(self.high, max(self.low, x)))

    def describe(self) -> dict[str, Any]:
        """The parameter as the manifest records it."""
        if self.kind == "levels":
            return {"kind": "levels", "levels": list(self.levels)}
        return {"kind": self.kind, "low": self.low, "high": self.high}


@dataclass(frozen=True)
class SampleOptions:
    """How to sample: the method, its size, its seed and the method's own options."""

    method: Literal["lhs", "sobol", "morris", "fast"]
    samples: int
    seed: int
    levels: int = MORRIS_LEVELS
    optimal_trajectories: int | None = None
    second_order: bool = True
    interference: int = FAST_INTERFERENCE


def problem(parameters: list[SampledParameter]) -> dict[str, Any]:
    """The SALib problem definition of the parameters (names and sampled intervals)."""
    return {
        "num_vars": len(parameters),
        "names": [p.name for p in parameters],
        "bounds": [list(p.bounds()) for p in parameters],
    }


def design_rows(options: SampleOptions, k: int) -> int:
    """How many design rows a sample of ``k`` parameters has, counted without sampling.

    Morris: (k + 1) points per trajectory; Sobol: N (2k + 2) with second-order indices, else N (k + 2)
    (Saltelli 2002); FAST: N per parameter; a Latin hypercube: N.
    """
    n = options.samples
    if options.method == "morris":
        return (options.optimal_trajectories or n) * (k + 1)
    if options.method == "sobol":
        return n * (2 * k + 2 if options.second_order else k + 2)
    if options.method == "fast":
        return n * k
    return n


def sample_matrix(parameters: list[SampledParameter], options: SampleOptions) -> np.ndarray:
    """The design matrix (rows x parameters) of SALib's sampler, seeded: the same spec, the same rows."""
    prob = problem(parameters)
    seed = options.seed
    if options.method == "morris":
        from SALib.sample import morris

        return morris.sample(
            prob,
            options.samples,
            num_levels=options.levels,
            optimal_trajectories=options.optimal_trajectories,
            local_optimization=True,
            seed=seed,
        )
    if options.method == "sobol":
        from SALib.sample import sobol

        return sobol.sample(prob, options.samples, calc_second_order=options.second_order, scramble=True, seed=seed)
    if options.method == "fast":
        from SALib.sample import fast_sampler

        return fast_sampler.sample(prob, options.samples, M=options.interference, seed=seed)
    from SALib.sample import latin

    return latin.sample(prob, options.samples, seed=seed)


def row_values(parameters: list[SampledParameter], matrix: np.ndarray) -> list[dict[str, Any]]:
    """Per design row, each parameter's value (rounded, a level or a switch where the parameter says so)."""
    return [{p.name: p.value(float(x)) for p, x in zip(parameters, row, strict=True)} for row in matrix]
