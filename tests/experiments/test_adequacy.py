"""Hand-worked and property tests of experiments/adequacy.py (Social Security, adequacy, policy units).

Expected values are worked by hand in the comments or are SSA's published figures (bend
points of 2023-2025 from the average wage index), not the code's own output.
"""

from __future__ import annotations

import doctest

import numpy as np
import pytest
from alt401k.experiments import adequacy as a
from hypothesis import given, settings
from hypothesis import strategies as st

# National average wage index (SSA Office of the Chief Actuary).
AWI = {2021: 60_575.07, 2022: 63_795.13, 2023: 66_621.80}


def test_docstring_examples_run() -> None:
    from alt401k.model import social_security

    result = doctest.testmod(a)
    rule = doctest.testmod(social_security)
    assert result.attempted + rule.attempted >= 13
    assert result.failed == 0 and rule.failed == 0


# --- Social Security ---------------------------------------------------------------------


def test_pia_hand_worked_2025() -> None:
    # Below the first bend point: 0.9 * 1000 = 900.
    assert float(a.social_security_pia(1000.0)) == pytest.approx(900.0)
    # Between: 0.9*1226 + 0.32*(5000 - 1226) = 1103.40 + 1207.68 = 2311.08.
    assert float(a.social_security_pia(5000.0)) == pytest.approx(2311.08)
    # Above: 1103.40 + 0.32*(7391 - 1226) + 0.15*(10000 - 7391) = 1103.40 + 1972.80 + 391.35.
    assert float(a.social_security_pia(10_000.0)) == pytest.approx(3467.55)
    # At the bend points exactly; zero; vectorised.
    np.testing.assert_allclose(a.social_security_pia([0.0, 1226.0, 7391.0]),
                               [0.0, 1103.40, 3076.20])


def test_pia_rounding_to_dime_and_other_bend_points() -> None:
    # 0.9*1226 + 0.32*(1500 - 1226) = 1103.40 + 87.68 = 1191.08 → SSA's 1191.00.
    assert float(a.social_security_pia(1500.0, round_down_to_dime=True)) == pytest.approx(1191.0)
    assert float(a.social_security_pia(1000.0, round_down_to_dime=True)) == pytest.approx(900.0)
    # 2024 bend points (1174, 7078): AIME 2000 → 0.9*1174 + 0.32*826 = 1056.60 + 264.32.
    assert float(a.social_security_pia(2000.0, (1174.0, 7078.0))) == pytest.approx(1320.92)
    with pytest.raises(ValueError):
        a.social_security_pia(-1.0)


@given(st.floats(0.0, 50_000.0), st.floats(0.0, 50_000.0))
def test_pia_monotone_concave_and_progressive(x: float, y: float) -> None:
    lo, hi = sorted((x, y))
    p_lo, p_hi = float(a.social_security_pia(lo)), float(a.social_security_pia(hi))
    assert p_lo <= p_hi + 1e-9
    # Marginal rate between 15% and 90%: the benefit rises by at most 0.9 and at least 0.15
    # per dollar of AIME.
    assert 0.15 * (hi - lo) - 1e-6 <= p_hi - p_lo <= 0.9 * (hi - lo) + 1e-6
    # Progressive: the replacement share PIA/AIME falls with AIME.
    if lo > 0:
        assert p_hi / hi <= p_lo / lo + 1e-12


def test_bend_points_match_ssa_published() -> None:
    # SSA's published bend points: 2023 $1,115 / $6,721; 2024 $1,174 / $7,078;
    # 2025 $1,226 / $7,391. By hand for 2025: 180 * 66621.80 / 9779.44 = 1226.24 → 1226;
    # 1085 * 66621.80 / 9779.44 = 7391.49 → 7391.
    assert a.bend_points_for_year(2023, AWI) == (1115.0, 6721.0)
    assert a.bend_points_for_year(2024, AWI) == (1174.0, 7078.0)
    assert a.bend_points_for_year(2025, AWI) == (1226.0, 7391.0)
    assert a.bend_points_for_year(2025, AWI) == a.BEND_POINTS_2025
    # The base year reproduces the base bend points.
    assert a.bend_points_for_year(1979, {1977: a.AWI_1977}) == (180.0, 1085.0)
    with pytest.raises(KeyError):
        a.bend_points_for_year(2030, AWI)


def test_aime_flat_history() -> None:
    # 40 years at $60,000 with a flat wage index: top 35 years sum to 35 * 60,000, / 420
    # months = $5,000.
    assert a.aime_from_pay_history([60_000.0] * 40, [50_000.0] * 40, 50_000.0) == pytest.approx(5000.0)
    # 20 years at $42,000: 15 zero years fill the 35: 20 * 42,000 / 420 = $2,000.
    assert a.aime_from_pay_history([42_000.0] * 20, [1.0] * 20, 1.0) == pytest.approx(2000.0)
    # Capped at a taxable maximum of $176,100: 35 * 176,100 / 420 = $14,675.
    assert a.aime_from_pay_history([200_000.0] * 35, [1.0] * 35, 1.0,
                                   taxable_max=176_100.0) == pytest.approx(14_675.0)


