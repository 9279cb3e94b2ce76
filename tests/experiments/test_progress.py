"""Tests for experiments/progress.py: a bar on a terminal, nothing but the plan line in pipes."""

from __future__ import annotations

import pytest
from alt401k.experiments import progress


def test_bar_is_silent_when_stderr_is_not_a_terminal(capsys: pytest.CaptureFixture[str]) -> None:
    with progress.bar(5, "replications", "run") as bar:
        for _ in range(5):
            bar.update(1)
    assert capsys.readouterr().err == ""


def test_bar_shows_phase_and_count_on_a_terminal(monkeypatch: pytest.MonkeyPatch, fake_terminal) -> None:
    terminal = fake_terminal
    monkeypatch.setattr("sys.stderr", terminal)
    with progress.bar(5, "replications", "run") as bar:
        bar.update(2)
    assert "replications:" in terminal.text and "/5" in terminal.text


def test_bar_can_be_turned_off_even_on_a_terminal(monkeypatch: pytest.MonkeyPatch, fake_terminal) -> None:
    terminal = fake_terminal
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


def test_plan_line_mentions_the_compile_only_without_numbas_cache(tmp_path, monkeypatch) -> None:
    import importlib.util
    from types import SimpleNamespace

    from alt401k.experiments import cli
    from alt401k.model.config import RunConfig

    real = importlib.util.find_spec
    monkeypatch.delenv("NUMBA_CACHE_DIR", raising=False)
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: SimpleNamespace(
        submodule_search_locations=[str(tmp_path)]) if name == "alt401k.agents" else real(name))
    if real("numba") is None:
        pytest.skip("numba is not installed: nothing to compile")
    config = RunConfig(n_savers=2_000, n_sponsors=100, years=2)
    assert "one-time compile" in cli.run_plan("eo-14330", config, None)
    (tmp_path / "__pycache__").mkdir()
    (tmp_path / "__pycache__" / "kernels._row_kernel-1.py311.nbi").write_bytes(b"")
    line = cli.run_plan("eo-14330", config, None)
    assert line.startswith("running eo-14330: 2,000 savers, 100 plans, 24 months, seed 20250807; about ")
    assert "compile" not in line
