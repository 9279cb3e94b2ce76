"""Model-level observation: monthly national series and the horizon tables.

ODD §4.11 and §7.11 (observation). Every series is weighted to national totals: dollars
are U.S. dollars of the whole 401(k) market, shares are of real plans (sponsor weights) or
of real participants (saver weights). One function computes a month's record; Mesa's
`DataCollector` stores it, one reporter per column.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np
import numpy.typing as npt
import pyarrow as pa

from ..agents import plan_kernels
from ..agents import pooled_funds as pf
from ..agents import savers as sv
from ..base.assets import (
    ALTERNATIVES,
    ASSET_CLASSES,
    CHANNELS,
    DEFAULT_FUND_KINDS,
    HOLDING_ASSET,
    HOLDING_CHANNEL,
    HOLDINGS,
    ILLIQUID,
    IS_ALT_HOLDING,
)
from ..base.strata import AGE_GROUPS, SIZE_CLASSES, VINTAGES, age_group
from .weighted import weighted_quantiles

if TYPE_CHECKING:
    from .model import Alt401kModel

F64 = npt.NDArray[np.float64]
FLOW_FIELDS = (
    "contributions_usd", "employer_usd", "rollovers_in_usd", "returns_usd", "fees_usd", "carry_usd",
    "hardship_usd", "cash_outs_usd", "rollovers_out_usd", "retirement_usd", "death_benefits_usd",
    "loan_offsets_usd", "loan_interest_usd", "new_loans_usd", "loan_repayments_usd", "gated_refused_usd",
    "sleeve_over_target_usd", "illiquid_redemptions_usd", "sleeve_forced_sales_usd", "stale_nav_transfer_usd",
    "managed_account_fees_usd", "termination_usd", "plans_terminated",
)
LIQUIDITY_BLOCK = 65_536
"""Rows per block of the month-end pass over default-fund sleeves (bounded temporaries)."""
REPLACEMENT_ANNUITY_RATE = 0.04
"""Annual income per dollar of balance at retirement (the '4% rule'), for replacement rates."""


def assets_record(model: Alt401kModel) -> dict[str, float]:
    """Assets by asset class, by channel and by holding; balances; vehicle split (USD)."""
    by_holding = model.holdings_usd
    loans = float(model.savers.weight @ model.savers.loan_usd)
    rec: dict[str, float] = {"assets_usd": float(by_holding.sum()) + loans, "loans_usd": loans}
    rec.update(economic_value_record(model, loans))
    for i, a in enumerate(ASSET_CLASSES):
        rec[f"assets_usd__{a}"] = float(by_holding[i == HOLDING_ASSET].sum())
    for i, c in enumerate(CHANNELS):
        rec[f"assets_usd__{c}"] = float(by_holding[i == HOLDING_CHANNEL].sum())
    for h, (c, a) in enumerate(HOLDINGS):
        rec[f"assets_usd__{c}__{a}"] = float(by_holding[h])
    sums = model.saver_totals().sums
    rec["participants"] = sums["weight"]
    rec["enrolled_participants"] = sums["participating"]
    rec["mean_balance_usd"] = sums["balance_usd"] / sums["weight"]
    rec["default_fund_share_of_assets"] = rec["assets_usd__default_fund"] / max(rec["assets_usd"], 1e-9)
    rec["participants_in_default_fund_share"] = sums["in_default_fund"] / sums["weight"]
    mf = model.config.initial.mutual_fund_share
    core_equity = rec["assets_usd__core_menu__equity"] + rec["assets_usd__window__equity"]
    rec["mutual_fund_hybrid_usd"] = mf["default_fund"] * rec["assets_usd__default_fund"]
    rec["mutual_fund_equity_usd"] = mf["equity"] * core_equity
    rec["mutual_fund_assets_usd"] = (
        rec["mutual_fund_hybrid_usd"] + rec["mutual_fund_equity_usd"]
        + mf["other"] * (rec["assets_usd"] - rec["assets_usd__default_fund"] - core_equity)
    )
    return rec


def sponsor_record(model: Alt401kModel) -> dict[str, float]:
    """Share of real plans offering alternatives, by channel, class and plan size (ODD §6;
    what each plan offers from one pass over the plans, `agents.plan_kernels.record_flags`)."""
    plans = model.plans
    w = plans.weight
    flags = plan_kernels.record_flags(plans, model.plain_tdf_products(), model.book.sleeve_matrix())
    any_alt = flags[0]
    total = w.sum()
    rec = {
        "plans": float(total),
        "share_plans_offering_any_alt": float(w @ any_alt / total),
        "share_plans_offering__default_fund": float(w @ flags[1] / total),
        "share_plans_offering__standalone": float(w @ flags[2] / total),
        "share_plans_offering__window": float(w @ plans.offers_window / total),
        "share_plans_auto_enrolling": float(w @ plans.auto_enroll / total),
        "share_plans_tdf_default": float(w @ (plans.default_kind == DEFAULT_FUND_KINDS.index("tdf")) / total),
    }
    for k, a in enumerate(ALTERNATIVES):
        rec[f"share_plans_offering__{a}"] = float(w @ flags[3 + k] / total)
    for c, name in enumerate(SIZE_CLASSES):
        m = plans.size_class == c
        wm = w[m]
        rec[f"share_plans_offering_any_alt__{name}"] = float(wm @ any_alt[m] / wm.sum()) if wm.size else 0.0
    return rec


def saver_record(model: Alt401kModel) -> dict[str, float]:
    """Share of participants exposed to alternatives; near-retiree losses; share at the
    default deferral rate (heads, national; sums from `agents.observation.observe_savers`)."""
    sums = model.saver_totals().sums
    heads = sums["weight"]
    rec = {"share_savers_exposed_any_alt": sums["any_exposed"] / heads}
    for a in ALTERNATIVES:
        rec[f"share_savers_exposed__{a}"] = sums[f"exposed__{a}"] / heads
    near = sums["near_retirees"]
    rec["share_near_retirees_worst_year_loss_gt20"] = sums["near_retirees_worst_year_loss_gt20"] / near if near > 0 else 0.0
    rec["share_at_default_deferral"] = sums["at_default_deferral"] / heads
    return rec


def economy_record(model: Alt401kModel) -> dict[str, float]:
    """The economy's indices this month (ODD §7.12): consumer prices (1 in January 2025,
    the deflator of every constant-dollar column), nominal wages and covered employment
    (1 at t0), the unemployment rate and the month's layoffs (shares)."""
    e = model.economy
    return {
        "cpi_index": e.price_index,
        "wage_index": e.wage_index,
        "employment_index": e.employment_index,
        "unemployment_rate": e.unemployment_rate,
        "layoff_rate": e.layoff_rate,
    }


