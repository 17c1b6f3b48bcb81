"""Loading scenarios: read a file, resolve its ``extends`` chain, apply overrides, validate.

Any problem becomes an :class:`~sim.errors.InputError` that names the file (or option), the
field, the value and what is allowed. Files are read by :mod:`sim.scenario.yaml_input` (bounded
size, depth and aliases; no duplicate keys); validation errors of scenarios and experiment specs
are translated by the same :func:`translate` here.
"""

from __future__ import annotations

import math
import os
import types
import typing
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo

from sim.errors import MISSING, InputError
from sim.scenario.schema import LeaderSpec, Scenario, deep_merge, field_bounds, submodel
from sim.scenario.shipped import locate
from sim.scenario.yaml_input import parse_scalar, read_yaml

SCENARIO_SUFFIXES = (".yaml", ".yml")
MAX_EXTENDS = 20
"""Longest ``extends`` chain (the shipped scenarios use one level)."""


def load_scenario(
    path: str | Path,
    overrides: list[str] | tuple[str, ...] = (),
    options: dict[str, Any] | None = None,
) -> Scenario:
    """Read, inherit, override and validate a scenario file; raise InputError on any problem.

    ``path`` may be the bare name of a shipped scenario (``baseline``). ``overrides`` are
    ``key.path=value`` strings (the CLI's ``--set``); ``options`` maps a top-level key to a
    value given by its own command-line option (``--seed``, ``--steps``).
    """
    path = locate(path, "scenarios")
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
        if err["type"] == "located":
            ctx = err["ctx"]
            field = ctx["field"]
            origin = _origin(field, origins, source)
            if (
                field.startswith("events.")
                and field.endswith(("at", "until"))
                and origin == source
                and "steps" in origins
            ):
                # the file's event was inside the run until an option shortened it: point at the option
                raise InputError(
                    origins["steps"],
                    "steps",
                    raw.get("steps"),
                    f"must cover the scenario's events ({field} = {ctx['value']})",
                ) from None
            raise InputError(origin, field, ctx["value"], _located_allowed(ctx)) from None
        loc = [str(p) for p in err["loc"]]
        dotted = ".".join(loc)
        origin = _origin(dotted, origins, source)
        value = _value(err)
        if dotted == "warmup" and err["type"] == "value_error" and origin == source and "steps" in origins:
            # the file's warmup was fine until an option shortened the run: point at the option
            raise InputError(
                origins["steps"], "steps", raw.get("steps"), f"must be longer than warmup ({value})"
            ) from None
        raise InputError(origin, dotted or None, value, allowed_text(err, Scenario)) from None


def _located_allowed(ctx: dict[str, Any]) -> str:
    """What is allowed at a located error (one that names its own field, see :func:`sim.scenario.schema.located`).

    An error found by validating a timed event's span as a whole scenario carries that validation's
    first error, worded here as any other scenario error.
    """
    inner = ctx.get("inner")
    if inner is None:
        return ctx["allowed"]
    if inner["type"] == "located":
        return _located_allowed(inner["ctx"])
    where = ".".join(str(p) for p in inner["loc"])
    allowed = allowed_text(inner, Scenario)
    return f"{where}: {allowed}" if where and not ctx["field"].endswith(where) else allowed


def translate(exc: ValidationError, root: type[BaseModel], source: str) -> InputError:
    """The first error of a pydantic validation of ``root`` as a one-line InputError for ``source``."""
    err = exc.errors()[0]
    if err["type"] == "located":
        return InputError(source, err["ctx"]["field"], err["ctx"]["value"], _located_allowed(err["ctx"]))
    dotted = ".".join(str(p) for p in err["loc"])
    return InputError(source, dotted or None, _value(err), allowed_text(err, root))


def _value(err: Any) -> object:
    return MISSING if err["type"] in ("missing", "extra_forbidden") else err.get("input", MISSING)


def _origin(dotted: str, origins: dict[str, str], source: str) -> str:
    """The option that set the failing key path, a section above it, or a key below it; else the file."""
    parts = dotted.split(".") if dotted else []
    for i in range(len(parts), 0, -1):
        prefix = ".".join(parts[:i])
        if prefix in origins:
            return origins[prefix]
    below = [origin for key, origin in origins.items() if dotted and key.startswith(dotted + ".")]
    return below[-1] if below else source


