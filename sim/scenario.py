"""Scenario files: YAML validated by pydantic, with ``extends:`` inheritance and ``--set`` overrides.

A scenario is the whole input of one run. Every field has a default (the baseline), so a file
only says what differs. Loading resolves ``extends`` chains (paths relative to the file),
applies ``key.path=value`` overrides, validates, and turns any problem into an
:class:`~sim.errors.InputError` that names the file, the field, the value and what is allowed.
"""

from __future__ import annotations

import types
import typing
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, Field, ValidationError, ValidationInfo, field_validator, model_validator
from pydantic.fields import FieldInfo

from sim.errors import MISSING, InputError
from sim.leadership import STYLES, TRAITS, resolve_traits
from sim.parameters import Parameters, Strict, param

StyleName = Literal["transformational", "transactional", "laissez_faire", "servant"]
assert set(typing.get_args(StyleName)) == set(STYLES)


def _complete_from_defaults(cls: type[BaseModel], value: Any) -> Any:
    """A section given in part keeps the class's own default for what it leaves out.

    Without this, ``units: {delivery: {employees: 30}}`` would reset delivery's capacity and
    leader to the generic ``UnitSpec`` defaults instead of the baseline delivery unit's, and
    ``segments: {small: {share: 0.4}}`` would fail for want of the other segment fields.
    """
    if not isinstance(value, dict):
        return value
    out = dict(value)
    for name, info in cls.model_fields.items():
        given = out.get(name)
        if isinstance(given, dict) and isinstance(info.default, BaseModel):
            out[name] = deep_merge(info.default.model_dump(), given)
    return out


class LeaderSpec(Strict):
    """A unit's leader: a style preset, optionally with single traits overridden (all 0..1)."""

    style: StyleName = "transactional"
    support: float | None = Field(None, ge=0, le=1)
    recognition: float | None = Field(None, ge=0, le=1)
    feedback_processing: float | None = Field(None, ge=0, le=1)
    information_sharing: float | None = Field(None, ge=0, le=1)
    cx_commitment: float | None = Field(None, ge=0, le=1)

    @model_validator(mode="before")
    @classmethod
    def _style_shorthand(cls, value: Any) -> Any:
        return {"style": value} if isinstance(value, str) else value

    def traits(self) -> dict[str, float]:
        """The resolved traits: the preset with this spec's overrides applied."""
        return resolve_traits(self.style, {t: getattr(self, t) for t in TRAITS})


class UnitSpec(Strict):
    """One organisational unit: its headcount, its leader and its service capacity."""

    employees: int = param(40, "people", "Scenario input.", "Seats in the unit.", ge=1, le=200_000)
    leader: LeaderSpec = LeaderSpec()
    capacity: float = param(
        5.0,
        "touchpoints/employee-week",
        "Calibrated per unit; seed 003: delivery staff carry two to three projects each.",
        "Touchpoints an employee serves in a week before overload.",
        gt=0,
        le=1000,
    )


class Units(Strict):
    """The three units of seed 003: sales (pre-purchase, purchase), delivery, support (maintenance)."""

    sales: UnitSpec = UnitSpec(employees=40, leader=LeaderSpec(style="transformational"), capacity=5.0)
    delivery: UnitSpec = UnitSpec(employees=50, leader=LeaderSpec(style="transactional"), capacity=4.0)
    support: UnitSpec = UnitSpec(employees=30, leader=LeaderSpec(style="transactional"), capacity=7.0)

    @model_validator(mode="before")
    @classmethod
    def _partial_units(cls, value: Any) -> Any:
        return _complete_from_defaults(cls, value)


class Organization(Strict):
    """Units and the collaboration network that joins their people."""

    units: Units = Units()
    cross_unit_ties: float = param(
        0.05,
        "share of ties",
        "Seed 002: functional silos; Hansen 1999 on inter-unit ties.",
        "Share of collaboration ties that cross units (the silo lever).",
        ge=0,
        le=1,
    )
    meeting_every_weeks: int = param(
        2,
        "weeks",
        "Seed 003: weekly and bi-weekly team meetings.",
        "Cadence of leaders' information meetings.",
        ge=1,
        le=52,
    )
    ties_per_employee: int = param(
        6,
        "ties",
        "Watts & Strogatz 1998; typical team collaboration circles of 4-10 people.",
        "Collaborators per employee (even; the small-world lattice degree).",
        ge=2,
        le=50,
    )
    rewiring: float = param(
        0.1, "probability", "Watts & Strogatz 1998 small-world regime.", "Within-unit rewiring probability.", ge=0, le=1
    )

    @field_validator("ties_per_employee")
    @classmethod
    def _even(cls, value: int) -> int:
        if value % 2:
            raise ValueError("must be an even number (a ring lattice links k/2 neighbours on each side)")
        return value


