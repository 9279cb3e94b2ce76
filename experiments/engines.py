"""Execution engines for sweeps: joblib on local processes, or on a Dask cluster.

docs/sweeps.md; named after the EMA workbench's evaluators: each engine is a context manager
with one method, `imap(fn, tasks)`, yielding `fn(task)` results as runs finish (any
order). Moving from local processes to a cluster changes the engine, not the sweep code,
and the model never imports joblib or Dask. Results should be small (status dicts): each
run writes its own data in the worker.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import threading
from collections.abc import Callable, Iterable, Iterator
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

from ..model.errors import InputError

SCHEDULER_TIMEOUT_S = 5.0
"""How long `check_scheduler` waits for a Dask scheduler to accept a connection."""


class LocalEngine:
    """joblib's loky process pool on this machine; ``n_jobs=1`` runs in this process.

    Parameters
    ----------
    n_jobs
        Worker processes; None or -1 means every core.
    """

    name = "local"

    def __init__(self, n_jobs: int | None = None) -> None:
        self.n_jobs = -1 if n_jobs is None else n_jobs

    def __enter__(self) -> LocalEngine:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        return None

    @property
    def workers(self) -> int:
        """Number of runs in flight at once."""
        return (os.cpu_count() or 1) if self.n_jobs == -1 else self.n_jobs

    def imap(self, fn: Callable[[Any], Any], tasks: Iterable[Any]) -> Iterator[Any]:
        """Yield ``fn(task)`` for every task, in completion order."""
        import joblib

        parallel = joblib.Parallel(n_jobs=self.n_jobs, backend="loky", return_as="generator_unordered")
        yield from parallel(joblib.delayed(fn)(t) for t in tasks)


class DaskEngine:
    """joblib's "dask" backend on a `dask.distributed` Client.

    Connects to `scheduler` (``tcp://host:8786``) or, without one, starts a LocalCluster of
    `n_jobs` single-threaded worker processes bound to 127.0.0.1 with no dashboard, so
    nothing listens beyond loopback.
    """

    name = "dask"

    def __init__(self, n_jobs: int | None = None, scheduler: str | None = None) -> None:
        self.n_jobs = n_jobs if n_jobs and n_jobs > 0 else (os.cpu_count() or 1)
        self.scheduler = scheduler
        self.client: Any = None
        self.cluster: Any = None

    def __enter__(self) -> DaskEngine:
        from distributed import Client, LocalCluster

        if self.scheduler:
            self.client = Client(self.scheduler)
        else:
            # Workers started while Ctrl-C is ignored inherit that: Ctrl-C then reaches only
            # this process, which closes the cluster, instead of every worker printing a traceback.
            with sigint_ignored(), quiet_cancelled_tasks():
                self.cluster = LocalCluster(n_workers=self.n_jobs, threads_per_worker=1, processes=True,
                                            host="127.0.0.1", dashboard_address=None)
            self.client = Client(self.cluster)
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self.client is not None:
            self.client.close()
        if self.cluster is not None:
            self.cluster.close()

    @property
    def workers(self) -> int:
        """Threads across the cluster's workers (runs in flight at once)."""
        if self.client is None:
            return self.n_jobs
        return sum(w["nthreads"] for w in self.client.scheduler_info()["workers"].values()) or 1

    def imap(self, fn: Callable[[Any], Any], tasks: Iterable[Any]) -> Iterator[Any]:
        """Yield ``fn(task)`` for every task, in completion order."""
        import joblib

        with joblib.parallel_config(backend="dask"):
            parallel = joblib.Parallel(n_jobs=-1, return_as="generator_unordered")
            yield from parallel(joblib.delayed(fn)(t) for t in tasks)


@contextlib.contextmanager
def sigint_ignored() -> Iterator[None]:
    """Ignore SIGINT (Ctrl-C) in this process for the duration; child processes started
    meanwhile keep ignoring it. Does nothing outside the main thread (signals are main's)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


@contextlib.contextmanager
def quiet_cancelled_tasks() -> Iterator[None]:
    """Workers started meanwhile log their task-cancellation notices (when a sweep stops
    early, e.g. on Ctrl-C) only at error level; their other messages are unchanged. A
    user's own ``DASK_LOGGING`` is left as it is."""
    key = "DASK_LOGGING"
    if key in os.environ:
        yield
        return
    os.environ[key] = repr({"distributed.worker.state_machine": "error"})
    try:
        yield
    finally:
        os.environ.pop(key, None)


def check_scheduler(address: str, timeout_s: float = SCHEDULER_TIMEOUT_S) -> None:
    """Raise `InputError` naming ``--scheduler`` unless a TCP connection to `address` opens
    within `timeout_s` seconds.

    dask's own client waits 30 s and then raises a long traceback; this check answers in
    seconds with one line, before the sweep directory is touched. Addresses are
    ``tcp://HOST:PORT`` (``tls://`` too) or ``HOST:PORT``; other schemes (``ucx://``,
    ``inproc://``) are left to dask.
    """
    parts = urlsplit(address if "://" in address else f"tcp://{address}")
    if parts.scheme not in ("tcp", "tls"):
        return
    try:
        host, port = parts.hostname, parts.port
    except ValueError:
        host, port = None, None
    if not host or port is None:
        raise InputError("--scheduler", address, "expected tcp://HOST:PORT, e.g. tcp://10.0.0.5:8786")
    try:
        socket.create_connection((host, port), timeout=timeout_s).close()
    except OSError as err:
        reason = "timed out" if isinstance(err, TimeoutError) else (err.strerror or str(err))
        raise InputError("--scheduler", address, f"no Dask scheduler reachable there ({reason}); "
                         "start one (dask scheduler) or leave --scheduler out for a local cluster") from None


def make_engine(engine: str, n_jobs: int | None = None, scheduler: str | None = None) -> LocalEngine | DaskEngine:
    """The engine named `engine` ("local" or "dask")."""
    if engine == "dask":
        return DaskEngine(n_jobs, scheduler)
    return LocalEngine(n_jobs)


__all__ = ["DaskEngine", "LocalEngine", "check_scheduler", "make_engine"]
