"""The safe harbor as the proposed rule's six factors (ODD §7.8, safe harbor; RIN 1210-AC38)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from alt401k.agents.sponsors import (
    IS_ILLIQUID,
    N_ALT,
    ReviewContext,
    adoption_utility,
    adoption_utility_rows,
    alt_tdf_meets_factors,
    draw_plans,
    harbor_cover,
    review_plans,
    standalone_meets_factors,
)
from alt401k.base.assets import ALTERNATIVES
from alt401k.model.config import InitialState, SponsorBehaviour
from alt401k.model.policy import HarborFactors, PolicyState
from hypothesis import given, settings
from hypothesis import strategies as st

BEHAVIOUR = SponsorBehaviour()
PE, GOLD, CRYPTO = (ALTERNATIVES.index(a) for a in ("private_equity", "gold", "crypto"))
OPEN = HarborFactors(-1.0, np.inf, 1.0, 1.0, (True,) * N_ALT, 0.0)


def policy(strength: float = 1.0, factors: HarborFactors = OPEN, **changes) -> PolicyState:
    base = PolicyState.baseline()
    return dataclasses.replace(base, safe_harbor=strength, harbor_factors=factors,
                               allowed={k: True for k in base.allowed}, min_plan_participants=0, **changes)


def context(n: int, pol: PolicyState, benefit: np.ndarray | None = None, uniform: float = 0.5,
            sleeve: np.ndarray | None = None, tdf_fee: float = 0.005, suits: float = 0.0) -> ReviewContext:
    benefit = np.full(N_ALT, 0.01) if benefit is None else benefit
    return ReviewContext(
        policy=pol, benefit_reported=benefit, benefit_true=benefit, demand=np.zeros((n, N_ALT)),
        peer_share=np.zeros(n), consultant_share=np.zeros(n), recordkeeper_share=np.zeros(n), recent_suits=suits,
        alt_tdf_available=np.zeros(6, dtype=bool), alt_tdf_product=np.full(6, -1, dtype=np.int32),
        plain_tdf_product=np.arange(6, dtype=np.int32), standalone_open=np.ones(N_ALT, dtype=bool),
        uniform=np.full((n, 4), uniform), month=0,
        standalone_fee=np.array([0.0025, 0.0125, 0.01, 0.01, 0.0025]),
        alt_tdf_fee=np.full(6, tdf_fee), alt_tdf_sleeve=np.zeros((6, N_ALT)) if sleeve is None else sleeve,
    )


def test_products_meet_every_factor_when_no_criterion_is_set() -> None:
    ctx = context(3, policy())
    assert standalone_meets_factors(ctx).all()
    assert alt_tdf_meets_factors(ctx).all()


def test_each_factor_fails_the_products_it_should() -> None:
    assert ALTERNATIVES == ("crypto", "private_equity", "private_credit", "infrastructure", "gold")
    # Liquidity: a semi-liquid vehicle of an illiquid class is wholly illiquid.
    liquid = standalone_meets_factors(context(3, policy(factors=dataclasses.replace(OPEN, max_illiquid_share=0.25))))
    np.testing.assert_array_equal(liquid, ~IS_ILLIQUID)
    # Valuation: the same classes are valued by appraisal.
    valued = standalone_meets_factors(context(3, policy(factors=dataclasses.replace(OPEN, max_appraised_share=0.5))))
    np.testing.assert_array_equal(valued, ~IS_ILLIQUID)
    # Fees: 0.25%, 1.25%, 1%, 1%, 0.25% against a 1% bar.
    cheap = standalone_meets_factors(context(3, policy(factors=dataclasses.replace(OPEN, max_fee_annual=0.01))))
    np.testing.assert_array_equal(cheap, [True, False, True, True, True])
    # Performance: expected excess -2%, +1%, 0, +0.5%, -1% against a bar of 0.
    benefit = np.array([-0.02, 0.01, 0.0, 0.005, -0.01])
    perf = standalone_meets_factors(context(3, policy(factors=dataclasses.replace(OPEN, min_excess_annual=0.0)),
                                            benefit=benefit))
    np.testing.assert_array_equal(perf, [False, True, True, True, False])
    # Benchmark: a class without a meaningful one.
    no_gold = tuple(a != "gold" for a in ALTERNATIVES)
    bench = standalone_meets_factors(context(3, policy(factors=dataclasses.replace(OPEN, benchmarked=no_gold))))
    np.testing.assert_array_equal(bench, [a != "gold" for a in ALTERNATIVES])


def test_an_alternative_tdf_is_judged_on_its_sleeve_and_total_fee() -> None:
    sleeve = np.zeros((6, N_ALT))
    sleeve[0, PE] = 0.10                      # 10% illiquid
    sleeve[1, PE], sleeve[1, GOLD] = 0.2, 0.1  # 20% illiquid
    sleeve[2, PE] = 0.30                      # 30% illiquid
    sleeve[3, GOLD] = 0.10                    # liquid
    f = dataclasses.replace(OPEN, max_illiquid_share=0.25)
    np.testing.assert_array_equal(alt_tdf_meets_factors(context(3, policy(factors=f), sleeve=sleeve))[:4],
                                  [True, True, False, True])
    # Performance is the sleeve-weighted excess: provider 1 holds 2/3 PE (+3%) and 1/3 gold (-3%): +1%.
    benefit = np.zeros(N_ALT)
    benefit[PE], benefit[GOLD] = 0.03, -0.03
    bar = dataclasses.replace(OPEN, min_excess_annual=0.0101)
    assert not alt_tdf_meets_factors(context(3, policy(factors=bar), benefit=benefit, sleeve=sleeve))[1]
    assert alt_tdf_meets_factors(context(3, policy(factors=dataclasses.replace(bar, min_excess_annual=0.0099)),
                                         benefit=benefit, sleeve=sleeve))[1]
    # Fees: the fund's total expense ratio.
    assert not alt_tdf_meets_factors(context(3, policy(factors=dataclasses.replace(OPEN, max_fee_annual=0.004)),
                                             sleeve=sleeve)).any()


def test_complexity_leaves_plans_without_consultant_or_governance_uncovered() -> None:
    plans = draw_plans(200, InitialState(), BEHAVIOUR, np.random.default_rng(4))
    rows = np.arange(plans.n)
    f = dataclasses.replace(OPEN, min_governance=0.6)
    standalone, default = harbor_cover(rows, context(plans.n, policy(0.7, f)), plans)
    able = (plans.consultant >= 0) | (plans.governance >= 0.6)
    assert (~able).any() and able.any()
    np.testing.assert_array_equal(default, np.where(able, 0.7, 0.0))
    np.testing.assert_array_equal(standalone, np.where(able[:, None], 0.7, 0.0) * np.ones(N_ALT))


def test_the_harbor_of_one_class_moves_only_that_classs_utility_by_the_documented_terms() -> None:
    plans = draw_plans(40, InitialState(), BEHAVIOUR, np.random.default_rng(1))
    rows = np.arange(plans.n)
    ctx = context(plans.n, policy(0.0), suits=20.0)
    h = np.zeros((plans.n, N_ALT))
    h[:, PE] = 0.7
    diff = adoption_utility(rows, ctx, plans, BEHAVIOUR, h) - adoption_utility(rows, ctx, plans, BEHAVIOUR, 0 * h)
    b = BEHAVIOUR
    expected = 0.7 * (b.weight_safe_harbor
                      + b.weight_litigation * plans.litigation_aversion * ctx.policy.litigation_climate * b.safe_harbor_shield
                      + b.weight_recent_suits * 20.0 / 10.0 * b.safe_harbor_shield)
    np.testing.assert_allclose(diff[:, PE], expected, rtol=1e-12)
    np.testing.assert_array_equal(np.delete(diff, PE, axis=1), 0.0)


@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 40))
@settings(max_examples=25, deadline=None)
def test_the_harbor_matrix_reaches_each_plan_and_class(seed: int, n: int) -> None:
    # The harbor covering plan j's product of class c pulls by weight_safe_harbor and shields
    # the fear of suits: utility(h) - utility(0) = h x (weight_safe_harbor + shield x (fear
    # + suits seen)), cell by cell.
    rng = np.random.default_rng(seed)
    plans = draw_plans(max(n, 4), InitialState(), BEHAVIOUR, rng)
    ctx = context(plans.n, policy(float(rng.random())), benefit=rng.normal(0, 0.03, N_ALT),
                  suits=float(rng.uniform(0, 40)))
    ctx = dataclasses.replace(ctx, peer_share=rng.random(plans.n), demand=rng.random((plans.n, N_ALT)),
                              peer_suit_share=rng.random(plans.n), class_suits=rng.uniform(0, 80, 4))
    rows = np.flatnonzero(rng.random(plans.n) < 0.7)
    h = rng.random((rows.size, N_ALT)) * (rng.random((rows.size, N_ALT)) < 0.5)
    got = adoption_utility_rows(rows, ctx, plans, BEHAVIOUR, h) - adoption_utility_rows(rows, ctx, plans, BEHAVIOUR, 0 * h)
    b, p = BEHAVIOUR, ctx.policy
    seen = (b.weight_recent_suits * ctx.recent_suits / 10.0 + b.weight_peer_suits * ctx.peer_suit_share[rows]
            + b.weight_class_suits * ctx.class_suits[plans.size_class[rows]] / 10.0)
    fear = b.weight_litigation * plans.litigation_aversion[rows] * p.litigation_climate + seen
    want = h * (b.weight_safe_harbor + b.safe_harbor_shield * fear[:, None])
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_harbor_never_moves_brokerage_window_decisions(seed: int) -> None:
    # Same plans and draws under a full harbor and none: windows end the same, standalone
    # options are added more often under the harbor.
    results = []
    for strength in (0.0, 1.0):
        plans = draw_plans(400, InitialState(), BEHAVIOUR, np.random.default_rng(seed))
        plans.offers_window[:] = False
        ctx = dataclasses.replace(context(plans.n, policy(strength), benefit=np.full(N_ALT, 0.05)),
                                  uniform=np.random.default_rng(seed + 100).random((plans.n, 4)))
        review_plans(np.arange(plans.n), ctx, plans, BEHAVIOUR)
        results.append((plans.offers_window.copy(), plans.standalone.any(axis=1).sum()))
    np.testing.assert_array_equal(results[0][0], results[1][0])
    assert results[1][1] > results[0][1]
