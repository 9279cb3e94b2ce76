"""Tests for agents/savers.py: one test per behaviour rule, with the arithmetic written out.

Holding columns (base/assets.py): 0-7 default fund by class (equity, bonds, cash, crypto,
private equity, private credit, infrastructure, gold), 8-10 core equity/bonds/cash, 11-15
standalone crypto/PE/PC/infra/gold, 16 window equity, 17-21 window alternatives. Options
(agents/savers.OPTIONS): 0 default fund, 1-3 core, 4-8 standalone, 9 window equity, 10-14
window alternatives; option k >= 1 is holding column k + 7.
"""

from __future__ import annotations

import numpy as np
import pytest
from alt401k.agents import fund_mix, reallocation, rule_kernels, trading
from alt401k.agents import savers as sv
from alt401k.base.assets import N_HOLDINGS, holding_index
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

GATE_MONTHLY = 0.05 / 3.0
"""BXPE: 5% of NAV a quarter (lever `liquidity.gate_quarterly` baseline), a third a month."""
PE_STANDALONE = holding_index("standalone", "private_equity")
DF_EQUITY, DF_BONDS, DF_PE = 0, 1, 4


def population(n: int, **columns: np.ndarray) -> sv.SaverPopulation:
    """A population of `n` identical savers; `columns` overrides any field."""
    base = dict(
        sponsor=np.zeros(n, dtype=np.int32),
        weight=np.ones(n),
        age_years=np.full(n, 40.0),
        retirement_age_years=np.full(n, 65.0),
        salary_usd_annual=np.full(n, 120_000.0),
        tenure_years=np.full(n, 5.0),
        balance_usd=np.zeros((n, N_HOLDINGS)),
        allocation=np.tile(np.eye(sv.N_OPTIONS)[0], (n, 1)),
        deferral_rate=np.full(n, 0.10),
        preferred_deferral_rate=np.full(n, 0.10),
        is_participating=np.ones(n, dtype=bool),
        is_contributing=np.ones(n, dtype=bool),
        is_auto_enrolled=np.zeros(n, dtype=bool),
        style=np.full(n, sv.ACTIVE, dtype=np.int8),
        risk_tolerance=np.full(n, 0.5),
        literacy=np.full(n, 0.5),
        review_prob_monthly=np.full(n, 0.02),
        return_sensitivity=np.ones(n),
        peer_sensitivity=np.ones(n),
        months_in_plan=np.zeros(n, dtype=np.int32),
        trades=np.zeros(n, dtype=np.int32),
        year_growth=np.ones(n),
        last_year_return=np.zeros(n),
        worst_year_return=np.zeros(n),
    )
    base.update(columns)
    return sv.SaverPopulation(**base)


def test_contributions_follow_the_match_formula() -> None:
    # Pay $120,000/yr = $10,000/month. HAS 2024's common formula: $0.50 per $1 up to 6%.
    # Deferring 10%: employee $1,000, match 0.5 x min(10%, 6%) x $10,000 = $300.
    # Deferring 4%: employee $400, match 0.5 x 4% x $10,000 = $200 (under the cap).
    # Not participating, or participating but stopped: nothing.
    pop = population(
        4,
        deferral_rate=np.array([0.10, 0.04, 0.10, 0.10]),
        is_participating=np.array([True, True, False, True]),
        is_contributing=np.array([True, True, True, False]),
    )
    employee, match = rule_kernels.contributions_by_saver(pop, np.full(4, 0.5), np.full(4, 0.06), np.zeros(4))
    np.testing.assert_allclose(employee, [1000.0, 400.0, 0.0, 0.0])
    np.testing.assert_allclose(match, [300.0, 200.0, 0.0, 0.0])


def test_nonmatching_contribution_goes_to_every_enrolled_saver() -> None:
    # The same four savers in a plan that also pays 3% of pay to every enrolled saver: $300
    # more for the two deferring and for the one enrolled who stopped deferring (nonelective
    # money does not depend on deferring); nothing for the one not enrolled.
    pop = population(
        4,
        deferral_rate=np.array([0.10, 0.04, 0.10, 0.10]),
        is_participating=np.array([True, True, False, True]),
        is_contributing=np.array([True, True, True, False]),
    )
    employee, employer = rule_kernels.contributions_by_saver(pop, np.full(4, 0.5), np.full(4, 0.06), np.full(4, 0.03))
    np.testing.assert_allclose(employee, [1000.0, 400.0, 0.0, 0.0])
    np.testing.assert_allclose(employer, [600.0, 500.0, 0.0, 300.0])


def test_invest_splits_money_by_allocation_and_fund_mix() -> None:
    # $1,000 half to the default fund (60/30/10 equity/bonds/cash) and half to core equity:
    # fund columns get 300/150/50, core equity (column 8) 500.
    balance = np.zeros((1, N_HOLDINGS))
    allocation = np.zeros((1, sv.N_OPTIONS))
    allocation[0, [0, 1]] = 0.5
    composition = np.zeros((1, 8))
    composition[0, :3] = (0.6, 0.3, 0.1)
    rule_kernels.invest_into_accounts(balance, np.array([0]), np.array([1000.0]), allocation, composition)
    expected = np.zeros(N_HOLDINGS)
    expected[[0, 1, 2, 8]] = (300.0, 150.0, 50.0, 500.0)
    np.testing.assert_allclose(balance[0], expected)


