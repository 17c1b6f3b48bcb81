"""Provenance and safe writing: run ids, versions, git commit, atomic directories and files."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import platform
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import mesa
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
    """The commit of the working tree the code runs from, if it is a git checkout."""
    here = Path(__file__).resolve().parent
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=here, capture_output=True, text=True, timeout=5, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None
    commit = out.stdout.strip()
    if out.returncode != 0 or not commit:
        return None
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=no"], cwd=here, capture_output=True, text=True, check=False
    )
    return commit + ("-dirty" if dirty.stdout.strip() else "")


def environment() -> dict[str, str]:
    """Versions that decide the numbers: cxsim, Python, numpy, Mesa."""
    return {
        "cxsim": sim.__version__,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "mesa": mesa.__version__,
        "platform": platform.platform(),
    }


@contextlib.contextmanager
def atomic_directory(target: Path) -> Iterator[Path]:
    """Write a directory under a temporary name; it appears at ``target`` only if the block succeeds.

    An existing ``target`` is replaced as a whole. On any error the temporary directory is
    removed, so a failed or interrupted run never leaves a half-written result.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=target.parent))
    os.chmod(tmp, 0o777 & ~_umask())
    old: Path | None = None
    try:
        yield tmp
        if target.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-", dir=target.parent))
            os.replace(target, old / "x")
            try:
                os.replace(tmp, target)
            except BaseException:
                os.replace(old / "x", target)  # put the previous result back
                raise
        else:
            os.replace(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    finally:
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write_text(path: Path, text: str) -> None:
    """Write a text file under a temporary name and rename it into place."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def write_json(path: Path, data: Any) -> None:
    """JSON with sorted keys and a trailing newline, written atomically."""
    atomic_write_text(path, json.dumps(data, indent=2, sort_keys=True, default=_jsonable) + "\n")


def _jsonable(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


# ---------------------------------------------------------------------------------------------
# Ownership: what cxsim wrote in a folder, so that it never deletes or overwrites anything else

#: the file in a result folder that lists what cxsim wrote there
MARKER = ".cxsim-owned.json"


def read_marker(folder: Path) -> dict[str, Any] | None:
    """The folder's ownership record (``kind`` and ``files``), or None if cxsim did not write the folder.

    A marker that is a symlink, not a JSON object, or without a list of files counts as none.
    """
    path = Path(folder) / MARKER
    try:
        if path.is_symlink() or not path.is_file():
            return None
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("files"), list) or not isinstance(data.get("kind"), str):
        return None
    return data


def owned_files(folder: Path, kind: str) -> set[str]:
    """Relative paths cxsim recorded writing in ``folder`` for a result of ``kind`` (empty if none)."""
    data = read_marker(folder)
    if data is None or data["kind"] != kind:
        return set()
    return {f for f in data["files"] if isinstance(f, str) and _safe_relative(f)}


def write_marker(folder: Path, kind: str, files: set[str] | list[str]) -> None:
    """Record (atomically) that cxsim wrote ``files`` in ``folder`` for a result of ``kind``."""
    bad = [f for f in files if not _safe_relative(f)]
    if bad:
        raise ValueError(f"not a relative path inside the folder: {bad[0]!r}")
    write_json(Path(folder) / MARKER, {"kind": kind, "files": sorted(set(files)), "cxsim": sim.__version__})


def _safe_relative(name: str) -> bool:
    parts = Path(name).parts
    return bool(parts) and not Path(name).is_absolute() and ".." not in parts
