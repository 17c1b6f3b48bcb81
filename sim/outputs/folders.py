"""Result folders: checked before any run, owned through a marker, written by staging and moving in.

cxsim writes a result only into a new or empty folder or one whose marker (``.cxsim-owned.json``)
says cxsim wrote it, replaces only the files the marker lists, and cleans up the temporaries of
killed runs on the next start."""

from __future__ import annotations

import contextlib
import errno
import json
import os
import re
import shutil
import stat
import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import sim
from sim.errors import MISSING, InputError
from sim.outputs.files import current_umask, write_json

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


def add_owned(folder: Path, kind: str, files: set[str] | list[str]) -> None:
    """Add ``files`` to the folder's record of a ``kind`` result, keeping what it already lists."""
    write_marker(folder, kind, owned_files(folder, kind) | set(files))


def _safe_relative(name: str) -> bool:
    parts = Path(name).parts
    return bool(parts) and not Path(name).is_absolute() and ".." not in parts and name != MARKER


# ---------------------------------------------------------------------------------------------
# Output folders: checked before any run, so that a run never ends in a failed write

#: pseudo file systems: writing a result there is never what the user meant
_FORBIDDEN_ROOTS = (Path("/proc"), Path("/sys"))

#: room kept in a path for the names cxsim writes inside a result folder
_ROOM_FOR_FILES = 64


def check_output_path(folder: Path, source: str = "--out") -> None:
    """Refuse (InputError) a result folder cxsim could not create or write into.

    Checks each name against the file system's limit (usually 255 bytes) and the whole path
    against the path limit, a pseudo file system (/proc, /sys), a symbolic-link loop or
    a broken link, a file where a folder is needed, and write permission where cxsim writes.
    """
    given = str(folder)
    try:
        absolute = Path(os.path.abspath(folder))
        encoded = os.fsencode(absolute)
    except (ValueError, OSError, UnicodeError):
        raise InputError(source, None, given, "not a usable folder name") from None
    if b"\0" in encoded:
        raise InputError(source, None, given, "a folder name cannot contain a NUL character")
    _check_lengths(absolute, given, source, 255, 4096)
    existing, problem = _nearest_existing(absolute)
    if problem:
        raise InputError(source, None, given, problem)
    _check_lengths(absolute, given, source, *_limits(existing))
    real = Path(os.path.realpath(existing))
    for root in _FORBIDDEN_ROOTS:
        if real == root or real.is_relative_to(root):
            raise InputError(source, None, given, f"under {root}, a system folder; name a folder of your own")
    if existing == absolute and not existing.is_dir():
        raise InputError(source, None, given, "a file is in the way; name a folder")
    if not existing.is_dir():
        raise InputError(source, None, given, f"{existing} is a file, not a folder")
    writable_in = [existing] if existing != absolute else [existing, absolute.parent]
    for place in writable_in:
        if not os.access(place, os.W_OK | os.X_OK):
            raise InputError(source, None, given, f"no permission to write in {place}")


def _check_lengths(absolute: Path, given: str, source: str, name_max: int, path_max: int) -> None:
    """Each name within ``name_max`` bytes, the whole path within ``path_max`` (with room for the files)."""
    for part in absolute.parts[1:]:
        size = len(os.fsencode(part))
        if size > name_max:
            shown = part if len(part) <= 40 else part[:40] + "..."
            raise InputError(
                source, None, given, f"the name {shown!r} is {size} bytes; the file system allows at most {name_max}"
            )
    size = len(os.fsencode(absolute))
    if size + _ROOM_FOR_FILES > path_max:
        raise InputError(
            source,
            None,
            given,
            f"the path is {size} bytes; the file system allows {path_max} (with room for the files inside)",
        )


def _nearest_existing(path: Path) -> tuple[Path, str | None]:
    """The path or its nearest existing ancestor, and what stands in the way (None if nothing).

    Walks down from the root, so that a loop or a broken link is named where it is.
    """
    existing = Path(path.anchor)
    for candidate in (*reversed(path.parents), path):
        try:
            os.stat(candidate)
        except FileNotFoundError:
            if os.path.islink(candidate):
                return candidate, f"{candidate} is a broken symbolic link"
            return existing, None
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                return candidate, f"{candidate} is a symbolic link that loops"
            if exc.errno == errno.ENOTDIR:
                return existing, None  # a file where a folder is needed: reported by the caller
            if exc.errno == errno.ENAMETOOLONG:
                return candidate, "the path is too long for the file system"
            return candidate, f"cannot look at {candidate} ({exc.strerror or exc})"
        existing = candidate
    return existing, None


def _limits(folder: Path) -> tuple[int, int]:
    """(longest name, longest path) in bytes on the file system holding ``folder``."""
    name_max, path_max = 255, 4096
    with contextlib.suppress(OSError, ValueError, AttributeError):
        name_max = min(name_max, os.pathconf(folder, "PC_NAME_MAX"))
    with contextlib.suppress(OSError, ValueError, AttributeError):
        path_max = min(path_max, os.pathconf(folder, "PC_PATH_MAX"))
    return name_max, path_max


