"""Calibration specs: which parameters to fit, within which bounds, to which targets, at what cost.

A spec names a base scenario (with optional overrides), the parameters to fit as scenario key
paths with ``[low, high]`` bounds, the targets (run outcomes with a value, a tolerance and a
weight, and/or a CSV of a firm's weekly KPI history), the replications every candidate runs
(common random numbers: the same seeds at every candidate), the seed, the horizon and the search
method with its budget. Everything is checked before the first run: a problem is one line that
names the file, the field, the value and what is allowed.

Each target's distance is measured in units of its tolerance, so outcomes on different scales
(a churn rate, NPS points) weigh alike and "reached" has one meaning: the model's replication
mean lies within the tolerance of the target (Thiele, Kurth & Grimm 2014, JASSS 17(3) 11, on
calibrating agent-based models against patterns with acceptance ranges).
"""

from __future__ import annotations

import copy
import csv
import io
import math
import stat
import types
import typing
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from sim.errors import MISSING, InputError
from sim.experiments.spec import MAX_RUNS, NOT_FACTORS, read_spec, replication_seeds
from sim.outputs.summary import OUTCOMES
from sim.scenario.loading import (
    check_path,
    read_raw_scenario,
    scenario_reference,
    set_override,
    validate_scenario,
)
from sim.scenario.ranges import parameter_range
from sim.scenario.schema import NAME_MAX, NAME_PATTERN, Scenario, field_bounds, name_not_only_dots

#: a target without a tolerance may miss by this share of its own size
DEFAULT_RELATIVE_TOLERANCE = 0.05
#: most parameters one calibration fits (the search's cost grows fast with the dimension)
MAX_PARAMETERS = 20
#: most candidate points one calibration may evaluate
MAX_EVALUATIONS = 100_000
#: most replications per candidate
MAX_REPLICATIONS = 1000
#: largest weight of a target relative to the others
MAX_WEIGHT = 1e6
#: largest KPI history file (bytes); a weekly history of a few years is a few kB
MAX_HISTORY_BYTES = 1 << 20
#: significant digits a fitted value is rounded to (far below any tolerance the search resolves)
VALUE_DIGITS = 6
#: the keyword that takes a parameter's range from the schema's plausible ranges
PLAUSIBLE = "plausible"
#: scenario keys that are the run's horizon rather than a parameter of the model
HORIZON = ("steps", "warmup")


def plausible_bounds(key: str, scenario: Scenario) -> tuple[float, float]:
    """A parameter's plausible range from the schema, used where a spec writes ``plausible``.

    Relative ranges are taken around the value in the spec's base scenario; a whole-number
    key gets the whole numbers inside its range. The bounds are then checked like written ones.
    InputError (naming the key) when the schema declares no range for it.
    """
    found = parameter_range(key, scenario)
    low, high = found.plausible
    if found.whole:
        low, high = float(math.ceil(low)), float(math.floor(high))
    return low, high


class TargetSpec(BaseModel):
    """A run outcome's target: its value, how far off still counts as reached, and its weight."""

    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)

    value: float
    tolerance: float | None = Field(None, gt=0)
    weight: float = Field(1.0, gt=0, le=MAX_WEIGHT)

    @model_validator(mode="before")
    @classmethod
    def _number_shorthand(cls, value: Any) -> Any:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return {"value": value}
        if not isinstance(value, dict):
            raise ValueError("allowed: a number, or a section with keys value, tolerance, weight")
        return value


class HistorySpec(BaseModel):
    """A CSV of a firm's weekly KPIs (``week`` plus KPI columns), with optional tolerance and weight per KPI."""

    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)

    file: str = Field(description="CSV file, relative to the spec file.")
    tolerance: dict[str, float] = Field(default_factory=dict)
    weight: dict[str, float] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _path_shorthand(cls, value: Any) -> Any:
        if isinstance(value, str):
            return {"file": value}
        if not isinstance(value, dict):
            raise ValueError("allowed: the path of a CSV file, or a section with keys file, tolerance, weight")
        return value

    @field_validator("tolerance")
    @classmethod
    def _positive_tolerance(cls, value: dict[str, float]) -> dict[str, float]:
        bad = {k: v for k, v in value.items() if not v > 0}
        if bad:
            raise ValueError(f"each tolerance must be a number > 0 (got {bad})")
        return value

    @field_validator("weight")
    @classmethod
    def _positive_weight(cls, value: dict[str, float]) -> dict[str, float]:
        bad = {k: v for k, v in value.items() if not 0 < v <= MAX_WEIGHT}
        if bad:
            raise ValueError(f"each weight must be a number > 0, at most {MAX_WEIGHT:g} (got {bad})")
        return value


