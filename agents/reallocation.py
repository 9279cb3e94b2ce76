"""The choosers' reallocation as one compiled pass over their rows.

ODD §7.3 (choice, the account cap, panic sales, trading with gated sales). The rules, with
their sources, are the numpy functions they chain, in this order:
`savers.choose_allocation`, `savers.cap_alternative_allocation`, the account cap over every
channel (`cap_alt_weights` here), `savers.panic_sell_allocation` and
`savers.trade_to_allocation_inplace`. `reallocation_numpy` chains them; `reallocate` does
the same arithmetic one chooser at a time, reading and writing each chooser's row of the
saver table in place instead of gathering the rows, building a dozen (choosers, options)
temporaries and scattering them back (a few percent of savers choose each month, and each
scattered row costs a cache miss per array; benchmarks/RESULTS.md).

Sums follow numpy's order (pairwise over a whole row, `compiled.row_total`; in column
order over a gather of columns, which numpy lays out column by column) and `numpy.clip` /
`numpy.maximum` are taken as numpy takes them, so the pass gives the chain's bits where the
platform's `exp` is numpy's (so it does on the machines this was tested on); the tests
(tests/agents/test_reallocation.py) require equality to rounding. The model always runs this
pass: compiled with numba, or under ``NUMBA_DISABLE_JIT=1`` the same function interpreted,
so a run gives the same bytes with or without the JIT, on
any number of threads (each chooser's row is computed on its own).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ..base.assets import ALT_CLASS_INDEX, N_HOLDINGS
from ..base.compiled import (
    in_order,
    njit,
    numpy_clip,
    prange,
    row_helper,
    row_total,
    row_total_n,
)
from . import savers as sv

F64 = npt.NDArray[np.float64]
B = npt.NDArray[np.bool_]

RISK_SIGN: F64 = np.zeros(sv.N_OPTIONS)
"""Sign of the risk-tolerance tilt of each option (`savers.choose_allocation`)."""
RISK_SIGN[[0, 1, sv.WINDOW_EQUITY_OPTION]] = (0.5, 1.0, 1.0)
RISK_SIGN[[2, 3]] = -1.0
PANIC_OPTION = 3
"""The core cash option a panic sale moves everything to (`savers.panic_sell_allocation`)."""
_ALT_OPTIONS = np.flatnonzero(sv.OPTION_IS_ALT)
_FREE_COLUMNS = np.setdiff1d(np.arange(N_HOLDINGS), sv.ILLIQUID_COLUMNS)
_ALT_HOLDINGS = sv._ALT_HOLDINGS
_H, _N_DF, _M = N_HOLDINGS, sv.N_DF, sv.N_OPTIONS
"""Holdings, default-fund classes and options: constants numba compiles in (loops of known
length unrolled; the same operations, so the same bits). `reallocate` checks the shapes."""
_N_CORE = sv.CORE_OPTIONS.shape[0]
"""Core options, 1.._N_CORE (equity, bonds, cash; `savers.core_menu_weights`)."""
assert np.array_equal(sv.CORE_OPTIONS, np.arange(1, _N_CORE + 1))
_ROWS_PER_TASK = 256
"""Choosers per task of the threaded pass (scratch arrays are made once a task)."""


@dataclass(frozen=True)
class ChoiceTerms:
    """What the reallocation needs besides the choosers' rows (`SaverPhases._reallocate`)."""

    option_return: F64
    """(N_OPTIONS,): trailing 12-month return of each option."""
    return_chasing: float
    account_cap: float
    """Share of an account allowed in alternatives, all channels (1.0: no cap)."""
    crash: bool
    """Equity drawdown past `savers.CRASH_EQUITY_DRAWDOWN`: reviewers may panic-sell."""
    panic_sale_prob: float
    gate_monthly: float
    """Share of a gated position that may be sold this month."""


