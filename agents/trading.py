"""Trading an account to an allocation, with sales of gated vehicles held back by their gate.

ODD §7.3 (trading) and §7.7 (menu changes). The rule is one function of one account,
written once: the choosers' reallocation (`agents.reallocation`), menu changes and managed
accounts (`trade_accounts`, called from `model.saver_phases`) and the per-saver Mesa engine
(`model.saver_agents`) all call it.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from ..base.assets import N_HOLDINGS
from ..base.compiled import in_order, njit, numpy_clip, row_helper, row_total, row_total_n
from .savers import ILLIQUID_COLUMNS, N_DF

F64 = npt.NDArray[np.float64]
_H, _N_DF = N_HOLDINGS, N_DF
_FREE_COLUMNS = np.setdiff1d(np.arange(N_HOLDINGS), ILLIQUID_COLUMNS)
_N_ILL = ILLIQUID_COLUMNS.shape[0]


def trade_to_allocation(b, a, comp, gate, target, kept, floor, extra, scratch):  # pragma: no cover - compiled
    """Move one account `b` (N_HOLDINGS,) to the allocation `a` (N_OPTIONS,), in place;
    return the gated (unsold) illiquid USD.

    ODD §7.3, trading. Liquid holdings and default-fund units trade at NAV; default-fund
    money keeps the fund's current mix (`comp`, the fund's composition, where the account
    holds none). Standalone or window positions in gated vehicles can be reduced by at most
    `gate` of their value this month, and what cannot be sold stays; illiquid purchases are
    cut back where, beside what the gate keeps, they would exceed the account (the floors
    stay, the rest gets the fraction that fits); the other holdings are scaled to pay for
    what the gate kept. The account total is unchanged. `target`, `kept`, `floor`, `extra`
    and `scratch` are scratch buffers (N_HOLDINGS, three of the illiquid columns' length,
    N_HOLDINGS). Sums are taken in numpy's orders (`compiled.row_total`, `in_order`)."""
    h, n_df = _H, _N_DF
    ill = ILLIQUID_COLUMNS
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


trade_to_allocation = row_helper(trade_to_allocation)


def _trade_rows(balance, allocation, composition, gate, gated):  # pragma: no cover - compiled
    target, scratch = np.empty(_H), np.empty(_H)
    kept, floor, extra = np.empty(_N_ILL), np.empty(_N_ILL), np.empty(_N_ILL)
    for i in range(balance.shape[0]):
        gated[i] = trade_to_allocation(balance[i], allocation[i], composition[i], gate[i], target, kept, floor, extra,
                                       scratch)


# One thread: menu changes and managed-account resets touch a few thousand rows a month.
_trade_kernel = njit(cache=True, nogil=True)(_trade_rows)


def trade_accounts(balance: F64, allocation: F64, composition: F64, gate: F64 | float) -> F64:
    """`trade_to_allocation` for every row of `balance` (n, N_HOLDINGS), in place: to the
    allocations (n, N_OPTIONS), default-fund mixes `composition` (n, N_DF) and this month's
    gate (one for all, or one a row: 0 where a row's gate was used earlier this month);
    returns each row's gated USD."""
    n = balance.shape[0]
    gated = np.zeros(n)
    if n == 0:
        return gated
    if balance.shape[1] != _H or composition.shape[1] != _N_DF:
        raise ValueError(f"the trade is compiled for {_H} holdings and {_N_DF} fund classes")
    gates = np.broadcast_to(np.asarray(gate, dtype=np.float64), (n,))
    rows = np.ascontiguousarray(balance)
    _trade_kernel(rows, np.ascontiguousarray(allocation, dtype=np.float64),
                  np.ascontiguousarray(composition, dtype=np.float64), np.ascontiguousarray(gates), gated)
    if rows is not balance:
        balance[:] = rows
    return gated
