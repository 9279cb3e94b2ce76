"""Tests for model/market_paths.py (imposed market paths). Seeded where random."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from alt401k.base.assets import ASSET_CLASSES
from alt401k.model.errors import InputError
from alt401k.model.market import Market, MarketParams
from alt401k.model.market_paths import MarketPath, load_path, stylised


def write(tmp_path: Path, text: str) -> Path:
    f = tmp_path / "path.csv"
    f.write_text(text)
    return f


def test_load_path_reads_months_and_columns(tmp_path):
    f = write(tmp_path, "month,equity,crypto\n5,-0.1,0.2\n6,0.05,-0.3\n")
    path = load_path(f)
    assert path.start_month == 5
    np.testing.assert_array_equal(path.returns["equity"], [-0.1, 0.05])
    np.testing.assert_array_equal(path.returns["crypto"], [0.2, -0.3])


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("month,stocks\n0,0.1\n", "stocks"),  # unknown class
        ("month,equity\n0,0.1\n1,\n", "equity"),  # NaN
        ("month,equity\n0,-1.0\n", "equity"),  # total loss
        ("month,equity\n0,abc\n", "equity"),  # non-numeric
        ("equity\n0.1\n", "month"),  # no month column
        ("month,equity\n0,0.1\n2,0.1\n", "month"),  # gap
    ],
)
def test_load_path_errors_name_file_and_column(tmp_path, text, field):
    f = write(tmp_path, text)
    with pytest.raises(InputError) as err:
        load_path(f)
    assert err.value.field == field
    assert err.value.source == str(f)


def test_load_path_unreadable_file(tmp_path):
    with pytest.raises(InputError) as err:
        load_path(tmp_path / "missing.csv")
    assert err.value.source.endswith("missing.csv")


def test_market_path_rejects_bad_values():
    with pytest.raises(ValueError, match="unknown"):
        MarketPath({"stocks": np.array([0.1])}, 0)
    with pytest.raises(ValueError):
        MarketPath({"equity": np.array([np.nan])}, 0)
    with pytest.raises(ValueError):
        MarketPath({"equity": np.array([0.1])}, -1)


def test_market_path_arrays_are_read_only_copies():
    source = np.array([0.1, 0.2])
    path = MarketPath({"equity": source}, 0)
    source[0] = 9.0
    assert path.returns["equity"][0] == 0.1
    with pytest.raises(ValueError):
        path.returns["equity"][0] = 1.0


def test_path_longer_than_run_is_truncated():
    path = MarketPath({"equity": np.full(10, 0.01)}, 8)
    out = path.apply(np.zeros((12, len(ASSET_CLASSES))))
    np.testing.assert_array_equal(out[8:, 0], 0.01)
    assert path.mask(12).sum() == 4


def test_stylised_crash_falls_51_percent_then_recovers():
    eq = stylised("equity-crash-2008", 0).returns["equity"]
    level = np.cumprod(1 + eq)
    assert level[15] == pytest.approx(0.49)  # end-Feb 2009 trough, 16 months in
    assert level.min() == pytest.approx(0.49)
    assert level[-1] == pytest.approx(0.49 * 1.89)
    bonds = stylised("equity-crash-2008", 0).returns["bonds"]
    assert np.all(bonds > 0)  # bonds mildly positive through the crash


def test_stylised_crypto_winter_reaches_minus_80_percent():
    path = stylised("crypto-winter", 2)
    market = Market(MarketParams(price_feedback=False), np.random.default_rng(4), 30, path)
    zero = np.zeros(len(ASSET_CLASSES))
    months = [market.step(t, zero, zero) for t in range(30)]
    crypto = ASSET_CLASSES.index("crypto")
    start_level = months[1].price_index[crypto]
    assert months[13].price_index[crypto] / start_level == pytest.approx(0.2)
    assert months[25].price_index[crypto] == pytest.approx(months[13].price_index[crypto])
    assert all(m.crypto_bear for m in months[2:14])


def test_unknown_stylised_name():
    with pytest.raises(ValueError):
        stylised("dot-com", 0)  # type: ignore[arg-type]