class MethodSpec(BaseModel):
    """The search: a space-filling sample over the bounds, then a local refinement, within a budget."""

    model_config = ConfigDict(extra="forbid", strict=True)

    sample: Literal["lhs", "sobol"] = "lhs"
    samples: int = Field(16, ge=2, le=MAX_EVALUATIONS)
    local: Literal["nelder-mead", "powell", "none"] = "nelder-mead"
    max_evaluations: int = Field(40, ge=2, le=MAX_EVALUATIONS)


class CalibrationSpec(BaseModel):
    """A calibration: base scenario, parameters with bounds, targets, replications, seed, method.

    Types are strict as in scenario files: ``replications: '5'`` or ``5.0`` is refused.
    """

    model_config = ConfigDict(extra="forbid", strict=True)

    name: str = Field(pattern=NAME_PATTERN, max_length=NAME_MAX)
    description: str = ""
    scenario: str = Field(description="Base scenario file, relative to the spec file.")
    set: dict[str, Any] = Field(default_factory=dict)
    parameters: dict[str, Any] = Field(min_length=1, max_length=MAX_PARAMETERS)
    targets: dict[str, TargetSpec] = Field(default_factory=dict)
    history: HistorySpec | None = None
    replications: int = Field(5, ge=2, le=MAX_REPLICATIONS)
    seed: int = Field(2026, ge=0, le=2**63 - 1)
    steps: int | None = Field(None, ge=1, le=5200)
    method: MethodSpec = MethodSpec()

    @field_validator("name")
    @classmethod
    def _not_only_dots(cls, value: str) -> str:
        return name_not_only_dots(value)


@dataclass(frozen=True)
class Parameter:
    """A fitted parameter: its key path, its bounds and whether it takes whole numbers."""

    key: str
    low: float
    high: float
    whole: bool

    def at(self, u: float) -> int | float:
        """The value at ``u`` in [0, 1] of the bounds: whole numbers rounded, others to :data:`VALUE_DIGITS` digits."""
        raw = self.low + min(max(float(u), 0.0), 1.0) * (self.high - self.low)
        if self.whole:
            return int(min(max(round(raw), self.low), self.high))
        return min(max(float(f"{raw:.{VALUE_DIGITS}g}"), self.low), self.high)

    def unit(self, value: float) -> float:
        """Where ``value`` lies within the bounds, from 0 (low) to 1 (high)."""
        return (float(value) - self.low) / (self.high - self.low)


@dataclass(frozen=True)
class Target:
    """A run outcome to reach: the replication mean should lie within ``tolerance`` of ``value``."""

    outcome: str
    value: float
    tolerance: float
    weight: float


@dataclass(frozen=True)
class SeriesTarget:
    """A weekly KPI of the firm's history: the model's weekly replication means should follow it."""

    kpi: str
    weeks: tuple[int, ...]
    values: tuple[float, ...]
    tolerance: float
    weight: float


@dataclass
class Calibration:
    """A validated spec: the base scenario, the parameters, the targets and the seeds."""

    spec: CalibrationSpec
    source: str
    base: dict[str, Any]  # the base scenario's raw mapping with the spec's overrides and steps
    resolved: dict[str, Any]  # the base scenario, validated and resolved
    parameters: list[Parameter]
    targets: list[Target]
    series: list[SeriesTarget]
    history_file: str | None
    seeds: list[int]

    @property
    def runs(self) -> int:
        """The most runs the calibration may need: every candidate of the budget at every seed."""
        return self.spec.method.max_evaluations * self.spec.replications

    @property
    def series_columns(self) -> list[str]:
        """The weekly KPI columns the runs must keep (empty without a history)."""
        return [s.kpi for s in self.series]

    def scenario_at(self, values: Sequence[float]) -> dict[str, Any]:
        """The resolved scenario with the parameters at ``values``; InputError if validation refuses it."""
        raw = copy.deepcopy(self.base)
        for p, v in zip(self.parameters, values, strict=True):
            set_override(raw, p.key, v, source=f"{self.source}: parameters")
        return validate_scenario(raw, f"{self.source}: parameters").model_dump(mode="json")


