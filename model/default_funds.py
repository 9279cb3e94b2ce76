"""The default funds as pooled funds: which fund each saver's default-fund money is a claim
on, and the funds' month (ODD §7.5, pooled funds; the rules in `agents.pooled_funds`).

`DefaultFunds` is a mixin of `model.model.Alt401kModel`: it keeps the fund ledger, maps
each plan to its series (an off-the-shelf product shared by every plan that uses it, or a
largest plan's custom series) and each saver to its vintage, and once the month's flows
are known settles every fund and re-spreads its holdings over its holders. It acts on the
shared columnar population, so both saver engines see the same funds.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from ..agents import pooled_funds as pf
from ..agents import savers as sv
from ..base.assets import ASSET_CLASSES, DEFAULT_FUND_KINDS, DEFAULT_FUND_MIX, HOLDING_ASSET

F64 = npt.NDArray[np.float64]
N_KINDS = len(DEFAULT_FUND_KINDS)
TDF_KIND = DEFAULT_FUND_KINDS.index("tdf")
KIND_MIX = np.array([DEFAULT_FUND_MIX.get(k, (np.nan,) * 3) for k in DEFAULT_FUND_KINDS])
PE = ASSET_CLASSES.index("private_equity")
VEHICLE_LIMIT = {"cit": 1.0, "mutual_fund": 0.15}
"""Most illiquid assets a default fund may hold, by vehicle: a mutual fund may not acquire
illiquid investments beyond 15% of its net assets (SEC Rule 22e-4(b)(1)(iv)); a collective
investment trust is bounded only by its own design (ODD §7.5)."""


def custom_plans(plan_assets: F64, is_tdf: npt.NDArray[np.bool_], asset_share: float) -> npt.NDArray[np.intp]:
    """Plans that run custom target-date series: the largest target-date plans by assets,
    taken in order until they hold `asset_share` of target-date plans' assets (DCIIA 2017:
    20% of target-date assets are in custom series, two thirds of them at plans over $1bn,
    Callan 2015). Returns each plan's custom rank, -1 for the others."""
    rank = np.full(plan_assets.size, -1, dtype=np.intp)
    tdf = np.flatnonzero(is_tdf)
    total = float(plan_assets[tdf].sum())
    if asset_share <= 0 or total <= 0:
        return rank
    order = tdf[np.argsort(-plan_assets[tdf], kind="stable")]
    before = np.cumsum(plan_assets[order]) - plan_assets[order]
    chosen = order[before < asset_share * total]
    rank[chosen] = np.arange(chosen.size)
    return rank


