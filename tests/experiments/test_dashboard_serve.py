"""`alt401k dashboard` as a process: a signal stops the whole server, and the page says alt401k.

Each test starts the real command (`solara run` as its child) on a free loopback port, so it
needs the ``dashboard`` extra and is skipped without it. Linux only (children are found in
/proc).
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from alt401k.experiments.dashboard import serve

pytestmark = [
    pytest.mark.skipif(importlib.util.find_spec("solara") is None, reason="dashboard extra not installed"),
    pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc"),
]

START_TIMEOUT_S = 120.0
STOP_TIMEOUT_S = 30.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(1.0)
        return s.connect_ex(("127.0.0.1", port)) == 0


def _children(pid: int) -> list[int]:
    """Pids whose parent is `pid` (from /proc/*/stat; the command name may hold spaces)."""
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[1]) == pid:
            out.append(int(stat.parent.name))
    return out


def _alive(pid: int) -> bool:
    """Whether `pid` exists and is not a zombie."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def _wait_until(condition, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return condition()


def _kill(proc: subprocess.Popen, children: list[int]) -> None:
    """Teardown: SIGKILL `proc`, its `children` (found while it ran: an orphan has another
    parent) and their process groups (they lead their own)."""
    for pid in {*children, *_children(proc.pid)}:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGKILL)
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    proc.kill()
    proc.wait()
    proc.stderr.close()


@pytest.fixture
def dashboard() -> Iterator[tuple[subprocess.Popen, int]]:
    """`alt401k dashboard --port PORT` serving; killed (with any children) at teardown."""
    port = _free_port()
    children: list[int] = []
    proc = subprocess.Popen(
        [sys.executable, "-m", "alt401k.experiments.cli", "dashboard", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        if not _wait_until(lambda: _port_open(port) or proc.poll() is not None, START_TIMEOUT_S) or proc.poll() is not None:
            pytest.fail(f"dashboard did not start (exit {proc.poll()}): {proc.stderr.read().decode()[-2000:] if proc.poll() is not None else ''}")
        children = _children(proc.pid)
        yield proc, port
    finally:
        _kill(proc, children)


def test_sigterm_stops_the_server_and_frees_the_port(dashboard):
    _stop_and_check(dashboard, signal.SIGTERM)


def _stop_and_check(dashboard: tuple[subprocess.Popen, int], signum: int) -> None:
    """Send `signum` to the command only (not its group): the server and the port go too."""
    proc, port = dashboard
    children = _children(proc.pid)
    children += [g for c in children for g in _children(c)]
    assert children, "the dashboard serves through a `solara run` child"
    proc.send_signal(signum)
    proc.wait(timeout=STOP_TIMEOUT_S)
    assert _wait_until(lambda: not any(_alive(pid) for pid in children), 5.0), "the server child outlived its parent"
    assert _wait_until(lambda: not _port_open(port), 5.0), f"port {port} still served"
    assert proc.returncode == 0


def test_the_page_title_names_alt401k(dashboard):
    _, port = dashboard
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=30) as response:
        page = response.read().decode()
    title = page.split("<title>", 1)[1].split("</title>", 1)[0].strip()
    assert "alt401k" in title and "Solara" not in title
    assert title == serve.PAGE_TITLE


STAND_IN = """
import sys
from alt401k.experiments.dashboard.serve import run_server
port = sys.argv[1]
# A shell child serving through a grandchild: only a stop of the whole group frees the port.
sys.exit(run_server(["sh", "-c", f"{sys.executable} -m http.server --bind 127.0.0.1 {port} & wait"]))
"""


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_run_server_stops_the_whole_process_group(signum):
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-c", STAND_IN, str(port)], stderr=subprocess.PIPE)
    children: list[int] = []
    try:
        assert _wait_until(lambda: _port_open(port), 30.0), proc.stderr.read().decode() if proc.poll() is not None else "no server"
        children = _children(proc.pid)
        _stop_and_check((proc, port), signum)
    finally:
        _kill(proc, children)
