"""Tests for agents/kernels.py: the compiled balance update equals its numpy twin.

The model uses the row kernel (`balance_month_rows`), compiled where numba is installed
and interpreted otherwise (same bytes either way, tests/model/test_jit_equivalence.py).
The vectorised numpy twin is the reference it is checked against, to 1e-12 relative (the
two sum in different orders, so not bit-equal).
"""

from __future__ import annotations

import numpy as np
import pytest
from alt401k.agents import fund_mix, kernels, observation
from alt401k.agents import savers as sv
from alt401k.agents.accounts import month_of_account
from alt401k.base import compiled
from alt401k.base.assets import ASSET_CLASSES, HOLDING_ASSET, N_HOLDINGS
from alt401k.model.model import PE_COLUMNS
from hypothesis import example, given, settings
from hypothesis import strategies as st

RTOL = 1e-12


def random_inputs(seed: int, n: int = 500, n_plans: int = 7, pe_return: float = 0.02) -> dict:
    rng = np.random.default_rng(seed)
    balance = rng.lognormal(8.0, 2.0, (n, N_HOLDINGS)) * (rng.random((n, N_HOLDINGS)) < 0.6)
    balance[:3] = 0.0  # empty accounts: year growth must stay 1
    allocation = rng.random((n, sv.N_OPTIONS)) * (rng.random((n, sv.N_OPTIONS)) < 0.5)
    allocation[:, 0] += 1e-3
    allocation /= allocation.sum(axis=1, keepdims=True)
    composition = rng.random((n, 8)) * (rng.random((n, 8)) < 0.7)
    composition[:, 0] += 1e-3
    composition /= composition.sum(axis=1, keepdims=True)
    class_return = rng.normal(0.0, 0.08, 8)
    class_return[4] = pe_return
    return dict(
        balance=balance,
        year_growth=rng.uniform(0.8, 1.2, n),
        weight=rng.uniform(100.0, 50_000.0, n),
        sponsor=rng.integers(0, n_plans, n).astype(np.int32),
        n_plans=n_plans,
        amount=rng.uniform(0.0, 3_000.0, n),
        allocation=allocation,
        composition=composition,
        holding_return=class_return[HOLDING_ASSET],
        fee_matrix=rng.uniform(0.0, 0.02, (n_plans, N_HOLDINGS)),
        pe_columns=PE_COLUMNS,
        pe_return=pe_return,
        carry_rate=0.125,
        hurdle_annual=0.05,
        gate_monthly=0.05 / 3.0,
    )


@pytest.mark.parametrize(("seed", "pe_return"), [(1, 0.02), (2, -0.03), (3, 0.004), (4, 0.08)])
def test_balance_pass_is_the_account_rule_row_by_row(seed: int, pe_return: float) -> None:
    # The pass applies `accounts.month_of_account` to each saver (invest, returns, fees,
    # carry, gated rebalancing) and adds the plans' and nation's totals; here the rule is
    # applied row by row in Python and summed with numpy. pe_return 0.004 sits just under
    # the monthly hurdle 0.05/12: no carry.
    a = random_inputs(seed, pe_return=pe_return)
    b = {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in a.items()}
    totals = kernels.balance_month_rows(**b)
    excess = pe_return - 0.05 / 12.0
    carry_monthly = 0.125 * excess / (1.0 + pe_return) if excess > 0 else 0.0
    is_pe = np.zeros(N_HOLDINGS, dtype=bool)
    is_pe[PE_COLUMNS] = True
    n = a["weight"].size
    gain_by, fees_by = np.zeros(N_HOLDINGS), np.zeros((a["n_plans"], N_HOLDINGS))
    sums = np.zeros(4)
    for i in range(n):
        s, w = a["sponsor"][i], a["weight"][i]
        before, gain, carry, stuck, sold = month_of_account(
            a["balance"][i], a["allocation"][i], a["composition"][i], a["amount"][i], a["holding_return"],
            a["fee_matrix"][s] / 12.0, is_pe, carry_monthly, a["gate_monthly"], N_HOLDINGS, w, gain_by, fees_by[s],
            np.empty(8), np.empty(8))
        if before > 0:
            a["year_growth"][i] *= (before + gain) / before
        sums += w * np.array([gain, carry, stuck, sold])
    np.testing.assert_allclose(b["balance"], a["balance"], rtol=RTOL, atol=1e-9)
    np.testing.assert_allclose(b["year_growth"], a["year_growth"], rtol=RTOL)
    np.testing.assert_allclose(totals.gain_by_holding, gain_by, rtol=RTOL, atol=1e-6)
    np.testing.assert_allclose(totals.fees_by_plan_holding, fees_by, rtol=RTOL, atol=1e-6)
    got = [totals.gain_usd, totals.carry_usd, totals.stuck_usd, totals.sleeve_sold_usd]
    np.testing.assert_allclose(got, sums, rtol=RTOL, atol=1e-6)
    assert (totals.carry_usd > 0) == (pe_return > 0.05 / 12.0)
    assert totals.stuck_usd > 0 and totals.sleeve_sold_usd > 0, "inputs should exercise the gate"


