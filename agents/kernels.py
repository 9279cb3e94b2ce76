"""The savers' balance pass compiled row by row, and the per-plan sums the compiled passes
share.

ODD §7.5 (contributions, balances, fees, default-fund rebalancing). The rule is one function
of one account, `agents.accounts.month_of_account`; `balance_month_rows` applies it to every
saver in one pass over memory, the path to large samples (benchmarks/RESULTS.md), and adds
the plans' and the nation's totals. Compiled with numba, or interpreted under
``NUMBA_DISABLE_JIT=1``, with the same bytes. The per-plan totals (`plan_sums`) reproduce
the sparse product bit for bit.

The other passes: the default-fund mix in `agents.fund_mix`, the end-of-month pass in
`agents.observation`, the decision rules (reviews, contributions, interest, life events)
in `agents.rule_kernels`, the choosers' reallocation in `agents.reallocation`; what they
share (numba, numpy-exact scalar helpers) in `base.compiled`.

The passes run on numba's threads. Row-wise passes with no sums across rows split the rows
any way; the others take chunks of rows that each start at a plan's first row
(`row_chunks`), so each plan's totals are added by one thread in row order, and national
sums are the plans' totals added in plan order: the bytes depend neither on the thread
count nor on where the chunks are cut.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ..base.assets import N_HOLDINGS
from ..base.compiled import (
    add_rows_in_order,
    njit,
    prange,
    row_dot,
    row_helper,
    row_total,
)
from . import savers as sv
from .accounts import month_of_account
from .fund_mix import DefaultFundMix, glide_weights, mix_row_given, plan_sleeve_needs
from .payroll import contributions

F64 = npt.NDArray[np.float64]
_DEFAULTED = sv.DEFAULTED  # a constant inside the compiled passes

__all__ = ["DefaultFundMix", "MonthTotals", "Payroll", "BALANCE_SUM_WIDTHS", "PlanBuffers", "PlanRows", "balance_month",
           "plan_runs", "plan_sums", "row_chunks"]


@dataclass
class MonthTotals:
    """National (weighted) totals of one balance update."""

    gain_usd: float
    gain_by_holding: F64
    """Shape (N_HOLDINGS,): weighted investment gain of each holding, USD."""
    fees_by_plan_holding: F64
    """Shape (n_plans, N_HOLDINGS): weighted fees paid, USD."""
    carry_usd: float
    stuck_usd: float
    sleeve_sold_usd: float
    employee_usd: float = 0.0
    """Weighted employee deferrals, where the pass computed the contributions (`Payroll`)."""
    employer_usd: float = 0.0
    """Weighted employer contributions (match and nonmatching), likewise."""
    contributions_by_plan: F64 | None = None
    """Shape (n_plans,): weighted employee plus employer contributions of each plan, where
    the pass computed them."""


@dataclass(frozen=True)
class Payroll:
    """What the balance pass needs to compute each saver's contributions itself
    (`payroll.contributions`, ODD §7.4) instead of reading an amount per saver: the
    savers' pay, deferral rate and participation flags, and each plan's match terms and
    nonmatching rate (shape (n_plans,)). Saves a pass writing three arrays and two reading
    them back."""

    salary_usd_annual: F64
    deferral_rate: F64
    is_participating: npt.NDArray[np.bool_]
    is_contributing: npt.NDArray[np.bool_]
    match_rate: F64
    match_cap: F64
    nonmatch: F64


_H: int = N_HOLDINGS
_N_DF: int = sv.N_DF
"""The holdings' layout (columns, default-fund columns), constants of the compiled balance
pass (`balance_month_rows` checks the arrays have it)."""


def _balance_month_rows(
    lo, hi, balance, year_growth, weight, sponsor, amount, allocation, style, composition, holding_return,
    fee_monthly, is_pe, carry_rate_monthly, gate_monthly, fees_out, gain_out,
    mix_mode, age, fixed_mix, plan_sleeve, need_bonds,
    sleeve_total, plan_totals, pay_mode, salary, deferral, participating, contributing, match_rate, match_cap, nonmatch,
    one_run,
):  # pragma: no cover - compiled; checked against accounts.month_of_account
    """Rows lo..hi-1 of the balance update, adding each plan's fees (`fees_out`), gains
    (`gain_out`, by holding) and gain, carry, stuck, sold, employee and match totals
    (`plan_totals`) in row order; these per-plan arrays are shared, each plan's rows lying
    in one chunk (`row_chunks`). A run of one plan's rows is added up in locals and
    written into the plan's rows of the arrays when the run ends: with `one_run` (each
    plan's rows are one run) they are overwritten, so the arrays need no zeroing between
    months, only where a plan has no savers; else the run continues the sums already there
    (the same additions in the same order either way). With `pay_mode` each saver's contributions are computed
    from its pay and plan (`payroll.contributions`, the same bits as
    `payroll.contributions`), else read from `amount`.

    Each saver's default-fund mix is read from `composition` (mix_mode 0) or computed for
    the row from its age on the glide path (1) or from its plan's row of `fixed_mix` (2: a
    plan's fixed public mix, or the glide path where the row is NaN) and its plan's sleeve,
    as `glide_composition` / `default_fund_composition` compute it (same bits)."""
    # The holdings' layout as module constants, which numba compiles in: loops of known
    # length are unrolled (~10% off the pass; the same operations in the same order, so the
    # same bits). `balance_month_rows` checks the arrays have this layout.
    h, n_df = _H, _N_DF
    comp = np.empty((1, n_df))
    # The plan's scalar totals are kept in locals and added into its row of `plan_totals`
    # when the next plan's rows begin: the same sums in the same row order.
    plan = -1
    gain_total = 0.0
    carry_total = 0.0
    stuck_total = 0.0
    sold_total = 0.0
    employee_total = 0.0
    match_total = 0.0
    new_ill = np.zeros(n_df)
    floor_ill = np.zeros(n_df)
    run_fee = np.zeros(h)
    run_gain = np.zeros(h)
    for i in range(lo, hi):
        s = sponsor[i]
        if s != plan:
            if plan >= 0:
                _add_plan_totals(plan_totals, plan, gain_total, carry_total, stuck_total, sold_total, employee_total,
                                 match_total, one_run)
                end_run(fees_out[plan], run_fee)
                end_run(gain_out[plan], run_gain)
            plan = s
            gain_total = carry_total = stuck_total = sold_total = employee_total = match_total = 0.0
            begin_run(fees_out[s], run_fee, one_run)
            begin_run(gain_out[s], run_gain, one_run)
        w = weight[i]
        if mix_mode == 0:
            for k in range(n_df):
                comp[0, k] = composition[i, k]
        else:
            if mix_mode == 1 or fixed_mix[s, 0] != fixed_mix[s, 0]:  # glide path (a NaN row: a TDF plan)
                g0, g1, g2 = glide_weights(age[i])
            else:  # the plan's fixed public mix (ODD §7.5, default-fund kinds)
                g0, g1, g2 = fixed_mix[s, 0], fixed_mix[s, 1], fixed_mix[s, 2]
            mix_row_given(g0, g1, g2, plan_sleeve[s], need_bonds[s], sleeve_total[s], comp, 0)
        if pay_mode:
            e, m = contributions(salary[i], deferral[i], participating[i], contributing[i], match_rate[s],
                                 match_cap[s], nonmatch[s])
            employee_total += w * e
            match_total += w * m
            a = e + m
        else:
            a = amount[i]
        before, gain, carry, stuck, sold = month_of_account(
            balance[i], allocation[i], comp[0], a, holding_return, fee_monthly[s], is_pe, carry_rate_monthly,
            gate_monthly, n_df if style[i] == _DEFAULTED else h, w, run_gain, run_fee, new_ill, floor_ill)
        if before > 0:
            year_growth[i] *= (before + gain) / before
        gain_total += w * gain
        carry_total += w * carry
        stuck_total += w * stuck
        sold_total += w * sold
    if plan >= 0:
        _add_plan_totals(plan_totals, plan, gain_total, carry_total, stuck_total, sold_total, employee_total,
                         match_total, one_run)
        end_run(fees_out[plan], run_fee)
        end_run(gain_out[plan], run_gain)


def _add_plan_totals(plan_totals, s, gain, carry, stuck, sold, employee, match, one_run):  # pragma: no cover - compiled
    """Add one run of plan s's rows to its totals, or write them where the run is the
    plan's only one (`one_run`: each total began at 0.0, so it is never -0.0 and
    0.0 + x == x: the same bits as adding it to a zeroed row)."""
    if one_run:
        plan_totals[s, 0] = gain
        plan_totals[s, 1] = carry
        plan_totals[s, 2] = stuck
        plan_totals[s, 3] = sold
        plan_totals[s, 4] = employee
        plan_totals[s, 5] = match
    else:
        plan_totals[s, 0] += gain
        plan_totals[s, 1] += carry
        plan_totals[s, 2] += stuck
        plan_totals[s, 3] += sold
        plan_totals[s, 4] += employee
        plan_totals[s, 5] += match


def begin_run(out, run, one_run):  # pragma: no cover - compiled
    """Begin a run of a plan's rows: its sums `run` start at 0.0 where the run is the plan's
    only one (`one_run`), else at what earlier runs left in the plan's row `out`, so that
    every sum is the same additions in row order as adding into a zeroed row saver by saver."""
    for j in range(run.shape[0]):
        run[j] = 0.0 if one_run else out[j]


def end_run(out, run):  # pragma: no cover - compiled
    """End a run of a plan's rows: its sums `run` into the plan's row `out`."""
    for j in range(run.shape[0]):
        out[j] = run[j]


_add_plan_totals = row_helper(_add_plan_totals)
begin_run = row_helper(begin_run)
end_run = row_helper(end_run)
_balance_month_rows = njit(cache=True, nogil=True)(_balance_month_rows)


def _balance_month_chunks(
    bounds, balance, year_growth, weight, sponsor, amount, allocation, style, composition, holding_return,
    fee_monthly, is_pe, carry_rate_monthly, gate_monthly, fees_out, gain_out, plan_totals,
    mix_mode, age, fixed_mix, plan_sleeve, need_bonds,
    sleeve_total, pay_mode, salary, deferral, participating, contributing, match_rate, match_cap, nonmatch, one_run,
):  # pragma: no cover - compiled
    """Every chunk of rows (`row_chunks`), on as many threads as numba has: chunk c writes
    only its rows and its plans' rows of the per-plan totals, so no two threads touch the
    same memory and the result depends neither on the number of threads nor on the chunks."""
    for c in prange(bounds.shape[0] - 1):
        _balance_month_rows(
            bounds[c], bounds[c + 1], balance, year_growth, weight, sponsor, amount, allocation, style,
            composition, holding_return, fee_monthly, is_pe, carry_rate_monthly,
            gate_monthly, fees_out, gain_out, mix_mode, age, fixed_mix, plan_sleeve, need_bonds, sleeve_total,
            plan_totals, pay_mode, salary, deferral, participating, contributing, match_rate, match_cap, nonmatch, one_run,
        )


_row_kernel = njit(cache=True, nogil=True, parallel=True)(_balance_month_chunks)
"""The row-by-row update: compiled (on every thread numba has), or under
``NUMBA_DISABLE_JIT=1`` the same function run by the Python interpreter chunk after chunk (slow, but the same
IEEE operations in the same order, so a run gives the same bytes with or without the JIT and
with any number of threads; numba is used without fastmath)."""

CHUNK_ROWS = 1 << 12
"""Target rows per chunk of the parallel passes (`row_chunks`). Small enough that two
threads share even 100k rows evenly; where the chunks are cut changes no bits."""
CHUNK_COUNT_MULTIPLE = 24
"""`row_chunks` makes a multiple of this many chunks of about equal length, so that 1, 2, 3,
4, 6, 8, 12 or 24 threads are each given as many rows: numba shares a parallel loop's
iterations out in equal blocks, one a thread (at 100k savers, 25 chunks of ~4,096 rows
left one of two threads 13 of them; benchmarks/RESULTS.md)."""


def plan_runs(sponsor: npt.NDArray[np.int32]) -> npt.NDArray[np.intp] | None:
    """The first row of each run of rows of one plan (ascending, starting at 0), or None
    where some plan's rows come in more than one run."""
    runs = np.flatnonzero(np.diff(sponsor, prepend=-1) != 0)
    return runs if runs.size == np.unique(sponsor).size else None


