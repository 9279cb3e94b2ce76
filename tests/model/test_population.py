"""Tests for model/population.py helpers: the fast stable argsort is numpy's stable argsort."""

from __future__ import annotations

import numpy as np
from alt401k.model.population import stable_argsort, weighted_median
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays


@given(arrays(np.float64, st.integers(0, 300), elements=st.sampled_from([0.0, -0.0, 1.5, -2.0, np.nan, np.inf]) | st.floats(-1e6, 1e6)))
@settings(max_examples=200, deadline=None)
def test_stable_argsort_is_numpys_stable_argsort(x: np.ndarray) -> None:
    # Ties, signed zeros, NaNs and infinities included: the same permutation, not only a sorting one.
    np.testing.assert_array_equal(stable_argsort(x), np.argsort(x, kind="stable"))


def test_stable_argsort_without_ties_and_weighted_median() -> None:
    rng = np.random.default_rng(3)
    x = rng.lognormal(11.0, 0.6, 100_000)  # salaries: no ties, the fast path
    np.testing.assert_array_equal(stable_argsort(x), np.argsort(x, kind="stable"))
    w = rng.uniform(1.0, 3.0, x.size)
    order = np.argsort(x, kind="stable")
    cum = np.cumsum(w[order])
    assert weighted_median(x, w) == x[order][np.searchsorted(cum, 0.5 * cum[-1])]
    assert weighted_median(np.array([1.0, 2.0, 3.0]), np.array([1.0, 1.0, 5.0])) == 3.0
