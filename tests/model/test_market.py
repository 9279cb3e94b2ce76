"""Tests for model/market.py (ODD §7 Submodels, market).

Every test seeds its own generator. Statistical tolerances are a few standard errors of
the estimate, so a failure means the process, not the luck of the draw, is off.
"""

from __future__ import annotations

import numpy as np
import pydantic
import pytest
from alt401k.base.assets import ASSET_CLASSES
from alt401k.model.market import (
    DEFAULT_CORRELATION,
    Market,
    MarketParams,
    MonthReturns,
    credit_default_loss_monthly,
)
from alt401k.model.market_paths import MarketPath, stylised

EQ, CRYPTO, PE, CREDIT = (
    ASSET_CLASSES.index(a) for a in ("equity", "crypto", "private_equity", "private_credit")
)
ZERO = np.zeros(len(ASSET_CLASSES))


def run(market: Market, flows=None, aum=None) -> list[MonthReturns]:
    """Step a market through its months with constant flows and AUM."""
    flows = ZERO if flows is None else flows
    aum = ZERO if aum is None else aum
    return [market.step(t, flows, aum) for t in range(market.n_months)]


def test_equity_long_run_mean_and_vol_match_parameters():
    p = MarketParams()
    n = 12 * 2000
    r = Market(p, np.random.default_rng(1), n).exogenous_returns[:, EQ]
    log_r = np.log1p(r)
    s = p.equity.volatility_annual / np.sqrt(12)
    # E[1+r] per month = (1+mean)^(1/12); standard error of the sample mean is s/sqrt(n).
    assert abs(r.mean() - ((1 + p.equity.mean_return_annual) ** (1 / 12) - 1)) < 4 * s / np.sqrt(n)
    # SD of a normal sample's SD is about s/sqrt(2n).
    assert abs(log_r.std() - s) < 4 * s / np.sqrt(2 * n)


def _max_drawdown(returns: np.ndarray) -> float:
    level = np.cumprod(1 + returns)
    return float(1 - np.min(level / np.maximum.accumulate(np.maximum(level, 1.0))))


def test_crypto_30y_drawdowns_in_historical_band_fat_tails_and_high_vol():
    # Bitcoin bear markets: -83% (2017-18), -77% (2021-22), -85% (2013-15); vol 65-90%.
    p = MarketParams()
    mdd, kurt, vol = [], [], []
    for seed in range(40):
        r = Market(p, np.random.default_rng(seed), 360).exogenous_returns[:, CRYPTO]
        mdd.append(_max_drawdown(r))
        z = (r - r.mean()) / r.std()
        kurt.append(np.mean(z**4))
        vol.append(r.std() * np.sqrt(12))
    mdd = np.array(mdd)
    assert np.mean((mdd > 0.6) & (mdd < 0.9)) >= 0.65
    assert np.median(kurt) > 3.0  # Pearson kurtosis of a normal is 3
    assert 0.55 < np.median(vol) < 0.95


def test_crypto_bear_regime_produces_large_drawdowns():
    market = Market(MarketParams(), np.random.default_rng(3), 360)
    months = run(market)
    bear = np.array([m.crypto_bear for m in months])
    dd = np.array([m.crypto_drawdown for m in months])
    assert bear.any() and (~bear).any()
    assert dd[bear].min() < -0.6


def _smoothed_market(seed: int, n: int) -> tuple[np.ndarray, np.ndarray, MarketParams]:
    p = MarketParams()
    months = run(Market(p, np.random.default_rng(seed), n))
    true = np.log1p(np.array([m.true[PE] for m in months]))
    rep = np.log1p(np.array([m.reported[PE] for m in months]))
    return true, rep, p


def test_reported_pe_vol_is_closed_form_fraction_of_true():
    # AR(1) smoothing of iid inputs: var ratio (1-phi)/(1+phi), so sd ratio its square root
    # (1/3 at phi = 0.8, PIMCO 2022's ~10% reported vs ~30% true).
    true, rep, p = _smoothed_market(5, 12 * 500)
    phi = p.smoothing.weight_monthly
    expected = np.sqrt((1 - phi) / (1 + phi))
    assert rep[24:].std() / true.std() == pytest.approx(expected, rel=0.06)


