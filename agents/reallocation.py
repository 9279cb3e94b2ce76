"""The choosers' reallocation: choice, the account cap, panic sales, trading with gated sales.

ODD §7.3. The rule is one function of one chooser, `reallocate_chooser` (with its steps
`choose_allocation`, `_cap_row` and `trading.trade_to_allocation`), written once: the compiled pass
`reallocate` runs it for every chooser, reading and writing each chooser's row of the
saver table in place (a few percent of savers choose each month, and each scattered row
costs a cache miss per array; benchmarks/RESULTS.md), and the per-saver Mesa engine
(`model.saver_agents`) calls it as it is. Sums follow numpy's order (pairwise over a whole
row, `compiled.row_total`; in column order over a gather of columns). Under ``NUMBA_DISABLE_JIT=1`` the
same function runs interpreted, so a run gives the same bytes with or without the JIT, on
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
    row_total_n,
)
from . import savers as sv
from .trading import trade_to_allocation

F64 = npt.NDArray[np.float64]
B = npt.NDArray[np.bool_]

RISK_SIGN: F64 = np.zeros(sv.N_OPTIONS)
"""Sign of the risk-tolerance tilt of each option (`choose_allocation`)."""
RISK_SIGN[[0, 1, sv.WINDOW_EQUITY_OPTION]] = (0.5, 1.0, 1.0)
RISK_SIGN[[2, 3]] = -1.0
PANIC_OPTION = 3
"""The core cash option a panic sale moves everything to (ODD §7.3: `panic_sale_prob`)."""
_ALT_OPTIONS = np.flatnonzero(sv.OPTION_IS_ALT)
_FREE_COLUMNS = np.setdiff1d(np.arange(N_HOLDINGS), sv.ILLIQUID_COLUMNS)
ALT_HOLDINGS = sv.ALT_HOLDINGS
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


def choose_allocation(a, visible, interest, u_alt, core_weight, clipped_return, risk_tol, sensitivity,
                      chasing):  # pragma: no cover - compiled
    """A reviewing chooser's new allocation, into `a` (N_OPTIONS,); the weights sum to 1.

    ODD §7.3, choice (ODD+D: decision). Savers spread money over what the menu shows (1/n,
    Benartzi & Thaler 2001), tilted toward options with high trailing returns (flows chase
    returns: `chasing` = `return_chasing` x the saver's `sensitivity`, times each option's
    trailing-year return clipped to [-0.5, 1], `clipped_return`) and by risk tolerance
    (2 (risk_tol - 0.5) x `RISK_SIGN`): score = exp(clip(tilt, -5, 5)). An alternative
    option enters only if the saver is interested in it (its draw `u_alt` below its
    `interest`), and then at half the weight of a public option. A core option's score is
    multiplied by its plan's `savers.core_menu_weights` (`core_weight`, (3,)), so adding a
    fund of a class to the menu raises the class's share (Benartzi & Thaler 2001). Options
    off the menu (`visible`) score 0; with nothing to choose, everything goes to the
    default fund."""
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


def alternative_share(b, scratch):  # pragma: no cover - compiled
    """Share of the account `b` (N_HOLDINGS,) in alternative asset classes, all channels
    (0 for an empty account); `scratch` holds at least the alternative holdings' count."""
    total = row_total_n(b, _H)
    for q in range(ALT_HOLDINGS.shape[0]):
        scratch[q] = b[ALT_HOLDINGS[q]]
    alt_held = in_order(scratch, ALT_HOLDINGS.shape[0])
    return alt_held / total if total > 0 else 0.0


def redirect_at_cap(a, b, cap, scratch):  # pragma: no cover - compiled
    """An account already at the account cap directs nothing more to alternatives (ODD
    §7.3, policy lever `cap.account`): where `alternative_share` of the account `b` is at or
    above `cap`, the alternative options' weight in the allocation `a` (N_OPTIONS,) moves to
    the default fund, in place. Applies to contributions (`capped_contribution_allocations`),
    to the choosers' new allocations and to the per-saver engine alike."""
    if alternative_share(b, scratch) >= cap:
        n_alt = _ALT_OPTIONS.shape[0]
        for q in range(n_alt):
            scratch[q] = a[_ALT_OPTIONS[q]]
        moved = in_order(scratch, n_alt)
        for q in range(n_alt):
            a[_ALT_OPTIONS[q]] = 0.0
        a[0] += moved


def _cap_row(a, b, sleeve_share, cap, scratch):  # pragma: no cover - compiled
    """The account cap on one allocation `a`, the account `b` as it is before trading (ODD
    §7.3; policy lever `cap.account`, a regulatory variant, not calibrated).

    First, an account already at the cap directs nothing more to alternatives
    (`redirect_at_cap`). Then the cap covers every channel: the alternative options' weight
    A plus the default fund's weight D times its sleeve share S. Scaling A by f (the rest
    going to the default fund) gives fA + S(D + (1 - f)A) <= cap, i.e.
    f = (cap - S(D + A)) / (A(1 - S)), clipped to [0, 1]. Gated positions that cannot be
    sold yet may keep an account above the cap until the gate lets them out."""
    n_alt = _ALT_OPTIONS.shape[0]
    redirect_at_cap(a, b, cap, scratch)
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


