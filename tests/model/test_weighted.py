"""Tests for model/weighted.py: the stable sort is numpy's stable argsort, and the weighted
quantiles are the definition written out with numpy (cumulative weights in stable order)."""

from __future__ import annotations

import numpy as np
from alt401k.model import weighted
from alt401k.model.weighted import stable_argsort, weighted_median, weighted_quantiles
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

SPECIAL = st.sampled_from([0.0, -0.0, 1.5, -2.0, np.nan, -np.nan, np.inf, -np.inf, 5e-324, -5e-324])
VALUES = arrays(np.float64, st.integers(0, 300), elements=SPECIAL | st.floats(-1e6, 1e6))


def _reference(x: np.ndarray, w: np.ndarray, qs: tuple[float, ...]) -> np.ndarray:
    """The definition with numpy alone: stable order, running weights, first to reach q x total."""
    order = np.argsort(x, kind="stable")
    cum = np.cumsum(w[order])
    return x[order][np.minimum(np.searchsorted(cum, np.asarray(qs) * cum[-1]), x.size - 1)]


@given(VALUES)
@settings(max_examples=300, deadline=None)
def test_stable_argsort_is_numpys_stable_argsort(x: np.ndarray) -> None:
    # Ties, signed zeros, NaNs of either sign, subnormals and infinities included: the same
    # permutation, not only a sorting one.
    np.testing.assert_array_equal(stable_argsort(x), np.argsort(x, kind="stable"))


@given(VALUES.filter(lambda a: a.size > 0), st.data())
@settings(max_examples=200, deadline=None)
def test_weighted_quantiles_equal_the_numpy_definition(x: np.ndarray, data: st.DataObject) -> None:
    w = data.draw(arrays(np.float64, x.size, elements=st.floats(0.0, 1e4) | st.sampled_from([0.0, 1.0])))
    qs = (0.0, 0.1, 0.2, 0.5, 0.8, 1.0)
    np.testing.assert_array_equal(weighted_quantiles(x, w, qs), _reference(x, w, qs))


def test_large_samples_without_and_with_ties() -> None:
    rng = np.random.default_rng(3)
    x = rng.lognormal(11.0, 0.6, 200_000)  # salaries: continuous draws
    rounded = np.round(x, -3)  # thousands of ties
    w = rng.uniform(1.0, 3.0, x.size)
    for values in (x, rounded):
        np.testing.assert_array_equal(stable_argsort(values), np.argsort(values, kind="stable"))
        qs = (0.2, 0.4, 0.6, 0.8)
        np.testing.assert_array_equal(weighted_quantiles(values, w, qs), _reference(values, w, qs))
    assert weighted_median(x, w) == _reference(x, w, (0.5,))[0]


def test_weighted_median_by_hand() -> None:
    # Weights 1, 1, 5: 3.0 holds 5/7 of the weight, so half is reached only there.
    assert weighted_median(np.array([1.0, 2.0, 3.0]), np.array([1.0, 1.0, 5.0])) == 3.0
    # Equal weights: the lower median of an even sample.
    assert weighted_median(np.array([4.0, 1.0, 3.0, 2.0]), np.ones(4)) == 2.0
    assert np.isnan(weighted_quantiles(np.zeros(0), np.zeros(0), (0.5,))).all()


def test_compiled_path_is_taken() -> None:
    # The radix sort itself, not numpy's, answers when numba is installed.
    x = np.array([2.0, -0.0, 0.0, np.nan, -1.0, 2.0])
    np.testing.assert_array_equal(weighted._radix_argsort(x), np.argsort(x, kind="stable"))


def test_sorting_in_parts_keeps_ties_in_index_order() -> None:
    # Large enough for the compiled sort to count and scatter in several parts on numba's
    # threads: runs of ties, signed zeros and NaNs cross the parts' boundaries.
    rng = np.random.default_rng(11)
    specials = np.array([0.0, -0.0, 1.5, -2.0, np.nan, np.inf, -np.inf, 5e-324])
    x = np.where(rng.random(70_001) < 0.5, rng.choice(specials, 70_001), rng.normal(0.0, 1e3, 70_001))
    x[20_000:40_000] = 1.5  # one run of ties across parts
    assert x.size // weighted._PART_ROWS > 1
    np.testing.assert_array_equal(stable_argsort(x), np.argsort(x, kind="stable"))
