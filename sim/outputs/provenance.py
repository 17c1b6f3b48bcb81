"""Provenance: the run id, the versions that decide the numbers, and the git commit of this checkout."""

from __future__ import annotations

import hashlib
import json
import platform
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import numpy as np

import sim


def run_id(resolved_scenario: dict[str, Any], seed: int) -> str:
    """A content hash of the resolved scenario, the seed and the model version.

    The same inputs always give the same id, on any machine; any change gives a new one.
    The scenario's ``name`` and ``description`` are labels, not inputs, and are left out.
    """
    inputs = {k: v for k, v in resolved_scenario.items() if k not in ("name", "description", "seed")}
    payload = json.dumps({"scenario": inputs, "seed": int(seed), "model": sim.__version__}, sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


def git_commit() -> str | None:
    """The commit of this project's own checkout the code runs from, else None.

    Installed inside some other git repository (a virtualenv in a user's project, say), the
    enclosing repository's commit says nothing about cxsim, so it is not recorded: the git
    top level must hold this project's ``pyproject.toml`` (``name = "cxsim"``) and the ``sim``
    package must lie inside it.
    """
    package = Path(__file__).resolve().parents[1]
    top = _git(["rev-parse", "--show-toplevel"], package)
    if not top or not _is_cxsim_checkout(Path(top), package):
        return None
    commit = _git(["rev-parse", "HEAD"], package)
    if not commit:
        return None
    dirty = _git(["status", "--porcelain", "--untracked-files=no"], package, strip=False)
    return commit + ("-dirty" if dirty and dirty.strip() else "")


def _git(args: list[str], cwd: Path, strip: bool = True) -> str | None:
    """Output of a git command, or None if git is missing, fails or takes too long."""
    try:
        out = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, timeout=5, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    if out.returncode != 0:
        return None
    return out.stdout.strip() if strip else out.stdout


def _is_cxsim_checkout(top: Path, package: Path) -> bool:
    """``top`` is this project's repository: its pyproject names cxsim and holds the package."""
    try:
        top = top.resolve()
        with open(top / "pyproject.toml", "rb") as fh:
            project = tomllib.load(fh).get("project")
    except (OSError, ValueError):
        return False
    name = project.get("name") if isinstance(project, dict) else None
    return name == "cxsim" and package.is_relative_to(top)


def environment() -> dict[str, str]:
    """Versions that decide the numbers: cxsim, Python, numpy, Mesa."""
    import mesa  # only here: importing Mesa takes a while, and error paths need none of it

    return {
        "cxsim": sim.__version__,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "mesa": mesa.__version__,
        "platform": platform.platform(),
    }
