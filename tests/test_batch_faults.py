"""The batch engine under faults: Ctrl-C, SIGKILL, leftovers of earlier kills, a full disk,
Dask clusters without workers or schedulers that are not there, and --fresh on a folder
that holds more than the batch's own files."""

from __future__ import annotations

import errno
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pandas as pd
import pytest
from conftest import BASELINE_YAML, cxsim

from sim.errors import InputError
from sim.experiments import batch as batch_module
from sim.experiments import executors
from sim.experiments.batch import run_batch
from sim.experiments.spec import load_experiment
from sim.outputs.folders import MARKER, owned_files

SPEC = """
name: faults
scenario: {baseline}
grid:
  organization.cross_unit_ties: [0.0, 0.3]
  organization.units.*.employees: [8]
  customers.accounts: [120]
replications: {reps}
steps: 30
seed: 5
outcomes: [annual_churn_rate, nps, mean_satisfaction]
timeseries: [satisfaction, nps]
"""


def write_spec(folder: Path, reps: int = 2, name: str = "faults") -> Path:
    path = folder / f"{name}.yaml"
    path.write_text(SPEC.format(baseline=BASELINE_YAML, reps=reps).replace("name: faults", f"name: {name}"))
    return path


def batch(spec: Path, out: Path, **kwargs) -> batch_module.BatchReport:
    kwargs = {"workers": 1, "progress": False, "figures": False, **kwargs}
    return run_batch(load_experiment(spec), out, **kwargs)


def saved_runs(out: Path) -> int:
    return sum(len(pd.read_parquet(p)) for p in (out / "parts").glob("runs-*.parquet"))


def assert_same_results(got: Path, reference: Path) -> None:
    pd.testing.assert_frame_equal(pd.read_parquet(got / "runs.parquet"), pd.read_parquet(reference / "runs.parquet"))
    pd.testing.assert_frame_equal(
        pd.read_parquet(got / "timeseries.parquet"), pd.read_parquet(reference / "timeseries.parquet")
    )


