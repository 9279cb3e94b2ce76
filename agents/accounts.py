"""A saver's account over a month: contributions invested, returns at NAV, fees and carry,
and the default fund rebalanced toward its mix with gated sleeve sales.

ODD §7.5. The rule is one function of one account, written once: compiled and inlined into
the balance pass over every saver (`agents.kernels.balance_month`), and called as it is by
the per-saver Mesa engine (`model.saver_agents`). Investing an amount in an account
(`invest_in_account`) is its first step, and also how new accounts, loan repayments and
the initial balances are invested (`agents.rule_kernels.invest_into_accounts`).
"""

from __future__ import annotations

from ..base.assets import N_HOLDINGS
from ..base.compiled import row_helper
from .savers import DF_ILLIQUID, DF_ILLIQUID_MASK, N_DF

_H: int = N_HOLDINGS
_N_DF: int = N_DF
_DF_ILL = DF_ILLIQUID
_N_ILL: int = _DF_ILL.shape[0]
_IS_ILL = DF_ILLIQUID_MASK
"""The holdings' layout as constants numba compiles in: with the loops unrolled, the
illiquid tests are resolved at compile time (the same bits)."""


@row_helper
def invest_in_account(bal, allocation, comp, amount):  # pragma: no cover - compiled
    """Invest `amount` (USD) in one account, in place on its row `bal` (N_HOLDINGS,), as
    contributions are invested (ODD §7.5): by the saver's `allocation` (N_OPTIONS,), the
    default-fund part spread by the fund's mix `comp` (N_DF,). Nothing to invest leaves the
    row as it is."""
    if amount != 0.0:
        h, n_df = _H, _N_DF
        a0 = amount * allocation[0]
        for k in range(n_df):
            bal[k] += a0 * comp[k]
        for j in range(n_df, h):
            bal[j] += amount * allocation[j - n_df + 1]


@row_helper
def month_of_account(bal, allocation, comp, amount, holding_return, fee_monthly, is_pe, carry_rate_monthly,
                     gate_monthly, n_visit, w, run_gain, run_fee, new_ill, floor_ill):  # pragma: no cover - compiled
    """One account's month, in place on its row `bal` (N_HOLDINGS,); returns (dollars
    before returns, gain, carry, sleeve dollars kept by the gate above target (stuck),
    sleeve dollars sold).

    ODD §7.5, in this order. (1) Contributions: `amount` (USD) invested by the saver's
    `allocation` (N_OPTIONS,), its default-fund part spread by the fund's mix `comp`
    (N_DF,) (`invest_in_account`). (2) Returns at NAV: each holding earns its class's *reported* return
    (`holding_return`, (N_HOLDINGS,); smoothed for private assets, so balances follow NAVs).
    (3) A month of expense ratios (`fee_monthly`, the plan's annual ratios / 12) and, on
    private-equity holdings (`is_pe`), carry at `carry_rate_monthly` (the month's return over
    the hurdle times the carry rate; 0 when below it). (4) The default fund rebalances to its
    mix: a sleeve above target sells at most `gate_monthly` of itself (the denominator
    effect), sleeve purchases that would not fit beside what the gate keeps are cut back
    (the floors stay, the rest gets the fraction that fits), and the liquid classes share
    what is left in the mix's proportions (all in cash for a fund that is all sleeve).

    Only the first `n_visit` holdings are visited (the default fund's for a defaulted saver,
    who holds nothing else: an invariant checked in tests/model/test_model.py), and empty
    ones are skipped, which adds exact zeros (balances are never -0.0): the same bits as
    visiting them. The weighted gain and fee of each holding (weight `w`) are added to the
    caller's `run_gain` and `run_fee` (N_HOLDINGS,); `new_ill` and `floor_ill` are scratch
    (N_DF,)."""
    n_df, n_ill = _N_DF, _N_ILL
    invest_in_account(bal, allocation, comp, amount)
    # Returns, fees and carry holding by holding, empty holdings skipped (see above).
    before = 0.0
    gain = 0.0
    carry = 0.0
    total = 0.0  # the default fund's dollars after returns and fees, for rebalancing
    for j in range(n_visit):
        b = bal[j]
        if b == 0.0:
            continue
        before += b
        g = b * holding_return[j]
        gain += g
        run_gain[j] += w * g
        b *= 1.0 + holding_return[j]
        fee = b * fee_monthly[j]
        b -= fee
        run_fee[j] += w * fee
        if is_pe[j] and carry_rate_monthly > 0:
            c = b * carry_rate_monthly
            b -= c
            carry += c
        bal[j] = b
        if j < n_df:  # added in column order as the fund's columns are visited
            total += b
    # Default-fund rebalancing with gated sleeve sales.
    # An account without default-fund money is left as it is: rebalancing it would write
    # back the zeros it holds and add zeros to the totals (the same bits). `total` sums
    # the fund's columns in order, skipping empty ones (x + 0.0 == x).
    if total == 0.0:
        return before, gain, carry, 0.0, 0.0
    # Without sleeve money and without a sleeve target (most defaulted savers: plans
    # without an alternatives sleeve), nothing is gated and the gate's steps (the else
    # branch) reduce to the first branch's (the same operations on the same values, so
    # the same bits; nothing stuck or sold).
    sleeveless = True
    for q in range(n_ill):
        if comp[_DF_ILL[q]] != 0.0 or bal[_DF_ILL[q]] != 0.0:
            sleeveless = False
    stuck = 0.0
    sold = 0.0
    if sleeveless:
        room = total  # max(total - 0.0, 0.0): no sleeve dollars kept
        liq_target = 0.0
        for k in range(n_df):
            if _IS_ILL[k]:
                bal[k] = total * comp[k]  # the target, a zero
            else:
                liq_target += total * comp[k]
    else:
        new_ill_total = 0.0
        floor_total = 0.0
        liq_target = 0.0
        for k in range(n_df):
            tgt = total * comp[k]
            if _IS_ILL[k]:
                cur = bal[k]
                floor = cur * (1.0 - gate_monthly)
                new = tgt
                if tgt < cur:
                    new = max(tgt, floor)
                new_ill[k] = new
                floor_ill[k] = floor
                new_ill_total += new
                floor_total += floor
            else:
                liq_target += tgt
        # Purchases that would not fit beside what the gate keeps are cut back.
        share = 1.0
        if new_ill_total > total:
            share = min(1.0, max(0.0, (total - floor_total) / (new_ill_total - floor_total)))
            new_ill_total = 0.0
        for k in range(n_df):
            if _IS_ILL[k]:
                new = new_ill[k]
                if share < 1.0:
                    new = floor_ill[k] + (new - floor_ill[k]) * share
                    new_ill_total += new
                cur = bal[k]
                if new < cur:
                    sold += cur - new
                tgt = total * comp[k]
                if new > tgt:
                    stuck += new - tgt
                bal[k] = new
        room = max(total - new_ill_total, 0.0)
    scale = room / liq_target if liq_target > 0 else 0.0
    for k in range(n_df):
        if not _IS_ILL[k]:
            bal[k] = total * comp[k] * scale
    if liq_target <= 0:
        bal[2] += room
    return before, gain, carry, stuck, sold
