"""One error type for every bad input: it carries a single line that names what to fix."""

from __future__ import annotations


class InputError(Exception):
    """Bad user input (scenario, spec, option). The CLI prints the message and exits with 2.

    The message is one line: the file (or option), the field path, the bad value and what is
    allowed — enough to fix the input without reading a traceback.
    """

    def __init__(self, source: str, field: str | None, value: object, allowed: str) -> None:
        self.source, self.field, self.value, self.allowed = source, field, value, allowed
        where = f"{source}: {field}" if field else source
        shown = "" if value is _MISSING else f" = {value!r}"
        super().__init__(f"{where}{shown}: {allowed}")


class _Missing:
    def __repr__(self) -> str:
        return "<missing>"


_MISSING = _Missing()
MISSING = _MISSING
