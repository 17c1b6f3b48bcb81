"""Factor levels as table cells: how a design's inputs are named in ``runs.parquet`` and on figures."""

from __future__ import annotations

import json
from typing import Any


def factor_label(value: Any) -> Any:
    """A factor level as a table cell: scalars as they are, sections as canonical JSON text."""
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True)
    return value