def _interruptible() -> None:
    """Ctrl-C reaches the batch as in a terminal: a test runner's worker process (pytest-xdist)
    ignores SIGINT, a child inherits that, and Python then installs no KeyboardInterrupt handler."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def start_batch(spec: Path, out: Path, *options: str) -> subprocess.Popen:
    env = {**os.environ, "MPLBACKEND": "Agg", "COLUMNS": "80"}
    command = [sys.executable, "-m", "sim.cli", "batch", str(spec), "--out", str(out), "--no-progress", *options]
    return subprocess.Popen(
        command,
        cwd=out.parent,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        preexec_fn=_interruptible,
    )


def wait_for(condition, proc: subprocess.Popen, seconds: float = 120) -> None:
    """Until ``condition()`` holds or ``seconds`` have passed; the batch must still be running."""
    deadline = time.time() + seconds
    while time.time() < deadline and not condition():
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.01)


def wait_for_parts(out: Path, proc: subprocess.Popen) -> None:
    wait_for(lambda: any((out / "parts").glob("runs-*.parquet")), proc)


# ------------------------------------------------------------------ serial batches


def test_a_serial_batch_saves_each_chunk_as_soon_as_it_is_computed(tmp_path, monkeypatch):
    computed: list[str] = []
    at_save: list[int] = []
    run_task, save_chunk = batch_module.run_task, batch_module._save_chunk

    def counting_run_task(task, *args):
        computed.append(task.run_id)
        return run_task(task, *args)

    def recording_save(parts, records, ts):
        at_save.append(len(computed))
        save_chunk(parts, records, ts)

    monkeypatch.setattr(batch_module, "run_task", counting_run_task)
    monkeypatch.setattr(batch_module, "_save_chunk", recording_save)
    report = batch(write_spec(tmp_path, reps=3), tmp_path / "out")
    assert report.computed == 6 and len(computed) == 6
    assert at_save[0] < 6  # the first chunk is on disk before the last run starts
    assert at_save == sorted(at_save) and len(at_save) >= 2


def test_ctrl_c_stops_a_serial_batch_at_once_and_the_resume_is_exact(tmp_path):
    spec = write_spec(tmp_path, reps=16)  # 32 runs, a chunk of two runs at a time
    out = tmp_path / "out"
    proc = start_batch(spec, out, "--workers", "1")
    wait_for(lambda: (out / "parts" / "outputs.json").exists(), proc)  # the runs start now
    wait_for_parts(out, proc)  # mid-run: the first chunk is saved, 30 runs remain
    t0 = time.perf_counter()
    proc.send_signal(signal.SIGINT)
    first = proc.stderr.readline()  # the batch has stopped and says so
    stopped_after = time.perf_counter() - t0
    rest = proc.stderr.read()  # (communicate() would miss what readline() buffered)
    proc.wait(timeout=30)
    exited_after = time.perf_counter() - t0  # Python's own shutdown included
    assert proc.returncode == 130, first + rest
    # at once: well before the 30 remaining runs could finish (bounds generous for a loaded machine)
    assert stopped_after < 5.0, f"took {stopped_after:.2f} s to stop"
    assert exited_after < 10.0, f"took {exited_after:.2f} s to exit"
    assert first.startswith("interrupted") and "resume" in first + rest and "Traceback" not in rest
    saved = saved_runs(out)
    assert 0 < saved < 32 and not (out / "runs.parquet").exists()

    resumed = batch(spec, out)
    assert resumed.reused == saved and resumed.computed == 32 - saved
    reference = tmp_path / "reference"
    batch(spec, reference)
    assert_same_results(out, reference)


# ------------------------------------------------------------------ killed batches


def children_of(pid: int) -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.add(int(entry.name))
    return found


def alive(pid: int) -> bool:
    """Running (a zombie waiting for its new parent to reap it counts as dead)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def still_alive(pids: set[int], within: float) -> list[int]:
    deadline = time.time() + within
    while time.time() < deadline and any(alive(pid) for pid in pids):
        time.sleep(0.05)
    return [pid for pid in pids if alive(pid)]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_a_killed_pool_batch_leaves_no_live_worker_processes(tmp_path):
    spec = write_spec(tmp_path, reps=10)
    out = tmp_path / "out"
    proc = start_batch(spec, out, "--workers", "2")
    wait_for_parts(out, proc)
    children = children_of(proc.pid)
    assert len(children) >= 3  # two workers and multiprocessing's resource tracker
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert still_alive(children, within=5) == []

    # the runs saved before the kill are reused, and the result is exact
    saved = saved_runs(out)
    resumed = batch(spec, out)
    assert resumed.reused == saved > 0
    reference = tmp_path / "reference"
    batch(spec, reference)
    assert_same_results(out, reference)


def test_temporary_files_of_earlier_kills_are_cleaned_and_nothing_else(tmp_path):
    spec = write_spec(tmp_path, reps=1)
    out = tmp_path / "out"
    batch(spec, out)
    leftovers = [
        out / ".manifest.json.k3j_9xqz",
        out / ".compare.md.tmp-99999-abcdefgh",
        out / f".{MARKER}.ab12cd34",
        out / ".runs.parquet.tmp-4711",
        out / ".timeseries.parquet.tmp-a8b7c6d5",
        out / "parts" / ".outputs.json.zz9_aa12",
        out / "parts" / f".runs-{'0' * 20}.parquet.tmp-123",
        out / "parts" / f".ts-{'a' * 20}.parquet.tmp-x1y2z3w4",
        out / ".figures.tmp-q1w2e3r4" / "cases.png",
    ]
    kept = [out / ".notes.tmp-1", out / ".my.json.abcdefgh", out / "parts" / ".keep", out / "manifest.json.bak"]
    for path in leftovers + kept:
        path.parent.mkdir(exist_ok=True)
        path.write_text("half written")
    batch(spec, out)
    assert [p for p in leftovers if p.exists()] == []
    assert not (out / ".figures.tmp-q1w2e3r4").exists()
    assert all(p.read_text() == "half written" for p in kept)


# ------------------------------------------------------------------ disk full


def full_disk_after(n: int):
    """An ``_atomic_parquet`` that saves ``n`` files in ``parts/``, then fails as a full disk does."""
    real = batch_module._atomic_parquet
    calls = {"n": 0}

    def write(frame, path):
        calls["n"] += 1
        if calls["n"] > n:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(frame, path)

    return write


