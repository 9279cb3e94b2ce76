"""Settings for the whole test session.

`make test` runs the suite in two pytest-xdist processes on a 2-core machine, each with
numba's threads on every core. numba's OpenMP layer leaves its threads spinning after each
parallel pass (libgomp's default wait policy), so one process's idle threads held the
cores the other needed: the suite took 4-6 minutes instead of about one. A passive wait
policy puts them to sleep instead. No result depends on it (nor on the number of threads:
tests/model/test_jit_equivalence.py); a single model run is faster with the default
policy, which `alt401k` leaves as it is. Set OMP_WAIT_POLICY to override.
"""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


@pytest.fixture
def fake_terminal() -> FakeTerminal:
    """A fresh `FakeTerminal`, for tests of what long commands show on a terminal."""
    return FakeTerminal()


class FakeTerminal:
    """A standard error that says it is a terminal and keeps what is written."""

    def __init__(self) -> None:
        self.text = ""

    def write(self, text: str) -> int:
        self.text += text
        return len(text)

    def flush(self) -> None:
        return None

    def isatty(self) -> bool:
        return True
