"""Reference figures, rebuilt from committed specs: `alt401k figures [--publish | --check]`.

One command rebuilds every figure, bit for bit, with a manifest. A plain build writes into
``--out`` (default ``results/figures-build/``, ignored by git); only ``--publish`` writes the
published set in the source checkout's ``results/figures/``, and only from a clean tree (no
uncommitted or untracked file), recording that commit in MANIFEST.json. Each figure has a spec ``experiments/figures/NAME.toml``::

    title = "..."
    plot = "adoption_curves"          # a function in PLOTS
    [common]                          # sweep-spec keys shared by its sweeps
    scenarios = ["eo-14330"]; replications = 5; n_savers = 2000; years = 20; master_seed = 1
    [common.outputs]
    monthly = ["share_plans_offering__window"]
    [sweeps.main]                     # one or more sweeps: common keys + these (e.g. market_path)
    [options]                         # optional: keyword arguments of the plot function
    bootstrap = 50                    #   (e.g. sensitivity_sobol's refits), checked up front

Every sweep runs on the sweep runner (`sweep.run_sweep`) into a cache directory
(``OUT/.cache/NAME/LABEL``, ignored by git), so a rebuild resumes. A plot
function returns the figure and exactly the data it plots, as a tidy table with units in
the column names; the table is written as NAME.csv with numbers rounded to six significant
digits, so it does not depend on last-bit floating-point differences. `--check` rebuilds
into a temporary directory and compares every CSV byte for byte with the published one.
"""

from __future__ import annotations

import copy
import difflib
import hashlib
import inspect
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.ticker import MaxNLocator

from ..base.assets import ALT_CHANNELS, ALTERNATIVES
from ..base.strata import SIZE_CLASSES
from ..model.errors import InputError
from . import metrics, plotstyle, valuation

SPEC_DIR = Path(__file__).resolve().parent / "figures"
SOURCE_ROOT = Path(__file__).resolve().parent.parent
"""The source checkout the package runs from; `--publish` writes its results/figures/."""
BUILD_DIR = Path("results/figures-build")
"""Default output of a plain build (ignored by git), relative to the working directory."""
FIGURE_FILES = ("csv", "png", "svg")
SIZE_OVERRIDE: dict[str, int] = {}
"""Test hook: sweep keys (n_savers, n_sponsors, years, replications, n_samples) forced on
every sweep; stylised market paths then start at most a quarter into the run, and dated
scenario parameters' bounds are cut to the horizon."""
USD_BN = 1e9
Sweeps = dict[str, Path]
PlotResult = tuple[Any, pd.DataFrame]


# ----------------------------------------------------------------------------- specs


def spec_names() -> list[str]:
    """Names of the committed figure specs, sorted."""
    return sorted(p.stem for p in SPEC_DIR.glob("*.toml"))


def load_figure_spec(name: str) -> tuple[dict[str, Any], str]:
    """The parsed figure spec and the SHA-256 of its bytes."""
    path = SPEC_DIR / f"{name}.toml"
    if not path.is_file():
        raise InputError("--only", name, f"no figure spec {path.name}; have {', '.join(spec_names())}")
    raw = path.read_bytes()
    return tomllib.loads(raw.decode()), hashlib.sha256(raw).hexdigest()


def _merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in extra.items():
        out[key] = _merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


def sweep_data(spec: dict[str, Any], label: str) -> dict[str, Any]:
    """The sweep spec data of one of a figure's sweeps, with SIZE_OVERRIDE applied."""
    data = _merge(spec.get("common", {}), spec["sweeps"][label])
    for key, value in SIZE_OVERRIDE.items():
        if key in data or key in ("n_savers", "years", "replications", "n_sponsors"):
            data[key] = value
    if SIZE_OVERRIDE and "market_path" in data:
        name, start = data["market_path"].split("@")
        data["market_path"] = f"{name}@{min(int(start), 3 * data['years'])}"
    if SIZE_OVERRIDE:  # dated scenario parameters (months) kept inside the shortened horizon
        horizon = 12 * data["years"]
        for param in data.get("scenario_parameters", {}).values():
            low, high = param["bounds"]
            param["bounds"] = [min(low, horizon / 2), min(high, horizon)]
    return data


def plot_options(name: str, spec: dict[str, Any]) -> dict[str, Any]:
    """The spec's `[options]`: keyword arguments of its plot function (e.g. `bootstrap` of
    `sensitivity_sobol`); InputError naming the file and field for an unknown option or a
    value of the wrong type, before any sweep runs."""
    options = dict(spec.get("options", {}))
    params = inspect.signature(PLOTS[spec["plot"]]).parameters
    for key, value in options.items():
        if key not in params or key in ("sweeps", "caption"):
            allowed = [p for p in params if p not in ("sweeps", "caption")]
            raise InputError(f"experiments/figures/{name}.toml", f"options.{key}",
                             f"not an option of plot {spec['plot']}; it takes {allowed or 'none'}")
        default = params[key].default
        if default is not inspect.Parameter.empty and type(value) is not type(default):
            raise InputError(f"experiments/figures/{name}.toml", f"options.{key}",
                             f"must be {type(default).__name__} (got {value!r})")
    return options


