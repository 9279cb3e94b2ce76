"""Liquidity observation: each measure one thing (ODD §7.11, issue #26).

A gated position is counted once in the month-end stock each month it waits, and once in
the flow of refused sales each month the gate refuses it: never summed as a stock.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from alt401k.agents import pooled_funds as pf
from alt401k.agents import savers as sv
from alt401k.base.assets import ALTERNATIVES, holding_index
from alt401k.base.strata import VINTAGES, vintage
from alt401k.model.config import RunConfig, with_overrides
from alt401k.model.model import Alt401kModel
from alt401k.model.policy import load_scenario
from alt401k.model.reporters import liquidity_record, months_to_liquidate, sleeve_excess
from alt401k.model.setting import PlanSpec, Setting

PE_STANDALONE = holding_index("standalone", "private_equity")
PE_SLEEVE = sv.DF_ILLIQUID[0]


def test_vintage_is_the_year_of_65_to_the_nearest_five() -> None:
    # In 2025: 60 -> 2030; 62.4 -> 2027.6 -> 2030; 57.4 -> 2032.6 -> 2035; 70 -> 2020 -> first (2025);
    # 20 in 2035 -> 2080 -> last (2070).
    got = vintage(np.array([60.0, 62.4, 57.4, 70.0]), 2025)
    assert [VINTAGES[i] for i in got] == ["2030", "2030", "2035", "2025"]
    assert VINTAGES[vintage(np.array([20.0]), 2035)[0]] == "2070"


def test_months_to_liquidate_by_hand() -> None:
    # $100 over target in a $400 sleeve, gate 5%/quarter: the gate lets out 400/60 = $6.67 a
    # month, so 15 months; nothing gated: 0; a closed gate: no finite time.
    assert months_to_liquidate(100.0, 400.0, 0.05 / 3) == pytest.approx(15.0)
    assert months_to_liquidate(0.0, 400.0, 0.05 / 3) == 0.0
    assert math.isnan(months_to_liquidate(100.0, 400.0, 0.0))


def _world(**overrides: float) -> Alt401kModel:
    setting = Setting(plans=(PlanSpec(savers_per_plan=30, standalone=("private_equity",)),), new_hires=False,
                      initial_balance_usd=10_000.0)
    config = with_overrides(RunConfig(years=1, seed=4), overrides, "test") if overrides else RunConfig(years=1, seed=4)
    return Alt401kModel(load_scenario("status-quo"), config, setting=setting)


def test_a_gated_position_counts_once_a_month_in_the_stock_and_once_in_the_refused_flow() -> None:
    # A quiet world (no hardship withdrawals, loans or job changes), so that most months
    # nothing but the gate moves the positions.
    model = _world(**{"saver.hardship_prob_annual": 0.0, "saver.loan_prob_annual": 0.0,
                      "saver.job_change_prob_annual_young": 0.0, "saver.job_change_prob_annual_old": 0.0})
    pop = model.savers
    # Hand-made: every saver holds $1,000 of standalone private equity, then the option
    # leaves the menu; the gate lets out 1/60 of each position a month. (Active choosers: a
    # defaulted saver holds nothing outside the default fund.)
    pop.style[:] = sv.ACTIVE
    pop.balance_usd[:, 0] -= 1_000.0
    pop.balance_usd[:, PE_STANDALONE] = 1_000.0
    pop.allocation[:, sv.STANDALONE_OPTIONS[ALTERNATIVES.index("private_equity")]] = 0.0
    pop.allocation[:] /= pop.allocation.sum(axis=1, keepdims=True)
    model.plans.standalone[:, ALTERNATIVES.index("private_equity")] = False
    g = model.gate_monthly()
    before = np.full(pop.n, 1_000.0)
    stocks, equal_months = [], 0
    for _ in range(6):
        model.step()
        rec = model.recorder.current
        pe = pop.balance_usd[:, PE_STANDALONE].copy()
        stayed = pe > 0  # a leaver's row is refilled by a new hire who holds none
        waiting = float(pop.weight @ pe)
        # The month-end stock is the dollars still waiting, each position once.
        assert rec["gated_stock_savers_usd"] == pytest.approx(waiting, rel=1e-12)
        assert rec["gated_stock_usd"] == pytest.approx(waiting + rec["gated_stock_default_funds_usd"], rel=1e-12)
        # The refused flow is each position's unsold part, once, whether or not its saver
        # also reviewed its account this month; leavers, hardship withdrawals and loans take
        # theirs out (ungated) after the refusal.
        assert rec["gated_refused_usd"] >= waiting * (1 - 1e-12)
        if stayed.all() and rec["hardship_usd"] == 0.0 and rec["new_loans_usd"] == 0.0:  # nothing else sold
            equal_months += 1
            assert rec["gated_refused_usd"] == pytest.approx(waiting, rel=1e-12)
            # By hand: each position fell by the gate's 1/60 besides its return and fees.
            r = float(model.last_returns.reported[sv.OPTION_ASSET[sv.STANDALONE_OPTIONS[ALTERNATIVES.index("private_equity")]]])
            assert np.all(pe[stayed] <= before[stayed] * (1 + r) * (1 - g) * (1 + 1e-12))
            assert np.all(pe[stayed] >= before[stayed] * (1 + r) * (1 - g) * (1 - 0.01))  # fees and carry < 1% a month
        before = pe
        stocks.append(rec["gated_stock_savers_usd"])
    assert equal_months >= 2, "every month had other sales: the equality was never checked"
    # Never summed as a stock: the stock never exceeds the positions it stands for, while a
    # monthly sum would be about six times them after six months.
    assert max(stocks) <= 1_000.0 * pop.weight.sum() * 1.1
    assert sum(stocks) > 4.0 * max(stocks)


def test_sleeve_over_target_by_vintage_by_hand() -> None:
    model = _world()
    pop = model.savers
    # A plain target-date fund has no sleeve target: $500 (national) of private equity put in
    # saver 5's pooled fund is all above target; the gate sells a month's share of it and
    # the rest waits. No other fund holds sleeve money.
    f = model.saver_fund(model._year_frac(0.0))[5]
    pre = model.fund_ledger.holdings.copy()
    pre[:, sv.DF_ILLIQUID] = 0.0
    pre[f, 0] -= 500.0
    pre[f, PE_SLEEVE] = 500.0
    value = pre.sum(axis=1)
    gate = model.gate_monthly()
    model.fund_ledger.holdings, model.fund_month = pf.settle(pre, value, model._fund_targets(), gate)
    fund, excess, over = sleeve_excess(model)
    v = vintage(pop.age_years[[5]], model.date.year)[0]
    kept = 500.0 * (1.0 - gate)
    assert excess[v] == pytest.approx(kept)
    assert over[v] == pytest.approx(kept)
    assert fund[v] == pytest.approx(value[f])
    assert excess.sum() == excess[v] and fund.sum() == fund[v]
    rec = liquidity_record(model)
    assert rec[f"sleeve_over_target_share__{VINTAGES[v]}"] == pytest.approx(kept / value[f])
    assert rec["gated_stock_default_funds_usd"] == pytest.approx(kept)
    # The whole position is over target, so the gate needs 1 / (monthly gate) months.
    assert rec["gated_months_to_liquidate"] == pytest.approx(1.0 / gate)
