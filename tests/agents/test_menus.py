"""Tests for real core menus (ODD §5 menus, §7.3 choice): each plan's number of core funds by
class drawn by size class from its own stream, and choosers who spread over the funds, so
that adding a fund of a class to a menu raises the class's share by the rule's amount."""

from __future__ import annotations

import numpy as np
import pytest
from alt401k.agents import menus, reallocation
from alt401k.agents import savers as sv
from alt401k.agents.sponsors import draw_core_menus, draw_plans
from alt401k.base import draws
from alt401k.base.assets import holding_index
from alt401k.base.strata import SIZE_CLASSES
from alt401k.model import fees
from alt401k.model.config import RunConfig, SponsorBehaviour
from alt401k.model.model import N_STREAMS, Alt401kModel
from alt401k.model.policy import load_scenario
from hypothesis import given, settings
from hypothesis import strategies as st


def _neutral_choice(core_funds: list[int], elasticity: float) -> np.ndarray:
    """The allocation of a chooser with neutral risk tolerance and no return chasing (every
    tilt 0, every score exp(0) = 1) on a menu of the default fund and the three core
    classes with `core_funds` funds each."""
    visible = np.zeros((1, sv.N_OPTIONS), dtype=bool)
    visible[0, :4] = True
    weight = sv.core_menu_weights(np.array([core_funds]), elasticity)
    return reallocation.choose_allocations(visible, np.zeros(sv.N_OPTIONS), np.array([0.5]), np.ones(1),
                                np.zeros((1, sv.N_OPTIONS)), np.ones((1, sv.N_OPTIONS)), 0.0, weight)[0]


def test_adding_an_equity_fund_raises_the_equity_share_by_the_rule() -> None:
    # Worked by hand. One fund of each class: scores 1, 1, 1, 1 (default fund, equity,
    # bonds, cash), so equity gets 1/4. A second equity fund at elasticity 1/2 scores
    # equity 2 ** 0.5 = 1.41421356..., so equity gets 1.41421356 / 4.41421356 = 0.320377...
    before = _neutral_choice([1, 1, 1], 0.5)
    after = _neutral_choice([2, 1, 1], 0.5)
    assert before[1] == pytest.approx(0.25, rel=1e-15)
    assert after[1] == pytest.approx(0.3203772410170407, rel=1e-12)
    # The other options share the rest evenly: 1 / 4.41421356 each.
    np.testing.assert_allclose(after[[0, 2, 3]], 0.22654091966098644, rtol=1e-12)
    # Pure 1/n over funds (elasticity 1): 2 of 5 funds; by class (elasticity 0): 1/4 still.
    assert _neutral_choice([2, 1, 1], 1.0)[1] == pytest.approx(0.4, rel=1e-15)
    assert _neutral_choice([2, 1, 1], 0.0)[1] == 0.25


def test_a_menu_of_one_fund_per_class_or_elasticity_zero_changes_nothing() -> None:
    rng = np.random.default_rng(3)
    n = 50
    visible = rng.random((n, sv.N_OPTIONS)) < 0.7
    args = (visible, rng.normal(0.05, 0.3, sv.N_OPTIONS), rng.random(n), rng.lognormal(0, 0.5, n),
            rng.random((n, sv.N_OPTIONS)), rng.random((n, sv.N_OPTIONS)), 2.0)
    plain = reallocation.choose_allocations(*args)
    ones = sv.core_menu_weights(np.ones((n, 3), dtype=np.int16), 0.7)
    zero = sv.core_menu_weights(rng.integers(1, 30, (n, 3)), 0.0)
    np.testing.assert_array_equal(reallocation.choose_allocations(*args, ones), plain)
    np.testing.assert_array_equal(reallocation.choose_allocations(*args, zero), plain)


@given(funds=st.lists(st.integers(1, 40), min_size=3, max_size=3), extra=st.integers(1, 10),
       elasticity=st.floats(0.01, 1.0), risk=st.floats(0.0, 1.0), chasing=st.floats(0.0, 5.0))
