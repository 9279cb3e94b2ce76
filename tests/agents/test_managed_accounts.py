"""The managed-account rules (agents/managed_accounts.py, ODD §7.14): the service's
allocation on hand-worked cases and as a law, the advisory fee, the stationary rates."""

from __future__ import annotations

import numpy as np
import pytest
from alt401k.agents import managed_accounts as ma
from alt401k.agents import savers as sv
from alt401k.base.assets import ALTERNATIVES, N_HOLDINGS, holding_index
from alt401k.model.config import ManagedAccountParams
from hypothesis import given, settings
from hypothesis import strategies as st

PARAMS = ManagedAccountParams(risk_tilt=0.4, fee_annual=0.006,
                              sleeve_share={"private_equity": 0.05, "private_credit": 0.03, "infrastructure": 0.02})
ALL = np.ones((1, len(ALTERNATIVES)), dtype=bool)
NONE = np.zeros((1, len(ALTERNATIVES)), dtype=bool)


def option(name: str) -> int:
    return sv.OPTIONS.index(name)


def test_glide_path_tilted_by_risk_tolerance_with_the_sleeve_carved_out_by_hand() -> None:
    # Age 50: the glide path is 90% equity to 40, falling linearly to 50% at 65, so
    # 0.9 - 0.4 * 10/25 = 0.74 equity, 0.26 bonds, no cash (cash starts at 60).
    # Risk tolerance 0.75: + 0.4 * 0.25 = +0.10 equity -> 0.84 equity, 0.16 bonds.
    # Sleeve 5% PE + 2% infrastructure out of equity, 3% private credit out of bonds:
    # equity 0.77, bonds 0.13, cash 0, PE 0.05, PC 0.03, infrastructure 0.02.
    alloc = ma.managed_allocation(np.array([50.0]), np.array([0.75]), ALL, PARAMS, account_cap=1.0)[0]
    expected = {"core:equity": 0.77, "core:bonds": 0.13, "core:cash": 0.0, "standalone:private_equity": 0.05,
                "standalone:private_credit": 0.03, "standalone:infrastructure": 0.02}
    for name, value in expected.items():
        assert alloc[option(name)] == pytest.approx(value, abs=1e-12), name
    assert alloc[0] == 0.0  # nothing in the default fund
    assert alloc.sum() == pytest.approx(1.0, abs=1e-12)


def test_without_a_sleeve_the_account_is_the_tilted_glide_path() -> None:
    # Age 65: 50% equity, 45% bonds, 5% cash. Risk tolerance 0.25: -0.10 equity -> 0.40;
    # bonds and cash share 0.60 as 45:5 -> 0.54 and 0.06.
    alloc = ma.managed_allocation(np.array([65.0]), np.array([0.25]), NONE, PARAMS, account_cap=1.0)[0]
    assert alloc[option("core:equity")] == pytest.approx(0.40, abs=1e-12)
    assert alloc[option("core:bonds")] == pytest.approx(0.54, abs=1e-12)
    assert alloc[option("core:cash")] == pytest.approx(0.06, abs=1e-12)
    assert alloc[sv.STANDALONE_OPTIONS].sum() == 0.0


def test_the_sleeve_holds_only_the_classes_the_platform_holds_and_respects_the_account_cap() -> None:
    only_pe = NONE.copy()
    only_pe[0, ALTERNATIVES.index("private_equity")] = True
    alloc = ma.managed_allocation(np.array([30.0]), np.array([0.5]), only_pe, PARAMS, account_cap=1.0)[0]
    assert alloc[option("standalone:private_equity")] == pytest.approx(0.05)
    assert alloc[option("standalone:private_credit")] == 0.0
    # A 4% account cap scales the 10% sleeve to 4%, keeping its proportions.
    capped = ma.managed_allocation(np.array([30.0]), np.array([0.5]), ALL, PARAMS, account_cap=0.04)[0]
    assert capped[sv.STANDALONE_OPTIONS].sum() == pytest.approx(0.04)
    assert capped[option("standalone:private_equity")] == pytest.approx(0.02)


@given(age=st.floats(18, 90), risk=st.floats(0, 1), mask=st.lists(st.booleans(), min_size=5, max_size=5),
       cap=st.floats(0, 1))