def test_defaulted_savers_allocation_is_not_needed() -> None:
    # Given the savers' styles, the pass does not read a defaulted saver's allocation nor
    # visit its holdings outside the default fund (in the model it is always the default
    # fund alone and they are empty, tests/model/test_model.py) and adds nothing for savers
    # who contribute nothing: the same bits as reading every row.
    a = random_inputs(6)
    rng = np.random.default_rng(6)
    style = rng.choice([sv.DEFAULTED, sv.ACTIVE, sv.WINDOW], a["balance"].shape[0]).astype(np.int8)
    a["allocation"][style == sv.DEFAULTED] = np.eye(sv.N_OPTIONS)[0]
    a["balance"][style == sv.DEFAULTED, sv.N_DF :] = 0.0
    a["amount"][rng.random(style.size) < 0.2] = 0.0
    b = {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in a.items()}
    ta, tb = kernels.balance_month_rows(**a), kernels.balance_month_rows(**b, style=style)
    np.testing.assert_array_equal(b["balance"], a["balance"])
    np.testing.assert_array_equal(b["year_growth"], a["year_growth"])
    np.testing.assert_array_equal(tb.fees_by_plan_holding, ta.fees_by_plan_holding)
    assert (tb.gain_usd, tb.stuck_usd) == (ta.gain_usd, ta.stuck_usd)


def test_kernels_keep_money_accounted_for() -> None:
    # After the update: balance = before + contributions + gain - fees - carry, per the
    # kernel's own totals (weighted), and no account goes negative.
    a = random_inputs(5)
    before = float(a["weight"] @ a["balance"].sum(axis=1))
    totals = kernels.balance_month_rows(**a)
    after = float(a["weight"] @ a["balance"].sum(axis=1))
    contributed = float(a["weight"] @ a["amount"])
    fees = float(totals.fees_by_plan_holding.sum())
    assert after == pytest.approx(before + contributed + totals.gain_usd - fees - totals.carry_usd, rel=1e-12)
    assert a["balance"].min() >= 0.0


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_plan_sums_equal_the_sparse_product_bit_for_bit(seed: int) -> None:
    # The compiled per-plan totals add each plan's savers in row order, as the sparse
    # (plans x savers) product does; the model's outputs must not depend on which is used
    # (numba absent => the sparse product), so equality is exact, not approximate.
    import scipy.sparse as sp

    rng = np.random.default_rng(seed)
    n, n_plans = 2_000, 37
    sponsor = rng.integers(0, n_plans, n).astype(np.int32)
    weight = rng.uniform(1.0, 5_000.0, n)
    values = rng.lognormal(5.0, 3.0, (n, 5)) * (rng.random((n, 5)) < 0.5)
    matrix = sp.csr_array((weight, (sponsor, np.arange(n))), shape=(n_plans, n))
    np.testing.assert_array_equal(kernels.plan_sums(sponsor, weight, values, n_plans), matrix @ values)
    rows = np.flatnonzero(rng.random(n) < 0.3)
    padded = np.zeros_like(values)
    padded[rows] = values[rows]
    np.testing.assert_array_equal(kernels.plan_sums(sponsor, weight, values[rows], n_plans, rows), matrix @ padded)


