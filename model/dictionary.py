"""The data dictionary of every output table: unit, kind, dollars and definition of each column.

One entry per column *pattern* (``assets_usd__{asset}``), expanded over the model's own
lists (asset classes, channels, holdings, plan sizes), so a new asset class or channel is
documented the moment it is recorded. The same entries are

* stored in each Parquet file's schema (field metadata ``unit``, ``kind``, ``dollars``,
  ``description``) by `annotate`, which `model.outputs.parquet_bytes` applies to every
  table it writes (a run's series and horizon tables, a sweep's part files); and
* rendered into docs/outputs.md by `render_markdown` (``python -m alt401k.model.dictionary
  > docs/outputs.md`` rewrites it; a test checks that the committed file equals the rendering).

Money columns are nominal U.S. dollars; each has a constant-dollar twin named by
`model.reporters.real_name` (``_usd`` -> ``_usd2025``), documented from its nominal entry.
A sweep's columns are the run's columns plus run identifiers, swept parameters (one column
per lever or behavioural parameter, named as in the spec) and horizon summaries named
``SERIES__STAT``.
"""

from __future__ import annotations

import itertools
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass, replace

import pyarrow as pa

from ..base.assets import ALTERNATIVES, ASSET_CLASSES, CHANNELS, HOLDINGS, ILLIQUID
from ..base.strata import SIZE_CLASSES, VINTAGES
from .levers import LEVERS
from .reporters import HORIZON_COLUMNS, real_name

STOCK = "stock at month end"
FLOW = "flow during the month"
STATE = "state at month end"
LABEL = "label"
NOMINAL = "nominal"
REAL = "real (January 2025 dollars)"
SUMMARY_STATS: dict[str, str] = {
    "last": "value at the horizon (last month)",
    "mean": "mean over months 1 to the horizon",
    "sum": "sum over months 1 to the horizon",
    "min": "minimum over months 1 to the horizon",
    "max": "maximum over months 1 to the horizon",
}
"""How a sweep's horizon summary ``SERIES__STAT`` reduces a monthly series (month 0, the
initial state, is left out of all but 'last')."""
PLACEHOLDERS: dict[str, tuple[str, ...]] = {
    "asset": ASSET_CLASSES,
    "channel": CHANNELS,
    "holding": tuple(f"{c}__{a}" for c, a in HOLDINGS),
    "alt": ALTERNATIVES,
    "illiquid": ILLIQUID,
    "size": SIZE_CLASSES,
    "vintage": VINTAGES,
    "quintile": tuple(f"q{i}" for i in range(1, 6)),
}
"""What each ``{name}`` in a column pattern stands for."""
PLACEHOLDER_MEANING = {
    "asset": "asset class",
    "channel": "channel through which money reaches the class",
    "holding": "a saver's holding, CHANNEL__ASSET (the columns of an account)",
    "alt": "alternative asset class (EO 14330 §2)",
    "illiquid": "class held through semi-liquid vehicles with gated redemptions",
    "size": "plan size by active participants: <100, 100-999, 1,000-9,999, 10,000+",
    "vintage": "target-date vintage: the year the holders turn 65, to the nearest five (the first "
               "and last also hold everyone earlier and later)",
    "quintile": "income quintile of this year's pay among savers (q1 lowest)",
}


@dataclass(frozen=True)
class Column:
    """What one column (or a family of columns, by `pattern`) holds."""

    pattern: str
    """Column name, with ``{placeholder}`` parts expanded over `PLACEHOLDERS`."""
    unit: str
    """USD, share (0-1), persons, plans, lawsuits, index, months, text, ..."""
    kind: str
    """Stock at month end, flow during the month, state at month end, label, ..."""
    dollars: str
    """'nominal' or 'real (January 2025 dollars)' for money; '' otherwise."""
    definition: str

    def names(self) -> Iterator[str]:
        """Every concrete column name the pattern stands for."""
        keys = re.findall(r"{(\w+)}", self.pattern)
        for values in itertools.product(*(PLACEHOLDERS[k] for k in keys)):
            yield self.pattern.format(**dict(zip(keys, values, strict=True)))

    def metadata(self) -> dict[str, str]:
        """The Parquet field metadata of a column of this entry."""
        return {"unit": self.unit, "kind": self.kind, "dollars": self.dollars, "description": self.definition}