def cap_alt_weights(alloc: F64, sleeve_share: F64, cap: float) -> F64:
    """Scale alternative options so the account after trading is within the account cap.

    ODD §7.3 (choice; policy lever `cap.account`, a regulatory variant, not calibrated: the
    cap is the scenario's). The cap covers every channel: the alternative options' weight A plus the
    default fund's weight D times its sleeve share S. Scaling A by f (the rest going to the
    default fund) gives fA + S(D + (1 - f)A) <= cap, i.e. f = (cap - S(D + A)) / (A(1 - S)),
    clipped to [0, 1]. Gated positions that cannot be sold yet may keep an account above the
    cap until the gate lets them out.
    """
    if cap >= 1.0:
        return alloc
    alt = alloc[:, sv.OPTION_IS_ALT].sum(axis=1)
    d = alloc[:, 0]
    denom = alt * (1.0 - sleeve_share)
    f = np.divide(cap - sleeve_share * (d + alt), denom, out=np.ones_like(alt), where=denom > 0)
    f = np.clip(f, 0.0, 1.0)
    over = (alt > 0) & (f < 1.0)
    if over.any():
        sub = alloc[over]
        moved = sub[:, sv.OPTION_IS_ALT].sum(axis=1) * (1.0 - f[over])
        sub[:, sv.OPTION_IS_ALT] *= f[over, None]
        sub[:, 0] += moved
        alloc[over] = sub
    return alloc


def reallocation_numpy(pop: sv.SaverPopulation, rows: npt.NDArray[np.intp], visible: B, interest: F64,
                       u_alt: npt.NDArray[np.float32], u_panic: npt.NDArray[np.float32], composition: F64,
                       gate_used: B, t: ChoiceTerms, core_weight: F64 | None = None) -> F64:
    """The choosers' reallocation by whole-array numpy rules, in place; returns each
    chooser's gated (unsold) USD. The definition `reallocate` is tested against.

    `rows` are the choosers (ascending), `visible`, `interest`, `u_alt` (N_OPTIONS
    columns), `composition` (their default-fund mixes) and `gate_used` (already sold
    through the gate this month by a menu change: no second gated sale) and `core_weight`
    (their plans' `savers.core_menu_weights`, (k, 3); None: one fund of each class) one row
    each; `u_panic` is indexed by saver.
    """
    alloc = sv.choose_allocation(visible, t.option_return, pop.risk_tolerance[rows], pop.return_sensitivity[rows],
                                 interest, u_alt, t.return_chasing, core_weight)
    bal = pop.balance_usd[rows]
    alloc = sv.cap_alternative_allocation(alloc, sv.alternative_share(bal), t.account_cap)
    alloc = cap_alt_weights(alloc, composition[:, ALT_CLASS_INDEX].sum(axis=1), t.account_cap)
    if t.crash:
        panic = u_panic[rows] < t.panic_sale_prob * (1.0 - pop.risk_tolerance[rows])
        alloc[panic] = sv.panic_sell_allocation(alloc[panic])
    pop.allocation[rows] = alloc
    gated = np.zeros(rows.size)
    for part, gate in ((~gate_used, t.gate_monthly), (gate_used, 0.0)):
        if part.any():
            sub = bal[part]
            gated[part] = sv.trade_to_allocation_inplace(sub, alloc[part], composition[part], gate)
            bal[part] = sub
    pop.balance_usd[rows] = bal
    pop.trades[rows] += 1
    return gated


def _choose_row(a, visible, interest, u_alt, core_weight, clipped_return, risk_tol, sensitivity,
                chasing):  # pragma: no cover - compiled
    """`savers.choose_allocation` of one chooser into `a` (`visible`, `interest`, `u_alt`:
    its rows; `core_weight`: its plan's weights of the core options 1..3)."""
    m = _M
    cs = chasing * sensitivity
    rr = 2.0 * (risk_tol - 0.5)
    for j in range(m):
        alt = sv.OPTION_IS_ALT[j]
        # An option off the chooser's menu, or an alternative it has no interest in, scores
        # 0.0 whatever the exponential: the exponential is computed only for the others.
        score = 0.0
        if visible[j] and (not alt or u_alt[j] < interest[j]):
            score = math.exp(numpy_clip(cs * clipped_return[j] + rr * RISK_SIGN[j], -5.0, 5.0))
        if alt:
            score *= 0.5
        if 1 <= j <= _N_CORE:
            score *= core_weight[j - 1]
        a[j] = score
    total = row_total_n(a, _M)
    for j in range(m):
        a[j] = a[j] / total if total > 0 else 0.0
    if total <= 0:
        a[0] = 1.0


