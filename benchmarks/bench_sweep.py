"""Sweep runner benchmarks: per-run overhead over a bare model run, and 2-worker speed-up.

Run: ``.venv/bin/python benchmarks/bench_sweep.py [--quick]``. Prints machine info and
medians, and writes benchmarks/SWEEP_RESULTS.md. The overhead is `run_one` (config,
cached scenario, model, series selection, two Parquet files written atomically) minus
the same model built and run bare; the speed-up is the wall time of a sweep of 4 runs with
one local worker over the same sweep with two.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
from alt401k.experiments import sweep
from alt401k.experiments.sweep_spec import load_spec
from alt401k.model.config import RunConfig
from alt401k.model.model import Alt401kModel
from alt401k.model.policy import load_scenario

SPEC = """
scenarios = ["eo-14330"]
design = "grid"
replications = 4
master_seed = 1
years = {years}
n_savers = {n_savers}
n_sponsors = {n_sponsors}
[levers]
"safe_harbor.strength" = [0.7]
[outputs]
every = 1
monthly = ["assets_usd", "assets_usd__alternatives", "share_plans_offering_any_alt", "fees_usd"]
[outputs.horizon]
assets_usd__alternatives = "last"
fees_usd = "sum"
"""
SIZES = {"~1 s": (5_000, 200, 10), "~10 s": (40_000, 1_200, 20)}


def bare_run(n_savers: int, n_sponsors: int, years: int) -> float:
    t0 = time.perf_counter()
    config = RunConfig(n_savers=n_savers, n_sponsors=n_sponsors, years=years)
    model = Alt401kModel(load_scenario("eo-14330"), config, seed_sequence=np.random.SeedSequence(1, spawn_key=(0,)))
    model.run()
    model.recorder.series_table()
    return time.perf_counter() - t0


def runner_run(task: sweep.Task) -> float:
    task.part_path.unlink(missing_ok=True)
    t0 = time.perf_counter()
    sweep.run_one(task)
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="only the ~1 s size, 3 repeats")
    args = parser.parse_args()
    repeats = 3
    sizes = {k: v for k, v in SIZES.items() if not args.quick or k == "~1 s"}
    info = (f"{platform.node()} | {platform.platform()} | {os.cpu_count()} CPUs | "
            f"{platform.processor() or platform.machine()} | Python {platform.python_version()} | "
            f"numpy {np.__version__}")
    print(info)
    rows = []
    work = Path(tempfile.mkdtemp(prefix="bench_sweep_"))
    try:
        for label, (n_savers, n_sponsors, years) in sizes.items():
            spec_path = work / f"spec-{n_savers}.toml"
            spec_path.write_text(SPEC.format(years=years, n_savers=n_savers, n_sponsors=n_sponsors))
            spec, _ = load_spec(spec_path)
            task = sweep.plan_tasks(spec, work / "single")[0]
            bare_run(n_savers, n_sponsors, years)  # warm imports and caches
            runner_run(task)
            bare = statistics.median(bare_run(n_savers, n_sponsors, years) for _ in range(repeats))
            wrapped = statistics.median(runner_run(task) for _ in range(repeats))
            walls = {}
            for n_jobs in (1, 2):
                times = []
                for _ in range(1 if label == "~10 s" else repeats):
                    out = work / f"sweep-{n_savers}-{n_jobs}"
                    shutil.rmtree(out, ignore_errors=True)
                    t0 = time.perf_counter()
                    sweep.run_sweep(spec_path, out, n_jobs=n_jobs, progress=False)
                    times.append(time.perf_counter() - t0)
                walls[n_jobs] = statistics.median(times)
            row = (label, n_savers, n_sponsors, years, bare, wrapped, wrapped - bare,
                   walls[1], walls[2], walls[1] / walls[2])
            rows.append(row)
            print(f"{label}: bare {bare:.3f} s, run_one {wrapped:.3f} s, overhead {wrapped - bare:+.3f} s; "
                  f"4 runs: 1 worker {walls[1]:.2f} s, 2 workers {walls[2]:.2f} s, speed-up {walls[1] / walls[2]:.2f}x")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    lines = ["# Sweep runner benchmark", "", f"Machine: {info}", "",
             f"Medians of {repeats} repeats (one repeat for the 4-run sweeps of the ~10 s size). "
             "Overhead = `run_one` minus a bare model build + run + series table. Sweep wall "
             "time includes spec loading and starting the loky pool.", "",
             "| size | savers | plans | years | bare run s | run_one s | overhead s | 4 runs, 1 worker s | 4 runs, 2 workers s | speed-up |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    lines += [f"| {r[0]} | {r[1]:,} | {r[2]:,} | {r[3]} | {r[4]:.3f} | {r[5]:.3f} | {r[6]:+.3f} | "
              f"{r[7]:.2f} | {r[8]:.2f} | {r[9]:.2f}x |" for r in rows]
    Path(__file__).with_name("SWEEP_RESULTS.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
