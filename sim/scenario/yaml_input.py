"""Reading YAML input (scenario files, experiment specs, ``--set`` values) within fixed bounds.

A user's file must never hang cxsim, exhaust its memory or surface a traceback, so the reader
refuses, with one line that names the file and the place:

* files above :data:`MAX_BYTES`, files that are not regular files (devices, pipes, folders),
  text that is not UTF-8 or holds control characters;
* nesting deeper than :data:`MAX_DEPTH` (deep nesting would exhaust Python's recursion);
* more than :data:`MAX_ALIASES` aliases, recursive aliases, or aliases that expand to more than
  :data:`MAX_NODES` values (an "alias bomb" is small on disk and huge once expanded);
* a key written twice in one mapping (YAML would silently keep the last one);
* more than one document in a file.

Scalars follow the YAML 1.2 core schema rather than PyYAML's YAML 1.1: only ``true``/``false``
are booleans (``yes``, ``on``, ``y`` stay text, so a strict boolean field refuses them), ``1e3``
is a number, ``010`` is not octal and no dates are guessed. Underscores between digits
(``200_000``) are accepted as in Python.
"""

from __future__ import annotations

import re
import stat
from pathlib import Path
from typing import Any, ClassVar

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

try:  # libyaml's parser is many times faster than PyYAML's own
    from yaml.cyaml import CParser
except ImportError:  # pragma: no cover
    CParser = None

from sim.errors import MISSING, InputError

MAX_BYTES = 1 << 20
"""Largest input file (1 MiB); the shipped files are a few kB."""
MAX_DEPTH = 50
"""Deepest nesting of sections and lists, aliases expanded."""
MAX_ALIASES = 100
"""Most ``*alias`` uses in one document."""
MAX_NODES = 20_000
"""Most values in one document with every alias expanded."""
MAX_DIGITS = 100
"""Longest whole number, in digits (a longer one is a mistake and slow to convert)."""

_MERGE_TAG = "tag:yaml.org,2002:merge"


class Refused(yaml.YAMLError):
    """Input the reader will not take; carries the place (a key path and/or a mark) and the reason."""

    def __init__(self, reason: str, mark: Any = None, field: str | None = None) -> None:
        super().__init__(reason)
        self.reason, self.mark, self.field = reason, mark, field


class _Resolver(yaml.resolver.BaseResolver):
    """YAML 1.2 core schema scalars (plus ``<<`` merge keys and ``_`` between digits)."""

    yaml_implicit_resolvers: ClassVar[dict[str, list[tuple[str, re.Pattern[str]]]]] = {}


