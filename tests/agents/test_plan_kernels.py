"""Tests for agents/plan_kernels.py and the compiled adoption utility of agents/sponsors.py:
each compiled pass over the plans gives, bit for bit, what the rules stated on whole arrays
here give, compiled and run in the interpreter alike, for random plans (0 and 1 plans
included), with hand-worked cases; and the sponsors' review's faster numpy forms equal the
expressions they replace."""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Iterator

import numpy as np
import pytest
import scipy.sparse as sp
from alt401k.agents import plan_kernels, sponsors
from alt401k.agents.litigation import alternative_losses, lawsuit_hazard_annual
from alt401k.agents.plan_kernels import offers_any_alternative
from alt401k.agents.sponsors import (
    N_ALT,
    PlanTable,
    ReviewContext,
    adoption_utility,
    adoption_utility_rows,
    any_column,
    peer_network,
)
from alt401k.base.assets import ALT_CLASS_INDEX, ALTERNATIVES
from alt401k.model.config import SponsorBehaviour
from alt401k.model.policy import PolicyState
from hypothesis import example, given, settings
from hypothesis import strategies as st

CASES = dict(seed=st.integers(0, 2**32 - 1), n=st.integers(0, 80), density=st.sampled_from([0.0, 0.05, 0.4, 1.0]))
SETTINGS = settings(max_examples=40, deadline=None, derandomize=True)
BEHAVIOUR = SponsorBehaviour()
N_MANAGERS = 3


def random_plans(rng: np.random.Generator, n: int, density: float) -> tuple[PlanTable, np.ndarray]:
    """`n` plans whose offers, groups and weights are drawn at random (`density`: the share
    of plans with an alternative default fund and of standalone options offered), and the
    providers' plain TDF product ids."""
    plain = rng.permutation(10)[:N_MANAGERS].astype(np.int32)
    tdf_manager = rng.integers(0, N_MANAGERS, n).astype(np.int32)
    alt_default = rng.integers(10, 14, n).astype(np.int32)
    weight = rng.uniform(0.5, 3_000.0, n) * (rng.random(n) > 0.1)  # some plans weigh 0
    zeros, flags = np.zeros(n), np.zeros(n, dtype=bool)
    plans = PlanTable(
        size_class=rng.integers(0, 4, n).astype(np.int8), participants=np.zeros(n, dtype=np.int64), weight=weight,
        governance=rng.random(n), consultant=rng.integers(-1, 6, n).astype(np.int32),
        recordkeeper=rng.integers(-1, 4, n).astype(np.int32), litigation_aversion=rng.random(n), auto_enroll=flags,
        active_decision=flags, default_rate=zeros, escalates=flags, match_rate=zeros, match_cap=zeros,
        tdf_manager=tdf_manager, default_product=np.where(rng.random(n) < density, alt_default, plain[tdf_manager]),
        standalone=rng.random((n, N_ALT)) < density / 2, offers_window=rng.random(n) < 0.3,
        review_month=np.zeros(n, dtype=np.int8), suits=np.zeros(n, dtype=np.int32),
        last_suit_month=np.zeros(n, dtype=np.int32), consultant_bias=rng.normal(0.0, 0.5, n),
    )
    return plans, plain


def random_peers(rng: np.random.Generator, n: int) -> sp.csr_array:
    """A CSR matrix with 0-4 entries a row, its columns unsorted and possibly repeated."""
    counts = rng.integers(0, 5, n) if n else np.zeros(0, dtype=np.int64)
    indptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int32)
    indices = rng.integers(0, max(n, 1), int(indptr[-1])).astype(np.int32)
    return sp.csr_array((rng.uniform(0.0, 1.0, indices.size), indices, indptr), shape=(n, n))


def random_sleeve(rng: np.random.Generator, n: int) -> np.ndarray:
    """Sleeve weights by asset class, most rows all zero, the others partly."""
    return rng.uniform(0.0, 0.2, (n, 8)) * (rng.random((n, 8)) < 0.4) * (rng.random(n) < 0.5)[:, None]


def offers_by_rule(plans: PlanTable, plain: np.ndarray) -> np.ndarray:
    """Plans offering an alternative (ODD §7.8): a default product other than the provider's
    plain TDF, or any standalone option."""
    return (plans.default_product != plain[plans.tdf_manager]) | plans.standalone.any(axis=1)


