"""Monthly joint returns of every asset class, with smoothing and flow feedback.

ODD §7.2 (market). Features the policy debate is about:

- a correlated Gaussian core for the public classes, gold, infrastructure, private credit
  and private equity's idiosyncratic part;
- private equity's true return as levered public equity plus a gross excess return;
- private credit's default losses, which rise after equity falls;
- crypto as a bull/bear regime chain with Student-t shocks and 75-85% bear drawdowns;
- smoothed, lagged *reported* values for the illiquid classes (true risk far above
  reported);
- feedback of 401(k) flows: price impact in crypto, crowding in private markets.

Randomness (ODD §4.9): every random number is drawn in `Market.__init__`, with shapes
fixed by `n_months` alone, in a fixed order. Two markets built from the same seed therefore
share their shocks whatever their flows or policy (common random numbers); the flows only
enter through the deterministic feedback in `Market.step`.

Every default number comes from a source listed in docs/calibration.md §5 or is
marked as an assumption.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from alt401k.base.assets import ASSET_CLASSES, ILLIQUID
from alt401k.model.market_paths import MarketPath
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

N_CLASSES = len(ASSET_CLASSES)
EQUITY, BONDS, CASH, CRYPTO, PE, CREDIT, INFRA, GOLD = range(N_CLASSES)
ILLIQUID_IDX = np.array([ASSET_CLASSES.index(a) for a in ILLIQUID])
MONTHS_PER_YEAR = 12
_FROZEN = ConfigDict(extra="forbid", frozen=True)

# Correlations of the Gaussian core, ASSET_CLASSES order; the private_equity row is its
# idiosyncratic shock (its equity exposure enters through leverage). Crypto-equity 0.3:
# IMF 2022 (0.36 in 2020-21). Gold ~0.1 with other assets: World
# Gold Council (§4d). Equity-bonds 0.1, credit/infrastructure with equity 0.5 and the rest:
# assumptions (unsourced, not screened: docs/calibration.md §5); de-smoothed private-market correlations with equities are high
# (0.9 for PE after de-smoothing, ALPS 2025, §4c).
DEFAULT_CORRELATION: tuple[tuple[float, ...], ...] = (
    (1.0, 0.1, 0.0, 0.3, 0.0, 0.5, 0.5, 0.1),
    (0.1, 1.0, 0.1, 0.0, 0.0, 0.2, 0.2, 0.1),
    (0.0, 0.1, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0),
    (0.3, 0.0, 0.0, 1.0, 0.0, 0.1, 0.1, 0.1),
    (0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0),
    (0.5, 0.2, 0.0, 0.1, 0.0, 1.0, 0.3, 0.0),
    (0.5, 0.2, 0.0, 0.1, 0.0, 0.3, 1.0, 0.1),
    (0.1, 0.1, 0.0, 0.1, 0.0, 0.0, 0.1, 1.0),
)


class ReturnParams(BaseModel):
    """Expected annual return and annual volatility of a lognormal asset class.

    `mean_return_annual` is the expected growth of $1 over a year, E[V_12] = 1 + mean;
    `volatility_annual` is the standard deviation of annual log returns.
    """

    model_config = _FROZEN
    mean_return_annual: float = Field(ge=-0.5, le=1.0)
    volatility_annual: float = Field(ge=0.0, le=2.0)


class CryptoParams(BaseModel):
    """Crypto: bull/bear regime chain around a log trend, Student-t shocks, price impact.

    In the bull regime the log price is pulled back toward a trend growing at
    `trend_log_return_annual`, plus a bull premium (booms sit above trend); in the bear
    regime it falls at `bear_log_return_annual`. A bear ends at random (mean duration
    `bear_mean_months`) or when the drawdown from the running peak reaches its
    capitulation depth, drawn uniformly in [capitulation_drawdown_min, _max] when the
    bear starts. Departure from a pure two-state chain: without the depth stop and the
    pull to trend, a 65%-volatile random walk with a modest long-run return falls >95%
    over 30 years in most paths, unlike bitcoin's repeated -77% to -85% bear markets.
    """

    model_config = _FROZEN
    # Assumption (no sourced forward-looking crypto return): ~6%/yr long-run log growth;
    # with ~65% volatility the arithmetic mean is ~20-25%/yr.
    trend_log_return_annual: float = Field(default=0.05, ge=-0.5, le=1.0)
    # Assumption: calibrated by simulation so 30-year max drawdowns sit in 60-90%.
    bull_premium_log_annual: float = Field(default=0.4, ge=0.0, le=3.0)
    mean_reversion_annual: float = Field(default=0.8, ge=0.0, le=12.0)
    # About -80% in 12 months: -83% 2017-18, -77% 2021-22.
    bear_log_return_annual: float = Field(default=-1.6, ge=-6.0, le=0.0)
    # With the regime switches gives ~65% annual volatility: ~90% (2018) to ~65% (2023), §4b.
    bull_volatility_annual: float = Field(default=0.6, ge=0.0, le=3.0)
    bear_volatility_annual: float = Field(default=0.6, ge=0.0, le=3.0)
    # ~4-year cycle: 2017 and 2021 peaks, bears of about a year (§4b).
    bull_mean_months: float = Field(default=48.0, ge=1.0, le=600.0)
    bear_mean_months: float = Field(default=12.0, ge=1.0, le=600.0)
    # Bear drawdowns 75-85%: -83% 2017-18, -77% 2021-22, -85% 2013-15 (§4b).
    capitulation_drawdown_min: float = Field(default=0.75, gt=0.0, lt=1.0)
    capitulation_drawdown_max: float = Field(default=0.85, gt=0.0, lt=1.0)
    # Assumption: Student-t with 5 degrees of freedom (kurtosis 9), fat tails.
    tail_dof: float = Field(default=5.0, gt=2.0, le=1000.0)
    # Crypto market cap ~$3T (2025; unsourced assumption that does not drive the headline: docs/calibration.md §4c).
    market_cap_usd: float = Field(default=3.0e12, gt=0.0, le=1.0e15)
    # Gabaix & Koijen, "In Search of the Origins of Financial Fluctuations: The Inelastic
    # Markets Hypothesis" (NBER WP 28967, 2021): $1 of flow into the U.S. stock market
    # raises its value by about $5. Applying that multiplier to crypto is an assumption.
    price_impact: float = Field(default=5.0, ge=0.0, le=100.0)

    @model_validator(mode="after")
    def _depths_ordered(self) -> CryptoParams:
        if self.capitulation_drawdown_min > self.capitulation_drawdown_max:
            raise ValueError("capitulation_drawdown_min must be <= capitulation_drawdown_max")
        return self


class PrivateEquityParams(BaseModel):
    """Private equity true return: cash + leverage x (equity - cash) + excess + idiosyncratic."""

    model_config = _FROZEN
    # Buyout leverage ~1.3 on public equity (brief; PIMCO 2022 true vol ~30%, §4c).
    leverage: float = Field(default=1.3, ge=0.0, le=5.0)
    # Gross excess: +2.0%/yr net PME excess (Lester, O'Shea & Warren 2025, §4c) plus a
    # ~2%/yr fee load (BXPE-like 1.25% + 12.5% over a 5% hurdle, §4c), because product
    # fees are charged elsewhere. The PME is not beta-adjusted, so leverage adds
    # ~(1.3-1) x 4% equity premium on top; lower this to remove it.
    excess_return_annual: float = Field(default=0.04, ge=-0.5, le=0.5)
    # With leverage 1.3 x 16% = 21% systematic, gives ~29% true vol (PIMCO 2022: ~30%, §4c).
    idiosyncratic_volatility_annual: float = Field(default=0.20, ge=0.0, le=2.0)
    # Assumption: PE about a third of the $30.9T of private markets cited by SEC Chair
    # Atkins (May 2025); no direct source for the PE share.
    market_size_usd: float = Field(default=10.0e12, gt=0.0, le=1.0e15)
    # Assumption: excess falls 0.2 x the 401(k) share of the market (unsourced; does not drive the headline, §4c).
    crowding: float = Field(default=0.2, ge=0.0, le=10.0)


class PrivateCreditParams(BaseModel):
    """Private credit true return: lognormal return before losses, minus default losses.

    Annual loss rate = default_loss_floor_annual + default_loss_sensitivity x
    max(0, -trailing 12-month equity return).
    """

    model_config = _FROZEN
    # Cliffwater CDLI since 2004: 9.5%/yr gross of fees with ~1.0-1.1%/yr realised
    # losses (§4d); so ~10.5% before losses.
    return_before_losses_annual: float = Field(default=0.105, ge=-0.5, le=1.0)
    # Assumption: true (de-smoothed) vol ~8%; smoothed it reports ~3% (CDLI-like).
    volatility_annual: float = Field(default=0.08, ge=0.0, le=2.0)
    # Floor + average equity-driven add-on ≈ 1.0%/yr long-run (CDLI -1.01%, §4d).
    default_loss_floor_annual: float = Field(default=0.007, ge=0.0, le=0.5)
    # Assumption: a 40% equity fall adds 4%/yr of losses (unsourced; does not drive the headline, §4c).
    default_loss_sensitivity: float = Field(default=0.1, ge=0.0, le=1.0)
    # Assumption: private credit market ~$1.7T (commonly cited; does not drive the headline, §4c).
    market_size_usd: float = Field(default=1.7e12, gt=0.0, le=1.0e15)
    crowding: float = Field(default=0.2, ge=0.0, le=10.0)  # assumption, as for PE


class InfrastructureParams(BaseModel):
    """Private infrastructure true return (lognormal, correlated with the core)."""

    model_config = _FROZEN
    # Assumption: ~7%/yr gross; CAIS: on par with S&P 500 since 2007; Preqin median net
    # IRR 4.7% for 2002-12 vintages (§4d).
    mean_return_annual: float = Field(default=0.07, ge=-0.5, le=1.0)
    # Assumption: ~14% true vol (Preqin SD of fund net IRRs 13%, §4d).
    volatility_annual: float = Field(default=0.14, ge=0.0, le=2.0)
    # Assumption: private infrastructure AUM ~$1.3T (unsourced; does not drive the headline, §4c).
    market_size_usd: float = Field(default=1.3e12, gt=0.0, le=1.0e15)
    crowding: float = Field(default=0.2, ge=0.0, le=10.0)  # assumption, as for PE


class SmoothingParams(BaseModel):
    """Appraisal smoothing of illiquid NAVs: r_rep_t = phi r_rep_{t-1} + (1-phi) r_true_{t-lag}.

    Applied to monthly *log* returns, so the reported log NAV is an exponentially smoothed,
    lagged copy of the true log value and the valuation gap stays bounded. (Smoothing
    simple returns keeps the arithmetic mean but not the volatility drag: reported NAVs
    would drift ~3%/yr above true value for PE.)
    """

    model_config = _FROZEN
    # phi 0.8 monthly -> reported vol sqrt((1-phi)/(1+phi)) = 1/3 of true (PIMCO 2022:
    # ~10% reported vs ~30% true, §4c).
    weight_monthly: float = Field(default=0.8, ge=0.0, lt=1.0)
    # Assumption: NAVs reflect markets about a quarter late (quarterly appraisals).
    lag_months: int = Field(default=3, ge=0, le=12)


class MarketParams(BaseModel):
    """All market parameters (ODD §7 Submodels, market; docs/calibration.md entries)."""

    model_config = _FROZEN
    # J.P. Morgan 2026 LTCMA US equities ~6-7%; ~16% vol (forward-looking, below the 19%
    # since 1926 of §4a).
    equity: ReturnParams = ReturnParams(mean_return_annual=0.07, volatility_annual=0.16)
    # JPM LTCMA intermediate Treasuries ~4% (§4a); ~6% vol (assumption).
    bonds: ReturnParams = ReturnParams(mean_return_annual=0.04, volatility_annual=0.06)
    # T-bills ~3.3-3.8% long-run (Ibbotson, Damodaran, §4a); 0.5% vol (assumption).
    cash: ReturnParams = ReturnParams(mean_return_annual=0.03, volatility_annual=0.005)
    # Gold ~8%/yr since 1971 (WGC, §4d), taken as 6% forward; 15-20% vol (§4d) -> 16%.
    gold: ReturnParams = ReturnParams(mean_return_annual=0.06, volatility_annual=0.16)
    crypto: CryptoParams = CryptoParams()
    private_equity: PrivateEquityParams = PrivateEquityParams()
    private_credit: PrivateCreditParams = PrivateCreditParams()
    infrastructure: InfrastructureParams = InfrastructureParams()
    smoothing: SmoothingParams = SmoothingParams()
    correlation: tuple[tuple[float, ...], ...] = DEFAULT_CORRELATION
    # False switches off both crypto price impact and private-market crowding.
    price_feedback: bool = True
    equity_intl_share: float = Field(default=0.22, ge=0.0, le=1.0)
    """Share of 401(k) equities in non-U.S. stocks, rebalanced monthly, in the realised
    returns of a run on the historical market path (`history.historical_path`, ODD §5.1).
    Derived from target-date funds' 31-40% non-U.S. equity (Morningstar 2012; Arnerich
    Massena 2019 for the ten largest families, 2014-2018), participants' own 18% (Northern
    Trust via InvestmentNews, 2015) and target-date funds' 20-31% of 401(k) assets
    (EBRI/ICI 2015-2018, ICI Fact Book 2023): 20-26% around 2018 (model/data/README.md).
    It leaves the simulated market's equity return (`equity`, §7.2) as it is."""

    @field_validator("correlation")
    @classmethod
    def _valid_correlation(
        cls, value: tuple[tuple[float, ...], ...]
    ) -> tuple[tuple[float, ...], ...]:
        matrix = np.array(value, dtype=float)
        if matrix.shape != (N_CLASSES, N_CLASSES):
            raise ValueError(f"must be {N_CLASSES}x{N_CLASSES} in order {ASSET_CLASSES}")
        if not np.all(np.isfinite(matrix)) or np.any(np.abs(matrix) > 1.0):
            raise ValueError("entries must be finite and within [-1, 1]")
        if not np.allclose(np.diag(matrix), 1.0):
            raise ValueError("diagonal must be 1")
        if not np.allclose(matrix, matrix.T):
            raise ValueError("must be symmetric")
        if np.linalg.eigvalsh(matrix).min() <= 1e-10:
            raise ValueError("must be positive-definite")
        return value