def _observed_population(seed: int, n: int = 3_000) -> tuple[sv.SaverPopulation, np.ndarray]:
    from alt401k.model.config import RunConfig
    from alt401k.model.model import Alt401kModel
    from alt401k.model.policy import load_scenario

    model = Alt401kModel(load_scenario("broad-access"), RunConfig(n_savers=n, n_sponsors=60, years=1, seed=seed))
    pop = model.savers
    rng = np.random.default_rng(seed)
    balance = rng.lognormal(3.0, 4.0, (n, N_HOLDINGS)) * (rng.random((n, N_HOLDINGS)) < 0.2)
    balance[:50] = 0.0
    balance[50:100, sv.DF_ALT_SLICE] = 0.0025  # at threshold / 2: not exposed unless outside adds
    balance[100:150, sv.STANDALONE_ALT_SLICE] = 0.005  # exactly at the threshold: not exposed
    pop.balance_usd[:] = balance
    pop.age_years[150:200] = 55.0  # the band's edges: 55 is near retirement, 65 is not
    pop.age_years[200:250] = 65.0
    pop.worst_year_return[:] = rng.uniform(-0.5, 0.3, n)
    pop.worst_year_return[250:300] = -0.2  # not a loss of more than 20%
    pop.is_auto_enrolled[300:400] = True
    pop.deferral_rate[300:350] = model.plans.default_rate[pop.sponsor[300:350]] * (1 + 1e-7)  # isclose
    return pop, model.plans.default_rate


def whole_array_totals(pop: sv.SaverPopulation, default_rate: np.ndarray, n_plans: int) -> observation.SaverTotals:
    """What `observe_savers` sums (ODD §6), stated on whole arrays: each flag of
    `OBSERVED_SUMS` weighted over savers; holdings weighted by nation and by plan; holders of
    each class outside the default fund by plan. Exposed is above the threshold through any
    channel; near retirees are 55-64; at default is numpy.isclose's test."""
    balance, w = pop.balance_usd, pop.weight
    inside, outside = balance[:, sv.DF_ALT_SLICE], balance[:, sv.STANDALONE_ALT_SLICE] + balance[:, sv.WINDOW_ALT_SLICE]
    exposed = inside + outside > observation.EXPOSURE_THRESHOLD_USD
    near = (pop.age_years >= 55) & (pop.age_years < 65)
    at_default = pop.is_auto_enrolled & np.isclose(pop.deferral_rate, default_rate[pop.sponsor])
    flags = [np.ones(pop.n, dtype=bool), pop.is_participating, None, (balance[:, : sv.N_DF] > 0).any(axis=1),
             exposed.any(axis=1), *exposed.T, near, near & (pop.worst_year_return < -0.2), at_default]
    sums = {name: float(w @ (balance.sum(axis=1) if f is None else f))
            for name, f in zip(observation.OBSERVED_SUMS, flags, strict=True)}
    by_plan = np.zeros((n_plans, pop.n))
    by_plan[pop.sponsor, np.arange(pop.n)] = w
    return observation.SaverTotals(sums, w @ balance, by_plan @ balance, by_plan @ (outside > 0).astype(np.float64))


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("interleave", [False, True])
def test_observation_pass_sums_what_the_rule_says(seed: int, interleave: bool) -> None:
    # One compiled pass must give the whole-array sums (to rounding: the pass adds plan by
    # plan), threshold and band edges included, and the same bytes wherever the chunks are
    # cut; also where a plan's rows come in several runs.
    pop, default_rate = _observed_population(seed)
    if interleave:
        pop = pop.take(np.random.default_rng(seed).permutation(pop.n))
    n_plans = default_rate.shape[0]
    ref = whole_array_totals(pop, default_rate, n_plans)
    first = None
    for bounds in (None, kernels.row_chunks(pop.sponsor, 100), np.array([0, pop.n])):
        fast = observation.observe_savers(pop, default_rate, bounds)
        if first is None:
            first = fast
        assert fast.sums == first.sums
        np.testing.assert_array_equal(fast.holdings_usd, first.holdings_usd)
        assert fast.sums.keys() == ref.sums.keys()
        for name, value in ref.sums.items():
            assert fast.sums[name] == pytest.approx(value, rel=1e-12), name
        np.testing.assert_allclose(fast.holdings_usd, ref.holdings_usd, rtol=1e-12)
        np.testing.assert_allclose(fast.plan_holdings_usd, ref.plan_holdings_usd, rtol=1e-12)
        np.testing.assert_allclose(fast.plan_outside_held, ref.plan_outside_held, rtol=1e-12)
        # Per-plan totals are added in row order by one thread, as `plan_sums` adds them.
        np.testing.assert_array_equal(fast.plan_holdings_usd,
                                      kernels.plan_sums(pop.sponsor, pop.weight, pop.balance_usd, n_plans))
    s = ref.sums
    assert 0 < s["any_exposed"] < s["weight"] and 0 < s["near_retirees_worst_year_loss_gt20"] < s["near_retirees"]
    assert s["at_default_deferral"] > 0 and s["in_default_fund"] < s["weight"]