@settings(max_examples=60, deadline=None)
def test_more_funds_of_a_class_never_lower_its_share(funds, extra, elasticity, risk, chasing) -> None:
    visible = np.zeros((1, sv.N_OPTIONS), dtype=bool)
    visible[0, :4] = True
    ret = np.linspace(-0.2, 0.3, sv.N_OPTIONS)

    def share(f: list[int]) -> np.ndarray:
        return reallocation.choose_allocations(visible, ret, np.array([risk]), np.ones(1), np.zeros((1, sv.N_OPTIONS)),
                                    np.ones((1, sv.N_OPTIONS)), chasing,
                                    sv.core_menu_weights(np.array([f]), elasticity))[0]

    for c in range(3):
        more = list(funds)
        more[c] += extra
        a, b = share(funds), share(more)
        assert b[1 + c] >= a[1 + c] * (1 - 1e-12)
        # ... and the odds of any two other options are unchanged (the logit's IIA).
        others = [j for j in range(4) if j != 1 + c]
        np.testing.assert_allclose(b[others] / b[others].sum(), a[others] / a[others].sum(), rtol=1e-12)


def test_menu_counts_match_the_published_means_by_size_class() -> None:
    behaviour = SponsorBehaviour()
    n_per_class = 20_000
    size_class = np.repeat(np.arange(len(SIZE_CLASSES), dtype=np.int8), n_per_class)
    funds, index = draw_core_menus(size_class, behaviour, np.random.default_rng(11))
    assert funds.shape == index.shape == (size_class.size, 3) and funds.min() >= 1
    assert np.all((index >= 0) & (index <= funds)) and not index[:, 2].any()  # cash funds are not index funds
    for c, mean in enumerate(behaviour.core_funds_mean_by_class):
        got = funds[size_class == c].mean(axis=0)
        # 1 + Poisson(m - 1): mean m, variance m - 1; within 5 standard errors.
        se = np.sqrt((np.asarray(mean) - 1.0) / n_per_class)
        assert np.all(np.abs(got - np.asarray(mean)) < 5 * se + 1e-12), (c, got, mean)
        assert np.var(funds[size_class == c], axis=0) == pytest.approx(np.asarray(mean) - 1.0, rel=0.1)
    # Large plans offer about 13 equity and 3 bond funds (BrightScope/ICI 2020).
    large = funds[size_class == SIZE_CLASSES.index("10000plus")].mean(axis=0)
    assert large[0] == pytest.approx(13.0, abs=0.2) and large[1] == pytest.approx(3.0, abs=0.1)
    # Index funds: offered by `index_offer_share_by_class` of plans (BrightScope/ICI 2016),
    # then each equity or bond fund is one with probability `index_fund_share`.
    for c, p in enumerate(behaviour.index_offer_share_by_class):
        rows = size_class == c
        offers = index[rows, :2].sum(axis=1) > 0
        # Offering plans with no index fund drawn are counted as not offering: P = (1 - x) ** funds.
        none = np.mean((1 - behaviour.index_fund_share) ** funds[rows, :2].sum(axis=1))
        expected = p * (1 - none)
        assert offers.mean() == pytest.approx(expected, abs=5 * np.sqrt(expected * (1 - expected) / n_per_class))
        ratio = index[rows, :2].sum() / funds[rows, :2].sum()
        assert ratio == pytest.approx(p * behaviour.index_fund_share, abs=0.01)


def test_menus_come_from_their_own_stream_and_reproduce() -> None:
    config = RunConfig(n_savers=400, n_sponsors=40, years=1, seed=5)
    a = Alt401kModel(load_scenario("status-quo"), config)
    b = Alt401kModel(load_scenario("status-quo"), config)
    np.testing.assert_array_equal(a.plans.core_funds, b.plans.core_funds)
    assert a.plans.core_funds.dtype == np.int16 and (a.plans.core_funds > 1).any()
    # The menus are the menus stream's draws alone (ODD §4.9) ...
    streams = np.random.SeedSequence(5).spawn(N_STREAMS)
    funds, index = draw_core_menus(a.plans.size_class, config.sponsor, np.random.default_rng(streams[draws.MENUS_STREAM]))
    np.testing.assert_array_equal(a.plans.core_funds, funds)
    np.testing.assert_array_equal(a.plans.core_index_funds, index)
    # ... so the plans' other features are those the initial-state stream gave before.
    plans = draw_plans(config.n_sponsors, config.initial, config.sponsor, np.random.default_rng(streams[3]))
    np.testing.assert_array_equal(a.plans.participants, plans.participants)
    np.testing.assert_array_equal(a.plans.auto_enroll, plans.auto_enroll)
    np.testing.assert_array_equal(plans.core_funds, np.ones((plans.n, 3)))
    assert plans.core_index_funds is None