def test_reported_pe_follows_true_with_the_lag():
    # corr(r_rep_t, r_true_{t-lag}) = sqrt(1 - phi^2) for iid true returns; ~0 at lag 0.
    true, rep, p = _smoothed_market(6, 12 * 500)
    lag, phi = p.smoothing.lag_months, p.smoothing.weight_monthly
    lagged = np.corrcoef(rep[lag + 24 :], true[24:-lag])[0, 1]
    assert lagged == pytest.approx(np.sqrt(1 - phi**2), abs=0.05)
    assert abs(np.corrcoef(rep[24:], true[24:])[0, 1]) < 0.08


def test_liquid_classes_report_true_returns_and_no_gap():
    m = run(Market(MarketParams(), np.random.default_rng(7), 24))[-1]
    liquid = [ASSET_CLASSES.index(a) for a in ("equity", "bonds", "cash", "crypto", "gold")]
    np.testing.assert_array_equal(m.reported[liquid], m.true[liquid])
    np.testing.assert_array_equal(m.valuation_gap[liquid], 0.0)


def test_same_seed_same_returns_whatever_flows_without_feedback():
    p = MarketParams(price_feedback=False)
    a = run(Market(p, np.random.default_rng(11), 60))
    flows = np.full(len(ASSET_CLASSES), 5e11)
    b = run(Market(p, np.random.default_rng(11), 60), flows, flows * 10)
    for x, y in zip(a, b, strict=True):
        np.testing.assert_array_equal(x.true, y.true)
        np.testing.assert_array_equal(x.reported, y.reported)


def test_same_seed_same_shocks_with_feedback_prices_differ_only_via_flows():
    p = MarketParams()
    m1, m2 = Market(p, np.random.default_rng(12), 60), Market(p, np.random.default_rng(12), 60)
    np.testing.assert_array_equal(m1.exogenous_returns, m2.exogenous_returns)
    a = run(m1)
    flows = np.zeros(len(ASSET_CLASSES))
    flows[CRYPTO] = 1e11
    b = run(m2, flows)
    # Zero flows: feedback is a no-op, so true returns are the exogenous ones.
    np.testing.assert_allclose([x.true for x in a], m1.exogenous_returns, rtol=0, atol=1e-15)
    unaffected = [i for i in range(len(ASSET_CLASSES)) if i != CRYPTO]
    np.testing.assert_array_equal(
        np.array([x.true for x in a])[:, unaffected], np.array([x.true for x in b])[:, unaffected]
    )


def test_positive_crypto_flow_raises_crypto_price():
    p = MarketParams()
    flows = np.zeros(len(ASSET_CLASSES))
    flows[CRYPTO] = 3e10  # 1% of a $3T cap: log price +5% with impact 5
    base = run(Market(p, np.random.default_rng(13), 1))[0]
    pushed = run(Market(p, np.random.default_rng(13), 1), flows)[0]
    ratio = pushed.price_index[CRYPTO] / base.price_index[CRYPTO]
    assert ratio == pytest.approx(np.exp(p.crypto.price_impact * 0.01))


def test_crowding_lowers_pe_returns_with_more_aum():
    p = MarketParams()
    aum_small, aum_large = np.zeros(len(ASSET_CLASSES)), np.zeros(len(ASSET_CLASSES))
    aum_small[PE], aum_large[PE] = 1e11, 1e12
    small = run(Market(p, np.random.default_rng(14), 12), aum=aum_small)
    large = run(Market(p, np.random.default_rng(14), 12), aum=aum_large)
    none = run(Market(p, np.random.default_rng(14), 12))
    assert large[-1].price_index[PE] < small[-1].price_index[PE] < none[-1].price_index[PE]
    # First month: crowding x share / 12 exactly (market size grows with the index later).
    drop = none[0].true[PE] - large[0].true[PE]
    assert drop == pytest.approx(p.private_equity.crowding * 0.1 / 12)


def test_step_out_of_order_raises():
    market = Market(MarketParams(), np.random.default_rng(0), 3)
    with pytest.raises(ValueError, match="expected month 0"):
        market.step(1, ZERO, ZERO)
    market.step(0, ZERO, ZERO)
    with pytest.raises(ValueError):
        market.step(0, ZERO, ZERO)