def caption_text(spec: dict[str, Any], sweeps: dict[str, dict[str, Any]]) -> str:
    """Caption line: scenarios, sample size, replications, horizon, seed, market paths."""
    first = next(iter(sweeps.values()))
    scen = ", ".join(dict.fromkeys(s for d in sweeps.values() for s in d["scenarios"]))
    text = (f"Scenarios: {scen}. {first['n_savers']:,} simulated savers, {first.get('n_sponsors', 200)} plans, "
            f"{first.get('replications', 1)} replication(s) each, {first['years']} years from 2025, "
            f"master seed {first.get('master_seed', 20250807)}.")
    if first.get("design", "grid") != "grid":
        text += f" {first['design'].capitalize()} design, N = {first.get('n_samples')}."
    paths = [d["market_path"] for d in sweeps.values() if d.get("market_path")]
    if paths:
        text += " Stylised paths from month " + paths[0].split("@")[1] + "."
    return text + (f" {spec['note']}" if spec.get("note") else "")


# ----------------------------------------------------------------------------- data helpers


def _monthly(path: Path) -> pd.DataFrame:
    from .sweep import load_sweep

    frame = load_sweep(path)
    frame["year"] = 2025 + frame["month"] / 12
    return frame


FAN_RUNS = ("each a draw of the uncertain parameters where the design samples them (bands of "
            "parameter uncertainty, not seeds alone) with its own market and saver history.")
"""How a fan's runs differ, for captions."""


def _band(frame: pd.DataFrame, by: list[str], value: str, prefix: str) -> pd.DataFrame:
    """Mean, 5th and 95th percentile over the runs (replications, design points) of `value`,
    per `by` group."""
    g = frame.groupby(by, sort=True)[value]
    return pd.DataFrame({f"{prefix}_mean": g.mean(), f"{prefix}_p05": g.quantile(0.05),
                         f"{prefix}_p95": g.quantile(0.95)}).reset_index()


def _melt(frame: pd.DataFrame, columns: dict[str, str], var: str) -> pd.DataFrame:
    keep = ["scenario", "replication", "year"]
    long = frame[keep + list(columns)].melt(id_vars=keep, var_name=var, value_name="value")
    long[var] = long[var].map(columns)
    return long


# ----------------------------------------------------------------------------- plots


def adoption_curves(sweeps: Sweeps, caption: str) -> PlotResult:
    """Share of plans offering alternatives, by channel and by plan-size class."""
    m = _monthly(sweeps["main"])
    by_channel = _melt(m, {f"share_plans_offering__{c}": c for c in ALT_CHANNELS}, "category")
    by_size = _melt(m, {f"share_plans_offering_any_alt__{s}": s for s in SIZE_CLASSES}, "category")
    data = pd.concat([_band(by_channel, ["scenario", "category", "year"], "value", "share_of_plans").assign(breakdown="channel"),
                      _band(by_size, ["scenario", "category", "year"], "value", "share_of_plans").assign(breakdown="plan_size")])
    fig, axes = plotstyle.subplots(1, 2, figsize=(12, 5), sharey=True)
    for ax, (breakdown, cats) in zip(axes, (("channel", ALT_CHANNELS), ("plan_size", SIZE_CLASSES)), strict=True):
        for i, cat in enumerate(cats):
            d = data[(data["breakdown"] == breakdown) & (data["category"] == cat)]
            c = plotstyle.colour(cat, i) if breakdown == "channel" else plotstyle.CYCLE[i]
            ax.fill_between(d["year"], 100 * d["share_of_plans_p05"], 100 * d["share_of_plans_p95"], color=c,
                            alpha=0.2 if breakdown == "channel" else 0.1, lw=0)
            ax.plot(d["year"], 100 * d["share_of_plans_mean"], color=c, label=plotstyle.label(cat),
                    ls=plotstyle.SIZE_STYLES.get(cat, "-"))
        ax.set(xlabel="year", title="by channel" if breakdown == "channel" else "any alternative, by plan size")
        plotstyle.year_axis(ax)
        ax.legend(loc="upper left")
    axes[0].set_ylabel("plans offering (% of plans)")
    fig.suptitle("Adoption of alternatives by 401(k) plans")
    plotstyle.caption(fig, caption + " Lines: mean; bands: 5th-95th percentile over runs, " + FAN_RUNS)
    return fig, data[["scenario", "breakdown", "category", "year", "share_of_plans_mean", "share_of_plans_p05", "share_of_plans_p95"]]