class DefaultFunds:
    """The pooled default funds of `Alt401kModel` (a mixin: it uses the model's savers,
    plans, configuration, product book and flows)."""

    def _init_default_funds(self, plan_assets: F64) -> None:
        """At t0: choose the custom-series plans, open the ledger and pool every saver's
        default-fund money into its fund at the fund's target mix (ODD §5)."""
        mb = self.config.manager
        is_tdf = self.plans.default_kind == TDF_KIND
        self.custom_rank = custom_plans(plan_assets, is_tdf, mb.custom_tdf_asset_share)
        self.fund_ledger = pf.FundLedger.empty(self._n_series())
        self.fund_month: pf.FundMonth | None = None
        pop = self.savers
        fund_of, own, value = self._funds_and_claims(self._year_frac(0.0))
        self.fund_ledger.holdings = value[:, None] * self._fund_targets()
        pf.respread(pop.balance_usd, own, fund_of, self.fund_ledger.holdings, value)
        self.fund_claim_start = own.copy()
        self._fund_of_start = fund_of
        self._fund_quintile_start: npt.NDArray[np.int8] | None = None

    def _year_frac(self, months_ahead: float) -> float:
        d = self.date
        return d.year + (d.month - 1) / 12.0 + months_ahead / 12.0

    def _n_series(self) -> int:
        if self.config.manager.fund_pooling == "plan":
            return self.plans.n
        n_custom = int(self.custom_rank.max()) + 1 if self.custom_rank.size else 0
        return n_custom + len(self.book.products) * N_KINDS

    def plan_series(self) -> npt.NDArray[np.intp]:
        """Each plan's default-fund series: its product and kind of default fund, shared by
        every plan with the same (`manager.fund_pooling = "product"`), or the plan's own
        (a custom series, or every plan with "plan")."""
        plans = self.plans
        if self.config.manager.fund_pooling == "plan":
            return np.arange(plans.n, dtype=np.intp)
        n_custom = int(self.custom_rank.max()) + 1 if self.custom_rank.size else 0
        series = n_custom + plans.default_product.astype(np.intp) * N_KINDS + plans.default_kind.astype(np.intp)
        custom = (self.custom_rank >= 0) & (plans.default_kind == TDF_KIND)
        series[custom] = self.custom_rank[custom]
        return series

    def saver_fund(self, year_frac: float) -> npt.NDArray[np.int32]:
        """The fund each saver's default-fund money is in: its plan's series and, for a
        target-date fund, its vintage's slot (or the income fund's once the vintage closed)."""
        return self._funds_and_claims(year_frac)[0]

    def _funds_and_claims(self, year_frac: float) -> tuple[npt.NDArray[np.int32], F64, F64]:
        """Each saver's fund and claim, and each fund's total of the claims (one pass,
        `agents.pooled_funds.funds_and_claims`)."""
        pop, plans = self.savers, self.plans
        return pf.funds_and_claims(pop.sponsor, pop.age_years, self.plan_series(), plans.default_kind == TDF_KIND,
                                   year_frac, self.config.manager.vintage_close_years, pop.balance_usd, pop.weight,
                                   self.fund_ledger.n_funds)

    def _series_table(self, values: F64) -> F64:
        """Per series, the row of per-plan `values` of a plan using it (every plan of an
        off-the-shelf series has the same product, so the same row)."""
        series = self.plan_series()
        out = np.zeros((self.fund_ledger.n_funds // pf.SLOTS,) + values.shape[1:])
        out[series] = values
        return out

    def _fund_targets(self) -> F64:
        """Each fund's target mix (n_funds, N_DF): the glide path at its vintage's position
        (or its kind's fixed mix) with its product's sleeve, tapered along the glide path
        and held to its vehicle's illiquid limit (`agents.pooled_funds.target_mix`)."""
        mb = self.config.manager
        n = self.fund_ledger.n_funds
        n_series = n // pf.SLOTS
        slot = np.tile(np.arange(pf.SLOTS), n_series)
        kinds = self._series_table(self.plans.default_kind.astype(np.float64)[:, None])[:, 0].astype(np.intp)
        fixed = np.repeat(KIND_MIX[kinds], pf.SLOTS, axis=0)
        sleeve = np.repeat(self._series_table(self.plan_views.sleeve()), pf.SLOTS, axis=0)
        year = self._year_frac(1.0)
        public = pf.public_mix(slot, year, fixed, mb.vintage_close_years)
        vint = pf.FIRST_VINTAGE + pf.VINTAGE_STEP * np.minimum(slot, pf.N_VINTAGES - 1)
        to_target = np.where(slot == pf.INCOME_SLOT, 0.0, vint - year)
        mult = np.where(np.isnan(fixed[:, 0]), pf.sleeve_multiplier(to_target, mb.sleeve_taper), 1.0)
        limit = np.full(n, VEHICLE_LIMIT[mb.alt_tdf_vehicle])
        return pf.target_mix(public, sleeve, mult, limit)

    def _fund_growth(self, returns: Any, fee_matrix: F64) -> F64:
        """Each fund's factor by class this month: reported return, net of its fee and of
        carry on private equity (as the balance pass charges them to its holders)."""
        r = np.asarray(returns.reported[HOLDING_ASSET[: sv.N_DF]], dtype=np.float64)
        fee = np.repeat(self._series_table(fee_matrix[:, : sv.N_DF]), pf.SLOTS, axis=0) / 12.0
        mb = self.config.manager
        excess = float(returns.reported[PE]) - mb.hurdle_annual / 12.0
        carry = np.zeros(sv.N_DF)
        if excess > 0:
            carry[PE] = mb.carry_rate * excess / (1.0 + float(returns.reported[PE]))
        return (1.0 + r)[None, :] * (1.0 - fee) * (1.0 - carry)[None, :]

    def _settle_default_funds(self, returns: Any, fee_matrix: F64) -> None:
        """The funds' month once every flow is known (ODD §7.5, pooled funds): vintages due
        to close merge into their income funds; each fund's sleeve stays (redemptions are
        paid from liquid assets) and is rebalanced through the gate; every holder's
        default-fund columns become its claim times its fund's mix. Records the funds'
        gated sleeve, sales and the stale-NAV transfers (§7.11)."""
        pop, f, ledger = self.savers, self.flows, self.fund_ledger
        ledger.grow(self._n_series())
        mb = self.config.manager
        year_frac = self._year_frac(1.0)
        fund_of, own, value = self._funds_and_claims(year_frac)
        carried, start_fund = self._carried_holdings(), self._fund_of_start
        if self.date.month == 1:  # vintages due to close merge in kind into their income funds
            closing = ledger.closing_map(self.date.year, mb.vintage_close_years)
            carried, start_fund = pf.merge(carried, closing), closing[start_fund]
        pre = pf.grown(carried, self._fund_growth(returns, fee_matrix))
        self._record_stale_nav(returns, carried, pre, own, fund_of, start_fund)
        pool_of = np.arange(ledger.n_funds) // pf.SLOTS  # each series' private-markets pool
        holdings, month = pf.settle(pre, value, self._fund_targets(), self.gate_monthly(), pool_of)
        rho = np.asarray(returns.price_index / returns.reported_index, dtype=np.float64)[sv.DF_ILLIQUID]
        gain = pf.pool_transfer(month.sleeve_kept_usd, month.sleeve_after_usd, pool_of, rho)
        f.stale_nav_gain_by_vintage = np.bincount(pf.fund_vintage_index(ledger.n_funds), weights=gain,
                                                  minlength=f.stale_nav_gain_by_vintage.size)
        pf.respread(pop.balance_usd, own, fund_of, holdings, value)
        ledger.holdings = holdings
        self.fund_month = month
        self.fund_claim_start, self._fund_of_start = own, fund_of
        f.sleeve_over_target_usd = float(month.sleeve_over_target_usd.sum())
        f.illiquid_redemptions_usd += month.sleeve_sold_usd + month.forced_sales_usd
        f.sleeve_forced_sales_usd = month.forced_sales_usd
        if self.saver_agents is not None:
            self.saver_agents.reload(np.arange(pop.n))

    def _carried_holdings(self) -> F64:
        """Last month's holdings, in rows for this month's series (a launch adds rows)."""
        h = self.fund_ledger.holdings
        if h.shape[0] < self.fund_ledger.n_funds:
            h = np.vstack([h, np.zeros((self.fund_ledger.n_funds - h.shape[0], sv.N_DF))])
        return h

    def _record_stale_nav(self, returns: Any, carried: F64, pre: F64, own: F64, fund_of: npt.NDArray[np.int32],
                          start_fund: npt.NDArray[np.intp]) -> None:
        """Stale-NAV transfers of the month (ODD §7.11): units bought and sold at reported
        NAVs while the funds' economic values differ. A saver's net purchase is its claim
        now less its claim at the start of the month grown with its fund (all of it where
        it changed fund: a sale and a purchase); gains by income quintile (positive: the
        quintile gained at others' expense) and the gross amount moved."""
        pop = self.savers
        ratio = np.asarray(returns.price_index / returns.reported_index, dtype=np.float64)[: sv.N_DF]
        pre_value, start_value = pre.sum(axis=1), carried.sum(axis=1)
        e = np.divide(pre @ ratio, pre_value, out=np.ones_like(pre_value), where=pre_value > 0)
        growth = np.divide(pre_value, start_value, out=np.ones_like(pre_value), where=start_value > 0)
        moved, by_quintile, q_now = pf.stale_nav_by_quintile(
            fund_of, start_fund, self.fund_claim_start, growth, own, e, pop.weight, pop.salary_usd_annual,
            self.quintile_edges, self._fund_quintile_start)
        self.flows.stale_nav_transfer_usd = moved
        self.flows.stale_nav_gain_by_quintile = by_quintile
        self._fund_quintile_start = q_now
