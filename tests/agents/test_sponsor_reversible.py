"""Reversible sponsor decisions (ODD §7.8): drop triggers, provider changes, never-adopters."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from alt401k.agents.sponsors import (
    N_ALT,
    DropTriggers,
    ReviewContext,
    change_providers,
    draw_never_adopters,
    draw_plans,
    drop_probability,
    recordkeeper_shares,
    review_plans,
)
from alt401k.base.assets import ALTERNATIVES
from alt401k.model.config import InitialState, SponsorBehaviour
from alt401k.model.policy import PolicyState
from hypothesis import given, settings
from hypothesis import strategies as st

BEHAVIOUR = SponsorBehaviour()
GOLD = ALTERNATIVES.index("gold")


def fresh_plans(n: int = 400, seed: int = 3):
    return draw_plans(n, InitialState(), BEHAVIOUR, np.random.default_rng(seed))


def open_policy() -> PolicyState:
    """Every channel allowed for every class, no size floor (a friendly regime)."""
    base = PolicyState.baseline()
    allowed = {k: True for k in base.allowed}
    return dataclasses.replace(base, allowed=allowed, min_plan_participants=0)


def context(plans, *, benefit: float = 0.0, uniform: float = 0.5, excess: np.ndarray | None = None,
            provider_uniform: np.ndarray | None = None, month: int = 100) -> ReviewContext:
    n = plans.n
    return ReviewContext(
        policy=open_policy(),
        benefit_reported=np.full(N_ALT, benefit),
        benefit_true=np.full(N_ALT, benefit),
        demand=np.zeros((n, N_ALT)),
        peer_share=np.zeros(n),
        consultant_share=np.zeros(n),
        recordkeeper_share=np.zeros(n),
        recent_suits=0.0,
        alt_tdf_available=np.zeros(6, dtype=bool),
        alt_tdf_product=np.full(6, -1, dtype=np.int32),
        plain_tdf_product=np.arange(6, dtype=np.int32),
        standalone_open=np.ones(N_ALT, dtype=bool),
        uniform=np.full((n, 4), uniform),
        month=month,
        trailing_excess=excess,
        provider_uniform=provider_uniform,
    )


@given(sued=st.booleans(), lag=st.booleans(), changed=st.booleans(),
       p_suit=st.floats(0, 1), p_lag=st.floats(0, 1), p_change=st.floats(0, 1))
@settings(max_examples=200, deadline=None)
def test_drop_probability_combines_independent_triggers(sued: bool, lag: bool, changed: bool,
                                                       p_suit: float, p_lag: float, p_change: float) -> None:
    b = BEHAVIOUR.model_copy(update={"drop_prob_after_suit": p_suit, "drop_prob_underperformance": p_lag,
                                     "drop_prob_provider_change": p_change})
    t = DropTriggers(np.array([sued]), np.array([lag]), np.array([changed]))
    got = float(drop_probability(t, b)[0])
    keep = (1 - p_suit if sued else 1.0) * (1 - p_lag if lag else 1.0) * (1 - p_change if changed else 1.0)
    assert got == pytest.approx(1.0 - keep, abs=1e-12)
    assert 0.0 <= got <= 1.0
    if not (sued or lag or changed):
        assert got == 0.0  # no ratchet and no random drop: without a trigger the option stays


def test_an_offered_alternative_stays_without_a_trigger_however_low_its_utility() -> None:
    plans = fresh_plans()
    plans.standalone[:, GOLD] = True
    rows = np.arange(plans.n)
    # Utility far below zero (benefit -10%/yr x 20), uniforms near 0: under the old
    # logistic(-U - keep_bias) rule nearly all would go; no trigger fires here.
    for month in range(100, 110):
        review_plans(rows, context(plans, benefit=-0.1, uniform=1e-6, month=month), plans, BEHAVIOUR)
    assert plans.standalone[:, GOLD].all()


def test_underperformance_drops_with_its_probability() -> None:
    plans = fresh_plans()
    plans.standalone[:, GOLD] = True
    rows = np.arange(plans.n)
    lagging = np.zeros(N_ALT)
    lagging[GOLD] = -0.02  # gold trailed public equity by 2%/yr over the window
    b = BEHAVIOUR.model_copy(update={"drop_prob_underperformance": 0.5})
    rng = np.random.default_rng(11)
    ctx = dataclasses.replace(context(plans, benefit=-0.1, excess=lagging), uniform=rng.random((plans.n, 4)))
    review_plans(rows, ctx, plans, b)
    dropped = 1.0 - plans.standalone[:, GOLD].mean()
    # Binomial(400, 0.5): 4 standard errors = 0.1.
    assert abs(dropped - 0.5) < 0.1
    # Within the threshold it is not a trigger: a 2% shortfall against a 3% threshold.
    again = fresh_plans()
    again.standalone[:, GOLD] = True
    tolerant = b.model_copy(update={"underperformance_threshold_annual": 0.03})
    review_plans(rows, dataclasses.replace(ctx), again, tolerant)
    assert again.standalone[:, GOLD].all()


def test_never_adopters_add_nothing_however_high_their_utility() -> None:
    plans = fresh_plans()
    plans.never_adopts[:] = np.arange(plans.n) % 2 == 0
    window_before = plans.offers_window.copy()
    ctx = context(plans, benefit=0.1, uniform=1e-6)  # utility high, uniforms tiny: others add
    review_plans(np.arange(plans.n), ctx, plans, BEHAVIOUR)
    added = plans.standalone.any(axis=1)
    assert not added[plans.never_adopts].any()
    assert added[~plans.never_adopts].all()
    # Their windows move only with the base turnover (uniform 1e-6 < 1%: all flip).
    np.testing.assert_array_equal(plans.offers_window[plans.never_adopts], ~window_before[plans.never_adopts])


def test_never_adopters_are_the_class_shares_less_the_plans_already_offering() -> None:
    plans = fresh_plans(n=800)
    share = (0.5, 0.25, 0.1, 0.0)
    b = BEHAVIOUR.model_copy(update={"never_adopt_share_by_class": share})
    plans.standalone[::7, GOLD] = True
    never = draw_never_adopters(plans, b, np.random.default_rng(5))
    assert not (never & plans.standalone.any(axis=1)).any()
    unflagged = draw_never_adopters(dataclasses.replace(plans, standalone=np.zeros_like(plans.standalone)), b,
                                    np.random.default_rng(5))
    for c in range(4):
        in_class = plans.size_class == c
        assert unflagged[in_class].sum() == round(share[c] * in_class.sum())
    np.testing.assert_array_equal(never, unflagged & ~plans.standalone.any(axis=1))


def test_provider_changes_happen_at_their_rate_to_another_provider() -> None:
    plans = fresh_plans(n=4000, seed=9)
    rows = np.arange(plans.n)
    before_rk, before_c = plans.recordkeeper.copy(), plans.consultant.copy()
    rng = np.random.default_rng(21)
    ctx = context(plans, provider_uniform=rng.random((plans.n, 4)), month=37)
    change_providers(rows, ctx, plans, BEHAVIOUR)
    rk_changed = plans.recordkeeper != before_rk
    c_changed = plans.consultant != before_c
    # Rates: binomial, 4 standard errors.
    n = plans.n
    p = BEHAVIOUR.recordkeeper_change_annual
    assert abs(rk_changed.mean() - p) < 4 * np.sqrt(p * (1 - p) / n)
    has_c = before_c >= 0
    q = BEHAVIOUR.consultant_change_annual
    assert abs(c_changed[has_c].mean() - q) < 4 * np.sqrt(q * (1 - q) / has_c.sum())
    assert not c_changed[~has_c].any()  # plans without a consultant do not acquire one
    # The new consultant's lean goes with it; the month is recorded for both kinds of change.
    np.testing.assert_array_equal(plans.consultant_bias[c_changed], plans.consultant_lean[plans.consultant[c_changed]])
    np.testing.assert_array_equal(plans.last_provider_change_month == 37, rk_changed | c_changed)


def test_a_new_recordkeeper_is_drawn_by_market_share_among_the_others() -> None:
    # Every plan with recordkeeper 0 changes: the new one follows the shares of 1..n-1.
    plans = fresh_plans(n=400)
    n = 20_000
    big = dataclasses.replace(plans, recordkeeper=np.zeros(n, dtype=np.int32), consultant=np.full(n, -1, np.int32),
                              consultant_bias=np.zeros(n), weight=np.ones(n),
                              last_provider_change_month=np.full(n, -10_000, np.int32))
    u = np.random.default_rng(4).random((n, 4))
    u[:, 0] = 0.0
    change_providers(np.arange(n), dataclasses.replace(context(plans), provider_uniform=u, month=1), big, BEHAVIOUR)
    assert (big.recordkeeper != 0).all()
    shares = recordkeeper_shares(BEHAVIOUR.n_recordkeepers)[1:]
    expected = shares / shares.sum()
    got = np.bincount(big.recordkeeper, minlength=BEHAVIOUR.n_recordkeepers)[1:] / n
    assert np.max(np.abs(got - expected)) < 4 * np.sqrt(expected.max() / n)


def test_a_change_of_provider_drops_with_its_probability() -> None:
    plans = fresh_plans()
    plans.standalone[:, GOLD] = True
    b = BEHAVIOUR.model_copy(update={"recordkeeper_change_annual": 1.0, "drop_prob_provider_change": 0.3})
    rng = np.random.default_rng(8)
    ctx = dataclasses.replace(context(plans, benefit=-0.1, provider_uniform=rng.random((plans.n, 4))),
                              uniform=rng.random((plans.n, 4)))
    review_plans(np.arange(plans.n), ctx, plans, b)
    assert (plans.last_provider_change_month == ctx.month).all()
    # Binomial(400, 0.3): 4 standard errors = 0.092.
    assert abs((1.0 - plans.standalone[:, GOLD].mean()) - 0.3) < 0.092
