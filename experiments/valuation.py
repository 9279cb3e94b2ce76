"""Economic values of smoothed assets: unsmoothing, drawdowns, stale-NAV transfers (issue #26).

A fund that holds private or appraised assets reports a net asset value (NAV) that lags
the assets' economic value: appraisals and marks anchor on the last value, so reported
returns are a moving average of the true ones. The reported series then looks less volatile
and less correlated with markets than the assets are, and a saver who buys or redeems at
the reported NAV trades at a price that is not the economic one, taking value from, or
giving it to, those who stay. These functions undo the smoothing (Geltner's first-order
filter; the moving average of Getmansky, Lo and Makarov), measure the losses a saver sees
(maximum drawdown; the worst calendar year), and price the transfer of a trade at a stale
NAV. Pure numpy/scipy functions with hand-worked tests (tests/experiments/test_valuation.py);
nothing here reads the model. Definitions: ODD §7.13.

Conventions: returns are simple per-period returns (0.05 is +5%) in time order; a value path
is a sequence of positive values (a NAV, a balance) at equally spaced dates.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
from scipy import optimize

F64 = npt.NDArray[np.float64]


def _returns(x: npt.ArrayLike, name: str = "returns") -> F64:
    r = np.asarray(x, dtype=np.float64)
    if r.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {r.shape}")
    if not np.all(np.isfinite(r)):
        raise ValueError(f"{name} must be finite")
    return r


# --- Geltner (1993): first-order (AR(1)) smoothing --------------------------------------


def _check_alpha(alpha: float) -> None:
    if not 0.0 <= alpha < 1.0:
        raise ValueError(f"alpha must be in [0, 1), got {alpha}")


def geltner_smooth(true_returns: npt.ArrayLike, alpha: float,
                   previous_reported: float | None = None) -> F64:
    """Reported returns of an appraisal-smoothed asset: r_rep_t = (1 − α) r_t + α r_rep_{t−1}.

    The forward model of `geltner_unsmooth` (Geltner 1993; Geltner 1991): an appraiser
    puts weight 1 − α on this period's market news and α on the last reported value, so the
    reported return is an exponentially weighted average of true returns. Useful to simulate
    a reported series from a known one.

    Args:
        true_returns: shape (n,), the economic (true) returns r_0 … r_{n−1}.
        alpha: the weight α on the last reported return, in [0, 1); 0 reports the truth.
        previous_reported: r_rep_{−1}, the reported return before the first period; by
            default r_0 (a series at rest before it starts, so that r_rep_0 = r_0).

    Returns:
        Reported returns, shape (n,).

    >>> geltner_smooth([0.10, -0.20, 0.04], 0.5, previous_reported=0.0).round(6).tolist()
    [0.05, -0.075, -0.0175]
    """
    _check_alpha(alpha)
    r = _returns(true_returns, "true_returns")
    out = np.empty_like(r)
    prev = (r[0] if r.size else 0.0) if previous_reported is None else float(previous_reported)
    for t in range(r.size):
        prev = (1.0 - alpha) * r[t] + alpha * prev
        out[t] = prev
    return out


def geltner_unsmooth(reported_returns: npt.ArrayLike, alpha: float,
                     previous_reported: float | None = None) -> F64:
    """True returns implied by reported ones: r_t = (r_rep_t − α r_rep_{t−1}) / (1 − α).

    Geltner's (1993) first-order "reverse filter" for appraisal-based returns: if the
    reported return is (1 − α) r_t + α r_rep_{t−1} (`geltner_smooth`), solving for r_t gives
    this. The unsmoothed series has the variance and market beta that the smoothing hid, and
    an economic value path that moves when the market does (`economic_value_path`). α is the
    smoothing parameter; with an AR(1) model it is the first-order autocorrelation of the
    reported returns (Geltner 1993; Fisher, Geltner and Webb 1994), which the caller may
    estimate or choose. α = 0 is the identity.

    Sources: D. Geltner (1993), "Estimating market values from appraised values without
    assuming an efficient market", Journal of Real Estate Research 8(3), 325-345;
    D. Geltner (1991), "Smoothing in appraisal-based returns", Journal of Real Estate
    Finance and Economics 4(3), 327-345.

    Args:
        reported_returns: shape (n,), the reported returns r_rep_0 … r_rep_{n−1}.
        alpha: the smoothing weight α in [0, 1).
        previous_reported: r_rep_{−1}; by default r_rep_0 (the series was at rest before it
            starts, so the first true return equals the first reported one).

    Returns:
        True returns, shape (n,). Nothing is clipped: with a large α a reported loss can
        unsmooth to a return below −100%, a sign that α is too large for the data.

    >>> geltner_unsmooth([0.05, -0.075, -0.0175], 0.5, previous_reported=0.0).round(6).tolist()
    [0.1, -0.2, 0.04]
    """
    _check_alpha(alpha)
    r = _returns(reported_returns, "reported_returns")
    if r.size == 0:
        return r.copy()
    prev0 = r[0] if previous_reported is None else float(previous_reported)
    lagged = np.concatenate(([prev0], r[:-1]))
    return (r - alpha * lagged) / (1.0 - alpha)


def economic_value_path(reported_values: npt.ArrayLike, alpha: float,
                        previous_reported_return: float | None = None) -> F64:
    """De-smoothed value path of a reported NAV path (via its returns).

    Takes the reported period returns V_t / V_{t−1} − 1, unsmooths them with
    `geltner_unsmooth`, and compounds the true returns from the first reported value, which
    is taken to be economic (the path starts at rest). The result is the value the assets
    would show if they were marked to market each period: the path a saver's units are
    really worth.

    Args:
        reported_values: shape (n,), positive reported values (NAV, balance) V_0 … V_{n−1}.
        alpha: Geltner's smoothing weight in [0, 1).
        previous_reported_return: the reported return before the first one (of V_1 / V_0);
            by default that first return itself (see `geltner_unsmooth`).

    Returns:
        Economic values, shape (n,), starting at V_0.

    >>> economic_value_path([100.0, 105.0, 105.0], 0.5).round(6).tolist()
    [100.0, 105.0, 99.75]
    """
    v = _returns(reported_values, "reported_values")
    if np.any(v <= 0.0):
        raise ValueError("reported_values must be positive")
    if v.size < 2:
        return v.copy()
    true = geltner_unsmooth(v[1:] / v[:-1] - 1.0, alpha, previous_reported_return)
    return v[0] * np.concatenate(([1.0], np.cumprod(1.0 + true)))


# --- Getmansky, Lo and Makarov (2004): MA(k) smoothing ----------------------------------


def _check_thetas(thetas: npt.ArrayLike) -> F64:
    th = np.asarray(thetas, dtype=np.float64)
    if th.ndim != 1 or th.size == 0:
        raise ValueError("thetas must be a non-empty one-dimensional sequence (θ_0 … θ_k)")
    if not np.isclose(th.sum(), 1.0, rtol=0.0, atol=1e-9):
        raise ValueError(f"thetas must sum to 1 (GLM's normalisation), got {th.sum()}")
    if th[0] <= 0.0:
        raise ValueError("θ_0 must be positive to invert the smoothing")
    return th


def _previous_true(previous_true: Sequence[float] | npt.ArrayLike | None, k: int,
                   first: float) -> F64:
    if previous_true is None:
        return np.full(k, first)
    prev = np.asarray(previous_true, dtype=np.float64)
    if prev.shape != (k,):
        raise ValueError(f"previous_true must hold k = {k} returns (oldest first)")
    return prev


def glm_smooth(true_returns: npt.ArrayLike, thetas: npt.ArrayLike,
               previous_true: npt.ArrayLike | None = None) -> F64:
    """Reported returns under GLM smoothing: r_rep_t = Σ_{j=0..k} θ_j r_{t−j}, Σ θ_j = 1.

    The forward model of `getmansky_lo_makarov_unsmooth` (Getmansky, Lo and Makarov 2004): this period's reported return spreads this and the last k periods' true
    returns with weights θ that sum to one, so the reported mean is the true mean and all
    true return is reported within k + 1 periods.

    Args:
        true_returns: shape (n,), r_0 … r_{n−1}.
        thetas: θ_0 … θ_k, summing to 1.
        previous_true: r_{−k} … r_{−1} (oldest first); by default each equals r_0.

    Returns:
        Reported returns, shape (n,).

    >>> glm_smooth([0.04, -0.08, 0.0], [0.75, 0.25], previous_true=[0.0]).round(6).tolist()
    [0.03, -0.05, -0.02]
    """
    th = _check_thetas(thetas)
    r = _returns(true_returns, "true_returns")
    k = th.size - 1
    if r.size == 0:
        return r.copy()
    full = np.concatenate((_previous_true(previous_true, k, r[0]), r))
    # r_rep_t = Σ_j θ_j full[k + t − j]
    return np.array([th @ full[k + t - np.arange(k + 1)] for t in range(r.size)])


def getmansky_lo_makarov_unsmooth(reported_returns: npt.ArrayLike, thetas: npt.ArrayLike,
                                  previous_true: npt.ArrayLike | None = None) -> F64:
    """True returns under GLM's MA(k) smoothing, by recursive inversion.

    Getmansky, Lo and Makarov (2004) model the reported return of an illiquid portfolio as
    r_rep_t = θ_0 r_t + θ_1 r_{t−1} + … + θ_k r_{t−k} with θ_j ∈ [0, 1] summing to one
    (`glm_smooth`). Given θ and the k true returns before the sample, each true return
    follows from the last ones: r_t = (r_rep_t − Σ_{j≥1} θ_j r_{t−j}) / θ_0. θ = (1,) is the
    identity. The recursion is exact, but it amplifies any error in θ or in the data
    unless the MA polynomial θ_0 + θ_1 z + … + θ_k z^k has its roots outside the unit circle
    (the invertibility GLM impose on their estimates; θ_0 > θ_1 for k = 1).

    Source: M. Getmansky, A. W. Lo and I. Makarov (2004), "An econometric model of serial
    correlation and illiquidity in hedge fund returns", Journal of Financial Economics 74(3),
    529-609.

    Args:
        reported_returns: shape (n,), r_rep_0 … r_rep_{n−1}.
        thetas: θ_0 … θ_k, summing to 1, θ_0 > 0.
        previous_true: r_{−k} … r_{−1} (oldest first); by default each equals r_rep_0 (at
            rest before the sample: then r_0 = r_rep_0).

    Returns:
        True returns, shape (n,).

    >>> getmansky_lo_makarov_unsmooth([0.03, -0.05, -0.02], [0.75, 0.25], [0.0]).round(6).tolist()
    [0.04, -0.08, 0.0]
    """
    th = _check_thetas(thetas)
    r = _returns(reported_returns, "reported_returns")
    k = th.size - 1
    if r.size == 0:
        return r.copy()
    full = np.concatenate((_previous_true(previous_true, k, r[0]), np.empty(r.size)))
    lags = th[1:]
    for t in range(r.size):
        # full[k + t − j] for j = 1..k is full[t + k − 1] down to full[t]
        past = full[t:t + k][::-1]
        full[k + t] = (r[t] - lags @ past) / th[0]
    return full[k:]


def glm_smoothing_index(thetas: npt.ArrayLike) -> float:
    """GLM's smoothing index ξ = Σ θ_j², in [1/(k+1), 1]; 1 means no smoothing.

    The reported variance is ξ times the true variance for i.i.d. true returns, so 1/ξ is
    how much the smoothing understates it (Getmansky, Lo and Makarov
    2004, Section 3).

    >>> glm_smoothing_index([0.5, 0.5])
    0.5
    """
    th = _check_thetas(thetas)
    return float(th @ th)


def glm_autocorrelations(thetas: npt.ArrayLike) -> F64:
    """Autocorrelations ρ_1 … ρ_k of reported returns when true returns are i.i.d.

    ρ_m = Σ_{j=0..k−m} θ_j θ_{j+m} / Σ_j θ_j² (Getmansky, Lo and Makarov 2004).

    >>> glm_autocorrelations([0.75, 0.25]).round(6).tolist()
    [0.3]
    """
    th = _check_thetas(thetas)
    return _ma_autocorrelations(th)


def _ma_autocorrelations(c: F64) -> F64:
    k = c.size - 1
    return np.array([c[: k + 1 - m] @ c[m:] for m in range(1, k + 1)]) / (c @ c)


def glm_thetas_from_autocorrelations(rho: npt.ArrayLike) -> F64:
    """The invertible θ_0 … θ_k (Σ θ = 1) whose MA(k) has autocorrelations ρ_1 … ρ_k.

    A method-of-moments solution of GLM's model: write the MA(k) with a leading one,
    x_t = ε_t + ψ_1 ε_{t−1} + … + ψ_k ε_{t−k}; find ψ whose autocorrelations match ρ (by
    least squares from ψ = 0, so an unattainable ρ gets the closest fit); make the MA
    polynomial invertible by moving any root inside the unit circle to its reciprocal (this
    leaves the autocorrelations unchanged); and normalise, θ = (1, ψ) / (1 + Σ ψ). For k = 1
    the closed form is ψ_1 = (1 − √(1 − 4ρ_1²)) / (2ρ_1) (|ρ_1| ≤ 1/2).

    >>> glm_thetas_from_autocorrelations([0.3]).round(6).tolist()
    [0.75, 0.25]
    """
    target = np.asarray(rho, dtype=np.float64).ravel()
    k = target.size
    if k == 0:
        return np.array([1.0])

    def resid(psi: F64) -> F64:
        return _ma_autocorrelations(np.concatenate(([1.0], psi))) - target

    fit = optimize.least_squares(resid, np.zeros(k), xtol=1e-15, ftol=1e-15, gtol=1e-15)
    c = np.concatenate(([1.0], fit.x))
    # Invertibility: roots of c_0 + c_1 z + … + c_k z^k outside the unit circle.
    roots = np.roots(c[::-1]) if np.any(c[1:] != 0.0) else np.array([])
    inside = np.abs(roots) < 1.0
    if np.any(inside):
        roots = np.where(inside, 1.0 / roots, roots)
        c = np.real(np.poly(roots))[::-1]  # monic in z^k, reversed: constant term first
        c = c / c[0]
    total = c.sum()
    if total <= 0.0:
        raise ValueError("autocorrelations imply Σ θ ≤ 0; no GLM normalisation exists")
    return c / total


def estimate_glm_thetas(reported_returns: npt.ArrayLike, k: int) -> F64:
    """Estimate GLM's θ_0 … θ_k from a reported series by matching autocorrelations.

    The sample autocorrelations ρ̂_1 … ρ̂_k (autocovariance over n, about the sample mean)
    are matched by `glm_thetas_from_autocorrelations`. This is the method of moments, not
    the maximum likelihood estimator GLM use (their Section 4); the two agree as the sample
    grows when true returns are i.i.d., but the moments estimator is less efficient and has
    no standard errors here.

    Args:
        reported_returns: shape (n,), n > k + 1.
        k: the number of lags (k ≥ 0).

    Returns:
        θ_0 … θ_k, summing to 1.
    """
    r = _returns(reported_returns, "reported_returns")
    if k < 0 or r.size <= k + 1:
        raise ValueError(f"need k >= 0 and more than k + 1 returns, got k = {k}, n = {r.size}")
    x = r - r.mean()
    gamma0 = x @ x
    if gamma0 == 0.0:
        raise ValueError("reported returns are constant; autocorrelations are undefined")
    rho = np.array([x[:-m] @ x[m:] for m in range(1, k + 1)]) / gamma0
    return glm_thetas_from_autocorrelations(rho)


# --- Losses a saver sees -----------------------------------------------------------------


def drawdown_path(values: npt.ArrayLike) -> F64:
    """Drawdown at each date: 1 − V_t / max_{s ≤ t} V_s (0 at a running peak).

    >>> drawdown_path([100.0, 120.0, 90.0, 130.0]).tolist()
    [0.0, 0.0, 0.25, 0.0]
    """
    v = _returns(values, "values")
    if np.any(v <= 0.0):
        raise ValueError("values must be positive")
    return 1.0 - v / np.maximum.accumulate(v)


def drawdown(values: npt.ArrayLike) -> float:
    """Maximum drawdown of a value path: the largest fall from a running peak, as a share.

    max_t (1 − V_t / max_{s ≤ t} V_s): the worst loss a holder who bought at the highest
    earlier value would have seen (Magdon-Ismail and Atiya 2004, "Maximum drawdown", Risk
    17(10)). 0 for a path that never falls. Applied to a reported NAV and to its economic
    path (`economic_value_path`), it shows how much loss the smoothing hides.

    >>> drawdown([100.0, 120.0, 90.0, 130.0, 65.0])
    0.5
    """
    dd = drawdown_path(values)
    return float(dd.max()) if dd.size else 0.0


def calendar_year_returns(monthly_returns: npt.ArrayLike, start_month: int) -> F64:
    """Compounded return of each calendar year covered by a monthly series.

    Month 0 of the series is calendar month `start_month` (1 = January); the first year
    runs from it to December and the last may end before December (partial years are
    year-to-date returns). Each year's return is Π (1 + r_m) − 1.

    >>> calendar_year_returns([0.1, -0.5, 0.2], start_month=12).round(6).tolist()
    [0.1, -0.4]
    """
    r = _returns(monthly_returns, "monthly_returns")
    if not 1 <= start_month <= 12:
        raise ValueError(f"start_month must be 1..12, got {start_month}")
    year = (np.arange(r.size) + start_month - 1) // 12
    if r.size == 0:
        return r.copy()
    growth = np.ones(int(year[-1]) + 1)
    np.multiply.at(growth, year, 1.0 + r)
    return growth - 1.0


def worst_calendar_year_loss(monthly_returns: npt.ArrayLike, start_month: int,
                             complete_years_only: bool = False) -> float:
    """Loss of the worst calendar year, as a positive share (0 if no year lost money).

    max(0, −min_y R_y) over the calendar-year returns R_y of `calendar_year_returns`: the
    statistic behind the model's `worst_year_return` and its share of near retirees whose
    worst year lost more than 20% (ODD §7.11), here for any series. Partial first and last
    years count (year to date) unless `complete_years_only`.

    >>> worst_calendar_year_loss([0.1, -0.5, 0.2], start_month=12)
    0.4
    """
    years = calendar_year_returns(monthly_returns, start_month)
    if complete_years_only:
        n = np.asarray(monthly_returns).size
        months = np.bincount((np.arange(n) + start_month - 1) // 12, minlength=years.size)
        years = years[months == 12]
    if years.size == 0:
        return 0.0
    return float(max(0.0, -years.min()))


# --- Trading at a stale NAV --------------------------------------------------------------


def stale_nav_transfer(flows: npt.ArrayLike, reported_nav: npt.ArrayLike,
                       economic_nav: npt.ArrayLike) -> F64:
    """Dollar gain of each trade made at a reported NAV that differs from the economic one.

    A saver who puts F > 0 into a fund at reported NAV P gets F / P units worth F × E / P at
    the economic NAV E; one who takes F < 0 out gives up |F| / P units worth |F| × E / P for
    |F| in cash. Both gain flow × (E / P − 1): buyers gain when the NAV is too low, and
    redeemers when it is too high (as after a fall the marks have not caught up). The other
    holders lose what the traders gain (`stayers_transfer`): the dilution of the mutual-fund
    "stale price" literature (Chalmers, Edelen and Kadlec 2001, "On the perils of financial
    intermediaries setting security prices: the mutual fund wild card option", Journal of
    Finance 56(6), 2209-2236; Zitzewitz 2003, "Who cares about shareholders? Arbitrage-proofing
    mutual funds", Journal of Law, Economics, and Organization 19(2), 245-280).

    Each trade is valued at the economic NAV before the day's flows; a buyer then holds units
    and shares pro rata in the dilution of the same day's other trades, a term of the order of
    (flow / fund)² that this leaves out (`stale_nav_transfers_settled` keeps it).

    Args:
        flows: dollar flows, positive in, negative out; any shape.
        reported_nav, economic_nav: the NAVs each flow trades at and is worth; broadcast
            against `flows` (one pair for all, or one per flow, e.g. per month).

    Returns:
        The gain of each flow in dollars, the broadcast shape.

    >>> stale_nav_transfer([100.0, -200.0], 10.0, 8.0).round(6).tolist()
    [-20.0, 40.0]
    """
    f = np.asarray(flows, dtype=np.float64)
    p = np.asarray(reported_nav, dtype=np.float64)
    e = np.asarray(economic_nav, dtype=np.float64)
    if np.any(p <= 0.0) or np.any(e < 0.0):
        raise ValueError("reported_nav must be positive and economic_nav non-negative")
    return f * (e / p - 1.0)


def stayers_transfer(flows: npt.ArrayLike, reported_nav: float, economic_nav: float) -> float:
    """What the holders who do not trade gain: minus the traders' total gain.

    Value is only moved, not made: the fund's economic assets change by the flows' cash
    whatever price units change hands at, so what the traders gain beyond a fair trade the
    holders who stay lose; the two sum to zero.

    >>> round(stayers_transfer([100.0, -200.0], 10.0, 8.0), 9)
    -20.0
    """
    return float(-stale_nav_transfer(flows, reported_nav, economic_nav).sum())


def stale_nav_transfers_settled(flows: npt.ArrayLike, units_outstanding: float,
                                reported_nav: float, economic_nav: float) -> tuple[F64, float]:
    """Gains of one day's traders and of the stayers, with the buyers' units valued after it.

    Exact accounting for one dealing date: `units_outstanding` units before it, each trade
    at `reported_nav`, economic assets U × E before it. After the flows the economic NAV is
    E' = (U E + Σ F) / (U + Σ F / P). A buyer (F > 0) gains (F / P) E' − F; a redeemer
    (F < 0, units taken from the U) gains −F − (|F| / P) E; the U − Σ_redeem |F| / P units
    that stay gain (E' − E) each. The gains sum to zero exactly. With no buyers it equals
    `stale_nav_transfer`; with buyers the two differ by the buyers' pro-rata share of the
    day's dilution.

    Returns:
        (gain of each flow, gain of the stayers together), in dollars.

    >>> g, s = stale_nav_transfers_settled([100.0, -100.0], 100.0, 10.0, 8.0)
    >>> g.round(6).tolist(), round(s, 6)
    ([-20.0, 20.0], 0.0)
    """
    f = _returns(flows, "flows")
    p, e, u = float(reported_nav), float(economic_nav), float(units_outstanding)
    if p <= 0.0 or e < 0.0 or u <= 0.0:
        raise ValueError("need positive reported_nav and units_outstanding, economic_nav >= 0")
    units = f / p
    redeemed = -units[f < 0.0].sum()
    if redeemed > u:
        raise ValueError("redemptions exceed the units outstanding")
    e_after_units = u + units.sum()
    e_after = (u * e + f.sum()) / e_after_units if e_after_units > 0 else e
    gains = np.where(f > 0.0, units * e_after - f, -f + units * e)
    stayers = (u - redeemed) * (e_after - e)
    return gains, float(stayers)


__all__ = [
    "calendar_year_returns", "drawdown", "drawdown_path", "economic_value_path",
    "estimate_glm_thetas", "geltner_smooth", "geltner_unsmooth", "getmansky_lo_makarov_unsmooth",
    "glm_autocorrelations", "glm_smooth", "glm_smoothing_index", "glm_thetas_from_autocorrelations",
    "stale_nav_transfer", "stale_nav_transfers_settled", "stayers_transfer",
    "worst_calendar_year_loss",
]