def read_raw_scenario(path: Path, chain: tuple[Path, ...] = (), *, echo: bool = True) -> dict[str, Any]:
    """A scenario file as a mapping, with its ``extends`` chain merged in (not yet validated).

    ``chain`` holds the files already on the way here, to catch circular ``extends``; a file at
    the top of a chain may be a shipped scenario's bare name. ``echo=False`` keeps the file's
    text out of error messages (a file named inside another file, which may not be a scenario).
    """
    if not chain:
        path = locate(path, "scenarios")
    src = str(path)
    resolved = _resolved(path, src)
    if resolved in chain:
        cycle = " -> ".join(str(p.name) for p in (*chain, resolved))
        raise InputError(src, "extends", src, f"circular extends ({cycle})")
    if not chain and not os.path.lexists(path):
        raise InputError(src, None, MISSING, "scenario file not found")
    data = read_yaml(path, src, echo=echo and not chain)
    if data is None:
        raise InputError(
            src, None, MISSING, "the file is empty; a scenario file sets at least one key, e.g. name: mine"
        )
    if not isinstance(data, dict):
        raise InputError(src, None, MISSING, "a scenario file must be a mapping of keys to values")
    if "extends" not in data:
        return data
    parent = data.pop("extends")
    parent_path = scenario_reference(parent, path.parent, src, "extends")
    if parent_path.resolve() in (*chain, resolved):
        cycle = " -> ".join(p.name for p in (*chain, resolved, parent_path.resolve()))
        raise InputError(src, "extends", parent, f"circular extends ({cycle})")
    if len(chain) + 1 >= MAX_EXTENDS:
        raise InputError(src, "extends", parent, f"allowed: at most {MAX_EXTENDS} files in a chain of extends")
    base = read_raw_scenario(parent_path, (*chain, resolved), echo=False)
    return deep_merge(base, data)


def scenario_reference(ref: object, base_dir: Path, source: str, field: str) -> Path:
    """The scenario file that a path written inside a file points to (``extends``, a spec's scenarios).

    Only YAML scenario files (``.yaml``/``.yml``, also after following links) are read, so a
    reference to any other file is refused without opening it and nothing of it is shown.
    """
    allowed = "allowed: the path of a YAML scenario file (.yaml or .yml)"
    if not isinstance(ref, str) or not ref.strip() or "\0" in ref:
        raise InputError(source, field, ref, allowed)
    target = Path(ref) if Path(ref).is_absolute() else base_dir / ref
    if target.suffix.lower() not in SCENARIO_SUFFIXES:
        raise InputError(source, field, ref, allowed)
    resolved = _resolved(target, source, field, ref)
    if resolved.suffix.lower() not in SCENARIO_SUFFIXES:
        raise InputError(source, field, ref, f"a link to a file that is not YAML; {allowed}")
    if not os.path.isfile(target):
        raise InputError(source, field, ref, f"no such scenario file ({target})")
    return target


def _resolved(path: Path, source: str, field: str | None = None, value: object = MISSING) -> Path:
    try:
        return path.resolve()
    except (OSError, RuntimeError, ValueError):
        raise InputError(source, field, value, "a path that cannot be resolved (a loop of links?)") from None


def parse_override(item: str) -> tuple[str, Any]:
    """``key.path=value`` with the value read as a YAML scalar (so 0.3, true, laissez_faire work)."""
    if "=" not in item:
        raise InputError("--set", None, item, "expected key.path=value, e.g. organization.cross_unit_ties=0.2")
    dotted, text = item.split("=", 1)
    dotted = dotted.strip()
    value = parse_scalar(text, f"--set {dotted}") if text.strip() else ""
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


def _section(annotation: Any) -> type[BaseModel] | None:
    """The model a field holds: itself, in ``X | None``, or as the values of ``dict[str, X]``."""
    candidates = typing.get_args(annotation) if typing.get_args(annotation) else (annotation,)
    for c in candidates:
        if isinstance(c, type) and issubclass(c, BaseModel):
            return c
    return None


