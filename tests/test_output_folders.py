"""Result folders: checked before any run, written atomically, and only what cxsim wrote is replaced.

A run writes into a new or empty folder, or into an earlier run's folder (its ownership marker
``.cxsim-owned.json`` says so); there it replaces only the files the marker lists. Files the
user added survive, a symbolic link in the way is replaced without touching its target, and a
failed write (disk full) leaves the old result as it was and nothing half-written.
"""

from __future__ import annotations

import errno
import importlib.util
import json
import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from conftest import BASELINE_YAML, REPO_ROOT, call, one_line_error

from sim.errors import InputError
from sim.outputs import folders, provenance
from sim.outputs.folders import (
    MARKER,
    check_output_path,
    clean_stale_temporaries,
    commit,
    owned_files,
    read_marker,
    staging,
    write_marker,
)

SMALL_YAML = f"""extends: {BASELINE_YAML}
name: small
steps: 20
warmup: 4
organization: {{units: {{sales: {{employees: 10}}, delivery: {{employees: 12}}, support: {{employees: 8}}}}}}
customers: {{accounts: 150, prospects: 20}}
"""
RUN_FILES = {"timeseries.parquet", "teams.parquet", "segments.parquet", "summary.json", "manifest.json"}


@pytest.fixture
def work(tmp_path, monkeypatch) -> Path:
    """A working folder with a small scenario ``small.yaml``, as the current folder."""
    (tmp_path / "small.yaml").write_text(SMALL_YAML)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    return tmp_path


def snapshot(folder: Path) -> dict[str, bytes | str]:
    """Every entry under ``folder`` (links as their target text, not followed)."""
    out: dict[str, bytes | str] = {}
    for p in sorted(folder.rglob("*")):
        key = str(p.relative_to(folder))
        if p.is_symlink():
            out[key] = "-> " + os.readlink(p)
        elif p.is_file():
            out[key] = p.read_bytes()
        else:
            out[key + "/"] = b""
    return out


@pytest.fixture
def no_model_run(monkeypatch):
    """Fail the test if a run starts: the checks must refuse before any model work."""
    from sim.outputs import run as run_module

    def refuse(*args, **kwargs):
        raise AssertionError("the model ran although the output folder was refused")

    monkeypatch.setattr(run_module, "run_scenario", refuse)


# ---------------------------------------------------------------------------------------------
# checked before any run


@pytest.mark.parametrize(
    ("out", "needle"),
    [
        ("/proc/cxsim-result", "under /proc"),
        ("/sys/cxsim-result", "under /sys"),
        ("loop/r", "loops"),
        ("loop", "loops"),
        ("dangling", "broken symbolic link"),
        ("a" * 300, "300 bytes"),
        ("/".join(["b" * 200] * 25), "the path is"),
        ("afile", "a file is in the way"),
        ("afile/r", "is a file, not a folder"),
        (".", "the current folder"),
    ],
    ids=["proc", "sys", "through-loop", "loop", "dangling", "long-name", "long-path", "file", "file-ancestor", "cwd"],
)
def test_bad_output_folders_are_refused_before_the_run(work, capsys, no_model_run, out, needle):
    os.symlink("loop2", work / "loop")
    os.symlink("loop", work / "loop2")
    os.symlink("nowhere", work / "dangling")
    (work / "afile").write_text("mine\n")
    before = snapshot(work)
    code, _, err = call(capsys, "run", "small.yaml", "--out", out)
    assert code == 2
    line = one_line_error(err)
    assert line.startswith("error: --out = ") and needle in line, line
    assert snapshot(work) == before


def test_unwritable_folder_is_refused(work, monkeypatch):
    """A folder the process may not write in is refused (as root, where permission bits do not bind,
    the operating system's answer is what a read-only mount would give)."""
    locked = work / "locked"
    locked.mkdir(mode=0o555)
    if os.geteuid() == 0:
        real_access = os.access
        monkeypatch.setattr(os, "access", lambda p, mode, **kw: Path(p) != locked and real_access(p, mode, **kw))
    with pytest.raises(InputError, match="no permission to write"):
        check_output_path(locked / "r")
    check_output_path(work / "open" / "r")  # a writable place passes


def test_long_default_folder_is_refused_before_the_run(work, capsys, no_model_run):
    """The default folder results/<name>/<run id> is checked as well: here its path is too long."""
    for _ in range(20):  # step by step: the whole path is longer than a system call takes
        os.mkdir("d" * 200)
        os.chdir("d" * 200)
    code, _, err = call(capsys, "run", str(work / "small.yaml"))
    assert code == 2 and "the path is" in one_line_error(err)
    assert os.listdir(".") == []


