"""Pooled default funds: target-date vintages, income funds and fixed-mix defaults held as
units of one fund per (series, vintage), with the fund's own private-markets sleeve and gate.

ODD §7.5 (default fund, pooled funds). Real default funds are pooled: a target-date series
sells one fund per five-year vintage, held by every plan that uses the series (a mutual
fund or a collective investment trust); the largest plans run custom series of their own
(DCIIA *Custom Target Date Fund Survey*, year-end 2017: custom series held about 20% of
the $2.1T in target-date strategies, as reported by Pensions & Investments, 20 March 2019;
Callan 2015: two thirds of plans with custom series had over $1bn). A saver's default-fund
money is a claim on its fund: a redemption is paid at NAV out of the fund's liquid assets,
contributions arrive as cash, and only the fund rebalances its sleeve, through its gate.
So net outflows leave the stayers holding more of the sleeve; a plan that drops a fund is
paid in cash; a fund whose holders all leave must sell its sleeve outside the gate.

The savers' default-fund columns hold each saver's share of its fund (its dollars times
the fund's mix): the fund ledger here keeps each fund's holdings by asset class from month
to month, and `settle_month` re-spreads them over the holders once the month's flows are
known (`respread_inplace`). Closing vintages merge in kind into their series' income fund
(`close_vintages`): nothing is sold when a vintage closes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

from ..base.assets import ASSET_CLASSES
from ..base.compiled import njit
from ..base.strata import VINTAGES, glide_path
from . import savers as sv
from .fund_mix import carve_sleeve

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]

FIRST_VINTAGE: Final[int] = 1950
"""Earliest vintage (target year) with a slot of its own; earlier ones share it."""
VINTAGE_STEP: Final[int] = 5
"""Series sell one fund per five-year vintage (the year its holders turn 65, rounded)."""
N_VINTAGES: Final[int] = 31
"""Vintages 1950, 1955, ..., 2100."""
INCOME_SLOT: Final[int] = N_VINTAGES
"""Slot of a series' retirement-income fund, which takes closed vintages over."""
SLOTS: Final[int] = N_VINTAGES + 1
"""Funds a series can hold: one per vintage and its income fund."""
TARGET_AGE: Final[float] = 65.0
"""Age at a vintage's target date (target-date funds are named for the year their holders
turn 65, Morningstar's and the providers' convention)."""
TAPER_YEARS: Final[tuple[float, float]] = (40.0, 0.0)
"""Years before the target date over which a tapering sleeve goes from (1 + taper) times
the product's sleeve to (1 - taper) times it, linearly; flat outside (ODD §7.5)."""
CASH: Final[int] = ASSET_CLASSES.index("cash")


def vintage_year(birth_year: F64) -> F64:
    """Target year of the vintage a saver born in `birth_year` (fractional) is defaulted
    into: the year it turns 65, rounded to the nearest five (as series are sold)."""
    return VINTAGE_STEP * np.rint((np.asarray(birth_year, dtype=np.float64) + TARGET_AGE) / VINTAGE_STEP)


