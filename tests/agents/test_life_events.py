"""Tests for agents/life_events.py: each rule by hand-worked cases, the job-change shortcut
against the full comparison, and the month's passes checked in law and against the rules."""

from __future__ import annotations

import functools

import numpy as np
import pytest
from alt401k.agents import life_events as le
from alt401k.agents import rule_kernels
from alt401k.agents import savers as sv
from alt401k.model.config import RunConfig, SaverBehaviour
from alt401k.model.model import Alt401kModel
from alt401k.model.policy import load_scenario
from hypothesis import given, settings
from hypothesis import strategies as st


def _p(age: float, young: float = 0.18, old: float = 0.06) -> float:
    return le.job_change_prob_monthly(age, *le.job_change_rates(young, old))


def test_job_change_probability_falls_with_age() -> None:
    # 18%/yr at 25 -> 1 - 0.82^(1/12) = 1.640%/month; 6%/yr at 55 -> 0.514%/month; linear
    # in the annual rate between (12%/yr at 40), flat outside.
    assert _p(25.0) == pytest.approx(1.0 - 0.82 ** (1 / 12))
    assert _p(40.0) == pytest.approx(1.0 - 0.88 ** (1 / 12))
    assert _p(55.0) == pytest.approx(1.0 - 0.94 ** (1 / 12))
    assert _p(18.0) == _p(25.0) and _p(70.0) == _p(55.0)
    assert le.job_change_bound(0.18, 0.06) == pytest.approx(_p(25.0)) and le.job_change_bound(0.18, 0.06) > _p(25.0)


def test_hardship_threshold_is_the_monthly_rate_of_the_annual_one() -> None:
    # Vanguard 2025: 4.8% of participants a year -> 1 - 0.952^(1/12) = 0.4091% a month.
    assert le.hardship_threshold(0.048) == pytest.approx(0.0040909, rel=1e-4)
    assert (1.0 - le.hardship_threshold(0.048)) ** 12 == pytest.approx(0.952)


def _terms(s: SaverBehaviour) -> tuple:
    young, old = s.job_change_prob_annual_young, s.job_change_prob_annual_old
    return (np.float32(le.hardship_threshold(s.hardship_prob_annual)), le.job_change_bound(young, old),
            *le.job_change_rates(young, old), np.float32(1.0 - s.stay_in_system_prob))


def test_separation_by_hand() -> None:
    s = SaverBehaviour(stay_in_system_prob=0.57)
    t = _terms(s)
    # A participant with a draw under the hardship threshold takes a withdrawal; a
    # non-participant never does.
    assert le.separation(0.001, 0.9, 0.9, True, 40.0, 67.0, *t)[0]
    assert not le.separation(0.001, 0.9, 0.9, False, 40.0, 67.0, *t)[0]
    # At or past the planned retirement age the saver leaves, whatever its draws.
    assert le.separation(0.9, 0.9, 0.9, True, 67.0, 67.0, *t) == (False, True, False)
    # A job change (draw under the monthly rate) keeps the money in the system when the
    # third draw is at or above 1 - 0.57 = 0.43 (in float32, as drawn), else leaves it; no
    # job change, no move.
    p = le.job_change_prob_monthly(40.0, *t[2:4])
    at = float(np.float32(0.43))
    assert le.separation(0.9, p * 0.5, at, True, 40.0, 67.0, *t) == (False, False, True)
    assert le.separation(0.9, p * 0.5, 0.42, True, 40.0, 67.0, *t) == (False, True, False)
    assert le.separation(0.9, p * 1.01, 0.0, True, 40.0, 67.0, *t) == (False, False, False)


@settings(max_examples=50, deadline=None)
@given(seed=st.integers(0, 2**32), young=st.floats(0.0, 0.6), old=st.floats(0.0, 0.6))
def test_job_change_shortcut_equals_the_full_comparison(seed: int, young: float, old: float) -> None:
    # The rule computes the probability only for draws below its bound; the decisions must
    # be those of comparing every draw with its probability, draws placed exactly at and
    # just below the probabilities included.
    rng = np.random.default_rng(seed)
    rates, slope = le.job_change_rates(young, old)
    bound = le.job_change_bound(young, old)
    age = np.concatenate([rng.uniform(18.0, 80.0, 400), [25.0, 55.0, 24.9, 55.1]])
    p = np.array([le.job_change_prob_monthly(a, rates, slope) for a in age])
    u = rng.random(age.size, dtype=np.float32).astype(np.float64)
    u[:100] = p[:100].astype(np.float32)
    u[100:200] = np.nextafter(p[100:200].astype(np.float32), np.float32(0))
    got = [le.separation(0.9, x, 0.0, True, a, 99.0, np.float32(0.0), bound, rates, slope, np.float32(1.0))[1]
           for x, a in zip(u, age, strict=True)]
    np.testing.assert_array_equal(got, u < p)


def test_one_month_older_and_the_year_close() -> None:
    assert le.one_month_older(40.0, 3.0, 10, 60_000.0, 1.01) == pytest.approx((40.0 + 1 / 12, 3.0 + 1 / 12, 11, 60_600.0))
    # A year growing 1.25 returns 25%; the worst year keeps the lower of the two.
    assert le.closed_year(1.25, -0.1) == pytest.approx((0.25, -0.1))
    assert le.closed_year(0.7, -0.1) == pytest.approx((-0.3, -0.3))
    last, worst = le.closed_year(np.nan, -0.1)
    assert np.isnan(last) and np.isnan(worst)
    # Escalation: +1 pp a year up to the cap; at or above it, or not escalating, unchanged.
    assert le.escalated_deferral(0.03, True, 0.10) == pytest.approx(0.04)
    assert le.escalated_deferral(0.095, True, 0.10) == 0.10
    assert le.escalated_deferral(0.12, True, 0.10) == 0.12
    assert le.escalated_deferral(0.03, False, 0.10) == 0.03


@functools.cache
def _population() -> sv.SaverPopulation:
    model = Alt401kModel(load_scenario("broad-access"), RunConfig(n_savers=2_000, n_sponsors=60, years=1, seed=0))
    return model.savers


def test_job_changes_and_exits_happen_at_their_rates() -> None:
    # In law: over 30 months of draws for 2,000 savers of mixed ages, the number of job
    # changes equals the sum of the savers' monthly probabilities within 4 s.e., and the share
    # of job changers who leave the system is 1 - stay_in_system_prob within 4 s.e.
    s = SaverBehaviour(stay_in_system_prob=0.57, hardship_prob_annual=0.048)
    pop = _population()
    young = pop.age_years < pop.retirement_age_years
    p = np.array([_p(a, s.job_change_prob_annual_young, s.job_change_prob_annual_old) for a in pop.age_years])
    expected = p[young].sum()
    rng = np.random.default_rng(3)
    changes = leavers = 0
    months = 30
    for _ in range(months):
        q = pop.take(np.arange(pop.n))
        q.tenure_years[:] = 5.0
        u = rng.random((3, q.n), dtype=np.float32)
        _, leaving = rule_kernels.separations(q, u, s)
        stayed = int((q.tenure_years == 0.0).sum())
        left = int(young[leaving].sum())
        changes += stayed + left
        leavers += left
    mean = changes / months
    assert abs(mean - expected) < 4.0 * np.sqrt(expected / months)
    assert abs(leavers / changes - 0.43) < 4.0 * np.sqrt(0.43 * 0.57 / changes)
