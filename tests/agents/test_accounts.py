"""Tests for agents/accounts.py: one account's month (contributions, returns, fees, carry,
default-fund rebalancing through the gate) by hand-worked cases and by property."""

from __future__ import annotations

import numpy as np
import pytest
from alt401k.agents import savers as sv
from alt401k.agents.accounts import month_of_account
from alt401k.base.assets import ASSET_CLASSES, HOLDING_ASSET, N_HOLDINGS, holding_index
from hypothesis import given, settings
from hypothesis import strategies as st

GATE_MONTHLY = 0.05 / 3.0
PE_STANDALONE = holding_index("standalone", "private_equity")
DF_EQUITY, DF_BONDS, DF_PE = 0, 1, 4
IS_PE = np.array([ASSET_CLASSES[a] == "private_equity" for a in HOLDING_ASSET])
COMPOSITION_50_30_20 = np.array([0.5, 0.3, 0.0, 0.0, 0.2, 0.0, 0.0, 0.0])
"""A TDF with a 20% private-equity sleeve."""


def _month(balance: np.ndarray, comp: np.ndarray = COMPOSITION_50_30_20, returns: np.ndarray | None = None,
           fee_annual: float = 0.0, carry_monthly: float = 0.0, gate: float = 1.0, amount: float = 0.0,
           allocation: np.ndarray | None = None, weight: float = 1.0):
    """One month of the rule on `balance` (changed in place); returns (before, gain, carry,
    stuck, sold, gains by holding, fees by holding)."""
    if allocation is None:
        allocation = np.zeros(sv.N_OPTIONS)
        allocation[0] = 1.0
    run_gain, run_fee = np.zeros(N_HOLDINGS), np.zeros(N_HOLDINGS)
    out = month_of_account(balance, allocation, comp, amount, np.zeros(N_HOLDINGS) if returns is None else returns,
                           np.full(N_HOLDINGS, fee_annual / 12.0), IS_PE, carry_monthly, gate, N_HOLDINGS, weight,
                           run_gain, run_fee, np.empty(sv.N_DF), np.empty(sv.N_DF))
    return (*out, run_gain, run_fee)


def _fund(equity: float, bonds: float, pe: float) -> np.ndarray:
    balance = np.zeros(N_HOLDINGS)
    balance[[DF_EQUITY, DF_BONDS, DF_PE]] = (equity, bonds, pe)
    return balance


def test_contributions_split_by_allocation_and_fund_mix() -> None:
    # $1,000 half to the default fund (60/30/10 equity/bonds/cash) and half to core equity
    # (option 1, holding column 8): fund columns 300/150/50, core equity 500.
    balance = np.zeros(N_HOLDINGS)
    allocation = np.zeros(sv.N_OPTIONS)
    allocation[[0, 1]] = 0.5
    comp = np.array([0.6, 0.3, 0.1, 0.0, 0.0, 0.0, 0.0, 0.0])
    _month(balance, comp, amount=1000.0, allocation=allocation)
    np.testing.assert_allclose(balance[[0, 1, 2, 8]], [300.0, 150.0, 50.0, 500.0])
    assert balance.sum() == pytest.approx(1000.0)


def test_returns_grow_each_holding_by_its_class_return() -> None:
    # $100 in default-fund equity at +2% and $100 standalone PE at +1% (reported NAV):
    # gain 2 + 1 = 3 on 200 dollars before, weighted 3 x 10 by a weight of 10.
    balance = np.zeros(N_HOLDINGS)
    balance[DF_EQUITY] = 100.0
    balance[PE_STANDALONE] = 100.0
    returns = np.zeros(N_HOLDINGS)
    returns[DF_EQUITY], returns[PE_STANDALONE] = 0.02, 0.01
    before, gain, *_, run_gain, _ = _month(balance, np.eye(8)[0], returns=returns, weight=10.0)
    assert (before, gain) == pytest.approx((200.0, 3.0))
    assert balance[DF_EQUITY] == pytest.approx(102.0) and balance[PE_STANDALONE] == pytest.approx(101.0)
    assert run_gain[DF_EQUITY] == pytest.approx(20.0) and run_gain[PE_STANDALONE] == pytest.approx(10.0)


def test_fees_are_a_twelfth_of_the_annual_rate() -> None:
    # 1.2%/yr on $1,200 of core bonds = $1.20 a month, taken from that holding.
    balance = np.zeros(N_HOLDINGS)
    balance[9] = 1200.0
    *_, fees = _month(balance, fee_annual=0.012)
    assert fees[9] == pytest.approx(1.2) and fees.sum() == pytest.approx(1.2)
    assert balance[9] == pytest.approx(1198.8)


