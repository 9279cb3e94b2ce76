"""The dashboard's eight panels as one matplotlib figure (no pyplot, so safe off the main thread).

Adoption by channel and by plan size, alternative assets by class, fees, price indices,
lawsuits, losses on reported NAVs and on economic values, and liquidity (month-end stocks
behind gates, the denominator effect), from a run's monthly series table (`ModelRecorder.series_table`). With a status-quo
table, each panel also shows its headline series under status quo as a dashed black line.
"""

from __future__ import annotations

import pandas as pd
from alt401k.base.assets import ALT_CHANNELS, ALTERNATIVES, ASSET_CLASSES
from alt401k.base.strata import SIZE_CLASSES
from alt401k.experiments import valuation
from matplotlib.figure import Figure

SIZE_LABELS = {"lt100": "<100", "100to999": "100-999", "1000to9999": "1k-9.9k", "10000plus": "10k+"}


def _years(series: pd.DataFrame) -> pd.Series:
    return series["month"] / 12.0


def _alt_assets_bn(series: pd.DataFrame) -> pd.Series:
    return sum(series[f"assets_usd__{a}"] for a in ALTERNATIVES) / 1e9


def _fees_bn_per_year(series: pd.DataFrame) -> pd.Series:
    fees = 12 * series["fees_usd"] / 1e9
    return fees.where(series["month"] > 0)  # month 0 is the initial state: no flows yet


def dashboard_figure(
    series: pd.DataFrame, baseline: pd.DataFrame | None = None, title: str = ""
) -> Figure:
    """Draw the eight panels for one run (`series`), optionally against status quo.

    Parameters
    ----------
    series
        Monthly series of the variant run so far (columns as in `ModelRecorder.series_table`).
    baseline
        Monthly series of the status-quo run with the same seed, or None.
    title
        Figure title (e.g. scenario and replication).
    """
    fig = Figure(figsize=(17, 7.2), layout="constrained")
    axes = fig.subplots(2, 4).ravel()
    x = _years(series)
    bx = _years(baseline) if baseline is not None else None

    ax = axes[0]
    for ch in ALT_CHANNELS:
        ax.plot(x, 100 * series[f"share_plans_offering__{ch}"], label=ch.replace("_", " "))
    if baseline is not None:
        ax.plot(
            bx, 100 * baseline["share_plans_offering_any_alt"], "k--", lw=1, label="any, status quo"
        )
    ax.set_title("Plans offering alternatives, by channel (%)")

    ax = axes[1]
    for size in SIZE_CLASSES:
        ax.plot(
            x,
            100 * series[f"share_plans_offering_any_alt__{size}"],
            label=SIZE_LABELS.get(size, size),
        )
    if baseline is not None:
        ax.plot(
            bx, 100 * baseline["share_plans_offering_any_alt"], "k--", lw=1, label="all, status quo"
        )
    ax.set_title("Plans offering any alternative, by size (%)")

    ax = axes[2]
    for a in ALTERNATIVES:
        ax.plot(x, series[f"assets_usd__{a}"] / 1e9, label=a.replace("_", " "))
    if baseline is not None:
        ax.plot(bx, _alt_assets_bn(baseline), "k--", lw=1, label="total, status quo")
    ax.set_title("Assets in alternatives, by class ($B)")

    ax = axes[3]
    ax.plot(x, _fees_bn_per_year(series), label="all fees")
    ax.plot(
        x,
        (12 * series["fees_on_alternatives_usd"] / 1e9).where(series["month"] > 0),
        label="on alternatives",
    )
    if baseline is not None:
        ax.plot(bx, _fees_bn_per_year(baseline), "k--", lw=1, label="all, status quo")
    ax.set_title("Fees paid, monthly x 12 ($B/yr)")

    ax = axes[4]
    for a in ASSET_CLASSES:
        ax.plot(x, series[f"price_index__{a}"], label=a.replace("_", " "), lw=1)
    ax.set_yscale("log")
    ax.set_title("Price indices (start = 1, log scale)")

    ax = axes[5]
    ax.plot(x, series["lawsuits"].cumsum(), label="all suits")
    ax.plot(x, series["lawsuits_against_adopters"].cumsum(), label="against adopters")
    if baseline is not None:
        ax.plot(bx, baseline["lawsuits"].cumsum(), "k--", lw=1, label="all, status quo")
    ax.set_title("Excess-fee lawsuits, cumulative")

    ax = axes[6]
    ax.plot(x, 100 * valuation.drawdown_path(series["assets_usd"].to_numpy()), label="reported NAVs")
    ax.plot(x, 100 * valuation.drawdown_path(series["assets_economic_usd"].to_numpy()), ":", lw=2,
            label="economic values")
    if baseline is not None:
        ax.plot(bx, 100 * valuation.drawdown_path(baseline["assets_economic_usd"].to_numpy()), "k--", lw=1,
                label="economic, status quo")
    ax.set_title("Fall of 401(k) assets from their peak (%)")

    ax = axes[7]
    ax.plot(x, series["gated_stock_savers_usd"] / 1e9, label="savers' off-menu positions")
    ax.plot(x, series["gated_stock_default_funds_usd"] / 1e9, label="default funds' sleeves above target")
    if baseline is not None:
        ax.plot(bx, baseline["gated_stock_usd"] / 1e9, "k--", lw=1, label="all, status quo")
    ax.set_title("Waiting behind gates, month end ($B)")

    for ax in axes:
        ax.set_xlabel("years from start")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, loc="upper left")
    if title:
        fig.suptitle(title)
    return fig


__all__ = ["dashboard_figure"]