def slot_of(vintage: F64, year: int, close_after: int | None) -> npt.NDArray[np.intp]:
    """Fund slot of each `vintage` in calendar `year`: its own, or the income fund's from
    January of `vintage + close_after` (never with `close_after` None)."""
    own = np.clip((vintage - FIRST_VINTAGE) // VINTAGE_STEP, 0, N_VINTAGES - 1).astype(np.intp)
    if close_after is None:
        return own
    return np.where(vintage + close_after <= year, INCOME_SLOT, own)


def sleeve_multiplier(years_to_target: F64, taper: float) -> F64:
    """How much of its product's sleeve a vintage holds (ODD §7.5): (1 + taper) times it
    40 or more years before the target date, (1 - taper) times it at and after the target,
    linear between (assumption after the designs that put private equity mostly in young and
    midlife savers' funds, AllianceBernstein 2025; lever `manager.sleeve_taper`)."""
    far, near = TAPER_YEARS
    x = np.clip((np.asarray(years_to_target, dtype=np.float64) - near) / (far - near), 0.0, 1.0)
    return 1.0 - taper + 2.0 * taper * x


def public_mix(slot: npt.NDArray[np.intp], year_frac: float, fixed: F64, close_after: int | None) -> F64:
    """Public weights (equity, bonds, cash) of funds in `slot`: the glide path read at the
    vintage's position (its holders' age if they were all born in the vintage's year), the
    income fund's at the vintage's closing age, or the plan kind's fixed mix (`fixed` rows
    not NaN: money-market or balanced defaults)."""
    vint = FIRST_VINTAGE + VINTAGE_STEP * np.minimum(slot, N_VINTAGES - 1).astype(np.float64)
    age = TARGET_AGE - (vint - year_frac)
    income_age = TARGET_AGE + (close_after if close_after is not None else 0)
    age = np.where(slot == INCOME_SLOT, np.maximum(age, income_age), age)
    out = glide_path(age)
    has_fixed = ~np.isnan(fixed[:, 0])
    out[has_fixed] = fixed[has_fixed]
    return out


def target_mix(public: F64, sleeve: F64, multiplier: F64, illiquid_limit: F64) -> F64:
    """Each fund's target mix: its public weights with its product's sleeve (scaled by the
    glide path's `multiplier`) carved out as `fund_mix.default_fund_composition` does, the
    illiquid part held to `illiquid_limit` of the fund (1.0: no limit; a mutual fund's
    15%, SEC Rule 22e-4)."""
    scaled = sleeve * multiplier[:, None]
    ill = scaled[:, sv.DF_ILLIQUID].sum(axis=1)
    cut = np.divide(illiquid_limit, ill, out=np.ones_like(ill), where=ill > illiquid_limit)
    scaled[:, sv.DF_ILLIQUID] *= np.minimum(cut, 1.0)[:, None]
    return carve_sleeve(public, scaled)


@dataclass
class FundMonth:
    """What the funds did this month, in USD of the savers' weights (national)."""

    sleeve_over_target_usd: F64
    """By fund: sleeve dollars above target after rebalancing (held back by the gate)."""
    sleeve_sold_usd: float
    """Sleeve sold by the funds through their gates this month."""
    forced_sales_usd: float
    """Sleeve sold outside the gate because redemptions exceeded a fund's liquid assets."""
    sleeve_value_usd: F64
    """By fund: its sleeve's value after rebalancing."""
    sleeve_kept_usd: F64
    """By fund and illiquid class: the sleeve before the month's trades (after forced sales)."""
    sleeve_after_usd: F64
    """By fund and illiquid class: the sleeve after the month's trades."""


@dataclass
class FundLedger:
    """Each fund's holdings by asset class (USD, national), `SLOTS` funds per series.

    Row `series * SLOTS + slot`. The ledger grows when a new series appears (a product
    launched, `grow`)."""

    holdings: F64
    """Shape (n_funds, N_DF): the fund's dollars by asset class at the end of last month."""

    @classmethod
    def empty(cls, n_series: int) -> FundLedger:
        return cls(np.zeros((n_series * SLOTS, sv.N_DF)))

    @property
    def n_funds(self) -> int:
        return self.holdings.shape[0]

    def grow(self, n_series: int) -> None:
        """Room for `n_series` series (new rows empty)."""
        need = n_series * SLOTS
        if need > self.n_funds:
            extra = np.zeros((need - self.n_funds, sv.N_DF))
            self.holdings = np.vstack([self.holdings, extra])

    def closing_map(self, year: int, close_after: int | None) -> npt.NDArray[np.intp]:
        """Where each fund's holdings go in `year`: to itself, or, for a vintage whose
        holders now belong to their series' income fund (`slot_of`), to that income fund,
        in kind (ODD §7.5: a series folds a vintage into its retirement-income fund;
        Vanguard does so seven years after the target date). Nothing is sold."""
        index = np.arange(self.n_funds, dtype=np.intp)
        if close_after is None:
            return index
        slot = index % SLOTS
        vint = FIRST_VINTAGE + VINTAGE_STEP * np.minimum(slot, N_VINTAGES - 1)
        closed = (slot != INCOME_SLOT) & (vint + close_after <= year)
        return np.where(closed, index - slot + INCOME_SLOT, index)


def merge(values: F64, mapping: npt.NDArray[np.intp]) -> F64:
    """Rows of `values` added into the rows `mapping` sends them to (`closing_map`)."""
    out = np.zeros_like(values)
    np.add.at(out, mapping, values)
    return out


def grown(holdings: F64, growth: F64) -> F64:
    """Each fund's holdings after this month's returns, fees and carry, before any flow:
    `growth` (n_funds, N_DF) is each class's factor net of the fund's fee and carry."""
    return holdings * growth


def settle(pre: F64, value: F64, target: F64, gate_monthly: float,
           pool_of: npt.NDArray[np.intp] | None = None) -> tuple[F64, FundMonth]:
    """One month of each fund's bookkeeping once its holders' flows are known.

    `pre` (n_funds, N_DF): holdings after returns, before flows; `value` (n_funds,): what
    the holders' claims add up to now (returns and every flow of the month included);
    `target` the fund's target mix; `pool_of` (n_funds,) the private-markets pool each fund
    holds its sleeve through (its series': ODD §7.5), None for a pool of its own.

    The sleeve stays as it was (redemptions are paid out of liquid assets, contributions
    arrive as cash), except where the claims fall below it: then the excess is sold outside
    the gate (`forced_sales_usd`). Each fund then trades its sleeve toward target through
    its pool (`pool_trades`): sales are met first by the other funds' purchases at NAV, and
    only the pool's net sales pass through the gate. Liquid assets take the rest at the
    target's liquid mix. Returns the new holdings (rows sum to `value`) and the month."""
    ill = pre[:, sv.DF_ILLIQUID]
    ill_total = ill.sum(axis=1)
    scale = np.divide(value, ill_total, out=np.ones_like(value), where=ill_total > value)
    kept = ill * np.minimum(scale, 1.0)[:, None]
    forced = float((ill - kept).sum())
    want = np.maximum(target[:, sv.DF_ILLIQUID] * value[:, None], 0.0)
    pool = np.arange(pre.shape[0]) if pool_of is None else pool_of
    new_ill = fit_purchases(pool_trades(kept, want, pool, gate_monthly), kept, value)
    fund = target * value[:, None]
    liquid = ~sv.DF_ILLIQUID_MASK
    liq_target = fund[:, liquid].sum(axis=1)
    room = np.maximum(value - new_ill.sum(axis=1), 0.0)
    fund[:, liquid] *= np.divide(room, liq_target, out=np.zeros_like(room), where=liq_target > 0)[:, None]
    fund[:, CASH] += np.where(liq_target > 0, 0.0, room)  # a fund all sleeve: the rest in cash
    fund[:, sv.DF_ILLIQUID] = new_ill
    stuck = np.maximum(new_ill - want, 0.0).sum(axis=1)
    month = FundMonth(sleeve_over_target_usd=stuck,
                      sleeve_sold_usd=float(np.maximum(kept - new_ill, 0.0).sum()), forced_sales_usd=forced,
                      sleeve_value_usd=new_ill.sum(axis=1), sleeve_kept_usd=kept, sleeve_after_usd=new_ill)
    return fund, month


def pool_trades(held: F64, want: F64, pool_of: npt.NDArray[np.intp], gate_monthly: float) -> F64:
    """Each fund's sleeve by class after trading toward `want` through its pool.

    Within a pool (a series' private-markets fund, of which each vintage holds units) the
    funds that sell and the funds that buy trade units at NAV; the pool sells assets only
    for its net sales, and the gate lets out at most `gate_monthly` of the pool's holding
    of the class a month. Where net sales exceed that, every seller gets the same share of
    its sale and keeps the rest (held above target); buyers are always filled. A fund
    alone in its pool is the gated rebalancing of a single fund: it sells at most
    `gate_monthly` of its holding."""
    n_pools = int(pool_of.max()) + 1 if pool_of.size else 0
    change = want - held
    sells = np.maximum(-change, 0.0)
    buys = np.maximum(change, 0.0)
    out = np.empty_like(held)
    for k in range(held.shape[1]):
        s = np.bincount(pool_of, weights=sells[:, k], minlength=n_pools)
        b = np.bincount(pool_of, weights=buys[:, k], minlength=n_pools)
        h = np.bincount(pool_of, weights=held[:, k], minlength=n_pools)
        allowed = b + gate_monthly * h
        fill = np.divide(allowed, s, out=np.ones_like(s), where=s > allowed)
        out[:, k] = held[:, k] - sells[:, k] * np.minimum(fill, 1.0)[pool_of] + buys[:, k]
    return out


def fit_purchases(new: F64, held: F64, value: F64) -> F64:
    """Cut each fund's sleeve purchases back where, beside what the gate kept, they would
    exceed the fund's value (a fund that lost most of its holders): the same share of every
    purchase, so no liquid holding goes negative (as `accounts.month_of_account` does for an account)."""
    bought = np.maximum(new - held, 0.0)
    kept = new - bought
    total = new.sum(axis=1)
    over = total > value
    if not over.any():
        return new
    room = np.maximum(value - kept.sum(axis=1), 0.0)
    share = np.divide(room, bought.sum(axis=1), out=np.zeros_like(room), where=bought.sum(axis=1) > 0)
    out = new.copy()
    out[over] = kept[over] + bought[over] * np.minimum(share[over], 1.0)[:, None]
    return out


def fund_vintage_index(n_funds: int) -> npt.NDArray[np.intp]:
    """Index into `base.strata.VINTAGES` of each fund's vintage (income and fixed-mix
    funds: the first, which also holds every earlier vintage)."""
    slot = np.arange(n_funds) % SLOTS
    year = FIRST_VINTAGE + VINTAGE_STEP * slot
    step = (year - int(VINTAGES[0])) // VINTAGE_STEP
    return np.where(slot == INCOME_SLOT, 0, np.clip(step, 0, len(VINTAGES) - 1)).astype(np.intp)


def pool_transfer(held: F64, new: F64, pool_of: npt.NDArray[np.intp], economic_per_reported: F64) -> F64:
    """Each fund's gain (USD, economic values) from trading its private-markets pool's units
    at reported NAV with the other funds of the pool this month (ODD §7.11): a fund buying
    `new - held` of class k gets (ρ_k − 1) per dollar, ρ_k the class's economic value per
    reported dollar, and the pool's other funds pay it pro rata to their holdings (the
    gains add up to zero in each pool). Across vintages, so across cohorts."""
    n_pools = int(pool_of.max()) + 1 if pool_of.size else 0
    out = np.zeros(held.shape[0])
    ones = np.ones(held.shape[0])
    for k in range(held.shape[1]):
        rho = np.full(n_pools, float(economic_per_reported[k]))
        out += stale_nav_gain(new[:, k] - held[:, k], held[:, k], pool_of, ones, rho, n_pools)
    return out


def claims(balance: F64, fund_of: npt.NDArray[np.intp], weight: F64, n_funds: int) -> tuple[F64, F64]:
    """Each saver's default-fund dollars (its claim) and each fund's total of the claims."""
    own = balance[:, : sv.N_DF].sum(axis=1)
    return own, np.bincount(fund_of, weights=weight * own, minlength=n_funds)


def respread_inplace(balance: F64, own: F64, fund_of: npt.NDArray[np.intp], holdings: F64, value: F64) -> None:
    """Write each saver's default-fund columns as its claim times its fund's mix: the
    saver holds units of the fund, whose mix is the ledger's (money conserved: each row's
    default-fund total is unchanged)."""
    mix = np.divide(holdings, value[:, None], out=np.zeros_like(holdings), where=value[:, None] > 0)
    balance[:, : sv.N_DF] = own[:, None] * mix[fund_of]


def stale_nav_gain(net_purchase: F64, own_before: F64, fund_of: npt.NDArray[np.intp], weight: F64,
                   economic_per_reported: F64, n_funds: int) -> F64:
    """Each saver's gain (USD, at economic values) from this month's units bought or sold
    at the fund's reported NAV (ODD §7.11, stale-NAV transfers).

    A saver who buys `net_purchase` dollars of units gets `net_purchase * e` of economic
    value, `e` the fund's economic value per reported dollar (1 with no smoothing); its gain
    is `net_purchase * (e - 1)` (a redeemer's `net_purchase` is negative). The holders
    who stayed pay for it pro rata to their claims before the flows (`own_before`), so the
    gains add up to zero in every fund."""
    e = economic_per_reported[fund_of]
    gain = net_purchase * (e - 1.0)
    fund_gain = np.bincount(fund_of, weights=weight * gain, minlength=n_funds)
    base = np.bincount(fund_of, weights=weight * own_before, minlength=n_funds)
    share = np.divide(own_before, base[fund_of], out=np.zeros_like(own_before), where=base[fund_of] > 0)
    return gain - share * fund_gain[fund_of]


# --------------------------------------------------------------------------------------
# The passes over the savers (compiled with numba; the same code interpreted without)
# --------------------------------------------------------------------------------------


def _fund_rows(sponsor, age, series_of_plan, tdf_plan, year_frac, year, close_after, balance, weight,
               fund_of, own, value):  # pragma: no cover - compiled
    """Each saver's fund (`slot_of` of `vintage_year` for a target-date plan, else slot 0),
    its claim (its default-fund dollars) and each fund's total of the claims, row order."""
    for i in range(sponsor.shape[0]):
        p = sponsor[i]
        slot = 0
        if tdf_plan[p]:
            v = VINTAGE_STEP * np.rint((year_frac - age[i] + TARGET_AGE) / VINTAGE_STEP)
            k = (v - FIRST_VINTAGE) / VINTAGE_STEP  # a whole number: v is on the five-year grid
            slot = 0 if k < 0 else (N_VINTAGES - 1 if k > N_VINTAGES - 1 else int(k))
            if close_after >= 0 and v + close_after <= year:
                slot = INCOME_SLOT
        f = series_of_plan[p] * SLOTS + slot
        fund_of[i] = f
        o = 0.0
        for k in range(N_DF_COLUMNS):
            o += balance[i, k]
        own[i] = o
        value[f] += weight[i] * o


def _respread_rows(balance, own, fund_of, mix):  # pragma: no cover - compiled
    for i in range(balance.shape[0]):
        f = fund_of[i]
        for k in range(mix.shape[1]):
            balance[i, k] = own[i] * mix[f, k]


def _stale_rows(fund_of, start_fund, claim_start, growth, own, e, weight, salary, edges, q_now, q_start,
                by_quintile):  # pragma: no cover - compiled
    """`stale_nav_gain` for every saver and, for a saver that changed fund, the sale of its
    old units too, in two passes; writes each saver's income quintile (`q_now`: the number
    of quintile `edges` at or below its pay, as numpy's searchsorted(side="right")), adds
    the gains by quintile and returns the positive sum."""
    n_funds = e.shape[0]
    fund_gain = np.zeros(n_funds)
    base = np.zeros(n_funds)
    for i in range(fund_of.shape[0]):
        f, s, w = fund_of[i], start_fund[i], weight[i]
        g0 = claim_start[i] * growth[s]
        before = g0 if f == s else 0.0
        fund_gain[f] += w * (own[i] - before) * (e[f] - 1.0)
        base[f] += w * before
        if f != s and g0 > 0.0:
            fund_gain[s] += w * (-g0) * (e[s] - 1.0)
            base[s] += w * g0
    moved = 0.0
    for i in range(fund_of.shape[0]):
        q = 0
        for k in range(edges.shape[0]):
            if edges[k] <= salary[i]:
                q += 1
        q_now[i] = q
        f, s, w = fund_of[i], start_fund[i], weight[i]
        g0 = claim_start[i] * growth[s]
        before = g0 if f == s else 0.0
        gain = (own[i] - before) * (e[f] - 1.0)
        if base[f] > 0.0:
            gain -= before / base[f] * fund_gain[f]
        by_quintile[q_now[i]] += w * gain
        if w * gain > 0.0:
            moved += w * gain
        if f != s and g0 > 0.0:
            sale = -g0 * (e[s] - 1.0) - g0 / base[s] * fund_gain[s]
            by_quintile[q_start[i]] += w * sale
            if w * sale > 0.0:
                moved += w * sale
    return moved


N_DF_COLUMNS: Final[int] = sv.N_DF

_fund_rows = njit(cache=True, nogil=True)(_fund_rows)
_respread_rows = njit(cache=True, nogil=True)(_respread_rows)
_stale_rows = njit(cache=True, nogil=True)(_stale_rows)


def funds_and_claims(sponsor: npt.NDArray[np.int32], age: F64, series_of_plan: npt.NDArray[np.intp],
                     tdf_plan: npt.NDArray[np.bool_], year_frac: float, close_after: int | None, balance: F64,
                     weight: F64, n_funds: int) -> tuple[npt.NDArray[np.int32], F64, F64]:
    """Each saver's fund (int32: 4 bytes a saver at national scale), its claim, and each
    fund's total of the claims (one pass)."""
    n = sponsor.shape[0]
    fund_of, own, value = np.empty(n, dtype=np.int32), np.empty(n), np.zeros(n_funds)
    _fund_rows(sponsor, age, series_of_plan, tdf_plan, float(year_frac), int(np.floor(year_frac)),
               -1 if close_after is None else int(close_after), balance, weight, fund_of, own, value)
    return fund_of, own, value


def respread(balance: F64, own: F64, fund_of: npt.NDArray[np.intp], holdings: F64, value: F64) -> None:
    """`respread_inplace` in one pass over the rows."""
    mix = np.divide(holdings, value[:, None], out=np.zeros_like(holdings), where=value[:, None] > 0)
    _respread_rows(balance, own, fund_of, mix)


def stale_nav_by_quintile(fund_of: npt.NDArray[np.integer], start_fund: npt.NDArray[np.integer], claim_start: F64,
                          growth: F64, own: F64, economic_per_reported: F64, weight: F64, salary: F64,
                          edges: F64, q_start: npt.NDArray[np.integer] | None) -> tuple[float, F64, npt.NDArray[np.int8]]:
    """The month's stale-NAV transfers (`stale_nav_gain`; a saver that changed fund sold its
    old units at their fund's NAV): the value moved, the net gain by income quintile
    (quintiles of pay against `edges`; a leaver's at the start of the month, `q_start`, or
    this month's where None), and this month's quintiles (int8, next month's `q_start`)."""
    by_quintile = np.zeros(len(edges) + 1)
    q_now = np.empty(fund_of.shape[0], dtype=np.int8)
    moved = _stale_rows(fund_of, start_fund, claim_start, growth, own, economic_per_reported, weight, salary,
                        np.ascontiguousarray(edges, dtype=np.float64), q_now, q_now if q_start is None else q_start,
                        by_quintile)
    return float(moved), by_quintile, q_now
