"""Tests for agents/sponsors.py: plan sampling, the adoption utility and lawsuit hazards."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from alt401k.agents.litigation import lawsuit_hazard_monthly
from alt401k.agents.sponsors import (
    N_ALT,
    ReviewContext,
    adjacency_csr,
    adoption_utility,
    draw_plans,
)
from alt401k.base.assets import ALTERNATIVES
from alt401k.base.strata import SIZE_CLASS_BOUNDS
from alt401k.model.config import InitialState, SponsorBehaviour
from alt401k.model.policy import PolicyState
from hypothesis import given, settings
from hypothesis import strategies as st

INITIAL = InitialState()
BEHAVIOUR = SponsorBehaviour()
BASELINE = PolicyState.baseline()


@pytest.fixture(scope="module")
def plans():
    return draw_plans(400, INITIAL, BEHAVIOUR, np.random.default_rng(7))


def test_plan_weights_sum_to_the_national_count_and_class_shares(plans) -> None:
    # DOL Form 5500 2019: 604,400 plans; EBRI 2020 class shares 84 / 13.5 / 2.3 / 0.2%.
    assert plans.weight.sum() == pytest.approx(604_400, rel=1e-12)
    by_class = np.bincount(plans.size_class, weights=plans.weight) / plans.weight.sum()
    np.testing.assert_allclose(by_class, INITIAL.plan_share_by_class, rtol=1e-12)
    # Stratified: 100 sampled plans per class, each within its class's participant range.
    assert np.bincount(plans.size_class).tolist() == [100, 100, 100, 100]
    for c, (lo, hi) in enumerate(SIZE_CLASS_BOUNDS):
        size = plans.participants[plans.size_class == c]
        assert size.min() >= lo and size.max() <= hi


def test_plan_weights_hold_for_an_uneven_sample() -> None:
    # 81 plans over 4 classes (21/20/20/20): weights still add to each class's count.
    p = draw_plans(81, INITIAL, BEHAVIOUR, np.random.default_rng(1))
    assert p.weight.sum() == pytest.approx(604_400, rel=1e-12)
    by_class = np.bincount(p.size_class, weights=p.weight)
    np.testing.assert_allclose(by_class, np.asarray(INITIAL.plan_share_by_class) * 604_400, rtol=1e-12)


def context(plans, policy: PolicyState = BASELINE, peer: float = 0.0, suits: float = 0.0,
            keepers: float = 0.0) -> ReviewContext:
    n = plans.n
    return ReviewContext(
        policy=policy,
        benefit_reported=np.full(N_ALT, 0.01),
        benefit_true=np.full(N_ALT, 0.0),
        demand=np.full((n, N_ALT), 0.1),
        peer_share=np.full(n, peer),
        consultant_share=np.zeros(n),
        recordkeeper_share=np.full(n, keepers),
        recent_suits=suits,
        alt_tdf_available=np.zeros(6, dtype=bool),
        alt_tdf_product=np.full(6, -1, dtype=np.int32),
        plain_tdf_product=np.arange(6, dtype=np.int32),
        standalone_open=np.ones(N_ALT, dtype=bool),
        uniform=np.full((n, 4), 0.5),
        month=0,
    )


def _mid_plan(plans) -> int:
    """A mid-size plan (100-999 participants) with some litigation aversion."""
    return int(np.flatnonzero((plans.size_class == 1) & (plans.litigation_aversion > 0.2))[0])


def test_adoption_utility_moves_in_the_documented_direction(plans) -> None:
    s = _mid_plan(plans)
    base = adoption_utility(s, context(plans), plans, BEHAVIOUR)

    def with_policy(**changes) -> np.ndarray:
        return adoption_utility(s, context(plans, dataclasses.replace(BASELINE, **changes)), plans, BEHAVIOUR)

    # A friendlier regulator (stance -0.5 -> +0.5 on every class) raises it by weight x 1.
    friendly = with_policy(stance=dict.fromkeys(ALTERNATIVES, 0.5))
    assert np.all(friendly > base)
    # A safe harbor raises it (direct weight, and it shields the litigation term).
    assert np.all(with_policy(safe_harbor=1.0) > base)
    # A harsher litigation climate lowers it by weight_litigation x aversion x 1.
    harsh = with_policy(litigation_climate=2.0)
    np.testing.assert_allclose(base - harsh, BEHAVIOUR.weight_litigation * plans.litigation_aversion[s])
    # Peers offering alternatives raise it (weight_peers x share).
    peers = adoption_utility(s, context(plans, peer=0.5), plans, BEHAVIOUR)
    np.testing.assert_allclose(peers - base, BEHAVIOUR.weight_peers * 0.5)
    # The recordkeeper's other clients offering alternatives raise it (weight x share).
    keepers = adoption_utility(s, context(plans, keepers=0.4), plans, BEHAVIOUR)
    np.testing.assert_allclose(keepers - base, BEHAVIOUR.weight_recordkeeper * 0.4)
    # Recent suits against adopters lower it; less so under a safe harbor.
    sued = adoption_utility(s, context(plans, suits=20.0), plans, BEHAVIOUR)
    assert np.all(sued < base)
    shielded = dataclasses.replace(BASELINE, safe_harbor=1.0)
    drop_shielded = adoption_utility(s, context(plans, shielded), plans, BEHAVIOUR) - adoption_utility(
        s, context(plans, shielded, suits=20.0), plans, BEHAVIOUR
    )
    assert np.all(drop_shielded < base - sued)


def test_small_plans_pay_the_capacity_penalty(plans) -> None:
    # Same plan features, size class 0 vs 1: DOL 2021 says small plans are less able to
    # evaluate private equity, so utility is lower by `small_plan_capacity_penalty`.
    s = _mid_plan(plans)
    ctx = context(plans)
    mid = adoption_utility(s, ctx, plans, BEHAVIOUR)
    small = dataclasses.replace(plans, size_class=plans.size_class.copy())
    small.size_class[s] = 0
    np.testing.assert_allclose(mid - adoption_utility(s, ctx, small, BEHAVIOUR), BEHAVIOUR.small_plan_capacity_penalty)


def _expected_suits_per_year(plans, policy: PolicyState, alt_loss: float = 0.0, offers: bool = False) -> float:
    monthly = lawsuit_hazard_monthly(
        plans, np.full(plans.n, 0.004), np.full(plans.n, alt_loss), np.full(plans.n, offers), policy, BEHAVIOUR
    )
    annual = 1.0 - (1.0 - monthly) ** 12
    return float(plans.weight @ annual)


def test_lawsuit_hazard_gives_about_55_suits_a_year_at_baseline(plans) -> None:
    # Encore/Euclid 2024: ~55 excess-fee suits a year. With no fee premium and no losses
    # the class hazards give 507,696 x 1e-5 + 81,594 x 6e-5 + 13,901 x 1e-3 + 1,209 x 0.026
    # = 5.1 + 4.9 + 13.9 + 31.4 = 55.3 expected suits; allow 50-60.
    assert 50.0 <= _expected_suits_per_year(plans, BASELINE) <= 60.0


def test_lawsuit_hazard_rises_with_climate_and_losses_and_safe_harbor_damps_it(plans) -> None:
    base = _expected_suits_per_year(plans, BASELINE)
    # Climate is a multiplier on the hazard: x2 gives ~2x the suits.
    doubled = _expected_suits_per_year(plans, dataclasses.replace(BASELINE, litigation_climate=2.0))
    assert doubled == pytest.approx(2.0 * base, rel=0.02)
    # A 30% loss on offered alternatives: x(1 + 5 x 0.3) = x2.5; a full safe harbor keeps
    # 20% of that part: x(1 + 0.2 x 1.5) = x1.3.
    loss = _expected_suits_per_year(plans, BASELINE, alt_loss=0.3, offers=True)
    harbour = _expected_suits_per_year(plans, dataclasses.replace(BASELINE, safe_harbor=1.0), 0.3, True)
    assert loss == pytest.approx(2.5 * base, rel=0.03)
    assert harbour == pytest.approx(1.3 * base, rel=0.03)
    # Plans not offering alternatives are not sued over alternative losses.
    assert _expected_suits_per_year(plans, BASELINE, alt_loss=0.3, offers=False) == pytest.approx(base)


def test_windows_are_added_where_alternatives_may_enter_them(plans) -> None:
    from alt401k.agents.sponsors import review_plans

    # Every plan without a window reviews with uniform draw 0.02: above the 1% base turnover,
    # so it adds a window only through the pull of alternatives allowed into windows.
    # With peers all offering and a friendly regulator, that pull is above 2% for most plans;
    # with windows closed to every alternative it is zero.
    def adds(policy: PolicyState) -> int:
        p = dataclasses.replace(plans, offers_window=np.zeros(plans.n, dtype=bool),
                                standalone=plans.standalone.copy(), default_product=plans.default_product.copy(),
                                tdf_manager=plans.tdf_manager.copy(), auto_enroll=plans.auto_enroll.copy())
        ctx = dataclasses.replace(context(p, policy, peer=1.0), uniform=np.full((p.n, 4), 0.02))
        review_plans(np.arange(p.n), ctx, p, BEHAVIOUR)
        return int(p.offers_window.sum())

    friendly = dataclasses.replace(BASELINE, stance=dict.fromkeys(ALTERNATIVES, 1.0))
    closed = dataclasses.replace(friendly, allowed={k: (k[0] != "window") and v for k, v in friendly.allowed.items()})
    assert adds(closed) == 0
    assert adds(friendly) > plans.n // 2


def test_alternative_losses_take_the_worst_offered_class() -> None:
    from alt401k.agents.litigation import alternative_losses

    # Trailing returns by class: crypto -60%, PE -10%, gold +5%, the rest 0.
    trailing = np.zeros(8)
    trailing[3], trailing[4], trailing[7] = -0.60, -0.10, 0.05
    standalone = np.zeros((3, N_ALT), dtype=bool)
    standalone[0, [0, 4]] = True  # crypto and gold offered -> worst loss 60%
    sleeve = np.zeros((3, 8))
    sleeve[1, 4], sleeve[1, 5] = 0.10, 0.10  # PE and private credit sleeve -> (0.1*0.1 + 0)/0.2 = 5%
    # Plan 2 offers nothing -> 0.
    np.testing.assert_allclose(alternative_losses(standalone, sleeve, trailing), [0.60, 0.05, 0.0])


def test_exact_share_within_class() -> None:
    from alt401k.agents.sponsors import exact_share_within_class

    # Class 0: 4 plans at share 0.5 -> exactly the 2 smallest draws; class 1: 3 plans at 1/3
    # -> 1 plan; the draws decide which, not how many.
    u = np.array([0.9, 0.1, 0.5, 0.3, 0.2, 0.8, 0.7])
    cls = np.array([0, 0, 0, 0, 1, 1, 1], dtype=np.int8)
    flags = exact_share_within_class(u, cls, np.array([0.5, 1 / 3]))
    np.testing.assert_array_equal(flags, [False, True, False, True, True, False, False])


@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 400), degree=st.integers(2, 12), p=st.sampled_from([0.0, 0.1, 0.5, 1.0]),
       seed=st.integers(0, 2**31 - 1))
def test_adjacency_is_networkx_conversion_bit_for_bit(n: int, degree: int, p: float, seed: int) -> None:
    # The peer network's matrix read from the neighbour lists equals networkx's own
    # conversion: the same indptr, column order and values, so the peer sums are the same bits.
    import networkx as nx

    k = min(degree, n - 1 - (n - 1) % 2) if n > 2 else 1
    graph = nx.watts_strogatz_graph(n, max(k, 2), p, seed=seed) if n > 3 else nx.complete_graph(n)
    ours = adjacency_csr(graph, n)
    theirs = nx.to_scipy_sparse_array(graph, nodelist=range(n), format="csr", dtype=float)
    for name in ("indptr", "indices", "data"):
        np.testing.assert_array_equal(getattr(ours, name), getattr(theirs, name), err_msg=name)
    assert ours.shape == theirs.shape and ours.has_canonical_format


@pytest.mark.parametrize("weight", [0.0, 1.546, 4.0])
def test_one_peer_weight_moves_both_decisions_alike(plans, weight: float) -> None:
    # ODD §7.8: the weight on peers' adoption is one sponsor trait, fitted to the diffusion
    # of auto-enrollment and read by the alternatives decision too. Half the peers having
    # adopted raises the log-odds of either decision by weight x 0.5.
    from alt401k.agents.sponsors import auto_enrollment_probability

    b = BEHAVIOUR.model_copy(update={"weight_peers": weight})
    s = _mid_plan(plans)
    alt = adoption_utility(s, context(plans, peer=0.5), plans, b) - adoption_utility(s, context(plans), plans, b)
    logit = []
    for share in (0.0, 0.5):
        ctx = dataclasses.replace(context(plans), peer_auto_enroll_share=np.full(plans.n, share))
        p = auto_enrollment_probability(np.array([s]), ctx, plans, b)[0]
        logit.append(np.log(p / (1.0 - p)))
    np.testing.assert_allclose(alt, weight * 0.5, atol=1e-12)
    assert logit[1] - logit[0] == pytest.approx(weight * 0.5, abs=1e-9)
    assert not hasattr(b, "ae_weight_peers")