def _cap_row(a, b, sleeve_share, cap, scratch):  # pragma: no cover - compiled
    """`savers.cap_alternative_allocation` then `cap_alt_weights` of one allocation `a`,
    the account `b` as it is before trading."""
    n_alt = _ALT_OPTIONS.shape[0]
    total = row_total_n(b, _H)
    for q in range(_ALT_HOLDINGS.shape[0]):
        scratch[q] = b[_ALT_HOLDINGS[q]]
    alt_held = in_order(scratch, _ALT_HOLDINGS.shape[0])
    share = alt_held / total if total > 0 else 0.0
    if share >= cap:  # at the cap: no more alternatives
        for q in range(n_alt):
            scratch[q] = a[_ALT_OPTIONS[q]]
        moved = in_order(scratch, n_alt)
        for q in range(n_alt):
            a[_ALT_OPTIONS[q]] = 0.0
        a[0] += moved
    for q in range(n_alt):
        scratch[q] = a[_ALT_OPTIONS[q]]
    alt = in_order(scratch, n_alt)
    denom = alt * (1.0 - sleeve_share)
    f = (cap - sleeve_share * (a[0] + alt)) / denom if denom > 0 else 1.0
    f = numpy_clip(f, 0.0, 1.0)
    if alt > 0 and f < 1.0:
        moved = alt * (1.0 - f)
        for q in range(n_alt):
            a[_ALT_OPTIONS[q]] *= f
        a[0] += moved


def _trade_row(b, a, comp, gate, target, kept, floor, extra, scratch):  # pragma: no cover - compiled
    """`savers.trade_to_allocation_inplace` of one account `b` to allocation `a` (with its
    `_fit_purchases`), in place; returns the gated USD."""
    h, n_df = _H, _N_DF
    ill = sv.ILLIQUID_COLUMNS
    n_ill = ill.shape[0]
    total = row_total_n(b, _H)
    for j in range(n_df, h):
        target[j] = total * a[j - n_df + 1]
    df_total = row_total_n(b, _N_DF)  # of b[:n_df]
    t0 = total * a[0]
    for k in range(n_df):
        target[k] = t0 * (b[k] / df_total if df_total > 0 else comp[k])
    for q in range(n_ill):
        fl = b[ill[q]] * (1.0 - gate)
        t = target[ill[q]]
        kept[q] = t if t >= fl else fl  # numpy.maximum(target, floor)
        floor[q] = fl
    if in_order(kept, n_ill) > total:  # purchases that do not fit beside what the gate keeps
        for q in range(n_ill):
            extra[q] = kept[q] - floor[q]
        share = numpy_clip((total - row_total(floor)) / row_total(extra), 0.0, 1.0)
        for q in range(n_ill):
            kept[q] = floor[q] + extra[q] * share
    for q in range(n_ill):
        x = kept[q] - target[ill[q]]
        scratch[q] = x if x >= 0.0 else 0.0
    gated = in_order(scratch, n_ill)
    for q in range(n_ill):
        target[ill[q]] = kept[q]
    for q in range(_FREE_COLUMNS.shape[0]):
        scratch[q] = target[_FREE_COLUMNS[q]]
    free_total = in_order(scratch, _FREE_COLUMNS.shape[0])
    room = total - in_order(kept, n_ill)
    room = room if room >= 0.0 else 0.0
    scale = room / free_total if free_total > 0 else 1.0
    for q in range(_FREE_COLUMNS.shape[0]):
        target[_FREE_COLUMNS[q]] *= scale
    for j in range(h):
        b[j] = target[j]
    return gated


def reallocate_chooser(balance, allocation, visible, interest, u_alt, core_weight, composition, u_panic, gate,
                       risk_tol, sensitivity, clipped_return, chasing, cap, crash, panic_prob, a, target, kept, floor,
                       extra, scratch):  # pragma: no cover - compiled
    """One chooser's reallocation (ODD §7.3), in place on its account row `balance` and its
    `allocation` row; returns the gated (unsold) USD. In order: the choice
    (`savers.choose_allocation`), the account cap if there is one
    (`savers.cap_alternative_allocation`, then `cap_alt_weights` over every channel), a panic
    sale in a crash (u_panic below `panic_sale_prob` x (1 - risk tolerance): everything to
    the core cash option, `savers.panic_sell_allocation`), then the trade to the new
    allocation with gated sales (`savers.trade_to_allocation_inplace`; `gate` 0 where a
    menu change already used this month's gate on the account). `a`, `target`, `kept`,
    `floor`, `extra` and `scratch` are scratch buffers (N_OPTIONS, N_HOLDINGS, three of the
    illiquid columns' length, N_HOLDINGS). The compiled pass `reallocate` runs it for every
    chooser; the per-saver engine (`model.saver_agents`) calls it as it is."""
    _choose_row(a, visible, interest, u_alt, core_weight, clipped_return, risk_tol, sensitivity, chasing)
    if cap < 1.0:
        for q in range(ALT_CLASS_INDEX.shape[0]):
            scratch[q] = composition[ALT_CLASS_INDEX[q]]
        _cap_row(a, balance, in_order(scratch, ALT_CLASS_INDEX.shape[0]), cap, scratch)
    if crash and u_panic < panic_prob * (1.0 - risk_tol):
        for j in range(_M):
            a[j] = 0.0
        a[PANIC_OPTION] = 1.0
    for j in range(_M):
        allocation[j] = a[j]
    return _trade_row(balance, a, composition, gate, target, kept, floor, extra, scratch)