@settings(max_examples=200, deadline=None)
def test_allocation_is_a_valid_split_that_never_holds_crypto_gold_or_window(age, risk, mask, cap) -> None:
    available = np.array([mask])
    alloc = ma.managed_allocation(np.array([age]), np.array([risk]), available, PARAMS, cap)[0]
    assert alloc.sum() == pytest.approx(1.0, abs=1e-12)
    assert (alloc >= 0).all()
    for a in ("crypto", "gold"):
        assert alloc[option(f"standalone:{a}")] == 0.0
    assert alloc[sv.WINDOW_ALT_OPTIONS].sum() == 0.0 and alloc[sv.WINDOW_EQUITY_OPTION] == 0.0
    assert alloc[sv.STANDALONE_OPTIONS].sum() <= cap + 1e-12
    held = alloc[sv.STANDALONE_OPTIONS] > 0
    assert not (held & ~available[0]).any()


def test_fee_is_a_month_of_the_annual_rate_out_of_the_liquid_holdings_by_hand() -> None:
    # $10,000 in core equity, $5,000 in core bonds, $5,000 in standalone private equity:
    # 0.6% a year on $20,000 is $120 a year, $10 this month, taken from the $15,000 liquid
    # pro rata: $6.667 from equity, $3.333 from bonds, nothing from private equity.
    bal = np.zeros((1, N_HOLDINGS))
    bal[0, holding_index("core_menu", "equity")] = 10_000.0
    bal[0, holding_index("core_menu", "bonds")] = 5_000.0
    bal[0, holding_index("standalone", "private_equity")] = 5_000.0
    fee = ma.charge_fee_inplace(bal, 0.006)
    assert fee[0] == pytest.approx(10.0, abs=1e-12)
    assert bal[0, holding_index("core_menu", "equity")] == pytest.approx(10_000.0 - 20.0 / 3.0)
    assert bal[0, holding_index("core_menu", "bonds")] == pytest.approx(5_000.0 - 10.0 / 3.0)
    assert bal[0, holding_index("standalone", "private_equity")] == 5_000.0
    assert bal.sum() == pytest.approx(20_000.0 - 10.0)


def test_a_fee_the_liquid_holdings_cannot_pay_comes_out_of_the_gated_ones() -> None:
    bal = np.zeros((1, N_HOLDINGS))
    bal[0, holding_index("core_menu", "cash")] = 1.0
    bal[0, holding_index("standalone", "private_credit")] = 11_999.0
    fee = ma.charge_fee_inplace(bal, 0.006)  # $6 a month on $12,000
    assert fee[0] == pytest.approx(6.0)
    assert bal[0, holding_index("core_menu", "cash")] == 0.0
    assert bal[0, holding_index("standalone", "private_credit")] == pytest.approx(11_994.0)
    assert (bal >= 0).all()


def test_stationary_rates_hold_the_shares_steady() -> None:
    # share = entry / (entry + leave): 6% used with 10% leaving a year needs 0.6383% joining.
    p = ManagedAccountParams(usage_share=0.06, leave_prob_annual=0.10)
    enrol = ma.saver_enrol_prob(p)
    assert enrol == pytest.approx(0.06 * 0.10 / 0.94)
    assert enrol / (enrol + 0.10) == pytest.approx(0.06)
    q = ManagedAccountParams(plan_offer_share=0.5, plan_drop_prob_annual=0.05)
    assert ma.plan_add_prob(q) == pytest.approx(0.05)
    # With job changes (10% a year) and provider-change drops (2% a year) on top: the exit
    # rates combine as independent reasons, 1 - 0.9 x 0.9 = 0.19 and 1 - 0.95 x 0.98 = 0.069.
    assert ma.saver_enrol_prob(p, 0.10) == pytest.approx(0.06 * 0.19 / 0.94)
    assert ma.plan_add_prob(q, 0.02) == pytest.approx(0.5 * 0.069 / 0.5)
    # Recordkeeper 8%, consultant 10% a year, dropped after a change with 30%: (1 - 0.92 x 0.9) x 0.3.
    assert ma.expected_provider_drop(0.08, 0.10, 0.3) == pytest.approx(0.172 * 0.3)