def flows_assets_fan(sweeps: Sweeps, caption: str) -> PlotResult:
    """Assets and cumulative net flows by alternative asset class: fan over the runs (parameter
    draws of the spec's design, each with its own market and saver history)."""
    m = _monthly(sweeps["main"]).sort_values(["run_id", "month"])
    for a in ALTERNATIVES:  # cumulate every month (the spec keeps every=1), then plot quarterly
        m[f"cum_{a}"] = m.groupby("run_id")[f"net_flow_usd__{a}"].cumsum()
    m = m[m["month"] % 3 == 0]
    assets = _melt(m, {f"assets_usd__{a}": a for a in ALTERNATIVES}, "asset_class").assign(quantity="assets")
    flows = _melt(m, {f"cum_{a}": a for a in ALTERNATIVES}, "asset_class").assign(quantity="cumulative_net_flow")
    long = pd.concat([assets, flows])
    long["value"] /= USD_BN
    data = _band(long, ["scenario", "quantity", "asset_class", "year"], "value", "usd_bn")
    fig, axes = plotstyle.subplots(1, 2, figsize=(12, 5))
    for ax, quantity, title in zip(axes, ("assets", "cumulative_net_flow"),
                                   ("Assets held (end of month)", "Cumulative net flows since 2025"), strict=True):
        for a in ALTERNATIVES:
            d = data[(data["quantity"] == quantity) & (data["asset_class"] == a)]
            ax.fill_between(d["year"], d["usd_bn_p05"], d["usd_bn_p95"], color=plotstyle.colour(a), alpha=0.25, lw=0)
            ax.plot(d["year"], d["usd_bn_mean"], color=plotstyle.colour(a), label=plotstyle.label(a))
        ax.set(title=title, xlabel="year", ylabel="USD bn (national, nominal)")
        plotstyle.year_axis(ax)
    axes[0].legend(loc="upper left")
    fig.suptitle("401(k) money in alternatives by asset class")
    plotstyle.caption(fig, caption + " Lines: mean; fans: 5th-95th percentile over runs, " + FAN_RUNS)
    return fig, data


def fee_transfer(sweeps: Sweeps, caption: str) -> PlotResult:
    """Who pays and who earns: annual fees paid by savers and revenue by recipient."""
    m = _monthly(sweeps["main"])
    m = m[m["month"] > 0].copy()
    m["calendar_year"] = 2025 + (m["month"] - 1) // 12
    m["paid_by_savers"] = m["fees_usd"] + m["carry_usd"]
    recipients = {"fee_revenue_tdf_managers_usd": "TDF managers", "fee_revenue_partners_usd": "private-market partners",
                  "fee_revenue_core_and_window_usd": "core menu and window funds", "paid_by_savers": "paid by savers (total)"}
    yearly = m.groupby(["scenario", "replication", "calendar_year"])[list(recipients)].sum().reset_index()
    long = yearly.melt(id_vars=["scenario", "replication", "calendar_year"], var_name="flow", value_name="value")
    long["flow"] = long["flow"].map(recipients)
    long["value"] /= USD_BN
    data = long.groupby(["scenario", "flow", "calendar_year"], sort=True)["value"].mean().reset_index(name="usd_bn_per_year_mean")
    scenarios = list(dict.fromkeys(m["scenario"]))
    fig, axes = plotstyle.subplots(1, len(scenarios), figsize=(6 * len(scenarios), 5), sharey=True, squeeze=False)
    order = ["TDF managers", "private-market partners", "core menu and window funds"]
    colours = [plotstyle.OKABE_ITO["blue"], plotstyle.OKABE_ITO["vermillion"], plotstyle.OKABE_ITO["sky_blue"]]
    for ax, scen in zip(axes[0], scenarios, strict=True):
        d = data[data["scenario"] == scen].pivot(index="calendar_year", columns="flow", values="usd_bn_per_year_mean")
        ax.stackplot(d.index, *[d[o] for o in order], labels=[f"earned: {o}" for o in order], colors=colours, alpha=0.85)
        ax.plot(d.index, d["paid by savers (total)"], color="black", ls="--", label="paid by savers")
        ax.set(title=scen, xlabel="calendar year", ylabel="USD bn per year (mean over replications)")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    top = data["usd_bn_per_year_mean"].max()
    axes[0][0].set_ylim(0, 1.6 * top if np.isfinite(top) and top > 0 else 1.0)
    axes[0][0].legend(loc="upper left", fontsize=9)
    fig.suptitle("The fee transfer: fees paid by savers and who earns them")
    plotstyle.caption(fig, caption + " Carry on private equity counts as a fee paid to partners.")
    return fig, data


VERDICT_HATCH = {"precise": "", "imprecise": "..", "indistinguishable from zero": "//"}
"""Bar hatching by `metrics.Interval.verdict`: a reader sees which differences can be read."""


