"""Would pooled vintage funds move who bears the illiquid sleeve? A first-order estimate.

Not a test, and not a benchmark of speed. The proposal in docs/proposal-unit-accounts.md
holds each saver's default fund as units of a pooled fund, one per plan and five-year
vintage. Besides reading the glide path at the vintage's position (`prototype_vintage.py`),
pooling changes who bears the illiquid sleeve (ODD §7.5): today each saver's default fund
is rebalanced and gated on its own, and a saver who leaves or withdraws takes its share of
the sleeve with it, ungated (`illiquid_redemptions_usd`). In a pooled fund a redemption is
paid at NAV out of the fund's liquid assets, so net outflows leave the stayers holding
more of the sleeve, and the fund can sell it down only through the gate.

This script runs today's model and, beside it, a shadow ledger of pooled funds driven by
the model's own flows: each month, for every (default product, vintage) fund (or, with
`--pool plan`, every (plan, vintage) fund), the sleeve and the liquid part grow as today's
holdings in that fund grew (returns, fees, carry), the fund's net flow (contributions,
redemptions, trades, and money moving between funds when a plan changes product: what its
savers' default-fund dollars changed by beyond that growth) is paid into or out of the
liquid part, and the fund is rebalanced to its sleeve share with sales of the sleeve
gated at the scenario's monthly gate.
It prints, a year at a time, the sleeve dollars above target today (the model's
`sleeve_over_target_usd`) and in the pooled ledger, how much of the ledger's excess sits in
funds within ten years of their target date, and today's illiquid redemptions (the model's
`illiquid_redemptions_usd`: leavers' and withdrawals' sleeve, ungated, and each saver's
gated rebalancing sales) against the ledger's gated sales.

First order only: the ledger's overweight is not fed back into returns, fees, litigation
or the sponsors' decisions, and a fund's sleeve is one number (its illiquid classes
together). Vintages are five-year target-date cohorts by each saver's planned retirement.

    .venv/bin/python benchmarks/prototype_pooling.py                              # 100k savers, 30 years
    .venv/bin/python benchmarks/prototype_pooling.py --market-path equity-crash-2008@24
"""

from __future__ import annotations

import argparse

import numpy as np
from alt401k.agents import savers as sv
from alt401k.experiments.cli import market_path_from
from alt401k.model.assets import ASSET_CLASSES
from alt401k.model.config import RunConfig
from alt401k.model.model import Alt401kModel
from alt401k.model.policy import load_scenario

VINTAGE_YEARS = 5
"""Width of a target-date vintage."""
N_VINTAGES = 14
"""Target dates 2025, 2030, ..., 2090 (earlier ones join the first)."""
FIRST_VINTAGE = 2025
NEAR_YEARS = 10.0
"""Funds whose target date is this close or past count as near retirement."""
ILL = sv.DF_ILLIQUID
"""The default fund's illiquid classes, taken together as its sleeve."""


MAX_PRODUCTS = 256
"""Room for the products the managers launch over a run (a few dozen)."""


def pools(model: Alt401kModel, pool: str) -> tuple[np.ndarray, int]:
    """What a pooled fund is: a (plan, vintage) or a (default product, vintage); each
    saver's fund index (pool x N_VINTAGES + vintage of its planned retirement year) and the
    number of funds."""
    pop = model.savers
    now = model.config.start.year + (model.config.start.month - 1 + model.month) / 12.0
    target = now + pop.retirement_age_years - pop.age_years
    vintage = np.clip(np.floor((target - FIRST_VINTAGE) / VINTAGE_YEARS), 0, N_VINTAGES - 1).astype(np.intp)
    if pool == "plan":
        return pop.sponsor.astype(np.intp) * N_VINTAGES + vintage, model.plans.n * N_VINTAGES
    product = model.plans.default_product[pop.sponsor].astype(np.intp)
    return product * N_VINTAGES + vintage, MAX_PRODUCTS * N_VINTAGES


def target_shares(model: Alt401kModel, pool: str) -> np.ndarray:
    """Each fund's sleeve share: its plan's product's illiquid classes, or its product's."""
    if pool == "plan":
        share = model.plan_views.sleeve()[:, ILL].sum(axis=1)
    else:
        share = np.zeros(MAX_PRODUCTS)
        matrix = model.book.sleeve_matrix()
        share[: matrix.shape[0]] = matrix[:, ILL].sum(axis=1)
    return np.repeat(share, N_VINTAGES)


def by_fund(dollars: np.ndarray, fund: np.ndarray, size: int) -> np.ndarray:
    """Savers' (n, 8) dollars summed by their `fund` index, (size, 8)."""
    return np.stack([np.bincount(fund, weights=dollars[:, c], minlength=size) for c in range(sv.N_DF)], axis=1)


def default_fund_usd(model: Alt401kModel) -> np.ndarray:
    """Each saver's weighted (national) default-fund dollars by asset class, (n, 8)."""
    pop = model.savers
    return pop.weight[:, None] * pop.balance_usd[:, : sv.N_DF]