def check_result_folder(
    folder: Path,
    kind: str,
    names: Iterable[str] = (),
    source: str = "--out",
    accept_unmarked: Callable[[Path], bool] | None = None,
) -> set[str]:
    """Refuse (InputError) a folder that cxsim may not write a result of ``kind`` into; return what it owns there.

    Allowed: a new folder, an empty one, or one whose marker says cxsim wrote a ``kind``
    result there (or, without a marker, one ``accept_unmarked`` recognises: a batch folder of
    an earlier version). ``names`` are the files about to be written: each must be absent, a
    file cxsim wrote, or a symbolic link (replaced by a file; its target is never touched).
    """
    folder = Path(folder)
    check_output_path(folder, source)
    given = str(folder)
    target = Path(os.path.realpath(folder))
    try:
        cwd = Path(os.path.realpath(os.getcwd()))
    except OSError:  # the working folder was removed: nothing of it can be in the way
        cwd = None
    if cwd is not None and (target == cwd or target in cwd.parents):
        raise InputError(source, None, given, "the current folder or one above it; name a new folder")
    if not os.path.lexists(folder):
        return set()
    try:
        entries = [e for e in os.listdir(folder) if e != MARKER]
    except OSError as exc:
        raise InputError(source, None, given, f"cannot list the folder ({exc.strerror or exc})") from None
    marker = read_marker(folder)
    if not entries:
        return owned_files(folder, kind)
    if marker is None and accept_unmarked is not None and accept_unmarked(folder):
        return set()
    if marker is None:
        raise InputError(
            source,
            None,
            given,
            "a folder that is not a cxsim result (cxsim never writes into it); use a new or empty folder",
        )
    if marker["kind"] != kind:
        raise InputError(
            source,
            None,
            given,
            f"a cxsim {marker['kind']} result, not a {kind} result; use a new or empty folder",
        )
    owned = owned_files(folder, kind)
    for name in names:
        _check_replaceable(folder / name, name in owned, source)
    return owned


def _check_replaceable(path: Path, owned: bool, source: str) -> None:
    """A file about to be written may replace a file cxsim wrote or a symlink, nothing else."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise InputError(source, None, str(path), f"cannot look at it ({exc.strerror or exc})") from None
    if stat.S_ISLNK(st.st_mode):
        return
    if not owned or not stat.S_ISREG(st.st_mode):
        raise InputError(
            source, None, str(path), "not a file cxsim wrote, where cxsim writes one; move it away or use a new folder"
        )


def write_error(target: Path | str, exc: OSError) -> InputError:
    """An OS write failure (disk full, read-only, quota) as the one-line error of the target."""
    reason = exc.strerror or (os.strerror(exc.errno) if exc.errno else str(exc).splitlines()[0] if str(exc) else "")
    return InputError(str(target), None, MISSING, f"cannot write ({reason or type(exc).__name__})")


# ---------------------------------------------------------------------------------------------
# Staging and commit: a result is written beside its folder, then moved in as a whole

#: cxsim's own temporary names: ``.<name>.tmp-<pid>-<8 random>`` (and ``.old-`` for replaced files)
TEMP_PATTERN = re.compile(r"^\..*\.(?:tmp|old)-(?P<pid>\d{1,10})-[a-z0-9_]{8}$", re.DOTALL)


def temp_prefix(name: str, role: str = "tmp") -> str:
    """The prefix of a temporary name for ``name`` (shortened so the whole name fits any file system)."""
    short = os.fsdecode(os.fsencode(name)[:80])
    return f".{short}.{role}-{os.getpid()}-"


@contextlib.contextmanager
def staging(parent: Path, name: str, role: str = "tmp") -> Iterator[Path]:
    """A fresh hidden folder in ``parent`` to write into; removed afterwards unless moved away.

    While in use it holds a lock (and a marker), so that :func:`clean_stale_temporaries` in
    another process removes it only once its creator is gone.
    """
    parent = Path(parent)
    path = Path(tempfile.mkdtemp(prefix=temp_prefix(name, role), dir=parent))
    identity = _identity(path)
    lock = None
    try:
        lock = _lock_folder(path)
        os.chmod(path, 0o777 & ~current_umask())
        write_marker(path, "staging", [])
        yield path
    finally:
        if _identity(path) == identity:  # still the folder made here, not moved away
            shutil.rmtree(path, ignore_errors=True)
        if lock is not None:
            os.close(lock)


def _identity(path: Path) -> tuple[int, int] | None:
    """Device and inode of a real folder (None for anything else), to recognise it later."""
    try:
        st = os.lstat(path)
    except OSError:
        return None
    return (st.st_dev, st.st_ino) if stat.S_ISDIR(st.st_mode) else None


def _lock_folder(path: Path) -> int | None:
    """An exclusive lock on a folder, held until its descriptor is closed (None where unsupported)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX
        return None
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        raise
    return fd


