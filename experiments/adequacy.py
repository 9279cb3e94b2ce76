"""Retirement adequacy and the units policy analysis reports in (issue #26).

Whether a policy leaves savers better prepared for retirement is judged in a few standard
units: the income a balance buys against the pay it replaces, with Social Security's
benefit beside it; the share of savers who fall short of a target; a risk-adjusted
(certainty-equivalent) value of uncertain outcomes; and costs in basis points, dollars per
participant and present values discounted as OMB Circular A-4 asks of regulatory analyses.
Pure numpy functions with hand-worked tests (tests/experiments/test_adequacy.py); nothing
here reads the model. Definitions: ODD §7.13.

Money is in dollars of one consistent kind (nominal or constant); pay and income are annual
unless a name says monthly (Social Security's AIME and PIA are monthly, as SSA states them).
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import numpy.typing as npt

from ..model.social_security import (  # the benefit rule, re-exported for analysis code
    AWI_1977,
    BASE_BEND_POINTS_1979,
    BEND_POINTS_2025,
    PIA_RATES,
    aime_from_pay_history,
    bend_points_for_year,
    early_retirement_factor,
    social_security_pia,
)

F64 = npt.NDArray[np.float64]

# --- Income in retirement ----------------------------------------------------------------

ANNUITY_RATE = 0.04
"""Annual income per dollar of balance at retirement: the model's convention (the "4% rule"
of `model.reporters.REPLACEMENT_ANNUITY_RATE`, ODD §7.11), not a market annuity price."""


def annuity_income(balance: npt.ArrayLike, rate: float = ANNUITY_RATE) -> F64:
    """Annual income a retirement balance provides under the model's rule: rate × balance.

    The model turns a balance into income at 4% a year (`ANNUITY_RATE`, the convention of its
    replacement rates); a life annuity priced on mortality and yields would pay more at 65 and
    is left to the caller (pass its payout rate as `rate`).

    >>> annuity_income([250000.0, 0.0]).tolist()
    [10000.0, 0.0]
    """
    return rate * np.asarray(balance, dtype=np.float64)


def replacement_rate(income_in_retirement_annual: npt.ArrayLike,
                     final_pay_annual: npt.ArrayLike) -> F64:
    """Income in retirement over pay just before it (NaN where final pay is not positive).

    The replacement rate of the adequacy literature (e.g. Biggs and Springstead 2008, "Alternate
    measures of replacement rates for Social Security benefits and retirement income", Social
    Security Bulletin 68(2)): the share of pre-retirement earnings that retirement income
    replaces. Which income (the 401(k) annuity alone, or with Social Security) and which pay
    (final, or a career average) is the caller's choice; the model uses final pay.

    >>> replacement_rate([40000.0, 1.0], [80000.0, 0.0]).tolist()
    [0.5, nan]
    """
    inc = np.asarray(income_in_retirement_annual, dtype=np.float64)
    pay = np.asarray(final_pay_annual, dtype=np.float64)
    safe = np.where(pay > 0.0, pay, 1.0)
    return np.where(pay > 0.0, inc / safe, np.nan)


def _weights(x: F64, weights: npt.ArrayLike | None) -> F64:
    if weights is None:
        return np.ones_like(x)
    w = np.broadcast_to(np.asarray(weights, dtype=np.float64), x.shape)
    if np.any(w < 0.0) or not np.all(np.isfinite(w)) or w.sum() <= 0.0:
        raise ValueError("weights must be finite, non-negative and not all zero")
    return w


def shortfall_probability(replacement_rates: npt.ArrayLike, weights: npt.ArrayLike | None,
                          target: float) -> float:
    """Weighted share of savers whose replacement rate is below a target ("at risk").

    Σ w_i [rr_i < target] / Σ w_i, the form of the "at risk" shares of simulation studies:
    EBRI's Retirement Security Projection Model (the share of households whose resources
    fall short of their simulated needs) and the Center for Retirement Research's National
    Retirement Risk Index (the share whose projected replacement rate falls more than 10
    percentage points below a target: pass target − 0.10 for it; Munnell, Hou and Sanzenbacher
    2018, "National Retirement Risk Index shows modest improvement in 2016", CRR Issue in
    Brief 18-1). Strictly below: a saver exactly at the target is not short.

    Args:
        replacement_rates: shape (n,); NaN is not allowed (drop those rows first).
        weights: shape (n,), people each row stands for; None for equal weights.
        target: the target replacement rate.

    >>> shortfall_probability([0.3, 0.5, 0.7, 0.9], [1.0, 2.0, 3.0, 4.0], 0.7)
    0.3
    """
    rr = np.asarray(replacement_rates, dtype=np.float64).ravel()
    if rr.size == 0:
        raise ValueError("no replacement rates")
    if np.any(np.isnan(rr)):
        raise ValueError("replacement_rates contain NaN")
    w = _weights(rr, None if weights is None else np.asarray(weights, dtype=np.float64).ravel())
    return float(w @ (rr < target) / w.sum())


NEAR_LOG_UTILITY = 1e-6
"""|1 − γ| below which the certainty equivalent is taken from its expansion around log
utility (the power form's rounding error there exceeds the expansion's O((1 − γ)²))."""


def crra_certainty_equivalent(wealth_outcomes: npt.ArrayLike, weights: npt.ArrayLike | None,
                              gamma: float) -> float:
    """Certainty equivalent of uncertain wealth under CRRA utility with risk aversion γ.

    CE = (E[w^(1−γ)])^(1/(1−γ)), and exp(E[log w]) at γ = 1 (log utility): the sure amount a
    saver with utility u(w) = w^(1−γ)/(1−γ) values as much as the gamble (Pratt 1964, "Risk
    aversion in the small and in the large", Econometrica 32(1-2); the measure of welfare in
    life-cycle studies of defaults and fees, e.g. Cocco, Gomes and Maenhout 2005, Review of
    Financial Studies 18(2)). γ = 0 gives the mean; a larger γ penalises the bad outcomes more,
    so CE ≤ mean for γ ≥ 0 (Jensen), and CE scales with wealth (CE(c w) = c CE(w)). Computed
    in logs for stability.

    Args:
        wealth_outcomes: shape (n,), outcomes (balances, incomes); positive when γ ≥ 1,
            non-negative otherwise.
        weights: shape (n,), probabilities or head counts (normalised here); None for equal.
        gamma: relative risk aversion, ≥ 0.

    >>> round(crra_certainty_equivalent([1.0, 4.0], None, 2.0), 12)
    1.6
    """
    w = np.asarray(wealth_outcomes, dtype=np.float64).ravel()
    if w.size == 0:
        raise ValueError("no outcomes")
    if gamma < 0.0:
        raise ValueError("gamma must be non-negative (risk averse or neutral)")
    p = _weights(w, None if weights is None else np.asarray(weights, dtype=np.float64).ravel())
    p = p / p.sum()
    if gamma == 0.0:
        return float(p @ w)
    if gamma >= 1.0 and np.any((w <= 0.0) & (p > 0.0)):
        raise ValueError("wealth outcomes must be positive when gamma >= 1")
    if np.any(w < 0.0):
        raise ValueError("wealth outcomes must be non-negative")
    keep = p > 0.0
    w, p = w[keep], p[keep]
    if abs(1.0 - gamma) < NEAR_LOG_UTILITY:
        # Near γ = 1 the power form divides a rounding error by 1 − γ; its expansion in
        # 1 − γ, log CE = E[log w] + (1 − γ) Var[log w] / 2 + O((1 − γ)²), is exact at γ = 1.
        logs = np.log(w)
        mu = p @ logs
        return float(np.exp(mu + 0.5 * (1.0 - gamma) * (p @ (logs - mu) ** 2)))
    if np.any(w == 0.0):  # 0 < γ < 1: a zero outcome adds 0 to E[w^(1−γ)]
        pos = w > 0.0
        if not np.any(pos):
            return 0.0
        mean_u = p[pos] @ w[pos] ** (1.0 - gamma)
        return float(mean_u ** (1.0 / (1.0 - gamma)))
    e = (1.0 - gamma) * np.log(w)
    m = e.max()
    log_mean = m + np.log(p @ np.exp(e - m))
    return float(np.exp(log_mean / (1.0 - gamma)))


# --- Units of policy analysis ------------------------------------------------------------

A4_DISCOUNT_RATES = (0.03, 0.07)
"""Real discount rates of OMB Circular A-4 (2003), section E: 3% (the consumption rate of
interest) and 7% (the average before-tax return to private capital). A 2023 revision of the
Circular used 2%; pass other rates for it."""


def present_value(flows_by_year: npt.ArrayLike, rate: float,
                  timing: Literal["end", "start", "mid"] = "end") -> float:
    """Present value of yearly flows: Σ_t F_t / (1 + r)^t.

    Year t = 1, 2, … of `flows_by_year` is discounted t years with the end-of-year
    convention (the default, OMB Circular A-4's usual one: a cost in the first year is paid
    at its end), t − 1 with "start" and t − ½ with "mid". (`experiments.metrics.present_value`
    is the monthly version for model series.)

    >>> round(present_value([110.0, 121.0], 0.10), 10)
    200.0
    """
    f = np.asarray(flows_by_year, dtype=np.float64).ravel()
    if rate <= -1.0:
        raise ValueError("rate must exceed -100%")
    shift = {"end": 0.0, "start": 1.0, "mid": 0.5}[timing]
    t = np.arange(1, f.size + 1, dtype=np.float64) - shift
    return float(f @ (1.0 + rate) ** -t)


def present_value_of_fees(annual_fees: npt.ArrayLike,
                          rates: tuple[float, ...] = A4_DISCOUNT_RATES,
                          years: int = 10,
                          timing: Literal["end", "start", "mid"] = "end") -> dict[float, float]:
    """Present value of a stream of fees at each discount rate, in Circular A-4 style.

    A regulatory analysis states costs and savings as present values at 3% and 7% over a
    stated horizon (OMB Circular A-4, 2003, section E; ten years is the usual window of
    rules' economic analyses). End-of-year discounting by default.

    Args:
        annual_fees: one amount for every year (repeated `years` times) or one per year
            (then `years` is ignored).
        rates: discount rates.
        years: the horizon when `annual_fees` is one amount.

    Returns:
        {rate: present value}.

    >>> {r: round(v, 2) for r, v in present_value_of_fees(100.0).items()}
    {0.03: 853.02, 0.07: 702.36}
    """
    fees = np.asarray(annual_fees, dtype=np.float64)
    stream = np.full(years, float(fees)) if fees.ndim == 0 else fees.ravel()
    return {r: present_value(stream, r, timing) for r in rates}


def fees_bps(fees_usd: npt.ArrayLike, assets_usd: npt.ArrayLike) -> F64:
    """Fees as basis points of assets: 10,000 × fees / assets (NaN where assets ≤ 0).

    The unit of expense ratios and all-in plan fees (e.g. ICI and BrightScope, "The
    BrightScope/ICI defined contribution plan profile"); use average assets over the period
    the fees cover.

    >>> fees_bps(500.0, 100000.0).tolist()
    50.0
    """
    f = np.asarray(fees_usd, dtype=np.float64)
    a = np.asarray(assets_usd, dtype=np.float64)
    return np.where(a > 0.0, 1e4 * f / np.where(a > 0.0, a, 1.0), np.nan)


def fees_per_participant(fees_usd: npt.ArrayLike, participants: npt.ArrayLike) -> F64:
    """Fees in dollars per participant (NaN where there are none).

    The unit in which fee disclosures and litigation state per-head recordkeeping costs
    (29 CFR 2550.404a-5 disclosures; the "$ per participant" of excessive-fee complaints).

    >>> fees_per_participant(12000.0, 400.0).tolist()
    30.0
    """
    f = np.asarray(fees_usd, dtype=np.float64)
    n = np.asarray(participants, dtype=np.float64)
    return np.where(n > 0.0, f / np.where(n > 0.0, n, 1.0), np.nan)


__all__ = [
    "A4_DISCOUNT_RATES", "ANNUITY_RATE", "AWI_1977", "BASE_BEND_POINTS_1979", "BEND_POINTS_2025",
    "PIA_RATES", "aime_from_pay_history", "annuity_income", "bend_points_for_year", "early_retirement_factor",
    "crra_certainty_equivalent", "fees_bps", "fees_per_participant", "present_value",
    "present_value_of_fees", "replacement_rate", "shortfall_probability", "social_security_pia",
]
