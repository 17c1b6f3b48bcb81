"""What a result folder holds: a run, a batch, a comparison, a sensitivity study, a validation or a calibration.

Each command leaves files only it writes (``compare.json``, ``sensitivity.json``, ``patterns.json``
...) next to a ``manifest.json``; the kind is read from them, the most specific first, since a
comparison and a sensitivity study are also batches.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sim.errors import MISSING, InputError

#: the kinds a report can be written for, with the file that marks each (most specific first)
KINDS: tuple[tuple[str, str], ...] = (
    ("comparison", "compare.json"),
    ("sensitivity", "sensitivity.json"),
    ("validation", "patterns.json"),
    ("calibration", "calibration.md"),
    ("batch", "runs.parquet"),
    ("run", "summary.json"),
)


def result_kind(folder: Path) -> str:
    """The kind of result in ``folder`` (InputError, one line, if it is none of :data:`KINDS`)."""
    folder = Path(folder)
    if not folder.is_dir():
        what = "no such folder" if not folder.exists() else "not a folder"
        raise InputError(str(folder), None, MISSING, f"{what}; give a result folder of cxsim run, batch, compare, ...")
    for kind, mark in KINDS:
        if (folder / mark).is_file():
            if kind not in ("calibration",) and not (folder / "manifest.json").is_file():
                raise InputError(str(folder / "manifest.json"), None, MISSING, "missing; run the command again")
            return kind
    raise InputError(
        str(folder),
        None,
        MISSING,
        "not a cxsim result folder (none of compare.json, sensitivity.json, patterns.json, calibration.md, "
        "runs.parquet, summary.json)",
    )


def read_json(path: Path) -> dict[str, Any]:
    """A result's JSON file as a mapping (InputError naming the file if it is missing or damaged)."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise InputError(str(path), None, MISSING, "missing or damaged; run the command again") from None
    if not isinstance(data, dict):
        raise InputError(str(path), None, MISSING, "not a cxsim result file; run the command again")
    return data