def _is_stale(entry: os.DirEntry) -> bool:
    """A temporary of a cxsim process that is gone (a folder: its lock is free)."""
    match = TEMP_PATTERN.match(entry.name)
    if not match or entry.is_symlink():
        return False
    pid = int(match["pid"])
    if pid == os.getpid():
        return False
    if entry.is_dir(follow_symlinks=False):
        if read_marker(Path(entry.path)) is None:
            return False
        try:
            import fcntl
        except ImportError:  # pragma: no cover - not POSIX
            return not _alive(pid)
        try:
            fd = os.open(entry.path, os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_DIRECTORY", 0))
        except OSError:
            return False
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except OSError:
            return False
        finally:
            os.close(fd)
    return False  # cxsim's temporaries are folders: a file of that name is somebody else's


def _alive(pid: int) -> bool:
    """Whether a process with this id exists (unknown counts as alive: never delete on a guess)."""
    if pid <= 0:
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (OSError, OverflowError):
        return True
    return True


def clean_stale_temporaries(folder: Path) -> list[Path]:
    """Remove temporaries that killed cxsim processes left in ``folder``; return what was removed.

    Only names of cxsim's own pattern (:data:`TEMP_PATTERN`) whose creating process is gone;
    a symbolic link is never followed or removed.
    """
    removed: list[Path] = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        try:
            if not _is_stale(entry):
                continue
            _restore_aside(Path(entry.path), Path(folder))
            shutil.rmtree(entry.path)
            removed.append(Path(entry.path))
        except OSError:
            continue
    return removed


def _restore_aside(aside: Path, parent: Path) -> None:
    """Put back the previous result that a killed :func:`commit` had moved aside.

    The aside folder's marker names the result folder it came from; its files go back there, so a
    kill half-way through replacing a result leaves the previous result, never a mix.
    """
    marker = read_marker(aside)
    if marker is None or marker["kind"] != ASIDE or len(marker["files"]) != 1:
        return
    target = parent / marker["files"][0]
    if os.path.islink(target) or not target.is_dir():
        return
    for name in os.listdir(aside):
        if name != MARKER:
            os.replace(aside / name, target / name)


#: the marker kind of a folder that holds a previous result while :func:`commit` replaces it
ASIDE = "aside"


def commit(folder: Path, staged: Path, kind: str, supersede: Iterable[str]) -> None:
    """Move the files in ``staged`` into ``folder`` as a ``kind`` result, all of them or none.

    A new or empty folder is replaced by ``staged`` in one rename. Otherwise the files cxsim
    wrote there and that the new result supersedes (``supersede``: the names a result of this kind
    can have, so that a marker copied from elsewhere never condemns a user's other files) are
    moved aside, the new files moved in, and the marker rewritten; on any failure the
    new files go back and the old ones are restored. Files cxsim did not write stay untouched,
    a symbolic link in the way is replaced by a file (its target never touched), and nothing is
    ever written through a link.
    """
    folder = Path(os.path.realpath(folder))
    staged = Path(staged)
    new = sorted(e for e in os.listdir(staged) if e != MARKER)
    if not os.path.lexists(folder) or _empty_folder(folder):
        write_marker(staged, kind, new)
        try:
            os.rename(staged, folder)
            return
        except OSError as exc:
            if exc.errno not in (errno.ENOTEMPTY, errno.EEXIST):
                raise
        write_marker(staged, "staging", [])  # something was written there meanwhile: go file by file
    owned = owned_files(folder, kind)
    superseded = owned & set(supersede)
    for name in new:
        _check_replaceable(folder / name, name in owned, str(folder))
    with staging(folder.parent, folder.name, role="old") as aside:
        write_marker(aside, ASIDE, [folder.name])  # where its files go back if this process is killed
        moved_old: list[str] = []
        moved_new: list[str] = []
        try:
            write_marker(folder, kind, owned | set(new))  # a crash half-way leaves every file listed
            for name in sorted(superseded | set(new)):
                path = folder / name
                if "/" in name or not os.path.lexists(path):
                    continue
                mode = os.lstat(path).st_mode
                if not (stat.S_ISREG(mode) or stat.S_ISLNK(mode)):
                    continue
                os.rename(path, aside / name)
                moved_old.append(name)
            for name in new:
                os.rename(staged / name, folder / name)
                moved_new.append(name)
            kept = {f for f in owned - superseded if os.path.lexists(folder / f)}
            write_marker(folder, kind, kept | set(new))
        except BaseException:
            for name in reversed(moved_new):
                with contextlib.suppress(OSError):
                    os.rename(folder / name, staged / name)
            for name in reversed(moved_old):
                with contextlib.suppress(OSError):
                    os.rename(aside / name, folder / name)
            with contextlib.suppress(OSError):
                write_marker(folder, kind, owned)
            raise


def _empty_folder(folder: Path) -> bool:
    """A real (not linked) folder holding nothing, or nothing but a marker."""
    if os.path.islink(folder) or not folder.is_dir():
        return False
    try:
        return not [e for e in os.listdir(folder) if e != MARKER]
    except OSError:
        return False