def distribution_by_quintile(sweeps: Sweeps, caption: str) -> PlotResult:
    """Paired change (variant - baseline) in replacement rates and balances by income quintile."""
    from .sweep import load_sweep

    tab = load_sweep(sweeps["main"], table="tables")
    scen = list(dict.fromkeys(tab["scenario"]))
    baseline, variant = scen[0], scen[1]
    measures = [("retired", "median_replacement_rate", "median replacement rate, retirees", "pp_of_final_pay", 100.0),
                ("retired", "p10_replacement_rate", "10th pct replacement rate, retirees", "pp_of_final_pay", 100.0),
                ("55to64", "median_balance_usd", "median balance, age 55-64", "usd_thousand", 1e-3),
                ("55to64", "p10_balance_usd", "10th pct balance, age 55-64", "usd_thousand", 1e-3)]
    rows = []
    for group, col, name, unit, scale in measures:
        t = tab[tab["age_group"] == group]
        for q in range(1, 6):
            tq = t[t["income_quintile"] == q].set_index(["scenario", "replication"])[col]
            base, var = tq.loc[baseline].sort_index(), tq.loc[variant].sort_index()
            iv = metrics.interval(metrics.paired_differences(var.to_numpy(), base.to_numpy()) * scale)
            rows.append({"measure": name, "unit": unit, "income_quintile": q, "variant": variant, "baseline": baseline,
                         "baseline_level": float(np.nanmean(base)) * scale,
                         "change_mean": iv.mean, "change_low90": iv.low, "change_high90": iv.high,
                         "verdict": iv.verdict})
    data = pd.DataFrame(rows)
    fig, axes = plotstyle.subplots(1, 2, figsize=(12, 5))
    for ax, unit, ylabel in zip(axes, ("pp_of_final_pay", "usd_thousand"),
                                ("change, percentage points of final pay", "change, USD thousand"), strict=True):
        d = data[data["unit"] == unit]
        for i, (name, dm) in enumerate(d.groupby("measure", sort=False)):
            x = dm["income_quintile"] + (i - 0.5) * 0.38
            err = np.nan_to_num(np.vstack([dm["change_mean"] - dm["change_low90"], dm["change_high90"] - dm["change_mean"]]))
            ax.bar(x, dm["change_mean"], 0.38, yerr=err, capsize=3, color=plotstyle.CYCLE[i], label=name,
                   hatch=[VERDICT_HATCH[v] for v in dm["verdict"]], edgecolor="white")
        ax.axhline(0, color="black", lw=0.8)
        ax.set(xlabel="income quintile (1 = lowest)", ylabel=ylabel, xticks=range(1, 6))
        ax.legend(loc="best")
    fig.suptitle(f"Distributional impact: {variant} minus {baseline} (paired)")
    counts = data["verdict"].value_counts()
    plotstyle.caption(fig, caption + " Bars: mean paired difference; whiskers: 90% t-interval over replications. "
                      f"Hatched: indistinguishable from zero (//, {counts.get('indistinguishable from zero', 0)} of "
                      f"{len(data)}) or imprecise (.., interval wider than a quarter of the difference either way, "
                      f"{counts.get('imprecise', 0)}); plain bars are precise.")
    return fig, data


STRESS_MEASURES: dict[str, tuple[str, float, str]] = {
    "assets_usd__alternatives": ("alternative_assets_usd_bn", 1 / USD_BN, "Assets in alternatives (USD bn)"),
    "mean_balance_usd": ("mean_balance_usd_thousand", 1e-3, "Mean account balance (USD thousand)"),
    "share_near_retirees_worst_year_loss_gt20": ("near_retirees_worst_year_loss_gt20_share", 1.0,
                                                 "Near-retirees (55-64) with a worst year < -20% (share)"),
    "share_near_retirees_worst_year_loss_gt20_economic": ("near_retirees_worst_year_loss_gt20_share_economic", 1.0, ""),
    "drawdown_reported": ("assets_drawdown_reported", 1.0, "Fall of 401(k) assets from their peak (share)"),
    "drawdown_economic": ("assets_drawdown_economic", 1.0, ""),
    "gated_stock_usd": ("gated_stock_usd_bn", 1 / USD_BN, "Positions waiting behind gates,\nmonth-end stock (USD bn)"),
    "sleeve_over_target_share": ("sleeve_over_target_share", 1.0,
                                 "Default funds' sleeves above target\n(share of their assets)"),
}
"""Stress-test measures: column -> (CSV name, scale, panel title; '' shares the panel above)."""


