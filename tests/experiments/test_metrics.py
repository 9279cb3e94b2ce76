"""Known-answer tests of experiments/metrics.py (closed forms and hand-worked values)."""

from __future__ import annotations

import doctest

import numpy as np
import pytest
from alt401k.experiments import metrics
from alt401k.model.reporters import _wquantile


def test_docstring_examples_run() -> None:
    result = doctest.testmod(metrics)
    assert result.attempted >= 7
    assert result.failed == 0


def test_paired_differences_and_shape_check() -> None:
    assert metrics.paired_differences([5.0, 7.0, 9.0], [1.0, 2.0, 3.0]).tolist() == [4.0, 5.0, 6.0]
    with pytest.raises(ValueError, match="shape"):
        metrics.paired_differences([1.0, 2.0], [1.0])


def test_t_interval_known_answer() -> None:
    # x = (1, 2, 3): mean 2, s = 1, t(0.95, 2) = 2.919986; half-width 2.919986 / sqrt(3).
    iv = metrics.interval([1.0, 2.0, 3.0], 0.90, "t")
    assert iv.mean == pytest.approx(2.0)
    assert iv.high - iv.mean == pytest.approx(2.919986 / np.sqrt(3), rel=1e-6)
    assert iv.mean - iv.low == pytest.approx(1.685854, rel=1e-6)
    assert iv.n == 3 and not iv.includes_zero


def test_t_interval_coverage_on_normal_samples() -> None:
    # A 90% interval for the mean of N(0.5, 1) samples of 5 covers 0.5 about 90% of the time.
    rng = np.random.default_rng(12345)
    hits = [(iv := metrics.interval(rng.normal(0.5, 1.0, 5))).low <= 0.5 <= iv.high for _ in range(2000)]
    assert np.mean(hits) == pytest.approx(0.90, abs=0.02)


def test_percentile_interval_and_degenerate_cases() -> None:
    iv = metrics.interval(np.arange(101.0), 0.90, "percentile")
    assert (iv.low, iv.mean, iv.high) == pytest.approx((5.0, 50.0, 95.0))
    one = metrics.interval([3.0])
    assert one.mean == 3.0 and np.isnan(one.low) and one.includes_zero
    assert metrics.interval([np.nan, np.nan]).n == 0
    assert metrics.interval([-1.0, 1.0, 0.5]).includes_zero
    with pytest.raises(ValueError):
        metrics.interval([1.0, 2.0], method="bootstrap")


def test_present_value_of_a_monthly_annuity() -> None:
    # $100 a month for 10 years at 3%/yr: P v (1 - v^n) / (1 - v), v = 1.03^(-1/12).
    r, n = 0.03, 120
    v = (1 + r) ** (-1 / 12)
    expected = 100 * v * (1 - v**n) / (1 - v)
    months = np.arange(1, n + 1)
    assert metrics.present_value(np.full(n, 100.0), months, r) == pytest.approx(expected, rel=1e-12)
    assert metrics.present_value(np.full(n, 100.0), months, 0.0) == pytest.approx(12_000.0)
    assert metrics.discount_factors([12, 24], 0.05) == pytest.approx([1 / 1.05, 1 / 1.05**2])


def test_weighted_quantile_matches_repeated_sample_and_reporters() -> None:
    rng = np.random.default_rng(7)
    x = rng.normal(size=50)
    w = rng.integers(1, 6, size=50).astype(float)
    repeated = np.repeat(x, w.astype(int))
    for q in (0.1, 0.5, 0.9):
        expected = np.quantile(repeated, q, method="inverted_cdf")
        assert metrics.weighted_quantile(x, w, q) == pytest.approx(expected)
        assert metrics.weighted_quantile(x, w, q) == _wquantile(x, w, q)
    assert metrics.weighted_quantile(np.arange(1.0, 11.0), np.ones(10), 0.5) == 5.0
    assert np.isnan(metrics.weighted_quantile([], [], 0.5))
    with pytest.raises(ValueError):
        metrics.weighted_quantile([1.0], [1.0], 1.5)


def test_cumulative_and_round_sig() -> None:
    assert metrics.cumulative([1.0, -2.0, 4.0]).tolist() == [1.0, -1.0, 3.0]
    out = metrics.round_sig([2025.0833333333, -1234567.891, 0.0, np.nan, 1e-20 / 3])
    assert out[0] == 2025.08 and out[1] == -1234570.0 and out[2] == 0.0 and np.isnan(out[3])
    assert out[4] == pytest.approx(3.33333e-21)


def test_a_difference_is_read_as_precise_imprecise_or_indistinguishable_from_zero() -> None:
    # Hand-worked 90% t-intervals with 2 degrees of freedom, t = 2.919986:
    # [0.9, 1.0, 1.1]: half-width 2.919986 x 0.1 / sqrt(3) = 0.1686, under 0.25 x 1: precise.
    # [0.5, 1.0, 1.5]: half-width 0.8430, more than 0.25 but the interval (0.157, 1.843)
    # excludes 0: imprecise. [-1.0, 1.0, 0.5]: the interval holds 0.
    assert metrics.interval([0.9, 1.0, 1.1]).verdict == "precise"
    assert metrics.interval([0.5, 1.0, 1.5]).high == pytest.approx(1.8430, abs=1e-4)
    assert metrics.interval([0.5, 1.0, 1.5]).verdict == "imprecise"
    assert metrics.interval([-0.5, -1.0, -1.5]).verdict == "imprecise"
    assert metrics.interval([-1.0, 1.0, 0.5]).verdict == "indistinguishable from zero"
    assert metrics.interval([3.0]).verdict == "indistinguishable from zero"  # undefined with one value
