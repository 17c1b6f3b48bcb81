"""Experiment specs: which runs a batch is made of (what is explored), kept apart from how the
runs are executed (:mod:`sim.experiments.batch`).

A spec names a base scenario, then cases (named scenario files or override sets) and/or a grid
(scenario key path -> list of values, full factorial), or a sample (key path -> range, drawn by
SALib's samplers, :mod:`sim.experiments.sampling`), a number of replications and a root seed.
Every design point is validated as a scenario before anything runs.

A sampled design may repeat points (Morris trajectories and Saltelli's matrices do): design
points with the same inputs share their runs, and every design row still gets its outcome row.

Seeds: replication ``k`` of every case and design point runs with the seed of
``SeedSequence(root, spawn_key=(k,))`` — common random numbers across cases, so differences
between cases are paired; adding cases, grid values or replications never changes the seed of
a run that already exists (Law 2015, ch. 11, on common random numbers).
"""

from __future__ import annotations

import copy
import itertools
import json
import math
import os
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from sim.errors import MISSING, InputError
from sim.experiments.labels import factor_label
from sim.experiments.sampling import (
    FAST_INTERFERENCE,
    METHODS,
    MORRIS_LEVELS,
    SENSITIVITY_METHODS,
    SampledParameter,
    SampleOptions,
    design_rows,
    row_values,
    sample_matrix,
)
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
from sim.scenario.ranges import bounds, numeric_kind, parameter_range
from sim.scenario.schema import NAME_MAX, NAME_PATTERN, Scenario, located, name_not_only_dots, submodel
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


class SampleSpec(BaseModel):
    """A sampled design: which sampler, how many samples, and the range of each sampled key path.

    ``parameters`` maps a scenario key path to ``plausible`` (the schema's plausible range; for a
    switch or a categorical key, all its values), ``[low, high]``, or ``{levels: [a, b, ...]}``.
    ``samples`` is N: Latin hypercube points, Sobol' base samples (a power of 2), Morris
    trajectories, or FAST samples per parameter. ``seed`` defaults to the spec's.
    """

    model_config = ConfigDict(extra="forbid", strict=True)

    method: Literal["lhs", "sobol", "morris", "fast"]
    samples: int = Field(ge=2, le=1_000_000)
    seed: int | None = Field(None, ge=0, le=2**63 - 1)
    levels: int | None = Field(None, ge=2, le=100, description="Morris: grid levels (even).")
    optimal_trajectories: int | None = Field(
        None, ge=2, le=1000, description="Morris: keep this many of the most spread trajectories (Campolongo 2007)."
    )
    second_order: bool | None = Field(None, description="Sobol: also sample for second-order indices (S2).")
    interference: int | None = Field(None, ge=1, le=100, description="FAST: interference factor M.")
    parameters: dict[str, Any] = Field(min_length=1)

    def options(self, spec_seed: int) -> SampleOptions:
        """The sampler's settings, with the defaults of the options the spec leaves out."""
        return SampleOptions(
            method=self.method,
            samples=self.samples,
            seed=spec_seed if self.seed is None else self.seed,
            levels=MORRIS_LEVELS if self.levels is None else self.levels,
            optimal_trajectories=self.optimal_trajectories,
            second_order=True if self.second_order is None else self.second_order,
            interference=FAST_INTERFERENCE if self.interference is None else self.interference,
        )


assert typing.get_args(SampleSpec.model_fields["method"].annotation) == METHODS

#: the options each sampler takes besides method, samples, seed and parameters
METHOD_OPTIONS = {"levels": "morris", "optimal_trajectories": "morris", "second_order": "sobol", "interference": "fast"}


class ExperimentSpec(BaseModel):
    """An experiment: base scenario x cases x grid (or a sample) x replications.

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
    sample: SampleSpec | None = None

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

    @model_validator(mode="after")
    def _sample_alone(self) -> ExperimentSpec:
        """A sample varies the base scenario on its own: with a grid or cases its rows would be ambiguous."""
        if self.sample is not None and (self.grid or self.cases):
            other = "grid" if self.grid else "cases"
            raise located("sample", MISSING, f"a spec has a grid and/or cases, or a sample; not a sample and {other}")
        return self

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
class SampledDesign:
    """The sample behind a sampled experiment: the sampler's settings, the parameters and the design matrix."""

    options: SampleOptions
    parameters: list[SampledParameter]
    matrix: np.ndarray
    base_scenario: dict[str, Any] = field(repr=False)

    def record(self) -> dict[str, Any]:
        """What the manifest keeps of the design (the matrix itself goes to ``design.parquet``)."""
        return {
            "method": self.options.method,
            "samples": self.options.samples,
            "seed": self.options.seed,
            "options": _method_options(self.options),
            "rows": len(self.matrix),
            "parameters": {p.name: p.describe() for p in self.parameters},
        }


