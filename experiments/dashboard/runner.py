"""Paired dashboard runs: a variant against status quo on common random numbers (no web framework).

ODD §1.1 (policy teams) and §4.9 (paired comparisons). Replication k of both the variant and
the status-quo scenario is seeded with ``SeedSequence(seed, spawn_key=(k,))``, as in the
sweep runner, so both see the same market and saver shocks and their difference is the
effect of the policy alone. `run_paired` steps the models itself and reports snapshots of
the growing series every few months, so a page can draw live charts; `paired_comparison`
and `distribution_table` summarise the finished runs.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Final, Literal

import numpy as np
import pandas as pd
from alt401k.base.assets import ALTERNATIVES
from alt401k.experiments import adequacy, valuation
from alt401k.experiments.adequacy_groups import adequacy_cells, retiree_frame
from alt401k.model.config import RunConfig
from alt401k.model.market_paths import MarketPath, stylised
from alt401k.model.model import Alt401kModel
from alt401k.model.policy import Scenario, load_scenario
from alt401k.model.reporters import horizon_table
from scipy import stats

Episode = Literal["none", "crypto-winter", "equity-crash-2008"]
EPISODES: Final[tuple[str, ...]] = ("none", "crypto-winter", "equity-crash-2008")

SAVERS_RANGE: Final[tuple[int, int]] = (1_000, 50_000)
REPLICATIONS_RANGE: Final[tuple[int, int]] = (1, 5)
YEARS_RANGE: Final[tuple[int, int]] = (1, 30)
BASELINE_SCENARIO: Final[str] = "status-quo"


@dataclass(frozen=True)
class RunSettings:
    """Sample, horizon, seed and imposed market episode of one dashboard run.

    `episode_month` is the 0-based run month the episode starts (ignored for "none").
    """

    n_savers: int = 2_000
    replications: int = 1
    years: int = 10
    seed: int = 20250807
    episode: str = "none"
    episode_month: int = 24

    @property
    def n_sponsors(self) -> int:
        """Plans simulated: one per ten savers, between 50 and 1,200 (the model's default)."""
        return int(min(1_200, max(50, self.n_savers // 10)))

    @property
    def n_months(self) -> int:
        return 12 * self.years

    def check(self) -> RunSettings:
        """Return self, or raise ValueError saying which setting is out of range."""
        problems = []
        for label, value, (low, high) in (
            ("savers", self.n_savers, SAVERS_RANGE),
            ("replications", self.replications, REPLICATIONS_RANGE),
            ("years", self.years, YEARS_RANGE),
        ):
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                problems.append(
                    f"{label} must be an integer in [{low:,}, {high:,}] (got {value!r})"
                )
        if not isinstance(self.seed, int) or self.seed < 0:
            problems.append(f"seed must be a non-negative integer (got {self.seed!r})")
        if self.episode not in EPISODES:
            problems.append(
                f"market episode must be one of {list(EPISODES)} (got {self.episode!r})"
            )
        elif self.episode != "none" and not 0 <= self.episode_month < 12 * max(self.years, 1):
            problems.append(
                f"episode month must lie in [0, {12 * self.years - 1}] for a {self.years}-year run "
                f"(got {self.episode_month!r})"
            )
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def config(self) -> RunConfig:
        """The model's run configuration for these settings."""
        return RunConfig(
            n_savers=self.n_savers, n_sponsors=self.n_sponsors, years=self.years, seed=self.seed
        )

    def market_path(self) -> MarketPath | None:
        """The imposed episode, or None for random markets only."""
        if self.episode == "none":
            return None
        return stylised(self.episode, self.episode_month)  # type: ignore[arg-type]

    def seed_sequence(self, replication: int) -> np.random.SeedSequence:
        """Root of replication `replication`, shared by variant and status quo (CRN)."""
        return np.random.SeedSequence(self.seed, spawn_key=(replication,))


@dataclass
class Progress:
    """What a page needs to redraw: where the run is and the series so far."""

    phase: str  # "variant" or "status quo"
    replication: int
    months_done: int
    fraction: float
    series: pd.DataFrame


@dataclass
class PairedResults:
    """Finished runs: monthly series and horizon tables, one per replication and scenario."""

    settings: RunSettings
    variant_name: str
    variant: list[pd.DataFrame] = field(default_factory=list)
    baseline: list[pd.DataFrame] = field(default_factory=list)
    variant_horizon: list[pd.DataFrame] = field(default_factory=list)
    baseline_horizon: list[pd.DataFrame] = field(default_factory=list)
    variant_adequacy: list[pd.DataFrame] = field(default_factory=list)
    baseline_adequacy: list[pd.DataFrame] = field(default_factory=list)
    """Retirement adequacy by group (`adequacy_groups.adequacy_cells`), one per replication."""


class RunCancelledError(Exception):
    """The run was stopped from the page."""


def run_paired(
    variant: Scenario,
    settings: RunSettings,
    on_progress: Callable[[Progress], None] | None = None,
    cancel: threading.Event | None = None,
    update_every_months: int = 6,
    baseline: Scenario | None = None,
) -> PairedResults:
    """Run `variant` and status quo for every replication with common random numbers.

    Parameters
    ----------
    variant
        The regulatory variant built in the page.
    settings
        Sample, horizon, seed and market episode (checked here).
    on_progress
        Called every `update_every_months` months and at the end of each run.
    cancel
        When set, the run stops at the next month and `RunCancelledError` is raised.
    baseline
        The comparison scenario (default: bundled ``status-quo``).

    Returns
    -------
    PairedResults
    """
    settings.check()
    baseline = baseline or load_scenario(BASELINE_SCENARIO)
    config = settings.config()
    path = settings.market_path()
    out = PairedResults(settings, variant.name)
    total = 2 * settings.replications * settings.n_months
    done = 0
    for rep in range(settings.replications):
        for phase, scenario, series_out, horizon_out, adequacy_out in (
            ("variant", variant, out.variant, out.variant_horizon, out.variant_adequacy),
            ("status quo", baseline, out.baseline, out.baseline_horizon, out.baseline_adequacy),
        ):
            model = Alt401kModel(scenario, config, settings.seed_sequence(rep), path)
            while model.month < config.n_months:
                if cancel is not None and cancel.is_set():
                    raise RunCancelledError
                model.step()
                done += 1
                last = model.month == config.n_months
                if on_progress is not None and (model.month % update_every_months == 0 or last):
                    on_progress(Progress(phase, rep, model.month, done / total, _series(model)))
            series_out.append(_series(model))
            horizon_out.append(horizon_table(model).to_pandas())
            adequacy_out.append(adequacy_cells(retiree_frame(model.retirees)))
    return out


def _series(model: Alt401kModel) -> pd.DataFrame:
    return model.recorder.series_table().to_pandas()


# ----------------------------------------------------------------------------- summaries

OUTCOMES: Final[dict[str, Callable[[pd.DataFrame], float]]] = {
    "Assets in alternatives at horizon, $B": lambda s: float(
        sum(s[f"assets_usd__{a}"].iloc[-1] for a in ALTERNATIVES) / 1e9
    ),
    "Plans offering any alternative at horizon, %": lambda s: (
        100 * float(s["share_plans_offering_any_alt"].iloc[-1])
    ),
    "Savers exposed to alternatives at horizon, %": lambda s: (
        100 * float(s["share_savers_exposed_any_alt"].iloc[-1])
    ),
    "Total 401(k) assets at horizon, $T": lambda s: float(s["assets_usd"].iloc[-1] / 1e12),
    "Fees paid over the run, $B": lambda s: float(s["fees_usd"].iloc[1:].sum() / 1e9),
    "Lawsuits over the run": lambda s: float(s["lawsuits"].iloc[1:].sum()),
    "Near-retirees with a >20% worst-year loss at horizon, %": lambda s: (
        100 * float(s["share_near_retirees_worst_year_loss_gt20"].iloc[-1])
    ),
    "Near-retirees with a >20% worst-year loss at horizon, economic values, %": lambda s: (
        100 * float(s["share_near_retirees_worst_year_loss_gt20_economic"].iloc[-1])
    ),
    "Largest fall of 401(k) assets, reported NAVs, %": lambda s: (
        100 * valuation.drawdown(s["assets_usd"].to_numpy())
    ),
    "Largest fall of 401(k) assets, economic values, %": lambda s: (
        100 * valuation.drawdown(s["assets_economic_usd"].to_numpy())
    ),
    "Assets in alternatives at horizon, $B of 2025": lambda s: float(
        sum(s[f"assets_usd2025__{a}"].iloc[-1] for a in ALTERNATIVES) / 1e9
    ),
    "Fees paid, PV of the first 10 years at 3%, $B of 2025": lambda s: _fees_pv(s, 0.03),
    "Fees paid, PV of the first 10 years at 7%, $B of 2025": lambda s: _fees_pv(s, 0.07),
    "Fees paid in the last 12 months, bps of assets": lambda s: float(
        adequacy.fees_bps(s["fees_usd"].iloc[-12:].sum(), s["assets_usd"].iloc[-12:].mean())
    ),
    "Fees paid in the last 12 months, $ of 2025 per participant": lambda s: float(
        adequacy.fees_per_participant(s["fees_usd2025"].iloc[-12:].sum(), s["participants"].iloc[-12:].mean())
    ),
    "Participants holding alternatives at horizon, millions": lambda s: float(
        s["share_savers_exposed_any_alt"].iloc[-1] * s["participants"].iloc[-1] / 1e6
    ),
    "Positions waiting behind gates, peak month-end stock, $B": lambda s: float(
        s["gated_stock_usd"].iloc[1:].max() / 1e9
    ),
    "Sales refused by gates, largest month, $B": lambda s: float(s["gated_refused_usd"].iloc[1:].max() / 1e9),
    "Months to liquidate the gated stock, peak": lambda s: float(
        np.nanmax(s["gated_months_to_liquidate"].iloc[1:].to_numpy(), initial=0.0)
    ),
    "Default funds' sleeves above target, peak, % of their assets": lambda s: (
        100 * float(s["sleeve_over_target_share"].iloc[1:].max())
    ),
    "Stale-NAV transfers in default funds, whole run, $B of 2025": lambda s: float(
        s["stale_nav_transfer_usd2025"].iloc[1:].sum() / 1e9
    ),
}
"""Headline outcome name -> function of one run's monthly series table."""


def _all_retirees(column: str) -> Callable[[pd.DataFrame], float]:
    """`column` of the 'all retirees' row of one run's adequacy cells, in % (NaN if no one retired)."""

    def value(cells: pd.DataFrame) -> float:
        hit = cells.loc[cells["group"] == "all retirees", column]
        return 100 * float(hit.iloc[0]) if len(hit) else math.nan

    return value


ADEQUACY_OUTCOMES: Final[dict[str, Callable[[pd.DataFrame], float]]] = {
    "Retirees' median replacement rate with Social Security, %": _all_retirees("median_replacement_rate_with_ss"),
    "Retirees below 70% replacement with Social Security, %": _all_retirees("share_below_70"),
}
"""Headline adequacy outcome name -> function of one run's adequacy cells (ODD §7.13): savers
who retired during the run, Social Security included."""


def _fees_pv(series: pd.DataFrame, rate: float) -> float:
    """Present value, $B of 2025, of the first ten years of fees paid (the whole run if
    shorter) at `rate` real, end-of-year discounting (OMB Circular A-4;
    `adequacy.present_value_of_fees`)."""
    fees = series["fees_usd2025"].iloc[1:].to_numpy()
    years = min(10, fees.size // 12)
    if years == 0:
        return math.nan
    annual = fees[: 12 * years].reshape(years, 12).sum(axis=1)
    return adequacy.present_value_of_fees(annual, (rate,))[rate] / 1e9


def paired_comparison(results: PairedResults) -> pd.DataFrame:
    """Variant minus status quo for each headline outcome, paired by replication.

    Returns
    -------
    pandas.DataFrame
        One row per outcome (`OUTCOMES`, then `ADEQUACY_OUTCOMES`): means of variant and
        status quo, mean paired difference and a 95% t interval of it (NaN with a single
        replication).
    """
    rows = []
    measures = [(name, fn, results.variant, results.baseline) for name, fn in OUTCOMES.items()]
    measures += [(name, fn, results.variant_adequacy, results.baseline_adequacy)
                 for name, fn in ADEQUACY_OUTCOMES.items()]
    for name, fn, variant_runs, baseline_runs in measures:
        v = np.array([fn(s) for s in variant_runs])
        b = np.array([fn(s) for s in baseline_runs])
        d = v - b
        n = d.size
        half = (stats.t.ppf(0.975, n - 1) * d.std(ddof=1) / math.sqrt(n)) if n > 1 else math.nan
        rows.append(
            {
                "outcome": name,
                "variant": v.mean(),
                "status quo": b.mean(),
                "difference": d.mean(),
                "ci95 low": d.mean() - half,
                "ci95 high": d.mean() + half,
            }
        )
    return pd.DataFrame(rows)


def distribution_table(results: PairedResults) -> pd.DataFrame:
    """Horizon outcomes by income quintile, variant against status quo (replication means).

    Mean balance of savers still in a plan at the horizon (all ages pooled, people-weighted)
    and, for those who retired during the run, the median replacement rate and the share
    whose worst calendar year lost more than 20%.
    """

    def per_quintile(tables: list[pd.DataFrame]) -> pd.DataFrame:
        parts = []
        for t in tables:
            active = t[t["age_group"] != "retired"].copy()
            active["dollars"] = active["people"] * active["mean_balance_usd"].fillna(0.0)
            g = active.groupby("income_quintile")[["people", "dollars"]].sum()
            part = pd.DataFrame({"mean_balance_usd": g["dollars"] / g["people"]})
            retired = t[t["age_group"] == "retired"].set_index("income_quintile")
            part["median_replacement_rate"] = retired["median_replacement_rate"]
            part["share_worst_year_loss_gt20"] = retired["share_worst_year_loss_gt20"]
            part["share_worst_year_loss_gt20_economic"] = retired["share_worst_year_loss_gt20_economic"]
            parts.append(part)
        return pd.concat(parts).groupby(level=0).mean()

    v = per_quintile(results.variant_horizon)
    b = per_quintile(results.baseline_horizon)
    table = pd.DataFrame(index=v.index)
    table["mean balance, variant $"] = v["mean_balance_usd"]
    table["mean balance, status quo $"] = b["mean_balance_usd"]
    table["difference $"] = v["mean_balance_usd"] - b["mean_balance_usd"]
    table["retirees' median replacement, variant"] = v["median_replacement_rate"]
    table["retirees' median replacement, status quo"] = b["median_replacement_rate"]
    table["retirees with >20% loss year, variant"] = v["share_worst_year_loss_gt20"]
    table["retirees with >20% loss year, status quo"] = b["share_worst_year_loss_gt20"]
    table["retirees with >20% loss year at economic values, variant"] = v["share_worst_year_loss_gt20_economic"]
    table["retirees with >20% loss year at economic values, status quo"] = b["share_worst_year_loss_gt20_economic"]
    table.index.name = "income quintile"
    return table.reset_index()


def series_csv(results: PairedResults) -> str:
    """Every monthly series of every run, long by run: scenario, replication, date, ..."""
    frames = []
    for label, tables in (
        (results.variant_name, results.variant),
        (BASELINE_SCENARIO, results.baseline),
    ):
        for rep, t in enumerate(tables):
            frames.append(t.assign(scenario=label, replication=rep))
    table = pd.concat(frames, ignore_index=True)
    first = ["scenario", "replication", "date", "month"]
    return table[first + [c for c in table.columns if c not in first]].to_csv(index=False)


__all__ = [
    "EPISODES",
    "OUTCOMES",
    "RunCancelledError",
    "PairedResults",
    "Progress",
    "RunSettings",
    "distribution_table",
    "paired_comparison",
    "run_paired",
    "series_csv",
]