def _usd(pattern: str, kind: str, definition: str) -> Column:
    return Column(pattern, "USD", kind, NOMINAL, definition)


def _share(pattern: str, definition: str) -> Column:
    return Column(pattern, "share (0-1)", STATE, "", definition)


NATIONAL = "national (weighted to the whole U.S. 401(k) market)"
_FLOWS: dict[str, str] = {
    "contributions_usd": "employee salary deferrals paid in",
    "employer_usd": "employer contributions paid in: matching, and nonmatching (profit-sharing or nonelective) where the plan pays one",
    "rollovers_in_usd": "rollovers into 401(k) accounts from outside the system",
    "returns_usd": "investment gains (losses negative) on all holdings, before fees",
    "fees_usd": "asset-based fees paid out of accounts (funds, sleeves, recordkeeping)",
    "carry_usd": "carried interest paid to private-equity managers out of accounts",
    "hardship_usd": "hardship withdrawals",
    "cash_outs_usd": "cash-outs by savers leaving a job (taxable distributions)",
    "rollovers_out_usd": "rollovers out of the system by savers leaving a job",
    "retirement_usd": "balances leaving the system at retirement",
    "death_benefits_usd": "balances of participants who died, paid to their beneficiaries",
    "loan_offsets_usd": "loans outstanding of participants who left, offset against their accounts (distributed)",
    "termination_usd": "accounts of the plans that terminated this month, distributed (cash-outs, rollovers to "
                       "IRAs and loan offsets; already in those columns and in benefits_usd__{size}; ODD §7.12)",
    "loan_interest_usd": "interest participants paid on their plan loans, into their own accounts",
    "new_loans_usd": "principal of new plan loans, taken out of the investments (moves within accounts)",
    "loan_repayments_usd": "principal repaid on plan loans, back into the investments (moves within accounts)",
    "gated_refused_usd": "sales of standalone or window positions in gated vehicles that the "
                         "redemption gate refused this month (menu removals and savers' own sales); "
                         "a position refused again next month counts again next month, so a sum "
                         "over months counts refusals, not money (the money waiting: gated_stock_usd)",
    "illiquid_redemptions_usd": "redemptions from semi-liquid vehicles (savers' sales and the "
                                "default funds' gated rebalancing sales)",
    "managed_account_fees_usd": "advisory fees of the managed-account service paid out of managed savers' "
                                "accounts, on top of the funds' fees in fees_usd (ODD §7.14)",
}