def row_chunks(sponsor: npt.NDArray[np.int32], target: int | None = None) -> npt.NDArray[np.intp]:
    """Bounds of the chunks of rows the parallel passes share out, shape (m + 1,).

    About n / `target` chunks of about equal length (by default up to `CHUNK_ROWS` rows, in
    a multiple of `CHUNK_COUNT_MULTIPLE` chunks), each starting at the first plan start at
    or after an even spacing of the rows, so that every plan's rows lie in one chunk and
    per-plan totals are added by one thread in row order (savers are stored in plan order,
    `model.population.assign_sponsors`); national totals are the plans' added in plan
    order, so neither the number of threads nor where the chunks are cut changes any bit.
    Where a plan's rows are not contiguous there is one chunk.
    """
    n = sponsor.shape[0]
    runs = plan_runs(sponsor)
    if n == 0 or runs is None:
        return np.array([0, n], dtype=np.intp)
    if target is None:
        count = CHUNK_COUNT_MULTIPLE * math.ceil(n / (CHUNK_ROWS * CHUNK_COUNT_MULTIPLE))
    else:
        count = math.ceil(n / target)
    wanted = np.arange(1, count, dtype=np.int64) * n // count
    starts = runs[1:]
    at = np.searchsorted(starts, wanted)
    cuts = starts[at[at < starts.size]]
    return np.unique(np.concatenate([[0], cuts, [n]])).astype(np.intp)


