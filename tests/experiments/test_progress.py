"""Tests for experiments/progress.py: a bar on a terminal, nothing but the plan line in pipes."""

from __future__ import annotations

import pytest
from alt401k.experiments import progress


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


def test_bar_is_silent_when_stderr_is_not_a_terminal(capsys: pytest.CaptureFixture[str]) -> None:
    with progress.bar(5, "replications", "run") as bar:
        for _ in range(5):
            bar.update(1)
    assert capsys.readouterr().err == ""


def test_bar_shows_phase_and_count_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    terminal = FakeTerminal()
    monkeypatch.setattr("sys.stderr", terminal)
    with progress.bar(5, "replications", "run") as bar:
        bar.update(2)
    assert "replications:" in terminal.text and "/5" in terminal.text


def test_bar_can_be_turned_off_even_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    terminal = FakeTerminal()
    monkeypatch.setattr("sys.stderr", terminal)
    with progress.bar(5, "replications", "run", enabled=False) as bar:
        bar.update(5)
    assert terminal.text == ""


def test_plan_line_is_printed_in_pipes_too(capsys: pytest.CaptureFixture[str]) -> None:
    progress.plan("validating 3 targets; about 2 min")
    assert capsys.readouterr().err == "validating 3 targets; about 2 min\n"


@pytest.mark.parametrize(("seconds", "text"), [(0.2, "1 s"), (40, "40 s"), (200, "3 min"), (9000, "2.5 h")])
def test_duration_is_rough_and_readable(seconds: float, text: str) -> None:
    assert progress.duration(seconds) == text


def test_run_estimate_grows_with_savers_plans_and_months() -> None:
    small = progress.run_seconds(2_000, 100, 24)
    assert progress.run_seconds(100_000, 100, 24) > small
    assert progress.run_seconds(2_000, 1_200, 24) > small
    assert progress.run_seconds(2_000, 100, 360) > small
    assert progress.run_seconds(2_000, 100, 24, startup=False) < small
