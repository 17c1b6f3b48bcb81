"""One error type for every bad input: it carries a single line that names what to fix."""

from __future__ import annotations

import reprlib

VALUE_CHARS = 60
"""Longest bad value shown in a message; a longer one is cut in the middle."""
NAME_CHARS = 300
"""Longest source (file or option) or field path shown in a message."""


class _BoundedRepr(reprlib.Repr):
    """``repr`` that never builds the full text of a big value (a long string, a deep or wide structure)."""

    def __init__(self) -> None:
        super().__init__(maxlevel=2, maxtuple=4, maxlist=4, maxarray=4, maxdict=4, maxset=4, maxfrozenset=4, maxdeque=4)
        self.maxstring = self.maxother = VALUE_CHARS
        self.maxlong = 40

    def repr_int(self, x: int, level: int) -> str:
        if x.bit_length() > 128:  # str() of a huge int is slow, and refused beyond 4300 digits
            return f"<a whole number of about {int(x.bit_length() * 0.30103) + 1} digits>"
        return super().repr_int(x, level)

    def repr_bytes(self, x: bytes, level: int) -> str:
        head = repr(x[: VALUE_CHARS // 2])
        return head if len(x) <= VALUE_CHARS // 2 else head[:-1] + "...'"

    repr_bytearray = repr_bytes


_REPR = _BoundedRepr()


def shown(value: object) -> str:
    """The value as a message shows it: its repr, cut to about :data:`VALUE_CHARS` characters."""
    try:
        text = _REPR.repr(value)
    except Exception:  # a value whose repr fails: name its type instead
        text = f"<{type(value).__name__}>"
    return clip(text, VALUE_CHARS + 10)


def clip(text: str, limit: int = NAME_CHARS) -> str:
    """``text`` on one line, cut in the middle if longer than ``limit``."""
    text = " ".join(text.splitlines())
    if len(text) <= limit:
        return text
    half = (limit - 3) // 2
    return f"{text[:half]}...{text[-half:]}"


class InputError(Exception):
    """Bad user input (scenario, spec, option). The CLI prints the message and exits with 2.

    The message is one line: the file (or option), the field path, the bad value and what is
    allowed — enough to fix the input without reading a traceback. Long values, paths and
    field names are cut, so a huge input never makes a huge message.
    """

    def __init__(self, source: str, field: str | None, value: object, allowed: str) -> None:
        self.source, self.field, self.value, self.allowed = source, field, value, allowed
        where = f"{clip(source)}: {clip(field)}" if field else clip(source)
        value_text = "" if value is _MISSING else f" = {shown(value)}"
        super().__init__(f"{where}{value_text}: {clip(allowed, 2 * NAME_CHARS)}")


class _Missing:
    def __repr__(self) -> str:
        return "<missing>"


_MISSING = _Missing()
MISSING = _MISSING
