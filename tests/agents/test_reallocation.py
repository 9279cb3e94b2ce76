"""Tests for agents/reallocation.py: the choosers' reallocation pass (choice, account cap,
panic sale, trading through the gate) conserves every account's money, keeps allocations on
the simplex and within the cap, trades as the menu-change trade does, and gives the same
bytes compiled, interpreted and on any number of threads."""

from __future__ import annotations

import functools

import numpy as np
import pytest
from alt401k.agents import reallocation as ra
from alt401k.agents import savers as sv
from alt401k.agents import trading
from alt401k.base.assets import ALT_CLASS_INDEX, N_HOLDINGS
from alt401k.model.config import RunConfig
from alt401k.model.model import Alt401kModel
from alt401k.model.policy import load_scenario
from hypothesis import given, settings
from hypothesis import strategies as st

RTOL = 1e-12


def alt_share(balance: np.ndarray) -> np.ndarray:
    """Each account's share in alternatives, all channels (ODD §7.3, the account cap)."""
    total = balance.sum(axis=1)
    return np.divide(balance[:, sv.ALT_HOLDINGS].sum(axis=1), total, out=np.zeros_like(total), where=total > 0)


@functools.cache
def _population() -> sv.SaverPopulation:
    """A model's savers at t0 (800 rows, 40 plans); tests take copies and reset columns."""
    model = Alt401kModel(load_scenario("broad-access"), RunConfig(n_savers=800, n_sponsors=40, years=1, seed=1))
    return model.savers


def _case(seed: int, cap: float, crash: bool):
    """Random choosers with accounts that hold gated and liquid money in every channel."""
    rng = np.random.default_rng(seed)
    pop = _population().take(np.arange(800))
    n = pop.n
    pop.balance_usd[:] = rng.lognormal(7.0, 2.0, (n, N_HOLDINGS)) * (rng.random((n, N_HOLDINGS)) < 0.4)
    pop.balance_usd[:10] = 0.0  # empty accounts
    pop.balance_usd[10:30, : sv.N_DF] = 0.0  # nothing in the default fund: its mix is the plan's
    wholly_gated = rng.choice(sv.ILLIQUID_COLUMNS, 20)
    pop.balance_usd[30:50] = 0.0
    pop.balance_usd[np.arange(30, 50), wholly_gated] = 1e4  # all in one gated vehicle
    pop.risk_tolerance[:] = rng.uniform(0.0, 1.0, n)
    pop.return_sensitivity[:] = rng.lognormal(0.0, 0.5, n)
    rows = np.flatnonzero(rng.random(n) < 0.6)
    k = rows.size
    visible = rng.random((k, sv.N_OPTIONS)) < 0.7
    visible[:, 0] = True
    visible[:5] = False  # nothing on the menu: all to the default fund
    interest = rng.uniform(0.0, 1.0, (k, sv.N_OPTIONS)) * sv.OPTION_IS_ALT
    u_alt = rng.random((k, sv.N_OPTIONS), dtype=np.float32)
    u_panic = rng.random(n, dtype=np.float32)
    composition = rng.random((k, sv.N_DF)) * (rng.random((k, sv.N_DF)) < 0.7)
    composition[:, 0] += 1e-3
    composition /= composition.sum(axis=1, keepdims=True)
    used = rng.random(k) < 0.2
    terms = ra.ChoiceTerms(option_return=rng.normal(0.05, 0.4, sv.N_OPTIONS), return_chasing=2.0,
                           account_cap=cap, crash=crash, panic_sale_prob=0.5, gate_monthly=0.05 / 3.0)
    # Varied menus: 1 to 20 funds of each core class, weighted as `savers.core_menu_weights`.
    core_weight = sv.core_menu_weights(rng.integers(1, 21, (k, 3)), rng.uniform(0.0, 1.0))
    return pop, (rows, visible, interest, u_alt, u_panic, composition, used, terms, core_weight)


def _check_equal(a: sv.SaverPopulation, b: sv.SaverPopulation, ga: np.ndarray, gb: np.ndarray, exact: bool) -> None:
    for name, x, y in (("balance", a.balance_usd, b.balance_usd), ("allocation", a.allocation, b.allocation),
                       ("gated", ga, gb)):
        if exact:
            np.testing.assert_array_equal(y, x, err_msg=name)
        else:
            np.testing.assert_allclose(y, x, rtol=RTOL, atol=RTOL * max(1.0, float(np.abs(x).max())), err_msg=name)
    np.testing.assert_array_equal(b.trades, a.trades)




