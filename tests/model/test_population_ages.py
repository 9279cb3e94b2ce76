"""Ages and planned retirement ages of participants (ODD §5.1, §7.6 retirement).

The initial age profile must be the stationary profile of the retirement rule: within the
sixties the density follows the share of a cohort not yet retired, and a saver's planned age
is the cohort's, given that it has not retired. Then the first years of a run carry no wave
of retirements: the flow in year one equals the flow in year two, as in a steady state.
"""

from __future__ import annotations

import numpy as np
import pytest
from alt401k.model.config import RunConfig
from alt401k.model.population import (
    AGE_BAND_SHARES,
    AGE_BANDS,
    draw_ages,
    draw_retirement_age,
    not_yet_retired,
)
from hypothesis import given, settings
from hypothesis import strategies as st

N = 400_000


@pytest.fixture(scope="module")
def ages() -> np.ndarray:
    return draw_ages(N, np.random.default_rng(7), 62.0, 67.0)


def test_share_not_yet_retired_hand_worked() -> None:
    # Planned ages uniform on [62, 67]: nobody has retired before 62, half by 64.5, all by 67.
    got = not_yet_retired(np.array([40.0, 61.9, 62.0, 64.5, 66.0, 67.0, 69.0]), 62.0, 67.0)
    np.testing.assert_allclose(got, [1.0, 1.0, 1.0, 0.5, 0.2, 0.0, 0.0])
    # One planned age for all: a step.
    np.testing.assert_array_equal(not_yet_retired(np.array([64.9, 65.0]), 65.0, 65.0), [1.0, 0.0])


def test_band_shares_are_kept(ages: np.ndarray) -> None:
    counts = np.histogram(ages, bins=AGE_BANDS)[0]
    se = np.sqrt(AGE_BAND_SHARES * (1 - AGE_BAND_SHARES) / N)
    assert np.all(np.abs(counts / N - AGE_BAND_SHARES) < 5 * se)


def test_sixties_follow_the_share_not_yet_retired(ages: np.ndarray) -> None:
    # Density 1 on [60, 62), then linear to 0 at 67: the band's mass is 2 + 2.5 = 4.5 units;
    # [60, 62) holds 2/4.5, [62, 64.5) the trapezoid (1 + 0.5)/2 * 2.5 = 1.875/4.5, and
    # [64.5, 67) the triangle 0.625/4.5. Nobody is 67 or older.
    sixties = ages[ages >= 60.0]
    assert sixties.max() < 67.0
    share = np.histogram(sixties, bins=[60.0, 62.0, 64.5, 67.0])[0] / sixties.size
    expected = np.array([2.0, 1.875, 0.625]) / 4.5
    se = np.sqrt(expected * (1 - expected) / sixties.size)
    assert np.all(np.abs(share - expected) < 5 * se)
    # The fifties stay uniform.
    fifties = ages[(ages >= 50.0) & (ages < 60.0)]
    halves = np.histogram(fifties, bins=[50.0, 55.0, 60.0])[0] / fifties.size
    assert abs(halves[0] - 0.5) < 5 * np.sqrt(0.25 / fifties.size)


def test_planned_age_given_not_yet_retired() -> None:
    cfg = RunConfig()
    rng = np.random.default_rng(3)
    young = draw_retirement_age(np.full(100_000, 40.0), cfg, rng)
    assert young.min() >= 62.0 and young.max() <= 67.0
    assert abs(young.mean() - 64.5) < 5 * (5 / np.sqrt(12) / np.sqrt(young.size))
    at_65 = draw_retirement_age(np.full(100_000, 65.0), cfg, rng)
    assert at_65.min() >= 65.0 and at_65.max() <= 67.0  # uniform on [65, 67]: mean 66
    assert abs(at_65.mean() - 66.0) < 5 * (2 / np.sqrt(12) / np.sqrt(at_65.size))
    # Past the upper bound (only with other bounds than the profile's): retires next month.
    np.testing.assert_allclose(draw_retirement_age(np.array([68.0]), cfg, rng), [68.0 + 1.0 / 12.0])


def test_no_wave_of_retirements_at_the_start(ages: np.ndarray) -> None:
    """In a steady state every cohort reaching 60 retires between 62 and 67, so the flow a
    year is the density at 60-62 times one year: 1/4.5 of the sixties, in year one and in
    year two alike (everyone retiring within two years is in the sixties today). The rule
    before December 2026 retired everyone past the planned age within two years."""
    planned = draw_retirement_age(ages, RunConfig(), np.random.default_rng(11))
    wait = planned - ages
    sixties = (ages >= 60.0).sum()
    year_one, year_two = (wait < 1.0).sum() / sixties, ((wait >= 1.0) & (wait < 2.0)).sum() / sixties
    se = np.sqrt((1 / 4.5) * (1 - 1 / 4.5) / sixties)
    assert abs(year_one - 1 / 4.5) < 5 * se
    assert abs(year_two - 1 / 4.5) < 5 * se


@settings(max_examples=40, deadline=None)
@given(lo=st.floats(50.0, 75.0), width=st.floats(0.0, 10.0), seed=st.integers(0, 2**32 - 1))
def test_ages_and_planned_ages_are_consistent(lo: float, width: float, seed: int) -> None:
    """Whatever the bounds, the ages stay in the bands, and no planned age precedes the age."""
    hi = min(lo + width, 85.0)
    cfg = RunConfig().model_copy(update={"saver": RunConfig().saver.model_copy(
        update={"retirement_age_min": lo, "retirement_age_max": hi})})
    rng = np.random.default_rng(seed)
    age = draw_ages(2_000, rng, lo, hi)
    assert age.min() >= AGE_BANDS[0] and age.max() <= AGE_BANDS[-1]
    planned = draw_retirement_age(age, cfg, rng)
    assert np.all(planned >= age)
    assert np.all(planned <= np.maximum(hi, age + 1.0 / 12.0))