def load_calibration(
    path: str | Path, *, max_runs: int | None = MAX_RUNS, on_count: Callable[[int], None] | None = None
) -> Calibration:
    """Read and check a calibration spec (``path`` may be a shipped spec's bare name) before any run.

    Above ``max_runs`` runs (the budget times the replications; None: no limit) the spec is
    refused; ``on_count`` hears the count first (a terminal may ask to confirm).
    """
    path, spec = read_spec(path, CalibrationSpec, "a calibration spec", "name, scenario, parameters")
    src = str(path)
    _check_method(spec, src)
    runs = spec.method.max_evaluations * spec.replications
    if max_runs is not None and runs > max_runs:
        raise InputError(
            src,
            "method.max_evaluations",
            spec.method.max_evaluations,
            f"{runs:,} runs ({spec.method.max_evaluations} candidates x {spec.replications} replications); "
            f"more than {max_runs:,} runs need --yes",
        )
    if on_count is not None:
        on_count(runs)
    return build_calibration(spec, path.parent, src)


def build_calibration(spec: CalibrationSpec, base_dir: Path, source: str) -> Calibration:
    """Check a parsed spec against the schema and read its history; paths are relative to ``base_dir``."""
    targets = [_target(name, t, source) for name, t in spec.targets.items()]
    if not targets and spec.history is None:
        raise InputError(source, "targets", MISSING, "give targets (outcome: value) and/or a history CSV")
    base = _base(spec, base_dir, source)
    scenario = validate_scenario(copy.deepcopy(base), f"{source}: scenario {spec.scenario}")
    resolved = scenario.model_dump(mode="json")
    parameters = [_parameter(key, bounds, scenario, source) for key, bounds in spec.parameters.items()]
    calibration = Calibration(spec, source, base, resolved, parameters, targets, [], None, [])
    _check_corners(calibration)
    if spec.history is not None:
        history = _history_path(spec.history.file, base_dir, source)
        calibration.history_file = str(history)
        calibration.series = read_history(history, spec.history, resolved["steps"], source)
    calibration.seeds = replication_seeds(spec.seed, spec.replications)
    return calibration


def _check_method(spec: CalibrationSpec, src: str) -> None:
    method = spec.method
    if method.samples > method.max_evaluations:
        raise InputError(
            src,
            "method.samples",
            method.samples,
            f"at most method.max_evaluations ({method.max_evaluations}): the sample is part of the budget",
        )
    if method.sample == "sobol" and method.samples & (method.samples - 1):
        raise InputError(src, "method.samples", method.samples, "a power of 2 for a Sobol sample (e.g. 8, 16, 32)")


def _target(name: str, target: TargetSpec, src: str) -> Target:
    if name not in OUTCOMES:
        raise InputError(src, f"targets.{name}", MISSING, f"unknown outcome; allowed: {', '.join(OUTCOMES)}")
    tolerance = target.tolerance
    if tolerance is None:
        if target.value == 0:
            raise InputError(
                src, f"targets.{name}.tolerance", MISSING, "required for a target of 0 (no relative scale)"
            )
        tolerance = DEFAULT_RELATIVE_TOLERANCE * abs(target.value)
    return Target(name, target.value, tolerance, target.weight)


def _base(spec: CalibrationSpec, base_dir: Path, src: str) -> dict[str, Any]:
    """The base scenario's raw mapping with the spec's overrides and horizon (validated by the caller)."""
    base_path = scenario_reference(spec.scenario, base_dir, src, "scenario")
    try:
        raw = read_raw_scenario(base_path, (), echo=False)
    except InputError as exc:
        raise InputError(src, "scenario", spec.scenario, f"cannot read base scenario ({exc})") from None
    for key, value in spec.set.items():
        if key in NOT_FACTORS or (key == "steps" and spec.steps is not None):
            raise InputError(src, f"set.{key}", value, "set by the spec (seed, steps) or a label")
        if key in spec.parameters or any(k.startswith(key + ".") for k in spec.parameters):
            raise InputError(src, f"set.{key}", value, "also a fitted parameter; set it in one place only")
        set_override(raw, key, value, source=f"{src}: set")
    if spec.steps is not None:
        raw["steps"] = spec.steps
    return raw


def _numeric_kind(annotation: Any) -> type | None:
    """``int`` or ``float`` for a field that holds a number (possibly unset), None for anything else."""
    args = set(typing.get_args(annotation)) if isinstance(annotation, types.UnionType) else {annotation}
    args.discard(type(None))
    if args == {int}:
        return int
    if args <= {int, float} and float in args:
        return float
    return None