def test_observation_pass_gives_the_same_bytes_on_any_threads_and_without_the_jit() -> None:
    from alt401k.model.threads import set_kernel_threads

    pop, default_rate = _observed_population(2)
    bounds = kernels.row_chunks(pop.sponsor, 100)
    results = []
    for threads, kernel in ((1, observation._observe_kernel), (2, observation._observe_kernel),
                            (1, observation._observe_kernel.py_func)):
        saved = observation._observe_kernel
        observation._observe_kernel = kernel
        set_kernel_threads(threads)
        try:
            results.append(observation.observe_savers(pop, default_rate, bounds))
        finally:
            observation._observe_kernel = saved
            set_kernel_threads(None)
    for other in results[1:]:
        assert other.sums == results[0].sums
        for name in ("holdings_usd", "plan_holdings_usd", "plan_outside_held"):
            np.testing.assert_array_equal(getattr(other, name), getattr(results[0], name), err_msg=name)


def test_observation_pass_into_kept_buffers_gives_the_bytes_of_fresh_ones() -> None:
    # Plans 0 and 3 lose their savers (rows in plan order, contiguous runs): two
    # observations of different balances into the same kept buffers must each give what
    # fresh zeroed buffers give, the empty plans' rows staying zero.
    pop, default_rate = _observed_population(3)
    pop.sponsor[np.isin(pop.sponsor, [0, 3])] = 1
    order = np.argsort(pop.sponsor, kind="stable")
    pop = pop.take(order)
    bounds = kernels.row_chunks(pop.sponsor, 100)
    kept = kernels.PlanBuffers.zeros(default_rate.shape[0], observation.OBSERVE_SUM_WIDTHS, one_run=True)
    for scale in (1.0, 0.5):
        pop.balance_usd *= scale
        fresh = observation.observe_savers(pop, default_rate, bounds)
        again = observation.observe_savers(pop, default_rate, bounds, buffers=kept)
        assert again.sums == fresh.sums
        for name in ("holdings_usd", "plan_holdings_usd", "plan_outside_held"):
            np.testing.assert_array_equal(getattr(again, name), getattr(fresh, name), err_msg=name)
        assert not fresh.plan_holdings_usd[[0, 3]].any() and fresh.plan_holdings_usd[1].sum() > 0