def real_name(column: str) -> str | None:
    """Name of the constant-2025-dollar twin of a nominal money column, or None (ODD §7.12).

    Every column whose name contains ``_usd`` is nominal U.S. dollars; its twin, with
    ``_usd2025`` instead, is the same amount deflated by `cpi_index` (January 2025 prices).
    """
    return column.replace("_usd", "_usd2025", 1) if "_usd" in column and "_usd2025" not in column else None


def economic_value_record(model: Alt401kModel, loans_usd: float) -> dict[str, float]:
    """401(k) assets at economic rather than reported values (ODD §7.11).

    Holdings are carried at reported NAVs; a unit of class c bought at any time is worth
    its economic price, so the holdings' economic value is their reported value times
    price_index / reported_index of the class (both 1 at t0, when reported and economic
    values are taken to agree). Smoothed NAVs of illiquid classes make the two differ: the
    gap is what savers who sell at NAV take from those who stay, and what a loss measured
    on reported values hides (Getmansky, Lo and Makarov 2004). Loans (`loans_usd`) count
    at face value."""
    r = model.last_returns
    by_class = np.bincount(HOLDING_ASSET, weights=model.holdings_usd, minlength=len(ASSET_CLASSES))
    ratio = r.price_index / r.reported_index if r else np.ones(len(ASSET_CLASSES))
    economic = float(by_class @ ratio)
    # Loans are owed by the participants themselves: at face value in both.
    return {"assets_economic_usd": economic + loans_usd, "valuation_gap_usd": float(by_class.sum()) - economic}


def market_record(model: Alt401kModel) -> dict[str, float]:
    """Price and NAV indices, valuation gaps and drawdowns (1.0 / 0 before month 1)."""
    r = model.last_returns
    rec: dict[str, float] = {}
    for i, a in enumerate(ASSET_CLASSES):
        rec[f"price_index__{a}"] = float(r.price_index[i]) if r else 1.0
        rec[f"reported_index__{a}"] = float(r.reported_index[i]) if r else 1.0
    for a in ILLIQUID:
        rec[f"valuation_gap__{a}"] = float(r.valuation_gap[ASSET_CLASSES.index(a)]) if r else 0.0
    rec["equity_drawdown"] = float(r.equity_drawdown) if r else 0.0
    rec["crypto_drawdown"] = float(r.crypto_drawdown) if r else 0.0
    return rec