def _parameter(key: str, bounds: Any, scenario: Scenario, src: str) -> Parameter:
    """A fitted parameter: a numeric scenario key with bounds inside the schema's validation bounds."""
    field = f"parameters.{key}"
    if key in NOT_FACTORS or key in HORIZON:
        raise InputError(src, field, MISSING, "a label, the seed or the run's horizon, not a parameter to fit")
    try:
        info = check_path(key.split("."), src)
    except InputError as exc:
        raise InputError(src, field, MISSING, exc.allowed) from None
    kind = _numeric_kind(info.annotation)
    if kind is None:
        raise InputError(src, field, MISSING, "not a number; a calibration fits numeric parameters only")
    if bounds == PLAUSIBLE:
        try:
            bounds = list(plausible_bounds(key, scenario))
        except InputError as exc:
            raise InputError(src, field, bounds, f"{exc.allowed}; give [low, high]") from None
    allowed = f"[low, high] with low < high{_range_text(info, kind)}, or {PLAUSIBLE}"
    if (
        not isinstance(bounds, list)
        or len(bounds) != 2
        or not all(isinstance(b, int | float) and not isinstance(b, bool) and math.isfinite(b) for b in bounds)
    ):
        raise InputError(src, field, bounds, f"allowed: {allowed}")
    low, high = (float(b) for b in bounds)
    if not low < high:
        raise InputError(src, field, bounds, f"low must be below high; allowed: {allowed}")
    if kind is int and not (low.is_integer() and high.is_integer()):
        raise InputError(src, field, bounds, f"whole numbers for a whole-number parameter; allowed: {allowed}")
    lo, lo_open, hi, hi_open = field_bounds(info)
    below = lo is not None and (low < lo or (lo_open and low == lo))
    above = hi is not None and (high > hi or (hi_open and high == hi))
    if below or above:
        raise InputError(src, field, bounds, f"outside the parameter's validation bounds; allowed: {allowed}")
    return Parameter(key, low, high, kind is int)


def _range_text(info: Any, kind: type) -> str:
    lo, lo_open, hi, hi_open = field_bounds(info)
    sort = "whole numbers " if kind is int else ""
    if lo is not None and hi is not None:
        return f", {sort}within {'(' if lo_open else '['}{lo:g}, {hi:g}{')' if hi_open else ']'}"
    if lo is not None:
        return f", {sort}{'>' if lo_open else '>='} {lo:g}"
    if hi is not None:
        return f", {sort}{'<' if hi_open else '<='} {hi:g}"
    return f", {sort}".rstrip(", ")


def _check_corners(cal: Calibration) -> None:
    """Each parameter at each bound (the others at the base), then all low and all high, must validate.

    A scenario rule across keys (shares adding up to 1, a market that holds the start) would
    otherwise refuse candidates only once the search reaches them.
    """
    base = [_base_value(cal.resolved, p.key) for p in cal.parameters]
    checks = []
    for i, p in enumerate(cal.parameters):
        for bound in (p.low, p.high):
            values = list(base)
            values[i] = int(bound) if p.whole else bound
            checks.append((p, values, bound))
    for side in ("low", "high"):
        values = [int(getattr(p, side)) if p.whole else getattr(p, side) for p in cal.parameters]
        checks.append((cal.parameters[0], values, f"every parameter at its {side} bound"))
    for p, values, where in checks:
        try:
            cal.scenario_at(values)
        except InputError as exc:
            field = f": {exc.field}" if exc.field else ""
            raise InputError(
                cal.source,
                f"parameters.{p.key}",
                [p.low, p.high],
                f"the scenario is invalid at {where}{field}: {exc.allowed}",
            ) from None


def _base_value(resolved: dict[str, Any], key: str) -> Any:
    node: Any = resolved
    for part in key.split("."):
        node = node[part] if isinstance(node, dict) else None
    return node


def _history_path(ref: str, base_dir: Path, src: str) -> Path:
    if not ref.strip() or "\0" in ref:
        raise InputError(src, "history.file", ref, "allowed: the path of a CSV file")
    path = Path(ref) if Path(ref).is_absolute() else base_dir / ref
    if path.suffix.lower() != ".csv":
        raise InputError(src, "history.file", ref, "allowed: the path of a CSV file (.csv)")
    if not path.is_file():
        raise InputError(src, "history.file", ref, f"no such file ({path})")
    return path