@given(seed=st.integers(0, 2**32 - 1), cap=st.sampled_from([1.0, 0.05]), crash=st.booleans())
@settings(max_examples=15, deadline=None)
def test_pass_conserves_money_and_respects_the_cap(seed: int, cap: float, crash: bool) -> None:
    # Trading moves money between holdings only; allocations are on the simplex; a chooser
    # below the cap directs at most `cap` to alternatives (counting the default fund's
    # sleeve), and a gated position falls by at most the gate share.
    pop, args = _case(seed, cap, crash)
    rows, composition, used, terms = args[0], args[5], args[6], args[7]
    before = pop.balance_usd[rows].copy()
    ra.reallocate(pop, *args)
    after = pop.balance_usd[rows]
    np.testing.assert_allclose(after.sum(axis=1), before.sum(axis=1), rtol=1e-12, atol=1e-9)
    assert (after >= 0).all()
    alloc = pop.allocation[rows]
    np.testing.assert_allclose(alloc.sum(axis=1), 1.0, rtol=1e-12)
    assert (alloc >= 0).all()
    ill = sv.ILLIQUID_COLUMNS
    gate = np.where(used, 0.0, terms.gate_monthly)[:, None]
    assert (after[:, ill] >= before[:, ill] * (1.0 - gate) * (1 - 1e-12) - 1e-9).all()
    if cap < 1.0:
        below = alt_share(before) < cap
        sleeve = composition[:, ALT_CLASS_INDEX].sum(axis=1)
        reach = alloc[:, sv.OPTION_IS_ALT].sum(axis=1) + sleeve * alloc[:, 0]
        assert (reach[below] <= np.maximum(cap, sleeve[below]) + 1e-12).all()


def test_pass_gives_the_same_bytes_compiled_interpreted_and_on_any_threads() -> None:
    from alt401k.model.threads import set_kernel_threads

    pop, args = _case(3, 0.05, True)
    results = []
    for threads, interpreted in ((1, False), (2, False), (1, True)):
        p = pop.take(np.arange(pop.n))
        saved = ra._reallocate_kernel
        if interpreted:
            ra._reallocate_kernel = ra._reallocate_kernel.py_func
        set_kernel_threads(threads)
        try:
            results.append((p, ra.reallocate(p, *args)))
        finally:
            ra._reallocate_kernel = saved
            set_kernel_threads(None)
    for p, g in results[1:]:
        _check_equal(results[0][0], p, results[0][1], g, exact=True)


@pytest.mark.parametrize("cap", [1.0, 0.05])
def test_no_choosers_change_nothing(cap: float) -> None:
    pop, args = _case(4, cap, False)
    empty = np.zeros(0, dtype=np.intp)
    before = pop.balance_usd.copy()
    gated = ra.reallocate(pop, empty, *(x[:0] for x in args[1:4]), args[4], args[5][:0], args[6][:0], args[7])
    assert gated.size == 0
    np.testing.assert_array_equal(pop.balance_usd, before)


def test_pass_refuses_another_layout() -> None:
    # The pass is compiled for the model's holdings, options and fund classes (constant
    # loop lengths): a menu of another width is refused, not misread.
    pop, (rows, visible, *rest) = _case(5, 1.0, False)
    with pytest.raises(ValueError, match="compiled for 22 holdings"):
        ra.reallocate(pop, rows, visible[:, :-1].copy(), *rest)


@given(seed=st.integers(0, 2**32 - 1))
@settings(max_examples=10, deadline=None)
def test_the_pass_is_the_choice_then_the_trade(seed: int) -> None:
    # Without a cap or a crash the pass is the choice followed by the trade (the rules
    # `choose_allocation` and `trading.trade_to_allocation`, here through their passes over
    # many rows), the gate used up where a menu change already sold through it.
    pop, args = _case(seed, 1.0, False)
    rows, visible, interest, u_alt, _, composition, used, terms, core_weight = args
    expected_balance = pop.balance_usd[rows].copy()
    alloc = ra.choose_allocations(visible, terms.option_return, pop.risk_tolerance[rows],
                                  pop.return_sensitivity[rows], interest, u_alt, terms.return_chasing, core_weight)
    expected_gated = trading.trade_accounts(expected_balance, alloc, composition,
                                            np.where(used, 0.0, terms.gate_monthly))
    gated = ra.reallocate(pop, *args)
    np.testing.assert_array_equal(pop.allocation[rows], alloc)
    np.testing.assert_array_equal(pop.balance_usd[rows], expected_balance)
    np.testing.assert_array_equal(gated, expected_gated)
    assert expected_gated.sum() > 0 and (pop.trades[rows] == _population().trades[rows] + 1).all()


@given(seed=st.integers(0, 2**32 - 1), cap=st.floats(0.0, 1.0))
@settings(max_examples=100, deadline=None)
def test_redirect_at_cap_moves_only_alternatives_and_only_at_the_cap(seed: int, cap: float) -> None:
    # The account cap's first step (ODD §7.3): at or above the cap, every alternative
    # option's weight goes to the default fund; below it, nothing moves. Weights are
    # conserved and the step is idempotent.
    rng = np.random.default_rng(seed)
    n = 50
    balance = rng.lognormal(8.0, 2.0, (n, N_HOLDINGS)) * (rng.random((n, N_HOLDINGS)) < 0.5)
    allocation = rng.dirichlet(np.ones(sv.N_OPTIONS), n)
    out = ra.capped_contribution_allocations(allocation, balance, cap)
    at_cap = alt_share(balance) >= cap
    np.testing.assert_allclose(out.sum(axis=1), allocation.sum(axis=1), rtol=1e-12)
    assert not out[at_cap][:, sv.OPTION_IS_ALT].any()
    np.testing.assert_array_equal(out[~at_cap], allocation[~at_cap])
    non_alt = ~sv.OPTION_IS_ALT
    non_alt[0] = False
    np.testing.assert_array_equal(out[:, non_alt], allocation[:, non_alt])
    np.testing.assert_array_equal(ra.capped_contribution_allocations(out, balance, cap), out)