def flow_record(model: Alt401kModel) -> dict[str, float]:
    """This month's dollar flows, fee split, lawsuits and net flows into alternatives."""
    f = model.flows
    rec = {k: float(getattr(f, k)) for k in FLOW_FIELDS}
    rec["withdrawals_usd"] = f.withdrawals_usd
    split = getattr(model, "fee_split", {"tdf_managers": 0.0, "partners": 0.0, "core_and_window": 0.0})
    rec["fee_revenue_tdf_managers_usd"] = split["tdf_managers"]
    rec["fee_revenue_partners_usd"] = split["partners"]
    rec["fee_revenue_core_and_window_usd"] = split["core_and_window"]
    fees_by_holding = getattr(model, "fees_by_holding", np.zeros(len(HOLDINGS)))
    rec["fees_on_alternatives_usd"] = float(fees_by_holding[IS_ALT_HOLDING].sum()) + f.carry_usd
    rec["lawsuits"] = model.suits_history[-1] if model.suits_history else 0.0
    rec["lawsuits_against_adopters"] = model.suits_against_adopters[-1] if model.suits_against_adopters else 0.0
    for a in ALTERNATIVES:
        rec[f"net_flow_usd__{a}"] = float(model.last_net_flow[ASSET_CLASSES.index(a)])
    for c, name in enumerate(SIZE_CLASSES):
        rec[f"inflows_usd__{name}"] = float(f.inflows_by_size[c])
        rec[f"benefits_usd__{name}"] = float(f.benefits_by_size[c])
    for q in range(5):
        rec[f"stale_nav_gain_usd__q{q + 1}"] = float(f.stale_nav_gain_by_quintile[q])
    for i, name in enumerate(VINTAGES):
        rec[f"stale_nav_gain_usd__{name}"] = float(f.stale_nav_gain_by_vintage[i])
    return rec


def litigation_record(model: Alt401kModel) -> dict[str, float]:
    """This month's suits, national expected counts (ODD §7.10): filings by kind of claim
    and plan size, the participants of the sued plans, motions decided, settlements and
    their dollars (paid by sponsors and their insurers, not out of accounts), suits pending."""
    m = model.litigation_month
    out = m.outcomes
    rec = {
        "lawsuits_over_alternatives": m.filed_alternatives,
        "lawsuits_participants": m.filed_participants,
        "lawsuits_dismissed": out.dismissed,
        "lawsuits_defence_wins": out.defence_wins,
        "lawsuits_settled": out.settled,
        "settlements_usd": out.settlements_usd,
        "settlements_participants": out.settled_participants,
        "lawsuits_pending": m.pending,
    }
    by_class = model.suits_by_class[-1] if model.suits_by_class else np.zeros(len(SIZE_CLASSES))
    for c, name in enumerate(SIZE_CLASSES):
        rec[f"lawsuits__{name}"] = float(by_class[c])
    return rec


def waiting_off_menu_usd(model: Alt401kModel) -> float:
    """National USD of savers' off-menu positions in gated vehicles still waiting for the
    gate at month end (the rows of `model.gate_queue`; ODD §7.11, liquidity)."""
    rows = model.gate_queue
    if rows.size == 0:
        return 0.0
    off_menu = ~model.visible_options(rows)[:, 1:]  # option k >= 1 is holding N_DF + k - 1
    held = model.savers.balance_usd[rows][:, sv.N_DF:] * off_menu
    return float(model.savers.weight[rows] @ held[:, sv.ILLIQUID_COLUMNS - sv.N_DF].sum(axis=1))


def sleeve_excess(model: Alt401kModel) -> tuple[F64, F64, F64]:
    """Pooled default funds' private-market sleeves against their targets at month end, by
    vintage (ODD §7.11, denominator effect).

    Over the funds that hold sleeve money (`model.fund_ledger`, ODD §7.5): each vintage's
    (`base.strata.VINTAGES`; income funds with the first) fund assets, the dollars by
    which sleeves exceed their target weight after the month's gated rebalancing, and the
    value of the sleeves that exceed it."""
    k = len(VINTAGES)
    month = getattr(model, "fund_month", None)
    if month is None:
        return np.zeros(k), np.zeros(k), np.zeros(k)
    holdings = model.fund_ledger.holdings
    value = holdings.sum(axis=1)
    held = month.sleeve_value_usd > 0
    v = pf.fund_vintage_index(model.fund_ledger.n_funds)
    excess = month.sleeve_over_target_usd
    fund = np.bincount(v, weights=np.where(held, value, 0.0), minlength=k)
    over = np.bincount(v, weights=excess, minlength=k)
    over_value = np.bincount(v, weights=np.where(excess > 0, month.sleeve_value_usd, 0.0), minlength=k)
    return fund, over, over_value