@dataclass(frozen=True)
class MonthReturns:
    """One month of market outcomes (arrays shape (8,), ASSET_CLASSES order).

    Attributes
    ----------
    reported
        Monthly simple return earned by holdings priced at NAV: smoothed and lagged for
        ILLIQUID classes, equal to `true` otherwise.
    true
        Monthly simple return of the economic value, after flow feedback.
    price_index
        Level of the true value index (1.0 before month 0).
    reported_index
        Level of the reported (NAV) index (1.0 before month 0).
    valuation_gap
        reported_index / price_index - 1 (0 for liquid classes).
    credit_default_loss
        Monthly default loss rate already inside private credit's return.
    crypto_bear
        Whether crypto is in its bear regime this month.
    equity_drawdown
        Equity index relative to its running peak, minus 1 (<= 0).
    crypto_drawdown
        Same for crypto (<= 0).
    """

    reported: npt.NDArray[np.float64]
    true: npt.NDArray[np.float64]
    price_index: npt.NDArray[np.float64]
    reported_index: npt.NDArray[np.float64]
    valuation_gap: npt.NDArray[np.float64]
    credit_default_loss: float
    crypto_bear: bool
    equity_drawdown: float
    crypto_drawdown: float


def lognormal_monthly(params: ReturnParams, z: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Monthly simple returns of a lognormal class from standard normal shocks `z`.

    Log return = log(1 + mean)/12 - s^2/2 + s z with s = volatility_annual / sqrt(12), so
    $1 grows in expectation to 1 + mean_return_annual over 12 months. Shape as `z`.
    """
    s = params.volatility_annual / np.sqrt(MONTHS_PER_YEAR)
    mu = np.log1p(params.mean_return_annual) / MONTHS_PER_YEAR - 0.5 * s * s
    return np.expm1(mu + s * z)


def private_equity_monthly(
    pe: PrivateEquityParams,
    equity: npt.NDArray[np.float64],
    cash: npt.NDArray[np.float64],
    z: npt.NDArray[np.float64],
) -> npt.NDArray[np.float64]:
    """True monthly PE return: cash + leverage (equity - cash) + excess + idiosyncratic.

    ODD §7 Submodels, market; calibration: private_equity.* in docs/calibration.md. Clipped
    at -95% so extreme draws stay a valid simple return. Shapes as `equity`.
    """
    excess = (1.0 + pe.excess_return_annual) ** (1.0 / MONTHS_PER_YEAR) - 1.0
    idio = pe.idiosyncratic_volatility_annual / np.sqrt(MONTHS_PER_YEAR) * z
    true = cash + pe.leverage * (equity - cash) + excess + idio
    return np.maximum(true, -0.95)


def credit_default_loss_monthly(
    credit: PrivateCreditParams, equity: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]:
    """Monthly private-credit default loss rate, rising after equity falls.

    ODD §7 Submodels, market; calibration: private_credit.default_loss_* in
    docs/calibration.md. Uses the equity return over the trailing 12 months including the
    current one (fewer at the start of `equity`). Shape (n,) as `equity`.
    """
    log_eq = np.concatenate([[0.0], np.cumsum(np.log1p(equity))])
    lagged = log_eq[np.maximum(np.arange(1, len(equity) + 1) - MONTHS_PER_YEAR, 0)]
    trailing = np.expm1(log_eq[1:] - lagged)
    annual = credit.default_loss_floor_annual + credit.default_loss_sensitivity * np.maximum(
        0.0, -trailing
    )
    return annual / MONTHS_PER_YEAR


def expected_illiquid_monthly(p: MarketParams) -> npt.NDArray[np.float64]:
    """Expected monthly true return of each ILLIQUID class without feedback, shape (3,).

    Used to start the smoothing recursion at its steady state. Credit losses taken at
    their floor (the equity-driven add-on is left out, a small understatement).
    """

    def monthly(annual: float) -> float:
        return (1.0 + annual) ** (1.0 / MONTHS_PER_YEAR) - 1.0

    equity, cash = monthly(p.equity.mean_return_annual), monthly(p.cash.mean_return_annual)
    pe = p.private_equity
    by_class = {
        "private_equity": cash + pe.leverage * (equity - cash) + monthly(pe.excess_return_annual),
        "private_credit": monthly(p.private_credit.return_before_losses_annual)
        - p.private_credit.default_loss_floor_annual / MONTHS_PER_YEAR,
        "infrastructure": monthly(p.infrastructure.mean_return_annual),
    }
    return np.array([by_class[a] for a in ILLIQUID])


def crypto_log_returns(
    crypto: CryptoParams,
    z: npt.NDArray[np.float64],
    chi2: npt.NDArray[np.float64],
    u_regime: npt.NDArray[np.float64],
    depth: npt.NDArray[np.float64],
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.bool_]]:
    """Exogenous crypto monthly log returns and bear-regime flags.

    ODD §7 Submodels, market, crypto; calibration: crypto.* in docs/calibration.md.

    Parameters
    ----------
    z
        Correlated standard normal shocks, shape (n,); scaled by sqrt((dof-2)/chi2) into
        unit-variance Student-t shocks (a scale mixture, so the equity correlation is
        kept approximately, slightly lowered).
    chi2
        Chi-square(dof) draws, shape (n,).
    u_regime
        Uniform(0,1) draws deciding regime switches, shape (n,).
    depth
        Capitulation depths, shape (n,); the one drawn in a bear's first month is used.

    Returns
    -------
    (numpy.ndarray of float, numpy.ndarray of bool), each shape (n,)
        Log returns, and True where the month is in the bear regime. The chain starts in
        a bull regime at trend.
    """
    dof = crypto.tail_dof
    shocks = z * np.sqrt((dof - 2.0) / chi2)
    p_to_bear, p_to_bull = 1.0 / crypto.bull_mean_months, 1.0 / crypto.bear_mean_months
    bull_drift = (crypto.trend_log_return_annual + crypto.bull_premium_log_annual) / MONTHS_PER_YEAR
    kappa = crypto.mean_reversion_annual / MONTHS_PER_YEAR
    bear_drift = crypto.bear_log_return_annual / MONTHS_PER_YEAR
    s_bull = crypto.bull_volatility_annual / np.sqrt(MONTHS_PER_YEAR)
    s_bear = crypto.bear_volatility_annual / np.sqrt(MONTHS_PER_YEAR)
    trend_step = crypto.trend_log_return_annual / MONTHS_PER_YEAR
    n = len(z)
    out, bear = np.empty(n), np.zeros(n, dtype=bool)
    log_price = peak = 0.0
    is_bear, cap = False, 1.0
    # A scalar loop at construction only: each month's regime depends on the drawdown so far.
    for t in range(n):
        if is_bear:
            is_bear = not (u_regime[t] < p_to_bull or np.exp(log_price - peak) - 1.0 <= -cap)
        elif u_regime[t] < p_to_bear:
            is_bear, cap = True, depth[t]
        if is_bear:
            x = bear_drift + s_bear * shocks[t]
        else:
            x = bull_drift + kappa * (trend_step * t - log_price) + s_bull * shocks[t]
        out[t], bear[t] = x, is_bear
        log_price += x
        peak = max(peak, log_price)
    return out, bear


class Market:
    """The market: exogenous draws made once, flow feedback applied month by month.

    ODD §7 Submodels, market. Parameters are documented on `MarketParams`.

    Parameters
    ----------
    params
        Market parameters.
    rng
        Generator for every market draw; all are taken here, in a fixed order and with
        shapes fixed by `n_months` and the smoothing lag (run months first, so the lag
        does not change them).
    n_months
        Length of the run; `step` must be called for months 0..n_months-1 in order.
    path
        Optional imposed returns replacing the random draws where it says (see
        `market_paths`). Private equity and credit losses follow the imposed equity
        unless the path names them. Raises ValueError if it starts after the run.

    Attributes
    ----------
    exogenous_returns
        Read-only (n_months, 8) true simple returns before flow feedback (imposed path
        included).
    exogenous_crypto_bear, credit_default_loss
        Read-only (n_months,) bear flags and monthly credit default loss rates.
    """

    def __init__(
        self,
        params: MarketParams,
        rng: np.random.Generator,
        n_months: int,
        path: MarketPath | None = None,
    ) -> None:
        if n_months < 1:
            raise ValueError(f"n_months must be >= 1 (got {n_months})")
        if path is not None and path.start_month >= n_months:
            raise ValueError(f"path starts at month {path.start_month}, after the run ends")
        self.params = params
        self.n_months = n_months
        lag = params.smoothing.lag_months
        chol = np.linalg.cholesky(np.array(params.correlation))
        # Draw order is part of the common-random-numbers contract: do not reorder.
        z = rng.standard_normal((n_months, N_CLASSES)) @ chol.T
        chi2 = rng.chisquare(params.crypto.tail_dof, n_months)
        u_regime = rng.random(n_months)
        depth = rng.uniform(
            params.crypto.capitulation_drawdown_min,
            params.crypto.capitulation_drawdown_max,
            n_months,
        )
        z_history = rng.standard_normal((lag, N_CLASSES)) @ chol.T
        exo, bear, loss = self._exogenous(z, chi2, u_regime, depth, path)
        history, _, _ = self._exogenous(
            z_history, np.full(lag, 1.0), np.ones(lag), np.ones(lag), None
        )
        for name, arr in (
            ("exogenous_returns", exo),
            ("exogenous_crypto_bear", bear),
            ("credit_default_loss", loss),
        ):
            arr.flags.writeable = False
            setattr(self, name, arr)
        self._init_state(history)

    def _exogenous(
        self,
        z: np.ndarray,
        chi2: np.ndarray,
        u_regime: np.ndarray,
        depth: np.ndarray,
        path: MarketPath | None,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """True returns before feedback (n, 8), bear flags (n,), credit losses (n,)."""
        p = self.params
        n = z.shape[0]
        out = np.empty((n, N_CLASSES))
        for col, rp in ((EQUITY, p.equity), (BONDS, p.bonds), (CASH, p.cash), (GOLD, p.gold)):
            out[:, col] = lognormal_monthly(rp, z[:, col])
        infra = ReturnParams(
            mean_return_annual=p.infrastructure.mean_return_annual,
            volatility_annual=p.infrastructure.volatility_annual,
        )
        out[:, INFRA] = lognormal_monthly(infra, z[:, INFRA])
        crypto_log, bear = crypto_log_returns(p.crypto, z[:, CRYPTO], chi2, u_regime, depth)
        out[:, CRYPTO] = np.expm1(crypto_log)
        credit = ReturnParams(
            mean_return_annual=p.private_credit.return_before_losses_annual,
            volatility_annual=p.private_credit.volatility_annual,
        )
        out[:, CREDIT] = lognormal_monthly(credit, z[:, CREDIT])
        imposed = np.zeros_like(out, dtype=bool)
        if path is not None:
            imposed = path.mask(n)
            out = path.apply(out)
            bear = np.where(imposed[:, CRYPTO], out[:, CRYPTO] < 0.0, bear)
        # Derived classes follow the (possibly imposed) equity unless imposed themselves.
        pe = private_equity_monthly(p.private_equity, out[:, EQUITY], out[:, CASH], z[:, PE])
        out[:, PE] = np.where(imposed[:, PE], out[:, PE], pe)
        loss = credit_default_loss_monthly(p.private_credit, out[:, EQUITY])
        out[:, CREDIT] = np.where(imposed[:, CREDIT], out[:, CREDIT], out[:, CREDIT] - loss)
        return out, bear, loss

    def _init_state(self, history: np.ndarray) -> None:
        """Set month 0 state; `history` (lag, 8) are true returns before the run."""
        lag = self.params.smoothing.lag_months
        n_ill = len(ILLIQUID_IDX)
        self._true_illiquid = np.empty((lag + self.n_months, n_ill))
        self._true_illiquid[:lag] = np.log1p(history[:, ILLIQUID_IDX])
        # Reported returns start at their steady state, the expected true return.
        self._reported_prev = np.log1p(expected_illiquid_monthly(self.params))
        self._price_index = np.ones(N_CLASSES)
        self._reported_index = np.ones(N_CLASSES)
        self._peak = np.ones(N_CLASSES)
        self._next_month = 0
        p = self.params
        self._size_usd = np.array(
            [
                p.private_equity.market_size_usd,
                p.private_credit.market_size_usd,
                p.infrastructure.market_size_usd,
            ]
        )
        self._crowding_monthly = (
            np.array(
                [p.private_equity.crowding, p.private_credit.crowding, p.infrastructure.crowding]
            )
            / MONTHS_PER_YEAR
        )

    def step(
        self, month: int, net_flow_usd: npt.NDArray[np.float64], aum_usd: npt.NDArray[np.float64]
    ) -> MonthReturns:
        """This month's returns, with 401(k) flows fed back into prices.

        ODD §7 Submodels, market (feedback); calibration: crypto.price_impact,
        crypto.market_cap_usd, *.crowding, *.market_size_usd in docs/calibration.md.
        Crypto's log price moves by price_impact x net_flow / market cap; a private class's
        return falls by crowding x aum / market size (annual rate, /12 monthly). Market
        cap and sizes grow with the class's true index. Reported returns of ILLIQUID
        classes follow the smoothing rule on the lagged true log returns.

        Parameters
        ----------
        month
            Must equal the number of months already stepped (0, 1, ...).
        net_flow_usd
            Shape (8,): net 401(k) money flowing into each class this month (USD).
        aum_usd
            Shape (8,): 401(k) money held in each class (USD).

        Returns
        -------
        MonthReturns
        """
        if month != self._next_month or month >= self.n_months:
            raise ValueError(
                f"step({month}) called; expected month {self._next_month} of {self.n_months}"
            )
        true = self.exogenous_returns[month].copy()
        if self.params.price_feedback:
            self._apply_feedback(true, net_flow_usd, aum_usd)
        lag = self.params.smoothing.lag_months
        self._true_illiquid[lag + month] = np.log1p(true[ILLIQUID_IDX])
        phi = self.params.smoothing.weight_monthly
        reported_log = phi * self._reported_prev + (1.0 - phi) * self._true_illiquid[month]
        self._reported_prev = reported_log
        reported = true.copy()
        reported[ILLIQUID_IDX] = np.expm1(reported_log)
        self._price_index *= 1.0 + true
        self._reported_index *= 1.0 + reported
        np.maximum(self._peak, self._price_index, out=self._peak)
        self._next_month += 1
        drawdown = self._price_index / self._peak - 1.0
        return MonthReturns(
            reported=reported,
            true=true,
            price_index=self._price_index.copy(),
            reported_index=self._reported_index.copy(),
            valuation_gap=self._reported_index / self._price_index - 1.0,
            credit_default_loss=float(self.credit_default_loss[month]),
            crypto_bear=bool(self.exogenous_crypto_bear[month]),
            equity_drawdown=float(drawdown[EQUITY]),
            crypto_drawdown=float(drawdown[CRYPTO]),
        )

    def _apply_feedback(
        self, true: np.ndarray, net_flow_usd: np.ndarray, aum_usd: np.ndarray
    ) -> None:
        """Add crypto price impact and private-market crowding to `true` in place."""
        if np.shape(net_flow_usd) != (N_CLASSES,) or np.shape(aum_usd) != (N_CLASSES,):
            raise ValueError(f"net_flow_usd and aum_usd must have shape ({N_CLASSES},)")
        c = self.params.crypto
        cap_usd = c.market_cap_usd * self._price_index[CRYPTO]
        true[CRYPTO] = (1.0 + true[CRYPTO]) * np.exp(
            c.price_impact * net_flow_usd[CRYPTO] / cap_usd
        ) - 1.0
        size_usd = self._size_usd * self._price_index[ILLIQUID_IDX]
        true[ILLIQUID_IDX] -= (
            self._crowding_monthly * np.maximum(aum_usd[ILLIQUID_IDX], 0.0) / size_usd
        )
