"""Start the dashboard's web server (`alt401k dashboard`); imports Solara only in the child process.

The server binds to 127.0.0.1 unless told otherwise: the page runs models on the host's
CPUs and writes uploaded files to a temporary folder, so exposing it to a network is a
choice the user must make knowingly (a warning is printed for any non-loopback address).

`solara run` is started in a process group of its own, and SIGTERM or SIGINT (Ctrl-C) to
`alt401k dashboard` stops that whole group and waits for it: a service manager or `kill`
that stops the command must not leave the server behind, holding the port.
"""

from __future__ import annotations

import contextlib
import importlib.util
import ipaddress
import os
import signal
import subprocess
import sys
from collections.abc import Sequence
from types import FrameType

from alt401k.model.errors import InputError

APP_MODULE = "alt401k.experiments.dashboard.app"
PAGE_TITLE = "alt401k dashboard"
"""The browser tab's title: in the served HTML (Solara's theme setting) and set by the page."""
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)
STOP_GRACE_S = 10.0
"""Seconds the server has to exit after SIGTERM before its process group is killed."""
INSTALL_HINT = "the dashboard needs the optional extra: pip install -c constraints.txt '.[dashboard]' (or `make dashboard`)"


def is_loopback(host: str) -> bool:
    """Whether `host` names this machine only (127.0.0.0/8, ::1 or 'localhost')."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def server_command(host: str, port: int) -> list[str]:
    """The `solara run` command line for the dashboard (production mode, no browser opened)."""
    return [
        sys.executable,
        "-m",
        "solara",
        "run",
        APP_MODULE,
        "--host",
        host,
        "--port",
        str(port),
        "--production",
        "--no-open",
    ]


def server_env() -> dict[str, str]:
    """Environment for the server: the current one with Solara's usage telemetry off and
    the page title (without it, the served HTML is titled "Solara ☀️" until the page loads)."""
    return {**os.environ, "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False", "SOLARA_THEME_TITLE": PAGE_TITLE}


def stop_group(proc: subprocess.Popen[bytes], grace_s: float = STOP_GRACE_S) -> int:
    """SIGTERM the process group led by `proc`, SIGKILL it after `grace_s`; return its status."""
    for signum, timeout in ((signal.SIGTERM, grace_s), (signal.SIGKILL, None)):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signum)
        try:
            return proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            continue
    return proc.wait()


def run_server(command: Sequence[str], env: dict[str, str] | None = None, poll_s: float = 0.2) -> int:
    """Run `command` as the leader of a new process group until it exits or a stop signal
    (SIGTERM, SIGINT) arrives; on a signal stop the whole group, wait for it and return 0.

    Otherwise return the server's own exit status. The handlers only note the signal (one
    that arrives while the child is being started is not lost); the previous handlers are
    restored on return.
    """
    requested: list[int] = []

    def note(signum: int, frame: FrameType | None) -> None:
        requested.append(signum)

    previous = {s: signal.signal(s, note) for s in STOP_SIGNALS}
    proc = None
    try:
        proc = subprocess.Popen(list(command), env=env, start_new_session=True)
        while not requested:
            try:
                return proc.wait(timeout=poll_s)
            except subprocess.TimeoutExpired:
                continue
        return 0
    finally:
        if proc is not None and proc.poll() is None:
            stop_group(proc)
        for s, handler in previous.items():
            signal.signal(s, handler)


def serve(host: str = "127.0.0.1", port: int = 8765, extra_args: Sequence[str] = ()) -> int:
    """Run the dashboard server in the foreground until interrupted; return its exit status.

    Raises
    ------
    InputError
        If Solara is not installed or the port is out of range.
    """
    if importlib.util.find_spec("solara") is None:
        raise InputError("dashboard", "", INSTALL_HINT)
    if not 0 <= port <= 65535:
        raise InputError("--port", str(port), "must be in [0, 65535]")
    if not is_loopback(host):
        print(
            f"alt401k: warning: serving the dashboard on {host}, not loopback: anyone who can "
            "reach this address can run models on this machine and upload files to it",
            file=sys.stderr,
        )
    print(f"alt401k dashboard on http://{host}:{port}/ (Ctrl-C stops it)", flush=True)
    return run_server([*server_command(host, port), *extra_args], server_env())


__all__ = ["APP_MODULE", "PAGE_TITLE", "is_loopback", "run_server", "serve", "server_command", "stop_group"]