def test_a_full_disk_while_saving_chunks_is_one_line_and_the_resume_is_exact(tmp_path, monkeypatch):
    spec = write_spec(tmp_path, reps=3)
    out = tmp_path / "out"
    original = batch_module._atomic_parquet
    monkeypatch.setattr(batch_module, "_atomic_parquet", full_disk_after(4))  # two chunks: ts + runs each
    with pytest.raises(InputError) as info:
        batch(spec, out)
    assert str(info.value) == f"{out}: cannot write (No space left on device)"
    assert saved_runs(out) == 2 and not (out / "runs.parquet").exists()
    assert not [p for p in out.rglob(".*") if p.name != MARKER]  # no half-written file

    monkeypatch.setattr(batch_module, "_atomic_parquet", original)
    resumed = batch(spec, out)
    assert resumed.reused == 2 and resumed.computed == 4
    reference = tmp_path / "reference"
    batch(spec, reference)
    assert_same_results(out, reference)


def test_a_full_disk_while_writing_the_results_keeps_the_saved_runs(tmp_path, monkeypatch):
    spec = write_spec(tmp_path, reps=1)
    out = tmp_path / "out"

    def no_room(frame, path):
        raise OSError(errno.ENOSPC, "No space left on device")

    real = batch_module._atomic_parquet
    monkeypatch.setattr(
        batch_module, "_atomic_parquet", lambda f, p: (no_room if p.name == "runs.parquet" else real)(f, p)
    )
    with pytest.raises(InputError, match="cannot write \\(No space left on device\\)"):
        batch(spec, out)
    assert saved_runs(out) == 2
    monkeypatch.setattr(batch_module, "_atomic_parquet", real)
    assert batch(spec, out).reused == 2 and (out / "runs.parquet").is_file()


def test_a_full_disk_on_the_command_line_is_one_line(tmp_path):
    spec = write_spec(tmp_path, reps=1)
    out = tmp_path / "out"
    program = (
        "import errno, sys\n"
        "import sim.experiments.batch as b\n"
        "def full(frame, path):\n"
        "    raise OSError(errno.ENOSPC, 'No space left on device')\n"
        "b._atomic_parquet = full\n"
        "from sim.cli import main\n"
        f"main(['batch', {str(spec)!r}, '--out', {str(out)!r}, '--workers', '1', '--no-progress'])\n"
    )
    res = subprocess.run(
        [sys.executable, "-c", program], cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False
    )
    assert res.returncode == 2
    assert res.stderr.strip() == f"error: {out}: cannot write (No space left on device)"


# ------------------------------------------------------------------ Dask


def test_a_dask_batch_stops_with_one_line_when_no_worker_is_left(tmp_path):
    distributed = pytest.importorskip("distributed")
    spec = write_spec(tmp_path, reps=6)
    out = tmp_path / "out"
    with distributed.LocalCluster(
        n_workers=0, threads_per_worker=1, host="127.0.0.1", protocol="tcp", dashboard_address=None, processes=False
    ) as cluster:
        # a scheduler without workers: a clear error after the timeout, nothing lost
        t0 = time.perf_counter()
        with pytest.raises(InputError) as info:
            batch(spec, out, scheduler=cluster.scheduler_address, worker_timeout=1)
        assert time.perf_counter() - t0 < 10
        message = str(info.value)
        assert "no live Dask workers for 1 s" in message and "resume" in message and "\n" not in message
        assert saved_runs(out) == 0

        # the last worker goes away in the middle of the batch
        cluster.scale(1)
        cluster.wait_for_workers(1, timeout=30)

        def close_workers() -> None:
            deadline = time.time() + 60
            while time.time() < deadline and not list((out / "parts").glob("runs-*.parquet")):
                time.sleep(0.02)
            cluster.scale(0)

        closer = threading.Thread(target=close_workers)
        closer.start()
        with pytest.raises(InputError, match="no live Dask workers for 2 s"):
            batch(spec, out, scheduler=cluster.scheduler_address, worker_timeout=2)
        closer.join()
    saved = saved_runs(out)
    assert 0 < saved < 12
    resumed = batch(spec, out)
    assert resumed.reused == saved
    reference = tmp_path / "reference"
    batch(spec, reference)
    assert_same_results(out, reference)


def test_a_bad_worker_timeout_is_refused(tmp_path):
    for bad in (0, -1, float("nan"), float("inf"), True):
        with pytest.raises(InputError, match="--worker-timeout"):
            batch(write_spec(tmp_path), tmp_path / "out", worker_timeout=bad)
    assert not (tmp_path / "out").exists()


