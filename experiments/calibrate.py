"""Calibration as code: fit behavioural parameters to validation targets by simulated method of moments.

The enrollment and inertia experiments of `experiments.validation` are run with fixed seeds
(common random numbers across parameter values) and small samples; Nelder-Mead minimises
the sum of squared distances to the published values, each scaled by its tolerance
half-width. Only the targets in FIT_TARGETS are used; the other targets are out of sample.
The result goes to results/calibration/fitted.json; copy the values into model/config.py
(the defaults there are the committed fit).

Usage: python -m alt401k.experiments.calibrate [--maxfev N] [--n-jobs K]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
from scipy.optimize import minimize

from ..model.config import RunConfig, with_overrides
from .validation import load_targets, run_experiments

PARAMETERS: dict[str, tuple[float, float]] = {
    # name: (lower, upper) bounds; the optimiser works on a logit scale inside them
    "saver.voluntary_enrol_prob_monthly": (0.02, 0.6),
    "saver.procrastinator_enrol_prob_monthly": (0.001, 0.05),
    "saver.active_decision_enrol_prob": (0.05, 0.9),
    "saver.auto_enrol_optout_share": (0.02, 0.3),
    "saver.review_prob_monthly.1": (0.005, 0.08),
    "saver.review_prob_monthly.2": (0.05, 0.5),
}
FIT_TARGETS = {
    # target name: central published value (the tolerance half-width scales the distance)
    "auto_participation": 0.86,
    "opt_in_participation": 0.37,
    "active_decision_gap": 0.28,
    "active_decision_catch_up": 30.0,
    "no_trade_2y": 0.80,
    "one_trade_2y": 0.11,
    "quarterly_changers": 0.0575,
}
START = np.array([0.25, 0.012, 0.35, 0.14, 0.03, 0.20])
OUT = Path("results/calibration/fitted.json")


def config_for(x: np.ndarray, base: RunConfig | None = None) -> RunConfig:
    """RunConfig with the fitted parameters set to `x` (same order as PARAMETERS)."""
    base = base or RunConfig()
    over: dict[str, object] = {}
    review = list(base.saver.review_prob_monthly)
    for (name, _), v in zip(PARAMETERS.items(), x, strict=True):
        if name.startswith("saver.review_prob_monthly."):
            review[int(name.rsplit(".", 1)[1])] = float(v)
        else:
            over[name] = float(v)
    over["saver.review_prob_monthly"] = tuple(review)
    return with_overrides(base, over, "calibrate")


def _to_x(z: np.ndarray) -> np.ndarray:
    lo, hi = np.array(list(PARAMETERS.values())).T
    return lo + (hi - lo) / (1.0 + np.exp(-z))


def _to_z(x: np.ndarray) -> np.ndarray:
    lo, hi = np.array(list(PARAMETERS.values())).T
    p = (x - lo) / (hi - lo)
    return np.log(p / (1.0 - p))


def moments(x: np.ndarray, replications: int = 2, n_jobs: int = 1) -> dict[str, float]:
    """Mean simulated statistic of each fitted target at parameters `x`."""
    targets = {t.name: t for t in load_targets() if t.name in FIT_TARGETS}
    runs = run_experiments(["enrollment", "inertia"], config_for(x), "fast", replications, n_jobs)
    return {n: float(np.mean([r[t.statistic] for r in runs[t.experiment]])) for n, t in targets.items()}


def objective(x: np.ndarray, replications: int = 2, n_jobs: int = 1) -> float:
    """Sum over fitted targets of ((simulated - published) / tolerance half-width)^2."""
    targets = {t.name: t for t in load_targets() if t.name in FIT_TARGETS}
    m = moments(x, replications, n_jobs)
    return float(sum(((m[n] - FIT_TARGETS[n]) / ((t.hi - t.lo) / 2.0)) ** 2 for n, t in targets.items()))


def fit(maxfev: int = 60, n_jobs: int = 1) -> dict[str, object]:
    """Run Nelder-Mead from START; return the fitted values, objective and moments."""
    t0 = time.perf_counter()
    res = minimize(lambda z: objective(_to_x(z), n_jobs=n_jobs), _to_z(START), method="Nelder-Mead",
                   options={"maxfev": maxfev, "xatol": 1e-2, "fatol": 1e-2, "initial_simplex": None})
    x = _to_x(res.x)
    return {
        "method": "simulated method of moments, Nelder-Mead on logit-bounded parameters",
        "sample": "validation 'fast' size, 2 replications, master seed 20250807 (common random numbers)",
        "fitted_to": FIT_TARGETS,
        "parameters": {k: round(float(v), 4) for k, v in zip(PARAMETERS, x, strict=True)},
        "objective": float(res.fun),
        "objective_at_start": objective(START, n_jobs=n_jobs),
        "moments": moments(x, n_jobs=n_jobs),
        "evaluations": int(res.nfev),
        "seconds": round(time.perf_counter() - t0, 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--maxfev", type=int, default=60)
    parser.add_argument("--n-jobs", type=int, default=1)
    parser.add_argument("--out", default=str(OUT))
    args = parser.parse_args(argv)
    result = fit(args.maxfev, args.n_jobs)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