# ---------------------------------------------------------------------------------------------
# ownership


def test_folder_with_a_manifest_but_no_marker_is_not_touched(work, capsys, no_model_run):
    """An old-style check took any manifest.json with a run_id for a cxsim result, and deleted the rest."""
    mine = work / "mine"
    mine.mkdir()
    (mine / "manifest.json").write_text(json.dumps({"run_id": "0123456789abcdef"}))
    (mine / "thesis.tex").write_text("years of work\n")
    before = snapshot(work)
    code, _, err = call(capsys, "run", "small.yaml", "--out", "mine")
    assert code == 2
    assert "new or empty folder" in one_line_error(err)
    assert snapshot(work) == before


def test_folder_of_another_kind_is_refused(work, capsys, no_model_run):
    (work / "b").mkdir()
    write_marker(work / "b", "batch", [])
    (work / "b" / "runs.parquet").write_bytes(b"x")
    code, _, err = call(capsys, "run", "small.yaml", "--out", "b")
    assert code == 2 and "a cxsim batch result, not a run result" in one_line_error(err)


def test_rerun_replaces_only_its_own_files(work, capsys):
    code, _, err = call(capsys, "run", "small.yaml", "--out", "r", "--seed", "1")
    assert code == 0, err
    out = work / "r"
    from sim.outputs.run import run_files

    assert owned_files(out, "run") == set(run_files(figures=True))  # the names checked before a run
    (out / "notes.md").write_text("my notes\n")
    (out / "extra").mkdir()
    (out / "extra" / "data.csv").write_text("1,2\n")
    first = pd.read_parquet(out / "timeseries.parquet")

    code, _, err = call(capsys, "run", "small.yaml", "--out", "r", "--seed", "2", "--no-figures")
    assert code == 0, err
    assert (out / "notes.md").read_text() == "my notes\n"  # the user's files survive
    assert (out / "extra" / "data.csv").read_text() == "1,2\n"
    assert not (out / "kpis.png").exists()  # the earlier run's figures went with it
    assert owned_files(out, "run") == RUN_FILES
    assert json.loads((out / "manifest.json").read_text())["seed"] == 2
    assert not pd.read_parquet(out / "timeseries.parquet").equals(first)
    assert sorted(p.name for p in work.iterdir()) == ["r", "small.yaml"]  # no temporaries left


def test_a_link_in_the_way_is_replaced_and_its_target_untouched(work, capsys):
    code, _, _ = call(capsys, "run", "small.yaml", "--out", "r", "--no-figures")
    assert code == 0
    precious = work / "precious.json"
    precious.write_text("do not overwrite\n")
    (work / "r" / "summary.json").unlink()
    os.symlink(precious, work / "r" / "summary.json")  # a file cxsim wrote, now a link
    os.symlink(precious, work / "r" / "kpis.png")  # a link where a figure will go
    code, _, err = call(capsys, "run", "small.yaml", "--out", "r")
    assert code == 0, err
    assert precious.read_text() == "do not overwrite\n"
    for name in ("summary.json", "kpis.png"):
        assert not (work / "r" / name).is_symlink() and (work / "r" / name).stat().st_size > 100


def test_a_users_file_where_cxsim_writes_is_refused_before_the_run(work, capsys):
    code, _, _ = call(capsys, "run", "small.yaml", "--out", "r", "--no-figures")
    assert code == 0
    (work / "r" / "kpis.png").write_bytes(b"the user's own figure")
    code, _, err = call(capsys, "run", "small.yaml", "--out", "r")
    assert code == 2 and "not a file cxsim wrote" in one_line_error(err)
    assert (work / "r" / "kpis.png").read_bytes() == b"the user's own figure"


def test_a_marker_that_is_a_link_does_not_count(tmp_path):
    (tmp_path / "real.json").write_text(json.dumps({"kind": "run", "files": ["a"]}))
    (tmp_path / "f").mkdir()
    os.symlink(tmp_path / "real.json", tmp_path / "f" / MARKER)
    assert read_marker(tmp_path / "f") is None


# ---------------------------------------------------------------------------------------------
# atomic: all new files or the old result


def _stage(parent: Path, files: dict[str, str]):
    ctx = staging(parent, "r")
    tmp = ctx.__enter__()
    for name, text in files.items():
        (tmp / name).write_text(text)
    return ctx, tmp


