"""`alt401k validate` says up front what it will run and how long, and shows a bar over the
validation runs on a terminal only (issue #25, item 3)."""

from __future__ import annotations

import io

import pytest
from alt401k.experiments import progress
from alt401k.experiments import validate as validate_mod
from alt401k.experiments.validation import experiments as experiments_mod
from alt401k.experiments.validation import run_experiments
from alt401k.model.config import RunConfig


def test_the_plan_line_names_targets_experiments_replications_and_time() -> None:
    targets = [t for t in validate_mod.load_targets() if t.experiment == "market_t0"]
    line = validate_mod.validation_plan(targets, "fast", 1)
    assert line.startswith(f"validating {len(targets)} targets: 1 experiments x 4 replications (fast samples, 1 worker)")
    assert "about 5 s" in line  # one of eight experiments of a 15 s run: the 5 s floor


def fake_experiment(config: RunConfig, seed: object, size: str) -> dict[str, float]:
    return {"x": 1.0}


@pytest.mark.parametrize("terminal", [False, True])
def test_a_bar_counts_validation_runs_on_a_terminal_only(monkeypatch: pytest.MonkeyPatch, terminal: bool) -> None:
    stream = io.StringIO()
    monkeypatch.setattr(progress.sys, "stderr", stream)
    monkeypatch.setattr(progress, "is_terminal", lambda *_: terminal)
    monkeypatch.setitem(experiments_mod.EXPERIMENTS, "fake", fake_experiment)
    out = run_experiments(["fake"], RunConfig(), "fast", replications=3)
    assert out == {"fake": [{"x": 1.0}] * 3}
    shown = stream.getvalue()
    assert ("validation runs" in shown and "/3" in shown) == terminal
    assert (shown == "") == (not terminal)
