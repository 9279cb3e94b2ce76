"""Start the dashboard's web server (`alt401k dashboard`); imports Solara only in the child process.

The server binds to 127.0.0.1 unless told otherwise: the page runs models on the host's
CPUs and writes uploaded files to a temporary folder, so exposing it to a network is a
choice the user must make knowingly (a warning is printed for any non-loopback address).
"""

from __future__ import annotations

import importlib.util
import ipaddress
import os
import subprocess
import sys
from collections.abc import Sequence

from alt401k.model.errors import InputError

APP_MODULE = "alt401k.experiments.dashboard.app"
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
    """Environment for the server: the current one with Solara's usage telemetry off."""
    return {**os.environ, "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False"}


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
    try:
        return subprocess.call([*server_command(host, port), *extra_args], env=server_env())
    except KeyboardInterrupt:
        return 0


__all__ = ["APP_MODULE", "is_loopback", "serve", "server_command"]
