"""Where a model month spends its time: cProfile of a few months at one sample size.

Not a test. One month is run first (numba compiles, caches fill), then `--months` months
are profiled; the functions with the most cumulative time are printed. Usage:

    .venv/bin/python benchmarks/profile_model.py --savers 1000000 --months 4
    .venv/bin/python benchmarks/profile_model.py --savers 1000000 --sponsors 604400 --months 3

The profile recorded in benchmarks/RESULTS.md was made with the first line.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import time

from alt401k.model.config import RunConfig
from alt401k.model.model import Alt401kModel
from alt401k.model.policy import load_scenario


def main() -> None:
    """Profile `--months` months of the default scenario after one warm-up month."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--savers", type=int, default=1_000_000)
    parser.add_argument("--sponsors", type=int, help="plans (default: max(1,200, savers / 100))")
    parser.add_argument("--months", type=int, default=4)
    parser.add_argument("--scenario", default="eo-14330")
    parser.add_argument("--top", type=int, default=35)
    args = parser.parse_args()
    sponsors = args.sponsors or max(1_200, args.savers // 100)
    config = RunConfig(n_savers=args.savers, n_sponsors=sponsors, years=1 + (args.months + 1) // 12)
    t0 = time.perf_counter()
    model = Alt401kModel(load_scenario(args.scenario), config)
    t1 = time.perf_counter()
    model.step()
    profile = cProfile.Profile()
    t2 = time.perf_counter()
    profile.enable()
    for _ in range(args.months):
        model.step()
    profile.disable()
    t3 = time.perf_counter()
    print(f"{args.savers:,} savers, {sponsors:,} plans: init {t1 - t0:.1f} s, "
          f"{(t3 - t2) / args.months:.3f} s a month (profiled)")
    pstats.Stats(profile).sort_stats("cumulative").print_stats(args.top)


if __name__ == "__main__":
    main()