@dataclass(frozen=True)
class PlanRows:
    """Where each plan's savers lie among the rows, to list the savers of a set of plans
    without gathering a flag per saver (`rows`). Rows never change plan, so it is built
    once (`of`)."""

    sponsor: npt.NDArray[np.int32]
    start: npt.NDArray[np.intp] | None
    """First row of each plan's savers (shape (n_plans,)); None where some plan's rows are
    not contiguous."""
    stop: npt.NDArray[np.intp] | None
    """One past each plan's last row (start == stop for a plan without savers)."""
    order: npt.NDArray[np.intp] | None
    """The plans in the order their rows come (by `start`)."""

    @classmethod
    def of(cls, sponsor: npt.NDArray[np.int32], n_plans: int) -> PlanRows:
        """The row ranges of `sponsor`'s plans (0..n_plans-1)."""
        runs = plan_runs(sponsor)
        if runs is None:
            return cls(sponsor, None, None, None)
        count = np.bincount(sponsor, minlength=n_plans)
        first = np.zeros(n_plans, dtype=np.intp)
        first[sponsor[runs]] = runs
        return cls(sponsor, first, first + count, np.argsort(first, kind="stable").astype(np.intp))

    def rows(self, plan_mask: npt.NDArray[np.bool_]) -> npt.NDArray[np.intp]:
        """Ascending rows of the savers of the plans where `plan_mask` is set: the same array as
        ``np.flatnonzero(plan_mask[sponsor])``, built from the plans' ranges."""
        if self.start is None:
            return np.flatnonzero(plan_mask[self.sponsor])
        plans = self.order[plan_mask[self.order]]
        start, size = self.start[plans], self.stop[plans] - self.start[plans]
        offset = np.cumsum(size) - size
        return np.arange(int(size.sum()), dtype=np.intp) + np.repeat(start - offset, size)


