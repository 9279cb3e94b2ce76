"""Sponsors' fear of litigation reads the suits they see (ODD §7.8, litigation fear; §7.10):
suits against adopters nationally, against their industry peers and against plans of their
own size class."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from alt401k.agents.sponsors import N_ALT, adoption_utility, draw_plans, review_plans
from alt401k.model.config import InitialState, SponsorBehaviour
from hypothesis import given, settings
from hypothesis import strategies as st

from .test_safe_harbor_factors import context, policy

# Round weights so the hand-worked numbers below are exact in the head.
B = SponsorBehaviour(weight_recent_suits=0.5, weight_peer_suits=2.0, weight_class_suits=0.05, safe_harbor_shield=0.6)


def plans_of(n: int, seed: int = 1):
    return draw_plans(n, InitialState(), B, np.random.default_rng(seed))


def test_a_plan_whose_peers_were_sued_has_the_hand_worked_lower_utility() -> None:
    plans = plans_of(8)
    rows = np.arange(plans.n)
    quiet = context(plans.n, policy(0.5))
    sued = dataclasses.replace(quiet, peer_suit_share=np.full(plans.n, 0.25))
    diff = adoption_utility(rows, sued, plans, B) - adoption_utility(rows, quiet, plans, B)
    # 2.0 x 0.25 of peers sued, shielded by a harbor of strength 0.5: 1 - 0.6 x 0.5 = 0.7.
    np.testing.assert_allclose(diff, -0.35, rtol=1e-12)


def test_suits_against_its_own_size_class_weigh_on_that_class_only() -> None:
    plans = plans_of(40)
    rows = np.arange(plans.n)
    quiet = context(plans.n, policy(0.0))
    jumbo = dataclasses.replace(quiet, class_suits=np.array([0.0, 0.0, 0.0, 70.0]))
    diff = adoption_utility(rows, jumbo, plans, B) - adoption_utility(rows, quiet, plans, B)
    is_jumbo = plans.size_class == 3
    assert is_jumbo.any() and (~is_jumbo).any()
    # 0.05 per 10 filings x 70 filings, no harbor: -0.35 at jumbo plans, 0 elsewhere.
    np.testing.assert_allclose(diff[is_jumbo], -0.35, rtol=1e-12)
    np.testing.assert_array_equal(diff[~is_jumbo], 0.0)


def test_the_suits_seen_add_the_national_peer_and_class_terms() -> None:
    plans = plans_of(12)
    rows = np.arange(plans.n)
    ctx = dataclasses.replace(context(plans.n, policy(0.0), suits=20.0), peer_suit_share=np.full(plans.n, 0.1),
                              class_suits=np.array([10.0, 20.0, 30.0, 40.0]))
    # 0.5 x 20 / 10 = 1.0 nationally; 2.0 x 0.1 = 0.2 from peers; 0.05 x (10, 20, 30, 40) / 10 by class.
    # Without a safe harbor (shield 1) every class's utility falls by what the sponsor sees.
    want = 1.0 + 0.2 + np.array([0.05, 0.1, 0.15, 0.2])[plans.size_class]
    quiet = dataclasses.replace(ctx, recent_suits=0.0, peer_suit_share=np.zeros(plans.n), class_suits=np.zeros(4))
    drop = adoption_utility(rows, quiet, plans, B) - adoption_utility(rows, ctx, plans, B)
    np.testing.assert_allclose(drop, np.repeat(want[:, None], N_ALT, axis=1), rtol=1e-12)


@given(share=st.floats(0.0, 1.0), strength=st.floats(0.0, 1.0))
@settings(max_examples=30, deadline=None)
def test_more_peers_sued_never_raises_the_utility(share: float, strength: float) -> None:
    plans = plans_of(8)
    rows = np.arange(plans.n)
    quiet = context(plans.n, policy(strength))
    sued = dataclasses.replace(quiet, peer_suit_share=np.full(plans.n, share))
    assert (adoption_utility(rows, sued, plans, B) <= adoption_utility(rows, quiet, plans, B)).all()


def standalone_adds(peer_sued: float, seed: int) -> int:
    plans = plans_of(2000, seed)
    plans.standalone[:] = False
    ctx = dataclasses.replace(context(plans.n, policy(0.0), benefit=np.full(N_ALT, 0.05)),
                              uniform=np.random.default_rng(seed + 1000).random((plans.n, 4)),
                              peer_suit_share=np.full(plans.n, peer_sued))
    review_plans(np.arange(plans.n), ctx, plans, B)
    return int(plans.standalone.any(axis=1).sum())


@pytest.mark.parametrize("seed", [1, 2])
def test_plans_whose_peers_were_sued_add_alternatives_less_often(seed: int) -> None:
    # Identical plans, independent draws: half of all peers sued lowers the utility by 1.0,
    # so the share adding an option falls by far more than its sampling noise.
    quiet, sued = standalone_adds(0.0, seed), standalone_adds(0.5, seed + 7)
    n = 2000
    p_quiet, p_sued = quiet / n, sued / n
    se = np.sqrt(p_quiet * (1 - p_quiet) / n + p_sued * (1 - p_sued) / n)
    assert p_quiet > 0.02, "the test needs plans that add alternatives"
    assert p_quiet - p_sued > 4 * se, (p_quiet, p_sued, se)
