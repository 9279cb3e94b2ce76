"""Tests for model/fees.py: the month's fee totals (`fee_sums`) and what `credit_revenue`
books (ODD §7 fees, §6 fee revenue).

A hand-worked month; the split of each default-fund fee between provider and sleeve
conserving money; every total against a whole-array statement of the rule (to rounding);
the managers' revenue adding up to what the split says they earn.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from alt401k.base.assets import ASSET_CLASSES, N_HOLDINGS, holding_index
from alt401k.model import fees
from alt401k.model.config import RunConfig
from alt401k.model.model import Alt401kModel
from alt401k.model.policy import load_scenario
from hypothesis import given, settings
from hypothesis import strategies as st

SIZES = st.one_of(st.sampled_from([0, 1, 2, 7, 8, 9]), st.integers(0, 3000))
SEEDS = st.integers(0, 2**32 - 1)
N_PROVIDERS = 5


def values(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Nonnegative fees with zeros and, in some rows, of wildly different magnitudes."""
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


RTOL = 1e-12  # sums of up to a few thousand nonnegative terms: rounding only


def whole_array_sums(fees_: np.ndarray, fee_matrix: np.ndarray, base_fee: np.ndarray, product: np.ndarray,
                     tdf_manager: np.ndarray, n_providers: int) -> dict[str, np.ndarray]:
    """The rule of `fee_sums` stated on whole arrays (ODD §7 fees): each default-fund fee is the
    provider's in the ratio base rate / total rate (all of it where the rate is zero)."""
    df = fees_[:, :DF]
    rate = fee_matrix[:, :DF]
    share = np.divide(base_fee[product][:, None], rate, out=np.ones_like(rate), where=rate > 0)
    tdf = (df * share).sum(axis=1)
    return {
        "by_provider": np.array([tdf[tdf_manager == k].sum() for k in range(n_providers)]),
        "tdf_total": tdf.sum(), "sleeve": (df * (1.0 - share)).sum(axis=0),
        "outside": fees_[:, fees.ALT_OUTSIDE_COLUMNS].sum(axis=0), "beyond_default": fees_[:, DF:].sum(),
    }


DF = len(ASSET_CLASSES)


def test_a_hand_worked_month() -> None:
    # Two plans, one product with a base fee of 0.4% a year. Plan 0's equity column is
    # charged 0.4% (all base) and its private-equity column 1.0% (0.4% base + 0.6% sleeve):
    # fees $40 and $100 give the provider 40 + 100 * 0.4 = $80, the sleeve $60. Plan 1 pays
    # $10 on a column whose rate is zero (all base), belongs to no provider in range, and
    # pays $7 on a standalone private-equity fund and $5 on core equity.
    pe = ASSET_CLASSES.index("private_equity")
    fee_matrix = np.zeros((2, N_HOLDINGS))
    fee_matrix[0, 0], fee_matrix[0, pe] = 0.004, 0.010
    paid = np.zeros((2, N_HOLDINGS))
    paid[0, 0], paid[0, pe], paid[1, 1] = 40.0, 100.0, 10.0
    standalone_pe = holding_index("standalone", "private_equity")
    paid[1, standalone_pe] = 7.0
    paid[1, holding_index("core_menu", "equity")] = 5.0
    got = fees.fee_sums(paid, fee_matrix, np.array([0.004]), np.zeros(2, np.int32), np.array([1, 9], np.int32), 2)
    np.testing.assert_allclose(got.by_provider, [0.0, 80.0], rtol=1e-15)
    assert got.tdf_total == pytest.approx(90.0, rel=1e-15)
    expected_sleeve = np.zeros(DF)
    expected_sleeve[pe] = 60.0
    np.testing.assert_allclose(got.sleeve, expected_sleeve, rtol=1e-15, atol=1e-12)
    expected_outside = np.zeros(len(fees.ALT_OUTSIDE_COLUMNS))
    expected_outside[list(fees.ALT_OUTSIDE_COLUMNS).index(standalone_pe)] = 7.0
    np.testing.assert_array_equal(got.outside, expected_outside)
    assert got.beyond_default == 12.0


@settings(max_examples=100, deadline=None, derandomize=True)
@given(n=SIZES, seed=SEEDS)
def test_fee_sums_follow_the_rule(n: int, seed: int) -> None:
    month = random_month(seed, n)
    got, expected = fees.fee_sums(*month), whole_array_sums(*month)
    scale = max(month[0].sum(), 1.0)
    for field in fees.FeeSums._fields:
        np.testing.assert_allclose(getattr(got, field), expected[field], rtol=RTOL, atol=RTOL * scale, err_msg=field)


@settings(max_examples=100, deadline=None, derandomize=True)
@given(n=SIZES, seed=SEEDS)
def test_the_split_conserves_the_default_funds_fees(n: int, seed: int) -> None:
    # Whatever the rates, each default-fund dollar goes to the provider or to the sleeve.
    month = random_month(seed, n)
    got = fees.fee_sums(*month)
    total = month[0][:, :DF].sum()
    assert got.tdf_total + got.sleeve.sum() == pytest.approx(total, rel=RTOL, abs=1e-9)
    in_range = (month[4] >= 0) & (month[4] < N_PROVIDERS)
    assert got.by_provider.sum() <= got.tdf_total * (1 + RTOL) + 1e-9
    if in_range.all():
        assert got.by_provider.sum() == pytest.approx(got.tdf_total, rel=RTOL, abs=1e-9)


@pytest.fixture(scope="module")
def model() -> Alt401kModel:
    return Alt401kModel(load_scenario("eo-14330"), RunConfig(n_savers=500, n_sponsors=60, years=1, seed=5))


@settings(max_examples=40, deadline=None, derandomize=True)
@given(n=SIZES, seed=SEEDS)
def test_credit_revenue_books_every_dollar_once(model: Alt401kModel, n: int, seed: int) -> None:
    # The split covers every fee and the carry; the managers earn all of it but the core
    # menu's and the window's public funds (which the split counts apart). The plans' rates
    # are the model's own (sleeve fees on alternative classes only).
    n_products = len(model.book.products)
    fee_table, _, _, product, tdf_manager, _ = random_month(seed, n, n_products)
    fee_matrix = fees.fee_matrix_from_tables(fees.fee_tables(model.book, model.managers, model.config.manager), product)
    plans = dataclasses.replace(model.plans, default_product=product,
                                tdf_manager=tdf_manager % len(model.tdf_providers))
    for m in model.managers:
        m.revenue_usd = 0.0
    carry = 1234.5
    split = fees.credit_revenue(fee_table, fee_matrix, carry, plans, model.book, model.managers, model.tdf_providers)
    earned = sum(m.revenue_usd for m in model.managers)
    scale = fee_table.sum() + carry
    assert sum(split.values()) == pytest.approx(scale, rel=RTOL)
    assert earned == pytest.approx(split["tdf_managers"] + split["partners"], rel=RTOL, abs=RTOL * scale)
