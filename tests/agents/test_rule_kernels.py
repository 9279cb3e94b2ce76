"""Tests for agents/rule_kernels.py: the compiled passes that are not one of the review or
life-event rules (tests/agents/test_reviews.py, test_life_events.py): contributions inside
the balance pass, interest, menus and stranded savers, hardship and new accounts, and the
numpy-exact helpers they use."""

from __future__ import annotations

import functools

import numpy as np
import pytest
from alt401k.agents import rule_kernels
from alt401k.agents import savers as sv
from alt401k.agents.interest import CRYPTO_AGE_EDGES, interest_in_alternatives
from alt401k.base import compiled
from alt401k.model.config import RunConfig
from alt401k.model.model import Alt401kModel
from alt401k.model.policy import load_scenario
from hypothesis import given, settings
from hypothesis import strategies as st


@functools.cache
def _review_population() -> sv.SaverPopulation:
    """A model's savers at t0 (1,000 rows, 60 plans); tests take copies and reset columns."""
    model = Alt401kModel(load_scenario("broad-access"), RunConfig(n_savers=1_000, n_sponsors=60, years=1, seed=0))
    return model.savers


def test_clip_is_numpys_clip() -> None:
    # Signed zeros and the bounds themselves included (the review pass clips deferral rates).
    x = np.array([-0.0, 0.0, -1e-300, 1e-300, 0.01, 0.3, 0.5, 0.50000001, -5.0, 7.0, 0.2])
    for lo, hi in ((0.0, 0.5), (0.01, 0.30), (-0.0, 0.5)):
        got = np.array([compiled.numpy_clip(v, lo, hi) for v in x])
        expected = np.clip(x, lo, hi)
        np.testing.assert_array_equal(got, expected)
        np.testing.assert_array_equal(np.signbit(got), np.signbit(expected))


def _payroll_case(seed: int):
    """Savers with deferrals at, above and below their plan's match cap (signed zeros
    included: np.minimum keeps the second argument when they tie), some not participating
    or not contributing; their plans' match terms."""
    rng = np.random.default_rng(seed)
    pop = _review_population().take(np.arange(1_000))
    n, n_plans = pop.n, int(pop.sponsor.max()) + 1
    match_rate, match_cap = rng.uniform(0.0, 1.0, n_plans), rng.choice([0.0, -0.0, 0.03, 0.06], n_plans)
    pop.deferral_rate[:] = rng.choice([0.0, -0.0, 0.03, 0.06, 0.1], n) * rng.choice([1.0, 1.0 + 1e-16], n)
    pop.is_participating[:], pop.is_contributing[:] = rng.random(n) < 0.8, rng.random(n) < 0.9
    nonmatch = rng.choice([0.0, 0.0, 0.03], n_plans)
    return pop, match_rate, match_cap, nonmatch


def test_contributions_by_saver_follow_the_match_formula() -> None:
    # employee = pay/12 x d and employer = pay/12 x (rate x min(d, cap) + nonmatch) for
    # participants who defer; nonmatch alone for those who stopped; nothing outside the plan.
    pop, match_rate, match_cap, nonmatch = _payroll_case(9)
    r, c, nm = match_rate[pop.sponsor], match_cap[pop.sponsor], nonmatch[pop.sponsor]
    employee, employer = rule_kernels.contributions_by_saver(pop, r, c, nm)
    pay = pop.salary_usd_annual / 12.0
    deferring = pop.is_participating & pop.is_contributing
    np.testing.assert_allclose(employee, np.where(deferring, pay * pop.deferral_rate, 0.0), rtol=1e-15)
    expected = np.where(deferring, pay * r * np.minimum(pop.deferral_rate, c), 0.0)
    np.testing.assert_allclose(employer, expected + np.where(pop.is_participating, pay * nm, 0.0), rtol=1e-14)
    assert (employer > 0).any() and (employer == 0).any() and (deferring != pop.is_participating).any()


