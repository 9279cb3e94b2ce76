"""Render a comparison (`compare.py`) as CSV tables, Markdown and a self-contained HTML page.

The HTML inlines its figures as base64 PNG so it can be mailed as one file. Every number
in the page comes from the CSV tables written beside it, so the page and the tables agree.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from . import metrics, plotstyle
from .compare import SECTION_TITLES, SECTIONS, USD_BN, diff_text, fmt_value

METHOD_NOTE = ("Every difference is paired: replication k of the variant minus replication k of the "
               "baseline, which share all random draws (common random numbers). Shown: the mean "
               "difference over replications and a 90% Student-t confidence interval for that mean "
               "(mean ± t(0.95, R−1)·s/√R), next to the baseline's mean level. Dollars are national "
               "(weighted) U.S. dollars: '2025 dollars' are constant January-2025 dollars (deflated by the "
               "CPI), shown by default, with nominal dollars beside them where marked 'nominal'. Fees are also "
               "stated as OMB Circular A-4 present values of ten years at 3% and 7% real, in basis points "
               "of assets and in dollars per participant.")


def _display(table: pd.DataFrame) -> pd.DataFrame:
    """Reader-facing columns: outcome, baseline level, variant level, difference with interval."""
    if table.empty:
        return pd.DataFrame(columns=["variant", "metric", "group", "when", "baseline", "variant level",
                                     "difference (90% CI)"])
    by_unit = {"unit": table["unit"]} if "small_cell" in table.columns else {}  # adequacy: 2025 and nominal rows
    return pd.DataFrame({
        "variant": table["variant"], "metric": table["metric"], **by_unit, "group": table["group"],
        "when": table["when"],
        "baseline": [fmt_value(v, u) for v, u in zip(table["baseline_mean"], table["unit"], strict=True)],
        "variant level": [fmt_value(v, u) for v, u in zip(table["variant_mean"], table["unit"], strict=True)],
        "difference (90% CI)": [diff_text(r) for _, r in table.iterrows()],
    } | ({"small cell": [f"yes (fewest retirees: {n:.0f})" if small else "" for n, small
                        in zip(table["min_retirees"], table["small_cell"], strict=True)]}
         if "small_cell" in table.columns else {}))


def _markdown_table(frame: pd.DataFrame) -> str:
    head = "| " + " | ".join(frame.columns) + " |"
    rule = "|" + "---|" * len(frame.columns)
    body = ["| " + " | ".join(str(v).replace("|", "/") for v in row) + " |" for row in frame.itertuples(index=False)]
    return "\n".join([head, rule, *body])


def _figures(sweep_dir: Path, baseline: str, tables: dict[str, pd.DataFrame]) -> list[tuple[str, bytes]]:
    """Figures of the report: alternative assets over time, and the replacement-rate change.

    Colours come from `plotstyle.scenario_colours`, so a scenario has one colour in every panel.
    """
    from .sweep import load_sweep

    monthly = load_sweep(sweep_dir, columns=["run_id", "scenario", "replication", "month", "date",
                                             "assets_usd__alternatives"])
    monthly["year"] = 2025 + monthly["month"] / 12
    out = []
    fig, (ax1, ax2) = plotstyle.subplots(1, 2, figsize=(12, 5))
    wide = monthly.pivot_table(index=["replication", "year"], columns="scenario",
                               values="assets_usd__alternatives") / USD_BN
    colours = plotstyle.scenario_colours(baseline, [*dict.fromkeys(tables["all"]["variant"]), *wide.columns])
    for scen in wide.columns:
        by_year = wide[scen].unstack("replication")
        c = colours[scen]
        ax1.fill_between(by_year.index, by_year.min(axis=1), by_year.max(axis=1), color=c, alpha=0.2, lw=0)
        ax1.plot(by_year.index, by_year.mean(axis=1), color=c, label=scen)
    ax1.set(title="Assets in alternatives", xlabel="year", ylabel="USD bn (national)")
    ax1.legend()
    plotstyle.year_axis(ax1)
    for scen in [c for c in wide.columns if c != baseline]:
        diff = (wide[scen] - wide[baseline]).unstack("replication")
        ivs = [metrics.interval(row) for row in diff.to_numpy()]
        c = colours[scen]
        ax2.fill_between(diff.index, [iv.low for iv in ivs], [iv.high for iv in ivs], color=c, alpha=0.25, lw=0)
        ax2.plot(diff.index, [iv.mean for iv in ivs], color=c, label=f"{scen} − {baseline}")
    ax2.axhline(0, color="black", lw=0.8)
    ax2.set(title="Paired difference (mean, 90% t-interval)", xlabel="year", ylabel="USD bn")
    ax2.legend()
    plotstyle.year_axis(ax2)
    reps = monthly["replication"].nunique()
    plotstyle.caption(fig, f"Bands: left, range over {reps} replications; right, 90% t-interval of the mean paired difference.")
    out.append(("Assets in alternatives over time", plotstyle.png_bytes(fig)))
    rep = tables["replacement"]
    rep = rep[rep["metric"] == "median replacement rate"]
    if not rep.empty and np.isfinite(rep["diff_mean"]).any():
        fig, ax = plotstyle.subplots()
        variants = list(dict.fromkeys(rep["variant"]))
        width = 0.8 / len(variants)
        for i, v in enumerate(variants):
            t = rep[rep["variant"] == v]
            x = np.arange(len(t)) + i * width
            err = np.vstack([t["diff_mean"] - t["diff_low"], t["diff_high"] - t["diff_mean"]]) * 100
            ax.bar(x, t["diff_mean"] * 100, width, yerr=np.nan_to_num(err), capsize=3,
                   color=colours[v], label=v)
            ax.set_xticks(np.arange(len(t)) + 0.4 - width / 2, list(t["group"]))
        ax.axhline(0, color="black", lw=0.8)
        ax.set(title=f"Change in median replacement rate vs {baseline}", xlabel="income quintile",
               ylabel="percentage points of final pay")
        ax.legend()
        plotstyle.caption(fig, "Savers who retired during the run; error bars: 90% t-interval over replications.")
        out.append(("Replacement rate by income quintile", plotstyle.png_bytes(fig)))
    return out


def write_reports(out_dir: Path, tables: dict[str, pd.DataFrame], summaries: dict[str, str], *,
                  baseline: str, sizes: dict[str, Any], sweep_dir: Path) -> dict[str, Path]:
    """Write tables/*.csv, comparison.csv, report.md and report.html under `out_dir`."""
    out_dir = Path(out_dir)
    (out_dir / "tables").mkdir(parents=True, exist_ok=True)
    paths = {}
    for section in SECTIONS:
        path = out_dir / "tables" / f"{section}.csv"
        tables[section].to_csv(path, index=False, float_format="%.9g")
        paths[section] = path
    tables["all"].to_csv(out_dir / "comparison.csv", index=False, float_format="%.9g")
    size_line = (f"{sizes['replications']} replications per scenario, {sizes['n_savers']:,} simulated savers, "
                 f"{sizes['years']} years from 2025; fees discounted at {sizes['discount_rate']:.0%} a year "
                 f"(monthly, to January 2025).")
    variants = list(summaries)
    title = f"alt401k comparison: {', '.join(variants)} vs {baseline}"
    md = [f"# {title}", "", size_line, "", METHOD_NOTE, "", "## Summary", ""]
    for v, text in summaries.items():
        md += [f"**{v}.** {text}", ""]
    for section in SECTIONS:
        md += [f"## {SECTION_TITLES[section]}", "", f"CSV: tables/{section}.csv", "",
               _markdown_table(_display(tables[section])), ""]
    (out_dir / "report.md").write_text("\n".join(md), encoding="utf-8")
    paths["md"] = out_dir / "report.md"
    figs = _figures(Path(sweep_dir), baseline, tables)
    body = [f"<h1>{html.escape(title)}</h1>", f"<p>{html.escape(size_line)}</p>",
            f"<p class='note'>{html.escape(METHOD_NOTE)}</p>", "<h2 id='summary'>Summary</h2>"]
    body += [f"<p><b>{html.escape(v)}.</b> {html.escape(t)}</p>" for v, t in summaries.items()]
    for name, png in figs:
        body.append(f"<figure><img alt='{html.escape(name)}' src='data:image/png;base64,"
                    f"{base64.b64encode(png).decode()}'/><figcaption>{html.escape(name)}</figcaption></figure>")
    for section in SECTIONS:
        body += [f"<h2 id='{section}'>{html.escape(SECTION_TITLES[section])}</h2>",
                 f"<p class='note'>CSV: tables/{section}.csv</p>",
                 _display(tables[section]).to_html(index=False, border=0, classes="t")]
    style = ("body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;color:#222}"
             "table.t{border-collapse:collapse;font-size:0.85em}table.t td,table.t th{padding:2px 8px;"
             "border-bottom:1px solid #ddd;text-align:left}.note{color:#555;font-size:0.9em}img{max-width:100%}")
    page = (f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
            f"<style>{style}</style></head><body>{''.join(body)}<p class='note'>Generated "
            f"{dt.date.today().isoformat()} by alt401k compare.</p></body></html>")
    (out_dir / "report.html").write_text(page, encoding="utf-8")
    paths["html"] = out_dir / "report.html"
    return paths


__all__ = ["METHOD_NOTE", "write_reports"]