_RESOLVERS = (
    ("tag:yaml.org,2002:bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
    ("tag:yaml.org,2002:null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
    ("tag:yaml.org,2002:int", r"^(?:[-+]?(?:0|[1-9][0-9_]*)|0o[0-7]+|0x[0-9a-fA-F]+)$", "-+0123456789"),
    (
        "tag:yaml.org,2002:float",
        r"^(?:[-+]?(?:[0-9][0-9_]*\.[0-9_]*|\.[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)?"
        r"|[-+]?[0-9][0-9_]*[eE][-+]?[0-9]+|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
        "-+0123456789.",
    ),
    (_MERGE_TAG, r"^(?:<<)$", "<"),
)
for _tag, _pattern, _first in _RESOLVERS:
    _Resolver.add_implicit_resolver(_tag, re.compile(_pattern), list(_first))


class _Constructor(yaml.constructor.SafeConstructor):
    """PyYAML's safe constructor; a whole number too long to be meant is refused before conversion."""

    def construct_yaml_int(self, node: ScalarNode) -> int:
        """A whole number of at most :data:`MAX_DIGITS` digits."""
        if len(node.value) > MAX_DIGITS:
            raise Refused(f"a whole number of more than {MAX_DIGITS} digits", node.start_mark)
        return super().construct_yaml_int(node)


_Constructor.add_constructor("tag:yaml.org,2002:int", _Constructor.construct_yaml_int)


class _Composer(yaml.composer.Composer):
    """The composer with bounds: depth, aliases, values once expanded, and no key twice in a mapping."""

    def __init__(self) -> None:
        super().__init__()
        self._depth = 0
        self._aliases = 0
        self._count = 0
        # id(node) -> (values, depth, node) once a node is complete; aliases are counted expanded
        self._sizes: dict[int, tuple[int, int, Node]] = {}
        self._path: list[str] = []
        self._seen_keys: dict[int, dict[tuple[str, str], int]] = {}

    def compose_node(self, parent: Node | None, index: Any) -> Node:
        """Compose one node, keeping count of depth, aliases, expanded size and the keys of its mapping."""
        mark = self.peek_event().start_mark
        if self.check_event(yaml.AliasEvent):
            self._aliases += 1
            if self._aliases > MAX_ALIASES:
                raise Refused(f"more than {MAX_ALIASES} aliases (*name) in one file", mark)
            node = super().compose_node(parent, index)
            if id(node) not in self._sizes:
                raise Refused("an alias inside its own anchor (a structure that contains itself)", mark)
            return node
        self._count += 1
        if self._count > MAX_NODES:
            raise Refused(f"more than {MAX_NODES:,} values in one file", mark)
        key = self._key_of(parent, index)
        self._depth += 1
        if self._depth > MAX_DEPTH:
            raise Refused(f"nested more than {MAX_DEPTH} levels deep", mark)
        if key is not None:
            self._path.append(key)
        try:
            node = super().compose_node(parent, index)
        finally:
            self._depth -= 1
            if key is not None:
                self._path.pop()
        self._measure(node, mark)
        self._seen_keys.pop(id(node), None)
        return node

    def _key_of(self, parent: Node | None, index: Any) -> str | None:
        """The key a mapping value sits under (refusing a key seen before in the same mapping)."""
        if not isinstance(parent, MappingNode) or not isinstance(index, ScalarNode) or index.tag == _MERGE_TAG:
            return None
        seen = self._seen_keys.setdefault(id(parent), {})
        first = seen.get((index.tag, index.value))
        if first is not None:
            raise Refused(
                f"duplicate key (first on line {first}); each key may appear once in a mapping",
                index.start_mark,
                ".".join([*self._path, _short(index.value)]),
            )
        seen[(index.tag, index.value)] = index.start_mark.line + 1
        return _short(index.value)

    def _measure(self, node: Node, mark: Any) -> None:
        if isinstance(node, SequenceNode):
            children: list[Node] = node.value
        elif isinstance(node, MappingNode):
            children = [part for pair in node.value for part in pair]
        else:
            children = []
        size, depth = 1, 0
        for child in children:
            child_size, child_depth, _ = self._sizes[id(child)]
            size += child_size
            depth = max(depth, child_depth + 1)
        if size > MAX_NODES:
            raise Refused(f"more than {MAX_NODES:,} values once aliases (*name) are expanded", mark)
        if depth > MAX_DEPTH:
            raise Refused(f"nested more than {MAX_DEPTH} levels deep once aliases (*name) are expanded", mark)
        self._sizes[id(node)] = (size, depth, node)


if CParser is not None:

    class BoundedLoader(_Composer, CParser, _Constructor, _Resolver):  # type: ignore[misc]
        """libyaml's event parser under the bounded composer (the composer comes first in the MRO)."""

        def __init__(self, stream: str) -> None:
            CParser.__init__(self, stream)
            _Composer.__init__(self)
            _Constructor.__init__(self)
            _Resolver.__init__(self)

else:  # pragma: no cover - PyYAML built without libyaml

    class BoundedLoader(  # type: ignore[no-redef]
        yaml.reader.Reader, yaml.scanner.Scanner, yaml.parser.Parser, _Composer, _Constructor, _Resolver
    ):
        """PyYAML's pure-Python reader, scanner and parser under the bounded composer."""

        def __init__(self, stream: str) -> None:
            yaml.reader.Reader.__init__(self, stream)
            yaml.scanner.Scanner.__init__(self)
            yaml.parser.Parser.__init__(self)
            _Composer.__init__(self)
            _Constructor.__init__(self)
            _Resolver.__init__(self)


def read_yaml(path: Path, source: str, *, echo: bool = True) -> Any:
    """The parsed content of a YAML file, or an InputError naming ``source`` and the problem.

    ``echo=False`` (a file named inside another file) keeps the file's own text out of the
    message: only positions and the kind of problem are shown.
    """
    try:
        info = path.stat()
    except (OSError, ValueError) as exc:
        reason = getattr(exc, "strerror", None) or "not a valid path"
        raise InputError(source, None, MISSING, f"file not found ({reason})") from None
    if stat.S_ISDIR(info.st_mode):
        raise InputError(source, None, MISSING, "a folder, not a file; allowed: a YAML file")
    if not stat.S_ISREG(info.st_mode):
        raise InputError(source, None, MISSING, "not a regular file (a device, pipe or socket); allowed: a YAML file")
    if info.st_size > MAX_BYTES:
        raise InputError(source, None, MISSING, f"file of {info.st_size:,} bytes; allowed: at most {MAX_BYTES:,}")
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_BYTES + 1)
    except OSError as exc:
        raise InputError(source, None, MISSING, f"cannot read the file ({exc.strerror})") from None
    if len(data) > MAX_BYTES:
        raise InputError(
            source, None, MISSING, f"file of more than {MAX_BYTES:,} bytes; allowed: at most {MAX_BYTES:,}"
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(source, None, MISSING, f"not a UTF-8 text file (byte {exc.start})") from None
    return parse_yaml(text, source, echo=echo)


def parse_yaml(text: str, source: str, *, echo: bool = True) -> Any:
    """Parse YAML text with :class:`BoundedLoader`; every problem becomes a one-line InputError."""
    loader = None
    try:
        loader = BoundedLoader(text)
        return _unshare(loader.get_single_data())
    except Refused as exc:
        raise InputError(source, exc.field, MISSING, f"{_where(exc.mark)}{exc.reason}") from None
    except yaml.reader.ReaderError as exc:
        raise InputError(
            source, None, MISSING, f"not YAML text: control character #x{exc.character:04x} at character {exc.position}"
        ) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        parts = [p for p in (exc.context, exc.problem) if p]
        problem = _quoted_cut(", ".join(parts), keep=echo) or "not valid YAML"
        raise InputError(source, None, MISSING, f"malformed YAML {_where(mark)}{problem}") from None
    except yaml.YAMLError:
        raise InputError(source, None, MISSING, "malformed YAML") from None
    except Exception as exc:  # a constructor choked on an explicitly tagged value (!!float abc, !!timestamp x)
        raise InputError(
            source, None, MISSING, f"malformed YAML: a value its tag cannot hold ({type(exc).__name__})"
        ) from None
    finally:
        if loader is not None:
            loader.dispose()


def parse_scalar(text: str, source: str) -> Any:
    """A command-line value read as YAML (``0.3``, ``true``, ``{employees: 30}``); text that is not YAML stays text."""
    try:
        return parse_yaml(text, source)
    except InputError as exc:
        if exc.allowed.startswith("malformed YAML"):
            return text
        raise


def _where(mark: Any) -> str:
    return f"at line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""


def _quoted_cut(problem: str, keep: bool) -> str:
    """PyYAML quotes pieces of the input in its messages: shorten them, or drop them when ``keep`` is False."""

    def cut(match: re.Match[str]) -> str:
        inner = match.group(0)[1:-1]
        if not keep and len(inner) > 2:
            return "…"
        return match.group(0) if len(inner) <= 20 else match.group(0)[:18] + "…" + match.group(0)[-1]

    return re.sub(r"'[^']*'|\"[^\"]*\"", cut, problem)


def _short(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _unshare(value: Any) -> Any:
    """Aliases give one object several places; copy them apart so that an override at one place stays there.

    The size is bounded by :data:`MAX_NODES` and the depth by :data:`MAX_DEPTH`, so this is cheap.
    """
    if isinstance(value, dict):
        return {k: _unshare(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_unshare(v) for v in value]
    return value