def test_balance_pass_computing_contributions_equals_reading_them() -> None:
    # Given the payroll, the balance pass must leave the bits it leaves when handed the
    # rule's amounts (`rule_kernels.contributions_by_saver`), and report the weighted deferrals
    # and match.
    from alt401k.agents import kernels
    from alt401k.base.assets import HOLDING_ASSET, N_HOLDINGS

    pop, match_rate, match_cap, nonmatch = _payroll_case(10)
    rng = np.random.default_rng(10)
    n, n_plans = pop.n, match_rate.size
    employee, match = rule_kernels.contributions_by_saver(pop, match_rate[pop.sponsor], match_cap[pop.sponsor],
                                                           nonmatch[pop.sponsor])
    balance = rng.lognormal(8.0, 2.0, (n, N_HOLDINGS)) * (rng.random((n, N_HOLDINGS)) < 0.6)
    balance[pop.style == sv.DEFAULTED, sv.N_DF :] = 0.0
    common = dict(weight=pop.weight, sponsor=pop.sponsor, n_plans=n_plans, allocation=pop.allocation,
                  composition=np.full((n, sv.N_DF), 1.0 / sv.N_DF), holding_return=rng.normal(0.0, 0.05, 8)[HOLDING_ASSET],
                  fee_matrix=rng.uniform(0.0, 0.02, (n_plans, N_HOLDINGS)), pe_columns=np.array([4]), pe_return=0.02,
                  carry_rate=0.125, hurdle_annual=0.05, gate_monthly=0.05 / 3.0, style=pop.style)
    a, b = balance.copy(), balance.copy()
    ya, yb = np.ones(n), np.ones(n)
    ta = kernels.balance_month_rows(a, ya, amount=employee + match, **common)
    pay = kernels.Payroll(pop.salary_usd_annual, pop.deferral_rate, pop.is_participating, pop.is_contributing,
                          match_rate, match_cap, nonmatch)
    tb = kernels.balance_month_rows(b, yb, amount=None, pay=pay, **common)
    np.testing.assert_array_equal(b, a)
    np.testing.assert_array_equal(yb, ya)
    np.testing.assert_array_equal(tb.fees_by_plan_holding, ta.fees_by_plan_holding)
    assert (tb.gain_usd, tb.carry_usd, tb.stuck_usd) == (ta.gain_usd, ta.carry_usd, ta.stuck_usd)
    assert tb.employee_usd == pytest.approx(float(pop.weight @ employee), rel=1e-12)
    assert tb.employer_usd == pytest.approx(float(pop.weight @ match), rel=1e-12)
    assert tb.employer_usd > 0 and ta.employee_usd == 0.0


@pytest.mark.parametrize(("disclosure", "crash_factor"), [(False, 1.0), (True, 0.6)])
def test_interest_pass_applies_the_rule_to_each_row(disclosure: bool, crash_factor: float) -> None:
    # The pass over a subset of rows gives each row what the rule gives that saver alone,
    # ages and salaries on the band and quintile edges and interest clipped at 1 included.
    rng = np.random.default_rng(10)
    pop = _review_population().take(np.arange(1_000))
    n, n_plans = pop.n, int(pop.sponsor.max()) + 1
    edges = np.sort(rng.uniform(20_000.0, 150_000.0, 4))
    pop.age_years[:] = np.where(rng.random(n) < 0.2, rng.choice(CRYPTO_AGE_EDGES, n), rng.uniform(20.0, 70.0, n))
    pop.salary_usd_annual[:] = np.where(rng.random(n) < 0.2, rng.choice(edges, n), rng.uniform(1e4, 2e5, n))
    pop.peer_sensitivity[:] = rng.lognormal(0.0, 1.5, n)
    terms = rule_kernels.InterestTerms(
        base=0.15, crypto_by_age=np.array([0.14, 0.15, 0.10, 0.03]), income_slope=0.5, peer_weight=1.0,
        quintile_edges=edges, coworker_share=rng.uniform(0.0, 1.0, (n_plans, sv.N_ALT)),
        crash_factor=crash_factor, disclosure=disclosure,
    )
    rows = np.flatnonzero(rng.random(n) < 0.6)
    got = rule_kernels.alt_interest(pop, rows, terms)
    one = np.empty(sv.N_ALT)
    for r in range(0, rows.size, 11):
        i = rows[r]
        interest_in_alternatives(pop.literacy[i], pop.age_years[i], pop.salary_usd_annual[i], pop.peer_sensitivity[i],
                                 terms.coworker_share[pop.sponsor[i]], terms.base, terms.crypto_by_age,
                                 terms.income_slope, terms.peer_weight, terms.quintile_edges, crash_factor,
                                 disclosure, one)
        np.testing.assert_array_equal(got[r], one)
    assert (got == 1.0).any() and (got < 1.0).any() and (got >= 0.0).all()


def test_pay_moves_along_the_age_profile_as_savers_age() -> None:
    # By hand: at the peak (50) the month's step is exp(-(1/144)/625), a hair below 1; at 38
    # it is exp((2 - 1/144)/625) = exp(0.0031889) = 1.0031940; at 62 exp(-0.0032111) = 0.9967940.
    step = sv.pay_profile_step(np.array([50.0, 38.0, 62.0]))
    np.testing.assert_allclose(step, [np.exp(-1 / 144 / 625), 1.0031940, 0.9967940], rtol=1e-7)
    # Twelve monthly steps take a saver exactly from the profile at its age to the profile a
    # year older, whatever the age: pay keeps its place in the cross-section of its age.
    pop = _review_population()
    a = pop.take(np.arange(pop.n))
    start_age, start_pay = a.age_years.copy(), a.salary_usd_annual.copy()
    for _ in range(12):
        rule_kernels.age_one_month(a, 1.0)
    np.testing.assert_allclose(a.salary_usd_annual / start_pay,
                               sv.pay_profile(start_age + 1.0) / sv.pay_profile(start_age), rtol=1e-12)


