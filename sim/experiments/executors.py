"""Executors: where a batch's runs are computed — in this process, a local process pool, or a Dask cluster.

Every batch goes through one ``concurrent.futures.Executor`` seam; only the executor differs.
Pool workers die with the batch that started them (a parent-death signal, with a watchdog where
the system has none); a Dask scheduler is probed before use, so a wrong address fails fast, and
a cluster left without live workers is noticed by the batch (``live_workers``).
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

from sim.errors import InputError

#: how long a Dask batch waits without a single live worker before it stops (seconds)
WORKER_TIMEOUT = 180.0
#: how long reaching a Dask scheduler may take (seconds)
CONNECT_TIMEOUT = 5.0


class SerialExecutor(Executor):
    """Runs each submitted call at once, in this process (``--workers 1``).

    Only exceptions become the future's result: Ctrl-C (KeyboardInterrupt) goes straight up
    to the batch, which stops at once and keeps the chunks saved so far.
    """

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future:
        future: Future = Future()
        try:
            result = fn(*args, **kwargs)
        except Exception as exc:
            future.set_exception(exc)
        else:
            future.set_result(result)
        return future


@dataclass
class Backend:
    """An executor and what the batch loop needs to know about it."""

    executor: Executor
    name: str
    #: chunks submitted ahead of the finished ones (None: all at once); 1 for the serial
    #: executor, so that each chunk is saved as soon as it is computed
    window: int | None = None
    #: the number of live workers (Dask), to stop a batch that no worker can run
    live_workers: Callable[[], int] | None = None


@contextlib.contextmanager
def make_executor(workers: int | None = None, scheduler: str | None = None) -> Iterator[Backend]:
    """The executor seam: serial, a local process pool, or an existing Dask cluster."""
    if scheduler:
        client = connect(scheduler)
        try:
            yield Backend(client.get_executor(pure=False), f"dask {scheduler}", None, _live_workers(client))
        finally:
            _close_client(client)
    elif workers == 1:
        yield Backend(SerialExecutor(), "serial", window=1)
    else:
        n = workers or os.cpu_count() or 1
        ctx = multiprocessing.get_context("spawn")
        pool = ProcessPoolExecutor(max_workers=n, mp_context=ctx, initializer=_worker_start, initargs=(os.getpid(),))
        try:
            _start_ignoring_ctrl_c(pool, n)
            yield Backend(pool, f"process pool ({n} workers)", window=4 * n)
        except BaseException:
            _stop_workers(pool)  # Ctrl-C, a write error: do not wait for the running chunks
            raise
        finally:
            pool.shutdown(wait=True, cancel_futures=True)


def _start_ignoring_ctrl_c(pool: ProcessPoolExecutor, n: int) -> None:
    """Start the pool's workers now, with Ctrl-C ignored from their birth.

    A worker inherits the ignored SIGINT and never installs Python's KeyboardInterrupt handler,
    so a Ctrl-C while workers start cannot make one print half a traceback before the batch stops
    it; the batch itself handles the interruption.
    """
    if threading.current_thread() is not threading.main_thread():
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        list(pool.map(_ready, range(n)))
    finally:
        signal.signal(signal.SIGINT, previous)


def _ready(_: int) -> None:
    """A no-op task: submitting it starts a worker."""


def _stop_workers(pool: ProcessPoolExecutor) -> None:
    for process in list((getattr(pool, "_processes", None) or {}).values()):
        with contextlib.suppress(Exception):
            process.kill()


#: Linux prctl option: the signal a process gets when its parent dies
_PR_SET_PDEATHSIG = 1


def _worker_start(parent: int) -> None:
    """A pool worker dies with the batch that started it, and leaves Ctrl-C to the batch.

    On Linux the kernel kills the worker when the batch process dies (``PR_SET_PDEATHSIG``);
    elsewhere a watchdog thread checks the parent once a second.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    linked = False
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            linked = libc.prctl(_PR_SET_PDEATHSIG, ctypes.c_ulong(signal.SIGKILL), *[ctypes.c_ulong(0)] * 3) == 0
    if os.getppid() != parent:  # the batch died before the link above existed
        os._exit(1)
    if not linked:
        threading.Thread(target=_watch_parent, args=(parent,), daemon=True, name="cxsim-parent-watch").start()