SERIES: tuple[Column, ...] = (
    Column("date", "YYYY-MM", LABEL, "", "the model's calendar month when the row was recorded: the start "
           "month for the initial state, then the month after each step (January's step is dated 2025-02)"),
    Column("month", "months", LABEL, "", "months since the start; 0 is the initial state (t0), before any step"),
    _usd("assets_usd", STOCK, f"assets in all 401(k) accounts, participant loans included, {NATIONAL}"),
    _usd("loans_usd", STOCK, "participant loans outstanding (plan assets; not invested in any asset class)"),
    _usd("assets_usd__{asset}", STOCK, "assets in the asset class, through every channel"),
    _usd("assets_usd__{channel}", STOCK, "assets held through the channel, every class"),
    _usd("assets_usd__{holding}", STOCK, "assets in one holding (channel and class)"),
    Column("participants", "persons", STOCK, "", "eligible employees, enrolled or not: the Form 5500 count of a "
           f"401(k) plan's active participants (ODD §7.12), {NATIONAL}"),
    Column("enrolled_participants", "persons", STOCK, "", "participants enrolled in their plan (deferring, or "
           "auto-enrolled and not opted out)"),
    _usd("mean_balance_usd", STOCK, "mean account balance per participant"),
    _share("default_fund_share_of_assets", "share of assets held in plans' default funds (QDIA)"),
    _share("participants_in_default_fund_share", "share of participants with a balance in the default fund"),
    _usd("mutual_fund_hybrid_usd", STOCK, "default-fund assets held through mutual funds "
         "(a fixed share, `initial.mutual_fund_share`, for comparison with ICI's mutual-fund data)"),
    _usd("mutual_fund_equity_usd", STOCK, "core-menu and window equity held through mutual funds (as above)"),
    _usd("mutual_fund_assets_usd", STOCK, "all 401(k) assets held through mutual funds (as above)"),
    Column("plans", "plans", STOCK, "", f"401(k) plans, {NATIONAL}"),
    _share("share_plans_offering_any_alt", "share of plans offering any alternative through any channel"),
    _share("share_plans_offering__default_fund", "share of plans whose default fund holds alternatives"),
    _share("share_plans_offering__standalone", "share of plans with a standalone alternative option on the menu"),
    _share("share_plans_offering__window", "share of plans offering a self-directed brokerage window"),
    _share("share_plans_offering__{alt}", "share of plans offering the class, as a standalone option or in the default fund"),
    _share("share_plans_offering_any_alt__{size}", "share of plans of the size class offering any alternative"),
    _share("share_plans_auto_enrolling", "share of plans enrolling new hires automatically"),
    _share("share_plans_tdf_default", "share of plans whose default fund is a target-date fund (the others: "
           "money market or balanced)"),
    _share("share_savers_exposed_any_alt", "share of participants holding more than half a cent in any alternative, any channel"),
    _share("share_savers_exposed__{alt}", "share of participants holding more than half a cent in the class, any channel"),
    _share("share_near_retirees_worst_year_loss_gt20", "share of participants aged 55-64 whose worst calendar-year "
           "return on their account so far was below -20%"),
    _share("share_at_default_deferral", "share of participants auto-enrolled at their plan's default deferral rate"),
    Column("price_index__{asset}", "index (1 at t0)", STATE, "", "economic value of the class (total return), after flow feedback"),
    Column("reported_index__{asset}", "index (1 at t0)", STATE, "", "reported value (NAV) of the class: smoothed and "
           "lagged for illiquid classes, the price index otherwise"),
    Column("valuation_gap__{illiquid}", "fraction", STATE, "", "reported_index / price_index - 1"),
    _usd("assets_economic_usd", STOCK, "401(k) assets at economic values: each class's holdings times its "
         "price_index / reported_index (ODD §7.11)"),
    _usd("valuation_gap_usd", STOCK, "assets_usd - assets_economic_usd: what smoothed NAVs of illiquid classes "
         "report above (or below) economic value"),
    Column("equity_drawdown", "fraction (<= 0)", STATE, "", "equity price index over its running peak, minus 1"),
    Column("crypto_drawdown", "fraction (<= 0)", STATE, "", "crypto price index over its running peak, minus 1"),
    Column("cpi_index", "index (1 in January 2025)", STATE, "", "consumer prices (CPI-U); the deflator of every real column"),
    Column("wage_index", "index (1 at t0)", STATE, "", "nominal wage level"),
    Column("employment_index", "index (1 at t0)", STATE, "", "covered employment"),
    Column("unemployment_rate", "share (0-1)", STATE, "", "unemployment rate"),
    Column("layoff_rate", "share (0-1) a month", FLOW, "", "share of workers laid off this month"),
    *(_usd(name, FLOW, text) for name, text in _FLOWS.items()),
    _usd("sleeve_over_target_usd", FLOW, "pooled default funds' illiquid sleeves above their target weight just "
         "after this month's rebalancing: the funds' sales the gate refused this month (the month-end stock: "
         "gated_stock_default_funds_usd)"),
    _usd("sleeve_forced_sales_usd", FLOW, "sleeve sold by pooled default funds outside their gates because "
         "redemptions exceeded the fund's liquid assets (a fund whose holders left; ODD §7.5)"),
    _usd("stale_nav_transfer_usd", FLOW, "value moved between holders of pooled default funds by units bought "
         "and sold at reported (smoothed) NAVs while economic values differ: the gains of those who gained, "
         "at economic values (ODD §7.11)"),
    _usd("stale_nav_gain_usd__{quintile}", FLOW, "net gain of the quintile's savers from stale-NAV trades "
         "(negative: it paid others; the quintiles add up to zero)"),
    _usd("stale_nav_gain_usd__{vintage}", FLOW, "net gain of the vintage's funds from trading units of their "
         "series' private-markets pool with other vintages at reported NAV (across cohorts; the vintages add "
         "up to zero)"),
    _usd("withdrawals_usd", FLOW, "everything that left the system: hardship + cash_outs + rollovers_out + retirement"),
    _usd("fee_revenue_tdf_managers_usd", FLOW, "fees earned by target-date (default) fund managers"),
    _usd("fee_revenue_partners_usd", FLOW, "fees and carry earned by the private-market partners of alternative sleeves"),
    _usd("fee_revenue_core_and_window_usd", FLOW, "fees earned on the core menu, standalone options and windows"),
    _usd("fees_on_alternatives_usd", FLOW, "fees on alternative holdings, plus carry"),
    Column("plans_terminated", "plans", FLOW, "", f"plans that terminated and distributed their assets this month, "
           f"{NATIONAL}; as many new plans were formed in their place (ODD §7.12)"),
    Column("lawsuits", "lawsuits", FLOW, "", f"expected excess-fee lawsuits filed this month, {NATIONAL}"),
    Column("lawsuits_against_adopters", "lawsuits", FLOW, "", "of which against plans offering alternatives"),
    _usd("net_flow_usd__{alt}", FLOW, "net money moved into the class (purchases less sales and outflows)"),
    _usd("inflows_usd__{size}", FLOW, "employee and employer contributions and rollovers in at plans of the size "
         "class (Form 5500's 'total contributions' of 401(k)-type plans count the same)"),
    _usd("benefits_usd__{size}", FLOW, "benefits paid (withdrawals_usd: retirement, rollovers out, cash-outs, "
         "deaths, hardship, loan offsets) at plans of the size class"),
    Column("lawsuits_over_alternatives", "lawsuits", FLOW, "", "of the lawsuits filed, those over the plan's "
           "alternative investments (the part of the hazard their losses add)"),
    Column("lawsuits_participants", "persons", FLOW, "", "participants of the plans sued this month"),
    Column("lawsuits_dismissed", "lawsuits", FLOW, "", "lawsuits dismissed with prejudice on the motion to "
           "dismiss this month (the pleading standard in force, `litigation.dismissal.*`)"),
    Column("lawsuits_defence_wins", "lawsuits", FLOW, "", "lawsuits that survived the motion and were won by "
           "the defence at summary judgment or trial this month"),
    Column("lawsuits_settled", "lawsuits", FLOW, "", "lawsuits settled this month"),
    _usd("settlements_usd", FLOW, "settlements paid this month by the sued sponsors and their fiduciary insurers "
         "to the classes (sized on the plan's assets at filing); not taken from accounts"),
    Column("settlements_participants", "persons", FLOW, "", "participants of the plans whose suits settled this month"),
    Column("lawsuits_pending", "lawsuits", STOCK, "", "lawsuits filed and not yet dismissed, won or settled"),
    Column("lawsuits__{size}", "lawsuits", FLOW, "", "expected lawsuits filed this month against plans of the size class"),
    _usd("gated_stock_usd", STOCK, "positions waiting behind redemption gates at month end: "
         "gated_stock_savers_usd + gated_stock_default_funds_usd (each position once, however long it waits)"),
    _usd("gated_stock_savers_usd", STOCK, "savers' standalone or window positions in gated vehicles that "
         "left their menu and that the gate has not yet let out"),
    _usd("gated_stock_default_funds_usd", STOCK, "pooled default funds' private-market sleeves above their "
         "target weight at month end, waiting for the gate to sell them down"),
    Column("gated_months_to_liquidate", "months", STATE, "", "months the gate needs to let gated_stock_usd "
           "out at this month's pace (the gate's monthly share of the whole positions the stock sits in); "
           "0 with nothing gated, NaN with a closed gate; a lower bound, as the pace falls with the positions"),
    _share("sleeve_over_target_share", "denominator effect: default funds' sleeves above target "
           "(gated_stock_default_funds_usd) as a share of the assets of the pooled default funds that hold "
           "sleeve money"),
    _share("sleeve_over_target_share__{vintage}", "the same, for the funds of one target-date vintage (the "
           "income funds count with the first)"),
    Column("managed_account_participants", "persons", STOCK, "", "participants enrolled in their plan's "
           "managed-account service (ODD §7.14)"),
    _usd("managed_account_assets_usd", STOCK, "assets of the participants in managed accounts"),
    _usd("managed_account_alternatives_usd", STOCK, "alternatives held in managed accounts: the service's "
         "private-markets sleeve in the standalone vehicles (compare assets_usd__default_fund__{illiquid} for "
         "the default funds' sleeves)"),
    _share("share_plans_offering_managed_account", "share of plans offering their recordkeeper's managed-account service"),
    _share("share_plans_managed_account_qdia", "share of plans whose QDIA is the managed account"),
    _share("share_plans_managed_account_sleeve", "share of plans whose managed-account service holds a "
           "private-markets sleeve"),
    _share("share_near_retirees_worst_year_loss_gt20_economic", "share of participants aged 55-64 whose worst "
           "calendar-year return so far, at economic values (smoothed NAVs re-marked to the classes' price "
           "indices, ODD §7.11), was below -20%"),
)
"""series.parquet: one row per month (t0 first), national series."""