def group_share(group: np.ndarray, offering: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """For each plan, the weighted share of plans in its group offering any alternative; 0
    for plans in no group (id -1)."""
    out = np.zeros(group.shape[0])
    has = group >= 0
    if has.any():
        num = np.bincount(group[has], weights=offering[has] * weight[has])
        den = np.bincount(group[has], weights=weight[has])
        out[has] = np.divide(num, den, out=np.zeros_like(num), where=den > 0)[group[has]]
    return out


def offering_flags(plans: PlanTable, plain: np.ndarray, sleeve: np.ndarray) -> np.ndarray:
    """What each plan offers (ODD §6), (3 + N_ALT, n): any alternative, an alternative
    default fund, any standalone option, then each class by a standalone option or sleeve."""
    alt_tdf = plans.default_product != plain[plans.tdf_manager]
    any_standalone = plans.standalone.any(axis=1)
    by_class = plans.standalone | (sleeve[:, ALT_CLASS_INDEX] > 0)
    return np.vstack([(alt_tdf | any_standalone)[None, :], alt_tdf[None, :], any_standalone[None, :], by_class.T])


def utility_by_rule(rows: np.ndarray, ctx: ReviewContext, plans: PlanTable, b: SponsorBehaviour,
                    harbor: np.ndarray | None = None) -> np.ndarray:
    """The sponsors' adoption utility (ODD §7.8) stated on whole arrays, (len(rows), N_ALT):
    intercept, peers, consultant (with its bias), recordkeeper; the harbor's pull; fear of
    litigation (aversion x climate) and the suits in view, both times the harbor's shield;
    the small-plan penalty; perceived benefit (blended by governance), demand and stance."""
    p = ctx.policy
    h = np.full((rows.size, N_ALT), float(p.safe_harbor)) if harbor is None else np.asarray(harbor, dtype=float)
    stance = np.array([p.stance[a] for a in ALTERNATIVES])
    shield = 1.0 - b.safe_harbor_shield * h
    litigation = (plans.litigation_aversion[rows] * p.litigation_climate)[:, None] * shield
    g = plans.governance[rows][:, None]
    perceived = g * ctx.benefit_true[None, :] + (1.0 - g) * ctx.benefit_reported[None, :]
    peer_sued = np.zeros(rows.shape[0]) if ctx.peer_suit_share is None else np.asarray(ctx.peer_suit_share)[rows]
    by_class = np.zeros(4) if ctx.class_suits is None else np.asarray(ctx.class_suits, dtype=float)
    seen = (b.weight_recent_suits * ctx.recent_suits / 10.0 + b.weight_peer_suits * peer_sued
            + b.weight_class_suits * by_class[plans.size_class[rows]] / 10.0)
    per_plan = (b.adoption_intercept + b.weight_peers * ctx.peer_share[rows]
                + b.weight_consultant * (ctx.consultant_share[rows] + plans.consultant_bias[rows])
                + b.weight_recordkeeper * ctx.recordkeeper_share[rows])[:, None]
    per_product = (per_plan + b.weight_safe_harbor * h - b.weight_litigation * litigation - seen[:, None] * shield
                   - (b.small_plan_capacity_penalty * (plans.size_class[rows] == 0))[:, None])
    return (per_product + b.weight_net_benefit * perceived + b.weight_demand * ctx.demand[rows]
            + b.weight_stance * stance[None, :])


N_PRODUCTS = 14
"""Product ids of `random_plans`: plain TDFs among 0-9, alternative ones 10-13."""


def same_bits(a: np.ndarray, b: np.ndarray) -> None:
    assert a.shape == b.shape and a.dtype == b.dtype
    np.testing.assert_array_equal(a.view(np.uint8), b.view(np.uint8))


@contextlib.contextmanager
def engine(interpreted: bool) -> Iterator[None]:
    """Run each pass compiled, or as plain Python (the same function, interpreted)."""
    with pytest.MonkeyPatch.context() as patch:
        if interpreted:
            patch.setattr(plan_kernels, "_review_shares_kernel", plan_kernels._review_shares_pass)
            patch.setattr(plan_kernels, "_litigation_kernel", plan_kernels._litigation_pass)
            patch.setattr(plan_kernels, "_record_kernel", plan_kernels._record_pass)
            patch.setattr(plan_kernels, "_per_head_rows_kernel", plan_kernels._per_head_rows)
            patch.setattr(plan_kernels, "_per_head_all_kernel", plan_kernels._per_head_all)
            patch.setattr(sponsors, "_utility_kernel", sponsors._utility_rows)
        yield


INTERPRETED = pytest.mark.parametrize("interpreted", [False, True], ids=["compiled", "interpreted"])


def plan_cases(test):  # noqa: ANN001, ANN201 - a decorator
    """Run `test(interpreted, seed, n, density)` compiled and interpreted on random plan
    tables (`CASES`), the empty and the one-plan table always among them."""
    test = example(seed=1, n=1, density=1.0)(example(seed=0, n=0, density=0.4)(SETTINGS(test)))
    return INTERPRETED(given(**CASES)(test))


@plan_cases
def test_review_shares_equal_the_rules_at_the_due_plans(interpreted: bool, seed: int, n: int, density: float) -> None:
    rng = np.random.default_rng(seed)
    plans, plain = random_plans(rng, n, density)
    peers = random_peers(rng, n)
    due = np.flatnonzero(rng.random(n) < 0.5)
    with engine(interpreted):
        peer, cons, keepers = plan_kernels.review_shares(plans, plain, peers, due)
    offering = offers_by_rule(plans, plain).astype(float)
    same_bits(offers_any_alternative(plans, plain), offering > 0)
    rules = (peers @ offering, group_share(plans.consultant, offering, plans.weight),
             group_share(plans.recordkeeper, offering, plans.weight))
    for got, rule in zip((peer, cons, keepers), rules, strict=True):
        same_bits(got[due], rule[due])
        assert not got[np.setdiff1d(np.arange(n), due)].any()


@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 60), degree=st.integers(2, 8))
@SETTINGS
def test_review_shares_with_the_models_peer_network(seed: int, n: int, degree: int) -> None:
    rng = np.random.default_rng(seed)
    plans, plain = random_plans(rng, n, 0.3)
    _, peers = peer_network(plans, degree, seed)
    due = np.arange(n)
    peer = plan_kernels.review_shares(plans, plain, peers, due)[0]
    same_bits(peer, peers @ offers_by_rule(plans, plain).astype(float))