def test_a_plans_core_fee_is_the_mean_over_its_funds() -> None:
    model = Alt401kModel(load_scenario("status-quo"), RunConfig(n_savers=200, n_sponsors=8, years=1, seed=2))
    behaviour = model.config.manager
    # Worked by hand with the default fees (index equity 0.08%, active equity 0.54%, index
    # bonds 0.05%, active bonds 0.45%, cash 0.30%): four equity funds of which one index,
    # (0.0008 + 3 x 0.0054) / 4 = 0.00425; two bond funds, both index, 0.0005; one cash fund.
    model.plans.core_funds[0] = (4, 2, 1)
    model.plans.core_index_funds[0] = (1, 2, 0)
    model.plans.core_funds[1] = (1, 1, 3)
    model.plans.core_index_funds[1] = (0, 0, 0)
    matrix = model.plan_fee_matrix()
    cols = [holding_index("core_menu", a) for a in ("equity", "bonds", "cash")]
    np.testing.assert_allclose(matrix[0, cols], (0.00425, 0.0005, 0.0030), rtol=1e-12)
    np.testing.assert_allclose(matrix[1, cols], (0.0054, 0.0045, 0.0030), rtol=1e-12)
    assert behaviour.core_active_fee_annual["equity"] == 0.0054  # the hand-worked case's inputs
    # The kept matrix follows a redrawn menu (a plan birth), and equals the definition.
    np.testing.assert_array_equal(matrix, fees.plan_fee_matrix(model.plans, model.book, model.managers, behaviour))


def test_the_mean_core_fee_over_participants_is_icis_401k_average() -> None:
    # The active fees are implied so that, with the expected index share, the mean class fee
    # is `core_fee_annual` (ICI 2020: equity 0.39%, bonds 0.32%): a law over many plans.
    config = RunConfig()
    n = 40_000
    shares = np.asarray(config.initial.participant_share_by_class)
    size_class = np.random.default_rng(1).choice(4, n, p=shares).astype(np.int8)
    funds, index = draw_core_menus(size_class, config.sponsor, np.random.default_rng(2))
    fee = fees.core_fees(funds, index, config.manager).mean(axis=0)
    assert fee[0] == pytest.approx(config.manager.core_fee_annual["equity"], abs=0.00005)
    assert fee[1] == pytest.approx(config.manager.core_fee_annual["bonds"], abs=0.00005)
    assert fee[2] == pytest.approx(config.manager.core_fee_annual["cash"], rel=1e-12)


def _menu(style: int, standalone: tuple[bool, ...] = (True, False, False, False, False), window: bool = True,
          allowed: tuple[bool, ...] = (True, True, False, False, False), size_ok: bool = True,
          managed: tuple[bool, ...] = (False, False, True, False, False)) -> np.ndarray:
    out = np.empty(sv.N_OPTIONS, dtype=np.bool_)
    menus.menu_of(style, np.array(standalone), window, np.array(allowed), size_ok, np.array(managed), out)
    return out


def test_menu_of_each_kind_of_saver_by_hand() -> None:
    # Options: 0 default fund, 1-3 core, 4-8 standalone alternatives, 9 window equity,
    # 10-14 window alternatives. The plan offers the first standalone class, has a window
    # whose regime lets in the first two classes, and its managed-account service holds the
    # third class.
    core = [True] * 4
    assert _menu(sv.DEFAULTED).tolist() == core + [True, False, False, False, False] + [False] * 6
    assert _menu(sv.ACTIVE).tolist() == _menu(sv.DEFAULTED).tolist()
    assert _menu(sv.WINDOW).tolist() == core + [True, False, False, False, False] + [True, True, True, False, False, False]
    assert _menu(sv.WINDOW, size_ok=False).tolist() == core + [True] + [False] * 4 + [True] + [False] * 5
    assert _menu(sv.WINDOW, window=False)[9:].tolist() == [False] * 6
    assert _menu(sv.MANAGED).tolist() == core + [True, False, True, False, False] + [False] * 6


def test_stranded_means_money_or_contributions_off_the_menu() -> None:
    visible = _menu(sv.ACTIVE)
    balance, allocation = np.zeros(sv.N_DF + sv.N_OPTIONS - 1), np.zeros(sv.N_OPTIONS)
    allocation[0] = 1.0
    assert not menus.is_stranded(balance, allocation, visible)
    balance[sv.N_DF + 4 - 1] = 10.0  # the first standalone class: on the menu
    assert not menus.is_stranded(balance, allocation, visible)
    balance[sv.N_DF + 5 - 1] = 10.0  # the second: off it
    assert menus.is_stranded(balance, allocation, visible)
    balance[sv.N_DF + 5 - 1], allocation[9] = 0.0, 0.1  # directing money to window equity
    assert menus.is_stranded(balance, allocation, visible)
