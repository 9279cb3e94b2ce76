"""Tests for agents/reviews.py: each review rule by hand-worked cases, and the month's
compiled pass over all savers checked in law (rates of events against their probabilities)
and in what it may never do."""

from __future__ import annotations

import functools

import numpy as np
import pytest
from alt401k.agents import reviews as rv
from alt401k.agents import rule_kernels
from alt401k.agents import savers as sv
from alt401k.model.config import RunConfig, SaverBehaviour
from alt401k.model.model import Alt401kModel
from alt401k.model.policy import load_scenario
from hypothesis import given, settings
from hypothesis import strategies as st


def test_reviews_rise_with_the_size_of_the_market_move() -> None:
    # Review probability 2%; a -10% equity month with boost 4 raises it to
    # 0.02 x (1 + 4 x 0.10) = 2.8%. A draw of 0.025 reviews only in the moving market.
    assert not rv.looks_at_account(0.025, 0.02, 1.0, True)
    assert rv.looks_at_account(0.025, 0.02, 1.0 + 4.0 * 0.10, True)
    assert not rv.looks_at_account(0.03, 0.02, 1.4, True)
    # Capped at 1: a huge boost reviews a draw of 0.999999; a non-participant never looks.
    assert rv.looks_at_account(0.999999, 0.5, 101.0, True)
    assert not rv.looks_at_account(0.0, 1.0, 1.0, False)


def test_only_defaulted_reviewers_leave_the_default_and_only_choosers_choose() -> None:
    leave = np.float32(0.35)
    assert rv.leaves_default(0.2, True, sv.DEFAULTED, leave)
    assert not rv.leaves_default(0.2, False, sv.DEFAULTED, leave)  # did not look
    assert not rv.leaves_default(0.2, True, sv.ACTIVE, leave)
    assert not rv.leaves_default(0.5, True, sv.DEFAULTED, leave)
    # Active choosers and window users choose; defaulted and managed savers do not.
    assert [rv.chooses_own_allocation(True, k) for k in (sv.DEFAULTED, sv.ACTIVE, sv.WINDOW, sv.MANAGED)] == [
        False, True, True, False]
    assert not rv.chooses_own_allocation(False, sv.ACTIVE)


def test_deferral_resets_are_more_likely_far_from_the_preferred_rate() -> None:
    # Hazard = 0.02 x (1 + 25 x shortfall + 100 x excess) (a rate above the preferred one is
    # felt in every paycheck). Shortfall 1 pp -> 2.5%, 9 pp -> 6.5% (Beshears et al. 2024:
    # distance speeds opt-out); excess 5 pp -> 12%; shortfall 5 pp -> 4.5%.
    h = functools.partial(rv.deferral_reset_hazard, base=0.02, per_shortfall=25.0, per_excess=100.0)
    assert h(0.06, 0.07) == pytest.approx(0.025)
    assert h(0.03, 0.12) == pytest.approx(0.065)
    assert h(0.12, 0.07) == pytest.approx(0.12)
    assert h(0.02, 0.07) == pytest.approx(0.045)
    assert h(0.10, 0.10) == pytest.approx(0.02)
    assert h(0.50, 0.01) == 1.0  # capped


def _after(u: float, d: float, pref: float, participating: bool = True, reviewing: bool = False,
           last: float = 0.06, slope: float = 0.0) -> tuple[float, float]:
    return rv.deferral_after_review(u, d, pref, participating, reviewing, last, 0.02, 25.0, 100.0, slope)


def test_a_reset_takes_the_preferred_rate_and_a_reviewer_learns_from_last_year() -> None:
    # With a draw of 0.03 only the far saver (hazard 6.5%) resets; one at its preferred
    # rate (hazard 2%, but no distance) or outside the plan never does.
    assert _after(0.03, 0.06, 0.07) == (0.06, 0.07)
    assert _after(0.03, 0.03, 0.12) == (0.12, 0.12)
    assert _after(0.0, 0.10, 0.10) == (0.10, 0.10)
    assert _after(0.0, 0.03, 0.12, participating=False) == (0.03, 0.12)
    # A reviewer after a 26% year with slope 0.05 moves both rates by 0.05 x (0.26 - 0.06)
    # = +1 pp (Choi et al. 2009), after any reset; bounded by (0, 0.5) and (0.01, 0.30).
    d, p = _after(0.99, 0.05, 0.08, reviewing=True, last=0.26, slope=0.05)
    assert (d, p) == pytest.approx((0.06, 0.09))
    d, p = _after(0.0, 0.03, 0.12, reviewing=True, last=0.26, slope=0.05)
    assert (d, p) == pytest.approx((0.13, 0.13))
    assert _after(0.99, 0.05, 0.08, reviewing=True, last=30.0, slope=0.05) == (0.5, 0.30)
    assert _after(0.99, 0.05, 0.08, reviewing=True, last=-30.0, slope=0.05) == (0.0, 0.01)


def test_opting_in_procrastinates_in_the_least_attentive_class() -> None:
    # Class 0 reviews at <= 0.0075 a month: it opts in at the slow hazard (1%), others at
    # the prompt one (25%). Never where the plan auto-enrolls or the saver already takes part.
    args = dict(inattentive_review_prob=0.0075, slow=0.01, prompt=0.25)
    assert not rv.opts_in(0.05, False, False, 0.0075, **args)
    assert rv.opts_in(0.005, False, False, 0.0075, **args)
    assert rv.opts_in(0.05, False, False, 0.02, **args)
    assert not rv.opts_in(0.0, False, True, 0.02, **args)
    assert not rv.opts_in(0.0, True, False, 0.02, **args)