@INTERPRETED
@given(**CASES, climate=st.sampled_from([1.0, 0.37, 60.0]), safe_harbor=st.sampled_from([0.0, 0.5, 1.0]))
@example(seed=0, n=0, density=0.4, climate=1.0, safe_harbor=0.0)
@example(seed=1, n=1, density=1.0, climate=60.0, safe_harbor=1.0)
@SETTINGS
def test_litigation_exposure_equals_the_rules(interpreted: bool, seed: int, n: int, density: float, climate: float,
                                              safe_harbor: float) -> None:
    rng = np.random.default_rng(seed)
    plans, plain = random_plans(rng, n, density)
    sleeve = random_sleeve(rng, n)
    trailing = rng.normal(0.0, 0.3, 8) * (rng.random(8) < 0.8)
    trailing[rng.random(8) < 0.1] = -0.0
    fee = np.where(rng.random(n) < 0.1, 0.004, rng.uniform(0.0, 0.02, n))
    policy = dataclasses.replace(PolicyState.baseline(), litigation_climate=climate, safe_harbor=safe_harbor)
    with engine(interpreted):
        offers, annual, fee_only = plan_kernels.litigation_exposure(plans, plain, sleeve, trailing, fee, policy,
                                                                    BEHAVIOUR)
    # The pass feeds each plan's own inputs to the rules; the hazard without alternatives is
    # the same rule with none offered, and never above the hazard with them (losses >= 0).
    rule_offers = offers_by_rule(plans, plain)
    alt_loss = alternative_losses(plans.standalone, sleeve, trailing)
    same_bits(offers, rule_offers)
    same_bits(annual, lawsuit_hazard_annual(plans, fee, alt_loss, rule_offers, policy, BEHAVIOUR))
    same_bits(fee_only, lawsuit_hazard_annual(plans, fee, np.zeros(n), np.zeros(n, dtype=bool), policy, BEHAVIOUR))
    assert (fee_only <= annual).all()


@plan_cases
def test_record_flags_equal_the_rule(interpreted: bool, seed: int, n: int, density: float) -> None:
    rng = np.random.default_rng(seed)
    plans, plain = random_plans(rng, n, density)
    table = random_sleeve(rng, N_PRODUCTS)
    with engine(interpreted):
        flags = plan_kernels.record_flags(plans, plain, table)
    same_bits(flags, offering_flags(plans, plain, table[plans.default_product]))


def test_offering_flags_by_channel_and_class() -> None:
    rng = np.random.default_rng(3)
    plans, plain = random_plans(rng, 50, 0.3)
    sleeve = random_sleeve(rng, 50)
    flags = offering_flags(plans, plain, sleeve)
    alt_tdf = plans.default_product != plain[plans.tdf_manager]
    np.testing.assert_array_equal(flags[0], offers_by_rule(plans, plain))
    np.testing.assert_array_equal(flags[1], alt_tdf)
    np.testing.assert_array_equal(flags[2], plans.standalone.any(axis=1))
    for k, c in enumerate(ALT_CLASS_INDEX):
        np.testing.assert_array_equal(flags[3 + k], plans.standalone[:, k] | (sleeve[:, c] > 0))