_HORIZON_UNITS: dict[str, tuple[str, str, str]] = {
    "kind": ("text", LABEL, ""),
    "income_quintile": ("quintile (1-5)", LABEL, ""),
    "age_group": ("text", LABEL, ""),
    "people": ("persons", "stock at the horizon", ""),
    "mean_balance_usd": ("USD", "stock at the horizon or at retirement", NOMINAL),
    "median_balance_usd": ("USD", "stock at the horizon or at retirement", NOMINAL),
    "p10_balance_usd": ("USD", "stock at the horizon or at retirement", NOMINAL),
    "median_replacement_rate": ("ratio", "at retirement", ""),
    "p10_replacement_rate": ("ratio", "at retirement", ""),
    "share_worst_year_loss_gt20": ("share (0-1)", "at retirement", ""),
    "share_worst_year_loss_gt20_economic": ("share (0-1)", "at retirement", ""),
    "median_replacement_rate_with_ss": ("ratio", "at retirement", ""),
    "p10_replacement_rate_with_ss": ("ratio", "at retirement", ""),
    "share_short_of_target_with_ss": ("share (0-1)", "at retirement", ""),
}
"""Unit, kind and dollars of the horizon table's columns; the definitions are the
descriptions in `model.reporters.HORIZON_COLUMNS`, which the table carries already."""
HORIZON: tuple[Column, ...] = tuple(
    Column(name, *_HORIZON_UNITS[name], text) for name, (_, text) in HORIZON_COLUMNS.items()
)
"""horizon.parquet: wealth at the horizon by income quintile and age group, and retirees."""