def months_to_liquidate(stock_usd: float, gated_value_usd: float, gate_monthly: float) -> float:
    """Months the gate needs to let `stock_usd` out at this month's pace: the gate sells
    `gate_monthly` of each gated position's value (`gated_value_usd`, the whole positions
    the stock sits in) a month. 0 with nothing gated; NaN with a closed gate. A lower bound:
    the pace falls as the positions shrink (ODD §7.11)."""
    if stock_usd <= 0.0:
        return 0.0
    pace = gate_monthly * gated_value_usd
    return stock_usd / pace if pace > 0.0 else float("nan")


def liquidity_record(model: Alt401kModel) -> dict[str, float]:
    """Liquidity at month end, each measure one thing (ODD §7.11): the stock of positions
    waiting behind gates (savers' off-menu positions; default funds' sleeves above target),
    the months the gate needs to let it out, and the sleeves' excess over target as a share
    of default-fund assets, nationally and by vintage (the denominator effect). The flow of
    sales refused by gates is `gated_refused_usd` (`flow_record`)."""
    savers_usd = waiting_off_menu_usd(model)
    fund, excess, over_value = sleeve_excess(model)
    stock = savers_usd + float(excess.sum())
    rec = {
        "gated_stock_usd": stock,
        "gated_stock_savers_usd": savers_usd,
        "gated_stock_default_funds_usd": float(excess.sum()),
        "gated_months_to_liquidate": months_to_liquidate(stock, savers_usd + float(over_value.sum()),
                                                         model.gate_monthly()),
        "sleeve_over_target_share": float(excess.sum() / fund.sum()) if fund.sum() > 0 else 0.0,
    }
    for i, name in enumerate(VINTAGES):
        rec[f"sleeve_over_target_share__{name}"] = float(excess[i] / fund[i]) if fund[i] > 0 else 0.0
    return rec


def economic_loss_record(model: Alt401kModel) -> dict[str, float]:
    """Near-retirees' worst year at economic values, beside `saver_record`'s at reported
    ones (ODD §7.11): the weighted share of participants aged 55-64 whose worst calendar
    year at economic values (`savers.economic_year_end_inplace`) lost more than 20%."""
    pop = model.savers
    near = (pop.age_years >= 55) & (pop.age_years < 65)
    heads = float(pop.weight @ near)
    lost = float(pop.weight @ (near & (pop.worst_year_return_economic < -0.2)))
    return {"share_near_retirees_worst_year_loss_gt20_economic": lost / heads if heads > 0 else 0.0}


def managed_account_record(model: Alt401kModel) -> dict[str, float]:
    """The managed-account channel at month end (ODD §7.14): enrolled participants, their
    assets and the alternatives among them (USD, national), and the shares of real plans
    offering the service, using it as the QDIA and whose service holds a private-markets
    sleeve."""
    pop, plans = model.savers, model.plans
    rows = np.flatnonzero(pop.style == sv.MANAGED)
    held = pop.balance_usd[rows]
    w = pop.weight[rows]
    pw, total = plans.weight, plans.weight.sum()
    sleeve = model.managed_sleeve().any(axis=1)
    return {
        "managed_account_participants": float(w.sum()),
        "managed_account_assets_usd": float(w @ held.sum(axis=1)),
        "managed_account_alternatives_usd": float(w @ held[:, IS_ALT_HOLDING].sum(axis=1)),
        "share_plans_offering_managed_account": float(pw @ plans.managed_account / total),
        "share_plans_managed_account_qdia": float(pw @ plans.managed_qdia / total),
        "share_plans_managed_account_sleeve": float(pw @ sleeve / total),
    }


def month_record(model: Alt401kModel) -> dict[str, float]:
    """Everything observed at the end of the current month, one flat dict."""
    rec: dict[str, float] = {"month": float(model.month)}
    for part in (assets_record, sponsor_record, saver_record, market_record, economy_record, flow_record,
                 litigation_record, liquidity_record, economic_loss_record, managed_account_record):
        rec.update(part(model))
    return rec


