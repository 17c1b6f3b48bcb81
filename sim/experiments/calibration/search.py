"""The search: a space-filling sample over the parameter box, then a local refinement, within a budget.

A stochastic model's objective is rough and may have several basins, so a purely local optimiser
started at a guess can settle in the wrong one; a purely sampled search resolves the optimum only
as finely as its sample. The usual compromise for agent-based models (Thiele, Kurth & Grimm 2014,
JASSS 17(3) 11, sections on sampling and optimisation) is used here: a Latin hypercube or scrambled
Sobol sample (scipy.stats.qmc) finds the basin, and Nelder–Mead or bounded Powell
(scipy.optimize) refines its best point. With common random numbers the objective is a fixed
function of the parameters (the same seeds everywhere), so the local method sees no noise between
its steps, only the model's own roughness.

The search works on the unit cube; the caller maps points to parameter values (rounding whole
numbers) and says through ``key`` which points are the same candidate, so a repeated candidate
is never evaluated twice and the budget counts distinct candidates only.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from scipy import optimize
from scipy.stats import qmc

#: the local search stops when its simplex (or line search) is this small, as a share of each range
X_TOLERANCE = 0.005
#: ... and the objective changes by less than this (the objective is in units of the targets' tolerances)
F_TOLERANCE = 1e-3
#: the largest first step of the local search, as a share of each range
MAX_INITIAL_STEP = 0.25
#: what an undefined objective (a failed or invalid candidate) is worth to the local optimiser
PENALTY = 1e12

Phase = Literal["sample", "local"]


class BudgetSpent(Exception):
    """The budget of candidate evaluations is used up: the search stops with what it has."""


@dataclass(frozen=True)
class Plan:
    """What the search does: its sample, its local method and its budget of distinct candidates."""

    sample: Literal["lhs", "sobol"] = "lhs"
    samples: int = 16
    local: Literal["nelder-mead", "powell", "none"] = "nelder-mead"
    max_evaluations: int = 40
    seed: int = 2026


@dataclass(frozen=True)
class Trial:
    """One distinct candidate: its point in the unit cube, its objective and the phase that asked for it."""

    point: np.ndarray
    value: float
    phase: Phase


@dataclass
class SearchResult:
    """Every distinct candidate in the order evaluated, the best one and why the search stopped."""

    trials: list[Trial] = field(default_factory=list)
    best: int = -1
    stopped_by: str = ""


def design(sample: str, n: int, dims: int, seed: int) -> np.ndarray:
    """``n`` space-filling points in the unit cube: a Latin hypercube or a scrambled Sobol sample."""
    rng = np.random.default_rng(seed)
    engine = qmc.Sobol(dims, scramble=True, **_rng(rng)) if sample == "sobol" else qmc.LatinHypercube(dims, **_rng(rng))
    if sample == "sobol":
        return engine.random_base2(int(math.log2(n)))
    return engine.random(n)


def _rng(rng: np.random.Generator) -> dict[str, np.random.Generator]:
    """scipy.stats.qmc's seed keyword: ``rng`` from scipy 1.15, ``seed`` before."""
    import inspect

    return {"rng": rng} if "rng" in inspect.signature(qmc.LatinHypercube).parameters else {"seed": rng}


def default_key(point: np.ndarray) -> Hashable:
    """Two points are the same candidate when their coordinates agree to 12 digits."""
    return tuple(np.round(np.asarray(point, dtype=float), 12).tolist())