def read_history(path: Path, spec: HistorySpec, steps: int, spec_source: str) -> list[SeriesTarget]:
    """The firm's weekly KPIs: a ``week`` column (1 = the run's first week) and model KPI columns.

    Empty cells are weeks without data. Every problem is one line naming the file, the line
    and the column.
    """
    from sim.model.kpis import kpi_columns

    src = str(path)
    rows = _csv_rows(path, src)
    header = [h.strip() for h in rows[0][1]]
    if "week" not in header:
        raise InputError(src, "line 1", header, "a header with a 'week' column and model KPI columns")
    dupes = sorted({h for h in header if header.count(h) > 1})
    if dupes:
        raise InputError(src, "line 1", dupes[0], "each column may appear once")
    kpis = [h for h in header if h != "week"]
    if not kpis:
        raise InputError(src, "line 1", header, "at least one model KPI column besides 'week'")
    known = set(kpi_columns())
    for h in kpis:
        if h not in known:
            raise InputError(
                src, f"line 1, column {h}", MISSING, "not a weekly KPI column of the model (docs/ODD.md Outputs)"
            )
    for key in (*spec.tolerance, *spec.weight):
        if key not in kpis:
            raise InputError(spec_source, "history", key, f"not a column of {src}; its columns: {', '.join(kpis)}")
    if len(rows) < 2:
        raise InputError(src, None, MISSING, "no weeks below the header")
    at = {h: i for i, h in enumerate(header)}
    weeks: dict[int, int] = {}
    data: dict[str, list[tuple[int, float]]] = {k: [] for k in kpis}
    for line, cells in rows[1:]:
        if len(cells) != len(header):
            raise InputError(src, f"line {line}", MISSING, f"{len(cells)} cells; the header has {len(header)}")
        week = _week(cells[at["week"]], line, steps, src)
        if week in weeks:
            raise InputError(src, f"line {line}, column week", week, f"already given on line {weeks[week]}")
        weeks[week] = line
        for k in kpis:
            value = _cell(cells[at[k]], line, k, src)
            if value is not None:
                data[k].append((week, value))
    series = []
    for k in kpis:
        points = sorted(data[k])
        if not points:
            raise InputError(src, f"column {k}", MISSING, "no values; give at least one week or drop the column")
        tolerance = spec.tolerance.get(k)
        if tolerance is None:
            scale = sum(abs(v) for _, v in points) / len(points)
            if scale == 0:
                raise InputError(
                    spec_source, f"history.tolerance.{k}", MISSING, "required for a KPI whose history is all 0"
                )
            tolerance = DEFAULT_RELATIVE_TOLERANCE * scale
        series.append(
            SeriesTarget(
                k, tuple(w for w, _ in points), tuple(v for _, v in points), tolerance, spec.weight.get(k, 1.0)
            )
        )
    return series


def _csv_rows(path: Path, src: str) -> list[tuple[int, list[str]]]:
    """The non-blank rows of a bounded UTF-8 CSV file, with their line numbers."""
    try:
        info = path.stat()
    except (OSError, ValueError) as exc:
        raise InputError(
            src, None, MISSING, f"history file not found ({getattr(exc, 'strerror', None) or exc})"
        ) from None
    if not stat.S_ISREG(info.st_mode):
        raise InputError(src, None, MISSING, "not a regular file; allowed: a CSV file")
    if info.st_size > MAX_HISTORY_BYTES:
        raise InputError(src, None, MISSING, f"file of {info.st_size:,} bytes; allowed: at most {MAX_HISTORY_BYTES:,}")
    try:
        text = path.read_bytes()[: MAX_HISTORY_BYTES + 1].decode("utf-8-sig")
    except OSError as exc:
        raise InputError(src, None, MISSING, f"cannot read the file ({exc.strerror})") from None
    except UnicodeDecodeError as exc:
        raise InputError(src, None, MISSING, f"not a UTF-8 text file (byte {exc.start})") from None
    if "\0" in text:
        raise InputError(src, None, MISSING, "not a text file (NUL characters)")
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    rows: list[tuple[int, list[str]]] = []
    try:
        for cells in reader:
            if any(c.strip() for c in cells):
                rows.append((reader.line_num, cells))
    except csv.Error as exc:
        raise InputError(src, f"line {reader.line_num}", MISSING, f"malformed CSV ({exc})") from None
    if not rows:
        raise InputError(src, None, MISSING, "the file is empty; a history needs a header: week and KPI columns")
    return rows


def _week(cell: str, line: int, steps: int, src: str) -> int:
    text = cell.strip()
    try:
        week = int(text)
    except ValueError:
        raise InputError(
            src, f"line {line}, column week", cell, "a whole number of weeks, 1 = the run's first week"
        ) from None
    if not 1 <= week <= steps:
        raise InputError(src, f"line {line}, column week", week, f"a week of the run, from 1 to steps ({steps})")
    return week


def _cell(cell: str, line: int, column: str, src: str) -> float | None:
    text = cell.strip()
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise InputError(
            src, f"line {line}, column {column}", cell, "a finite number, or an empty cell for a week without data"
        )
    return value
