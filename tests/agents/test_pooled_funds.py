"""Pooled default funds (ODD §7.5): the funds' month worked by hand, conservation of money
between funds and their holders, closing vintages, stale-NAV transfers, and the model's
ledger agreeing with its savers' units every month."""

from __future__ import annotations

import numpy as np
import pytest
from alt401k.agents import pooled_funds as pf
from alt401k.agents import savers as sv
from alt401k.base.assets import ASSET_CLASSES, N_HOLDINGS
from alt401k.model.config import RunConfig, with_overrides
from alt401k.model.model import Alt401kModel
from alt401k.model.policy import load_scenario
from hypothesis import given, settings
from hypothesis import strategies as st

PE = ASSET_CLASSES.index("private_equity")
EQ, BONDS, CASH = 0, 1, 2
GATE = 0.05 / 3


def _fund(equity: float, pe: float) -> np.ndarray:
    row = np.zeros((1, sv.N_DF))
    row[0, EQ], row[0, PE] = equity, pe
    return row


def _target(pe: float) -> np.ndarray:
    row = np.zeros((1, sv.N_DF))
    row[0, EQ], row[0, PE] = 1.0 - pe, pe
    return row


def test_redemptions_are_paid_from_liquid_assets_and_the_sleeve_is_sold_through_the_gate() -> None:
    # $80 equity + $20 private equity, target 20%. Half the claims leave: the fund still
    # holds $20 of PE (40% of $50); the gate sells 1/60 of it; the rest is over target.
    holdings, month = pf.settle(_fund(80.0, 20.0), np.array([50.0]), _target(0.2), GATE)
    pe_after = 20.0 * (1.0 - GATE)
    assert holdings[0, PE] == pytest.approx(pe_after)
    assert holdings[0].sum() == pytest.approx(50.0)
    assert month.sleeve_over_target_usd[0] == pytest.approx(pe_after - 0.2 * 50.0)
    assert month.sleeve_sold_usd == pytest.approx(20.0 * GATE)
    assert month.forced_sales_usd == 0.0


def test_inflows_arrive_as_cash_and_buy_the_sleeve_up_to_target() -> None:
    holdings, month = pf.settle(_fund(80.0, 20.0), np.array([200.0]), _target(0.2), GATE)
    assert holdings[0, PE] == pytest.approx(40.0)
    assert holdings[0, EQ] == pytest.approx(160.0)
    assert month.sleeve_over_target_usd[0] == 0.0 and month.sleeve_sold_usd == 0.0


def test_a_fund_whose_claims_fall_below_its_sleeve_sells_outside_the_gate() -> None:
    # Claims of $15 against $20 of PE: $5 sold outside the gate, then the gate's share.
    holdings, month = pf.settle(_fund(80.0, 20.0), np.array([15.0]), _target(0.2), GATE)
    assert month.forced_sales_usd == pytest.approx(5.0)
    assert holdings[0].sum() == pytest.approx(15.0)
    assert holdings[0, PE] == pytest.approx(15.0 * (1.0 - GATE))


def test_a_mutual_fund_holds_no_more_than_15_percent_illiquid() -> None:
    public = np.array([[0.9, 0.1, 0.0]])
    sleeve = np.zeros((1, sv.N_DF))
    sleeve[0, PE], sleeve[0, ASSET_CLASSES.index("private_credit")] = 0.15, 0.05
    cit = pf.target_mix(public, sleeve, np.ones(1), np.ones(1))
    mf = pf.target_mix(public, sleeve, np.ones(1), np.array([0.15]))
    assert cit[0, sv.DF_ILLIQUID].sum() == pytest.approx(0.20)
    assert mf[0, sv.DF_ILLIQUID].sum() == pytest.approx(0.15)
    assert mf[0].sum() == pytest.approx(1.0) and cit[0].sum() == pytest.approx(1.0)


