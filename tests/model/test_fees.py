"""Tests for model/fees.py: the month's fee totals from the compiled pass (`fee_sums`) are,
bit for bit, numpy's (`fee_sums_numpy`), and so is what `credit_revenue` books.

The pass reproduces numpy's own summation orders: pairwise sums down columns and over
gathered values (`_walk`, `_pairwise`), rows of 8 pairwise, columns of a C-ordered matrix
plan by plan, and a strided 2-D block in numpy's buffers of numpy.getbufsize() values.
Sizes around 8 and 128 (numpy's pairwise leaves) and 585 (rows of the 14-column block per
buffer) are drawn on purpose; every comparison is of the bytes.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from alt401k.base.assets import N_HOLDINGS
from alt401k.model import fees
from alt401k.model.config import RunConfig
from alt401k.model.model import Alt401kModel
from alt401k.model.policy import load_scenario
from hypothesis import given, settings
from hypothesis import strategies as st

EDGES = [0, 1, 2, 7, 8, 9, 15, 16, 17, 63, 64, 65, 127, 128, 129, 130, 135, 136, 255, 256, 257, 584, 585, 586,
         1169, 1170, 1171, 2048]
SIZES = st.one_of(st.sampled_from(EDGES), st.integers(0, 3000))
SEEDS = st.integers(0, 2**32 - 1)
N_PROVIDERS = 5


def numpy_tree(n: int) -> list[tuple[int, int]]:
    """numpy's pairwise recursion written out (PW_BLOCKSIZE 128, halves cut at a multiple
    of 8), in post-order, as `fees._walk` lists it."""
    out: list[tuple[int, int]] = []

    def visit(lo: int, size: int) -> None:
        if size <= 128:
            out.append((lo, size))
            return
        h = size // 2 - (size // 2) % 8
        visit(lo, h)
        visit(lo + h, size - h)
        out.append((-1, -1))

    visit(0, n)
    return out


def values(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Nonnegative fees with zeros, of like magnitudes (so that any change of order shows
    in the last bits) and, in some rows, of wildly different ones."""
    x = rng.uniform(1.0, 2.0, shape) * (rng.random(shape) < 0.8)
    wild = rng.random(shape[0]) < 0.2
    x[wild] *= 10.0 ** rng.integers(-6, 7, x[wild].shape)
    return x


def same_bits(a: object, b: object) -> bool:
    return np.asarray(a, dtype=np.float64).tobytes() == np.asarray(b, dtype=np.float64).tobytes()


def random_month(seed: int, n: int, n_products: int = 11) -> tuple:
    """Arguments of `fee_sums`: random fees; fee rates by product with some zeros, and on
    some plans rates of their own; default products; providers including some out of
    range (counted in no provider's total, as `tdf_manager == i` counts them)."""
    rng = np.random.default_rng(seed)
    rates = rng.uniform(0.0, 0.02, (n_products, N_HOLDINGS)) * (rng.random((n_products, N_HOLDINGS)) < 0.8)
    product = rng.integers(0, n_products, n).astype(np.int32)
    fee_matrix = rates[product]
    own = rng.random(n) < 0.1
    fee_matrix[own] = rng.uniform(0.0, 0.02, (int(own.sum()), N_HOLDINGS))
    base_fee = rng.uniform(0.0, 0.01, n_products) * (rng.random(n_products) < 0.9)
    tdf_manager = rng.integers(-1, N_PROVIDERS + 1, n).astype(np.int32)
    return values(rng, (n, N_HOLDINGS)) * 1e4, fee_matrix, base_fee, product, tdf_manager, N_PROVIDERS


@settings(max_examples=40, deadline=None, derandomize=True)
@given(n=st.one_of(st.sampled_from(EDGES), st.integers(0, 200_000)))
def test_walk_is_numpys_pairwise_tree(n: int) -> None:
    assert [tuple(r) for r in fees._walk(n).tolist()] == numpy_tree(n)


@settings(max_examples=80, deadline=None, derandomize=True)
@given(n=st.one_of(st.sampled_from(EDGES), st.integers(0, 20_000)), lo=st.integers(0, 9), seed=SEEDS)
def test_pairwise_is_numpys_sum(n: int, lo: int, seed: int) -> None:
    x = values(np.random.default_rng(seed), (lo + n,))
    assert same_bits(0.0 + fees._pairwise(x, lo, n), x[lo:].sum())


@settings(max_examples=150, deadline=None, derandomize=True)
@given(n=SIZES, seed=SEEDS)
def test_fee_sums_equal_numpys_bit_for_bit(n: int, seed: int) -> None:
    month = random_month(seed, n)
    expected, got = fees.fee_sums_numpy(*month), fees.fee_sums(*month)
    for field, a, b in zip(expected._fields, expected, got, strict=True):
        assert same_bits(a, b), field


@pytest.mark.parametrize("bufsize", [4096, 10_000])
def test_fee_sums_follow_numpys_buffer_size(bufsize: int) -> None:
    # The block after the default fund is summed in numpy's buffers, whatever their size.
    month = random_month(bufsize, 2000)
    old = np.setbufsize(bufsize)
    try:
        expected, got = fees.fee_sums_numpy(*month), fees.fee_sums(*month)
    finally:
        np.setbufsize(old)
    assert same_bits(expected.beyond_default, got.beyond_default)


def test_other_layouts_are_summed_as_their_c_ordered_copy() -> None:
    # A Fortran-ordered matrix holds the same numbers: the pass sums its C-ordered copy, so
    # the sums are those of the C-ordered month, bit for bit.
    fees_c, fee_matrix, *rest = random_month(3, 700)
    month = (np.asfortranarray(fees_c), np.asfortranarray(fee_matrix), *rest)
    expected, got = fees.fee_sums(fees_c, fee_matrix, *rest), fees.fee_sums(*month)
    assert all(same_bits(a, b) for a, b in zip(expected, got, strict=True))


@pytest.fixture(scope="module")
def model() -> Alt401kModel:
    return Alt401kModel(load_scenario("eo-14330"), RunConfig(n_savers=500, n_sponsors=60, years=1, seed=5))


@settings(max_examples=40, deadline=None, derandomize=True)
@given(n=SIZES, seed=SEEDS)
def test_credit_revenue_books_what_numpy_books(model: Alt401kModel, n: int, seed: int) -> None:
    n_products = len(model.book.products)
    fee_table, fee_matrix, _, product, tdf_manager, _ = random_month(seed, n, n_products)
    plans = dataclasses.replace(model.plans, default_product=product,
                                tdf_manager=tdf_manager % len(model.tdf_providers))
    start = [m.revenue_usd for m in model.managers]
    booked = []
    for credit in (fees.credit_revenue_numpy, fees.credit_revenue):
        for m, r in zip(model.managers, start, strict=True):
            m.revenue_usd = r
        split = credit(fee_table, fee_matrix, 1234.5, plans, model.book, model.managers, model.tdf_providers)
        booked.append((split, [m.revenue_usd for m in model.managers]))
    (split_a, revenue_a), (split_b, revenue_b) = booked
    assert split_a.keys() == split_b.keys()
    assert all(same_bits(split_a[k], split_b[k]) for k in split_a)
    assert same_bits(revenue_a, revenue_b)
