"""Golden summary outputs of every bundled scenario (issue #24): a change that moves any
result must be published on purpose (`python -m alt401k.experiments.golden --write`) with
a CHANGELOG entry saying what moved and why. A regression guard: whether the numbers are
right is checked by `alt401k validate` and the hand-worked and property tests."""

from __future__ import annotations

import pytest
from alt401k.experiments import golden
from alt401k.model.policy import list_scenarios

COMMITTED = golden.load()


def test_every_bundled_scenario_has_golden_numbers_from_the_stated_run() -> None:
    assert sorted(COMMITTED) == sorted(name for name, _ in list_scenarios())
    import json

    assert json.loads(golden.GOLDEN_PATH.read_text())["run"] == golden.RUN


@pytest.mark.parametrize("scenario", sorted(COMMITTED))
def test_a_scenarios_summary_is_its_golden_numbers(scenario: str) -> None:
    got = golden.summarise(scenario)
    expected = COMMITTED[scenario]
    assert sorted(got) == sorted(expected)
    moved = {k: (expected[k], got[k]) for k in expected
             if got[k] != pytest.approx(expected[k], rel=golden.RELATIVE_TOLERANCE, abs=golden.ABSOLUTE_TOLERANCE)}
    assert not moved, (f"{scenario}: results moved {moved}; if on purpose, publish with "
                       "`python -m alt401k.experiments.golden --write` and say why in CHANGELOG.md")
