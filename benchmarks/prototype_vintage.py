"""Would vintage target-date funds move the model's results? A what-if run.

Not a test, and not a benchmark of speed: the proposal in benchmarks/RESULTS.md ("What it
would take", `prototype_units.py`) holds each saver's default fund as units of a vintage
fund, one per plan and five-year birth cohort, as recordkeepers do, instead of a fund
whose glide path is read at the saver's exact age (ODD §7, default fund). This script
measures what that one systematic change does to results, with everything else the
model's: `VintageModel` reads the glide path at the middle of each saver's birth cohort
(its vintage fund's position) instead of at the saver's age; both models run from the
same seeds (the same random numbers), and the differences are set beside the spread
between seeds. Of the proposal's other changes, events timed by each rule's own clock
keep today's monthly law exactly and so move results by Monte Carlo noise only
(`prototype_units.py --draws`), while pooling the funds changes who bears the illiquid
sleeve (`prototype_pooling.py`).

    .venv/bin/python benchmarks/prototype_vintage.py                  # 3 seeds, 100k savers, 30 years
    .venv/bin/python benchmarks/prototype_vintage.py --seeds 1 2 --scenario broad-access
"""

from __future__ import annotations

import argparse
import dataclasses

import numpy as np
from alt401k.agents.fund_mix import DefaultFundMix
from alt401k.model.assets import ALTERNATIVES
from alt401k.model.config import RunConfig
from alt401k.model.model import Alt401kModel
from alt401k.model.policy import load_scenario

COHORT_YEARS = 5.0
"""Width of a vintage's birth cohort (target-date funds come in five-year vintages)."""


class VintageModel(Alt401kModel):
    """The model with each saver's default fund at its vintage's glide-path position."""

    def _vintage_age(self, age: np.ndarray) -> np.ndarray:
        """The age of the middle of each saver's five-year birth cohort, today."""
        now = self.config.start.year + (self.config.start.month - 1) / 12.0 + self.month / 12.0
        return now - (COHORT_YEARS * np.floor((now - age) / COHORT_YEARS) + COHORT_YEARS / 2.0)

    def default_fund_mix(self) -> DefaultFundMix:
        mix = super().default_fund_mix()
        return dataclasses.replace(mix, age_years=self._vintage_age(mix.age_years))

    def composition(self, rows: np.ndarray | None = None) -> np.ndarray:
        pop = self.savers
        exact = pop.age_years
        try:
            pop.age_years = self._vintage_age(exact)
            return super().composition(rows)
        finally:
            pop.age_years = exact


def outcomes(model: Alt401kModel, months: tuple[int, ...]) -> list[tuple[float, ...]]:
    """Assets ($T), alternatives ($B), share of savers exposed, fees ($B a month) and the
    default fund's equity share at each of `months` (after a run)."""
    t = model.recorder.series_table().to_pandas()
    alt = sum(t[f"assets_usd__{a}"] for a in ALTERNATIVES)
    rows = []
    for m in months:
        i = min(m, len(t) - 1)
        r = t.iloc[i]
        rows.append((r.assets_usd / 1e12, alt.iloc[i] / 1e9, r.share_savers_exposed_any_alt,
                     r.fees_usd / 1e9, r.assets_usd__default_fund__equity / r.assets_usd__default_fund))
    return rows


def main() -> None:
    """Run both models on each seed; print the outcomes and their differences."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--savers", type=int, default=100_000)
    parser.add_argument("--years", type=int, default=30)
    parser.add_argument("--scenario", default="eo-14330")
    args = parser.parse_args()
    months = (120, 240, 12 * args.years)
    print("| seed | year | model | assets $T | alternatives $B | savers exposed | fees $B/month | "
          "default fund's equity share |")
    print("|---:|---:|---|---:|---:|---:|---:|---:|")
    for seed in args.seeds:
        config = RunConfig(n_savers=args.savers, n_sponsors=max(1_200, args.savers // 100), years=args.years,
                           seed=seed)
        results = {}
        for name, cls in (("exact age", Alt401kModel), ("vintage", VintageModel)):
            model = cls(load_scenario(args.scenario), config)
            model.run()
            results[name] = outcomes(model, months)
        for m, base, vint in zip(months, results["exact age"], results["vintage"], strict=True):
            for name, row in (("exact age", base), ("vintage", vint)):
                print(f"| {seed} | {m // 12} | {name} | {row[0]:.3f} | {row[1]:.1f} | {row[2]:.4f} | {row[3]:.3f} | "
                      f"{row[4]:.4f} |")
            diff = [v / b - 1.0 if b else 0.0 for b, v in zip(base, vint, strict=True)]
            print(f"| {seed} | {m // 12} | relative difference | {diff[0]:+.2e} | {diff[1]:+.2e} | {diff[2]:+.2e} | "
                  f"{diff[3]:+.2e} | {diff[4]:+.2e} |")


if __name__ == "__main__":
    main()