class PooledLedger:
    """The shadow pooled funds: sleeve and liquid dollars of every fund."""

    def __init__(self, held: np.ndarray) -> None:
        self.sleeve = held[:, ILL].sum(axis=1)
        self.liquid = held.sum(axis=1) - self.sleeve
        self.shortfall_usd = 0.0

    def pay(self, flow: np.ndarray) -> None:
        """Net cash into (out of, where negative) each fund's liquid part; what the liquid
        part cannot pay is taken from the sleeve (counted in `shortfall_usd`)."""
        self.liquid += flow
        short = self.liquid < 0.0
        self.shortfall_usd += float(-self.liquid[short].sum())
        self.sleeve[short] += self.liquid[short]
        self.liquid[short] = 0.0
        np.maximum(self.sleeve, 0.0, out=self.sleeve)

    def month(self, before: np.ndarray, grown: np.ndarray, after: np.ndarray, target_share: np.ndarray,
              gate: float) -> tuple[float, float]:
        """One month: each part's growth as today's holdings in the fund grew (`grown`: the
        start-of-month holdings after the month's returns, fees and carry), the fund's net
        flow through its liquid part (`pay`), then the gated rebalancing to `target_share`;
        returns (sleeve sold, sleeve above target) in USD."""
        ill_before, ill_grown = before[:, ILL].sum(axis=1), grown[:, ILL].sum(axis=1)
        liq_before, liq_grown = before.sum(axis=1) - ill_before, grown.sum(axis=1) - ill_grown
        self.sleeve *= np.divide(ill_grown, ill_before, out=np.ones_like(ill_before), where=ill_before > 0)
        self.liquid *= np.divide(liq_grown, liq_before, out=np.ones_like(liq_before), where=liq_before > 0)
        self.pay(after.sum(axis=1) - grown.sum(axis=1))
        target = target_share * (self.sleeve + self.liquid)
        sale = np.minimum(np.maximum(self.sleeve - target, 0.0), gate * self.sleeve)
        buy = np.maximum(target - self.sleeve, 0.0)
        self.sleeve += buy - sale
        self.liquid += sale - buy
        return float(sale.sum()), float(np.maximum(self.sleeve - target, 0.0).sum())


def growth(model: Alt401kModel) -> np.ndarray:
    """What a dollar of each saver's default-fund classes became this month, (n, 8): the
    reported return, then the plan's fee, then carry on private equity, in the order of
    the balance pass (ODD §7.5; `agents.savers.charge_carry_inplace`)."""
    r = np.asarray(model.last_returns.reported, dtype=np.float64)[: sv.N_DF]
    g = (1.0 + r)[None, :] * (1.0 - model.plan_views.fee_monthly()[model.savers.sponsor, : sv.N_DF])
    mb = model.config.manager
    pe = ASSET_CLASSES.index("private_equity")
    excess = r[pe] - mb.hurdle_annual / 12.0
    if excess > 0:
        g[:, pe] *= 1.0 - mb.carry_rate * excess / (1.0 + r[pe])
    return g


def run(scenario: str, savers: int, years: int, seed: int, market_path: str | None, pool: str) -> None:
    """Run the model with the pooled ledger beside it; print a row a year."""
    config = RunConfig(n_savers=savers, n_sponsors=max(1_200, savers // 100), years=years, seed=seed)
    model = Alt401kModel(load_scenario(scenario), config, market_path=market_path_from(market_path, config.n_months))
    last = by_fund(default_fund_usd(model), *pools(model, pool))
    ledger = PooledLedger(last)
    out_today = sold_pooled = 0.0
    print(f"| year | sleeve above target today $B | pooled $B | pooled, near target date | illiquid "
          f"redemptions today $B/yr | pooled sales $B/yr |  ({scenario}, {market_path or 'stochastic market'}, seed {seed}, "
          f"pooled by {pool} and vintage)")
    print("|---:|---:|---:|---:|---:|---:|")
    for m in range(config.n_months):
        # A fund's flows are its savers' default-fund dollars before and after the month,
        # each saver counted in the fund it belongs to at the start of the month (a plan
        # that changes product moves its savers' money out of one product's funds).
        fund, size = pools(model, pool)
        held = default_fund_usd(model)
        before = by_fund(held, fund, size)
        # Money that changed fund between months (a plan that switched product, a recycled
        # row now in its new saver's vintage) is redeemed from one and paid into the other.
        ledger.pay(before.sum(axis=1) - last.sum(axis=1))
        model.step()
        grown = by_fund(held * growth(model), fund, size)
        after = by_fund(default_fund_usd(model), fund, size)
        share = target_shares(model, pool)
        sold, stuck = ledger.month(before, grown, after, share, model.policy.gate_quarterly / 3.0)
        last = after
        f = model.flows
        out_today += f.illiquid_redemptions_usd
        sold_pooled += sold
        if (m + 1) % 12 == 0:
            now = model.config.start.year + (m + 1) // 12
            dates = FIRST_VINTAGE + VINTAGE_YEARS * np.tile(np.arange(N_VINTAGES), share.size // N_VINTAGES)
            excess = np.maximum(ledger.sleeve - share * (ledger.sleeve + ledger.liquid), 0.0)
            near = excess[dates - now <= NEAR_YEARS].sum()
            print(f"| {(m + 1) // 12} | {f.sleeve_over_target_usd / 1e9:.2f} | {stuck / 1e9:.2f} | "
                  f"{near / max(stuck, 1e-9):.0%} | {out_today / 1e9:.1f} | {sold_pooled / 1e9:.1f} |", flush=True)
            out_today = sold_pooled = 0.0
    print(f"Redemptions the liquid part could not pay (taken from the sleeve): ${ledger.shortfall_usd / 1e9:.2f}B")


def main() -> None:
    """Parse the options and run."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="eo-14330")
    parser.add_argument("--savers", type=int, default=100_000)
    parser.add_argument("--years", type=int, default=30)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--market-path", default=None)
    parser.add_argument("--pool", choices=("product", "plan"), default="product",
                        help="a pooled fund per (default product, vintage), as TDF series and CITs are "
                             "held across plans, or per (plan, vintage)")
    args = parser.parse_args()
    run(args.scenario, args.savers, args.years, args.seed, args.market_path, args.pool)


if __name__ == "__main__":
    main()