def reallocate_chooser(balance, allocation, visible, interest, u_alt, core_weight, composition, u_panic, gate,
                       risk_tol, sensitivity, clipped_return, chasing, cap, crash, panic_prob, a, target, kept, floor,
                       extra, scratch):  # pragma: no cover - compiled
    """One chooser's reallocation (ODD §7.3), in place on its account row `balance` and its
    `allocation` row; returns the gated (unsold) USD. In order: the choice
    (`choose_allocation`), the account cap if there is one
    (`_cap_row`), a panic sale in a crash (u_panic below `panic_sale_prob` x (1 - risk
    tolerance): everything to the core cash option, `PANIC_OPTION`), then the trade to the new
    allocation with gated sales (`trading.trade_to_allocation`; `gate` 0 where a
    menu change already used this month's gate on the account). `a`, `target`, `kept`,
    `floor`, `extra` and `scratch` are scratch buffers (N_OPTIONS, N_HOLDINGS, three of the
    illiquid columns' length, N_HOLDINGS). The compiled pass `reallocate` runs it for every
    chooser; the per-saver engine (`model.saver_agents`) calls it as it is."""
    choose_allocation(a, visible, interest, u_alt, core_weight, clipped_return, risk_tol, sensitivity, chasing)
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
    return trade_to_allocation(balance, a, composition, gate, target, kept, floor, extra, scratch)


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
choose_allocation = row_helper(choose_allocation)
alternative_share = row_helper(alternative_share)
redirect_at_cap = row_helper(redirect_at_cap)
_cap_row = row_helper(_cap_row)
reallocate_chooser = row_helper(reallocate_chooser)
_reallocate_kernel = njit(cache=True, nogil=True, parallel=True)(_reallocate_rows)
def reallocate(pop: sv.SaverPopulation, rows: npt.NDArray[np.intp], visible: B, interest: F64,
               u_alt: npt.NDArray[np.float32], u_panic: npt.NDArray[np.float32], composition: F64,
               gate_used: B, t: ChoiceTerms, core_weight: F64 | None = None) -> F64:
    """The choosers' reallocation (`reallocate_chooser`, ODD §7.3) in one pass over their
    rows, in place; returns each chooser's gated (unsold) USD. `rows` are the choosers
    (ascending); `visible`, `interest`, `u_alt` (N_OPTIONS columns), `composition` (their
    default-fund mixes), `gate_used` (already sold through the gate this month by a menu
    change: no second gated sale) and `core_weight` (their plans' `savers.core_menu_weights`,
    (k, 3); None: one fund of each class) one row each; `u_panic` is indexed by saver.
    Compiled on numba's threads (interpreted under ``NUMBA_DISABLE_JIT=1``): each row on its
    own, so the same bytes whatever the threads."""
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


def _choice_rows(visible, interest, u_alt, core_weight, clipped_return, risk, sensitivity, chasing,
                 out):  # pragma: no cover - compiled
    for r in prange(out.shape[0]):
        choose_allocation(out[r], visible[r], interest[r], u_alt[r], core_weight[r], clipped_return, risk[r],
                          sensitivity[r], chasing)


_choice_kernel = njit(cache=True, nogil=True, parallel=True)(_choice_rows)


def choose_allocations(visible: B, option_return: F64, risk_tolerance: F64, return_sensitivity: F64, interest: F64,
                       u_alt: F64, chasing: float, core_weight: F64 | None = None) -> F64:
    """`choose_allocation` for n savers, shape (n, N_OPTIONS): `visible`, `interest` and
    `u_alt` (n, N_OPTIONS), the options' trailing-year returns (N_OPTIONS,, clipped here),
    `risk_tolerance` and `return_sensitivity` (n,), `core_weight` (n, 3; None: one fund of
    each class). The choice alone, without the cap, panic sales or trades."""
    n = visible.shape[0]
    core_weight = np.ones((n, _N_CORE)) if core_weight is None else core_weight
    out = np.empty((n, _M))
    _choice_kernel(np.ascontiguousarray(visible, dtype=np.bool_), np.ascontiguousarray(interest, dtype=np.float64),
                   np.ascontiguousarray(u_alt, dtype=np.float64), np.ascontiguousarray(core_weight, dtype=np.float64),
                   np.clip(np.asarray(option_return, dtype=np.float64), -0.5, 1.0),
                   np.ascontiguousarray(risk_tolerance, dtype=np.float64),
                   np.ascontiguousarray(return_sensitivity, dtype=np.float64), float(chasing), out)
    return out


def _capped_rows(allocation, balance, cap, out):  # pragma: no cover - compiled
    scratch = np.empty(max(ALT_HOLDINGS.shape[0], _ALT_OPTIONS.shape[0]))
    for i in range(allocation.shape[0]):
        out[i] = allocation[i]
        redirect_at_cap(out[i], balance[i], cap, scratch)


def _share_rows(balance, out):  # pragma: no cover - compiled
    scratch = np.empty(ALT_HOLDINGS.shape[0])
    for i in range(balance.shape[0]):
        out[i] = alternative_share(balance[i], scratch)


_capped_kernel = njit(cache=True, nogil=True)(_capped_rows)
_share_kernel = njit(cache=True, nogil=True)(_share_rows)


def capped_contribution_allocations(allocation: F64, balance: F64, cap: float) -> F64:
    """The allocations contributions follow under an account cap `cap` (< 1): each saver's
    `allocation` (n, N_OPTIONS) after `redirect_at_cap` of its account `balance`
    (n, N_HOLDINGS); a new array (ODD §7.3, policy lever `cap.account`)."""
    out = np.empty_like(allocation, dtype=np.float64)
    _capped_kernel(np.ascontiguousarray(allocation, dtype=np.float64), np.ascontiguousarray(balance), float(cap), out)
    return out


def alternative_shares(balance: F64) -> F64:
    """`alternative_share` of each account of `balance` (n, N_HOLDINGS)."""
    out = np.empty(balance.shape[0])
    _share_kernel(np.ascontiguousarray(balance), out)
    return out
