"""Shipped inputs: the ready scenarios and experiment specs, found by name from any folder.

``cxsim run baseline`` means the shipped ``baseline.yaml`` when no file of that name is in the
current folder. In a checkout the shipped files are the repository's ``scenarios/`` and
``experiments/`` folders; in an installed wheel they are package data.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path
from typing import Literal

Kind = Literal["scenarios", "experiments"]


def shipped_dir(kind: Kind) -> Path | None:
    """The folder of shipped files of ``kind``, or None if this installation has none.

    An installed wheel carries them as package data in ``sim/_shipped/<kind>/`` (see setup.py);
    a checkout (also an editable install) has them at the top of the repository, next to
    ``pyproject.toml``. Both keep ``scenarios/`` and ``experiments/`` side by side, so the
    relative paths inside the files resolve alike.
    """
    packaged = files("sim").joinpath("_shipped", kind)
    if isinstance(packaged, Path) and packaged.is_dir():
        return packaged
    root = Path(__file__).resolve().parents[2]
    checkout = root / kind
    return checkout if (root / "pyproject.toml").is_file() and checkout.is_dir() else None


def shipped_names(kind: Kind) -> list[str]:
    """Names of the shipped files of ``kind`` (without ``.yaml``)."""
    folder = shipped_dir(kind)
    return sorted(p.stem for p in folder.glob("*.yaml")) if folder else []


def locate(path: str | Path, kind: Kind) -> Path:
    """The file a user means: the path as given if it exists, else a shipped file of that name.

    Only a bare name (``baseline`` or ``baseline.yaml``) is looked up among the shipped files;
    anything else is returned as given, so that a missing file is reported as the user wrote it
    (as is a path the operating system refuses to look up: too long, a NUL byte).
    """
    given = Path(path)
    try:
        if given.exists() or len(given.parts) != 1:
            return given
        folder = shipped_dir(kind)
        if folder is None:
            return given
        candidate = folder / (given.name if given.suffix in (".yaml", ".yml") else f"{given.name}.yaml")
        return candidate if candidate.is_file() else given
    except (OSError, ValueError):
        return given