@dataclass(frozen=True)
class PlanBuffers:
    """Per-plan sums a pass over the savers writes (the balance pass: fees and gains by
    holding and six scalar totals; the end-of-month pass: `agents.observation`), one
    (n_plans, width) array each, kept across months by the model.

    With `one_run` (each plan's savers are one run of rows, `PlanRows.start` is not None)
    a pass overwrites the rows of plans that have savers and never touches the others,
    which stay zero; else it adds to what is there, and the buffers must be zeroed before
    each pass (`zeros` makes fresh ones)."""

    arrays: tuple[F64, ...]
    one_run: bool

    @classmethod
    def zeros(cls, n_plans: int, widths: tuple[int, ...], one_run: bool) -> PlanBuffers:
        """Zeroed buffers for `n_plans` plans, one of each width."""
        return cls(tuple(np.zeros((n_plans, w)) for w in widths), one_run)

    def check(self, n_plans: int, widths: tuple[int, ...]) -> tuple[F64, ...]:
        """The arrays, after checking they are for `n_plans` plans and these widths."""
        if tuple(a.shape for a in self.arrays) != tuple((n_plans, w) for w in widths):
            raise ValueError(f"plan buffers of shapes {[a.shape for a in self.arrays]}, not {n_plans} plans x {widths}")
        return self.arrays


BALANCE_SUM_WIDTHS = (_H, _H, 6)
"""Per-plan sums of the balance pass: fees by holding, gains by holding, and gain, carry,
stuck, sold, employee and match totals."""