def _menu_case(seed: int) -> tuple[sv.SaverPopulation, rule_kernels.MenuTerms, np.ndarray]:
    """Savers of every style with money and allocations here and there, random menus (plans
    with and without windows, standalone options, window alternatives allowed or not,
    plans large enough or not) and an ascending subset of rows."""
    rng = np.random.default_rng(seed)
    pop = _review_population().take(np.arange(1_000))
    n, n_plans = pop.n, int(pop.sponsor.max()) + 1
    pop.style[:] = rng.choice([sv.DEFAULTED, sv.ACTIVE, sv.WINDOW], n)
    pop.balance_usd[:] = rng.lognormal(6.0, 2.0, pop.balance_usd.shape) * (rng.random(pop.balance_usd.shape) < 0.15)
    pop.allocation[:] = rng.random(pop.allocation.shape) * (rng.random(pop.allocation.shape) < 0.15)
    menus = rule_kernels.MenuTerms(standalone=rng.random((n_plans, sv.N_ALT)) < 0.5,
                                   offers_window=rng.random(n_plans) < 0.5,
                                   window_allowed=rng.random(sv.N_ALT) < 0.5, size_ok=rng.random(n_plans) < 0.7)
    rows = np.flatnonzero(rng.random(n) < rng.uniform(0.05, 1.0))
    return pop, menus, rows


@given(seed=st.integers(0, 2**32 - 1))
@settings(max_examples=25, deadline=None)
def test_stranded_savers_hold_or_direct_money_off_their_menus(seed: int) -> None:
    # Enforcing menus and the choosers' reallocation read the compiled menus; a saver is
    # examined (stranded) when it holds or directs money off its menu.
    from alt401k.model.saver_phases import ROW_BLOCK

    pop, menus, rows = _menu_case(seed)
    visible = rule_kernels.visible_options(pop, rows, menus)
    assert visible[:, 0].all() and visible[:, sv.CORE_OPTIONS].all()
    # Against the definition in words: money or an allocation in an option off the menu,
    # whatever block the rows are examined in.
    off = ~visible[:, 1:]
    held = pop.balance_usd[rows, sv.N_DF :] > 0
    directed = pop.allocation[rows, 1:] > 0
    expected = ((held | directed) & off).any(axis=1)
    np.testing.assert_array_equal(rule_kernels.stranded(pop, rows, menus, ROW_BLOCK), expected)
    np.testing.assert_array_equal(rule_kernels.stranded(pop, rows, menus, 7), expected)


def test_window_alternatives_need_a_window_user_at_a_large_enough_plan() -> None:
    # Off the menu whatever the regime: window options for non-window savers, or at plans
    # without a window; window alternatives at plans under the size limit.
    pop, menus, rows = _menu_case(3)
    visible = rule_kernels.visible_options(pop, rows, menus)
    s = pop.sponsor[rows]
    window_user = (pop.style[rows] == sv.WINDOW) & menus.offers_window[s]
    np.testing.assert_array_equal(visible[:, sv.WINDOW_EQUITY_OPTION], window_user)
    assert not visible[~window_user][:, sv.WINDOW_ALT_OPTIONS].any()
    assert not visible[~menus.size_ok[s]][:, sv.WINDOW_ALT_OPTIONS].any()
    np.testing.assert_array_equal(visible[:, sv.STANDALONE_OPTIONS], menus.standalone[s])


def test_minimum_is_numpys_minimum() -> None:
    # The year-end pass takes numpy.minimum's result: a NaN on either side wins, and of
    # two equal values (0.0 and -0.0) the second.
    values = np.array([0.0, -0.0, 1.0, -1.0, np.nan, np.inf, -np.inf, 0.1])
    a, b = np.meshgrid(values, values)
    got = np.array([compiled.numpy_minimum(x, y) for x, y in zip(a.ravel(), b.ravel(), strict=True)])
    expected = np.minimum(a.ravel(), b.ravel())
    np.testing.assert_array_equal(got, expected)
    np.testing.assert_array_equal(np.signbit(got), np.signbit(expected))


