"""The end-of-month pass over the savers: national and per-plan holdings, coworker counts
and observation's national sums, in one pass.

ODD §6 (observation) and §3 step 11. `observe_savers` is the compiled pass the model uses
(interpreted under ``NUMBA_DISABLE_JIT=1``, the same bytes); tests/agents/test_kernels.py
checks it against the same sums stated on whole arrays.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ..base.assets import N_HOLDINGS
from ..base.compiled import add_rows_in_order, njit, prange, row_helper, row_total_n
from . import savers as sv
from .kernels import PlanBuffers, begin_run, end_run, row_chunks

F64 = npt.NDArray[np.float64]


OBSERVED_SUMS: tuple[str, ...] = (
    "weight", "participating", "balance_usd", "in_default_fund", "any_exposed",
    *(f"exposed__{a}" for a in sv.ALTERNATIVES),
    "near_retirees", "near_retirees_worst_year_loss_gt20", "at_default_deferral",
)
"""The weighted (national) sums of `observe_savers`: heads for every entry but
`balance_usd`, which is dollars. Exposed means more than the threshold in the class through
any channel; near retirees are 55-64; at default is an auto-enrolled saver whose deferral
equals the plan's default rate (numpy.isclose's default test)."""
EXPOSURE_THRESHOLD_USD = 0.005
"""Half a cent: balances below it are rounding dust, not exposure."""


@dataclass
class SaverTotals:
    """What observation, litigation and coworkers need of the savers at the end of a month
    (ODD §6), from one pass over them (`observe_savers`)."""

    sums: dict[str, float]
    """National sums over savers, keyed by `OBSERVED_SUMS`."""
    holdings_usd: F64
    """(N_HOLDINGS,): national dollars in each holding column."""
    plan_holdings_usd: F64
    """(n_plans, N_HOLDINGS): national dollars of each plan's savers in each holding
    (the same bits as `plan_sums(sponsor, weight, balance, n_plans)`)."""
    plan_outside_held: F64
    """(n_plans, N_ALT): national heads of each plan holding each class outside the default
    fund (the same bits as `plan_sums` of 1.0 where a saver holds it, 0.0 elsewhere)."""


_H, _N_DF, _N_ALT = N_HOLDINGS, sv.N_DF, sv.N_ALT
_DF0, _ST0, _WI0 = sv.DF_ALT_SLICE.start, sv.STANDALONE_ALT_SLICE.start, sv.WINDOW_ALT_SLICE.start
"""The holdings' layout as constants of the compiled pass (`_observe_rows`)."""


def _observe_rows(lo, hi, balance, weight, participating, age, worst, auto, deferral, sponsor, default_rate,
                  threshold, plan_sums_out, plan_held, plan_outside, one_run):  # pragma: no cover - compiled
    """Rows lo..hi-1 of `observe_savers`: each plan's sums into its row of `plan_sums_out`
    and its holdings and holders into `plan_held`, `plan_outside`, each added up in row
    order in local accumulators over a run of the plan's rows and put into the plan's rows
    when the next plan's rows begin. Where each plan's rows are one run (`one_run`) they are
    written over, so the arrays need no zeroing between months; else a run of holdings and
    holders continues from what earlier runs left (`kernels.begin_run`: each plan's the
    sparse product's row-order sums), and the scalar sums add the run's total, as before.

    The holdings' layout (`_H`, `_N_DF`, `_N_ALT` and the alternatives' first columns) is
    read from module constants, which numba compiles in: loops of known length are unrolled
    (~30% off the pass with the row total's length known, `compiled.row_total_n`; the same
    operations in the same order, so the same bits)."""
    h, n_df, n_alt, df0, st0, wi0 = _H, _N_DF, _N_ALT, _DF0, _ST0, _WI0
    heads = part = dollars = in_df = any_exp = near = near_loss = at_default = 0.0
    exposed = np.zeros(n_alt)
    run_held = np.zeros(h)
    run_outside = np.zeros(n_alt)
    plan = -1
    for i in range(lo, hi):
        w = weight[i]
        s = sponsor[i]
        if s != plan:
            if plan >= 0:
                _add_observed(plan_sums_out[plan], heads, part, dollars, in_df, any_exp, exposed, near, near_loss,
                              at_default, one_run)
                end_run(plan_held[plan], run_held)
                end_run(plan_outside[plan], run_outside)
            plan = s
            heads = part = dollars = in_df = any_exp = near = near_loss = at_default = 0.0
            exposed[:] = 0.0
            begin_run(plan_held[s], run_held, one_run)
            begin_run(plan_outside[s], run_outside, one_run)
        for j in range(h):
            run_held[j] += w * balance[i, j]
        # Flags are added as w x flag (w x 0.0 == 0.0, and x + 0.0 == x for sums that are
        # never -0.0): the same bits as adding w where a flag is set, without branches that
        # random flags would mispredict (~15% of the pass).
        heads += w
        part += w * participating[i]
        dollars += w * row_total_n(balance[i], h)
        held = False
        for k in range(n_df):
            held = held | (balance[i, k] > 0)
        in_df += w * held
        hit = False
        for k in range(n_alt):
            outside = balance[i, st0 + k] + balance[i, wi0 + k]
            run_outside[k] += w * (outside > 0)  # w x 1.0, as plan_sums adds it
            exposed_k = balance[i, df0 + k] + outside > threshold
            hit = hit | exposed_k
            exposed[k] += w * exposed_k
        any_exp += w * hit
        near_retiree = (age[i] >= 55) & (age[i] < 65)
        near += w * near_retiree
        near_loss += w * (near_retiree & (worst[i] < -0.2))
        rate = default_rate[s]
        at_default += w * (auto[i] & (abs(deferral[i] - rate) <= 1e-8 + 1e-5 * abs(rate)))
    if plan >= 0:
        _add_observed(plan_sums_out[plan], heads, part, dollars, in_df, any_exp, exposed, near, near_loss, at_default,
                      one_run)
        end_run(plan_held[plan], run_held)
        end_run(plan_outside[plan], run_outside)


