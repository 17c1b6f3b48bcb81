"""Experiment specs: which runs a batch is made of (what is explored), kept apart from how the
runs are executed (:mod:`sim.experiments.batch`).

A spec names a base scenario, then cases (named scenario files or override sets) and/or a grid
(scenario key path -> list of values, full factorial), a number of replications and a root seed.
Every design point is validated as a scenario before anything runs.

Seeds: replication ``k`` of every case and design point runs with the seed of
``SeedSequence(root, spawn_key=(k,))`` — common random numbers across cases, so differences
between cases are paired; adding cases, grid values or replications never changes the seed of
a run that already exists (Law 2015, ch. 11, on common random numbers).
"""

from __future__ import annotations

import copy
import itertools
import math
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from sim.errors import MISSING, InputError
from sim.outputs.provenance import run_id
from sim.outputs.summary import OUTCOMES
from sim.scenario.loading import (
    check_path,
    read_raw_scenario,
    scenario_reference,
    set_override,
    translate,
    validate_scenario,
)
from sim.scenario.schema import NAME_MAX, NAME_PATTERN, Scenario, name_not_only_dots, submodel
from sim.scenario.shipped import locate
from sim.scenario.yaml_input import read_yaml

MAX_RUNS = 100_000
"""Largest design run without the caller's confirmation (``cxsim batch --yes``)."""


class CaseSpec(BaseModel):
    """A case: a scenario file (relative to the spec) and/or key-path overrides of the base.

    A case written as a bare path (``name: ../scenarios/x.yaml``) is the case with that scenario.
    """

    model_config = ConfigDict(extra="forbid", strict=True)

    scenario: str | None = None
    set: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _path_shorthand(cls, value: Any) -> Any:
        return {"scenario": value} if isinstance(value, str) else value


