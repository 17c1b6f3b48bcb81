"""Experiment specs: which runs a batch is made of (what is explored), kept apart from how the
runs are executed (:mod:`sim.batch`).

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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from sim.errors import MISSING, InputError
from sim.outputs.provenance import run_id
from sim.outputs.summary import OUTCOMES
from sim.scenario.loading import check_path, read_raw_scenario, set_override, validate_scenario
from sim.scenario.schema import Scenario, submodel


class CaseSpec(BaseModel):
    """A case: a scenario file (relative to the spec) and/or key-path overrides of the base."""

    model_config = ConfigDict(extra="forbid")

    scenario: str | None = None
    set: dict[str, Any] = Field(default_factory=dict)


class ExperimentSpec(BaseModel):
    """An experiment: base scenario x cases x grid x replications."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=r"^[A-Za-z0-9_.-]+$")
    description: str = ""
    scenario: str = Field(description="Base scenario file, relative to the spec file.")
    cases: dict[str, CaseSpec | str] = Field(default_factory=dict)
    grid: dict[str, list[Any]] = Field(default_factory=dict)
    replications: int = Field(10, ge=1, le=100_000)
    seed: int = Field(2026, ge=0, le=2**63 - 1)
    steps: int | None = Field(None, ge=1, le=5200)
    outcomes: list[str] = Field(default_factory=lambda: list(OUTCOMES))
    timeseries: bool | list[str] = False

    @field_validator("outcomes")
    @classmethod
    def _known_outcomes(cls, value: list[str]) -> list[str]:
        unknown = [v for v in value if v not in OUTCOMES]
        if unknown:
            raise ValueError(f"unknown outcome {unknown[0]!r}; allowed: {', '.join(OUTCOMES)}")
        if len(set(value)) != len(value):
            raise ValueError("each outcome may be listed once")
        return value

    @field_validator("timeseries")
    @classmethod
    def _distinct_columns(cls, value: bool | list[str]) -> bool | list[str]:
        if isinstance(value, list) and len(set(value)) != len(value):
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


def load_experiment(path: str | Path) -> Experiment:
    """Read and validate a spec, and validate every design point as a scenario."""
    path = Path(path)
    src = str(path)
    if not path.is_file():
        raise InputError(src, None, MISSING, "experiment spec not found")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (UnicodeDecodeError, OSError) as exc:
        raise InputError(
            src, None, MISSING, f"cannot read the spec ({type(exc).__name__}); save it as UTF-8 text"
        ) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "unknown position"
        raise InputError(src, None, MISSING, f"malformed YAML at {where}") from None
    if not isinstance(raw, dict):
        raise InputError(src, None, MISSING, "an experiment spec must be a mapping of keys to values")
    try:
        spec = ExperimentSpec.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(p) for p in err["loc"])
        if err["type"] == "extra_forbidden":
            allowed = "unknown key; allowed: " + ", ".join(
                CaseSpec.model_fields if loc.startswith("cases.") else ExperimentSpec.model_fields
            )
            raise InputError(src, loc, MISSING, allowed) from None
        value = err.get("input", MISSING) if err["type"] != "missing" else MISSING
        msg = str(err.get("ctx", {}).get("error", err["msg"]))
        raise InputError(src, loc, value, msg) from None
    return build_experiment(spec, path.parent, src)


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
    base_path = base_dir / spec.scenario
    try:
        base = read_raw_scenario(base_path, ())
    except InputError as exc:
        raise InputError(src, "scenario", spec.scenario, f"cannot read base scenario ({exc})") from None
    cases: dict[str, dict[str, Any]] = {}
    labels: dict[str, str] = {}  # where a case's scenario comes from, for error messages
    for name, case in (spec.cases or {"base": CaseSpec()}).items():
        case = CaseSpec(scenario=case) if isinstance(case, str) else case
        if case.scenario and not (base_dir / case.scenario).is_file():
            raise InputError(src, f"cases.{name}", case.scenario, f"no such scenario file ({base_dir / case.scenario})")
        raw = read_raw_scenario(base_dir / case.scenario, ()) if case.scenario else copy.deepcopy(base)
        for key, value in case.set.items():
            if key in NOT_FACTORS or (key == "steps" and spec.steps is not None):
                raise InputError(src, f"cases.{name}.set.{key}", value, "set by the spec (seed, steps) or a label")
            set_override(raw, key, value, source=f"{src}: cases.{name}.set")
        cases[name] = raw
        labels[name] = str(base_dir / case.scenario) if case.scenario else f"{src}: cases.{name}"
    factors = {name: expand_factor(name, src) for name in spec.grid}
    for name, keys in factors.items():
        fixed = [k for k in keys if k in NOT_FACTORS or (k == "steps" and spec.steps is not None)]
        if fixed:
            why = "set by the spec's own 'steps'" if fixed[0] == "steps" else "a label or the seed, not an input"
            raise InputError(src, f"grid.{name}", MISSING, f"cannot vary {fixed[0]!r} ({why})")
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