def _add_observed(out, heads, part, dollars, in_df, any_exp, exposed, near, near_loss,
                  at_default, one_run):  # pragma: no cover - compiled
    """Put one run of a plan's rows into its row `out` of sums, in `OBSERVED_SUMS` order
    (written over with `one_run`, else added)."""
    n_alt = exposed.shape[0]
    if one_run:
        out[0] = heads
        out[1] = part
        out[2] = dollars
        out[3] = in_df
        out[4] = any_exp
        for k in range(n_alt):
            out[5 + k] = exposed[k]
        out[5 + n_alt] = near
        out[6 + n_alt] = near_loss
        out[7 + n_alt] = at_default
    else:
        out[0] += heads
        out[1] += part
        out[2] += dollars
        out[3] += in_df
        out[4] += any_exp
        for k in range(n_alt):
            out[5 + k] += exposed[k]
        out[5 + n_alt] += near
        out[6 + n_alt] += near_loss
        out[7 + n_alt] += at_default


_add_observed = row_helper(_add_observed)
_observe_rows = njit(cache=True, nogil=True)(_observe_rows)


def _observe_chunks(bounds, balance, weight, participating, age, worst, auto, deferral, sponsor, default_rate,
                    threshold, plan_sums_out, plan_held, plan_outside, one_run):  # pragma: no cover - compiled
    for c in prange(bounds.shape[0] - 1):
        _observe_rows(bounds[c], bounds[c + 1], balance, weight, participating, age, worst, auto, deferral,
                      sponsor, default_rate, threshold, plan_sums_out, plan_held, plan_outside, one_run)


_observe_kernel = njit(cache=True, nogil=True, parallel=True)(_observe_chunks)
"""Compiled on numba's threads, else the same chunk loop interpreted (same bytes, slowly)."""


OBSERVE_SUM_WIDTHS = (len(OBSERVED_SUMS), _H, _N_ALT)
"""Per-plan sums of the end-of-month pass: `OBSERVED_SUMS`, dollars by holding, holders
of each alternative outside the default fund."""


def observe_savers(pop: sv.SaverPopulation, default_rate: F64, bounds: npt.NDArray[np.intp] | None = None,
                   threshold_usd: float = EXPOSURE_THRESHOLD_USD, buffers: PlanBuffers | None = None) -> SaverTotals:
    """National and per-plan holdings, each plan's holders of each alternative outside the
    default fund and the month's national sums over savers, in one pass.

    ODD §6, observation. One pass over the balance matrix and the saver columns, rows shared
    out among threads in the chunks `bounds` (default `row_chunks(pop.sponsor)`). Each
    plan's sums and totals are added by the one thread that has its rows, in row order, and
    national sums and holdings are the plans' added in plan order, so the bytes depend
    neither on the number of threads, nor on the chunks, nor on the JIT. Equal to the same
    sums stated on whole arrays to rounding (tests/agents/test_kernels.py); the per-plan
    totals are `kernels.plan_sums`'s, to the bit. Nothing per saver is kept. With `buffers`
    (`kernels.PlanBuffers`) the per-plan arrays are written into them and are valid until
    the next call with the same buffers.
    """
    if bounds is None:
        bounds = row_chunks(pop.sponsor)
    n_plans = default_rate.shape[0]
    h = pop.balance_usd.shape[1]
    if h != _H:
        raise ValueError(f"balance has {h} holding columns; the pass is compiled for {_H}")
    if buffers is None:
        buffers = PlanBuffers.zeros(n_plans, OBSERVE_SUM_WIDTHS, one_run=False)
    plan_sums_out, plan_held, plan_outside = buffers.check(n_plans, OBSERVE_SUM_WIDTHS)
    _observe_kernel(bounds, pop.balance_usd, pop.weight, pop.is_participating, pop.age_years, pop.worst_year_return,
                    pop.is_auto_enrolled, pop.deferral_rate, pop.sponsor, default_rate, threshold_usd,
                    plan_sums_out, plan_held, plan_outside, buffers.one_run)
    totals = add_rows_in_order(plan_sums_out)
    # National holdings: the plans' totals added in plan order (fixed, whatever the threads).
    return SaverTotals(dict(zip(OBSERVED_SUMS, totals.tolist(), strict=True)), add_rows_in_order(plan_held),
                    plan_held, plan_outside)