def test_aime_indexing_and_top_years() -> None:
    # Pay that grows with the wage index is, indexed, the pay of the indexing year: pay_y =
    # 0.8 AWI_y with AWI growing 3% a year, indexing year AWI = 70,000 → every indexed year
    # is 56,000, AIME = 56,000 * 35 / 420 = 4,666.67.
    awi = 70_000.0 / 1.03 ** np.arange(39, -1, -1)
    assert a.aime_from_pay_history(0.8 * awi, awi, 70_000.0) == pytest.approx(56_000 / 12)
    # Years after the indexing year count at face value, and only the top years count:
    # 36 years whose index ratio is 2 and pay 21,000 (indexed 42,000) and one later year of
    # 84,000 (face value). Top 35: 84,000 + 34 * 42,000 = 1,512,000; / 420 = 3,600.
    pay = [21_000.0] * 36 + [84_000.0]
    awi2 = [1.0] * 36 + [3.0]
    after = [False] * 36 + [True]
    assert a.aime_from_pay_history(pay, awi2, 2.0, after_index_year=after) == pytest.approx(3600.0)
    # Without the flag that year is indexed by 2/3, to 56,000: (56,000 + 34 * 42,000) / 420.
    assert a.aime_from_pay_history(pay, awi2, 2.0) == pytest.approx((56_000 + 34 * 42_000) / 420)
    # SSA's rounding down to the dollar.
    assert a.aime_from_pay_history([50_000.0] * 35, [1.0] * 35, 1.0, round_down=True) == 4166.0


# --- Income and adequacy -------------------------------------------------------------------


def test_annuity_and_replacement_rate() -> None:
    from alt401k.model.reporters import REPLACEMENT_ANNUITY_RATE

    # The constant is the model's own convention.
    assert a.ANNUITY_RATE == REPLACEMENT_ANNUITY_RATE
    # $500,000 at 4% is $20,000 a year; against $80,000 of final pay, 25%.
    income = a.annuity_income(500_000.0)
    assert float(income) == pytest.approx(20_000.0)
    assert float(a.replacement_rate(income, 80_000.0)) == pytest.approx(0.25)
    # With Social Security: a PIA of $2,311.08 a month is $27,732.96 a year; total 47,732.96
    # / 80,000 = 0.596662.
    total = income + 12 * a.social_security_pia(5000.0)
    assert float(a.replacement_rate(total, 80_000.0)) == pytest.approx(47_732.96 / 80_000)
    assert np.isnan(a.replacement_rate([1.0], [0.0])).all()


def test_shortfall_probability_hand_worked() -> None:
    # Rates 0.3, 0.5, 0.7, 0.9 with weights 1, 2, 3, 4 and target 0.7: 0.3 and 0.5 fall short
    # (0.7 is at the target, not below): (1 + 2)/10 = 0.3. Unweighted: 2/4.
    rr = [0.3, 0.5, 0.7, 0.9]
    assert a.shortfall_probability(rr, [1, 2, 3, 4], 0.7) == pytest.approx(0.3)
    assert a.shortfall_probability(rr, None, 0.7) == pytest.approx(0.5)
    # NRRI style: more than 10 points below a 0.75 target → below 0.65: only 0.3 and 0.5.
    assert a.shortfall_probability(rr, [1, 2, 3, 4], 0.75 - 0.10) == pytest.approx(0.3)
    assert a.shortfall_probability(rr, None, 0.0) == 0.0
    assert a.shortfall_probability(rr, None, 10.0) == 1.0
    with pytest.raises(ValueError, match="NaN"):
        a.shortfall_probability([0.5, np.nan], None, 0.7)
    with pytest.raises(ValueError, match="weights"):
        a.shortfall_probability(rr, [0, 0, 0, 0], 0.7)


