"""Tests for agents/interest.py: a saver's interest in each alternative, by hand-worked cases."""

from __future__ import annotations

import numpy as np
import pytest
from alt401k.agents.interest import CRYPTO, DISCLOSURE_INTEREST_FACTOR, interest_in_alternatives
from alt401k.base.assets import ALTERNATIVES

BY_AGE = np.array([0.14, 0.15, 0.10, 0.03])  # Fed SHED 2022: 18-29, 30-44, 45-59, 60+
EDGES = np.array([30_000.0, 50_000.0, 80_000.0, 120_000.0])  # this year's income quintile edges


def _interest(age: float = 40.0, salary: float = 60_000.0, literacy: float = 0.5, peer: float = 0.0,
              coworkers: float = 0.0, crash: float = 1.0, disclosure: bool = False) -> np.ndarray:
    out = np.empty(len(ALTERNATIVES))
    interest_in_alternatives(literacy, age, salary, peer, np.full(len(ALTERNATIVES), coworkers), 0.15, BY_AGE, 0.5,
                             1.0, EDGES, crash, disclosure, out)
    return out


def test_crypto_interest_falls_with_age_and_rises_with_income() -> None:
    # The middle quintile (2: $50k-80k) is the base: the age bands' rates themselves, the
    # lower edge of each band inside it.
    assert [_interest(age=a)[CRYPTO] for a in (25.0, 30.0, 50.0, 65.0)] == pytest.approx(list(BY_AGE))
    # Slope 0.5: x0.5 in the bottom quintile, x1.5 in the top (a salary on an edge is above it).
    assert _interest(age=25.0, salary=20_000.0)[CRYPTO] == pytest.approx(0.07)
    assert _interest(age=25.0, salary=120_000.0)[CRYPTO] == pytest.approx(0.21)
    # After a deep crypto drawdown, interest falls by the crash factor (40%: 0.14 -> 0.084).
    assert _interest(age=25.0, crash=0.6)[CRYPTO] == pytest.approx(0.084)


def test_other_classes_follow_literacy_coworkers_and_disclosure() -> None:
    # 0.15 x (0.5 + literacy): 0.15 at literacy 0.5; coworkers holding the class (40%) with
    # peer sensitivity 1 and weight 1 raise it by 40%; enhanced disclosure cuts it by 30%.
    others = [k for k in range(len(ALTERNATIVES)) if k != CRYPTO]
    assert _interest()[others] == pytest.approx(0.15)
    assert _interest(literacy=1.0)[others] == pytest.approx(0.225)
    assert _interest(peer=1.0, coworkers=0.4)[others] == pytest.approx(0.21)
    assert _interest(disclosure=True)[others] == pytest.approx(0.15 * DISCLOSURE_INTEREST_FACTOR)
    # Interest is a probability: strong peer effects are clipped at 1.
    assert (_interest(peer=50.0, coworkers=1.0) == 1.0).all()
