"""Would another layout of the savers' holdings be faster? A measured prototype.

Not a test, and not the model: a stand-alone copy of one part of the balance pass (ODD
§7.5: each holding's return and fee, with each plan's gains and fees by holding added in
row order), run on the holdings of a real model state in three layouts:

- row-major, one saver at a time, skipping empty holdings: what `agents.kernels` does now;
- column-major (one holding's column of every saver contiguous), plan by plan and holding
  by holding, every column;
- column-major, skipping a plan's column where none of its savers holds anything in it
  (the occupancy a column-major state could keep per plan and holding);

each in float64 and the last also in float32. The per-plan sums are added in row order in
every float64 layout, so those three must give the same bytes (checked here). Needs numba
(a required dependency since issue #24). Usage:

    .venv/bin/python benchmarks/prototype_layout.py                 # 100k and 1M savers
    .venv/bin/python benchmarks/prototype_layout.py --savers 100000 --threads 1

Results and what they mean for issue #6: benchmarks/RESULTS.md, "What it would take".
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
from alt401k.agents.kernels import plan_runs
from alt401k.base.assets import HOLDING_ASSET
from alt401k.model.config import RunConfig
from alt401k.model.model import Alt401kModel
from alt401k.model.policy import load_scenario
from alt401k.model.threads import set_kernel_threads
from numba import njit, prange


@njit(parallel=True, nogil=True)
def row_major(bounds, plan, bal, w, r, fee, gain_out, fee_out):  # pragma: no cover - compiled
    """The balance pass's holdings loop: saver by saver, empty holdings skipped."""
    for c in prange(bounds.shape[0] - 1):
        p = plan[c]
        for i in range(bounds[c], bounds[c + 1]):
            wi = w[i]
            for j in range(bal.shape[1]):
                b = bal[i, j]
                if b == 0.0:
                    continue
                gain_out[p, j] += wi * (b * r[j])
                b *= 1.0 + r[j]
                f = b * fee[p, j]
                fee_out[p, j] += wi * f
                bal[i, j] = b - f


@njit(parallel=True, nogil=True)
def column_major(bounds, plan, bal, w, r, fee, gain_out, fee_out, occupied):  # pragma: no cover - compiled
    """The same arithmetic on `bal` of shape (holdings, savers), plan by plan and holding
    by holding; a plan's holding is skipped where `occupied` says nobody holds it."""
    for c in prange(bounds.shape[0] - 1):
        p, lo, hi = plan[c], bounds[c], bounds[c + 1]
        for j in range(bal.shape[0]):
            if not occupied[c, j]:
                continue
            rj, fj, one = r[j], fee[p, j], 1.0 + r[j]
            column = bal[j]
            gain, fees = gain_out[p, j], fee_out[p, j]
            for i in range(lo, hi):
                b = column[i]
                gain += w[i] * (b * rj)
                b *= one
                f = b * fj
                fees += w[i] * f
                column[i] = b - f
            gain_out[p, j], fee_out[p, j] = gain, fees


def median_ns(kernel, args, n: int, repeats: int = 20) -> float:
    """Median nanoseconds a saver of one call (after a warm-up call)."""
    kernel(*args)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        kernel(*args)
        times.append(time.perf_counter() - start)
    return statistics.median(times) / n * 1e9


def measure(n: int, threads: int) -> str:
    """One line of results at `n` savers on `threads` threads."""
    set_kernel_threads(threads)
    model = Alt401kModel(load_scenario("eo-14330"), RunConfig(n_savers=n, n_sponsors=max(1_200, n // 100), years=2))
    for _ in range(14):  # past the first sponsor reviews and a year end: alternatives held
        model.step()
    pop = model.savers
    runs = plan_runs(pop.sponsor)  # the model keeps each plan's rows together
    bounds, plan = np.append(runs, n).astype(np.int64), pop.sponsor[runs].astype(np.int64)
    r = np.asarray(model.last_returns.reported)[HOLDING_ASSET]
    fee, w, h = model.plan_fee_matrix() / 12.0, pop.weight, pop.balance_usd.shape[1]
    occupied = np.add.reduceat(pop.balance_usd != 0, runs, axis=0) > 0
    every = np.ones_like(occupied)

    def sums() -> tuple[np.ndarray, np.ndarray]:
        return np.zeros((model.plans.n, h)), np.zeros((model.plans.n, h))

    # One call of each float64 layout from the same state: the same bytes.
    a, b, c = pop.balance_usd.copy(), np.ascontiguousarray(pop.balance_usd.T), np.ascontiguousarray(pop.balance_usd.T)
    sa, sb, sc = sums(), sums(), sums()
    row_major(bounds, plan, a, w, r, fee, *sa)
    column_major(bounds, plan, b, w, r, fee, *sb, every)
    column_major(bounds, plan, c, w, r, fee, *sc, occupied)
    same = (np.array_equal(a, b.T) and np.array_equal(a, c.T)
            and all(np.array_equal(x, y) and np.array_equal(x, z) for x, y, z in zip(sa, sb, sc, strict=True)))
    t_row = median_ns(row_major, (bounds, plan, a, w, r, fee, *sa), n)
    t_all = median_ns(column_major, (bounds, plan, b, w, r, fee, *sb, every), n)
    t_occ = median_ns(column_major, (bounds, plan, c, w, r, fee, *sc, occupied), n)
    f32 = np.float32
    t_32 = median_ns(column_major, (bounds, plan, c.astype(f32), w.astype(f32), r.astype(f32), fee.astype(f32),
                                    np.zeros((model.plans.n, h), f32), np.zeros((model.plans.n, h), f32), occupied), n)
    return (f"| {n:,} | {threads} | {np.mean(pop.balance_usd == 0):.0%} | {np.mean(~occupied):.0%} | "
            f"{t_row:.1f} | {t_all:.1f} | {t_occ:.1f} | {t_32:.1f} | {'yes' if same else 'NO'} |")


def main() -> None:
    """Measure the layouts at the requested sizes and thread counts and print a table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--savers", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()
    print("| savers | threads | empty holdings | empty (plan, holding) columns | row-major ns/saver | "
          "column-major, all | column-major, occupied only | same, float32 | same bytes (float64) |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for n in args.savers:
        for threads in args.threads:
            print(measure(n, threads), flush=True)


if __name__ == "__main__":
    main()