def stress_test(sweeps: Sweeps, caption: str) -> PlotResult:
    """Stylised 2008-like equity crash and crypto winter, with and without EO 14330.

    Losses on both reported NAVs and economic values (ODD §7.11): the drawdown of 401(k)
    assets at reported values beside the same at economic values (`assets_economic_usd`),
    since smoothed private-market NAVs hide part of a fall; liquidity as month-end stocks
    (positions waiting behind gates, sleeves above target), never a sum of months."""
    frames = []
    for label, path in sweeps.items():
        m = _monthly(path).sort_values(["run_id", "month"])
        m["drawdown_reported"] = m.groupby("run_id")["assets_usd"].transform(valuation.drawdown_path)
        m["drawdown_economic"] = m.groupby("run_id")["assets_economic_usd"].transform(valuation.drawdown_path)
        frames.append(m.assign(market_path=label))
    m = pd.concat(frames)
    parts = []
    for col, (name, scale, _) in STRESS_MEASURES.items():
        d = m[["market_path", "scenario", "replication", "year"]].assign(value=m[col] * scale)
        parts.append(_band(d, ["market_path", "scenario", "year"], "value", "value").assign(measure=name))
    data = pd.concat(parts)[["measure", "market_path", "scenario", "year", "value_mean", "value_p05", "value_p95"]]
    starts = sorted({2025 + int(tomllib.loads((p / "spec.toml").read_text()).get("market_path", "x@-1").split("@")[1]) / 12
                     for p in sweeps.values()} - {2025 - 1 / 12})
    fig, axes = plotstyle.subplots(2, 3, figsize=(16, 8.5))
    panels: list[list[tuple[str, str]]] = []
    for name, _, title in STRESS_MEASURES.values():
        if title:
            panels.append([(name, title)])
        else:
            panels[-1].append((name, title))
    scenarios = list(dict.fromkeys(data["scenario"]))
    styles = {s: ls for s, ls in zip(scenarios, ("--", "-"), strict=False)}
    economic_styles = {s: ls for s, ls in zip(scenarios, ("-.", ":"), strict=False)}
    for ax, panel in zip(axes.flat, panels, strict=True):
        for measure, _ in panel:
            economic = measure.endswith("_economic")
            for i, path in enumerate(dict.fromkeys(data["market_path"])):
                for scen, ls in styles.items():
                    d = data[(data["measure"] == measure) & (data["market_path"] == path) & (data["scenario"] == scen)]
                    ax.plot(d["year"], d["value_mean"], color=plotstyle.CYCLE[i],
                            ls=economic_styles[scen] if economic else ls,
                            lw=2.2 if economic else 1.5, label=f"{path}, {scen}" + (" (economic)" if economic else ""))
        for start in starts:
            ax.axvline(start, color="#777777", lw=1, ls=":")
        ax.set(title=panel[0][1], xlabel="year")
        plotstyle.year_axis(ax)
    axes.flat[0].legend(loc="upper left", fontsize=7)
    note = "thick: economic values, " + ", ".join(f"{economic_styles[s]} {s}" for s in scenarios)
    for ax in axes.flat[2:4]:
        ax.text(0.02, 0.93, note, transform=ax.transAxes, fontsize=8)
    fig.suptitle("Stress test: stylised 2008-like equity crash and crypto winter")
    fig.subplots_adjust(hspace=0.45, bottom=0.12)
    plotstyle.caption(fig, caption + " Lines: mean over replications (same draws in every path outside the imposed "
                      "classes). Economic values re-mark smoothed private-market NAVs to the classes' price indices.")
    return fig, data


SOBOL_TITLES = {
    "assets_usd__alternatives__last": "Money in alternatives at the horizon",
    "share_savers_exposed_any_alt__last": "Participants holding an alternative at the horizon",
    "share_plans_offering_any_alt__last": "Plans offering an alternative at the horizon",
    "fees_usd__sum": "Fees paid over the run",
}
"""Panel titles of the Sobol figure, by horizon output (the output's name where missing)."""


def sensitivity_sobol(sweeps: Sweeps, caption: str, bootstrap: int = 50) -> PlotResult:
    """First-order and total Sobol' indices of the headline outcomes, from a polynomial chaos
    surrogate fitted to the Sobol design's runs (`surrogate.pce_sobol`; docs/uncertainty.md).

    Saltelli's estimator at the design's N = 32 leaves 95% intervals up to about ±0.23, with
    S1 below zero and above ST; the surrogate reads the same runs to about ±0.06. Its point
    estimates are those of `alt401k analyze DIR --method pce` on the same sweep (same seed,
    same folds); `bootstrap` refits give the whiskers (the command's default is 200). Outputs
    are fitted in parallel on this machine's cores; each is seeded from the sweep's seed
    alone, so the result does not depend on the number of workers.
    """
    from .engines import LocalEngine
    from .sweep_spec import load_spec

    path = sweeps["sobol"]
    spec, _ = load_spec(path / "spec.toml")
    outputs = [f"{name}__{how}" for name, how in spec.outputs.horizon.items()]
    tasks = [(path, out, bootstrap) for out in outputs]
    with LocalEngine(min(len(tasks), os.cpu_count() or 1)) as engine:
        tables = dict(engine.imap(_pce_indices, tasks))
    data = pd.concat([tables[out] for out in outputs], ignore_index=True)
    fig, axes = plotstyle.subplots(1, len(outputs), figsize=(5.5 * len(outputs), 6), sharey=True, squeeze=False)
    factors = sorted(dict.fromkeys(data["factor"]))
    pos = np.arange(len(factors))
    for ax, out in zip(axes[0], outputs, strict=True):
        d = data[data["output"] == out].set_index("factor").loc[factors]
        ax.barh(pos + 0.2, d["ST"], 0.4, xerr=np.nan_to_num(d["ST_conf95"]), color=plotstyle.CYCLE[0], label="total (ST)")
        ax.barh(pos - 0.2, d["S1"], 0.4, xerr=np.nan_to_num(d["S1_conf95"]), color=plotstyle.CYCLE[1], label="first order (S1)")
        ax.axvline(0, color="black", lw=0.8)
        ax.set(title=f"{SOBOL_TITLES.get(out, out)}\n(surrogate Q² {d['Q2'].iloc[0]:.2f})",
               xlabel="Sobol' index (share of explained variance)")
    axes[0][0].set_yticks(pos, factors)
    axes[0][0].legend(loc="lower right")
    fig.suptitle("Sensitivity of headline outcomes to sponsor, behavioural and market uncertainties", y=0.99)
    fig.subplots_adjust(top=0.84)  # room for the two-line panel titles under the title
    plotstyle.caption(fig, caption + f" Indices of a sparse polynomial chaos surrogate (Legendre, LARS); whiskers: "
                      f"95% intervals from {bootstrap} bootstrap refits. Q²: share of the variance across runs "
                      "the surrogate predicts for runs it was not fitted to.")
    return fig, data