def test_step_wrong_shape_raises():
    market = Market(MarketParams(), np.random.default_rng(0), 3)
    with pytest.raises(ValueError, match="shape"):
        market.step(0, np.zeros(3), ZERO)


def test_non_positive_definite_correlation_names_the_field():
    bad = [list(row) for row in DEFAULT_CORRELATION]
    bad[0][1] = bad[1][0] = 0.99
    bad[0][5] = bad[5][0] = 0.99
    bad[1][5] = bad[5][1] = -0.99
    with pytest.raises(pydantic.ValidationError, match="correlation") as err:
        MarketParams(correlation=bad)
    assert "positive-definite" in str(err.value)


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"equity": {"mean_return_annual": 0.07, "volatility_annual": -0.1}}, "negative vol"),
        ({"correlation": [[1.0] * 8] * 7}, "wrong shape"),
        ({"unknown_key": 1}, "extra key"),
        ({"crypto": {"capitulation_drawdown_min": 0.9, "capitulation_drawdown_max": 0.8}}, "order"),
    ],
)
def test_invalid_params_raise(change, reason):
    with pytest.raises(pydantic.ValidationError):
        MarketParams(**change)


def test_asymmetric_correlation_raises():
    bad = [list(row) for row in DEFAULT_CORRELATION]
    bad[0][1] = 0.2
    with pytest.raises(pydantic.ValidationError, match="symmetric"):
        MarketParams(correlation=bad)


def test_imposed_path_overrides_exactly_named_months_and_classes():
    p = MarketParams(price_feedback=False)
    path = MarketPath({"bonds": np.array([0.05, -0.02]), "gold": np.array([0.1])}, start_month=3)
    free = Market(p, np.random.default_rng(21), 12).exogenous_returns
    imposed = Market(p, np.random.default_rng(21), 12, path).exogenous_returns
    bonds, gold = ASSET_CLASSES.index("bonds"), ASSET_CLASSES.index("gold")
    assert imposed[3, bonds] == 0.05 and imposed[4, bonds] == -0.02 and imposed[3, gold] == 0.1
    changed = imposed != free
    expected = np.zeros_like(changed)
    expected[[3, 4], bonds] = expected[3, gold] = True
    np.testing.assert_array_equal(changed, expected)


def test_imposed_equity_crash_drives_pe_and_credit_losses():
    p = MarketParams()
    market = Market(p, np.random.default_rng(22), 60, stylised("equity-crash-2008", 6))
    months = run(market)
    # Measured from the crash start (the running peak may come from the random months 0-5).
    start = months[5].price_index[EQ]
    assert months[21].price_index[EQ] / start == pytest.approx(0.49)
    assert min(m.equity_drawdown for m in months) <= -0.51 + 1e-9
    # Credit losses at the trough far above the 1%/yr long-run average.
    assert max(m.credit_default_loss for m in months) * 12 > 0.04
    # PE follows the imposed equity through its leverage: same idiosyncratic shocks, so
    # the PE difference from the free market is leverage x the equity difference.
    free = Market(p, np.random.default_rng(22), 60).exogenous_returns
    imposed = market.exogenous_returns
    np.testing.assert_allclose(
        imposed[:, PE] - free[:, PE],
        p.private_equity.leverage * (imposed[:, EQ] - free[:, EQ]),
        atol=1e-12,
    )


def test_credit_default_loss_rule_known_answer():
    p = MarketParams().private_credit
    equity = np.full(12, (0.6) ** (1 / 12) - 1)  # -40% over 12 months
    loss = credit_default_loss_monthly(p, equity)
    assert loss[-1] * 12 == pytest.approx(
        p.default_loss_floor_annual + p.default_loss_sensitivity * 0.4
    )
    assert credit_default_loss_monthly(p, np.full(12, 0.01))[-1] * 12 == pytest.approx(
        p.default_loss_floor_annual
    )


def test_path_starting_after_run_raises():
    with pytest.raises(ValueError, match="after the run"):
        Market(MarketParams(), np.random.default_rng(0), 10, stylised("crypto-winter", 10))