class Segment(Strict):
    """A customer segment (seed 001 personas): its share, contract value and expectations."""

    share: float = Field(ge=0, le=1, description="Share of new and initial accounts.")
    contract_value: float = Field(gt=0, le=1e9, description="Annual recurring revenue of a contract (EUR).")
    expectation: float = Field(ge=0, le=1, description="Initial expected quality (0..1).")


class Segments(Strict):
    """Small, mid-market and enterprise accounts (seed 003: the case company serves mid-size firms)."""

    small: Segment = Segment(share=0.35, contract_value=20_000, expectation=0.65)
    mid_market: Segment = Segment(share=0.5, contract_value=60_000, expectation=0.7)
    enterprise: Segment = Segment(share=0.15, contract_value=200_000, expectation=0.75)

    @model_validator(mode="before")
    @classmethod
    def _partial_segments(cls, value: Any) -> Any:
        return _complete_from_defaults(cls, value)

    @model_validator(mode="after")
    def _shares_sum_to_one(self) -> Segments:
        total = self.small.share + self.mid_market.share + self.enterprise.share
        if abs(total - 1.0) > 1e-6:
            raise ValueError(f"segment shares must add up to 1 (they add up to {total:g})")
        return self


class Customers(Strict):
    """The customer base at the start and the segments new accounts come from."""

    accounts: int = param(600, "accounts", "Scenario input.", "Customer accounts at the start.", ge=0, le=2_000_000)
    prospects: int = param(80, "accounts", "Calibrated pipeline.", "Prospects at the start.", ge=0, le=2_000_000)
    maintenance_share: float = param(
        0.8,
        "share",
        "Calibrated: most accounts are past their first project.",
        "Share of initial accounts in maintenance (the rest in delivery).",
        ge=0,
        le=1,
    )
    segments: Segments = Segments()


class Policies(Strict):
    """The levers a strategist compares (seeds 003 and 004)."""

    licence_to_sell: bool = False
    licence_to_deliver: bool = False
    empowerment: bool = False
    transfer_meeting: bool = False
    user_stories: bool = False
    cx_incentives: bool = False
    recruit_for_attitude: bool = False
    survey_coverage: float = param(
        0.2, "share of touchpoints", "Seed 000 5.4.4 measurement.", "Share of touchpoints surveyed.", ge=0, le=1
    )
    feedback_delay_weeks: int = param(
        8,
        "weeks",
        "Seed 003: feedback to teams and management.",
        "Delay before survey results reach leaders.",
        ge=0,
        le=104,
    )


class Scenario(Strict):
    """One run's complete input. The defaults are the baseline company."""

    name: str = Field("baseline", pattern=r"^[A-Za-z0-9_.-]+$", description="Scenario name (used in result paths).")
    description: str = ""
    seed: int = Field(42, ge=0, le=2**63 - 1, description="Root seed of the run's random generator.")
    steps: int = Field(156, ge=1, le=5200, description="Weeks simulated.")
    warmup: int = Field(26, ge=0, le=5199, description="Weeks left out of the KPIs.")
    organization: Organization = Organization()
    customers: Customers = Customers()
    policies: Policies = Policies()
    parameters: Parameters = Parameters()

    @field_validator("warmup")
    @classmethod
    def _warmup_shorter_than_steps(cls, value: int, info: ValidationInfo) -> int:
        steps = info.data.get("steps")
        if steps is not None and value >= steps:
            raise ValueError(f"must be shorter than steps ({steps})")
        return value

    @field_validator("name")
    @classmethod
    def _not_only_dots(cls, value: str) -> str:
        if set(value) == {"."}:
            raise ValueError("a name made of dots would point outside the results folder")
        return value

    @model_validator(mode="after")
    def _warmup_shorter_than_run(self) -> Scenario:
        if self.warmup >= self.steps:
            raise ValueError(f"warmup ({self.warmup}) must be shorter than steps ({self.steps})")
        return self


# ---------------------------------------------------------------------------------------------
# Loading