def _pce_indices(task: tuple[Path, str, int]) -> tuple[str, pd.DataFrame]:
    """(output, its PCE Sobol' table) for one horizon output of the sweep at `path`, by the
    analysis command's own function (`analysis.pce_sweep_output`, which also leaves its CSV,
    PNG and manifest in the sweep's analysis/); module level, so worker processes can run it."""
    from .analysis import pce_sweep_output
    from .surrogate import PceSettings
    from .sweep import load_sweep
    from .sweep_spec import load_spec

    path, out, bootstrap = task
    spec, _ = load_spec(path / "spec.toml")
    table = pce_sweep_output(path, spec, load_sweep(path, table="horizon"), out, PceSettings(n_bootstrap=bootstrap), None)
    table = table.assign(output=out).rename(columns={"S1_conf": "S1_conf95", "ST_conf": "ST_conf95"})
    return out, table[["output", "factor", "S1", "S1_conf95", "ST", "ST_conf95", "Q2", "degree"]]


def regulatory_variants(sweeps: Sweeps, caption: str) -> PlotResult:
    """Side-by-side horizon outcomes of the bundled regulatory variants."""
    from .sweep import load_sweep

    h = load_sweep(sweeps["main"], table="horizon")
    h["fees_paid_usd_bn"] = (h["fees_usd__sum"] + h["carry_usd__sum"]) / USD_BN
    measures = {"assets_usd__alternatives__last": ("alternative_assets_usd_bn", 1 / USD_BN, "Assets in alternatives at horizon (USD bn)"),
                "share_plans_offering_any_alt__last": ("plans_offering_pct", 100.0, "Plans offering alternatives (%)"),
                "share_savers_exposed_any_alt__last": ("savers_exposed_pct", 100.0, "Savers exposed (%)"),
                "fees_paid_usd_bn": ("fees_paid_usd_bn", 1.0, "Fees paid by savers over the run (USD bn, undiscounted)")}
    rows = []
    order = list(dict.fromkeys(h["scenario"]))
    for col, (name, scale, _) in measures.items():
        g = h.groupby("scenario")[col]
        for scen in order:
            v = g.get_group(scen).to_numpy() * scale
            rows.append({"measure": name, "scenario": scen, "value_mean": v.mean(), "value_min": v.min(), "value_max": v.max()})
    data = pd.DataFrame(rows)
    fig, axes = plotstyle.subplots(1, 4, figsize=(15, 5.5), sharey=True)
    pos = np.arange(len(order))
    for ax, (name, _, title) in zip(axes, measures.values(), strict=True):
        d = data[data["measure"] == name].set_index("scenario").loc[order]
        err = np.vstack([d["value_mean"] - d["value_min"], d["value_max"] - d["value_mean"]])
        colours = [plotstyle.BASELINE_COLOUR if i == 0 else plotstyle.OKABE_ITO["blue"] for i in range(len(order))]
        ax.barh(pos, d["value_mean"], xerr=err, capsize=3, color=colours)
        ax.set_title(title, fontsize=10, wrap=True)
        ax.invert_yaxis() if ax is axes[0] else None
    axes[0].set_yticks(pos, order)
    fig.suptitle("Bundled regulatory variants side by side")
    plotstyle.caption(fig, caption + f" Bars: mean (grey: {order[0]}); whiskers: range over replications.")
    return fig, data


PLOTS: dict[str, Callable[[Sweeps, str], PlotResult]] = {f.__name__: f for f in (
    adoption_curves, flows_assets_fan, fee_transfer, distribution_by_quintile, stress_test,
    sensitivity_sobol, regulatory_variants)}


# ----------------------------------------------------------------------------- building


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """The tidy CSV of a figure: floats rounded to 6 significant digits, '\\n' line ends."""
    out = frame.copy()
    for col in out.columns:
        if pd.api.types.is_float_dtype(out[col]):
            out[col] = metrics.round_sig(out[col].to_numpy())
    return out.to_csv(index=False, float_format="%.6g", lineterminator="\n").encode()