class NotDask(threading.Thread):
    """A TCP server that answers like a web server, not like a Dask scheduler."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.server = socket.create_server(("127.0.0.1", 0))
        self.address = f"tcp://127.0.0.1:{self.server.getsockname()[1]}"

    def run(self) -> None:
        with self.server:
            while True:
                try:
                    conn, _ = self.server.accept()
                except OSError:
                    return
                with conn:
                    conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n" * 4)


@pytest.mark.parametrize("kind", ["refused", "not dask"])
def test_a_bad_scheduler_address_fails_fast_in_one_line(tmp_path, kind):
    server = None
    if kind == "refused":
        address = "tcp://127.0.0.1:9"
    else:
        server = NotDask()
        server.start()
        address = server.address
    spec = write_spec(tmp_path)
    t0 = time.perf_counter()
    res = cxsim("batch", str(spec), "--scheduler", address, "--out", "out", "--no-progress", cwd=tmp_path)
    elapsed = time.perf_counter() - t0
    if server is not None:
        server.server.close()
    assert res.returncode == 2
    assert res.stderr.count("\n") == 1 and res.stderr.startswith("error: --scheduler")
    assert "Traceback" not in res.stderr and "Exception ignored" not in res.stderr
    assert address in res.stderr and "cannot reach a Dask scheduler" in res.stderr
    assert elapsed < 15, f"took {elapsed:.1f} s"  # most of it is starting Python and importing
    assert not (tmp_path / "out").exists()


def test_reaching_a_scheduler_fails_fast_whatever_is_at_the_address():
    pytest.importorskip("distributed")
    import distributed.comm  # noqa: F401  (imported here, not inside the timings)

    not_dask = NotDask()
    not_dask.start()
    silent = socket.create_server(("127.0.0.1", 0))  # accepts connections, never answers
    cases = {
        "tcp://127.0.0.1:9": (1.0, "Connection refused"),
        not_dask.address: (1.0, "not as a Dask scheduler"),
        f"tcp://127.0.0.1:{silent.getsockname()[1]}": (2.5, "no Dask handshake within 1 s"),
        "nonsense://x": (1.0, "unknown address scheme"),
    }
    try:
        for address, (limit, needle) in cases.items():
            t0 = time.perf_counter()
            with pytest.raises(InputError) as info:
                executors.connect(address, timeout=1)
            assert time.perf_counter() - t0 < limit, address
            assert needle in str(info.value) and "\n" not in str(info.value)
    finally:
        not_dask.server.close()
        silent.close()


# ------------------------------------------------------------------ --fresh and links


def test_fresh_removes_only_what_the_batch_wrote(tmp_path):
    spec = write_spec(tmp_path, reps=1)
    out = tmp_path / "out"
    batch(spec, out, figures=True)
    figure = out / "factor_organization_cross_unit_ties.png"
    assert figure.is_file() and "factor_organization_cross_unit_ties.png" in owned_files(out, "batch")
    assert {"runs.parquet", "manifest.json", "timeseries.parquet"} <= owned_files(out, "batch")
    (out / "my_chart.png").write_bytes(b"mine")
    (out / "notes.md").write_text("mine")
    figure.write_bytes(b"stale")

    report = batch(spec, out, fresh=True, figures=False)
    assert report.reused == 0 and report.computed == 2
    assert (out / "my_chart.png").read_bytes() == b"mine" and (out / "notes.md").read_text() == "mine"
    assert not figure.exists()  # the batch's own figure went with --fresh


def test_a_figure_name_that_is_a_link_is_replaced_and_its_target_untouched(tmp_path):
    spec = write_spec(tmp_path, reps=1)
    out = tmp_path / "out"
    batch(spec, out, figures=True)
    target = tmp_path / "precious.png"
    target.write_bytes(b"precious")
    figure = out / "factor_organization_cross_unit_ties.png"
    figure.unlink()
    figure.symlink_to(target)
    (out / "runs.parquet").unlink()
    (out / "runs.parquet").symlink_to(target)

    batch(spec, out, figures=True)
    assert target.read_bytes() == b"precious"
    assert not figure.is_symlink() and figure.stat().st_size > 10_000
    assert not (out / "runs.parquet").is_symlink() and len(pd.read_parquet(out / "runs.parquet")) == 2

    # --fresh removes a link the batch recorded as its file, never the link's target
    figure.unlink()
    figure.symlink_to(target)
    batch(spec, out, fresh=True)
    assert not figure.exists() and not figure.is_symlink() and target.read_bytes() == b"precious"


def test_a_folder_that_only_looks_like_a_batch_is_not_touched(tmp_path):
    """Without cxsim's marker a folder is not a batch's, however much it looks like one."""
    spec = write_spec(tmp_path, reps=1)
    out = tmp_path / "out"
    (out / "parts").mkdir(parents=True)
    (out / "manifest.json").write_text(json.dumps({"experiment": "my notebook"}))
    (out / "runs.parquet").write_text("mine")
    (out / "compare.md").write_text("mine")
    (out / "parts" / "outputs.json").write_text("{}")
    (out / "parts" / "drawing.txt").write_text("mine")
    before = {p: p.read_text() for p in out.rglob("*") if p.is_file()}
    for fresh in (False, True):
        with pytest.raises(InputError, match="not a cxsim batch result"):
            batch(spec, out, fresh=fresh)
    assert {p: p.read_text() for p in out.rglob("*") if p.is_file()} == before


def test_fresh_keeps_what_a_user_put_in_parts(tmp_path):
    spec = write_spec(tmp_path, reps=1)
    out = tmp_path / "out"
    batch(spec, out)
    (out / "parts" / "drawing.txt").write_text("mine")
    batch(spec, out, fresh=True)
    assert (out / "parts" / "drawing.txt").read_text() == "mine"
    assert len(list((out / "parts").glob("runs-*.parquet"))) >= 1  # the fresh batch saved its own


def test_a_batch_never_writes_into_a_folder_it_does_not_own(tmp_path):
    spec = write_spec(tmp_path, reps=1)
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("keep")
    with pytest.raises(InputError, match="not a cxsim batch result"):
        batch(spec, foreign, fresh=True)
    assert [p.name for p in foreign.iterdir()] == ["notes.txt"]

    run_folder = tmp_path / "run"
    run_folder.mkdir()
    (run_folder / MARKER).write_text(json.dumps({"kind": "run", "files": ["summary.json"]}))
    (run_folder / "summary.json").write_text("{}")
    with pytest.raises(InputError, match="not a cxsim batch result"):
        batch(spec, run_folder)

    # a file the batch would write, but did not write, is in the way
    out = tmp_path / "out"
    batch(spec, out)
    marker = json.loads((out / MARKER).read_text())
    marker["files"].remove("manifest.json")
    (out / MARKER).write_text(json.dumps(marker))
    with pytest.raises(InputError, match=r"manifest\.json: a file cxsim did not write is in the way"):
        batch(spec, out)


def test_two_batches_never_write_in_one_folder_at_once(tmp_path):
    fcntl = pytest.importorskip("fcntl")
    spec = write_spec(tmp_path, reps=1)
    out = tmp_path / "out"
    batch(spec, out)
    fd = os.open(out, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # as a running batch holds it
        with pytest.raises(InputError, match="another cxsim process is writing in this folder"):
            batch(spec, out, fresh=True)
    finally:
        os.close(fd)
    assert saved_runs(out) == 2  # --fresh did not get to remove anything
    assert batch(spec, out).reused == 2


def test_a_damaged_saved_part_is_one_line(tmp_path):
    spec = write_spec(tmp_path, reps=1)
    out = tmp_path / "out"
    batch(spec, out)
    part = next((out / "parts").glob("runs-*.parquet"))
    part.write_bytes(b"not parquet")
    with pytest.raises(InputError, match="damaged saved runs"):
        batch(spec, out)
    part.unlink()
    assert batch(spec, out).computed == 1


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_ctrl_c_on_a_pool_batch_ends_the_workers_and_keeps_the_saved_runs(tmp_path):
    spec = write_spec(tmp_path, reps=10)
    out = tmp_path / "out"
    proc = start_batch(spec, out, "--workers", "2")
    wait_for_parts(out, proc)
    children = children_of(proc.pid)
    t0 = time.perf_counter()
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 130 and "Traceback" not in stderr, stderr
    assert time.perf_counter() - t0 < 10  # at once, not after the remaining runs
    assert still_alive(children, within=5) == []
    assert saved_runs(out) > 0