SWEEP: tuple[Column, ...] = (
    Column("run_id", "id", LABEL, "", "run number in the sweep (scenario, then design point, then replication)"),
    Column("design_point", "id", LABEL, "", "design point (one combination of swept values)"),
    Column("sample_index", "id", LABEL, "", "row of the design's sample matrix the point comes from (0 for a plain grid)"),
    Column("replication", "id", LABEL, "", "replication k; replication k of every point sees the same random draws"),
    Column("scenario", "text", LABEL, "", "bundled scenario the run starts from"),
    _usd("assets_usd__alternatives", STOCK, "assets in all alternative classes (sum of assets_usd__ALT)"),
)
"""Columns only a sweep's part files have, besides parameters and summaries."""
PARAMETER = Column("LEVER or SECTION.PARAMETER", "as the lever or parameter", "parameter", "",
                   "the run's value of a swept policy lever (its unit and meaning in the lever "
                   "registry, model/levers.py) or behavioural parameter (docs/calibration.md)")
SCENARIO_PARAMETER = Column("scenario.NAME", "months after the start", "parameter", "",
                            "a sampled date parameter of the scenario (e.g. safe_harbor_effective): the "
                            "first of the month that many months after the run's start")
SUMMARY = Column("SERIES__STAT", "as SERIES", "summary of a monthly series", "as SERIES",
                 "the series reduced over the run: " + "; ".join(f"{k}: {v}" for k, v in SUMMARY_STATS.items()))


def _with_twins(entries: tuple[Column, ...]) -> dict[str, Column]:
    """Concrete name -> entry, with the real twin of every nominal money column."""
    out: dict[str, Column] = {}
    for entry in entries:
        for name in entry.names():
            out[name] = replace(entry, pattern=name)
            twin = real_name(name) if entry.dollars == NOMINAL else None
            if twin is not None:
                out[twin] = replace(entry, pattern=twin, unit="USD of January 2025", dollars=REAL,
                                    definition=f"{name} deflated by cpi_index")
    return out


_KNOWN: dict[str, Column] = _with_twins(SERIES + HORIZON + SWEEP)