def code_fingerprint() -> str:
    """SHA-256 of the model source (model/, agents/, scenarios, sweep runner): cached sweep
    parts made by other code are discarded, since a sweep resumes on its spec alone."""
    root = Path(__file__).resolve().parent
    files = sorted([*root.parent.joinpath("model").glob("*.py"), *root.parent.joinpath("agents").glob("*.py"),
                    *root.joinpath("scenarios").glob("*.toml"), root / "sweep.py", root / "sweep_spec.py"])
    digest = hashlib.sha256()
    for f in files:
        digest.update(f.name.encode() + b"\0" + f.read_bytes())
    return digest.hexdigest()


def build_figure(name: str, out_dir: Path, cache_dir: Path, n_jobs: int | None = None) -> dict[str, Any]:
    """Run the sweeps of figure `name`, plot it, write NAME.png/.svg/.csv; its manifest entry."""
    from .compare import write_spec
    from .sweep import run_sweep
    from .sweep_spec import read_spec_data, spec_hash

    spec, digest = load_figure_spec(name)
    if spec.get("plot") not in PLOTS:
        raise ValueError(f"{name}.toml: plot {spec.get('plot')!r} is not one of {sorted(PLOTS)}")
    options = plot_options(name, spec)
    datas = {label: sweep_data(spec, label) for label in spec["sweeps"]}
    paths: Sweeps = {}
    entry: dict[str, Any] = {"spec": f"experiments/figures/{name}.toml", "spec_sha256": digest,
                             "plot": spec["plot"], "title": spec.get("title", name), "sweeps": {}}
    stamp = cache_dir / name / "code.sha256"
    if (cache_dir / name).exists() and (not stamp.is_file() or stamp.read_text() != code_fingerprint()):
        shutil.rmtree(cache_dir / name)
    (cache_dir / name).mkdir(parents=True, exist_ok=True)
    stamp.write_text(code_fingerprint())
    for label, data in datas.items():
        spec_path = write_spec(data, cache_dir / name / f"{label}.toml")
        result = run_sweep(spec_path, cache_dir / name / label, n_jobs=n_jobs, force=True, progress=False)
        if result.failed:
            raise RuntimeError(f"figure {name}: runs {result.failed} of sweep {label} failed")
        paths[label] = cache_dir / name / label
        entry["sweeps"][label] = {
            "sweep_spec_sha256": spec_hash(read_spec_data(spec_path)), "scenarios": data["scenarios"],
            "master_seed": data.get("master_seed", 20250807), "replications": data.get("replications", 1),
            "seeding": "SeedSequence(master_seed, spawn_key=(replication,))", "n_savers": data["n_savers"],
            "n_sponsors": data.get("n_sponsors", 200), "years": data["years"], "n_runs": result.n_runs,
            "design": data.get("design", "grid"), "market_path": data.get("market_path")}
    if options:
        entry["options"] = options
    fig, frame = PLOTS[spec["plot"]](paths, caption_text(spec, datas), **options)
    out_dir.mkdir(parents=True, exist_ok=True)
    plotstyle.save(fig, out_dir / name)
    csv = csv_bytes(frame)
    (out_dir / f"{name}.csv").write_bytes(csv)
    # PNG and SVG hashes are informational: font rendering may differ between machines.
    entry["files"] = {f.name: hashlib.sha256(f.read_bytes()).hexdigest()
                      for f in (out_dir / f"{name}.{ext}" for ext in ("csv", "png", "svg"))}
    return entry


def published_dir() -> Path:
    """The published figure set: results/figures/ of the source checkout (tracked by git)."""
    return SOURCE_ROOT / "results" / "figures"


def check_names(only: list[str] | None) -> list[str]:
    """The figures to build (all when `only` is empty); InputError for an unknown name, up front."""
    names = only or spec_names()
    for name in names:
        if name not in spec_names():
            raise InputError("--only", name, f"no figure spec {name}.toml; have {', '.join(spec_names())}")
    return names


def build_figures(out_dir: str | Path = BUILD_DIR, only: list[str] | None = None,
                  n_jobs: int | None = None, cache_dir: Path | None = None, manifest: bool = True,
                  commit: str | None = None) -> dict[str, Any]:
    """Build every figure (or those in `only`) into `out_dir` and write MANIFEST.json there.

    The manifest keeps the entries of figures not rebuilt and records `commit` (default: the
    source tree's commit, '+dirty' if modified). Returns the manifest's figure entries.
    """
    from ..model.outputs import git_commit, package_versions

    out = Path(out_dir)
    names = check_names(only)
    for name in names:  # every spec's plot options checked before any sweep runs
        plot_options(name, load_figure_spec(name)[0])
    commit = commit or git_commit()
    cache = cache_dir or out / ".cache"
    path = out / "MANIFEST.json"
    old = json.loads(path.read_text()) if path.is_file() else {}
    entries = dict(old.get("figures", {}))
    for name in names:
        print(f"figure {name} ...", file=sys.stderr, flush=True)
        entries[name] = {**build_figure(name, out, cache, n_jobs), "git_commit": commit}
    entries = {k: entries[k] for k in sorted(entries) if k in spec_names()}
    if manifest:
        record = {"generator": "alt401k figures", "git_commit": commit, "code_sha256": code_fingerprint(),
                  "code_version": _version(), "python": platform.python_version(),
                  "packages": package_versions(), "csv_rounding": "6 significant digits",
                  "figures": entries}
        path.write_text(json.dumps(record, indent=2, sort_keys=True) + "\n")
    _write_gitignore(out)
    return entries