def carved_by_hand(glide: np.ndarray, sleeve: np.ndarray) -> np.ndarray:
    """The default-fund rule (ODD §7.5) one row at a time in plain Python: private credit
    out of bonds, the rest of the sleeve out of equity, any shortfall pro rata from the
    public weights left."""
    out = np.empty((glide.shape[0], 8))
    for i, ((g0, g1, g2), sl) in enumerate(zip(glide.tolist(), sleeve.tolist(), strict=True)):
        need_bonds = sl[ASSET_CLASSES.index("private_credit")]
        need_equity = sum(sl) - need_bonds
        p0, p1, p2 = g0 - min(need_equity, g0), g1 - min(need_bonds, g1), g2
        rest = max(need_equity - g0, 0.0) + max(need_bonds - g1, 0.0)
        left = p0 + p1 + p2
        scale = (left - rest) / left if rest > 0 and left > 0 else (0.0 if rest > 0 else 1.0)
        out[i] = [p0 * scale, p1 * scale, p2 * scale, *sl[3:]]
    return out


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_composition_passes_follow_the_rule(seed: int) -> None:
    # The default-fund mix computed row by row from plan sleeves against the rule written
    # out in plain Python (to rounding), whole rows summing to 1; the glide path computed in
    # the same pass gives the mix of `glide_path`'s weights exactly, and a fixed (balanced)
    # mix and `carve_sleeve` of per-row sleeves the same as the plan form. Sleeves up to 95%
    # make the replaced class run out late on the glide path (rest > 0).
    from alt401k.base.strata import glide_path

    rng = np.random.default_rng(seed)
    n, n_plans = 5_000, 40
    plan_sleeve = np.zeros((n_plans, 8))
    plan_sleeve[:, 3:] = rng.uniform(0.0, 0.19, (n_plans, 5)) * (rng.random((n_plans, 5)) < 0.5)
    plan_sleeve[:5] = 0.0
    sponsor = rng.integers(0, n_plans, n).astype(np.int32)
    glide = glide_path(rng.uniform(20.0, 80.0, n))
    got = fund_mix.default_fund_composition(glide, plan_sleeve, sponsor)
    np.testing.assert_allclose(got, carved_by_hand(glide, plan_sleeve[sponsor]), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(got.sum(axis=1), 1.0, rtol=1e-12)
    assert (got >= -1e-15).all()
    out = np.full((n, 8), np.nan)
    fund_mix.default_fund_composition(glide, plan_sleeve, sponsor, out)
    np.testing.assert_array_equal(out, got)
    np.testing.assert_array_equal(fund_mix.carve_sleeve(glide, plan_sleeve[sponsor]), got)
    # With the glide path computed in the same pass (ages on and around the knots too).
    ages = np.concatenate([rng.uniform(15.0, 100.0, n - 8), [40.0, 60.0, 65.0, 72.0, 39.99, 72.01, 64.5, 20.0]])
    ages += rng.integers(0, 60, n) / 12.0
    np.testing.assert_array_equal(fund_mix.glide_composition(ages, plan_sleeve, sponsor),
                                  fund_mix.default_fund_composition(glide_path(ages), plan_sleeve, sponsor))
    fixed = np.broadcast_to(np.array([0.6, 0.4, 0.0]), (n, 3))  # a balanced QDIA
    np.testing.assert_allclose(fund_mix.default_fund_composition(fixed, plan_sleeve, sponsor),
                               carved_by_hand(np.asarray(fixed), plan_sleeve[sponsor]), rtol=1e-12, atol=1e-15)
    # The inputs reach the branch where the replaced class runs out.
    need = plan_sleeve[sponsor].sum(axis=1) - plan_sleeve[sponsor, 5]
    assert (need > glide[:, 0]).any() or (plan_sleeve[sponsor, 5] > glide[:, 1]).any()


@pytest.mark.parametrize("width", [1, 3, 7, 8, 9, 16, 22, 31, 128])
def test_row_total_is_numpys_row_sum_bit_for_bit(width: int) -> None:
    # The compiled row sum must follow numpy's summation order exactly, or reported
    # balances would depend on whether numba is installed.
    rng = np.random.default_rng(width)
    rows = rng.lognormal(0.0, 4.0, (400, width)) * (rng.random((400, width)) < 0.7)
    expected = rows.sum(axis=1)
    assert all(compiled.row_total(rows[i]) == expected[i] for i in range(rows.shape[0]))


@settings(max_examples=60, deadline=None)
@given(sizes=st.lists(st.integers(1, 300), min_size=1, max_size=40), target=st.integers(1, 500))
def test_row_chunks_keep_each_plan_in_one_chunk(sizes: list[int], target: int) -> None:
    # Savers stored in plan order: every chunk starts where a plan's rows start, the chunks
    # cover every row once, and none is cut short of `target` except at a plan boundary.
    sponsor = np.repeat(np.arange(len(sizes), dtype=np.int32), sizes)
    bounds = kernels.row_chunks(sponsor, target)
    assert bounds[0] == 0 and bounds[-1] == sponsor.size and np.all(np.diff(bounds) > 0)
    plan_starts = set(np.flatnonzero(np.r_[True, sponsor[1:] != sponsor[:-1]]).tolist())
    assert set(bounds[:-1].tolist()) <= plan_starts
    chunk_of = np.searchsorted(bounds, np.arange(sponsor.size), side="right")
    for s in range(len(sizes)):
        assert np.unique(chunk_of[sponsor == s]).size == 1
    # A chunk ends early only where the next plan start lies beyond the next multiple of target.
    assert bounds.size - 1 <= sponsor.size // target + 1


@settings(max_examples=40, deadline=None)
@given(sizes=st.lists(st.integers(1, 8), min_size=200, max_size=900), chunk_rows=st.integers(16, 64))
def test_default_row_chunks_give_every_thread_count_equal_shares(sizes: list[int], chunk_rows: int) -> None:
    # numba hands each thread an equal block of a parallel loop's iterations, so the
    # default chunks must come in a multiple of CHUNK_COUNT_MULTIPLE, of about one length
    # (within a plan's rows of each other: cuts move to the next plan start), none longer
    # than CHUNK_ROWS but for that.
    sponsor = np.repeat(np.arange(len(sizes), dtype=np.int32), sizes)
    old = kernels.CHUNK_ROWS
    kernels.CHUNK_ROWS = chunk_rows
    try:
        bounds = kernels.row_chunks(sponsor)
    finally:
        kernels.CHUNK_ROWS = old
    lengths = np.diff(bounds)
    assert lengths.size % kernels.CHUNK_COUNT_MULTIPLE == 0
    assert lengths.max() - lengths.min() <= 2 * max(sizes)
    assert lengths.max() <= chunk_rows + max(sizes)
    assert bounds[0] == 0 and bounds[-1] == sponsor.size


def test_row_chunks_of_interleaved_plans_is_one_chunk() -> None:
    # Rows of one plan not contiguous: per-plan sums would race, so everything is one chunk.
    assert kernels.row_chunks(np.array([0, 1, 0, 1], dtype=np.int32), 1).tolist() == [0, 4]


@settings(max_examples=80, deadline=None)
@given(sizes=st.lists(st.integers(0, 40), min_size=1, max_size=30), seed=st.integers(0, 2**16),
       interleave=st.booleans())
def test_plan_rows_list_the_savers_of_the_chosen_plans(sizes: list[int], seed: int, interleave: bool) -> None:
    # The rows of a set of plans, from the plans' row ranges, are the rows whose plan is in
    # the set: plans in any order of blocks, plans without savers, and (interleave) rows of
    # a plan in several runs, where the ranges do not apply.
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(sizes))
    sponsor = np.repeat(order, np.asarray(sizes)[order]).astype(np.int32)
    if interleave and sponsor.size > 1:
        rng.shuffle(sponsor)
    rows = kernels.PlanRows.of(sponsor, len(sizes))
    for _ in range(5):
        mask = rng.random(len(sizes)) < rng.random()
        got = rows.rows(mask)
        assert got.dtype == np.intp
        assert np.array_equal(got, np.flatnonzero(mask[sponsor]))
    # The ranges are used exactly where each plan's rows are one run.
    one_run = all(np.ptp(at) + 1 == at.size for at in (np.flatnonzero(sponsor == p) for p in range(len(sizes))) if at.size)
    assert (rows.start is not None) == one_run


