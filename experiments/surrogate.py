"""Sobol' indices from a sparse polynomial chaos surrogate fitted to a sweep's runs.

docs/sweeps.md, "Sensitivity analysis". The Saltelli estimator
(`analysis.analyze_design`) needs N (D + 2) runs of a fixed design and its bootstrap
intervals narrow only as 1/√N; a stochastic model's seed noise widens them further. A
polynomial chaos expansion (PCE) fitted by regression to the same runs gives the indices
analytically from its coefficients (Sudret 2008, Reliab. Eng. Syst. Saf. 93:964-979), and
its residual takes up the seed noise instead of spreading it over the indices. The basis
is sparse: least-angle regression (LARS) picks the terms, and the corrected leave-one-out
error picks how many (Blatman & Sudret 2011, J. Comput. Phys. 230:2345-2367).

Here, with OpenTURNS (`FunctionalChaosAlgorithm`, `LARS`, `CorrectedLeaveOneOut`,
`FunctionalChaosSobolIndices`): the factors, uniform on their bounds, are scaled to
[-1, 1] and expanded on tensor products of Legendre polynomials with a hyperbolic
(q-norm) truncation. The total degree is chosen by K-fold cross-validation, refitting the
whole sparse regression on each fold (degree-adaptive, as Blatman & Sudret: raise the
degree until Q² stops improving, then keep the lowest degree within one standard error of
the best); the fit's Q² is reported so that a reader can tell whether the surrogate is to
be trusted. The 95% half-widths come from a bootstrap over runs: resample the runs with
replacement, refit (term selection included) at the chosen degree, recompute the indices,
and take 1.96 times their standard deviation, as SALib does for its own intervals. Only
(X, Y) is used, so any design's runs will do (Saltelli, Latin hypercube, Morris).

The indices are shares of the surrogate's variance, that is of the part of the outcome's
variance the parameters explain; 1 - Q² is the share the surrogate does not explain (seed
noise and lack of fit).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

F64 = npt.NDArray[np.float64]
Z95 = 1.959963984540054
"""Standard normal 97.5% quantile: half-width = Z95 x bootstrap standard deviation (SALib's convention)."""


@dataclass(frozen=True)
class PceSettings:
    """How the surrogate is fitted and its intervals computed.

    `max_degree` caps the degree-adaptive search, which also stops after `patience`
    degrees without a better Q², or before a candidate basis would exceed `max_terms`
    polynomials (LARS's cost grows with it). `q_norm` is the hyperbolic truncation (1: the
    full total-degree basis; smaller keeps fewer interaction terms: Blatman & Sudret 2011,
    §4.3). `folds` is K of the K-fold Q²; `n_bootstrap` the bootstrap refits (0: none).
    """

    max_degree: int = 10
    q_norm: float = 0.5
    folds: int = 5
    n_bootstrap: int = 200
    max_terms: int = 500
    patience: int = 2

    def __post_init__(self) -> None:
        if self.max_degree < 1:
            raise ValueError(f"max_degree must be at least 1 (got {self.max_degree})")
        if not 0.0 < self.q_norm <= 1.0:
            raise ValueError(f"q_norm must be in (0, 1] (got {self.q_norm})")
        if self.folds < 2:
            raise ValueError(f"folds must be at least 2 (got {self.folds})")
        if self.n_bootstrap < 0 or self.n_bootstrap == 1:
            raise ValueError(f"n_bootstrap must be 0 or at least 2 (got {self.n_bootstrap})")


@dataclass(frozen=True)
class PceSobol:
    """Sobol' indices of a PCE surrogate and how well it fits.

    `table`: one row per factor (factor, S1, S1_conf, ST, ST_conf, 95% half-widths),
    ranked by ST. `q2`: K-fold Q² at the chosen `degree`; `q2_by_degree`: (Q², its standard
    error) of the degrees tried;
    `n_terms`: polynomials LARS kept (constant included) out of `n_candidates`;
    `n_refits`: bootstrap refits behind the half-widths (a failed one is left out).
    """

    table: pd.DataFrame
    q2: float
    degree: int
    n_terms: int
    n_candidates: int
    n_runs: int
    n_refits: int
    q2_by_degree: dict[int, tuple[float, float]] = field(default_factory=dict)
    settings: PceSettings = field(default_factory=PceSettings)

    def summary(self) -> dict[str, Any]:
        """The fit's diagnostics and settings as plain data (for manifests)."""
        return {"q2": self.q2, "degree": self.degree, "n_terms": self.n_terms,
                "n_candidates": self.n_candidates, "n_runs": self.n_runs, "n_refits": self.n_refits,
                "q2_by_degree": {str(k): {"q2": q2, "se": se} for k, (q2, se) in self.q2_by_degree.items()},
                "settings": dataclasses.asdict(self.settings)}


def scale_to_unit(problem: dict[str, Any], x: F64) -> F64:
    """The sample `x` (n, D) mapped to [-1, 1] per factor by the problem's bounds.

    Raises ValueError for a factor that is not uniform: the Legendre basis is orthonormal
    for the uniform law only.
    """
    dists = problem.get("dists") or ["unif"] * problem["num_vars"]
    odd = [n for n, d in zip(problem["names"], dists, strict=True) if d != "unif"]
    if odd:
        raise ValueError(f"the Legendre basis needs uniform factors; not uniform: {', '.join(odd)}")
    bounds = np.asarray(problem["bounds"], dtype=float)
    low, high = bounds[:, 0], bounds[:, 1]
    return 2.0 * (np.asarray(x, dtype=float) - low) / (high - low) - 1.0


def pce_sobol(problem: dict[str, Any], x: F64, y: F64, seed: int = 0,
              settings: PceSettings | None = None,
              on_refit: Callable[[], None] | None = None) -> PceSobol:
    """Sobol' indices of outcome `y` (n,) on the factors of sample `x` (n, D) from a sparse PCE.

    The degree is chosen by K-fold Q² (folds drawn from `seed`), then the indices come from
    the fit to all runs and their half-widths from `settings.n_bootstrap` refits on runs
    resampled with a generator seeded from `seed` (no global random state). `on_refit` is
    called after each bootstrap refit (a progress bar).
    """
    settings = settings or PceSettings()
    z = scale_to_unit(problem, x)
    y = np.asarray(y, dtype=float)
    if z.shape[0] != y.shape[0] or z.shape[0] < 2 * settings.folds:
        raise ValueError(f"need matching x and y with at least {2 * settings.folds} runs "
                         f"(got {z.shape[0]} and {y.shape[0]})")
    names = list(problem["names"])
    rng = np.random.default_rng(seed % (2**32))
    spread = float(np.std(y))
    if spread == 0.0:  # a constant outcome: nothing to apportion
        return _constant(names, len(y), settings)
    y = (y - y.mean()) / spread  # indices and Q² do not depend on the outcome's units
    with _openturns_settings():
        degree, q2_by_degree = choose_degree(z, y, settings, rng)
        result = fit(z, y, degree, settings.q_norm)
        s1, st = indices(result, len(names))
        boot = _bootstrap(z, y, degree, settings, rng, on_refit)
    table = pd.DataFrame({"factor": names, "S1": s1, "S1_conf": _half_width(boot[:, 0]),
                          "ST": st, "ST_conf": _half_width(boot[:, 1])})
    table = table.sort_values("ST", ascending=False, kind="stable").reset_index(drop=True)
    n_refits = int(np.isfinite(boot).all(axis=(1, 2)).sum())
    return PceSobol(table, q2_by_degree[degree][0], degree, len(result.getIndices()),
                    basis_size(len(names), degree, settings.q_norm), len(y), n_refits, q2_by_degree,
                    settings)


def _constant(names: list[str], n: int, settings: PceSettings) -> PceSobol:
    """The result for an outcome that does not vary: indices and Q² undefined (NaN)."""
    nan = [math.nan] * len(names)
    table = pd.DataFrame({"factor": names, "S1": nan, "S1_conf": nan, "ST": nan, "ST_conf": nan})
    return PceSobol(table, math.nan, 0, 1, 1, n, 0, {}, settings)


def choose_degree(z: F64, y: F64, settings: PceSettings,
                  rng: np.random.Generator) -> tuple[int, dict[int, tuple[float, float]]]:
    """The total degree by K-fold Q², raising it from 1 (degree-adaptive: Blatman & Sudret
    2011, §4.2), then the lowest degree within one standard error of the best Q² (the
    one-standard-error rule: Hastie, Tibshirani & Friedman 2009, §7.10): as good a fit
    within the folds' noise, with fewer candidate terms and so cheaper, steadier refits.
    Returns it and (Q², standard error) of every degree tried."""
    folds = np.array_split(rng.permutation(len(y)), settings.folds)
    tried: dict[int, tuple[float, float]] = {}
    best, since_best = 1, 0
    for degree in range(1, settings.max_degree + 1):
        if degree > 1 and basis_size(z.shape[1], degree, settings.q_norm) > settings.max_terms:
            break
        tried[degree] = kfold_q2(z, y, degree, settings.q_norm, folds)
        if tried[degree][0] > tried[best][0]:
            best, since_best = degree, 0
        elif degree > 1:
            since_best += 1
            if since_best >= settings.patience:
                break
    floor = tried[best][0] - tried[best][1]
    return min(d for d, (q2, _) in tried.items() if q2 >= floor), tried


def kfold_q2(z: F64, y: F64, degree: int, q_norm: float,
             folds: list[npt.NDArray[np.int64]]) -> tuple[float, float]:
    """Q² = 1 - PRESS / total sum of squares, each fold predicted by a fit (term selection
    included) to the other folds: an honest error, unlike the leave-one-out error of the
    terms selected on all runs (OpenTURNS refuses that shortcut for a sparse PCE). Also its
    standard error, from the spread of the folds' own Q² (sd / sqrt(K))."""
    import openturns as ot

    total = float(np.sum((y - y.mean()) ** 2))
    squares = np.empty(len(folds))
    for k, held in enumerate(folds):
        keep = np.setdiff1d(np.arange(len(y)), held)
        result = fit(z[keep], y[keep], degree, q_norm)
        predicted = np.asarray(result.getMetaModel()(ot.Sample(z[held])), dtype=float)[:, 0]
        squares[k] = float(np.sum((y[held] - predicted) ** 2))
    by_fold = 1.0 - squares / np.array([len(h) for h in folds]) / (total / len(y))
    return 1.0 - float(squares.sum()) / total, float(by_fold.std(ddof=1) / math.sqrt(len(folds)))


def basis_size(dimension: int, degree: int, q_norm: float) -> int:
    """Number of candidate polynomials of total degree `degree` under the q-norm truncation."""
    import openturns as ot

    return int(ot.HyperbolicAnisotropicEnumerateFunction(dimension, q_norm).getBasisSizeFromTotalDegree(degree))


def fit(z: F64, y: F64, degree: int, q_norm: float) -> Any:
    """Sparse PCE of `y` on `z` in [-1, 1]^D: Legendre basis truncated at `degree` (q-norm
    `q_norm`), terms chosen by LARS and the corrected leave-one-out error
    (OpenTURNS `LeastSquaresMetaModelSelectionFactory`); an `ot.FunctionalChaosResult`."""
    import openturns as ot

    dimension = z.shape[1]
    enumerate_function = ot.HyperbolicAnisotropicEnumerateFunction(dimension, q_norm)
    basis = ot.OrthogonalProductPolynomialFactory([ot.LegendreFactory()] * dimension, enumerate_function)
    size = enumerate_function.getBasisSizeFromTotalDegree(degree)
    selection = ot.LeastSquaresMetaModelSelectionFactory(ot.LARS(), ot.CorrectedLeaveOneOut())
    algorithm = ot.FunctionalChaosAlgorithm(
        ot.Sample(np.ascontiguousarray(z)), ot.Sample(np.ascontiguousarray(y)[:, None]),
        ot.JointDistribution([ot.Uniform(-1.0, 1.0)] * dimension),
        ot.FixedStrategy(basis, size), ot.LeastSquaresStrategy(selection))
    algorithm.run()
    return algorithm.getResult()


def indices(result: Any, dimension: int) -> tuple[F64, F64]:
    """First-order and total Sobol' indices of a fitted PCE, from its coefficients (Sudret
    2008, eqs. 34-35); NaN when the fit kept no term but the constant."""
    import openturns as ot

    if len(result.getIndices()) < 2:
        return np.full(dimension, math.nan), np.full(dimension, math.nan)
    sobol = ot.FunctionalChaosSobolIndices(result)
    s1 = np.array([sobol.getSobolIndex(i) for i in range(dimension)])
    st = np.array([sobol.getSobolTotalIndex(i) for i in range(dimension)])
    return s1, st


def _bootstrap(z: F64, y: F64, degree: int, settings: PceSettings, rng: np.random.Generator,
               on_refit: Callable[[], None] | None) -> F64:
    """Indices refitted on runs resampled with replacement: shape (n_bootstrap, 2, D).

    A resample whose outcome is constant, or whose fit fails, is left out (NaN)."""
    out = np.full((settings.n_bootstrap, 2, z.shape[1]), math.nan)
    for b in range(settings.n_bootstrap):
        rows = rng.integers(0, len(y), len(y))
        if np.ptp(y[rows]) > 0:
            with suppress(RuntimeError):  # OpenTURNS's exceptions: e.g. a singular resample
                out[b] = indices(fit(z[rows], y[rows], degree, settings.q_norm), z.shape[1])
        if on_refit is not None:
            on_refit()
    return out


def _half_width(draws: F64) -> F64:
    """95% half-width per factor: Z95 x the bootstrap standard deviation (NaN without draws)."""
    finite = np.isfinite(draws).all(axis=1)
    if finite.sum() < 2:
        return np.full(draws.shape[-1], math.nan)
    return Z95 * draws[finite].std(axis=0, ddof=1)


@contextmanager
def _openturns_settings() -> Iterator[None]:
    """OpenTURNS set for these fits, and restored afterwards: least squares by QR rather
    than SVD (the same terms and coefficients here, in about 60% of the time) and its
    warnings (e.g. on an ill-conditioned fold) kept off the console."""
    import openturns as ot

    key = "LeastSquaresMetaModelSelection-DecompositionMethod"
    method, flags = ot.ResourceMap.GetAsString(key), ot.Log.Flags()
    ot.ResourceMap.SetAsString(key, "QR")
    ot.Log.Show(flags & ~ot.Log.WARN)
    try:
        yield
    finally:
        ot.ResourceMap.SetAsString(key, method)
        ot.Log.Show(flags)


__all__ = ["PceSettings", "PceSobol", "basis_size", "choose_degree", "fit", "indices",
           "kfold_q2", "pce_sobol", "scale_to_unit"]