def balance_month_rows(
    balance: F64, year_growth: F64, weight: F64, sponsor: npt.NDArray[np.int32], n_plans: int,
    amount: F64 | None, allocation: F64, composition: F64 | DefaultFundMix, holding_return: F64, fee_matrix: F64,
    pe_columns: npt.NDArray[np.intp], pe_return: float, carry_rate: float, hurdle_annual: float,
    gate_monthly: float, bounds: npt.NDArray[np.intp] | None = None,
    style: npt.NDArray[np.int8] | None = None, pay: Payroll | None = None, fee_monthly: F64 | None = None,
    buffers: PlanBuffers | None = None,
) -> MonthTotals:
    """The month's balance update (`accounts.month_of_account`, ODD §7.5) of every saver, in
    place, one saver at a time in one pass over memory.

    Rows are shared out in the chunks `bounds` (default `row_chunks(sponsor)`), run on
    numba's threads; each plan's totals are added in row order and national totals are
    the plans' added in plan order, so the chunks do not change the bits. `composition`
    is each saver's default-fund mix, or a `DefaultFundMix` to compute it from, row by row.
    `style` (the savers' investment styles), when given, lets the pass skip what defaulted
    savers cannot have: they hold nothing outside the default fund (an invariant of the
    model, checked every month in tests/model/test_model.py), so their other holdings are
    not visited; without it every row is visited in full. Same bits either way. With `pay`, each
    saver's contributions are computed in the pass from its pay and plan (`amount` is not
    read and may be None; the same bits as passing `payroll.contributions`'s sum) and
    their weighted national totals are returned (`MonthTotals.employee_usd`, `employer_usd`).
    `fee_monthly`, when given, must be ``fee_matrix / 12.0`` (the model keeps it from month
    to month, `model.plan_views`). With `buffers` the per-plan sums are written into them
    (`MonthTotals.fees_by_plan_holding` is then valid until the next call with the same
    buffers) instead of fresh zeroed arrays: at 604,400 plans those are ~240 MB a month
    of fresh pages."""
    if balance.shape[1] != _H or not (isinstance(composition, DefaultFundMix) or composition.shape[1] == _N_DF):
        raise ValueError(f"the balance pass is compiled for {_H} holdings and {_N_DF} default-fund classes")
    excess = pe_return - hurdle_annual / 12.0
    carry_monthly = carry_rate * excess / (1.0 + pe_return) if excess > 0 else 0.0
    is_pe = np.zeros(balance.shape[1], dtype=np.bool_)
    is_pe[pe_columns] = True
    if bounds is None:
        bounds = row_chunks(sponsor)
    if buffers is None:
        buffers = PlanBuffers.zeros(n_plans, BALANCE_SUM_WIDTHS, one_run=False)
    fees, plan_gain, plan_totals = buffers.check(n_plans, BALANCE_SUM_WIDTHS)
    if style is None:
        style = np.full(balance.shape[0], sv.ACTIVE, dtype=np.int8)
    # The monthly expense ratio, fee / 12, divided once per plan and holding, not per saver.
    if fee_monthly is None:
        fee_monthly = fee_matrix / 12.0
    if isinstance(composition, DefaultFundMix):
        mode = 1 if composition.fixed is None else 2
        age = np.ascontiguousarray(composition.age_years, dtype=np.float64)
        fixed = np.zeros((1, 3)) if composition.fixed is None else np.ascontiguousarray(composition.fixed, dtype=np.float64)
        plan_sleeve, comp = np.ascontiguousarray(composition.plan_sleeve), np.zeros((0, sv.N_DF))
    else:
        mode, age, fixed, comp = 0, np.zeros(0), np.zeros((1, 3)), composition
        plan_sleeve = np.zeros((1, composition.shape[1]))
    if mode and composition.sleeve_needs is not None:
        need_bonds, sleeve_total = composition.sleeve_needs
    else:
        need_bonds, sleeve_total = np.zeros(plan_sleeve.shape[0]), np.zeros(plan_sleeve.shape[0])
        if mode:
            plan_sleeve_needs(plan_sleeve, need_bonds, sleeve_total)
    if pay is None:
        flags, money = np.zeros(0, dtype=np.bool_), np.zeros(0)
        payroll = (False, money, money, flags, flags, money, money, money)
    else:
        payroll = (True, pay.salary_usd_annual, pay.deferral_rate, pay.is_participating, pay.is_contributing,
                   np.asarray(pay.match_rate, dtype=np.float64), np.asarray(pay.match_cap, dtype=np.float64),
                   np.asarray(pay.nonmatch, dtype=np.float64))
        amount = np.zeros(0)
    _row_kernel(
        bounds, balance, year_growth, weight, sponsor, amount, allocation, style, comp, holding_return,
        fee_monthly, is_pe, carry_monthly, gate_monthly, fees, plan_gain, plan_totals,
        mode, age, fixed, plan_sleeve, need_bonds,
        sleeve_total, *payroll, buffers.one_run,
    )
    # National totals: the plans' totals added in plan order (fixed, whatever the chunks).
    gain, carry, stuck, sold, employee, match = add_rows_in_order(plan_totals)
    by_plan = plan_totals[:, 4] + plan_totals[:, 5] if pay is not None else None
    return MonthTotals(float(gain), add_rows_in_order(plan_gain), fees, float(carry), float(stuck), float(sold),
                       float(employee), float(match), by_plan)


