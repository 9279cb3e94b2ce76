"""Sobol' indices from a polynomial chaos surrogate: known answers, noise, intervals, seeds."""

from __future__ import annotations

import math

import numpy as np
import pytest
from alt401k.experiments.analysis import ishigami
from alt401k.experiments.surrogate import PceSettings, pce_sobol, scale_to_unit
from alt401k.experiments.sweep_spec import sample

ISHIGAMI = {"num_vars": 3, "names": ["x1", "x2", "x3"], "bounds": [[-math.pi, math.pi]] * 3}
LINEAR = {"num_vars": 4, "names": ["a", "b", "c", "d"], "bounds": [[0.0, 1.0], [0.0, 1.0], [-1.0, 1.0], [2.0, 5.0]]}
SLOPES = np.array([1.0, 2.0, 1.5, 0.0])


def test_pce_recovers_ishigami_indices() -> None:
    """Known answer (Ishigami & Homma 1990; Sudret 2008, Table 2), a=7, b=0.1, from 300
    Latin-hypercube points: the Saltelli estimator needs thousands of runs for this."""
    x = sample(ISHIGAMI, "latin", 300, seed=1)
    result = pce_sobol(ISHIGAMI, x, ishigami(x), seed=1, settings=PceSettings(n_bootstrap=0))
    table = result.table.set_index("factor").loc[["x1", "x2", "x3"]]
    np.testing.assert_allclose(table["S1"], [0.3139, 0.4424, 0.0], atol=0.03)
    np.testing.assert_allclose(table["ST"], [0.5576, 0.4424, 0.2437], atol=0.03)
    assert result.q2 > 0.98 and result.degree >= 8  # smooth but not low-order: sin and x^4


def linear_runs(n: int, noise_share: float, seed: int) -> tuple[np.ndarray, np.ndarray, float]:
    """y = sum_i a_i x_i with x_i uniform on the LINEAR bounds, plus Gaussian noise that is
    `noise_share` of the outcome's variance. Returns x, y and the Q² a perfect fit reaches."""
    x = sample(LINEAR, "latin", n, seed=seed)
    signal = x @ SLOPES
    variance = float(np.sum(SLOPES**2 * np.ptp(np.array(LINEAR["bounds"]), axis=1) ** 2 / 12))
    noise_sd = math.sqrt(variance * noise_share / (1 - noise_share))
    y = signal + np.random.default_rng(seed).normal(0.0, noise_sd, n)
    return x, y, 1 - noise_share


def linear_indices() -> np.ndarray:
    """S1 = ST = a_i² Var(x_i) / sum_j a_j² Var(x_j) for a linear function of independent inputs."""
    parts = SLOPES**2 * np.ptp(np.array(LINEAR["bounds"]), axis=1) ** 2 / 12
    return parts / parts.sum()


def test_noise_goes_to_the_residual_not_the_indices() -> None:
    """A quarter of the variance is seed-like noise. The indices are the noiseless
    function's, by hand (1, 4, 9, 0)/14 (an estimator blind to the noise would give 3/4
    of them), within about 3 standard errors at this n, and Q² is about 3/4: the surrogate
    leaves the noise in its residual."""
    x, y, q2_ideal = linear_runs(800, noise_share=0.25, seed=3)
    result = pce_sobol(LINEAR, x, y, seed=4, settings=PceSettings(n_bootstrap=30))
    table = result.table.set_index("factor").loc[LINEAR["names"]]
    np.testing.assert_allclose(linear_indices(), np.array([1, 4, 9, 0]) / 14)
    np.testing.assert_allclose(table["S1"], linear_indices(), atol=0.06)
    np.testing.assert_allclose(table["ST"], linear_indices(), atol=0.06)
    assert result.q2 < 0.85 and result.q2 == pytest.approx(q2_ideal, abs=0.05)
    assert (np.abs(table["S1"] - linear_indices()) <= 2 * table["S1_conf"]).all()


def test_half_widths_shrink_with_more_runs() -> None:
    """Bootstrap half-widths fall roughly as 1/sqrt(n): 4x the runs, about half the width."""
    widths = {}
    for n in (100, 400):
        x, y, _ = linear_runs(n, noise_share=0.25, seed=5)
        table = pce_sobol(LINEAR, x, y, seed=6, settings=PceSettings(n_bootstrap=40)).table.set_index("factor")
        widths[n] = table.loc[["a", "b", "c"], "S1_conf"].to_numpy()
    assert (widths[400] < widths[100]).all()
    assert widths[400].mean() < 0.7 * widths[100].mean()


def test_same_seed_same_numbers() -> None:
    """The folds and resamples come from the seed alone (no global random state)."""
    x, y, _ = linear_runs(60, noise_share=0.25, seed=7)
    settings = PceSettings(n_bootstrap=10, max_degree=3)
    first = pce_sobol(LINEAR, x, y, seed=8, settings=settings)
    np.random.seed(0)  # noqa: NPY002 (on purpose: the global generator must not matter)
    again = pce_sobol(LINEAR, x, y, seed=8, settings=settings)
    assert first.table.equals(again.table) and first.q2 == again.q2
    other = pce_sobol(LINEAR, x, y, seed=9, settings=settings)
    assert not np.array_equal(first.table["S1_conf"], other.table["S1_conf"])


def test_constant_outcome_and_bad_inputs() -> None:
    x = sample(LINEAR, "latin", 20, seed=1)
    flat = pce_sobol(LINEAR, x, np.ones(20), settings=PceSettings(n_bootstrap=0))
    assert np.isnan(flat.table["ST"]).all() and math.isnan(flat.q2)
    with pytest.raises(ValueError, match="uniform"):
        scale_to_unit({**LINEAR, "dists": ["unif", "norm", "unif", "unif"]}, x)
    np.testing.assert_allclose(scale_to_unit(LINEAR, np.array([[0.0, 1.0, 0.0, 3.5]])), [[-1.0, 1.0, 0.0, 0.0]])
    with pytest.raises(ValueError, match="at least 10 runs"):
        pce_sobol(LINEAR, x[:5], np.arange(5.0))
    with pytest.raises(ValueError, match="q_norm"):
        PceSettings(q_norm=0.0)