def test_contributions_stop_only_in_a_crash_and_restart_only_outside_one() -> None:
    stop, restart = np.float32(0.45), np.float32(0.06)
    assert not rv.contributes_next(0.3, True, True, stop, restart)
    assert rv.contributes_next(0.5, True, True, stop, restart)
    assert not rv.contributes_next(0.01, False, True, stop, restart)  # no restart in a crash
    assert rv.contributes_next(0.01, False, False, stop, restart)
    assert not rv.contributes_next(0.1, False, False, stop, restart)
    assert rv.contributes_next(0.0, True, False, stop, restart)  # no stop outside a crash


def test_float32_thresholds_are_compared_in_float32() -> None:
    # float32(0.35) is below 0.35: a float32 draw equal to it is not below the threshold.
    leave = np.float32(0.35)
    assert float(leave) < 0.35
    assert not rv.leaves_default(float(leave), True, sv.DEFAULTED, leave)
    assert rv.leaves_default(float(np.nextafter(leave, np.float32(0))), True, sv.DEFAULTED, leave)


@functools.cache
def _population() -> sv.SaverPopulation:
    model = Alt401kModel(load_scenario("broad-access"), RunConfig(n_savers=1_000, n_sponsors=60, years=1, seed=0))
    return model.savers


@given(seed=st.integers(0, 2**32 - 1), crash=st.booleans(), equity_return=st.floats(-0.3, 0.3))
@settings(max_examples=10, deadline=None)
def test_the_month_pass_applies_the_rules_to_every_saver(seed: int, crash: bool, equity_return: float) -> None:
    # The compiled pass over all savers against the rules called one saver at a time
    # (the per-saver engine's way): the same decisions and rates, and rates within bounds.
    s = SaverBehaviour(leave_default_prob=0.35, stop_contributing_prob_crash=0.45, restart_contributing_prob=0.06)
    rng = np.random.default_rng(seed)
    pop = _population().take(np.arange(1_000))
    n = pop.n
    pop.style[:] = rng.choice([sv.DEFAULTED, sv.ACTIVE, sv.WINDOW, sv.MANAGED], n)
    pop.is_participating[:] = rng.random(n) < 0.8
    pop.is_contributing[:] = rng.random(n) < 0.9
    pop.review_prob_monthly[:] = rng.choice(np.asarray(s.review_prob_monthly), n) * rng.choice([1.0, 20.0, 300.0], n)
    pop.preferred_deferral_rate[:] = rng.uniform(0.01, 0.3, n)
    pop.deferral_rate[:] = np.where(rng.random(n) < 0.3, pop.preferred_deferral_rate, rng.uniform(0.0, 0.5, n))
    pop.last_year_return[:] = rng.uniform(-3.0, 3.0, n)
    u = rng.random((6, n), dtype=np.float32)
    plan_auto = rng.random(int(pop.sponsor.max()) + 1) < 0.5
    before = pop.take(np.arange(n))
    choosers = rule_kernels.review_decisions(pop, u, equity_return, plan_auto, crash, s)
    factor = 1.0 + s.attention_boost_per_equity_move * abs(equity_return)
    for i in range(0, n, 7):
        look = rv.looks_at_account(float(u[0, i]), before.review_prob_monthly[i], factor, before.is_participating[i])
        style = sv.ACTIVE if rv.leaves_default(float(u[1, i]), look, before.style[i], np.float32(0.35)) else before.style[i]
        assert pop.style[i] == style and choosers[i] == rv.chooses_own_allocation(look, style)
        assert pop.is_contributing[i] == rv.contributes_next(float(u[5, i]), before.is_contributing[i], crash,
                                                             np.float32(0.45), np.float32(0.06))
    assert (pop.deferral_rate >= 0.0).all() and (pop.deferral_rate <= 0.5).all()
    assert not (choosers & ~pop.is_participating).any()
    assert not (before.is_participating & ~pop.is_participating).any()  # reviews never end participation


def test_reviews_happen_at_their_monthly_rate() -> None:
    # In law: with review probability 3% and no market move, the share of participants who
    # look (here: defaulted savers who would all leave the default) is 3% within 4 s.e.
    pop = _population().take(np.arange(1_000))
    reps = 40
    looked = 0
    s = SaverBehaviour(leave_default_prob=1.0)
    rng = np.random.default_rng(5)
    for _ in range(reps):
        p = pop.take(np.arange(pop.n))
        p.style[:], p.is_participating[:], p.review_prob_monthly[:] = sv.DEFAULTED, True, 0.03
        u = rng.random((6, p.n), dtype=np.float32)
        rule_kernels.review_decisions(p, u, 0.0, np.zeros(int(p.sponsor.max()) + 1, dtype=bool), False, s)
        looked += int((p.style == sv.ACTIVE).sum())
    n = reps * pop.n
    assert abs(looked / n - 0.03) < 4.0 * np.sqrt(0.03 * 0.97 / n)