def test_account_cap_redirects_alternatives_to_the_default_fund_at_the_cap() -> None:
    # Row 0 already holds 6% in alternatives ($60 of private equity in the default fund of
    # a $1,000 account), above a 5% cap: its 30% standalone crypto and 20% window crypto go
    # to the default fund (0.5 + 0.5 = 1.0). Row 1 (4%, in a standalone fund) is below the
    # cap and keeps its allocation. Row 2 holds exactly the cap: at it, so redirected.
    allocation = np.zeros((3, sv.N_OPTIONS))
    allocation[:, 0] = 0.5
    allocation[:, 4] = 0.3
    allocation[:, 10] = 0.2
    balance = np.zeros((3, N_HOLDINGS))
    balance[:, 0] = [940.0, 960.0, 950.0]
    balance[0, holding_index("default_fund", "private_equity")] = 60.0
    balance[1, holding_index("standalone", "private_equity")] = 40.0
    balance[2, holding_index("window", "crypto")] = 50.0
    out = reallocation.capped_contribution_allocations(allocation, balance, 0.05)
    np.testing.assert_allclose(out[0], np.eye(sv.N_OPTIONS)[0])
    np.testing.assert_allclose(out[1], allocation[1])
    np.testing.assert_allclose(out[2], np.eye(sv.N_OPTIONS)[0])
    np.testing.assert_allclose(out.sum(axis=1), 1.0)
    assert allocation[0, 4] == 0.3, "input must not be modified"
    np.testing.assert_allclose(reallocation.alternative_shares(balance), [0.06, 0.04, 0.05])
    assert reallocation.alternative_shares(np.zeros((1, N_HOLDINGS)))[0] == 0.0




def _choose(visible: np.ndarray, interest: float, uniform: float, risk: float = 0.5,
            chasing: float = 0.0) -> np.ndarray:
    n = visible.shape[0]
    return reallocation.choose_allocations(
        visible, np.zeros(sv.N_OPTIONS), np.full(n, risk), np.ones(n),
        np.full((n, sv.N_OPTIONS), interest), np.full((n, sv.N_OPTIONS), uniform), chasing,
    )


def test_choice_is_one_over_n_of_visible_options_and_alternatives_need_interest() -> None:
    # Neutral risk tolerance and no return chasing: every tilt is 0, so the default fund
    # and three core funds get 1/4 each (Benartzi & Thaler's 1/n).
    visible = np.zeros((1, sv.N_OPTIONS), dtype=bool)
    visible[0, :4] = True
    visible[0, 5] = True  # standalone private equity on the menu
    uninterested = _choose(visible, interest=0.0, uniform=0.5)
    np.testing.assert_allclose(uninterested[0, :4], 0.25)
    assert uninterested[0, sv.OPTION_IS_ALT].sum() == 0.0
    # Interested (draw 0.1 < 0.2): the alternative enters at half a public option's weight.
    interested = _choose(visible, interest=0.2, uniform=0.1)
    assert interested[0, 5] == pytest.approx(0.5 / 4.5)
    np.testing.assert_allclose(interested[0, :4], 1.0 / 4.5)
    # Invisible options get nothing, whatever the interest.
    assert interested[0, ~visible[0]].sum() == 0.0


@given(
    visible=hnp.arrays(bool, (6, sv.N_OPTIONS)),
    interest=st.floats(0.0, 1.0),
    uniform=st.floats(0.0, 1.0),
    risk=st.floats(0.0, 1.0),
    chasing=st.floats(0.0, 5.0),
)
@settings(max_examples=50, deadline=None)
def test_choice_rows_sum_to_one_on_visible_options(visible, interest, uniform, risk, chasing) -> None:
    out = _choose(visible, interest, uniform, risk, chasing)
    np.testing.assert_allclose(out.sum(axis=1), 1.0, rtol=1e-12)
    # Invisible options get 0, except the default fund, the fallback of an empty menu.
    hidden = ~visible.copy()
    hidden[:, 0] = False
    assert np.all(out[hidden] == 0.0)
    assert np.all(out >= 0.0)


def test_trade_sells_gated_vehicles_only_up_to_the_gate() -> None:
    # $1,000 in a 60/40 default fund and $1,000 standalone PE; the saver moves everything
    # to the default fund. PE may shed 1/60 ($16.67), so $983.33 is gated and the fund
    # gets the remaining $1,016.67 in its own 60/40 mix. The account stays $2,000.
    balance = np.zeros((1, N_HOLDINGS))
    balance[0, [DF_EQUITY, DF_BONDS, PE_STANDALONE]] = (600.0, 400.0, 1000.0)
    allocation = np.eye(sv.N_OPTIONS)[[0]]
    composition = np.array([[0.6, 0.4, 0, 0, 0, 0, 0, 0]], dtype=float)
    gated = trading.trade_accounts(balance, allocation, composition, GATE_MONTHLY)
    kept = 1000.0 * (1.0 - GATE_MONTHLY)
    assert gated[0] == pytest.approx(kept)
    assert balance[0, PE_STANDALONE] == pytest.approx(kept)
    assert balance[0, DF_EQUITY] == pytest.approx(0.6 * (2000.0 - kept))
    assert balance[0, DF_BONDS] == pytest.approx(0.4 * (2000.0 - kept))
    assert balance.sum() == pytest.approx(2000.0, rel=1e-14)