def _method_options(options: SampleOptions) -> dict[str, Any]:
    if options.method == "morris":
        return {"levels": options.levels, "optimal_trajectories": options.optimal_trajectories}
    if options.method == "sobol":
        return {"second_order": options.second_order}
    if options.method == "fast":
        return {"interference": options.interference}
    return {}


@dataclass
class Experiment:
    """A validated spec with its design points expanded (one per design row of a sampled design)."""

    spec: ExperimentSpec
    source: str
    points: list[tuple[str, dict[str, Any], dict[str, Any]]]  # (case, factors, resolved scenario)
    design: SampledDesign | None = None
    _runs_cache: dict[int, list[tuple[int, int, int, str]]] = field(default_factory=dict, repr=False)

    @property
    def factor_names(self) -> list[str]:
        if self.design is not None:
            return [p.name for p in self.design.parameters]
        return list(self.spec.grid)

    def _runs(self, replications: int | None) -> list[tuple[int, int, int, str]]:
        """(design point, replication, seed, run id) of every design row; twins of a sample share run ids."""
        reps = self.spec.replications if replications is None else replications
        if reps not in self._runs_cache:
            seeds = replication_seeds(self.spec.seed, reps)
            first: dict[str, int] = {}
            ids: dict[tuple[int, int], str] = {}
            out = []
            for i, (_, _, scenario) in enumerate(self.points):
                same = first.setdefault(run_id(scenario, 0), i) if self.design is not None else i
                for k, seed in enumerate(seeds):
                    if (same, k) not in ids:
                        ids[(same, k)] = run_id(dict(scenario, seed=seed), seed)
                    out.append((i, k, seed, ids[(same, k)]))
            self._runs_cache[reps] = out
        return self._runs_cache[reps]

    def tasks(self, replications: int | None = None) -> list[RunTask]:
        """Every distinct run: each design point x each replication, with common random numbers.

        Design points with the same inputs (a sampled design's repeats) share one run per replication.
        """
        out, seen = [], set()
        for i, k, seed, rid in self._runs(replications):
            if rid in seen:
                continue
            seen.add(rid)
            case, factors, scenario = self.points[i]
            out.append(RunTask(rid, case, factors, k, seed, dict(scenario, seed=seed)))
        return out

    def rows(self, replications: int | None = None) -> list[dict[str, Any]]:
        """The design columns of ``runs.parquet``: one row per design row and replication.

        A sampled design's rows carry their ``design_row`` (0-based, the sampler's order) and the
        value of each sampled parameter; rows with the same inputs name the same run.
        """
        out = []
        for i, k, seed, rid in self._runs(replications):
            case, factors, _ = self.points[i]
            row: dict[str, Any] = {"run_id": rid}
            if self.design is not None:
                row["design_row"] = i
            row.update({"case": case, **{n: factor_label(v) for n, v in factors.items()}})
            row.update({"replication": k, "seed": seed})
            out.append(row)
        return out


def replication_seeds(root: int, replications: int) -> list[int]:
    """The seed of replication k: stable in k, whatever the number of replications or cases."""
    return [
        int(np.random.SeedSequence(root, spawn_key=(k,)).generate_state(1, np.uint64)[0] >> np.uint64(1))
        for k in range(replications)
    ]


def read_spec[M: BaseModel](path: str | Path, model: type[M], what: str, needs: str) -> tuple[Path, M]:
    """The spec file at ``path`` (or the shipped spec of that bare name) parsed as ``model``.

    ``what`` names the kind of spec in messages ("an experiment spec"), ``needs`` the keys it
    must have; a missing, empty, non-mapping or invalid file is an InputError naming the field.
    """
    path = locate(path, "experiments")
    src = str(path)
    if not os.path.lexists(path):
        raise InputError(src, None, MISSING, f"{what.split(' ', 1)[1]} not found")
    raw = read_yaml(path, src)
    if raw is None:
        raise InputError(src, None, MISSING, f"the file is empty; {what} needs {needs}")
    if not isinstance(raw, dict):
        raise InputError(src, None, MISSING, f"{what} must be a mapping of keys to values")
    try:
        return path, model.model_validate(raw)
    except ValidationError as exc:
        raise translate(exc, model, src) from None