def load_scenario(
    path: str | Path,
    overrides: list[str] | tuple[str, ...] = (),
    options: dict[str, Any] | None = None,
) -> Scenario:
    """Read, inherit, override and validate a scenario file; raise InputError on any problem.

    ``overrides`` are ``key.path=value`` strings (the CLI's ``--set``); ``options`` maps a
    top-level key to a value given by its own command-line option (``--seed``, ``--steps``).
    """
    path = Path(path)
    raw = read_raw_scenario(path, ())
    origins: dict[str, str] = {}
    for item in overrides:
        dotted, value = parse_override(item)
        set_override(raw, dotted, value, source=f"--set {item}")
        origins[dotted] = "--set"
    for key, value in (options or {}).items():
        set_override(raw, key, value, source=f"--{key}")
        origins[key] = f"--{key}"
    return validate_scenario(raw, str(path), origins)


def validate_scenario(raw: dict[str, Any], source: str, origins: dict[str, str] | None = None) -> Scenario:
    """Validate a raw mapping; the first error becomes a one-line InputError.

    ``origins`` names the command-line option that set a key path, so the error points there
    rather than at the file.
    """
    origins = origins or {}
    try:
        return Scenario.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = [str(p) for p in err["loc"]]
        dotted = ".".join(loc)
        origin = _origin(dotted, origins, source)
        value = err.get("input", MISSING) if err["type"] != "missing" else MISSING
        if dotted == "warmup" and err["type"] == "value_error" and origin == source and "steps" in origins:
            # the file's warmup was fine until an option shortened the run: point at the option
            raise InputError(
                origins["steps"], "steps", raw.get("steps"), f"must be longer than warmup ({value})"
            ) from None
        if err["type"] == "extra_forbidden":
            value = MISSING
            allowed = f"unknown key; allowed here: {', '.join(_allowed_keys(loc[:-1]))}"
        else:
            allowed = _allowed_text(err, loc)
        raise InputError(origin, dotted or None, value, allowed) from None


def _origin(dotted: str, origins: dict[str, str], source: str) -> str:
    """The option that set the failing key path, a section above it, or a key below it; else the file."""
    parts = dotted.split(".") if dotted else []
    for i in range(len(parts), 0, -1):
        prefix = ".".join(parts[:i])
        if prefix in origins:
            return origins[prefix]
    below = [origin for key, origin in origins.items() if dotted and key.startswith(dotted + ".")]
    return below[-1] if below else source


def read_raw_scenario(path: Path, chain: tuple[Path, ...] = ()) -> dict[str, Any]:
    """A scenario file as a mapping, with its ``extends`` chain merged in (not yet validated).

    ``chain`` holds the files already on the way here, to catch circular ``extends``.
    """
    resolved = path.resolve()
    if resolved in chain:
        cycle = " -> ".join(str(p.name) for p in (*chain, resolved))
        raise InputError(str(path), "extends", str(path), f"circular extends ({cycle})")
    if not path.is_file():
        raise InputError(str(path), None, MISSING, "scenario file not found")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(str(path), None, MISSING, f"not a UTF-8 text file (byte {exc.start})") from None
    except OSError as exc:
        raise InputError(str(path), None, MISSING, f"cannot read the file ({exc.strerror})") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "unknown position"
        problem = getattr(exc, "problem", None) or "not valid YAML"
        raise InputError(str(path), None, MISSING, f"malformed YAML at {where}: {problem}") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise InputError(str(path), None, MISSING, "a scenario file must be a mapping of keys to values")
    parent = data.pop("extends", None)
    if parent is None:
        return data
    if not isinstance(parent, str):
        raise InputError(str(path), "extends", parent, "the path of another scenario file")
    parent_path = (path.parent / parent) if not Path(parent).is_absolute() else Path(parent)
    if not parent_path.is_file():
        raise InputError(str(path), "extends", parent, f"no such scenario file ({parent_path})")
    if parent_path.resolve() in (*chain, resolved):
        cycle = " -> ".join(p.name for p in (*chain, resolved, parent_path.resolve()))
        raise InputError(str(path), "extends", parent, f"circular extends ({cycle})")
    base = read_raw_scenario(parent_path, (*chain, resolved))
    return deep_merge(base, data)


def deep_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """Mappings merge key by key; anything else in ``override`` replaces the base value.

    A leader given as a style name (``leader: laissez_faire``) is the mapping ``{style: ...}``
    when a mapping is merged into it, so ``leader: {support: 0.9}`` keeps the inherited style.
    """
    out = dict(base)
    for key, value in override.items():
        current = out.get(key)
        if key == "leader" and isinstance(value, dict) and isinstance(current, str):
            current = {"style": current}
        if isinstance(value, dict) and isinstance(current, dict):
            out[key] = deep_merge(current, value)
        else:
            out[key] = value
    return out


