"""Loading scenarios: read a file, resolve its ``extends`` chain, apply overrides, validate.

Any problem becomes an :class:`~sim.errors.InputError` that names the file (or option), the
field, the value and what is allowed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo

from sim.errors import MISSING, InputError
from sim.scenario.schema import LeaderSpec, Scenario, deep_merge, field_bounds, submodel


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