@pytest.mark.parametrize("seed", [6, 7])
def test_balance_kernel_gives_the_same_bytes_on_any_threads(seed: int) -> None:
    # Rows in plan order, chunks of ~60 rows: one thread, two threads, the interpreted
    # chunk loop and the one-chunk serial pass must agree to the last bit (each plan's sums
    # are added in row order by one thread, and national sums are the plans' added in plan
    # order, so nothing depends on the threads or on where the chunks are cut).
    import numba
    from alt401k.model.threads import set_kernel_threads

    base = random_inputs(seed, n=2_000, n_plans=50)
    order = np.argsort(base["sponsor"], kind="stable")
    for key in ("balance", "year_growth", "weight", "sponsor", "amount", "allocation", "composition"):
        base[key] = base[key][order]
    bounds = kernels.row_chunks(base["sponsor"], 60)
    assert bounds.size > 10

    def run(threads: int, chunks: np.ndarray, interpreted: bool = False):
        a = {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in base.items()}
        set_kernel_threads(threads)
        kernel = kernels._row_kernel
        if interpreted:  # the chunk loop in Python, as without numba
            kernels._row_kernel = kernels._row_kernel.py_func
        try:
            totals = kernels.balance_month_rows(**a, bounds=chunks)
        finally:
            kernels._row_kernel = kernel
            set_kernel_threads(None)
        return a, totals

    one, t1 = run(1, bounds)
    two, t2 = run(min(2, numba.config.NUMBA_NUM_THREADS), bounds)
    py, tp = run(1, bounds, interpreted=True)
    serial, ts = run(1, np.array([0, base["sponsor"].size]))
    coarse, tc = run(min(2, numba.config.NUMBA_NUM_THREADS), kernels.row_chunks(base["sponsor"], 700))
    for other, tot in ((two, t2), (py, tp), (serial, ts), (coarse, tc)):
        np.testing.assert_array_equal(other["balance"], one["balance"])
        np.testing.assert_array_equal(other["year_growth"], one["year_growth"])
        np.testing.assert_array_equal(tot.fees_by_plan_holding, t1.fees_by_plan_holding)
        np.testing.assert_array_equal(tot.gain_by_holding, t1.gain_by_holding)
        assert (tot.gain_usd, tot.carry_usd, tot.stuck_usd, tot.sleeve_sold_usd) == (
            t1.gain_usd, t1.carry_usd, t1.stuck_usd, t1.sleeve_sold_usd)
    assert t1.stuck_usd > 0 and t1.sleeve_sold_usd > 0 and t1.carry_usd > 0  # every total is exercised