class Objective:
    """The objective on the unit cube, memoised by candidate and limited to a budget of distinct candidates.

    ``evaluate`` gets the new candidates of a call as an (n, d) array and their phase, and returns
    their objective values (NaN or inf for an undefined one).
    """

    def __init__(
        self,
        evaluate: Callable[[np.ndarray, Phase], np.ndarray],
        max_evaluations: int,
        key: Callable[[np.ndarray], Hashable] = default_key,
    ) -> None:
        self.evaluate, self.max_evaluations, self.key = evaluate, max_evaluations, key
        self.memo: dict[Hashable, float] = {}
        self.trials: list[Trial] = []

    @property
    def left(self) -> int:
        return self.max_evaluations - len(self.trials)

    def batch(self, points: np.ndarray, phase: Phase) -> np.ndarray:
        """Objective values of ``points``; the new candidates among them are evaluated together.

        When the new candidates exceed the budget, the first ones that fit are evaluated and
        :class:`BudgetSpent` is raised.
        """
        points = np.clip(np.atleast_2d(np.asarray(points, dtype=float)), 0.0, 1.0)
        new: dict[Hashable, np.ndarray] = {}
        for p in points:
            k = self.key(p)
            if k not in self.memo and k not in new:
                new[k] = p
        fits = list(new.items())[: max(self.left, 0)]
        if fits:
            values = np.asarray(self.evaluate(np.array([p for _, p in fits]), phase), dtype=float)
            for (k, p), v in zip(fits, values, strict=True):
                self.memo[k] = float(v)
                self.trials.append(Trial(p.copy(), float(v), phase))
        if len(fits) < len(new):
            raise BudgetSpent
        return np.array([self.memo[self.key(p)] for p in points])

    def __call__(self, x: np.ndarray) -> float:
        """One point's objective for scipy.optimize: an undefined value is a large finite penalty."""
        value = float(self.batch(np.asarray(x)[None, :], "local")[0])
        return value if math.isfinite(value) else PENALTY


def search(
    evaluate: Callable[[np.ndarray, Phase], np.ndarray],
    dims: int,
    plan: Plan,
    key: Callable[[np.ndarray], Hashable] = default_key,
) -> SearchResult:
    """Sample the unit cube, refine the best point locally, and stop at the budget or at convergence."""
    objective = Objective(evaluate, plan.max_evaluations, key)
    result = SearchResult(trials=objective.trials)
    try:
        objective.batch(design(plan.sample, plan.samples, dims, plan.seed), "sample")
        if plan.local == "none":
            result.stopped_by = f"the sample of {plan.samples} points is evaluated (no local search)"
        else:
            result.stopped_by = _refine(objective, dims, plan)
    except BudgetSpent:
        result.stopped_by = f"the budget of {plan.max_evaluations} candidates is spent"
    result.best = best_trial(objective.trials)
    return result


def best_trial(trials: list[Trial]) -> int:
    """The index of the lowest defined objective (the first of ties), -1 if none is defined."""
    values = np.array([t.value if math.isfinite(t.value) else np.inf for t in trials])
    return int(np.argmin(values)) if values.size and np.isfinite(values).any() else -1


def _refine(objective: Objective, dims: int, plan: Plan) -> str:
    """Nelder–Mead or bounded Powell from the best sampled point; returns why it stopped."""
    start = best_trial(objective.trials)
    if start < 0:
        return "no sampled candidate has a defined objective; no local search"
    x0 = objective.trials[start].point
    step = min(MAX_INITIAL_STEP, 0.5 * plan.samples ** (-1.0 / dims))
    # each first step points away from the nearer bound, so it stays inside the box
    steps = np.where(x0 + step <= 1.0, step, -step)
    bounds = [(0.0, 1.0)] * dims
    if plan.local == "nelder-mead":
        simplex = np.vstack([x0, x0 + np.diag(steps)])
        options = {"initial_simplex": simplex, "xatol": X_TOLERANCE, "fatol": F_TOLERANCE, "maxfev": 10**9}
        res = optimize.minimize(objective, x0, method="Nelder-Mead", bounds=bounds, options=options)
    else:
        options = {"direc": np.diag(steps), "xtol": X_TOLERANCE, "ftol": F_TOLERANCE, "maxfev": 10**9}
        res = optimize.minimize(objective, x0, method="Powell", bounds=bounds, options=options)
    name = "Nelder-Mead" if plan.local == "nelder-mead" else "Powell"
    return f"{name} stopped: {str(res.message).rstrip('.').lower()}"