def test_commit_into_a_new_folder_is_one_rename(tmp_path):
    ctx, tmp = _stage(tmp_path, {"a.txt": "A", "b.txt": "B"})
    commit(tmp_path / "r", tmp, "run", supersede={"a.txt", "b.txt"})
    ctx.__exit__(None, None, None)
    assert owned_files(tmp_path / "r", "run") == {"a.txt", "b.txt"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r"]


def test_failed_commit_restores_the_old_result(tmp_path, monkeypatch):
    folder = tmp_path / "r"
    ctx, tmp = _stage(tmp_path, {"a.txt": "old A", "b.txt": "old B"})
    commit(folder, tmp, "run", supersede={"a.txt", "b.txt"})
    ctx.__exit__(None, None, None)
    (folder / "user.txt").write_text("mine")
    before = snapshot(tmp_path)

    real_rename = os.rename
    calls = []

    def flaky(src, dst, *args, **kwargs):
        calls.append((src, dst))
        if len(calls) == 4:  # after the old files went aside and one new file came in
            raise OSError(errno.EIO, "Input/output error")
        return real_rename(src, dst, *args, **kwargs)

    ctx, tmp = _stage(tmp_path, {"a.txt": "new A", "b.txt": "new B"})
    monkeypatch.setattr(folders.os, "rename", flaky)
    with pytest.raises(OSError):
        commit(folder, tmp, "run", supersede={"a.txt", "b.txt"})
    monkeypatch.setattr(folders.os, "rename", real_rename)
    ctx.__exit__(None, None, None)
    assert len(calls) >= 4
    assert snapshot(tmp_path) == before  # old files back, the user's file kept, no temporaries


def test_disk_full_during_a_run_is_one_line_and_leaves_nothing(work, capsys, monkeypatch):
    def full(self, *args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(pd.DataFrame, "to_parquet", full)
    code, _, err = call(capsys, "run", "small.yaml", "--out", "r")
    assert code == 2
    assert one_line_error(err) == "error: r: cannot write (No space left on device)"
    assert sorted(p.name for p in work.iterdir()) == ["small.yaml"]


def test_disk_full_on_a_rerun_keeps_the_old_result(work, capsys, monkeypatch):
    code, _, _ = call(capsys, "run", "small.yaml", "--out", "r", "--no-figures")
    assert code == 0
    before = snapshot(work)
    from sim.outputs import run as run_module

    def full(path, data):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(run_module, "write_json", full)
    code, _, err = call(capsys, "run", "small.yaml", "--out", "r", "--seed", "5")
    assert code == 2 and "cannot write (No space left on device)" in one_line_error(err)
    assert snapshot(work) == before


# ---------------------------------------------------------------------------------------------
# temporaries of killed runs


_HOLD = """
import sys, time
from pathlib import Path
from sim.outputs.folders import staging
with staging(Path(sys.argv[1]), "r") as tmp:
    (tmp / "timeseries.parquet").write_bytes(b"half")
    print(tmp.name, flush=True)
    time.sleep(120)
"""


def _start_holder(parent: Path) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", _HOLD, str(parent)], stdout=subprocess.PIPE, text=True, cwd=REPO_ROOT
    )
    assert proc.stdout is not None
    name = proc.stdout.readline().strip()
    assert re.fullmatch(r"\.r\.tmp-\d+-[a-z0-9_]{8}", name), name
    return proc, name


def test_temporaries_of_killed_runs_are_cleaned_on_the_next_start(work, capsys):
    live, live_name = _start_holder(work)
    dead, dead_name = _start_holder(work)
    try:
        dead.send_signal(signal.SIGKILL)
        dead.wait(30)
        # look-alikes that are not cxsim's: a folder without a marker, and a link
        (work / ".r.tmp-999999-abcdefgh").mkdir()
        os.symlink(work / "small.yaml", work / ".r.tmp-999998-abcdefgh")
        code, _, err = call(capsys, "run", "small.yaml", "--out", "r", "--no-figures")
        assert code == 0, err
        names = {p.name for p in work.iterdir()}
        assert dead_name not in names  # its process is gone: removed
        assert live_name in names  # still being written: kept
        assert {".r.tmp-999999-abcdefgh", ".r.tmp-999998-abcdefgh"} <= names
    finally:
        live.kill()
        live.wait(30)
    assert [p.name for p in clean_stale_temporaries(work)] == [live_name]


def test_a_copied_marker_never_condemns_a_users_file(work, capsys):
    """A marker that lists a file a run never writes (copied, or edited by hand) does not get it deleted."""
    folder = work / "r"
    folder.mkdir()
    (folder / "a.txt").write_text("data\n")
    (folder / MARKER).write_text(json.dumps({"kind": "run", "files": ["a.txt"]}))
    code, _, err = call(capsys, "run", "small.yaml", "--out", "r", "--no-figures")
    assert code == 0, err
    assert (folder / "a.txt").read_text() == "data\n"
    assert (folder / "timeseries.parquet").is_file()


def test_files_that_look_like_temporaries_are_not_cleaned(work, capsys):
    """cxsim's temporaries are locked folders with a marker; a user's file of a similar name stays."""
    (work / ".notes.tmp-4000000-abcdefgh").write_text("x")
    (work / ".r.old-77777-backup_1").write_text("x")
    code, _, err = call(capsys, "run", "small.yaml", "--out", "r", "--no-figures")
    assert code == 0, err
    assert (work / ".notes.tmp-4000000-abcdefgh").is_file() and (work / ".r.old-77777-backup_1").is_file()


_KILL_IN_COMMIT = """
import os, sys
from pathlib import Path
from sim.outputs import folders
parent = Path(sys.argv[1])
ctx = folders.staging(parent, "r")
tmp = ctx.__enter__()
for name in ("a.txt", "b.txt"):
    (tmp / name).write_text("new " + name)
real = os.rename
calls = []
def rename(src, dst):
    calls.append(src)
    if len(calls) == 4:  # the old files are aside, one new file is in: killed here
        os._exit(9)
    return real(src, dst)
folders.os.rename = rename
folders.commit(parent / "r", tmp, "run", supersede={"a.txt", "b.txt"})
"""


def test_a_run_killed_while_replacing_a_result_leaves_the_previous_one(tmp_path):
    """The next start puts back the files a killed process had moved aside: never a mix of two results."""
    folder = tmp_path / "r"
    ctx, tmp = _stage(tmp_path, {"a.txt": "old a.txt", "b.txt": "old b.txt"})
    commit(folder, tmp, "run", supersede={"a.txt", "b.txt"})
    ctx.__exit__(None, None, None)
    proc = subprocess.run([sys.executable, "-c", _KILL_IN_COMMIT, str(tmp_path)], cwd=REPO_ROOT, check=False)
    assert proc.returncode == 9
    assert (folder / "a.txt").read_text() == "new a.txt" and not (folder / "b.txt").exists()  # the mix
    clean_stale_temporaries(tmp_path)
    assert {p.name: p.read_text() for p in folder.iterdir() if p.name != MARKER} == {
        "a.txt": "old a.txt",
        "b.txt": "old b.txt",
    }
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r"]


# ---------------------------------------------------------------------------------------------
# the git commit in manifests


def _load_copy(package_root: Path):
    """provenance.py as installed under ``package_root/sim/outputs/``."""
    target = package_root / "sim" / "outputs" / "provenance.py"
    target.parent.mkdir(parents=True)
    shutil.copy(provenance.__file__, target)
    spec = importlib.util.spec_from_file_location("copied_provenance", target)
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    return module


def _git_repo(path: Path, project_name: str) -> str:
    path.mkdir(parents=True, exist_ok=True)
    (path / "pyproject.toml").write_text(f'[project]\nname = "{project_name}"\nversion = "1"\n')
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.org", "-c", "commit.gpgsign=false"]
    subprocess.run([*git, "init", "-q"], cwd=path, check=True)
    subprocess.run([*git, "add", "pyproject.toml"], cwd=path, check=True)
    subprocess.run([*git, "commit", "-q", "-m", "init"], cwd=path, check=True)
    return subprocess.run(["git", "rev-parse", "HEAD"], cwd=path, capture_output=True, text=True).stdout.strip()


def test_git_commit_is_not_taken_from_another_repository(tmp_path):
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    other = tmp_path / "webapp"
    _git_repo(other, "webapp")
    copy = _load_copy(other / ".venv" / "lib" / "site-packages")
    assert copy.git_commit() is None


def test_git_commit_of_the_projects_own_checkout(tmp_path):
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    checkout = tmp_path / "cxsim"
    head = _git_repo(checkout, "cxsim")
    copy = _load_copy(checkout)
    assert copy.git_commit() is not None and copy.git_commit().startswith(head)