def _reallocate_rows(rows, visible, interest, u_alt, core_weight, u_panic, composition, gate_used, balance, allocation,
                     trades, risk_tolerance, sensitivity, clipped_return, chasing, cap, crash, panic_prob, gate,
                     gated):  # pragma: no cover - compiled
    """Every chooser, in tasks of `_ROWS_PER_TASK` on numba's threads (each row on its own)."""
    k, m, h = rows.shape[0], _M, _H
    for task in prange((k + _ROWS_PER_TASK - 1) // _ROWS_PER_TASK):
        a = np.empty(m)
        target = np.empty(h)
        kept = np.empty(sv.ILLIQUID_COLUMNS.shape[0])
        floor = np.empty_like(kept)
        extra = np.empty_like(kept)
        scratch = np.empty(h)
        for r in range(task * _ROWS_PER_TASK, min(k, (task + 1) * _ROWS_PER_TASK)):
            i = rows[r]
            gated[r] = reallocate_chooser(balance[i], allocation[i], visible[r], interest[r], u_alt[r], core_weight[r],
                                          composition[r], u_panic[i], 0.0 if gate_used[r] else gate, risk_tolerance[i],
                                          sensitivity[i], clipped_return, chasing, cap, crash, panic_prob, a, target,
                                          kept, floor, extra, scratch)
            trades[i] += 1


# Inlined into the pass in numba's own representation: the rows' arrays are then not
# handed to a function three times a chooser (~12% off the pass, tried and measured;
# the same for the balance pass's helpers made it slower).
_choose_row = row_helper(_choose_row)
_cap_row = row_helper(_cap_row)
_trade_row = row_helper(_trade_row)
reallocate_chooser = row_helper(reallocate_chooser)
_reallocate_kernel = njit(cache=True, nogil=True, parallel=True)(_reallocate_rows)
def reallocate(pop: sv.SaverPopulation, rows: npt.NDArray[np.intp], visible: B, interest: F64,
               u_alt: npt.NDArray[np.float32], u_panic: npt.NDArray[np.float32], composition: F64,
               gate_used: B, t: ChoiceTerms, core_weight: F64 | None = None) -> F64:
    """`reallocation_numpy` in one pass over the choosers' rows, in place (arguments as
    there); returns each chooser's gated USD. Compiled on numba's threads (interpreted
    under ``NUMBA_DISABLE_JIT=1``): the same operations, so the same bytes."""
    gated = np.zeros(rows.size)
    if rows.size == 0:
        return gated
    if pop.balance_usd.shape[1] != _H or visible.shape[1] != _M or composition.shape[1] != _N_DF:
        raise ValueError(f"the reallocation is compiled for {_H} holdings, {_M} options, {_N_DF} fund classes")
    if core_weight is None:
        core_weight = np.ones((rows.size, _N_CORE))
    _reallocate_kernel(
        np.asarray(rows, dtype=np.intp), np.ascontiguousarray(visible), np.ascontiguousarray(interest),
        np.ascontiguousarray(u_alt), np.ascontiguousarray(core_weight, dtype=np.float64), u_panic,
        np.ascontiguousarray(composition), np.ascontiguousarray(gate_used),
        pop.balance_usd, pop.allocation, pop.trades, pop.risk_tolerance, pop.return_sensitivity,
        np.clip(t.option_return, -0.5, 1.0), float(t.return_chasing), float(t.account_cap), bool(t.crash),
        float(t.panic_sale_prob), float(t.gate_monthly), gated,
    )
    return gated
