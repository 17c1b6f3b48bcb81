"""Plausible ranges of the numeric scenario parameters: what is believable, next to what is allowed.

Every numeric key of a scenario carries two ranges in the schema. Its validation bounds (``ge``,
``le``, ...) say what the model accepts; its plausible range (``param(..., plausible=...)``) says
what a reader should believe of a real company: the spread the literature reports for a sourced
value, a wider one for an assumption. Sensitivity analysis samples from it, calibration searches
within it, and a slider spans it.

A field declared once for several instances (a unit's headcount, a channel's load) states its
range relative to the instance's value (:class:`~sim.scenario.parameters.Relative`), resolved here
against a scenario: the baseline company unless another is given.
"""

from __future__ import annotations

import math
import types
import typing
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from sim.errors import MISSING, InputError
from sim.scenario.schema import Scenario, field_bounds, submodel

#: numeric keys that say how a run is made, not what the company is: they have no plausible range
RUN_SETTINGS = ("seed", "steps", "warmup")


@dataclass(frozen=True)
class Bounds:
    """A numeric field's validation bounds (None: unbounded on that side; open: the bound itself is refused)."""

    lower: float | None
    lower_open: bool
    upper: float | None
    upper_open: bool

    def allows(self, x: float) -> bool:
        """Whether ``x`` lies within the bounds."""
        if self.lower is not None and (x < self.lower or (self.lower_open and x == self.lower)):
            return False
        return not (self.upper is not None and (x > self.upper or (self.upper_open and x == self.upper)))

    def text(self) -> str:
        """The bounds as an interval, e.g. ``[0, 1]`` or ``(0, 1000]``."""
        lo = "-inf" if self.lower is None else f"{self.lower:g}"
        hi = "inf" if self.upper is None else f"{self.upper:g}"
        return f"{'(' if self.lower_open or self.lower is None else '['}{lo}, {hi}{')' if self.upper_open else ']'}"


def bounds(info: FieldInfo) -> Bounds:
    """The validation bounds of a field (from its ``ge``/``gt``/``le``/``lt``)."""
    return Bounds(*field_bounds(info))


@dataclass(frozen=True)
class ParameterRange:
    """A numeric scenario key: its value in the scenario, its validation bounds and its plausible range."""

    key: str
    value: float | None
    whole: bool
    lower: float | None
    lower_open: bool
    upper: float | None
    upper_open: bool
    plausible: tuple[float, float]
    assumption: bool

    @property
    def bounds(self) -> Bounds:
        return Bounds(self.lower, self.lower_open, self.upper, self.upper_open)

    def allows(self, x: float) -> bool:
        """Whether ``x`` lies within the validation bounds."""
        return self.bounds.allows(x)

    def bounds_text(self) -> str:
        """The validation bounds as an interval, e.g. ``[0, 1]`` or ``(0, 1000]``."""
        return self.bounds.text()


def numeric_kind(info: FieldInfo) -> str | None:
    """``"int"`` or ``"float"`` for a numeric field (also ``X | None``), else None (booleans are not numbers)."""
    ann = info.annotation
    args = [a for a in typing.get_args(ann) if a is not type(None)] if isinstance(ann, types.UnionType) else [ann]
    if len(args) != 1:
        return None
    return {int: "int", float: "float"}.get(args[0])


def numeric_parameters(scenario: Scenario | None = None) -> list[str]:
    """Every numeric key path of a scenario that has a plausible range, in schema order.

    That is every int or float field except the run settings (:data:`RUN_SETTINGS`); dict-valued
    fields such as a segment's channel preferences and a unit's leader mix are not single numbers.
    """
    scenario = scenario or Scenario()
    keys: list[str] = []
    _walk(type(scenario), scenario, (), keys)
    return keys


