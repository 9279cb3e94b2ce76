"""Speed and memory of one model run: saver-months per second and peak memory by sample size.

Not a test. Each measurement runs in a fresh subprocess (so peak RSS is that run's alone),
`--repeats` times, in rounds that run every configuration once (`measure_all`); the median
is reported with the machine and its measured memory bandwidth. The per-saver reference engine is timed in the same invocation and the ratio
printed. Usage:

    .venv/bin/python benchmarks/bench_model.py            # issue #6: 10k-10M, reference at 10k and 100k
    .venv/bin/python benchmarks/bench_model.py --sizes 10000 100000 --reference 10000 --months 3

By default a whole year is timed (after the first month): every plan's annual review month
and December's year end come once, in both engines, so the ratio is the year's, not that
of whichever months a shorter window happens to hold. Before the measured model starts, a
small model of the same engine runs through a year end, so that loading the compiled passes
from numba's cache (one-off in a process, ~0.1-0.5 s) is timed apart ("kernels s") and not
in the year: the year-end pass used to be loaded in the timed December (~9 ms, ~6% of a
year at 100k savers).

The columnar engine runs its compiled passes and draws on every core (numba's threads);
`--one-thread` sizes are measured again on one thread, to show what the threads add. The
per-saver reference is Python and runs on one core.

Writes the measured block of benchmarks/RESULTS.md (or --out) between the markers
MEASURED_START and MEASURED_END, keeping the analysis written around it.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

CHILD = r"""
import json, resource, sys, time
import numpy as np
from alt401k.model.config import RunConfig
from alt401k.model.model import Alt401kModel
from alt401k.model.policy import load_scenario
from alt401k.model.scale import LARGE_RUN_SAVERS, keep_freed_memory
from alt401k.model.threads import set_kernel_threads
n, months, engine, threads, warm_savers = (int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], int(sys.argv[4]),
                                         int(sys.argv[5]))
threads = set_kernel_threads(threads or None)
if n >= LARGE_RUN_SAVERS:  # as `alt401k run` does
    keep_freed_memory()