@given(seed=st.integers(0, 2**32 - 1), share=st.sampled_from([0.1, 0.25, 1.0 / 3.0, 1.0]))
@settings(max_examples=20, deadline=None)
def test_hardship_withdrawals_and_new_accounts(seed: int, share: float) -> None:
    # Life events' two row passes: hardship withdrawals (what the accounts held in illiquid
    # holdings, what they gave up: `share` of every holding) and new hires' accounts (the
    # amount invested by allocation and default-fund mix), against whole-array arithmetic.
    from alt401k.model.saver_phases import SAVER_ILLIQUID_COLUMNS

    rng = np.random.default_rng(seed)
    n, h = 400, sv.N_DF + sv.N_OPTIONS - 1
    balance = rng.lognormal(7.0, 2.0, (n, h)) * (rng.random((n, h)) < 0.4)
    rows = np.flatnonzero(rng.random(n) < 0.2)
    a, b = balance.copy(), balance.copy()
    got = rule_kernels.hardship_withdrawals(a, rows, share, SAVER_ILLIQUID_COLUMNS)
    np.testing.assert_allclose(got[0], b[rows][:, SAVER_ILLIQUID_COLUMNS].sum(axis=1), rtol=1e-12)
    np.testing.assert_allclose(got[1], b[rows].sum(axis=1) * share, rtol=1e-12)
    b[rows] *= 1.0 - share
    np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-9)
    # What was withdrawn left the accounts, to rounding; what they held is summed from them.
    np.testing.assert_allclose(balance[rows].sum(axis=1) - a[rows].sum(axis=1), got[1], rtol=1e-12, atol=1e-9)
    allocation = rng.dirichlet(np.ones(sv.N_OPTIONS), n) * (rng.random((n, 1)) < 0.7)
    allocation[allocation[:, 0] == 0, 0] = 1.0
    amount = rng.lognormal(9.0, 1.0, rows.size) * (rng.random(rows.size) < 0.5)
    composition = rng.dirichlet(np.ones(sv.N_DF), rows.size)
    a = balance.copy()
    rule_kernels.open_new_accounts(a, rows, amount, allocation, composition)
    # Each new account holds its amount split by its allocation, the default fund's part
    # by the fund's mix.
    fresh = np.zeros((rows.size, h))
    fresh[:, : sv.N_DF] = (amount * allocation[rows, 0])[:, None] * composition
    fresh[:, sv.N_DF :] = amount[:, None] * allocation[rows, 1:]
    np.testing.assert_allclose(a[rows], fresh, rtol=1e-15)
    others = np.setdiff1d(np.arange(n), rows)
    np.testing.assert_array_equal(a[others], balance[others])
    np.testing.assert_allclose(a[rows].sum(axis=1), amount, rtol=1e-12)


@given(edges=st.lists(st.sampled_from([-1.0, 0.0, 30.0, 45.0, 60.0, 1e5]), max_size=5),
       x=st.sampled_from([-2.0, -1.0, -0.0, 0.0, 29.999, 30.0, 45.0, 60.0, 61.0, 1e5, 2e5, np.nan]))
@settings(max_examples=200, deadline=None)
def test_count_at_or_below_is_searchsorted_right(edges: list[float], x: float) -> None:
    # The interest pass finds income quintiles and age bands by counting edges <= x over
    # all edges (sorted, ties included), numpy.searchsorted(side="right")'s index.
    e = np.sort(np.asarray(edges, dtype=np.float64))
    assert compiled.count_at_or_below(e, x) == np.searchsorted(e, x, side="right")


def test_investing_into_some_accounts_adds_the_amount_by_allocation_and_mix() -> None:
    # `rule_kernels.invest_into_accounts` (loan repayments) adds to the rows in place the
    # amount split by each saver's allocation, the default fund's part by its mix (stated
    # here on whole arrays); other rows untouched, every dollar invested.
    rng = np.random.default_rng(12)
    n, h = 400, sv.N_DF + sv.N_OPTIONS - 1
    balance = rng.uniform(0.0, 1e5, (n, h))
    allocation = rng.dirichlet(np.ones(sv.N_OPTIONS), n)
    rows = np.sort(rng.choice(n, 90, replace=False)).astype(np.intp)
    amount = rng.uniform(0.0, 500.0, rows.size)
    composition = rng.dirichlet(np.ones(sv.N_DF), rows.size)
    expected = balance.copy()
    expected[rows, : sv.N_DF] += (amount * allocation[rows, 0])[:, None] * composition
    expected[rows, sv.N_DF :] += amount[:, None] * allocation[rows, 1:]
    before = balance.sum(axis=1)
    rule_kernels.invest_into_accounts(balance, rows, amount, allocation, composition)
    np.testing.assert_allclose(balance, expected, rtol=1e-15)
    np.testing.assert_allclose(balance[rows].sum(axis=1) - before[rows], amount, rtol=1e-9, atol=1e-9)