def test_carry_is_charged_on_private_equity_only() -> None:
    # BXPE: 12.5% over a 5% hurdle. A +2% month on $1,000: the monthly rate is
    # 0.125 x (0.02 - 0.05/12) / 1.02 of the post-return $1,020, i.e. 0.125 x 0.0158333 x
    # $1,000 = $1.979 (`kernels.balance_month_rows` computes the rate).
    balance = np.zeros(N_HOLDINGS)
    balance[PE_STANDALONE] = 1000.0
    balance[9] = 1000.0
    returns = np.zeros(N_HOLDINGS)
    returns[PE_STANDALONE] = 0.02
    rate = 0.125 * (0.02 - 0.05 / 12.0) / 1.02
    _, _, carry, *_ = _month(balance, returns=returns, carry_monthly=rate)
    expected = 0.125 * (0.02 - 0.05 / 12.0) * 1000.0
    assert carry == pytest.approx(expected, rel=1e-12)
    assert balance[PE_STANDALONE] == pytest.approx(1020.0 - expected, rel=1e-12)
    assert balance[9] == 1000.0


def test_rebalancing_after_a_crash_is_gated_denominator_effect() -> None:
    # At target $500/$300/$200, equity falls 40%: $300/$300/$200, total $800, PE target
    # $160. The sleeve may shed only 1/60 of $200 a month: it stays at $196.67 (24.6% of
    # the fund, $36.67 stuck above target, $3.33 sold). The liquid $603.33 is split 500:300
    # over equity and bonds: $377.08 and $226.25. The fund's total stays $800.
    balance = _fund(300.0, 300.0, 200.0)
    _, _, _, stuck, sold, *_ = _month(balance, gate=GATE_MONTHLY)
    pe = 200.0 * (1.0 - GATE_MONTHLY)
    assert balance[DF_PE] == pytest.approx(pe)
    assert (stuck, sold) == pytest.approx((pe - 160.0, 200.0 - pe))
    assert balance[DF_EQUITY] == pytest.approx((800.0 - pe) * 500.0 / 800.0)
    assert balance[DF_BONDS] == pytest.approx((800.0 - pe) * 300.0 / 800.0)
    assert balance.sum() == pytest.approx(800.0, rel=1e-14)


def test_rebalancing_without_a_gate_or_below_target_reaches_the_target() -> None:
    # Gate 100%: the crashed fund goes straight to $400/$240/$160 with nothing stuck.
    balance = _fund(300.0, 300.0, 200.0)
    stuck = _month(balance, gate=1.0)[3]
    np.testing.assert_allclose(balance[[0, 1, 4]], [400.0, 240.0, 160.0])
    assert stuck == 0.0
    # A sleeve below target is bought freely: $1,000 fund with $100 PE -> $200 PE.
    balance = _fund(600.0, 300.0, 100.0)
    _month(balance, gate=GATE_MONTHLY)
    np.testing.assert_allclose(balance[[0, 1, 4]], [500.0, 300.0, 200.0])


@given(seed=st.integers(0, 2**32 - 1), gate=st.sampled_from([0.0, GATE_MONTHLY, 0.5, 1.0]))
@settings(max_examples=200, deadline=None)
def test_rebalancing_conserves_each_account_and_respects_the_gate(seed: int, gate: float) -> None:
    # No returns, fees or contributions: the fund's dollars only move between its classes,
    # nothing outside it moves, no holding goes negative, and a sleeve class falls by at
    # most the gate's share.
    rng = np.random.default_rng(seed)
    balance = rng.lognormal(6.0, 2.0, N_HOLDINGS) * (rng.random(N_HOLDINGS) < 0.6)
    comp = rng.random(sv.N_DF) * (rng.random(sv.N_DF) < 0.7)
    comp[0] += 1e-3
    comp /= comp.sum()
    before = balance.copy()
    _month(balance, comp, gate=gate)
    assert balance.sum() == pytest.approx(before.sum(), rel=1e-12)
    np.testing.assert_array_equal(balance[sv.N_DF :], before[sv.N_DF :])
    assert (balance >= 0.0).all()
    cols = sv.DF_ILLIQUID
    assert np.all(balance[cols] >= before[cols] * (1.0 - gate) * (1 - 1e-12) - 1e-9)