sponsors = max(1_200, n // 100)
# Load every compiled pass the run uses from numba's cache first (one-off, not timed): a
# small model of the same engine through its first December, whose year-end pass a first
# month alone does not load.
tw = time.perf_counter()
warm = Alt401kModel(load_scenario("eo-14330"), RunConfig(n_savers=warm_savers, n_sponsors=1_200, years=2,
                                                         saver_engine=engine))
for _ in range(13):
    warm.step()
del warm
warm_s = time.perf_counter() - tw
cfg = RunConfig(n_savers=n, n_sponsors=sponsors, years=max(1, -(-(months + 1) // 12)), saver_engine=engine)
t0 = time.perf_counter()
model = Alt401kModel(load_scenario("eo-14330"), cfg)
t1 = time.perf_counter()
model.step()  # first month: its own arrays' first use, not timed
t2 = time.perf_counter()
for _ in range(months):
    model.step()
t3 = time.perf_counter()
peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"warm_s": warm_s, "init_s": t1 - t0, "first_s": t2 - t1, "step_s": t3 - t2,
                  "peak_gib": peak_kib / 2**20, "threads": threads}))
"""


WARM_SAVERS = 300
"""Savers of the model each child runs through a year end before the measured one, to load
every compiled pass (`CHILD`)."""

MARK_START, MARK_END = "<!-- MEASURED_START (bench_model.py) -->", "<!-- MEASURED_END -->"


def machine() -> str:
    """One line describing the machine: CPU model, cores, memory, Python, kernel path."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    from alt401k.base.compiled import jit_enabled

    return (f"{cpu}, {os.cpu_count()} cores, {mem:.0f} GiB, Python {platform.python_version()}, "
            f"kernel {'numba' if jit_enabled() else 'interpreted'}")


def bandwidth_gbs() -> tuple[float, float]:
    """Memory bandwidth of this machine in GB/s: reading a 1 GiB array (sum) and copying
    it into an already-touched one (read + write counted), best of three."""
    import numpy as np

    x = np.ones(2**27)
    y = np.empty_like(x)
    y[:] = 0.0
    read, copy = [], []
    for _ in range(3):
        t = time.perf_counter()
        x.sum()
        read.append(x.nbytes / (time.perf_counter() - t) / 1e9)
        t = time.perf_counter()
        np.copyto(y, x)
        copy.append(2 * x.nbytes / (time.perf_counter() - t) / 1e9)
    return max(read), max(copy)


def run_once(n: int, months: int, engine: str = "columnar", threads: int = 0) -> dict[str, float]:
    """One timed run in a fresh process (`threads` for the compiled passes; 0: all)."""
    out = subprocess.run([sys.executable, "-c", CHILD, str(n), str(months), engine, str(threads), str(WARM_SAVERS)],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def summarise(n: int, months: int, engine: str, runs: list[dict[str, float]]) -> dict[str, float]:
    """Median step time, saver-months/s and peak memory of one configuration's runs."""
    step = statistics.median(r["step_s"] for r in runs)
    return {
        "savers": n,
        "months": months,
        "engine": engine,
        "threads": 1 if engine == "agents" else runs[0]["threads"],
        "warm_s": statistics.median(r["warm_s"] for r in runs),
        "init_s": statistics.median(r["init_s"] for r in runs),
        "first_s": statistics.median(r["first_s"] for r in runs),
        "step_s": step,
        "round_steps": [r["step_s"] for r in runs],
        "saver_months_per_s": n * months / step,
        "peak_gib": max(r["peak_gib"] for r in runs),
    }


def measure_all(configs: list[tuple[int, str, int]], months: int, repeats: int) -> list[dict[str, float]]:
    """Every (savers, engine, threads) configuration `repeats` times, in rounds: each round
    runs every configuration once, so that a slow stretch of a shared machine falls on one
    run of several configurations rather than on every run of one (the columnar engine and
    the reference it is compared with are then timed over the same stretch)."""
    runs: list[list[dict[str, float]]] = [[] for _ in configs]
    for _ in range(repeats):
        for k, (n, engine, threads) in enumerate(configs):
            runs[k].append(run_once(n, months, engine, threads))
    return [summarise(n, months, engine, r) for (n, engine, _), r in zip(configs, runs, strict=True)]


def _millions(rate: float) -> str:
    """A rate in millions with three significant digits (0.0148M, 6.84M)."""
    return f"{rate / 1e6:.3g}M"


def main() -> None:
    """Run the measurements and write the results table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000, 10_000_000])
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--reference", type=int, nargs="*", default=[10_000, 100_000],
                        help="sizes at which to also time the per-saver reference engine")
    parser.add_argument("--one-thread", type=int, nargs="*", default=[100_000, 1_000_000],
                        help="sizes at which to also time the columnar engine on one thread")
    parser.add_argument("--out", default=str(Path(__file__).with_name("RESULTS.md")))
    args = parser.parse_args()
    started = time.strftime("%Y-%m-%d")
    configs = [(n, "columnar", 0) for n in args.sizes] + [(n, "columnar", 1) for n in args.one_thread]
    configs += [(n, "agents", 0) for n in args.reference]
    rows = measure_all(configs, args.months, args.repeats)
    read, copy = bandwidth_gbs()
    lines = [
        MARK_START,
        f"Measured {started} on: {machine()}; memory bandwidth {read:.1f} GB/s read, "
        f"{copy:.1f} GB/s copy (read + write).",
        f"Scenario eo-14330, the full model (sponsors, managers, market, litigation, observation); "
        f"plans = max(1,200, savers / 100). Timed: {args.months} months after initialisation and a "
        f"first month (shown apart), once a {WARM_SAVERS}-saver model of the same engine has run 13 months "
        f"(a year end included) to load every compiled pass from numba's cache (kernels s; one-off, "
        f"as it is for every run in a process); median of {args.repeats} runs, "
        "a fresh process each, in rounds that run every configuration once; peak = max resident set "
        "size of the process. From 1M savers glibc keeps freed memory for reuse, as `alt401k run` does (`model.scale.keep_freed_memory`).",
        "",
        "| engine | threads | savers | kernels s | init s | first month s | months s | saver-months/s | peak GiB |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(f"| {r['engine']} | {r['threads']} | {r['savers']:,} | {r['warm_s']:.2f} | {r['init_s']:.2f} | "
                     f"{r['first_s']:.2f} | "
                     f"{r['step_s']:.2f} | {_millions(r['saver_months_per_s'])} | {r['peak_gib']:.2f} |")
    ref = {r["savers"]: r for r in rows if r["engine"] == "agents"}
    for r in rows:
        if r["engine"] == "columnar" and r["savers"] in ref:
            agents = ref[r["savers"]]
            ratio = r["saver_months_per_s"] / agents["saver_months_per_s"]
            # Each round times both engines over the same stretch of the machine: the spread
            # of the round-by-round ratios shows how far its drift moves the median's.
            rounds = [a / c for c, a in zip(r["round_steps"], agents["round_steps"], strict=True)]
            lines.append(f"\nColumnar ({r['threads']} thread{'s' if r['threads'] > 1 else ''}) / per-saver "
                         f"reference at {r['savers']:,} savers: {ratio:.0f}x "
                         f"(round by round: {min(rounds):.0f}-{max(rounds):.0f}x)")
    lines.append(MARK_END)
    block = "\n".join(lines)
    print(block)
    out = Path(args.out)
    old = out.read_text() if out.exists() else f"# Model speed and memory\n\n{MARK_START}\n{MARK_END}\n"
    if MARK_START not in old or MARK_END not in old:
        old = f"# Model speed and memory\n\n{MARK_START}\n{MARK_END}\n\n{old}"
    head, rest = old.split(MARK_START, 1)
    out.write_text(head + block + rest.split(MARK_END, 1)[1])


if __name__ == "__main__":
    main()