def _watch_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(1.0)
    os._exit(1)


def connect(scheduler: str, timeout: float = CONNECT_TIMEOUT) -> Any:
    """A Dask client for ``scheduler``; an unreachable address is a one-line input error.

    A refused TCP connection fails at once (Dask itself would retry until its timeout), and a
    client that cannot connect is shut down here, so nothing waits or prints at exit.
    """

    def unreachable(reason: str) -> InputError:
        reason = reason.splitlines()[0] if reason.strip() else "no answer"
        return InputError("--scheduler", None, scheduler, f"cannot reach a Dask scheduler there ({reason[:120]})")

    try:
        _probe(scheduler, timeout)
    except (OSError, ValueError) as exc:
        raise unreachable(str(exc) or type(exc).__name__) from None
    try:
        return _client_class()(scheduler, timeout=f"{timeout}s", set_as_default=False)
    except Exception as exc:  # a Dask handshake with something else fails in many ways
        raise unreachable(f"{type(exc).__name__}: {exc}" if not isinstance(exc, OSError) else str(exc)) from None


def _probe(scheduler: str, timeout: float) -> None:
    """Fail fast unless a Dask server answers at ``scheduler``.

    A plain TCP connection first (a refusal is immediate; Dask would retry until its timeout),
    then Dask's handshake within ``timeout`` (Dask waits for the handshake without a limit,
    so a server that accepts and never answers would hang the batch). The handshake runs in a
    thread of its own, so that a caller with a running event loop (a notebook) is not in the way.
    """
    from distributed.comm.addressing import parse_address, parse_host_port

    scheme, location = parse_address(scheduler)
    if scheme in ("tcp", "tls"):
        host, port = parse_host_port(location, default_port=8786)
        if not host:
            raise ValueError("no host in the address")
        socket.create_connection((host, port), timeout=timeout).close()
    outcome: list[BaseException | None] = []

    def handshake() -> None:
        import asyncio

        from distributed.comm import connect as dask_connect

        async def shake() -> None:
            comm = await dask_connect(scheduler, timeout=timeout)
            await comm.close()

        try:
            asyncio.run(asyncio.wait_for(shake(), timeout))
            outcome.append(None)
        except BaseException as exc:  # reported to the caller below
            outcome.append(exc)

    probe = threading.Thread(target=handshake, daemon=True, name="cxsim-dask-probe")
    probe.start()
    probe.join(timeout + 2)
    if not outcome:
        raise TimeoutError(f"no answer within {timeout:g} s")
    if isinstance(outcome[0], TimeoutError):
        raise TimeoutError(f"no Dask handshake within {timeout:g} s")
    exc = outcome[0]
    if isinstance(exc, OSError | ValueError):  # ValueError: an address Dask cannot use
        raise exc
    if exc is not None:
        raise OSError(f"a server answers there, but not as a Dask scheduler ({type(exc).__name__})")


_CLIENT: type | None = None


def _client_class() -> type:
    """``distributed.Client`` that closes itself when it fails to start (imported on first use)."""
    global _CLIENT
    if _CLIENT is None:
        from distributed import Client

        class _Client(Client):
            def start(self, **kwargs: Any) -> None:
                try:
                    super().start(**kwargs)
                except BaseException:
                    _close_client(self)
                    raise

        _CLIENT = _Client
    return _CLIENT


def _close_client(client: Any) -> None:
    """Close a Dask client within a few seconds; one that cannot close is marked closed."""
    with contextlib.suppress(Exception):
        client.close(timeout=3)
    if getattr(client, "status", "closed") != "closed":
        with contextlib.suppress(Exception):
            client.status = "closed"  # so that its finaliser does not try again at exit
            client._loop_runner.stop()


def _live_workers(client: Any) -> Callable[[], int]:
    def count() -> int:
        try:
            return len(client.nthreads(callback_timeout=CONNECT_TIMEOUT))
        except Exception:  # the scheduler is gone or does not answer: no worker either
            return 0

    return count


def check_scheduler(scheduler: str) -> None:
    """Fail before any run starts if the scheduler cannot be reached."""
    _close_client(connect(scheduler))