def _walk(cls: type[BaseModel], instance: BaseModel, path: tuple[str, ...], keys: list[str]) -> None:
    for name, info in cls.model_fields.items():
        key = (*path, name)
        value = getattr(instance, name)
        if submodel(info) is not None and isinstance(value, BaseModel):
            _walk(type(value), value, key, keys)
        elif numeric_kind(info) is not None and ".".join(key) not in RUN_SETTINGS:
            keys.append(".".join(key))


def field_info(key: str, source: str = "plausible range") -> tuple[FieldInfo, Any]:
    """The schema field at a dotted key path and its value in the baseline scenario (InputError if none)."""
    return _locate(key, Scenario(), source)


def _locate(key: str, scenario: Scenario, source: str) -> tuple[FieldInfo, Any]:
    node: Any = scenario
    cls: type[BaseModel] | None = type(scenario)
    info: FieldInfo | None = None
    parts = key.split(".")
    for i, part in enumerate(parts):
        if cls is None or part not in cls.model_fields:
            here = ".".join(parts[:i]) or "the top level"
            keys = ", ".join(cls.model_fields) if cls else "nothing (it is a value, not a section)"
            raise InputError(source, key, MISSING, f"no such setting; keys under {here}: {keys}")
        info = cls.model_fields[part]
        node = getattr(node, part, None) if isinstance(node, BaseModel) else None
        cls = submodel(info)
    assert info is not None
    return info, node


def parameter_range(key: str, scenario: Scenario | None = None, source: str = "plausible range") -> ParameterRange:
    """The bounds and plausible range of a numeric key path; relative ranges around the scenario's value.

    Raises InputError for a key that is not in the schema, not a number, a run setting, or
    without a declared range.
    """
    scenario = scenario or Scenario()
    info, value = _locate(key, scenario, source)
    kind = numeric_kind(info)
    if kind is None or key in RUN_SETTINGS:
        what = "a run setting" if key in RUN_SETTINGS else "not a single number"
        raise InputError(source, key, MISSING, f"has no plausible range ({what})")
    extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
    rule = extra.get("plausible")
    if rule is None:
        raise InputError(source, key, MISSING, "has no plausible range in the schema")
    lower, lower_open, upper, upper_open = field_bounds(info)
    if isinstance(rule, dict):
        if value is None:
            raise InputError(source, key, MISSING, "unset in this scenario; its plausible range follows its value")
        lo_factor, hi_factor = rule["factor"]
        spread = rule["spread"]
        lo, hi = value * lo_factor - spread, value * hi_factor + spread
        lo, hi = _inside(_tidy(lo), lower, lower_open), _inside(_tidy(hi), upper, upper_open, above=False)
        if kind == "int":
            lo, hi = math.ceil(lo), math.floor(hi)
    else:
        lo, hi = rule
    return ParameterRange(
        key=key,
        value=value,
        whole=kind == "int",
        lower=lower,
        lower_open=lower_open,
        upper=upper,
        upper_open=upper_open,
        plausible=(lo, hi),
        assumption=bool(extra.get("assumption", False)),
    )


def _tidy(x: float) -> float:
    """A product of two decimals without its binary noise (0.35 x 0.7 is 0.245, not 0.24499999999999997)."""
    return float(f"{x:.12g}")


def _inside(x: float, bound: float | None, open_: bool, above: bool = True) -> float:
    """``x`` cut to a bound; an open bound is kept off by a hair (a relative range never reaches it)."""
    if bound is None:
        return x
    if above:
        return max(x, math.nextafter(bound, math.inf) if open_ else bound)
    return min(x, math.nextafter(bound, -math.inf) if open_ else bound)


def plausible_range(key: str, scenario: Scenario | None = None) -> tuple[float, float]:
    """``(low, high)``: the believable values of a numeric key path (relative ones around the scenario's value)."""
    return parameter_range(key, scenario).plausible


def plausible_ranges(scenario: Scenario | None = None) -> dict[str, tuple[float, float]]:
    """Every numeric key path with its plausible range, in schema order (for calibration and sliders)."""
    scenario = scenario or Scenario()
    return {key: plausible_range(key, scenario) for key in numeric_parameters(scenario)}