def parse_override(item: str) -> tuple[str, Any]:
    """``key.path=value`` with the value read as a YAML scalar (so 0.3, true, laissez_faire work)."""
    if "=" not in item:
        raise InputError("--set", None, item, "expected key.path=value, e.g. organization.cross_unit_ties=0.2")
    dotted, text = item.split("=", 1)
    dotted = dotted.strip()
    try:
        value = yaml.safe_load(text) if text.strip() else ""
    except yaml.YAMLError:
        value = text
    return dotted, value


def set_override(raw: dict[str, Any], dotted: str, value: Any, source: str = "--set") -> None:
    """Put ``value`` at ``dotted`` in the raw mapping, after checking the path is in the schema."""
    parts = dotted.split(".")
    check_path(parts, source)
    node = raw
    cls: type[BaseModel] = Scenario
    for part in parts[:-1]:
        cls = submodel(cls.model_fields[part])  # type: ignore[assignment]
        child = node.get(part)
        if isinstance(child, str) and cls is LeaderSpec:
            child = {"style": child}
        if not isinstance(child, dict):
            child = {}
        node[part] = child
        node = child
    node[parts[-1]] = value


def check_path(parts: list[str], source: str) -> FieldInfo:
    """The schema field at a key path, or an InputError naming the first unknown part."""
    cls: type[BaseModel] | None = Scenario
    info: FieldInfo | None = None
    for i, part in enumerate(parts):
        if cls is None or part not in cls.model_fields:
            here = ".".join(parts[:i]) or "the top level"
            keys = ", ".join(cls.model_fields) if cls else "nothing (it is a value, not a section)"
            raise InputError(source, ".".join(parts), MISSING, f"no such setting; keys under {here}: {keys}")
        info = cls.model_fields[part]
        cls = submodel(info)
    assert info is not None
    return info


def submodel(info: FieldInfo) -> type[BaseModel] | None:
    """The section (pydantic model) a field holds, or None for a plain value."""
    ann = info.annotation
    candidates = typing.get_args(ann) if isinstance(ann, types.UnionType) else (ann,)
    for c in candidates:
        if isinstance(c, type) and issubclass(c, BaseModel):
            return c
    return None


def _allowed_keys(loc: list[str]) -> list[str]:
    cls: type[BaseModel] | None = Scenario
    for part in loc:
        if cls is None or part not in cls.model_fields:
            return []
        cls = submodel(cls.model_fields[part])
    return list(cls.model_fields) if cls else []


def _allowed_text(err: dict[str, Any], loc: list[str]) -> str:
    kind, ctx, msg = err["type"], err.get("ctx", {}), err["msg"]
    if kind == "missing":
        return "required field is missing"
    if kind == "literal_error":
        return f"allowed: {ctx.get('expected', msg)}"
    if kind == "value_error":
        return str(ctx.get("error", msg))
    bounds = _bounds(loc)
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return f"allowed: a whole number{bounds}"
    if kind == "finite_number":
        return f"allowed: a finite number{bounds}"
    if kind in ("float_parsing", "float_type"):
        return f"allowed: a number{bounds}"
    if kind in ("bool_parsing", "bool_type"):
        return "allowed: true or false"
    if kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        return f"out of range; allowed: a number{bounds}"
    if kind in ("model_type", "dict_type"):
        return f"allowed: a section with keys {', '.join(_allowed_keys(loc))}"
    if kind == "string_pattern_mismatch":
        return "allowed: letters, digits, '_', '-' and '.'"
    return msg


def field_bounds(info: FieldInfo) -> tuple[Any, bool, Any, bool]:
    """A numeric field's (lower, lower is exclusive, upper, upper is exclusive); None if unbounded."""
    lo = hi = None
    lo_open = hi_open = False
    kinds = (("ge", True, False), ("gt", True, True), ("le", False, False), ("lt", False, True))
    for m in info.metadata:
        for attr, is_lo, is_open in kinds:
            v = getattr(m, attr, None)
            if v is None:
                continue
            if is_lo:
                lo, lo_open = v, is_open
            else:
                hi, hi_open = v, is_open
    return lo, lo_open, hi, hi_open


def _bounds(loc: list[str]) -> str:
    try:
        info = check_path(loc, "")
    except InputError:
        return ""
    lo, lo_open, hi, hi_open = field_bounds(info)
    if lo is not None and hi is not None:
        return f" from {lo}{' (exclusive)' if lo_open else ''} to {hi}{' (exclusive)' if hi_open else ''}"
    if lo is not None:
        return f" {'>' if lo_open else '>='} {lo}"
    if hi is not None:
        return f" {'<' if hi_open else '<='} {hi}"
    return ""