def test_crra_hand_worked() -> None:
    # Outcomes 1 and 4 with equal probability.
    # γ = 0: the mean, 2.5. γ = 0.5: (E[√w])² = ((1 + 2)/2)² = 2.25.
    # γ = 1: the geometric mean √4 = 2. γ = 2: the harmonic mean 1/((1 + 1/4)/2) = 1.6.
    w = [1.0, 4.0]
    assert a.crra_certainty_equivalent(w, None, 0.0) == pytest.approx(2.5)
    assert a.crra_certainty_equivalent(w, None, 0.5) == pytest.approx(2.25)
    assert a.crra_certainty_equivalent(w, None, 1.0) == pytest.approx(2.0)
    assert a.crra_certainty_equivalent(w, None, 2.0) == pytest.approx(1.6)
    # Weights: 3/4 on 1 and 1/4 on 4, γ = 2: 1/(0.75 + 0.0625) = 1/0.8125.
    assert a.crra_certainty_equivalent(w, [3, 1], 2.0) == pytest.approx(1 / 0.8125)
    # A zero outcome with γ < 1: γ = 0.5, (0, 4): ((0 + 2)/2)² = 1; with γ ≥ 1 it is refused.
    assert a.crra_certainty_equivalent([0.0, 4.0], None, 0.5) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="positive"):
        a.crra_certainty_equivalent([0.0, 4.0], None, 2.0)
    # Large γ and large wealth stay finite (computed in logs).
    assert a.crra_certainty_equivalent([1e6, 2e6], None, 10.0) == pytest.approx(
        1e6 * (0.5 * (1 + 2.0**-9)) ** (-1 / 9))


wealth = st.lists(st.floats(1.0, 1e7), min_size=1, max_size=30)
gammas = st.floats(0.0, 12.0)


@given(st.floats(1e-3, 1e9), gammas, st.integers(1, 5))
def test_crra_degenerate_returns_the_value(x: float, gamma: float, n: int) -> None:
    assert a.crra_certainty_equivalent([x] * n, None, gamma) == pytest.approx(x, rel=1e-12)


@settings(max_examples=200)
@given(wealth, gammas, st.floats(0.1, 100.0))
def test_crra_properties(w: list[float], gamma: float, c: float) -> None:
    ce = a.crra_certainty_equivalent(w, None, gamma)
    # Jensen: CE ≤ mean, and it lies between the worst and best outcomes.
    assert ce <= np.mean(w) * (1 + 1e-9)
    assert min(w) * (1 - 1e-9) <= ce <= max(w) * (1 + 1e-9)
    # Homogeneous of degree one.
    assert a.crra_certainty_equivalent(np.asarray(w) * c, None, gamma) == pytest.approx(c * ce, rel=1e-9)
    # More risk aversion, lower CE.
    assert a.crra_certainty_equivalent(w, None, gamma + 1.0) <= ce * (1 + 1e-9)


# --- Policy units ------------------------------------------------------------------------


def test_present_value_hand_worked() -> None:
    # End of year: 110/1.1 + 121/1.21 = 200. Start of year: 110 + 121/1.1 = 220.
    # Mid-year: 200 * √1.1.
    assert a.present_value([110.0, 121.0], 0.10) == pytest.approx(200.0)
    assert a.present_value([110.0, 121.0], 0.10, "start") == pytest.approx(220.0)
    assert a.present_value([110.0, 121.0], 0.10, "mid") == pytest.approx(200.0 * np.sqrt(1.1))
    assert a.present_value([5.0, 5.0], 0.0) == pytest.approx(10.0)


def test_present_value_of_fees_a4() -> None:
    # $100 a year for 10 years, end of year: 100 (1 - 1.03^-10)/0.03 = 853.0203 and
    # 100 (1 - 1.07^-10)/0.07 = 702.3582 (annuity factors 8.530203 and 7.023582).
    pv = a.present_value_of_fees(100.0)
    assert set(pv) == {0.03, 0.07}
    assert pv[0.03] == pytest.approx(853.0203, abs=1e-4)
    assert pv[0.07] == pytest.approx(702.3582, abs=1e-4)
    # A stream by year ignores `years`: 100 then 200 at 7% = 100/1.07 + 200/1.07².
    pv2 = a.present_value_of_fees([100.0, 200.0], rates=(0.07,), years=10)
    assert pv2[0.07] == pytest.approx(100 / 1.07 + 200 / 1.07**2)


# r is 0 or at least 1e-4: the closed form (1 - (1 + r)^-n)/r loses its digits as r → 0.
@given(st.one_of(st.just(0.0), st.floats(1e-4, 0.2)), st.integers(1, 40), st.floats(0.0, 1e6))
def test_present_value_annuity_closed_form(r: float, n: int, fee: float) -> None:
    closed = fee * n if r == 0 else fee * (1 - (1 + r) ** -n) / r
    assert a.present_value_of_fees(fee, (r,), n)[r] == pytest.approx(closed, rel=1e-9, abs=1e-9)


def test_fees_units() -> None:
    # $500 on $100,000 is 50 bps; $12,000 over 400 participants is $30 a head.
    assert float(a.fees_bps(500.0, 100_000.0)) == pytest.approx(50.0)
    np.testing.assert_allclose(a.fees_bps([1.0, 1.0], [10_000.0, 0.0]), [1.0, np.nan])
    assert float(a.fees_per_participant(12_000.0, 400.0)) == pytest.approx(30.0)
    assert np.isnan(a.fees_per_participant(5.0, 0.0))