class ExperimentSpec(BaseModel):
    """An experiment: base scenario x cases x grid x replications.

    Types are strict as in scenario files: ``replications: '10'`` or ``10.0`` is refused.
    """

    model_config = ConfigDict(extra="forbid", strict=True)

    name: str = Field(pattern=NAME_PATTERN, max_length=NAME_MAX)
    description: str = ""
    scenario: str = Field(description="Base scenario file, relative to the spec file.")
    cases: dict[str, CaseSpec] = Field(default_factory=dict)
    grid: dict[str, list[Any]] = Field(default_factory=dict)
    replications: int = Field(10, ge=1, le=100_000)
    seed: int = Field(2026, ge=0, le=2**63 - 1)
    steps: int | None = Field(None, ge=1, le=5200)
    outcomes: list[str] = Field(default_factory=lambda: list(OUTCOMES))
    timeseries: bool | list[str] = False

    @field_validator("name")
    @classmethod
    def _not_only_dots(cls, value: str) -> str:
        return name_not_only_dots(value)

    @field_validator("outcomes")
    @classmethod
    def _known_outcomes(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError(f"at least one outcome; allowed: {', '.join(OUTCOMES)}")
        unknown = [v for v in value if v not in OUTCOMES]
        if unknown:
            raise ValueError(f"unknown outcome {unknown[0]!r}; allowed: {', '.join(OUTCOMES)}")
        if len(set(value)) != len(value):
            raise ValueError("each outcome may be listed once")
        return value

    @field_validator("timeseries", mode="plain")
    @classmethod
    def _timeseries(cls, value: Any) -> bool | list[str]:
        if isinstance(value, bool):
            return value
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ValueError("allowed: true, false or a list of time-series column names")
        if len(set(value)) != len(value):
            raise ValueError("each time-series column may be listed once")
        return value

    @field_validator("grid")
    @classmethod
    def _non_empty_levels(cls, value: dict[str, list[Any]]) -> dict[str, list[Any]]:
        for key, levels in value.items():
            if not levels:
                raise ValueError(f"grid factor {key!r} needs at least one value")
        return value


@dataclass(frozen=True)
class RunTask:
    """One run of a batch: fully resolved, so a worker needs nothing else."""

    run_id: str
    case: str
    factors: dict[str, Any]
    replication: int
    seed: int
    scenario: dict[str, Any] = field(repr=False)


@dataclass
class Experiment:
    """A validated spec with its design points expanded."""

    spec: ExperimentSpec
    source: str
    points: list[tuple[str, dict[str, Any], dict[str, Any]]]  # (case, factors, resolved scenario)

    @property
    def factor_names(self) -> list[str]:
        return list(self.spec.grid)

    def tasks(self, replications: int | None = None) -> list[RunTask]:
        """Every run: each design point x each replication, with common random numbers."""
        reps = self.spec.replications if replications is None else replications
        seeds = replication_seeds(self.spec.seed, reps)
        out = []
        for case, factors, scenario in self.points:
            for k, seed in enumerate(seeds):
                resolved = dict(scenario, seed=seed)
                out.append(RunTask(run_id(resolved, seed), case, factors, k, seed, resolved))
        return out


def replication_seeds(root: int, replications: int) -> list[int]:
    """The seed of replication k: stable in k, whatever the number of replications or cases."""
    return [
        int(np.random.SeedSequence(root, spawn_key=(k,)).generate_state(1, np.uint64)[0] >> np.uint64(1))
        for k in range(replications)
    ]


def load_experiment(
    path: str | Path,
    *,
    max_runs: int | None = MAX_RUNS,
    on_count: Callable[[int], None] | None = None,
) -> Experiment:
    """Read and validate a spec, and validate every design point as a scenario.

    ``path`` may be the bare name of a shipped spec. The runs are counted before any design
    point is built: above ``max_runs`` (None: no limit) the spec is refused, and ``on_count``
    hears the count before the (possibly long) expansion starts.
    """
    path = locate(path, "experiments")
    src = str(path)
    if not os.path.lexists(path):
        raise InputError(src, None, MISSING, "experiment spec not found")
    raw = read_yaml(path, src)
    if raw is None:
        raise InputError(src, None, MISSING, "the file is empty; an experiment spec needs name and scenario")
    if not isinstance(raw, dict):
        raise InputError(src, None, MISSING, "an experiment spec must be a mapping of keys to values")
    try:
        spec = ExperimentSpec.model_validate(raw)
    except ValidationError as exc:
        raise translate(exc, ExperimentSpec, src) from None
    runs, breakdown = design_size(spec)
    if max_runs is not None and runs > max_runs:
        raise InputError(
            src, None, MISSING, f"{runs:,} runs ({breakdown}); a design above {max_runs:,} runs needs --yes"
        )
    if on_count is not None:
        on_count(runs)
    return build_experiment(spec, path.parent, src)


def design_size(spec: ExperimentSpec, replications: int | None = None) -> tuple[int, str]:
    """The number of runs of a spec, counted without building anything, and how it comes about."""
    reps = spec.replications if replications is None else replications
    cases = max(1, len(spec.cases))
    levels = [len(v) for v in spec.grid.values()]
    points = math.prod(levels)
    parts = []
    if levels:
        parts.append(f"{' x '.join(map(str, levels))} grid points")
    parts += [f"{cases} case{'s' * (cases != 1)}", f"{reps} replication{'s' * (reps != 1)}"]
    return cases * points * reps, " x ".join(parts)


def build_experiment(spec: ExperimentSpec, base_dir: Path, source: str) -> Experiment:
    """Expand and validate a spec whose scenario paths are relative to ``base_dir``."""
    return Experiment(spec, source, _design_points(spec, base_dir, source))


def expand_factor(pattern: str, source: str) -> list[str]:
    """Key paths of a factor; ``*`` stands for every key at that level (e.g. all units)."""
    parts = pattern.split(".")
    paths: list[list[str]] = [[]]
    for part in parts:
        if part != "*":
            paths = [[*p, part] for p in paths]
            continue
        expanded = []
        for p in paths:
            info = check_path(p, source) if p else None
            cls = submodel(info) if info is not None else Scenario
            if cls is None:
                raise InputError(source, f"grid.{pattern}", MISSING, "'*' must stand for a section's keys")
            expanded += [[*p, k] for k in cls.model_fields]
        paths = expanded
    out = [".".join(p) for p in paths]
    for p in out:
        check_path(p.split("."), f"{source}: grid.{pattern}")
    return out


def _design_points(spec: ExperimentSpec, base_dir: Path, src: str) -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    base_path = scenario_reference(spec.scenario, base_dir, src, "scenario")
    try:
        base = read_raw_scenario(base_path, (), echo=False)
    except InputError as exc:
        raise InputError(src, "scenario", spec.scenario, f"cannot read base scenario ({exc})") from None
    factors = {name: expand_factor(name, src) for name in spec.grid}
    for name, keys in factors.items():
        fixed = [k for k in keys if k in NOT_FACTORS or (k == "steps" and spec.steps is not None)]
        if fixed:
            why = "set by the spec's own 'steps'" if fixed[0] == "steps" else "a label or the seed, not an input"
            raise InputError(src, f"grid.{name}", MISSING, f"cannot vary {fixed[0]!r} ({why})")
    _refuse_overlaps(factors, src)
    cases: dict[str, dict[str, Any]] = {}
    labels: dict[str, str] = {}  # where a case's scenario comes from, for error messages
    for name, case in (spec.cases or {"base": CaseSpec()}).items():
        raw = copy.deepcopy(base)
        if case.scenario:
            case_path = scenario_reference(case.scenario, base_dir, src, f"cases.{name}")
            raw = read_raw_scenario(case_path, (), echo=False)
        for key, value in case.set.items():
            if key in NOT_FACTORS or (key == "steps" and spec.steps is not None):
                raise InputError(src, f"cases.{name}.set.{key}", value, "set by the spec (seed, steps) or a label")
            set_override(raw, key, value, source=f"{src}: cases.{name}.set")
            for factor, keys in factors.items():
                if any(_overlap(key, k) for k in keys):
                    raise InputError(
                        src,
                        f"cases.{name}.set.{key}",
                        MISSING,
                        f"also varied by grid.{factor}, which would override it; set it in one place only",
                    )
        cases[name] = raw
        if case.scenario:
            labels[name] = str(base_dir / case.scenario)
        else:
            labels[name] = f"{src}: cases.{name}" if spec.cases else f"{src}: scenario {spec.scenario}"
    levels = list(itertools.product(*spec.grid.values())) if spec.grid else [()]
    points = []
    for case, raw in cases.items():
        for combo in levels:
            scenario = copy.deepcopy(raw)
            values = dict(zip(spec.grid, combo, strict=True))
            for name, value in values.items():
                for key in factors[name]:
                    set_override(scenario, key, value, source=f"{src}: grid.{name}")
            if spec.steps is not None:
                scenario["steps"] = spec.steps
            try:
                validated = validate_scenario(scenario, labels[case])
            except InputError as exc:
                field = exc.field or ""
                factor = next(
                    (n for n in values if any(field == k or field.startswith(k + ".") for k in factors[n])), None
                )
                if factor is None:
                    raise
                raise InputError(src, f"grid.{factor}", exc.value, exc.allowed) from None
            points.append((case, values, validated.model_dump(mode="json")))
    _refuse_twins(points, src)
    return points


def _overlap(a: str, b: str) -> bool:
    """Two key paths set the same value: equal, or one a section holding the other."""
    return a == b or a.startswith(b + ".") or b.startswith(a + ".")


def _refuse_overlaps(factors: dict[str, list[str]], src: str) -> None:
    """Two factors setting one key would label a run with one value and run it with the other."""
    names = list(factors)
    for i, first in enumerate(names):
        for second in names[i + 1 :]:
            both = next((a for a in factors[first] for b in factors[second] if _overlap(a, b)), None)
            if both is not None:
                raise InputError(
                    src,
                    f"grid.{second}",
                    MISSING,
                    f"overlaps grid.{first} (both set {both}); vary each setting in one factor only",
                )


#: scenario keys a design may not vary: labels, and the seed (replications set it)
NOT_FACTORS = ("name", "description", "seed")


def _refuse_twins(points: list[tuple[str, dict[str, Any], dict[str, Any]]], src: str) -> None:
    """Two design points with the same inputs would be one run under two labels: refuse them."""
    seen: dict[str, tuple[str, dict[str, Any]]] = {}
    for case, factors, scenario in points:
        key = run_id(scenario, 0)
        if key in seen:
            other_case, other_factors = seen[key]
            where = f"case {other_case!r} {other_factors or ''}".strip()
            here = f"case {case!r} {factors or ''}".strip()
            field = "cases" if case != other_case else "grid"
            raise InputError(src, field, MISSING, f"{here} has the same inputs as {where} (only labels differ)")
        seen[key] = (case, factors)