def _plan_fee_rows(held, fee_matrix, assets, fee):  # pragma: no cover - compiled
    for p in prange(held.shape[0]):
        a = row_total(held[p])
        assets[p] = a
        fee[p] = row_dot(held[p], fee_matrix[p]) / a if a > 0 else 0.0


_plan_fee_kernel = njit(cache=True, nogil=True, parallel=True)(_plan_fee_rows)


def plan_assets_and_fee(held: F64, fee_matrix: F64) -> tuple[F64, F64]:
    """Each plan's assets (USD) and its asset-weighted annual expense ratio (0 where it holds
    nothing), from its savers' dollars by holding `held` and the fee of each holding
    `fee_matrix` (both (n_plans, N_HOLDINGS)): what excess-fee suits look at (ODD §7.10).
    One pass over the plans on numba's threads, without the (n_plans, N_HOLDINGS) product
    (row sums in numpy's pairwise order, `compiled.row_total`)."""
    assets, fee = np.empty(held.shape[0]), np.empty(held.shape[0])
    _plan_fee_kernel(np.ascontiguousarray(held), np.ascontiguousarray(fee_matrix), assets, fee)
    return assets, fee


def _plan_sums_rows(sponsor, weight, values, rows, bounds, out):  # pragma: no cover - compiled
    # Chunk c adds entries bounds[c]..bounds[c+1]-1 of `rows`; each plan's entries lie in one
    # chunk, so each out[s] is added by one thread in row order.
    for c in prange(bounds.shape[0] - 1):
        for r in range(bounds[c], bounds[c + 1]):
            i = rows[r]
            s = sponsor[i]
            w = weight[i]
            for k in range(values.shape[1]):
                out[s, k] += w * values[r, k]


_plan_sums_kernel = njit(cache=True, nogil=True, parallel=True)(_plan_sums_rows)


def plan_sums(sponsor: npt.NDArray[np.int32], weight: F64, values: F64, n_plans: int,
              rows: npt.NDArray[np.intp] | None = None, bounds: npt.NDArray[np.intp] | None = None) -> F64:
    """Weighted sum of `values` over each plan's savers, shape (n_plans, k).

    `values` (2-D) has one row per saver, or one per entry of `rows` (ascending saver indices)
    when given; the other savers count as zero. National per-plan totals (ODD §4.11). The
    compiled loop adds each plan's savers in row order, as the sparse product
    `csr_array((weight, (sponsor, arange(n)))) @ values` does, so both give the same bytes.
    `bounds` (`row_chunks(sponsor)`, computed when not
    given) shares the rows out among numba's threads, a plan's rows to one thread.
    """
    if bounds is None:
        bounds = row_chunks(sponsor)
    if rows is None:
        rows = np.arange(sponsor.shape[0])
    values = np.ascontiguousarray(values)  # float64, or float32 flags (exact either way)
    out = np.zeros((n_plans, values.shape[1]))
    rows = np.asarray(rows, dtype=np.intp)
    _plan_sums_kernel(sponsor, weight, values, rows, np.searchsorted(rows, bounds).astype(np.intp), out)
    return out


balance_month = balance_month_rows
"""The kernel the model uses: the row kernel."""
