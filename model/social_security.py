"""Social Security's retirement benefit, for replacement rates that include it.

ODD §7.11 (retirees' outcomes) and §7.13. The benefit formula of the Social Security Act:
average indexed monthly earnings (AIME) from a pay history, the primary insurance amount
(PIA) from AIME through two bend points that grow with the national average wage index,
and the reduction for claiming before the full retirement age. One place for the rule:
`model.reporters` uses it for the horizon table, `experiments.adequacy` re-exports it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
import numpy.typing as npt

F64 = npt.NDArray[np.float64]

# --- Social Security ---------------------------------------------------------------------

BEND_POINTS_2025 = (1226.0, 7391.0)
"""2025 PIA bend points, dollars of AIME a month (SSA Office of the Chief Actuary, "Benefit
formula bend points"; for workers first eligible, at 62, in 2025)."""
PIA_RATES = (0.90, 0.32, 0.15)
"""Shares of AIME replaced below the first bend point, between them, and above the second
(Social Security Act §215(a)(1)(A), 42 U.S.C. 415(a)(1)(A))."""
BASE_BEND_POINTS_1979 = (180.0, 1085.0)
"""The bend points written into the 1977 Amendments for 1979 eligibility; later years' are
these scaled by wage growth (§215(a)(1)(B))."""
AWI_1977 = 9779.44
"""National average wage index for 1977, the base of the bend-point scaling (SSA, "National
average wage index")."""
MONTHS_IN_AIME = 12
"""AIME divides the indexed earnings of the top years by their months (35 × 12 = 420)."""


def social_security_pia(aime: npt.ArrayLike,
                        bend_points: tuple[float, float] = BEND_POINTS_2025,
                        rates: tuple[float, float, float] = PIA_RATES,
                        round_down_to_dime: bool = False) -> F64:
    """Primary insurance amount (monthly benefit at full retirement age) from AIME.

    PIA = 0.90 × min(AIME, b1) + 0.32 × (min(AIME, b2) − b1)⁺ + 0.15 × (AIME − b2)⁺: a
    progressive formula that replaces 90% of the first b1 dollars of average indexed
    monthly earnings, 32% up to b2 and 15% above (SSA, "Primary Insurance Amount"; Social
    Security Act §215(a)). The bend points b1 < b2 are those of the year the worker turns 62
    (`bend_points_for_year`); the default is 2025's, $1,226 and $7,391. SSA rounds the PIA
    down to a multiple of $0.10 (`round_down_to_dime`); the default keeps cents, which a
    model that treats AIME as continuous prefers.

    Args:
        aime: average indexed monthly earnings, dollars a month; any shape, ≥ 0.
        bend_points: (b1, b2).
        rates: the three replacement shares.
        round_down_to_dime: apply SSA's rounding down to the dime.

    Returns:
        PIA in dollars a month, the shape of `aime`.

    >>> float(social_security_pia(1000.0))
    900.0
    >>> round(float(social_security_pia(5000.0)), 2)
    2311.08
    """
    a = np.asarray(aime, dtype=np.float64)
    if np.any(a < 0.0):
        raise ValueError("aime must be non-negative")
    b1, b2 = (float(b) for b in bend_points)
    if not 0.0 <= b1 <= b2:
        raise ValueError(f"bend points must satisfy 0 <= b1 <= b2, got {bend_points}")
    r1, r2, r3 = rates
    pia = r1 * np.minimum(a, b1) + r2 * np.clip(a - b1, 0.0, b2 - b1) + r3 * np.maximum(a - b2, 0.0)
    if round_down_to_dime:
        pia = np.floor(np.round(pia * 10.0, 6)) / 10.0
    return pia


def bend_points_for_year(year: int, awi_by_year: Mapping[int, float]) -> tuple[float, float]:
    """PIA bend points for workers who turn 62 in `year`, from the average wage index.

    b_y = round($180 × AWI(y − 2) / AWI(1977)) and round($1,085 × AWI(y − 2) / AWI(1977)),
    each to the nearest dollar: the 1979 bend points grown with the national average wage
    index of two years before (SSA Office of the Chief Actuary, "Benefit formula bend
    points"; Social Security Act §215(a)(1)(B)). With AWI(2023) = $66,621.80 this gives 2025's
    $1,226 and $7,391.

    Args:
        year: the year of first eligibility (age 62), 1979 or later.
        awi_by_year: the national average wage index by year; needs year − 2.

    Returns:
        (b1, b2) in dollars a month.

    >>> bend_points_for_year(2025, {2023: 66621.80})
    (1226.0, 7391.0)
    """
    if year < 1979:
        raise ValueError("the wage-indexed PIA formula starts with 1979 eligibility")
    ratio = float(awi_by_year[year - 2]) / AWI_1977
    # SSA rounds to the nearest dollar; half up, not to even.
    return tuple(float(np.floor(b * ratio + 0.5)) for b in BASE_BEND_POINTS_1979)  # type: ignore[return-value]


def aime_from_pay_history(annual_pay: npt.ArrayLike, awi_by_year_of_pay: npt.ArrayLike,
                          awi_index_year: float, top_years: int = 35,
                          taxable_max: npt.ArrayLike | None = None,
                          after_index_year: npt.ArrayLike | None = None,
                          round_down: bool = False) -> float:
    """Average indexed monthly earnings from a worker's annual pay.

    SSA's steps (SSA, "Average indexed monthly earnings"; Social Security Act §215(b)): cap
    each year's pay at that year's taxable maximum; index it to the wage level of the
    indexing year (the year the worker turns 60) by AWI(indexing year) / AWI(year of pay),
    except that years after the indexing year count at face value; take the highest
    `top_years` (35) indexed amounts, zeros filling a shorter history; divide their sum by
    their months (35 × 12 = 420). SSA rounds the result down to the dollar (`round_down`).

    Args:
        annual_pay: shape (n,), pay in each year worked (nominal dollars).
        awi_by_year_of_pay: shape (n,), the AWI of each of those years.
        awi_index_year: the AWI of the indexing year.
        top_years: years averaged (35 for retirement benefits).
        taxable_max: the taxable maximum, a scalar or one per year; None for no cap.
        after_index_year: shape (n,) booleans, True for years after the indexing year
            (indexing factor 1); None when every year is at or before it.
        round_down: round down to the dollar, as SSA does.

    Returns:
        AIME in dollars a month.

    >>> aime_from_pay_history([60000.0] * 40, [1.0] * 40, 1.0)
    5000.0
    """
    pay = np.asarray(annual_pay, dtype=np.float64)
    awi = np.broadcast_to(np.asarray(awi_by_year_of_pay, dtype=np.float64), pay.shape)
    if pay.ndim != 1:
        raise ValueError("annual_pay must be one-dimensional")
    if np.any(pay < 0.0) or np.any(awi <= 0.0) or awi_index_year <= 0.0 or top_years < 1:
        raise ValueError("need pay >= 0, positive wage indexes and top_years >= 1")
    if taxable_max is not None:
        pay = np.minimum(pay, np.asarray(taxable_max, dtype=np.float64))
    factor = awi_index_year / awi
    if after_index_year is not None:
        factor = np.where(np.asarray(after_index_year, dtype=bool), 1.0, factor)
    indexed = np.sort(pay * factor)[::-1][:top_years]
    aime = float(indexed.sum() / (top_years * MONTHS_IN_AIME))
    return float(np.floor(aime)) if round_down else aime


FULL_RETIREMENT_AGE = 67.0
"""Full retirement age for workers born in 1960 or later (Social Security Act §216(l))."""


def early_retirement_factor(claim_age: npt.ArrayLike, full_age: float = FULL_RETIREMENT_AGE) -> F64:
    """Share of the PIA paid to a worker who claims at `claim_age` (years), at most 1.

    5/9 of 1% for each of the first 36 months before the full retirement age and 5/12 of
    1% for each month beyond (SSA, "Benefit reduction for early retirement"; 20 CFR
    404.410): 70% at 62 with a full age of 67. Claiming later is paid as at the full age
    here (delayed-retirement credits are left out).

    >>> round(float(early_retirement_factor(62.0)), 12)
    0.7
    """
    months_early = np.clip((full_age - np.asarray(claim_age, dtype=np.float64)) * 12.0, 0.0, None)
    first = np.minimum(months_early, 36.0)
    return 1.0 - first * (5.0 / 9.0) / 100.0 - (months_early - first) * (5.0 / 12.0) / 100.0


TAXABLE_MAXIMUM_2025 = 176_100.0
"""Contribution and benefit base for 2025, USD a year (SSA); it grows with wages."""
CAREER_START_AGE = 22.0
"""First year of covered earnings in the career a final pay stands for (assumption)."""


def benefit_from_final_pay(final_pay: npt.ArrayLike, claim_age: npt.ArrayLike, wage_at_claim: npt.ArrayLike,
                           wage_at_60: npt.ArrayLike, wage_2023: float, profile_ratio: npt.ArrayLike) -> F64:
    """Annual Social Security benefit of a worker who retires and claims at `claim_age`
    with `final_pay`, in the dollars of the final pay (ODD §7.11).

    The model keeps no pay history, so the career is the model's own pay rule run
    backwards: a year's pay followed the age profile and the wage level, so its value
    indexed to the wage level at 60 is final_pay x profile(a) / profile(claim age) x
    W(60) / W(claim); `profile_ratio` is the mean of the 35 highest profile ratios over the
    years worked from `CAREER_START_AGE` (`agents.savers.pay_profile`). Wage levels W are the
    model's wage index (1 in January 2025): `wage_at_claim`, `wage_at_60`, and `wage_2023`,
    the level of 2023, whose average wage set the 2025 bend points. Each year's indexed pay
    is capped at the taxable maximum of the year the worker turned 60; AIME is their monthly
    mean; the bend points are 2025's grown with wages from 2023 to the year of 60; the PIA is
    reduced for an early claim (`early_retirement_factor`) and carried to the claim year
    with wages (a simplification: benefits rise with prices after 62).
    """
    pay = np.asarray(final_pay, dtype=np.float64)
    w_claim = np.asarray(wage_at_claim, dtype=np.float64)
    w60 = np.asarray(wage_at_60, dtype=np.float64)
    indexed = pay * np.asarray(profile_ratio, dtype=np.float64) * w60 / w_claim
    aime = np.minimum(indexed, TAXABLE_MAXIMUM_2025 * w60) / 12.0
    b1, b2 = (b * w60 / wage_2023 for b in BEND_POINTS_2025)
    r1, r2, r3 = PIA_RATES
    pia = r1 * np.minimum(aime, b1) + r2 * np.clip(aime - b1, 0.0, b2 - b1) + r3 * np.maximum(aime - b2, 0.0)
    return 12.0 * pia * early_retirement_factor(claim_age) * w_claim / w60


def career_profile_ratio(claim_age: npt.ArrayLike, profile: Callable[[F64], F64], top_years: int = 35) -> F64:
    """Mean of the `top_years` highest profile(a) / profile(claim age) over the whole years
    of age worked from `CAREER_START_AGE` to the claim (zeros fill a shorter career), the
    factor `benefit_from_final_pay` turns a final pay into average indexed earnings with."""
    claim = np.atleast_1d(np.asarray(claim_age, dtype=np.float64))
    ages = CAREER_START_AGE + np.arange(int(np.ceil(claim.max() - CAREER_START_AGE)) + 1)
    worked = ages[None, :] < claim[:, None]
    ratio = np.where(worked, profile(ages)[None, :] / profile(claim)[:, None], 0.0)
    top = -np.sort(-ratio, axis=1)[:, :top_years]
    return top.sum(axis=1) / top_years


__all__ = [
    "AWI_1977", "BASE_BEND_POINTS_1979", "BEND_POINTS_2025", "FULL_RETIREMENT_AGE", "PIA_RATES",
    "TAXABLE_MAXIMUM_2025", "aime_from_pay_history", "benefit_from_final_pay", "bend_points_for_year",
    "career_profile_ratio", "early_retirement_factor", "social_security_pia",
]