class ModelRecorder:
    """Collects `month_record` every month into a Mesa DataCollector, as rows of its table
    `SERIES` (one column per series). A table row is appended as it is: model reporters
    deep-copy every value every month (~0.2 ms a month for ~110 floats, ~2% of a month at
    100k savers), which plain floats do not need."""

    SERIES = "series"

    def __init__(self, model: Alt401kModel) -> None:
        self.model = model
        self.current = month_record(model)
        self.columns = list(self.current)
        self.datacollector = mesa.DataCollector(tables={self.SERIES: self.columns})
        self.dates: list[str] = []

    def collect_initial(self) -> None:
        """Record the t0 state (month 0, before any step)."""
        self.initial = dict(self.current)
        self._collect()

    def collect(self) -> None:
        """Record the month just finished."""
        self.current = month_record(self.model)
        self._collect()

    def _collect(self) -> None:
        self.datacollector.add_table_row(self.SERIES, self.current)
        self.dates.append(self.model.date.isoformat()[:7])

    def series_table(self) -> pa.Table:
        """Monthly series as an Arrow table: `date` then one float column per series."""
        data = self.datacollector.tables[self.SERIES]
        cols = {"date": pa.array(self.dates, pa.string())}
        cols["month"] = pa.array(np.asarray(data["month"], dtype=np.int32))
        for k in self.columns:
            if k != "month":
                cols[k] = pa.array(np.asarray(data[k], dtype=np.float64))
        deflator = np.asarray(data["cpi_index"], dtype=np.float64)
        for k in self.columns:
            twin = real_name(k)
            if twin is not None:
                cols[twin] = pa.array(np.asarray(data[k], dtype=np.float64) / deflator)
        return pa.table(cols)


HORIZON_KINDS = ("in_plan", "retired")
"""Values of the horizon table's `kind` column: savers in a plan at the horizon (one row per
income quintile and age group), or everyone who retired during the run (one per quintile)."""
_RR = (f"replacement rate: {REPLACEMENT_ANNUITY_RATE:.0%} of the balance at retirement (an annual "
       "income, the '4% rule') divided by final annual pay, both nominal")
_RR_SS = ("replacement rate with Social Security: (4% x balance at retirement + the annual Social "
          "Security benefit at the claim, from the final pay by the benefit formula) / final annual pay")
REPLACEMENT_TARGET = 0.70
"""Replacement rate (with Social Security) below which a retiree counts as short: 70% of
final pay, a common planners' target (an assumption, in the spirit of EBRI's Retirement
Security Projection Model, which models expenses instead)."""

HORIZON_COLUMNS: dict[str, tuple[pa.DataType, str]] = {
    "kind": (pa.string(), "in_plan: savers in a plan at the horizon, by income quintile and age "
             "group; retired: everyone who retired during the run, by income quintile"),
    "income_quintile": (pa.int64(), "income quintile of pay, 1 (lowest) to 5"),
    "age_group": (pa.string(), "age group at the horizon (in_plan rows), or 'retired'"),
    "people": (pa.float64(), "real people the rows stand for (weighted)"),
    "mean_balance_usd": (pa.float64(), "mean balance, nominal USD: at the horizon (in_plan) or at "
                         "retirement (retired); NaN if no one"),
    "median_balance_usd": (pa.float64(), "median balance, nominal USD (as mean_balance_usd)"),
    "p10_balance_usd": (pa.float64(), "10th-percentile balance, nominal USD (as mean_balance_usd)"),
    "median_replacement_rate": (pa.float64(), f"retired rows: median {_RR}; null on in_plan rows"),
    "p10_replacement_rate": (pa.float64(), f"retired rows: 10th-percentile {_RR}; null on in_plan rows"),
    "share_worst_year_loss_gt20": (pa.float64(), "retired rows: share whose worst calendar year "
                                   "lost more than 20%; null on in_plan rows"),
    "median_replacement_rate_with_ss": (pa.float64(), f"retired rows: median {_RR_SS}; null on in_plan rows"),
    "p10_replacement_rate_with_ss": (pa.float64(), f"retired rows: 10th-percentile {_RR_SS}; null on in_plan rows"),
    "share_short_of_target_with_ss": (pa.float64(), "retired rows: share whose replacement rate with Social "
                                      f"Security is below {REPLACEMENT_TARGET:.0%}; null on in_plan rows"),
    "share_worst_year_loss_gt20_economic": (pa.float64(), "retired rows: share whose worst calendar year at "
                                            "economic rather than reported values lost more than 20%; null on "
                                            "in_plan rows"),
}
"""The horizon table's columns in order: Arrow type and the description stored with each
field (``description`` in the field metadata, kept in horizon.parquet)."""