def _field_at(root: type[BaseModel], loc: list[str]) -> tuple[FieldInfo | None, type[BaseModel] | None]:
    """The field at an error location and the section it opens (None where the path leaves the models)."""
    cls: type[BaseModel] | None = root
    info: FieldInfo | None = None
    key_next = False
    for part in loc:
        if key_next:  # a key of a dict field (e.g. a case's name) or the index of a list item (an event)
            key_next = False
            continue
        if cls is None or part not in cls.model_fields:
            return None, None
        info = cls.model_fields[part]
        key_next = typing.get_origin(info.annotation) in (dict, list)
        cls = _section(info.annotation)
    return info, cls


def _allowed_keys(root: type[BaseModel], loc: list[str]) -> list[str]:
    if not loc:
        return list(root.model_fields)
    _, cls = _field_at(root, loc)
    return list(cls.model_fields) if cls else []


def _is_whole(info: FieldInfo | None) -> bool:
    ann = info.annotation if info is not None else None
    args = typing.get_args(ann) if isinstance(ann, types.UnionType) else (ann,)
    return int in args and float not in args


def allowed_text(err: Any, root: type[BaseModel]) -> str:
    """What is allowed where a validation error of ``root`` occurred, in the user's terms."""
    kind, ctx, msg = err["type"], err.get("ctx", {}), err["msg"]
    loc = [str(p) for p in err["loc"]]
    value = err.get("input")
    if kind == "missing":
        return "required field is missing"
    if kind in ("extra_forbidden", "invalid_key"):
        return f"unknown key; allowed here: {', '.join(_allowed_keys(root, loc[:-1]))}"
    if kind == "literal_error":
        return f"allowed: {ctx.get('expected', msg)}"
    if kind == "value_error":
        return str(ctx.get("error", msg))
    info, section = _field_at(root, loc)
    bounds = _bounds(info)
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return f"allowed: a whole number{bounds}{_written(value, whole=True)}"
    if kind == "finite_number":
        return f"allowed: a finite number{bounds}"
    if kind in ("float_parsing", "float_type"):
        return f"allowed: a number{bounds}{_written(value, whole=False)}"
    if kind in ("bool_parsing", "bool_type"):
        return "allowed: true or false (not yes/no, on/off, 1/0 or quoted text)"
    if kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        return f"out of range; allowed: {'a whole number' if _is_whole(info) else 'a number'}{bounds}"
    if kind in ("model_type", "model_attributes_type") or (kind == "dict_type" and section is not None):
        return f"allowed: a section with keys {', '.join(_allowed_keys(root, loc))}"
    if kind == "dict_type":
        return "allowed: a mapping of keys to values"
    if kind == "list_type":
        return "allowed: a list of values, e.g. [a, b]"
    if kind in ("string_type", "string_sub_type"):
        return "allowed: text"
    if kind == "string_too_long":
        return f"allowed: at most {ctx.get('max_length')} characters"
    if kind == "string_too_short":
        return f"allowed: at least {ctx.get('min_length')} characters"
    if kind == "too_short":
        return f"allowed: at least {ctx.get('min_length')} item(s)"
    if kind == "too_long":
        return f"allowed: at most {ctx.get('max_length')} item(s)"
    if kind == "string_pattern_mismatch":
        return "allowed: letters, digits, '_', '-' and '.'"
    return msg


def _written(value: object, whole: bool) -> str:
    """Why a value of the right sort was still refused: how it must be written."""
    if isinstance(value, bool):
        return ", not true or false"
    if isinstance(value, str):
        digits = value.strip().lstrip("+-")
        if digits[:1] == "0" and digits[1:2].isdigit():
            return ", written without leading zeros (they would make it octal in some YAML readers)"
        try:
            float(value)
        except ValueError:
            return ""
        return ", written without quotes"
    if whole and isinstance(value, float) and math.isfinite(value):
        return ", written without a decimal point or exponent (40, not 40.0)"
    return ""


def _bounds(info: FieldInfo | None) -> str:
    if info is None:
        return ""
    lo, lo_open, hi, hi_open = field_bounds(info)
    if lo is not None and hi is not None:
        return f" from {lo}{' (exclusive)' if lo_open else ''} to {hi}{' (exclusive)' if hi_open else ''}"
    if lo is not None:
        return f" {'>' if lo_open else '>='} {lo}"
    if hi is not None:
        return f" {'<' if hi_open else '<='} {hi}"
    return ""