def describe(column: str) -> Column | None:
    """The dictionary entry of a concrete column name of any output table, or None."""
    if column in _KNOWN:
        return _KNOWN[column]
    if column in LEVERS:
        lever = LEVERS[column]
        return Column(column, lever.unit, "parameter", "", f"swept policy lever: {lever.description}")
    series, _, stat = column.rpartition("__")
    if stat in SUMMARY_STATS and series in _KNOWN:
        base = _KNOWN[series]
        return replace(base, pattern=column, kind=f"summary: {SUMMARY_STATS[stat]}",
                       definition=f"{base.definition} ({SUMMARY_STATS[stat]})")
    if column.startswith("scenario."):
        return Column(column, "months after the start", "parameter", "",
                      f"sampled date of the scenario parameter {column.removeprefix('scenario.')} "
                      "(the first of the month that many months after the run's start)")
    if "." in column:
        return Column(column, "as in docs/calibration.md", "parameter", "",
                      f"swept behavioural or market parameter {column} (RunConfig key)")
    return None


def annotate(table: pa.Table) -> pa.Table:
    """`table` with each documented column's entry in its field metadata (kept keys merged)."""
    fields = []
    for field in table.schema:
        entry = describe(field.name)
        if entry is not None:
            field = field.with_metadata({**(field.metadata or {}), **{k.encode(): v.encode() for k, v in entry.metadata().items()}})
        fields.append(field)
    return pa.Table.from_arrays(table.columns, schema=pa.schema(fields, metadata=table.schema.metadata))


def _table(entries: tuple[Column, ...]) -> list[str]:
    rows = ["| Column | Unit | Kind | Dollars | Definition |", "|---|---|---|---|---|"]
    rows += [f"| `{e.pattern}` | {e.unit} | {e.kind} | {e.dollars or '—'} | {e.definition} |" for e in entries]
    return rows


def render_markdown() -> str:
    """The text of docs/outputs.md, generated from the entries above."""
    lines = [
        "# Output data dictionary",
        "",
        "Generated from `model/dictionary.py` by `python -m alt401k.model.dictionary > docs/outputs.md`;",
        "do not edit by hand (a test fails when this file and the code disagree). The same unit, kind,",
        "dollars and description are stored in every Parquet file the model writes, as field",
        "metadata (`pyarrow.parquet.read_schema(path).field(name).metadata`).",
        "",
        "Dollars: every money column is nominal U.S. dollars of the whole 401(k) market, and has a",
        "real twin in constant January-2025 dollars, named with `_usd2025` in place of `_usd`",
        "(`assets_usd2025__equity`), equal to the nominal column divided by `cpi_index`.",
        "National means weighted: each simulated saver and plan stands for many real ones.",
        "",
        "Placeholders in column names:",
        "",
        *(f"- `{{{k}}}`: {PLACEHOLDER_MEANING[k]}: {', '.join(f'`{v}`' for v in values)}" for k, values in PLACEHOLDERS.items()),
        "",
        "## series.parquet",
        "",
        "One row per month, the initial state (month 0) first.",
        "",
        *_table(SERIES),
        "",
        "## horizon.parquet",
        "",
        "One row per income quintile and age group for savers in a plan at the horizon",
        "(`kind` = `in_plan`), then one per income quintile for everyone who retired during the",
        "run (`kind` = `retired`). A column that does not apply to a row is null; NaN means no one",
        "was in the group.",
        "",
        *_table(HORIZON),
        "",
        "## Sweep tables",
        "",
        "A sweep directory (docs/sweeps.md) holds three tables, one Parquet part per run:",
        "`parts/` (monthly rows, every `outputs.every` months), `horizon/` (one row per run) and",
        "`tables/` (the run's horizon table). Each starts with the run identifiers and one column",
        "per swept lever or parameter; then `parts/` has `date`, `month` and the spec's monthly",
        "series, `horizon/` the spec's horizon summaries, and `tables/` the columns of",
        "horizon.parquet. Series are those of series.parquet, plus:",
        "",
        *_table(SWEEP + (PARAMETER, SCENARIO_PARAMETER, SUMMARY)),
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.stdout.write(render_markdown())  # python -m alt401k.model.dictionary > docs/outputs.md


__all__ = ["HORIZON", "PLACEHOLDERS", "SERIES", "SWEEP", "Column", "annotate", "describe", "render_markdown"]