def horizon_schema() -> pa.Schema:
    """The horizon table's schema, each field carrying its description."""
    return pa.schema([pa.field(name, kind, metadata={"description": text})
                      for name, (kind, text) in HORIZON_COLUMNS.items()])


def horizon_table(model: Alt401kModel) -> pa.Table:
    """Wealth at the horizon by income quintile and age group, plus retirees' outcomes.

    Rows of kind ``in_plan`` (age_group in AGE_GROUPS) describe savers in the plan at the
    horizon (weighted count, mean, median and 10th-percentile balance); the retirees' columns
    are null there (not applicable, unlike NaN, which means no one was in the group). Rows of
    kind ``retired`` (age_group 'retired') pool everyone who retired during the run: balance
    at retirement and replacement rate (`REPLACEMENT_ANNUITY_RATE` x balance / final pay),
    median and 10th percentile, and the share whose worst calendar year lost more than 20%.
    Each column's meaning is in the schema's field metadata (`HORIZON_COLUMNS`).
    """
    pop = model.savers
    q = model.income_quintile(pop.salary_usd_annual)
    g = age_group(pop.age_years)
    bal = pop.total_balance()
    rows: list[dict[str, object]] = []
    for qi in range(5):
        for gi, gname in enumerate(AGE_GROUPS):
            m = (q == qi) & (g == gi)
            rows.append(_stats_row(qi, gname, pop.weight[m], bal[m], None, None))
    if model.retirees:
        ret = {k: np.concatenate([r[k] for r in model.retirees]) for k in model.retirees[0]}
        pay = np.maximum(ret["salary_usd_annual"], 1.0)
        rr = REPLACEMENT_ANNUITY_RATE * ret["balance_usd"] / pay
        rr_ss = rr + ret["social_security_usd_annual"] / pay
        for qi in range(5):
            m = ret["income_quintile"] == qi
            rows.append(_stats_row(qi, "retired", ret["weight"][m], ret["balance_usd"][m], rr[m],
                                   ret["worst_year_return"][m], rr_ss[m], ret["worst_year_return_economic"][m]))
    schema = horizon_schema()
    return pa.table({k: pa.array([r[k] for r in rows], schema.field(k).type) for k in schema.names},
                    schema=schema)


def _wquantile(x: F64, w: F64, q: float) -> float:
    """The weighted `q` quantile (`model.weighted.weighted_quantiles`); NaN for no one."""
    return float(weighted_quantiles(x, w, (q,))[0])


def _loss_share(w: F64, worst: F64 | None, total: float) -> float | None:
    """Weighted share whose worst year lost more than 20%; None without `worst`, NaN for no one."""
    if worst is None:
        return None
    return float(w @ (worst < -0.2) / total) if total > 0 else float("nan")


def _stats_row(qi: int, group: str, w: F64, bal: F64, rr: F64 | None, worst: F64 | None,
               rr_ss: F64 | None = None, worst_economic: F64 | None = None) -> dict[str, object]:
    """One row of the horizon table; the retirees' columns are None (null) without `rr`."""
    total = float(w.sum())
    retired = rr is not None
    return {
        "kind": "retired" if retired else "in_plan",
        "income_quintile": qi + 1,
        "age_group": group,
        "people": total,
        "mean_balance_usd": float(w @ bal / total) if total > 0 else float("nan"),
        "median_balance_usd": _wquantile(bal, w, 0.5),
        "p10_balance_usd": _wquantile(bal, w, 0.1),
        "median_replacement_rate": _wquantile(rr, w, 0.5) if retired else None,
        "p10_replacement_rate": _wquantile(rr, w, 0.1) if retired else None,
        "share_worst_year_loss_gt20": (float(w @ (worst < -0.2) / total) if total > 0 else float("nan"))
        if retired and worst is not None else None,
        "median_replacement_rate_with_ss": _wquantile(rr_ss, w, 0.5) if rr_ss is not None else None,
        "p10_replacement_rate_with_ss": _wquantile(rr_ss, w, 0.1) if rr_ss is not None else None,
        "share_short_of_target_with_ss": (float(w @ (rr_ss < REPLACEMENT_TARGET) / total) if total > 0 else float("nan"))
        if rr_ss is not None else None,
        "share_worst_year_loss_gt20_economic": _loss_share(w, worst_economic, total) if retired else None,
    }