@pytest.mark.parametrize("seed", [8, 9])
def test_kept_plan_buffers_give_the_bytes_of_fresh_zeroed_ones(seed: int) -> None:
    # Rows in plan order, plans 0, 5, 6, ... without savers. Three months in a row: the
    # buffers kept across months (each plan's rows written over, the empty plans' rows
    # never touched) must give what fresh zeroed buffers give (the pass adding into them).
    base = random_inputs(seed, n=1_500, n_plans=40)
    base["sponsor"] = np.where(np.isin(base["sponsor"], [0, 5, 6, 39]), 1, base["sponsor"]).astype(np.int32)
    order = np.argsort(base["sponsor"], kind="stable")
    for key in ("balance", "year_growth", "weight", "sponsor", "amount", "allocation", "composition"):
        base[key] = base[key][order]
    bounds = kernels.row_chunks(base["sponsor"], 50)
    kept = kernels.PlanBuffers.zeros(base["n_plans"], kernels.BALANCE_SUM_WIDTHS, one_run=True)
    fresh_state = {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in base.items()}
    kept_state = {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in base.items()}
    for month in range(3):
        fresh = kernels.balance_month_rows(**fresh_state, bounds=bounds)
        again = kernels.balance_month_rows(**kept_state, bounds=bounds, buffers=kept)
        np.testing.assert_array_equal(kept_state["balance"], fresh_state["balance"])
        np.testing.assert_array_equal(again.fees_by_plan_holding, fresh.fees_by_plan_holding)
        np.testing.assert_array_equal(again.gain_by_holding, fresh.gain_by_holding)
        assert (again.gain_usd, again.carry_usd, again.stuck_usd, again.sleeve_sold_usd) == (
            fresh.gain_usd, fresh.carry_usd, fresh.stuck_usd, fresh.sleeve_sold_usd)
        assert not fresh.fees_by_plan_holding[[0, 5, 6, 39]].any()
        assert fresh.fees_by_plan_holding[1].sum() > 0
        for state in (fresh_state, kept_state):  # next month's contributions differ
            state["amount"] = state["amount"] * (1.0 + 0.1 * month)


@pytest.mark.parametrize("kinds", [None, "balanced", "money_market", "mixed"])
def test_balance_pass_computing_the_mix_equals_reading_it(kinds: str | None) -> None:
    # The balance pass may compute each saver's default-fund mix itself (the glide path, or
    # each plan's kind of default: a fixed money-market or balanced mix, NaN rows for
    # target-date plans; with the plan's sleeve); it must give the bits of reading the mix
    # computed beforehand by glide_composition / default_fund_composition.
    from alt401k.base.assets import DEFAULT_FUND_KINDS
    from alt401k.base.strata import glide_path
    from alt401k.model.saver_phases import KIND_MIX

    rng = np.random.default_rng(8)
    base = random_inputs(8, n=1_500, n_plans=30)
    plan_sleeve = np.zeros((30, 8))
    plan_sleeve[:, 3:] = rng.uniform(0.0, 0.19, (30, 5)) * (rng.random((30, 5)) < 0.5)
    age = rng.uniform(18.0, 80.0, 1_500)
    fixed = None
    if kinds is None:
        comp = fund_mix.glide_composition(age, plan_sleeve, base["sponsor"])
    else:
        plan_kind = (rng.integers(0, len(DEFAULT_FUND_KINDS), 30) if kinds == "mixed"
                     else np.full(30, DEFAULT_FUND_KINDS.index(kinds)))
        fixed = KIND_MIX[plan_kind]
        weights = fixed[base["sponsor"]]
        tdf = np.isnan(weights[:, 0])
        weights[tdf] = glide_path(age[tdf])
        assert kinds != "mixed" or (tdf.any() and not tdf.all())
        comp = fund_mix.default_fund_composition(weights, plan_sleeve, base["sponsor"])
    read = {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in base.items()}
    read["composition"] = comp
    made = {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in base.items()}
    made["composition"] = fund_mix.DefaultFundMix(age, plan_sleeve, fixed)
    t_read, t_made = kernels.balance_month_rows(**read), kernels.balance_month_rows(**made)
    np.testing.assert_array_equal(made["balance"], read["balance"])
    np.testing.assert_array_equal(t_made.fees_by_plan_holding, t_read.fees_by_plan_holding)
    assert (t_made.gain_usd, t_made.stuck_usd, t_made.sleeve_sold_usd) == (t_read.gain_usd, t_read.stuck_usd,
                                                                          t_read.sleeve_sold_usd)