@plan_cases
def test_per_head_equals_the_rule_at_the_rows_asked(interpreted: bool, seed: int, n: int, density: float) -> None:
    rng = np.random.default_rng(seed)
    totals = rng.uniform(0.0, 5e3, (n, N_ALT)) * (rng.random((n, N_ALT)) < 0.7)
    # Plans without savers (0 heads) and with fewer heads than the floor of 1e-12.
    heads = np.where(rng.random(n) < density, 0.0, rng.uniform(0.0, 1e4, n)) + (rng.random(n) < 0.1) * 1e-13
    rows = np.flatnonzero(rng.random(n) < 0.5)
    rule = totals / np.maximum(heads, 1e-12)[:, None]  # one correctly rounded division: exact
    with engine(interpreted):
        whole = plan_kernels.per_head(totals, heads)
        into = totals.copy()
        plan_kernels.per_head(into, heads, rows, out=into)
    same_bits(whole, rule)
    expected = totals.copy()
    expected[rows] = rule[rows]
    same_bits(into, expected)


def random_context(rng: np.random.Generator, n: int) -> ReviewContext:
    """What reviewing sponsors see, drawn at random (signed benefits and stances, any climate)."""
    policy = dataclasses.replace(
        PolicyState.baseline(), stance={a: float(rng.normal()) for a in ALTERNATIVES},
        safe_harbor=float(rng.choice([0.0, 0.5, 1.0])), litigation_climate=float(rng.uniform(0.0, 3.0)),
    )
    return ReviewContext(
        policy=policy, benefit_reported=rng.normal(0.0, 0.05, N_ALT), benefit_true=rng.normal(0.0, 0.05, N_ALT),
        demand=rng.random((n, N_ALT)) * (rng.random((n, N_ALT)) < 0.7), peer_share=rng.random(n),
        consultant_share=rng.random(n) * (rng.random(n) < 0.8), recordkeeper_share=rng.random(n),
        recent_suits=float(rng.uniform(0.0, 40.0)), alt_tdf_available=np.zeros(N_MANAGERS, dtype=bool),
        alt_tdf_product=np.full(N_MANAGERS, -1, dtype=np.int32), plain_tdf_product=np.arange(N_MANAGERS, dtype=np.int32),
        standalone_open=np.ones(N_ALT, dtype=bool), uniform=rng.random((n, 4)), month=0,
    )


@plan_cases
def test_adoption_utility_rows_equal_the_rule(interpreted: bool, seed: int, n: int, density: float) -> None:
    rng = np.random.default_rng(seed)
    plans, _ = random_plans(rng, n, density)
    ctx = random_context(rng, n)
    rows = np.flatnonzero(rng.random(n) < 0.6)
    with engine(interpreted):
        got = adoption_utility_rows(rows, ctx, plans, BEHAVIOUR)
    np.testing.assert_allclose(got, utility_by_rule(rows, ctx, plans, BEHAVIOUR), rtol=1e-13, atol=1e-13)
    same_bits(adoption_utility(rows, ctx, plans, BEHAVIOUR).reshape(rows.size, N_ALT), got)


@given(seed=st.integers(0, 2**32 - 1), n=st.integers(0, 60), share=st.sampled_from([0.0, 0.1, 0.5, 1.0]))
@SETTINGS
def test_any_column_and_best_allowed_equal_numpys_row_reductions(seed: int, n: int, share: float) -> None:
    rng = np.random.default_rng(seed)
    flags = rng.random((n, N_ALT)) < share
    same_bits(any_column(flags), flags.any(axis=1))
    util = rng.normal(0.0, 2.0, (n, N_ALT))
    util[rng.random((n, N_ALT)) < 0.1] = 0.0
    util[rng.random((n, N_ALT)) < 0.1] = -np.inf
    size_ok, classes = rng.random(n) < 0.8, rng.random(N_ALT) < share
    allowed = size_ok[:, None] & classes[None, :]
    np.testing.assert_array_equal(sponsors._best_allowed(util, size_ok, classes),
                                  np.max(np.where(allowed, util, -np.inf), axis=1))


def test_group_shares_worked_by_hand() -> None:
    # Consultant 0 advises plans of weight 1 (offering) and 3 (not): each sees 1/4. Consultant
    # 1's one plan (weight 2) offers: 1. A plan with no consultant (-1) sees 0.
    plans, plain = random_plans(np.random.default_rng(0), 4, 0.0)
    plans = dataclasses.replace(plans, consultant=np.array([0, 0, 1, -1], dtype=np.int32),
                                recordkeeper=np.full(4, -1, dtype=np.int32), weight=np.array([1.0, 3.0, 2.0, 5.0]),
                                standalone=np.zeros((4, N_ALT), dtype=bool))
    plans.standalone[[0, 2, 3], 0] = True
    _, cons, keepers = plan_kernels.review_shares(plans, plain, sp.csr_array((4, 4)), np.arange(4))
    np.testing.assert_allclose(cons, [0.25, 0.25, 1.0, 0.0])
    assert not keepers.any()
