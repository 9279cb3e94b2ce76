"""Calibration as code: fit behavioural parameters to validation targets by simulated method of moments.

The enrollment and inertia experiments of `experiments.validation` are run with fixed seeds
(common random numbers across parameter values) and small samples; Nelder-Mead minimises
the sum of squared distances to the published values, each scaled by its tolerance
half-width. Only the targets in FIT_TARGETS are used; the other targets are out of sample.
The result goes to results/calibration/fitted.json; copy the values into model/config.py
(the defaults there are the committed fit).

A second problem fits the sponsors' auto-enrollment adoption rule (ODD §7.8), its intercept
and the sponsors' one weight on peers (`sponsor.weight_peers`, which the alternatives
decision reads too), to Vanguard's 2006-2013 shares from runs that start in 2005
(`--problem auto_enrollment`); a third the alternatives-adoption intercept, given that
weight, to the 3.9% of sponsors offering alternatives in 2024 from runs that start in
January 2024 at 2023's 2.2% (`--problem alternatives`). Run the second before the third.

Usage: python -m alt401k.experiments.calibrate [--problem P] [--maxfev N] [--n-jobs K]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
from scipy.optimize import brentq, minimize

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


AE_PARAMETERS: dict[str, tuple[float, float]] = {
    "sponsor.ae_adoption_intercept": (-9.0, 0.0),
    "sponsor.weight_peers": (0.0, 12.0),
}
AE_TARGETS = {"auto_enrolling_2006": 0.10, "auto_enrolling_2008": 0.20, "auto_enrolling_2013": 0.34}
"""Vanguard How America Saves, shares of plans auto-enrolling at year ends (in-sample)."""
AE_START = np.array([-3.0, 2.0])
AE_OUT = Path("results/calibration/fitted_auto_enrollment.json")
AE_REPLICATIONS = 3


def ae_moments(x: np.ndarray, replications: int = AE_REPLICATIONS, n_jobs: int = 1) -> dict[str, float]:
    """Mean simulated auto-enrolling share of each fitted year at parameters `x`."""
    targets = {t.name: t for t in load_targets() if t.name in AE_TARGETS}
    over = {k: float(v) for k, v in zip(AE_PARAMETERS, x, strict=True)}
    runs = run_experiments(["auto_enrollment"], with_overrides(RunConfig(), over, "calibrate"), "fast",
                           replications, n_jobs)
    return {n: float(np.mean([r[t.statistic] for r in runs[t.experiment]])) for n, t in targets.items()}


def _half_widths() -> np.ndarray:
    targets = {t.name: t for t in load_targets() if t.name in AE_TARGETS}
    return np.array([(targets[n].hi - targets[n].lo) / 2.0 for n in AE_TARGETS])


def ae_objective(x: np.ndarray, n_jobs: int = 1) -> float:
    """Sum of ((simulated - published) / tolerance half-width)^2 over the fitted years."""
    m = ae_moments(x, n_jobs=n_jobs)
    gap = np.array([m[n] - v for n, v in AE_TARGETS.items()])
    return float(np.sum((gap / _half_widths()) ** 2))


AE_SE_STEPS = np.array([0.25, 1.0])
"""Half-steps of the central differences for `ae_covariance`, one per parameter of
`AE_PARAMETERS`. The moments are shares of a few hundred plans that adopt when a uniform
falls below a probability, so with common random numbers they move in jumps: a step of
0.05 (used until December 2026) could straddle none or one, and gave a standard error of
13 for the peer weight where moments computed 1.6 units apart show about 2.4. The steps
are about a standard error of each parameter, over which the moments are close to linear."""


def ae_covariance(x: np.ndarray, n_jobs: int = 1, steps: np.ndarray = AE_SE_STEPS) -> np.ndarray:
    """Covariance of the fitted parameters: the method-of-moments sandwich with each
    target's tolerance half-width taken as its standard error and the weights their inverse
    squares, so V = (G' W G)^-1, G the moments' derivatives by central differences over
    `steps` (common random numbers)."""
    cols = []
    for j in range(x.size):
        up, down = x.copy(), x.copy()
        up[j] += steps[j]
        down[j] -= steps[j]
        mu, md = ae_moments(up, n_jobs=n_jobs), ae_moments(down, n_jobs=n_jobs)
        cols.append([(mu[n] - md[n]) / (2 * steps[j]) for n in AE_TARGETS])
    g = np.array(cols).T
    w = np.diag(1.0 / _half_widths() ** 2)
    return np.linalg.inv(g.T @ w @ g)


def fit_auto_enrollment(maxfev: int = 40, n_jobs: int = 1) -> dict[str, object]:
    """Fit the sponsors' auto-enrollment adoption rule (ODD §7.8) to Vanguard's 2006, 2008 and
    2013 shares from runs that start in January 2005; Nelder-Mead directly on the two
    parameters (bounded by `AE_PARAMETERS` through the config's own validation)."""
    t0 = time.perf_counter()
    lo, hi = np.array(list(AE_PARAMETERS.values())).T

    def f(x: np.ndarray) -> float:
        return ae_objective(np.clip(x, lo, hi), n_jobs) if np.all((x >= lo) & (x <= hi)) else 1e9

    res = minimize(f, AE_START, method="Nelder-Mead", options={"maxfev": maxfev, "xatol": 2e-2, "fatol": 1e-2})
    x = np.clip(res.x, lo, hi)
    cov = ae_covariance(x, n_jobs)
    se = np.sqrt(np.diag(cov))
    return {
        "method": "simulated method of moments, Nelder-Mead; standard errors from the moments' Jacobian",
        "sample": f"validation 'fast' plans, {AE_REPLICATIONS} replications, master seed 20250807 (common random numbers)",
        "fitted_to": AE_TARGETS,
        "parameters": {k: round(float(v), 4) for k, v in zip(AE_PARAMETERS, x, strict=True)},
        "standard_errors": {k: round(float(v), 4) for k, v in zip(AE_PARAMETERS, se, strict=True)},
        "correlation": round(float(cov[0, 1] / (se[0] * se[1])), 3),
        "objective": float(res.fun),
        "moments": ae_moments(x, n_jobs=n_jobs),
        "evaluations": int(res.nfev),
        "seconds": round(time.perf_counter() - t0, 1),
    }


ALT_PARAMETER = "sponsor.adoption_intercept"
ALT_BOUNDS = (-6.0, 1.0)
ALT_TARGET = ("sponsors_offering_alts_2024", 0.039)
"""PLANSPONSOR 2025 Recordkeeping Survey: 3.9% of sponsors offered alternatives in 2024 (in-sample)."""
ALT_OUT = Path("results/calibration/fitted_alternatives.json")
ALT_REPLICATIONS = 8


def alt_moments(intercept: float, replications: int = ALT_REPLICATIONS, n_jobs: int = 1) -> np.ndarray:
    """The simulated 2024 share of each replication at `intercept` (common random numbers)."""
    name, _ = ALT_TARGET
    target = next(t for t in load_targets() if t.name == name)
    cfg = with_overrides(RunConfig(), {ALT_PARAMETER: float(intercept)}, "calibrate")
    runs = run_experiments([target.experiment], cfg, "fast", replications, n_jobs)
    return np.array([r[target.statistic] for r in runs[target.experiment]])


def fit_alternatives(n_jobs: int = 1, step: float = 0.25) -> dict[str, object]:
    """Fit the alternatives-adoption intercept (ODD §7.8) to one moment, the share of
    sponsors offering alternatives at the end of 2024: the root of mean simulated share -
    3.9% (the share rises with the intercept; Brent's method inside `ALT_BOUNDS`).

    Uncertainty, by the delta method with the derivative of the mean moment by central
    differences at +/- `step`: from the target (its tolerance half-width taken as its
    standard error, as for the auto-enrollment fit) and from simulation (the standard
    error of the mean over replications); the two combined in quadrature."""
    t0 = time.perf_counter()
    name, value = ALT_TARGET
    target = next(t for t in load_targets() if t.name == name)
    evaluations: list[tuple[float, float]] = []

    def gap(x: float) -> float:
        m = float(np.mean(alt_moments(x, n_jobs=n_jobs)))
        evaluations.append((round(x, 4), round(m, 5)))
        return m - value

    x = brentq(gap, *ALT_BOUNDS, xtol=0.02)
    at = alt_moments(x, n_jobs=n_jobs)
    slope = (np.mean(alt_moments(x + step, n_jobs=n_jobs)) - np.mean(alt_moments(x - step, n_jobs=n_jobs))) / (2 * step)
    se_target = (target.hi - target.lo) / 2.0 / abs(slope)
    se_sim = float(np.std(at, ddof=1) / np.sqrt(at.size)) / abs(slope)
    return {
        "method": "simulated method of moments, one moment one parameter: Brent root of the mean moment; delta-method standard errors",
        "sample": f"validation 'fast' plans, {ALT_REPLICATIONS} replications, master seed 20250807 (common random numbers)",
        "fitted_to": {name: value},
        "parameters": {ALT_PARAMETER: round(float(x), 4)},
        "standard_errors": {ALT_PARAMETER: round(float(np.hypot(se_target, se_sim)), 4)},
        "standard_error_parts": {"target": round(float(se_target), 4), "simulation": round(float(se_sim), 4)},
        "moment_slope_per_unit": round(float(slope), 5),
        "moments": {name: float(np.mean(at))},
        "evaluations": evaluations,
        "seconds": round(time.perf_counter() - t0, 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--problem", choices=("attention", "auto_enrollment", "alternatives"), default="attention",
                        help="attention and enrollment of savers (default), sponsors' auto-enrollment adoption, "
                             "or sponsors' alternatives-adoption intercept")
    parser.add_argument("--maxfev", type=int, default=60)
    parser.add_argument("--n-jobs", type=int, default=1)
    parser.add_argument("--out", help=f"JSON file (default {OUT} or {AE_OUT})")
    args = parser.parse_args(argv)
    if args.problem == "auto_enrollment":
        result, out = fit_auto_enrollment(args.maxfev, args.n_jobs), args.out or str(AE_OUT)
    elif args.problem == "alternatives":
        result, out = fit_alternatives(args.n_jobs), args.out or str(ALT_OUT)
    else:
        result, out = fit(args.maxfev, args.n_jobs), args.out or str(OUT)
    args.out = out
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
