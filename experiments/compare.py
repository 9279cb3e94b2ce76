"""Paired comparison of regulatory variants with a baseline, on the sweep runner.

`alt401k compare VARIANT... --baseline status-quo` checks its arguments (every scenario
loads, at least two replications, a discount rate in [0, 1)) before it writes anything, builds
a sweep spec (every variant and the baseline, R replications each), runs it with
`sweep.run_sweep` (parallel, resumable; replication k of every scenario shares its random
draws), and turns the part files into tables of paired differences: for each outcome and
replication, variant minus baseline, summarised as the mean and a 90% Student-t interval
over replications (`metrics.interval`), next to the baseline's mean level. `report.py`
renders the tables as HTML and Markdown.

Output directory::

    compare-spec.toml   the generated sweep spec
    sweep/              the sweep (parts/, horizon/, tables/)
    tables/SECTION.csv  one table per report section;  comparison.csv  all of them
    report.html         self-contained (figures inlined as base64 PNG);  report.md

If the comparison fails before any run has finished, what it created is removed; finished
runs are kept, so the same command resumes them.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..base.assets import ALT_CHANNELS, ALTERNATIVES
from ..base.strata import SIZE_CLASSES, VINTAGES
from ..model.errors import InputError
from . import adequacy, adequacy_groups, metrics, valuation

USD_BN = 1e9
MILESTONES = ("2030-01", "2035-01")
"""Dates (the month's record) reported 'by 2030' and 'by 2035', besides the horizon."""
MIN_REPLICATIONS = 2
"""A 90% interval of paired differences needs at least two replications."""
FEE_COLUMNS = ("fees_usd", "carry_usd", "fee_revenue_tdf_managers_usd", "fee_revenue_partners_usd",
               "fee_revenue_core_and_window_usd", "fees_on_alternatives_usd")
LIQUIDITY_STOCKS = ("gated_stock_usd", "gated_stock_savers_usd", "gated_stock_default_funds_usd")
"""Month-end stocks of positions waiting behind gates: reported at their peak month, never summed."""
LIQUIDITY_FLOWS = ("gated_refused_usd", "sleeve_over_target_usd", "illiquid_redemptions_usd", "sleeve_forced_sales_usd")
"""Monthly flows: reported as the largest month and the mean month (a sum over months of a
refusal that repeats every month would count the same dollars again)."""
LIQUIDITY_COLUMNS = (*LIQUIDITY_STOCKS, *LIQUIDITY_FLOWS, "gated_months_to_liquidate", "sleeve_over_target_share",
                     *(f"sleeve_over_target_share__{v}" for v in VINTAGES))
TRANSFER_COLUMNS = ("stale_nav_transfer_usd2025", *(f"stale_nav_gain_usd2025__q{q}" for q in range(1, 6)),
                    *(f"stale_nav_gain_usd2025__{v}" for v in VINTAGES))
"""Stale-NAV transfers in the pooled default funds (ODD §7.11), 2025 dollars."""
REAL_ASSET_COLUMNS = ("assets_usd2025__alternatives", *(f"assets_usd2025__{a}" for a in ALTERNATIVES))
"""Alternative assets in constant January-2025 dollars (`model.reporters.real_name`)."""
REAL, NOMINAL = "USD bn, 2025 dollars", "USD bn, nominal"
"""Units of dollar rows: constant January-2025 dollars (the default) and nominal beside them."""
FEE_WINDOW_YEARS = 10
"""Years of fees a Circular A-4 style present value covers (OMB Circular A-4, 2003, section E)."""
SECTIONS = ("assets", "net_flows", "adoption", "exposure", "fees", "wealth", "replacement", "adequacy",
            "near_retirees", "lawsuits", "liquidity", "transfers")
SECTION_TITLES = {
    "assets": "Assets in alternatives by channel (USD bn, national)",
    "net_flows": "Cumulative net flows into alternatives (USD bn)",
    "adoption": "Share of plans offering alternatives, by channel and plan size",
    "exposure": "Share of savers exposed to alternatives",
    "fees": "Fees paid by savers and revenue earned (present value, USD bn)",
    "wealth": "Balances at the horizon by income quintile and age group (USD)",
    "replacement": "Savers who retired during the run, by income quintile: replacement rates, and worst-year "
                   "losses on reported NAVs and on economic values",
    "adequacy": "Retirement adequacy of savers who retired during the run, by income quintile, birth cohort and "
                "plan size: replacement rates with Social Security, the probability of falling short of 70% and "
                "60% of final pay, and certainty-equivalent retirement wealth (CRRA, gamma 3)",
    "near_retirees": "Losses on reported NAVs and on economic values: near-retirees (55-64) whose worst year "
                     "lost more than 20%, and the largest fall of 401(k) assets from a peak",
    "lawsuits": "Lawsuits (count over the run)",
    "liquidity": "Liquidity: positions behind gates (month-end stocks, peak), sales refused by gates (per "
                 "month), time to liquidate, and the denominator effect by target-date vintage",
    "transfers": "Stale-NAV transfers in the pooled default funds over the run (USD bn, 2025 dollars): value "
                 "moved, net gains by income quintile and, through the series' private-markets pools, by vintage",
}


def monthly_columns() -> list[str]:
    """Series the comparison keeps, every month."""
    cols = [f"assets_usd__{c}__{a}" for c in ALT_CHANNELS for a in ALTERNATIVES]
    cols += [f"assets_usd__{a}" for a in ALTERNATIVES] + ["assets_usd__alternatives", "assets_usd"]
    cols += [f"net_flow_usd__{a}" for a in ALTERNATIVES]
    cols += ["share_plans_offering_any_alt"] + [f"share_plans_offering__{c}" for c in ALT_CHANNELS]
    cols += [f"share_plans_offering_any_alt__{s}" for s in SIZE_CLASSES]
    cols += ["share_savers_exposed_any_alt"] + [f"share_savers_exposed__{a}" for a in ALTERNATIVES]
    cols += list(FEE_COLUMNS) + ["share_near_retirees_worst_year_loss_gt20", "lawsuits",
                                 "lawsuits_against_adopters"] + list(LIQUIDITY_COLUMNS)
    cols += [*REAL_ASSET_COLUMNS, "fees_usd2025", "carry_usd2025", "fees_on_alternatives_usd2025", "participants",
             "assets_economic_usd", "share_near_retirees_worst_year_loss_gt20_economic"]
    cols += list(TRANSFER_COLUMNS)
    return cols


def compare_spec(variants: list[str], baseline: str, replications: int, n_savers: int, years: int,
                 n_sponsors: int = 200, master_seed: int = 20250807,
                 market_path: str | None = None) -> dict[str, Any]:
    """The sweep spec (as TOML data) of a comparison: baseline first, then the variants."""
    data: dict[str, Any] = {
        "title": f"compare {', '.join(variants)} with {baseline}",
        "scenarios": [baseline, *[v for v in variants if v != baseline]],
        "design": "grid", "replications": replications, "master_seed": master_seed,
        "years": years, "n_savers": n_savers, "n_sponsors": n_sponsors,
        "outputs": {"every": 1, "monthly": monthly_columns(), "horizon_table": True},
    }
    if market_path:
        data["market_path"] = market_path
    return data


def write_spec(data: dict[str, Any], path: Path) -> Path:
    """Write spec data as TOML (the sweep runner reads specs from files)."""
    import tomli_w

    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(tomli_w.dumps(data), encoding="utf-8")
    return path


@dataclass(frozen=True)
class CompareResult:
    """Where a comparison wrote its outputs, and its tables."""

    out_dir: Path
    tables: dict[str, pd.DataFrame]
    summaries: dict[str, str]


def check_inputs(variants: list[str], baseline: str, replications: int, n_savers: int, years: int,
                 discount_rate: float, n_jobs: int | None = None) -> None:
    """Refuse arguments that cannot give a meaningful comparison, naming the user's argument.

    Runs before anything is written or simulated: every variant and the baseline must load,
    a 90% interval needs `MIN_REPLICATIONS`, and the discount rate is an annual fraction in
    [0, 1) (a negative rate or one of 100% or more is almost surely a typo, e.g. 3 for 3%).
    """
    if not variants:
        raise InputError("VARIANT", "", "name at least one variant")
    for option, value in (("--savers", n_savers), ("--years", years)):
        if value < 1:
            raise InputError(option, str(value), "must be positive")
    if replications < MIN_REPLICATIONS:
        raise InputError("--replications", str(replications), f"must be at least {MIN_REPLICATIONS}: "
                         "a 90% interval of paired differences needs two replications or more")
    if not 0 <= discount_rate < 1:
        raise InputError("--discount-rate", f"{discount_rate:g}",
                         "must be an annual rate as a fraction in [0, 1), e.g. 0.03 for 3%")
    if n_jobs is not None and n_jobs == 0:
        raise InputError("--n-jobs", "0", "must be a positive number of workers (or -1: all cores)")
    for name in variants:
        check_scenario(f"VARIANT {name!r}", name)
    check_scenario(f"--baseline {baseline!r}", baseline)


def check_scenario(argument: str, name: str) -> None:
    """InputError naming `argument` unless `name` is a bundled scenario or a loadable file."""
    from ..model.policy import list_scenarios, load_scenario

    is_path = "/" in name or "\\" in name or Path(name).suffix != ""
    if not is_path:
        bundled = [n for n, _ in list_scenarios()]
        if name not in bundled:
            raise InputError(argument, "", f"unknown scenario; bundled: {', '.join(bundled)}")
    elif not Path(name).is_file():
        raise InputError(argument, "", "no such scenario file")
    load_scenario(name)  # a malformed file: the error names the file and the field


def spec_digest(data: dict[str, Any]) -> str:
    """Validate spec data as the sweep runner will, and return the hash it will record."""
    from .sweep_spec import load_spec

    with tempfile.TemporaryDirectory(prefix="alt401k-compare-") as tmp:
        _, digest = load_spec(write_spec(data, Path(tmp) / "compare-spec.toml"))
    return digest


def check_out_dir(out_dir: Path, digest: str, force: bool) -> None:
    """Refuse, before writing, an --out that holds a comparison of other settings (unless `force`)."""
    meta = out_dir / "sweep" / "sweep.json"
    if force or not meta.is_file():
        return
    try:
        old = json.loads(meta.read_text()).get("spec_hash")
    except (OSError, ValueError):
        old = None
    if old != digest:
        raise InputError(f"--out {out_dir}", "", "holds a comparison of other settings (scenarios, "
                         "replications, savers or years); use --force to discard it or choose another --out")


def run_compare(variants: list[str], baseline: str = "status-quo", replications: int = 5,
                n_savers: int = 5000, years: int = 30, n_jobs: int | None = None,
                out: str | Path | None = None, force: bool = False,
                discount_rate: float = metrics.DISCOUNT_RATE_ANNUAL, progress: bool = True,
                market_path: str | None = None) -> CompareResult:
    """Run (or resume) the comparison sweep and write tables and reports under `out`.

    Every argument is checked before anything is written; if the comparison then fails
    before a run has finished, the files it created are removed again.
    """
    check_inputs(variants, baseline, replications, n_savers, years, discount_rate, n_jobs)
    out_dir = Path(out) if out else Path("results/compare") / "+".join(Path(v).stem for v in variants)
    data = compare_spec(variants, baseline, replications, n_savers, years, market_path=market_path)
    check_out_dir(out_dir, spec_digest(data), force)
    undo = Undo.before(out_dir)
    try:
        return _run_checked(data, variants, baseline, out_dir, n_jobs, force, discount_rate, progress)
    except BaseException:
        undo.restore()
        raise


def _run_checked(data: dict[str, Any], variants: list[str], baseline: str, out_dir: Path,
                 n_jobs: int | None, force: bool, discount_rate: float, progress: bool) -> CompareResult:
    from . import sweep
    from .report import write_reports

    spec_path = write_spec(data, out_dir / "compare-spec.toml")
    result = sweep.run_sweep(spec_path, out_dir / "sweep", n_jobs=n_jobs, force=force, progress=progress)
    if result.failed:
        raise InputError(out_dir / "sweep", "failed", f"runs {result.failed} failed; see sweep/failed/")
    tables = comparison_tables(out_dir / "sweep", baseline, discount_rate)
    summaries = {v: summary_paragraph(tables, v, baseline, discount_rate) for v in _variants(tables)}
    write_reports(out_dir, tables, summaries, baseline=baseline, sizes={
        "replications": data["replications"], "n_savers": data["n_savers"], "years": data["years"],
        "discount_rate": discount_rate}, sweep_dir=out_dir / "sweep")
    return CompareResult(out_dir, tables, summaries)


@dataclass(frozen=True)
class Undo:
    """What a comparison directory held before a run, so a failed run can leave it as it was.

    Finished runs are computed work: once one exists that was not there before, nothing is
    removed, and rerunning the same command resumes the sweep.
    """

    out_dir: Path
    existed: bool
    spec: bytes | None
    sweep_existed: bool
    parts: frozenset[str]

    @classmethod
    def before(cls, out_dir: Path) -> Undo:
        spec = out_dir / "compare-spec.toml"
        return cls(out_dir, out_dir.exists(), spec.read_bytes() if spec.is_file() else None,
                   (out_dir / "sweep").exists(), frozenset(cls._parts(out_dir)))

    @staticmethod
    def _parts(out_dir: Path) -> list[str]:
        return [p.name for p in (out_dir / "sweep" / "parts").glob("*.parquet")]

    def restore(self) -> None:
        """Remove what the failed run created, unless it finished a run."""
        if set(self._parts(self.out_dir)) - self.parts:
            return
        if not self.existed:
            shutil.rmtree(self.out_dir, ignore_errors=True)
            return
        spec = self.out_dir / "compare-spec.toml"
        if self.spec is None:
            spec.unlink(missing_ok=True)
        else:
            spec.write_bytes(self.spec)
        if not self.sweep_existed:
            shutil.rmtree(self.out_dir / "sweep", ignore_errors=True)


# ----------------------------------------------------------------------------- outcomes


def _at(run: pd.DataFrame, when: str) -> pd.Series | None:
    """The run's record at date `when` ('horizon': the last month), or None if outside."""
    if when == "horizon":
        return run.iloc[-1]
    hit = run.loc[run["date"] == when]
    return None if hit.empty else hit.iloc[0]


def run_outcomes(run: pd.DataFrame, discount_rate: float) -> list[tuple[str, str, str, str, str, float]]:
    """Scalar outcomes of one run's monthly rows (sorted by month, month 0 first).

    Returns (section, metric, group, when, unit, value) tuples; dollars in USD bn.
    """
    run = run.sort_values("month")
    after = run[run["month"] > 0]
    rows: list[tuple[str, str, str, str, str, float]] = []
    for when in (*MILESTONES, "horizon"):
        rec = _at(run, when)
        if rec is None:
            continue
        upto = after[after["month"] <= rec["month"]]
        rows.append(("assets", "all alternatives", "all channels", when, NOMINAL,
                     rec["assets_usd__alternatives"] / USD_BN))
        rows.append(("assets", "all alternatives", "all channels", when, REAL,
                     rec["assets_usd2025__alternatives"] / USD_BN))
        for a in ALTERNATIVES:
            rows.append(("assets", a, "all channels", when, REAL, rec[f"assets_usd2025__{a}"] / USD_BN))
            rows.append(("assets", a, "all channels", when, NOMINAL, rec[f"assets_usd__{a}"] / USD_BN))
            for c in ALT_CHANNELS:
                rows.append(("assets", a, c, when, NOMINAL, rec[f"assets_usd__{c}__{a}"] / USD_BN))
        flows = {a: float(upto[f"net_flow_usd__{a}"].sum()) for a in ALTERNATIVES}
        rows.append(("net_flows", "all alternatives", "cumulative", when, NOMINAL, sum(flows.values()) / USD_BN))
        rows += [("net_flows", a, "cumulative", when, NOMINAL, v / USD_BN) for a, v in flows.items()]
        rows.append(("adoption", "any alternative", "all plans", when, "share of plans",
                     rec["share_plans_offering_any_alt"]))
        rows += [("adoption", "any alternative", f"size {s}", when, "share of plans",
                  rec[f"share_plans_offering_any_alt__{s}"]) for s in SIZE_CLASSES]
        rows += [("adoption", f"via {c}", "all plans", when, "share of plans",
                  rec[f"share_plans_offering__{c}"]) for c in ALT_CHANNELS]
        rows.append(("exposure", "any alternative", "all savers", when, "share of savers",
                     rec["share_savers_exposed_any_alt"]))
        rows += [("exposure", a, "all savers", when, "share of savers", rec[f"share_savers_exposed__{a}"])
                 for a in ALTERNATIVES]
        rows.append(("exposure", "participants affected (any alternative)", "all savers", when,
                     "million participants", rec["share_savers_exposed_any_alt"] * rec["participants"] / 1e6))
        rows.append(("near_retirees", "worst-year loss > 20%", "age 55-64, reported NAV", when,
                     "share of near-retirees", rec["share_near_retirees_worst_year_loss_gt20"]))
        rows.append(("near_retirees", "worst-year loss > 20%", "age 55-64, economic value", when,
                     "share of near-retirees", rec["share_near_retirees_worst_year_loss_gt20_economic"]))
        for basis, column in (("reported NAV", "assets_usd"), ("economic value", "assets_economic_usd")):
            rows.append(("near_retirees", "largest fall of 401(k) assets from a peak", basis, when,
                         "share of assets", valuation.drawdown(run[run["month"] <= rec["month"]][column].to_numpy())))
    months = after["month"].to_numpy()
    span = f"PV {run['date'].iloc[0]}..{run['date'].iloc[-1]} @ {discount_rate:.1%}"
    pv = {c: metrics.present_value(after[c].to_numpy(), months, discount_rate) / USD_BN for c in FEE_COLUMNS}
    rows += [
        ("fees", "paid by savers (incl. carry)", "savers", span, NOMINAL, pv["fees_usd"] + pv["carry_usd"]),
        ("fees", "of which on alternatives", "savers", span, NOMINAL, pv["fees_on_alternatives_usd"]),
        ("fees", "revenue", "TDF managers", span, NOMINAL, pv["fee_revenue_tdf_managers_usd"]),
        ("fees", "revenue", "private-market partners", span, NOMINAL, pv["fee_revenue_partners_usd"]),
        ("fees", "revenue", "core menu and window funds", span, NOMINAL, pv["fee_revenue_core_and_window_usd"]),
    ]
    rows += policy_unit_outcomes(after)
    rows += [("lawsuits", "filed", "all plans", "whole run", "count", float(after["lawsuits"].sum())),
             ("lawsuits", "filed against adopters", "all plans", "whole run", "count",
              float(after["lawsuits_against_adopters"].sum()))]
    return rows + liquidity_outcomes(after) + transfer_outcomes(after)


def transfer_outcomes(after: pd.DataFrame) -> list[tuple[str, str, str, str, str, float]]:
    """Stale-NAV transfers of one run's months 1.. (ODD §7.11), summed over the run in
    constant 2025 dollars (flows: each month's transfer is new money moved): the value
    moved, and each income quintile's and each vintage's net gain (negative: it paid)."""
    rows = [("transfers", "stale-NAV transfers: value moved", "savers", "whole run", REAL,
             float(after["stale_nav_transfer_usd2025"].sum()) / USD_BN)]
    rows += [("transfers", "stale-NAV net gain", f"income quintile {q}", "whole run", REAL,
              float(after[f"stale_nav_gain_usd2025__q{q}"].sum()) / USD_BN) for q in range(1, 6)]
    rows += [("transfers", "stale-NAV net gain through the private-markets pools", f"vintage {v}", "whole run", REAL,
              float(after[f"stale_nav_gain_usd2025__{v}"].sum()) / USD_BN) for v in VINTAGES]
    return rows


def policy_unit_outcomes(after: pd.DataFrame) -> list[tuple[str, str, str, str, str, float]]:
    """Fees in the units of a regulatory analysis (OMB Circular A-4, 2003): the present value
    of the first `FEE_WINDOW_YEARS` years of fees (carry included) in constant 2025 dollars
    at 3% and 7% real, discounted from the end of each year (`adequacy.present_value_of_fees`;
    fewer years if the run is shorter, as the row's 'when' says); and the last 12 months'
    fees as basis points of mean assets and as 2025 dollars per participant."""
    paid = (after["fees_usd2025"] + after["carry_usd2025"]).to_numpy(float)
    on_alts = after["fees_on_alternatives_usd2025"].to_numpy(float)
    years = min(FEE_WINDOW_YEARS, paid.size // 12)
    rows = []
    if years > 0:
        first, last = after["date"].iloc[0], after["date"].iloc[12 * years - 1]
        for metric, flows in (("paid by savers (incl. carry)", paid), ("of which on alternatives", on_alts)):
            annual = flows[: 12 * years].reshape(years, 12).sum(axis=1)
            for rate, value in adequacy.present_value_of_fees(annual).items():
                rows.append(("fees", metric, "savers", f"PV of {years} years ({first}..{last}) at {rate:.0%} real",
                             REAL, value / USD_BN))
    year = after.iloc[-12:]
    nominal = float((year["fees_usd"] + year["carry_usd"]).sum())
    real = float((year["fees_usd2025"] + year["carry_usd2025"]).sum())
    rows.append(("fees", "paid by savers (incl. carry)", "savers", "last 12 months", "bps of assets",
                 float(adequacy.fees_bps(nominal, float(year["assets_usd"].mean())))))
    rows.append(("fees", "paid by savers (incl. carry) per participant", "savers", "last 12 months",
                 "USD a year, 2025 dollars", float(adequacy.fees_per_participant(real, float(year["participants"].mean())))))
    return rows


LIQUIDITY_NAMES = {
    "gated_stock_usd": "gated stock", "gated_stock_savers_usd": "gated stock: savers' off-menu positions",
    "gated_stock_default_funds_usd": "gated stock: default funds' sleeves above target",
    "gated_refused_usd": "sales refused by gates (savers)",
    "sleeve_over_target_usd": "default funds' rebalancing sales refused by gates",
    "illiquid_redemptions_usd": "redemptions from semi-liquid vehicles",
    "sleeve_forced_sales_usd": "default funds' sleeve sold outside the gate",
}


def liquidity_outcomes(after: pd.DataFrame) -> list[tuple[str, str, str, str, str, float]]:
    """Liquidity outcomes of one run's months 1.. (ODD §7.11): each stock at its peak month
    (never a sum of months), each flow as its largest and its mean month, the months the
    gate needs at the peak, and the denominator effect (sleeves above target, share of
    default-fund assets) at its peak, nationally and by vintage."""
    rows = []
    for c in LIQUIDITY_STOCKS:
        rows.append(("liquidity", LIQUIDITY_NAMES[c], "peak month-end stock", "whole run", "USD bn",
                     float(after[c].max()) / USD_BN))
    for c in LIQUIDITY_FLOWS:
        rows.append(("liquidity", LIQUIDITY_NAMES[c], "largest month", "whole run", "USD bn",
                     float(after[c].max()) / USD_BN))
        rows.append(("liquidity", LIQUIDITY_NAMES[c], "mean month", "whole run", "USD bn",
                     float(after[c].mean()) / USD_BN))
    months = after["gated_months_to_liquidate"].to_numpy(float)
    rows.append(("liquidity", "months to liquidate the gated stock", "peak", "whole run", "months",
                 float(np.nanmax(months)) if np.isfinite(months).any() else float("nan")))
    rows.append(("liquidity", "sleeves above target (denominator effect)", "all vintages", "whole run",
                 "share of default-fund assets", float(after["sleeve_over_target_share"].max())))
    rows += [("liquidity", "sleeves above target (denominator effect)", f"vintage {v}", "whole run",
              "share of default-fund assets", float(after[f"sleeve_over_target_share__{v}"].max())) for v in VINTAGES]
    return rows


def table_outcomes(tab: pd.DataFrame) -> list[tuple[str, str, str, str, str, float]]:
    """Outcomes of one run's horizon table (rows by income quintile and age group)."""
    rows = []
    for r in tab.itertuples(index=False):
        q = f"Q{int(r.income_quintile)}"
        if r.age_group == "retired":
            rows += [("replacement", "retirees' worst-year loss > 20%", f"{q}, reported NAV", "retired during run",
                      "share of retirees", float(r.share_worst_year_loss_gt20)),
                     ("replacement", "retirees' worst-year loss > 20%", f"{q}, economic value", "retired during run",
                      "share of retirees", float(r.share_worst_year_loss_gt20_economic)),
                     ("replacement", "median replacement rate", q, "retired during run", "share of final pay",
                      float(r.median_replacement_rate)),
                     ("replacement", "p10 replacement rate", q, "retired during run", "share of final pay",
                      float(r.p10_replacement_rate))]
        else:
            group = f"{q} age {r.age_group}"
            rows += [("wealth", "median balance", group, "horizon", "USD", float(r.median_balance_usd)),
                     ("wealth", "p10 balance", group, "horizon", "USD", float(r.p10_balance_usd))]
    return rows


KEYS = ["section", "metric", "group", "when", "unit"]
RETIREES_METRIC = "retirees simulated"
"""The adequacy section's count of simulated (unweighted) retirees in a group."""
ADEQUACY_METRICS = (
    ("median_replacement_rate_with_ss", "median replacement rate with Social Security", "ratio to final pay"),
    *((f"share_below_{round(100 * t)}", f"probability of a replacement rate below {t:.0%}", "share of retirees")
      for t in adequacy_groups.TARGETS),
    ("ce_wealth_usd2025", f"certainty-equivalent retirement wealth (CRRA, gamma {adequacy_groups.CRRA_GAMMA:g})",
     "USD, 2025 dollars"),
    ("ce_wealth_usd", f"certainty-equivalent retirement wealth (CRRA, gamma {adequacy_groups.CRRA_GAMMA:g})",
     "USD, nominal"),
    ("retirees", RETIREES_METRIC, "count"),
)
"""(column of `adequacy_groups.adequacy_cells`, metric, unit) of the adequacy section."""


def adequacy_outcomes(cells: pd.DataFrame) -> list[tuple[str, str, str, str, str, float]]:
    """Outcomes of one run's adequacy cells (`adequacy_groups.adequacy_cells`, ODD §7.13)."""
    return [("adequacy", metric, str(r["group"]), "retired during run", unit, float(r[col]))
            for _, r in cells.iterrows() for col, metric, unit in ADEQUACY_METRICS]


def outcomes_frame(sweep_dir: str | Path, discount_rate: float = metrics.DISCOUNT_RATE_ANNUAL) -> pd.DataFrame:
    """Long table of every run's outcomes: KEYS + run_id, scenario, replication, value."""
    from .sweep import load_sweep

    monthly = load_sweep(sweep_dir)
    records = []
    for (run_id, scenario, rep), run in monthly.groupby(["run_id", "scenario", "replication"], sort=True):
        records += [(run_id, scenario, rep, *row) for row in run_outcomes(run, discount_rate)]
    if (Path(sweep_dir) / "tables").is_dir():
        tables = load_sweep(sweep_dir, table="tables")
        for (run_id, scenario, rep), tab in tables.groupby(["run_id", "scenario", "replication"], sort=True):
            records += [(run_id, scenario, rep, *row) for row in table_outcomes(tab)]
    if (Path(sweep_dir) / "adequacy").is_dir():
        cells = load_sweep(sweep_dir, table="adequacy")
        for (run_id, scenario, rep), tab in cells.groupby(["run_id", "scenario", "replication"], sort=True):
            records += [(run_id, scenario, rep, *row) for row in adequacy_outcomes(tab)]
    return pd.DataFrame.from_records(records, columns=["run_id", "scenario", "replication", *KEYS, "value"])


def paired_table(outcomes: pd.DataFrame, baseline: str, level: float = metrics.INTERVAL_LEVEL,
                 method: str = metrics.INTERVAL_METHOD) -> pd.DataFrame:
    """Paired differences variant - baseline per replication, summarised per outcome.

    One row per (variant, outcome): baseline mean, variant mean, mean difference, the
    interval bounds, whether the interval includes zero, and the number of pairs.
    """
    wide = outcomes.set_index([*KEYS, "replication", "scenario"])["value"].unstack("scenario")
    if baseline not in wide.columns:
        raise ValueError(f"baseline {baseline!r} not among the runs ({list(wide.columns)})")
    rows = []
    for variant in [c for c in wide.columns if c != baseline]:
        for key, grp in wide.groupby(level=list(range(len(KEYS))), sort=False):
            base = grp[baseline].to_numpy(float)
            var = grp[variant].to_numpy(float)
            iv = metrics.interval(metrics.paired_differences(var, base), level, method)
            rows.append({**dict(zip(KEYS, key, strict=True)), "variant": variant, "baseline": baseline,
                         "baseline_mean": float(np.nanmean(base)) if np.isfinite(base).any() else np.nan,
                         "variant_mean": float(np.nanmean(var)) if np.isfinite(var).any() else np.nan,
                         "diff_mean": iv.mean, "diff_low": iv.low, "diff_high": iv.high,
                         "includes_zero": iv.includes_zero, "n_pairs": iv.n})
    return pd.DataFrame(rows)


def flag_small_cells(table: pd.DataFrame, outcomes: pd.DataFrame,
                     minimum: int = adequacy_groups.MIN_CELL_RETIREES) -> pd.DataFrame:
    """Add to the adequacy rows of a paired table the fewest simulated retirees of the group in
    any run of the pair (a run without the group counts 0) and `small_cell` = fewer than `minimum`."""
    counts = outcomes[(outcomes["section"] == "adequacy") & (outcomes["metric"] == RETIREES_METRIC)]
    grid = counts.pivot_table(index=["scenario", "replication"], columns="group", values="value", aggfunc="sum")
    runs = outcomes[["scenario", "replication"]].drop_duplicates()
    grid = grid.reindex(pd.MultiIndex.from_frame(runs)).fillna(0.0)
    out = table.copy()
    fewest = []
    for r in out.itertuples(index=False):
        pair = grid.loc[grid.index.get_level_values("scenario").isin([r.variant, r.baseline])]
        fewest.append(float(pair[r.group].min()) if r.group in pair.columns else 0.0)
    out["min_retirees"] = fewest
    out["small_cell"] = out["min_retirees"] < minimum
    return out


def adequacy_order(table: pd.DataFrame) -> pd.DataFrame:
    """Adequacy rows in reading order: by variant, metric (`ADEQUACY_METRICS`, 2025 dollars
    before nominal), then all retirees, quintiles, cohorts (oldest first) and plan sizes
    (smallest first)."""
    metric_rank = {(m, u): i for i, (_, m, u) in enumerate(ADEQUACY_METRICS)}
    size_rank = {f"plan size {c}": i for i, c in enumerate(SIZE_CLASSES)}

    def group_rank(group: str) -> tuple[int, int, str]:
        if group == "all retirees":
            return (0, 0, group)
        if group.startswith("plan size "):
            return (3, size_rank.get(group, len(size_rank)), group)
        return (1 if group.startswith("Q") else 2, 0, group)

    keys = [(v, metric_rank.get((m, u), len(metric_rank)), *group_rank(g))
            for v, m, u, g in zip(table["variant"], table["metric"], table["unit"], table["group"], strict=True)]
    order = sorted(range(len(table)), key=keys.__getitem__)
    return table.iloc[order].reset_index(drop=True)


def comparison_tables(sweep_dir: str | Path, baseline: str,
                      discount_rate: float = metrics.DISCOUNT_RATE_ANNUAL) -> dict[str, pd.DataFrame]:
    """The paired table split by report section (SECTIONS order), plus 'all'; the adequacy
    section carries the small-cell flag (`flag_small_cells`)."""
    outcomes = outcomes_frame(sweep_dir, discount_rate)
    table = paired_table(outcomes, baseline)
    out = {s: table[table["section"] == s].reset_index(drop=True) for s in SECTIONS}
    out["adequacy"] = adequacy_order(flag_small_cells(out["adequacy"], outcomes))
    out["all"] = table
    return out


# ----------------------------------------------------------------------------- prose


def _variants(tables: dict[str, pd.DataFrame]) -> list[str]:
    return list(dict.fromkeys(tables["all"]["variant"]))


def _row(tables: dict[str, pd.DataFrame], variant: str, section: str, metric: str, group: str,
         when: str | None = None, unit: str | None = None) -> pd.Series | None:
    t = tables[section]
    m = (t["variant"] == variant) & (t["metric"] == metric) & (t["group"] == group)
    if when is not None:
        m &= t["when"] == when
    if unit is not None:
        m &= t["unit"] == unit
    hit = t[m]
    return None if hit.empty else hit.iloc[-1]


def fmt_value(x: float, unit: str) -> str:
    """A level in its unit: USD bn as $X.Xbn (or $m when small), other dollars as $X, shares and
    ratios as %, else plain."""
    if not np.isfinite(x):
        return "n/a"
    if unit.startswith("USD bn"):
        return f"${x:,.1f}bn" if abs(x) >= 0.05 or x == 0 else f"${x * 1e3:,.2f}m"
    if unit.startswith(("share", "ratio")):
        return f"{100 * x:.1f}%"
    if unit.startswith("USD, "):
        return f"${x:,.0f}"
    return f"{x:,.2f}"


def diff_text(r: pd.Series) -> str:
    """'+X (90% CI a to b[, includes zero])' with the unit's formatting; shares and ratios in points."""
    unit = r["unit"]
    if unit.startswith(("share", "ratio")):
        f = lambda v: f"{100 * v:+.1f} pp" if np.isfinite(v) else "n/a"  # noqa: E731
    else:
        f = lambda v: ("+" if v >= 0 else "-") + fmt_value(abs(v), unit) if np.isfinite(v) else "n/a"  # noqa: E731
    zero = "; the interval includes zero" if r["includes_zero"] else ""
    return f"{f(r['diff_mean'])} (90% CI {f(r['diff_low'])} to {f(r['diff_high'])}{zero})"


def summary_lines(discount_rate: float) -> list[tuple[str, str, str, str | None, str | None, str]]:
    """The outcomes a summary reports: (section, metric, group, when or None, unit or None, label)."""
    pv = f"present value at {100 * discount_rate:g}% a year"
    return [
        ("assets", "all alternatives", "all channels", "horizon", REAL,
         "Assets in alternatives at the horizon (2025 dollars)"),
        ("adoption", "any alternative", "all plans", "horizon", None, "Plans offering any alternative at the horizon"),
        ("exposure", "any alternative", "all savers", "horizon", None, "Savers exposed to any alternative at the horizon"),
        ("fees", "paid by savers (incl. carry)", "savers", f"PV of {FEE_WINDOW_YEARS} years", None, "Fees paid by savers, "
         f"carry included (present value of the first {FEE_WINDOW_YEARS} years at 3% real, 2025 dollars)"),
        ("fees", "paid by savers (incl. carry)", "savers", "last 12 months", None,
         "Fees paid by savers, carry included, in the last 12 months (basis points of assets)"),
        ("fees", "paid by savers (incl. carry) per participant", "savers", "last 12 months", None,
         "Fees paid per participant in the last 12 months (2025 dollars)"),
        ("fees", "revenue", "private-market partners", None, None, f"Revenue of private-market partners ({pv}, nominal)"),
        ("exposure", "participants affected (any alternative)", "all savers", "horizon", None,
         "Participants holding any alternative at the horizon (millions)"),
        ("replacement", "median replacement rate", "Q1", None, None,
         "Median replacement rate of lowest-quintile savers who retired during the run"),
        ("adequacy", "median replacement rate with Social Security", "all retirees", None, None,
         "Median replacement rate with Social Security of savers who retired during the run"),
        ("adequacy", "probability of a replacement rate below 70%", "all retirees", None, None,
         "Probability that a saver who retired during the run replaces less than 70% of final pay, "
         "Social Security included"),
        ("near_retirees", "worst-year loss > 20%", "age 55-64, reported NAV", "horizon", None,
         "Near-retirees (55-64) whose worst year lost more than 20% at reported NAVs, at the horizon"),
        ("near_retirees", "worst-year loss > 20%", "age 55-64, economic value", "horizon", None,
         "The same at economic values (smoothed NAVs re-marked to price indices)"),
        ("lawsuits", "filed", "all plans", None, None, "Lawsuits filed over the run"),
        ("liquidity", "gated stock", "peak month-end stock", None, None,
         "Positions waiting behind gates at the worst month end (each position once)"),
        ("liquidity", "sleeves above target (denominator effect)", "all vintages", None, None,
         "Default funds' sleeves above target at the worst month, share of default-fund assets"),
    ]


def summary_paragraph(tables: dict[str, pd.DataFrame], variant: str, baseline: str,
                      discount_rate: float) -> str:
    """One sentence per headline outcome: both levels, the paired difference, and its table.

    States numbers and where they come from (the CSV table beside the report), not
    judgements of them.
    """
    parts = []
    for section, metric, group, when, unit, label in summary_lines(discount_rate):
        at_rate = when is not None and when.startswith("PV of")
        r = _row(tables, variant, section, metric, group, None if at_rate else when, unit)
        if at_rate:  # the Circular A-4 present value at 3%, whatever the run's years
            t = tables[section]
            hit = t[(t["variant"] == variant) & (t["metric"] == metric) & (t["group"] == group)
                    & t["when"].str.startswith("PV of") & t["when"].str.endswith("at 3% real")]
            r = None if hit.empty else hit.iloc[-1]
        if r is None:
            continue
        parts.append(f"{label}: {baseline} {fmt_value(r['baseline_mean'], r['unit'])}, {variant} "
                     f"{fmt_value(r['variant_mean'], r['unit'])}, difference {diff_text(r)} "
                     f"[tables/{section}.csv].")
    n = int(tables["all"]["n_pairs"].max()) if len(tables["all"]) else 0
    head = (f"{variant} minus {baseline}, paired over {n} replications (mean difference and 90% "
            "Student-t interval).")
    return " ".join([head, *parts])


__all__ = ["ADEQUACY_METRICS", "CompareResult", "adequacy_order", "adequacy_outcomes", "check_inputs", "flag_small_cells", "check_scenario", "compare_spec", "comparison_tables", "diff_text",
           "fmt_value", "liquidity_outcomes", "monthly_columns", "policy_unit_outcomes", "outcomes_frame", "paired_table", "run_compare", "run_outcomes",
           "summary_lines", "summary_paragraph"]