def clean_commit(root: Path) -> str:
    """HEAD of the git checkout at `root`, or InputError unless its tree is clean.

    Clean: `git status --porcelain` is empty, so no modified, staged or untracked file
    (ignored files do not count). An untracked file can change a figure (a scenario file,
    a module), and the commit recorded would then not reproduce it.
    """
    def git(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, timeout=30)

    try:
        head, status = git("rev-parse", "HEAD"), git("status", "--porcelain")
    except (OSError, subprocess.SubprocessError) as err:
        raise InputError("--publish", "", f"cannot run git ({err})") from None
    if head.returncode != 0 or status.returncode != 0:
        raise InputError("--publish", "", f"{root} is not a git checkout; figures are published from "
                         "a clean checkout at a named commit")
    changed = [line[3:] for line in status.stdout.splitlines() if line.strip()]
    if changed:
        raise InputError("--publish", "", f"the tree has {len(changed)} uncommitted or untracked path(s) "
                         f"({', '.join(changed[:3])}{', ...' if len(changed) > 3 else ''}); figures are "
                         "published from a clean tree at a named commit: commit or remove them first")
    return head.stdout.strip()


def publish_figures(only: list[str] | None = None, n_jobs: int | None = None) -> dict[str, Any]:
    """Build into a temporary directory from a clean tree, then copy into the published set.

    Refuses (InputError) before building if the tree is not clean, and before copying if
    it changed during the build, so the published files always match the commit recorded.
    """
    published, names = published_dir(), check_names(only)
    commit = clean_commit(SOURCE_ROOT)
    with tempfile.TemporaryDirectory(prefix="alt401k-publish-") as tmp:
        staging = Path(tmp)
        if (published / "MANIFEST.json").is_file():
            shutil.copy(published / "MANIFEST.json", staging / "MANIFEST.json")
        entries = build_figures(staging, names, n_jobs, cache_dir=published / ".cache", commit=commit)
        try:
            now = clean_commit(SOURCE_ROOT)
        except InputError as err:
            raise InputError("--publish", "", f"the tree changed during the build; nothing published "
                             f"({err.message})") from None
        if now != commit:
            raise InputError("--publish", "", f"HEAD moved from {commit[:12]} to {now[:12]} during the build; "
                             "nothing published")
        published.mkdir(parents=True, exist_ok=True)
        for f in [*(f"{n}.{ext}" for n in names for ext in FIGURE_FILES), "MANIFEST.json"]:
            shutil.copy(staging / f, published / f)
    _write_gitignore(published)
    print(f"published {len(names)} figure(s) to {published} at {commit[:12]}", file=sys.stderr)
    return entries


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("alt401k")
    except PackageNotFoundError:
        return "unknown"


def _write_gitignore(out: Path) -> None:
    ignore = out / ".gitignore"
    if not ignore.exists():
        ignore.write_text("# sweep parts behind the figures: rebuilt by `alt401k figures`\n.cache/\n")


def check_figures(only: list[str] | None = None, n_jobs: int | None = None,
                  committed: str | Path | None = None) -> int:
    """Rebuild into a temporary directory; 0 if every CSV matches the published bytes, else 1."""
    committed = Path(committed) if committed is not None else published_dir()
    names = check_names(only)
    with tempfile.TemporaryDirectory(prefix="alt401k-figures-") as tmp:
        build_figures(tmp, only=names, n_jobs=n_jobs, manifest=False)
        bad = []
        for name in names:
            new = (Path(tmp) / f"{name}.csv").read_text().splitlines()
            ref_path = committed / f"{name}.csv"
            if not ref_path.is_file():
                bad.append(f"{name}: no committed {ref_path}")
                continue
            ref = ref_path.read_text().splitlines()
            if new != ref:
                diff = [d for d in difflib.unified_diff(ref, new, "committed", "rebuilt", n=0, lineterm="")
                        if d[:1] in "+-" and not d.startswith(("+++", "---"))]
                changed = sum(1 for d in diff if d.startswith("-"))
                bad.append(f"{name}: {changed} of {len(ref)} CSV lines differ; first: {diff[:2]}")
    for line in bad:
        print(f"figures --check: {line}", file=sys.stderr)
    if not bad:
        print(f"figures --check: {len(names)} figure CSVs identical to {committed}")
    return 1 if bad else 0


__all__ = ["BUILD_DIR", "PLOTS", "SIZE_OVERRIDE", "SOURCE_ROOT", "build_figure", "build_figures", "caption_text",
           "check_figures", "clean_commit", "csv_bytes", "load_figure_spec", "publish_figures", "published_dir",
           "spec_names", "sweep_data"]