@pytest.mark.parametrize("seed", [0, 1])
def test_plan_assets_and_fee_pass_follows_the_rule(seed: int) -> None:
    # Each plan's assets and asset-weighted fee (what excess-fee suits look at, ODD §7.10)
    # from one pass over the plans, against the rule on whole arrays (to rounding), empty
    # plans (no assets: fee 0) included.
    rng = np.random.default_rng(seed)
    held = rng.lognormal(10.0, 3.0, (3_000, N_HOLDINGS)) * (rng.random((3_000, N_HOLDINGS)) < 0.4)
    held[:40] = 0.0
    fee = rng.uniform(0.0, 0.02, (3_000, N_HOLDINGS))
    assets = held.sum(axis=1)
    weighted = np.divide((held * fee).sum(axis=1), assets, out=np.zeros(held.shape[0]), where=assets > 0)
    got = kernels.plan_assets_and_fee(held, fee)
    np.testing.assert_allclose(got[0], assets, rtol=1e-13)
    np.testing.assert_allclose(got[1], weighted, rtol=1e-13)
    assert (got[1][:40] == 0.0).all() and (got[1][40:] > 0).any()
    for width in (3, 8, 22, 31):  # the pairwise order at other row widths too
        x, y = held[:, :width].copy(), fee[:, :width].copy()
        products = np.array([compiled.row_dot(x[i], y[i]) for i in range(200)])
        np.testing.assert_array_equal(products, (x[:200] * y[:200]).sum(axis=1))


def test_passes_refuse_another_holdings_layout() -> None:
    # The balance and end-of-month passes are compiled for the model's 22 holdings and 8
    # default-fund classes (loop lengths as constants); other shapes are refused, not misread.
    a = random_inputs(5)
    a["balance"] = a["balance"][:, :-1].copy()
    with pytest.raises(ValueError, match="compiled for 22 holdings"):
        kernels.balance_month_rows(**a)
    b = random_inputs(5)
    b["composition"] = b["composition"][:, :-1].copy()
    with pytest.raises(ValueError, match="8 default-fund classes"):
        kernels.balance_month_rows(**b)
    pop, default_rate = _observed_population(0)
    pop.balance_usd = pop.balance_usd[:, :-1].copy()
    with pytest.raises(ValueError, match="compiled for 22"):
        observation.observe_savers(pop, default_rate)


def test_glide_weights_are_the_glide_path_bit_for_bit() -> None:
    # The compiled glide path (knots compiled in, segments chosen by selects) must give
    # numpy.interp's bits everywhere, on the knots and one ulp either side included.
    from alt401k.base.strata import GLIDE_CASH, GLIDE_EQUITY, glide_path

    knots = np.concatenate([GLIDE_EQUITY[0], GLIDE_CASH[0]])
    near = np.concatenate([knots, np.nextafter(knots, -np.inf), np.nextafter(knots, np.inf)])
    ages = np.concatenate([near, np.random.default_rng(3).uniform(0.0, 120.0, 5_000), [-1e300, 1e300]])
    expected = glide_path(ages)
    got = np.array([fund_mix.glide_weights(float(a)) for a in ages])
    np.testing.assert_array_equal(got, expected)


@pytest.mark.filterwarnings("ignore:overflow encountered in divide:RuntimeWarning")
@settings(max_examples=60, deadline=None)
@given(knots=st.lists(st.floats(-50.0, 150.0), min_size=1, max_size=6, unique=True),
       values=st.lists(st.floats(-1.0, 1.0), min_size=6, max_size=6), seed=st.integers(0, 2**16))
@example(knots=[0.0, 5e-324, -1.0], values=[0.0, 0.0, 1.0, 0.0, 0.0, 0.0], seed=0)  # an infinite slope
@example(knots=[0.0, 1.0, 2.0], values=[0.0, -0.0, 1.0, 0.0, 0.0, 0.0], seed=0)  # -0.0 on an inner knot
def test_interp_with_known_knots_is_numpys(knots: list[float], values: list[float], seed: int) -> None:
    # Both compiled forms of numpy.interp (selects, for knots compiled in; branches, for
    # knots given at run time) give its bits: on the knots themselves (fp there, a signed
    # zero too), where the slope is infinite (numpy's retry from the segment's other end).
    xp = np.sort(np.asarray(knots))
    fp = np.asarray(values[: xp.size])
    x = np.concatenate([xp, np.nextafter(xp, -np.inf), np.nextafter(xp, np.inf),
                        np.random.default_rng(seed).uniform(-100.0, 200.0, 200)])
    slope = compiled.interp_slopes(xp, fp)
    expected = np.interp(x, xp, fp)
    for interp in (compiled.interp_known, compiled.interp_sloped):
        got = np.array([interp(float(v), xp, fp, slope) for v in x])
        np.testing.assert_array_equal(got, expected)
        np.testing.assert_array_equal(np.signbit(got), np.signbit(expected))