def load_experiment(
    path: str | Path,
    *,
    max_runs: int | None = MAX_RUNS,
    on_count: Callable[[int], None] | None = None,
    replications: int | None = None,
) -> Experiment:
    """Read and validate a spec, and validate every design point as a scenario.

    ``path`` may be the bare name of a shipped spec. The runs are counted before any design
    point is built (with ``replications`` instead of the spec's, if given): above ``max_runs``
    (None: no limit) the spec is refused, and ``on_count`` hears the count before the
    (possibly long) expansion starts.
    """
    path, spec = read_spec(path, ExperimentSpec, "an experiment spec", "name and scenario")
    src = str(path)
    check_sample(spec, src)
    runs, breakdown = design_size(spec, replications)
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
    replicated = f"{reps} replication{'s' * (reps != 1)}"
    if spec.sample is not None:
        options = spec.sample.options(spec.seed)
        rows = design_rows(options, len(spec.sample.parameters))
        return rows * reps, f"{rows:,} {options.method} design rows x {replicated}"
    cases = max(1, len(spec.cases))
    levels = [len(v) for v in spec.grid.values()]
    points = math.prod(levels)
    parts = []
    if levels:
        parts.append(f"{' x '.join(map(str, levels))} grid points")
    parts += [f"{cases} case{'s' * (cases != 1)}", replicated]
    return cases * points * reps, " x ".join(parts)


def build_experiment(spec: ExperimentSpec, base_dir: Path, source: str) -> Experiment:
    """Expand and validate a spec whose scenario paths are relative to ``base_dir``."""
    if spec.sample is not None:
        check_sample(spec, source)
        points, design = _sampled_points(spec, base_dir, source)
        return Experiment(spec, source, points, design)
    return Experiment(spec, source, _design_points(spec, base_dir, source))


def check_sample(spec: ExperimentSpec, src: str) -> None:
    """The sampler's settings fit its method (checked before the design is counted or built)."""
    sample = spec.sample
    if sample is None:
        return
    for option, method in METHOD_OPTIONS.items():
        value = getattr(sample, option)
        if value is not None and sample.method != method:
            raise InputError(src, f"sample.{option}", value, f"an option of method {method}, not {sample.method}")
    k = len(sample.parameters)
    if sample.method in SENSITIVITY_METHODS and k < 2:
        raise InputError(
            src, "sample.parameters", list(sample.parameters), f"{sample.method} compares parameters: give at least 2"
        )
    n = sample.samples
    if sample.method == "sobol" and n & (n - 1):
        raise InputError(
            src,
            "sample.samples",
            n,
            "allowed for sobol: a power of 2 (e.g. 64, 128), which keeps Sobol' points balanced",
        )
    if sample.method == "morris":
        levels = sample.levels or MORRIS_LEVELS
        if levels % 2:
            raise InputError(src, "sample.levels", levels, "allowed: an even number of levels (Morris 1991), e.g. 4")
        r = sample.optimal_trajectories
        if r is not None and r >= n:
            raise InputError(
                src,
                "sample.optimal_trajectories",
                r,
                f"allowed: fewer than the pool of samples ({n}) it is chosen from",
            )
    if sample.method == "fast":
        m = sample.interference or FAST_INTERFERENCE
        if n <= 4 * m * m:
            raise InputError(src, "sample.samples", n, f"allowed for fast: more than 4 x interference² = {4 * m * m}")


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


# ----------------------------------------------------------------------------- sampled designs


def _sampled_points(
    spec: ExperimentSpec, base_dir: Path, src: str
) -> tuple[list[tuple[str, dict[str, Any], dict[str, Any]]], SampledDesign]:
    """Sample the design, map each row onto scenario values and validate every distinct point."""
    assert spec.sample is not None
    base_path = scenario_reference(spec.scenario, base_dir, src, "scenario")
    try:
        raw = read_raw_scenario(base_path, (), echo=False)
    except InputError as exc:
        raise InputError(src, "scenario", spec.scenario, f"cannot read base scenario ({exc})") from None
    if spec.steps is not None:
        raw["steps"] = spec.steps
    label = f"{src}: scenario {spec.scenario}"
    base = validate_scenario(raw, label)
    parameters = [_sampled_parameter(key, given, raw, base, spec, src) for key, given in spec.sample.parameters.items()]
    options = spec.sample.options(spec.seed)
    matrix = sample_matrix(parameters, options)
    validated: dict[str, dict[str, Any]] = {}
    points = []
    for i, values in enumerate(row_values(parameters, matrix)):
        key = repr(sorted(values.items()))
        if key not in validated:
            validated[key] = _sampled_scenario(raw, values, label, src, f" (design row {i})")
        points.append(("base", values, validated[key]))
    design = SampledDesign(options, parameters, matrix, base.model_dump(mode="json"))
    return points, design


