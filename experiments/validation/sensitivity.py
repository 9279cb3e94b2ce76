"""Morris screen of the validated statistics over the main behavioural parameters (SALib).

One replication per design point at the 'fast' size, seed fixed (common random numbers), so
elementary effects show the parameters' effects rather than noise. Writes morris.csv
under ``--out`` (default results/validate/, ignored by git); only ``--write-docs`` publishes:
results/validation/morris.csv and the table in docs/validation.md between markers.

Usage: python -m alt401k.experiments.validation.sensitivity [--trajectories R] [--n-jobs K]
[--out DIR | --write-docs]
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

import numpy as np
from SALib.analyze import morris as morris_analyze
from SALib.sample import morris as morris_sample

from ...model.config import RunConfig, with_overrides
from ..validate import DOC, OUT, RESULTS, check_doc, replace_between
from . import load_targets, run_experiments

PARAMS: dict[str, tuple[float, float]] = {
    "saver.voluntary_enrol_prob_monthly": (0.1, 0.4),
    "saver.procrastinator_enrol_prob_monthly": (0.005, 0.03),
    "saver.active_decision_enrol_prob": (0.2, 0.5),
    "saver.auto_enrol_optout_share": (0.05, 0.25),
    "saver.review_prob_monthly.2": (0.1, 0.3),
    "saver.leave_default_prob": (0.1, 0.5),
    "saver.deferral_change_per_excess": (50.0, 150.0),
    "saver.experienced_return_deferral_slope": (0.0, 0.04),
    "saver.crash_interest_drop": (0.2, 0.6),
}
EXPERIMENTS = ["enrollment", "inertia", "experienced_returns", "crypto"]
BEGIN, END = "<!-- BEGIN MORRIS TABLE -->", "<!-- END MORRIS TABLE -->"


def _config(x: np.ndarray) -> RunConfig:
    base = RunConfig()
    over: dict[str, object] = {}
    review = list(base.saver.review_prob_monthly)
    for name, v in zip(PARAMS, x, strict=True):
        if name.startswith("saver.review_prob_monthly."):
            review[int(name.rsplit(".", 1)[1])] = float(v)
        else:
            over[name] = float(v)
    over["saver.review_prob_monthly"] = tuple(review)
    return with_overrides(base, over, "morris")


def _point(x: np.ndarray) -> dict[str, dict[str, float]]:
    runs = run_experiments(EXPERIMENTS, _config(x), "fast", replications=1)
    return {e: r[0] for e, r in runs.items()}


def screen(trajectories: int = 4, n_jobs: int = 1, seed: int = 7) -> list[dict[str, object]]:
    """mu* (scaled by the target's tolerance half-width) of each parameter on each target."""
    problem = {"num_vars": len(PARAMS), "names": list(PARAMS), "bounds": [list(b) for b in PARAMS.values()]}
    design = morris_sample.sample(problem, trajectories, num_levels=4, seed=seed)
    if n_jobs == 1:
        points = [_point(x) for x in design]
    else:
        from joblib import Parallel, delayed

        points = Parallel(n_jobs=n_jobs)(delayed(_point)(x) for x in design)
    rows = []
    for t in load_targets():
        if t.experiment not in EXPERIMENTS:
            continue
        y = np.array([p[t.experiment][t.statistic] for p in points])
        half = (t.hi - t.lo) / 2.0 if np.isfinite(t.hi - t.lo) and t.hi > t.lo else 1.0
        si = morris_analyze.analyze(problem, design, y / half, num_levels=4, seed=seed)
        rows.append({"target": t.name, **{n: float(m) for n, m in zip(PARAMS, si["mu_star"], strict=True)}})
    return rows


def write(rows: list[dict[str, object]], out: Path, doc: Path | None = None) -> None:
    """morris.csv at `out`; with `doc`, also the table between the Morris markers of `doc`."""
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    if doc is not None:
        replace_between(doc, BEGIN, END, "\n".join(table_lines(rows)))


def table_lines(rows: list[dict[str, object]]) -> list[str]:
    """The Markdown table of mu*, the largest effect on each target in bold."""
    short = [n.split(".", 1)[1].replace("_monthly", "").replace("saver.", "") for n in PARAMS]
    lines = ["| target | " + " | ".join(short) + " |", "|---|" + "---|" * len(short)]
    for r in rows:
        vals = [float(r[n]) for n in PARAMS]
        top = max(vals)
        lines.append(f"| {r['target']} | " + " | ".join(
            (f"**{v:.2f}**" if v == top and v > 0.05 else f"{v:.2f}") for v in vals) + " |")
    return lines


def main(argv: list[str] | None = None) -> int:
    """Run the screen; write morris.csv under --out, or publish it and the table (--write-docs)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trajectories", type=int, default=4)
    parser.add_argument("--n-jobs", type=int, default=1)
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--out", default=str(OUT), help=f"directory of morris.csv (default {OUT}, ignored by git)")
    where.add_argument("--write-docs", action="store_true",
                       help="publish: results/validation/morris.csv and the table in docs/validation.md")
    args = parser.parse_args(argv)
    if args.write_docs:
        check_doc(DOC, BEGIN, END)
    rows = screen(args.trajectories, args.n_jobs)
    if args.write_docs:
        write(rows, RESULTS / "morris.csv", DOC)
    else:
        write(rows, Path(args.out) / "morris.csv")
    for r in rows:
        print(r)
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