def test_trade_from_one_gated_vehicle_to_another_keeps_the_total() -> None:
    # $1,000 all in standalone PE, all of it directed to standalone private credit: only
    # what the gate releases ($16.67) can buy private credit; nothing is created.
    balance = np.zeros((1, N_HOLDINGS))
    balance[0, PE_STANDALONE] = 1000.0
    allocation = np.eye(sv.N_OPTIONS)[[6]]
    trading.trade_accounts(balance, allocation, np.eye(8)[[0]], GATE_MONTHLY)
    assert balance.sum() == pytest.approx(1000.0, rel=1e-14)
    assert balance[0, holding_index("standalone", "private_credit")] == pytest.approx(1000.0 * GATE_MONTHLY)


def test_cash_out_probability_falls_with_the_balance() -> None:
    # p = min(0.95, 0.82 x exp(-b / $25k)): $0 -> 0.82, $25k -> 0.82/e, $100k -> 0.82/e^4.
    p = sv.cash_out_prob(np.array([0.0, 25_000.0, 100_000.0]), 0.82, 25_000.0)
    np.testing.assert_allclose(p, 0.82 * np.exp([0.0, -1.0, -4.0]))
    assert sv.cash_out_prob(np.array([0.0]), 1.2, 25_000.0)[0] == 0.95
    # At a start's lower wage level B is smaller: the same nominal balance is larger in pay.
    assert sv.cash_out_prob(np.array([25_000.0]), 0.82, 20_000.0)[0] == pytest.approx(0.82 * np.exp(-1.25))


# ------------------------------------------------------------------ conservation properties

money = st.floats(0.0, 1e7, allow_nan=False, allow_infinity=False)


def _rows(draw, n: int, width: int, sparse: float = 0.5) -> np.ndarray:
    values = draw(hnp.arrays(np.float64, (n, width), elements=money))
    mask = draw(hnp.arrays(bool, (n, width)))
    return np.where(mask, values, 0.0)


@st.composite
def accounts(draw) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    n = draw(st.integers(1, 5))
    balance = _rows(draw, n, N_HOLDINGS)
    allocation = _rows(draw, n, sv.N_OPTIONS) + 1e-9
    allocation /= allocation.sum(axis=1, keepdims=True)
    composition = _rows(draw, n, 8) + 1e-9
    composition /= composition.sum(axis=1, keepdims=True)
    gate = draw(st.sampled_from([0.0, GATE_MONTHLY, 0.5, 1.0]))
    return balance, allocation, composition, gate


def _assert_conserved(before: np.ndarray, after: np.ndarray) -> None:
    np.testing.assert_allclose(after.sum(axis=1), before.sum(axis=1), rtol=1e-12, atol=1e-6)
    assert np.all(after >= 0.0), "a trade created a negative balance"


@given(accounts())
@settings(max_examples=200, deadline=None)
def test_trades_conserve_each_account_and_stay_non_negative(case) -> None:
    balance, allocation, composition, gate = case
    before = balance.copy()
    trading.trade_accounts(balance, allocation, composition, gate)
    _assert_conserved(before, balance)
    # What is gated is never sold below (1 - gate) of its value.
    cols = sv.ILLIQUID_COLUMNS
    assert np.all(balance[:, cols] >= before[:, cols] * (1.0 - gate) * (1 - 1e-12) - 1e-9)


def test_sleeve_replaces_the_class_it_substitutes_for() -> None:
    # Young saver: 90/10/0 glide, 10% PE and 5% private credit -> PE comes out of equity
    # (0.90 - 0.10 = 0.80), private credit out of bonds (0.10 - 0.05 = 0.05).
    # Old saver: 30/65/5 glide, 40% PE and 5% private credit: equity covers 0.30 of the PE,
    # credit leaves bonds at 0.60; the missing 0.10 comes pro rata from bonds and cash, which
    # are scaled by (0.65 - 0.10) / 0.65.
    glide = np.array([[0.90, 0.10, 0.0], [0.30, 0.65, 0.05]])
    sleeve = np.zeros((2, 8))
    sleeve[:, 4] = [0.10, 0.40]
    sleeve[:, 5] = 0.05
    comp = fund_mix.carve_sleeve(glide, sleeve)
    np.testing.assert_allclose(comp[0, :3], [0.80, 0.05, 0.0])
    left = np.array([0.60, 0.05])  # bonds after private credit, cash
    np.testing.assert_allclose(comp[1, :3], [0.0, *(left * (0.65 - 0.10) / 0.65)])
    np.testing.assert_allclose(comp.sum(axis=1), 1.0)
    assert (comp >= 0).all()