def test_the_sleeve_tapers_along_the_glide_path() -> None:
    m = pf.sleeve_multiplier(np.array([60.0, 40.0, 20.0, 0.0, -5.0]), 0.5)
    assert m.tolist() == pytest.approx([1.5, 1.5, 1.0, 0.5, 0.5])
    assert pf.sleeve_multiplier(np.array([30.0]), 0.0)[0] == 1.0


def test_vintages_and_slots_by_hand() -> None:
    # Born 1961.5 -> turns 65 in 2026.5 -> the 2025 vintage (nearest five); 1993 -> 2058 -> 2060.
    v = pf.vintage_year(np.array([1961.5, 1993.0]))
    assert v.tolist() == [2025.0, 2060.0]
    # In 2031 the 2025 vintage is still open with a 7-year close; in 2032 it is the income fund's.
    assert pf.slot_of(v, 2031, 7).tolist() == [(2025 - pf.FIRST_VINTAGE) // 5, (2060 - pf.FIRST_VINTAGE) // 5]
    assert pf.slot_of(v, 2032, 7)[0] == pf.INCOME_SLOT
    assert pf.slot_of(v, 2100, None)[0] != pf.INCOME_SLOT


def test_closing_vintages_merge_in_kind() -> None:
    ledger = pf.FundLedger.empty(2)
    rng = np.random.default_rng(1)
    ledger.holdings[:] = rng.random(ledger.holdings.shape)
    mapping = ledger.closing_map(2032, 7)
    merged = pf.merge(ledger.holdings, mapping)
    np.testing.assert_allclose(merged.sum(axis=0), ledger.holdings.sum(axis=0))  # nothing sold
    closed = (pf.FIRST_VINTAGE + 5 * np.arange(pf.N_VINTAGES)) + 7 <= 2032
    for s in range(2):
        rows = s * pf.SLOTS + np.flatnonzero(closed)
        assert not merged[rows].any()
        income = s * pf.SLOTS + pf.INCOME_SLOT
        np.testing.assert_allclose(merged[income], ledger.holdings[rows].sum(axis=0) + ledger.holdings[income])


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_respread_gives_every_holder_its_funds_mix_and_keeps_its_claim(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n, n_funds = 50, 4
    balance = rng.random((n, N_HOLDINGS)) * 100
    weight = rng.random(n) + 0.5
    fund_of = rng.integers(0, n_funds, n)
    own, value = pf.claims(balance, fund_of, weight, n_funds)
    holdings = rng.random((n_funds, sv.N_DF))
    holdings *= (value / holdings.sum(axis=1))[:, None]
    after = balance.copy()
    pf.respread_inplace(after, own, fund_of, holdings, value)
    np.testing.assert_allclose(after[:, : sv.N_DF].sum(axis=1), own, rtol=1e-12)
    np.testing.assert_array_equal(after[:, sv.N_DF :], balance[:, sv.N_DF :])
    # Units times price is the fund's NAV: the holders' weighted columns add up to its holdings.
    for f in range(n_funds):
        rows = fund_of == f
        np.testing.assert_allclose(weight[rows] @ after[rows, : sv.N_DF], holdings[f], rtol=1e-9)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_stale_nav_gains_add_up_to_zero_in_each_fund(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n, n_funds = 40, 3
    fund_of = rng.integers(0, n_funds, n)
    weight = rng.random(n) + 0.5
    before = rng.random(n) * 100
    net = rng.normal(0, 10, n)
    e = 0.8 + 0.4 * rng.random(n_funds)
    gain = pf.stale_nav_gain(net, before, fund_of, weight, e, n_funds)
    for f in range(n_funds):
        assert (weight[fund_of == f] @ gain[fund_of == f]) == pytest.approx(0.0, abs=1e-9)


def test_a_redeemer_at_a_stale_high_nav_gains_what_the_stayers_lose() -> None:
    # Economic value 90 cents per reported dollar: the saver who sells $10 of units gets $1
    # more than they are worth; the one who stayed pays it.
    gain = pf.stale_nav_gain(np.array([-10.0, 0.0]), np.array([0.0, 100.0]), np.zeros(2, dtype=np.intp),
                             np.ones(2), np.array([0.9]), 1)
    assert gain.tolist() == pytest.approx([1.0, -1.0])


def _eo_model(**overrides: object) -> Alt401kModel:
    config = RunConfig(n_savers=1500, n_sponsors=300, years=3, seed=11)
    if overrides:
        config = with_overrides(config, overrides, "test")
    return Alt401kModel(load_scenario("eo-14330"), config)


def test_the_ledger_and_the_savers_units_agree_every_month() -> None:
    model = _eo_model()
    for _ in range(model.config.n_months):
        model.step()
        pop = model.savers
        fund_of = model.saver_fund(model._year_frac(0.0))
        held = np.zeros_like(model.fund_ledger.holdings)
        np.add.at(held, fund_of, pop.weight[:, None] * pop.balance_usd[:, : sv.N_DF])
        scale = max(1.0, float(np.abs(model.fund_ledger.holdings).max()))
        np.testing.assert_allclose(held, model.fund_ledger.holdings, rtol=0, atol=1e-9 * scale)
        assert (pop.balance_usd >= -1e-9).all()


def test_a_plan_that_drops_its_fund_is_paid_in_cash_and_the_sleeve_stays_in_the_fund() -> None:
    model = _eo_model()
    for _ in range(24):
        model.step()
    plans, pop = model.plans, model.savers
    sleeve = model.plan_views.sleeve()[:, sv.DF_ILLIQUID].sum(axis=1)
    adopters = np.flatnonzero(sleeve > 0)
    assert adopters.size > 0
    plan = adopters[0]
    before_fund = model.fund_ledger.holdings[:, sv.DF_ILLIQUID].sum()
    plans.default_product[plan] = model.plain_tdf_products()[plans.tdf_manager[plan]]
    model.step()
    rows = np.flatnonzero(pop.sponsor == plan)
    assert not pop.balance_usd[rows][:, sv.DF_ILLIQUID].any()
    # The funds it left kept their sleeves (less what the gate or the month's flows sold).
    assert model.fund_ledger.holdings[:, sv.DF_ILLIQUID].sum() > 0.5 * before_fund


def test_younger_vintages_buy_what_older_ones_sell_before_the_gate_binds() -> None:
    # One pool, two vintages, one class. The old vintage holds 30 and wants 10 (sells 20);
    # the young one holds 10 and wants 25 (buys 15). The pool's net sale is 5; its gate lets
    # out GATE x 40 = 0.67, so the old vintage sells 15 + 0.67 and keeps the rest.
    held = np.array([[30.0], [10.0]])
    want = np.array([[10.0], [25.0]])
    out = pf.pool_trades(held, want, np.array([0, 0]), GATE)
    assert out[1, 0] == pytest.approx(25.0)
    assert out[0, 0] == pytest.approx(30.0 - (15.0 + GATE * 40.0))
    # Alone in their pools, the old vintage could sell only GATE x 30.
    alone = pf.pool_trades(held, want, np.array([0, 1]), GATE)
    assert alone[0, 0] == pytest.approx(30.0 * (1.0 - GATE))
    # Enough buyers: every sale is filled and nothing is gated.
    filled = pf.pool_trades(held, np.array([[10.0], [31.0]]), np.array([0, 0]), GATE)
    assert filled[0, 0] == pytest.approx(10.0)


def test_pool_transfers_between_vintages_add_up_to_zero_and_favour_the_seller_at_a_stale_high_nav() -> None:
    held = np.array([[30.0, 0.0, 0.0], [10.0, 0.0, 0.0]])
    new = np.array([[20.0, 0.0, 0.0], [20.0, 0.0, 0.0]])
    gain = pf.pool_transfer(held, new, np.array([0, 0]), np.array([0.8, 1.0, 1.0]))
    assert gain.sum() == pytest.approx(0.0, abs=1e-12)
    assert gain[0] > 0 > gain[1]  # the old vintage sold $10 of units worth $8
    assert gain[0] == pytest.approx(2.0)


def test_purchases_that_would_not_fit_beside_a_gated_sleeve_are_cut_back() -> None:
    # A fund worth 10 holds 9 of one class it cannot sell yet and wants 3 of another: it can
    # buy only 1.
    held = np.array([[9.0, 0.0]])
    new = np.array([[9.0, 3.0]])
    out = pf.fit_purchases(new, held, np.array([10.0]))
    assert out[0].tolist() == pytest.approx([9.0, 1.0])


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), close_after=st.sampled_from([None, 0, 7]))
def test_the_pass_over_savers_finds_the_funds_and_claims_of_the_rules(seed: int, close_after: int | None) -> None:
    rng = np.random.default_rng(seed)
    n, n_plans = 200, 7
    sponsor = np.sort(rng.integers(0, n_plans, n)).astype(np.int32)
    age = rng.uniform(18, 90, n)
    series = rng.integers(0, 3, n_plans).astype(np.intp)
    tdf = rng.random(n_plans) < 0.7
    balance = rng.random((n, N_HOLDINGS)) * 50
    weight = rng.random(n) + 0.5
    year_frac = 2030 + rng.integers(0, 12) / 12
    fund_of, own, value = pf.funds_and_claims(sponsor, age, series, tdf, year_frac, close_after, balance, weight,
                                              3 * pf.SLOTS)
    slot = pf.slot_of(pf.vintage_year(year_frac - age), 2030, close_after)
    expected = series[sponsor] * pf.SLOTS + np.where(tdf[sponsor], slot, 0)
    np.testing.assert_array_equal(fund_of, expected)
    own_rule, value_rule = pf.claims(balance, expected, weight, 3 * pf.SLOTS)
    np.testing.assert_allclose(own, own_rule, rtol=1e-13)
    np.testing.assert_allclose(value, value_rule, rtol=1e-12)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_the_pass_over_savers_measures_the_stale_nav_transfers_of_the_rule(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n, n_funds = 60, 5
    fund_of = rng.integers(0, n_funds, n).astype(np.intp)
    start = np.where(rng.random(n) < 0.2, rng.integers(0, n_funds, n), fund_of).astype(np.intp)
    claim_start = rng.random(n) * 100
    growth = 0.95 + 0.1 * rng.random(n_funds)
    own = rng.random(n) * 100
    e = 0.8 + 0.4 * rng.random(n_funds)
    weight = rng.random(n) + 0.5
    salary = rng.uniform(10_000, 300_000, n)
    edges = np.array([40_000.0, 70_000.0, 100_000.0, 150_000.0])
    q_start = rng.integers(0, 5, n).astype(np.int8)
    moved, by_q, q_now = pf.stale_nav_by_quintile(fund_of, start, claim_start, growth, own, e, weight, salary, edges,
                                                  q_start)
    np.testing.assert_array_equal(q_now, np.searchsorted(edges, salary, side="right"))
    # The rule, with a saver that changed fund written as a sale in its old fund and a purchase in its new one.
    grown = claim_start * growth[start]
    same = fund_of == start
    out = np.flatnonzero(~same & (grown > 0))
    funds = np.concatenate([fund_of, start[out]])
    before = np.concatenate([np.where(same, grown, 0.0), grown[out]])
    net = np.concatenate([own, np.zeros(out.size)]) - before
    w = np.concatenate([weight, weight[out]])
    gain = w * pf.stale_nav_gain(net, before, funds, w, e, n_funds)
    q = np.concatenate([q_now, q_start[out]])
    np.testing.assert_allclose(by_q, np.bincount(q, weights=gain, minlength=5), atol=1e-9)
    assert moved == pytest.approx(np.maximum(gain, 0.0).sum())
    assert by_q.sum() == pytest.approx(0.0, abs=1e-8)