def _sampled_scenario(raw: dict[str, Any], values: dict[str, Any], label: str, src: str, where: str) -> dict[str, Any]:
    """The base scenario with the sampled values set, validated; a refusal names the sampled key at fault."""
    scenario = copy.deepcopy(raw)
    for name, value in values.items():
        set_override(scenario, name, value, source=f"{src}: sample.parameters.{name}")
    try:
        return validate_scenario(scenario, label).model_dump(mode="json")
    except InputError as exc:
        field = exc.field or ""
        name = next((n for n in values if _overlap(field, n)), None)
        if name is None:
            raise
        value = values[name] if field != name else exc.value
        raise InputError(src, f"sample.parameters.{name}", value, f"{exc.allowed}{where}") from None


def _sampled_parameter(
    key: str, given: Any, raw: dict[str, Any], base: Scenario, spec: ExperimentSpec, src: str
) -> SampledParameter:
    """A sampled key path and its range: ``plausible``, ``[low, high]`` or ``{levels: [...]}``."""
    field = f"sample.parameters.{key}"
    if "*" in key.split("."):
        raise InputError(src, field, given, "one key path per sampled parameter ('*' is for grids)")
    if key in NOT_FACTORS or (key == "steps" and spec.steps is not None):
        why = "set by the spec's own 'steps'" if key == "steps" else "a label or the seed, not an input"
        raise InputError(src, field, given, f"cannot be sampled ({why})")
    info = check_path(key.split("."), f"{src}: sample.parameters")
    if submodel(info) is not None:
        keys = ", ".join(submodel(info).model_fields)  # type: ignore[union-attr]
        raise InputError(src, field, given, f"a section, not a value; sample one of its keys: {keys}")
    kind = numeric_kind(info)
    choices = _choices(info)
    shape = "allowed: plausible, [low, high] or {levels: [a, b, ...]}"
    if isinstance(given, dict):
        if set(given) != {"levels"} or not isinstance(given["levels"], list):
            raise InputError(src, field, given, shape)
        levels = given["levels"]
        if len(levels) < 2 or len({json.dumps(v, sort_keys=True) for v in levels}) != len(levels):
            raise InputError(src, field, levels, "allowed: at least 2 different levels")
        for level in levels:  # every level valid on its own, before any design row is built
            _sampled_scenario(raw, {key: level}, f"{src}: scenario {spec.scenario}", src, "")
        return SampledParameter(key, "levels", levels=tuple(levels))
    if given == "plausible":
        if choices is not None:
            return SampledParameter(key, "levels", levels=choices)
        if kind is None:
            raise InputError(src, field, given, "has no plausible range (not a number); give {levels: [a, b, ...]}")
        low, high = parameter_range(key, base, f"{src}: {field}").plausible
        if not low < high:
            raise InputError(src, field, given, f"its plausible range here is [{low:g}, {high:g}]; give [low, high]")
        return SampledParameter(key, kind, low, high)
    if choices == (False, True):
        if not (isinstance(given, list) and [type(v) for v in given] == [bool, bool] and given == [False, True]):
            raise InputError(src, field, given, "a switch: allowed: plausible or [false, true] (on from 0.5)")
        return SampledParameter(key, "levels", levels=choices)
    if not (isinstance(given, list) and len(given) == 2 and all(_is_number(v) for v in given)):
        raise InputError(src, field, given, shape)
    if kind is None:
        raise InputError(src, field, given, "not a number; give its levels: {levels: [a, b, ...]}")
    low, high = given
    if not low < high:
        raise InputError(src, field, given, "the low end must be below the high end")
    if kind == "int" and not all(isinstance(v, int) for v in given):
        raise InputError(src, field, given, "a whole-number setting: give whole numbers [low, high]")
    allowed = bounds(info)
    if not (allowed.allows(low) and allowed.allows(high)):
        raise InputError(src, field, given, f"outside the allowed range {allowed.text()}")
    return SampledParameter(key, kind, float(low) if kind == "float" else low, float(high) if kind == "float" else high)


def _choices(info: Any) -> tuple[Any, ...] | None:
    """The values of a switch (false, true) or of a categorical key (e.g. a leader style); None for others."""
    ann = info.annotation
    args = [a for a in typing.get_args(ann) if a is not type(None)] if isinstance(ann, types.UnionType) else [ann]
    if len(args) != 1:
        return None
    if args[0] is bool:
        return (False, True)
    if typing.get_origin(args[0]) is Literal:
        return tuple(typing.get_args(args[0]))
    return None


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
