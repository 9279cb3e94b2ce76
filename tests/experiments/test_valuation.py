"""Hand-worked and property tests of experiments/valuation.py (unsmoothing, drawdowns, stale NAVs).

Expected values are worked by hand in the comments, or follow from the definitions (a
smoothing undone by its inverse; gains that must sum to zero), not from the code's output.
"""

from __future__ import annotations

import doctest

import numpy as np
import pytest
from alt401k.experiments import valuation as v
from hypothesis import given, settings
from hypothesis import strategies as st

returns_lists = st.lists(st.floats(-0.5, 0.5, allow_nan=False), min_size=1, max_size=40)


def test_docstring_examples_run() -> None:
    result = doctest.testmod(v)
    assert result.attempted >= 15
    assert result.failed == 0


# --- Geltner ---------------------------------------------------------------------------


def _smooth_by_hand(true: list[float], alpha: float, prev: float) -> list[float]:
    # The definition, written out independently of the module: r_rep_t = (1-α) r_t + α r_rep_{t-1}.
    out = []
    for r in true:
        prev = (1 - alpha) * r + alpha * prev
        out.append(prev)
    return out


def test_geltner_hand_worked() -> None:
    # α = 0.5, true (0.10, -0.20, 0.04), r_rep_{-1} = 0:
    # rep_0 = 0.5*0.10 = 0.05; rep_1 = 0.5*(-0.20) + 0.5*0.05 = -0.075;
    # rep_2 = 0.5*0.04 + 0.5*(-0.075) = -0.0175. Unsmoothing: (0.05 - 0)/0.5 = 0.10,
    # (-0.075 - 0.025)/0.5 = -0.20, (-0.0175 + 0.0375)/0.5 = 0.04.
    rep = v.geltner_smooth([0.10, -0.20, 0.04], 0.5, previous_reported=0.0)
    np.testing.assert_allclose(rep, [0.05, -0.075, -0.0175], atol=1e-15)
    np.testing.assert_allclose(v.geltner_unsmooth(rep, 0.5, previous_reported=0.0),
                               [0.10, -0.20, 0.04], atol=1e-15)


@settings(max_examples=200, deadline=None)
@given(returns_lists, st.floats(0.0, 0.9), st.floats(-0.2, 0.2))
def test_geltner_round_trip(true: list[float], alpha: float, prev: float) -> None:
    rep = _smooth_by_hand(true, alpha, prev)
    np.testing.assert_allclose(v.geltner_smooth(true, alpha, prev), rep, atol=1e-12)
    np.testing.assert_allclose(v.geltner_unsmooth(rep, alpha, prev), true, atol=1e-10)


@given(returns_lists)
def test_geltner_alpha_zero_is_identity(r: list[float]) -> None:
    np.testing.assert_array_equal(v.geltner_unsmooth(r, 0.0), np.asarray(r))
    np.testing.assert_array_equal(v.geltner_smooth(r, 0.0), np.asarray(r))


def test_geltner_default_start_is_at_rest_and_alpha_checked() -> None:
    # With r_rep_{-1} = r_rep_0 the first true return is (r - α r)/(1 - α) = r.
    assert v.geltner_unsmooth([0.07, 0.01], 0.6)[0] == pytest.approx(0.07)
    assert v.geltner_unsmooth([], 0.5).size == 0
    for bad in (-0.1, 1.0):
        with pytest.raises(ValueError, match="alpha"):
            v.geltner_unsmooth([0.0], bad)


def test_geltner_unsmoothing_restores_variance() -> None:
    # For i.i.d. true returns with variance s², the AR(1) reported series has variance
    # s² (1-α)² / (1-α²) = s² (1-α)/(1+α): a third of it at α = 0.5; unsmoothing gives s² back.
    rng = np.random.default_rng(7)
    true = rng.normal(0.0, 0.05, 200_000)
    rep = v.geltner_smooth(true, 0.5)
    assert rep.var() / true.var() == pytest.approx(1 / 3, rel=0.02)
    assert v.geltner_unsmooth(rep, 0.5).var() / true.var() == pytest.approx(1.0, rel=1e-9)


def test_economic_value_path() -> None:
    # Reported NAV 100, 105, 105, α = 0.5: reported returns (0.05, 0); at rest before, so the
    # first true return is 0.05; the second is (0 - 0.5*0.05)/0.5 = -0.05: 105 * 0.95 = 99.75.
    np.testing.assert_allclose(v.economic_value_path([100, 105, 105], 0.5), [100, 105, 99.75])
    # A flat reported NAV is economically flat; α = 0 returns the reported path.
    np.testing.assert_allclose(v.economic_value_path([50.0] * 6, 0.8), [50.0] * 6)
    path = [100.0, 90.0, 95.0, 120.0]
    np.testing.assert_allclose(v.economic_value_path(path, 0.0), path)
    with pytest.raises(ValueError, match="positive"):
        v.economic_value_path([100.0, 0.0], 0.5)


def test_economic_value_path_round_trip() -> None:
    # Smooth the returns of a known economic path, build the reported NAV from them, and
    # de-smooth: the economic path comes back (the previous reported return is 0 both ways).
    econ = np.array([100.0, 110.0, 88.0, 92.4, 101.64])
    true = econ[1:] / econ[:-1] - 1  # 0.10, -0.20, 0.05, 0.10
    rep_r = _smooth_by_hand(list(true), 0.6, 0.0)
    reported = 100.0 * np.concatenate(([1.0], np.cumprod(1 + np.array(rep_r))))
    np.testing.assert_allclose(v.economic_value_path(reported, 0.6, 0.0), econ, rtol=1e-12)
    # The reported path hides most of the fall: its drawdown is smaller.
    assert v.drawdown(reported) < v.drawdown(econ) == pytest.approx(0.2)


# --- Getmansky, Lo and Makarov ---------------------------------------------------------


def test_glm_hand_worked() -> None:
    # θ = (0.75, 0.25), r_{-1} = 0, true (0.04, -0.08, 0): reported
    # 0.75*0.04 = 0.03; 0.75*(-0.08) + 0.25*0.04 = -0.05; 0 + 0.25*(-0.08) = -0.02.
    rep = v.glm_smooth([0.04, -0.08, 0.0], [0.75, 0.25], [0.0])
    np.testing.assert_allclose(rep, [0.03, -0.05, -0.02], atol=1e-15)
    np.testing.assert_allclose(v.getmansky_lo_makarov_unsmooth(rep, [0.75, 0.25], [0.0]),
                               [0.04, -0.08, 0.0], atol=1e-15)


def test_glm_k2_hand_worked() -> None:
    # θ = (0.5, 0.3, 0.2), previous true (r_-2, r_-1) = (0.1, -0.1), true (0.2, 0.0):
    # rep_0 = 0.5*0.2 + 0.3*(-0.1) + 0.2*0.1 = 0.09; rep_1 = 0 + 0.3*0.2 + 0.2*(-0.1) = 0.04.
    th, prev = [0.5, 0.3, 0.2], [0.1, -0.1]
    np.testing.assert_allclose(v.glm_smooth([0.2, 0.0], th, prev), [0.09, 0.04], atol=1e-15)
    np.testing.assert_allclose(v.getmansky_lo_makarov_unsmooth([0.09, 0.04], th, prev), [0.2, 0.0],
                               atol=1e-15)


thetas_strategy = st.lists(st.floats(0.05, 1.0), min_size=1, max_size=4).map(
    lambda xs: sorted(xs, reverse=True))  # decreasing weights keep the inversion stable


@settings(max_examples=200, deadline=None)
@given(returns_lists, thetas_strategy)
def test_glm_round_trip(true: list[float], raw: list[float]) -> None:
    th = np.array(raw) / sum(raw)
    k = th.size - 1
    prev = np.linspace(-0.01, 0.01, k)
    # Reported returns by the definition, written out: Σ_j θ_j r_{t-j}.
    full = np.concatenate((prev, true))
    rep = [sum(th[j] * full[k + t - j] for j in range(k + 1)) for t in range(len(true))]
    np.testing.assert_allclose(v.glm_smooth(true, th, prev), rep, atol=1e-12)
    np.testing.assert_allclose(v.getmansky_lo_makarov_unsmooth(rep, th, prev), true, atol=1e-9)


@given(returns_lists)
def test_glm_identity(r: list[float]) -> None:
    np.testing.assert_array_equal(v.getmansky_lo_makarov_unsmooth(r, (1.0,)), np.asarray(r))
    np.testing.assert_array_equal(v.glm_smooth(r, (1.0,)), np.asarray(r))


def test_glm_checks_thetas() -> None:
    with pytest.raises(ValueError, match="sum to 1"):
        v.getmansky_lo_makarov_unsmooth([0.0], [0.5, 0.4])
    with pytest.raises(ValueError, match="positive"):
        v.getmansky_lo_makarov_unsmooth([0.0], [0.0, 1.0])
    with pytest.raises(ValueError, match="k = 2"):
        v.getmansky_lo_makarov_unsmooth([0.0], [0.5, 0.3, 0.2], [0.0])


def test_glm_smoothing_index_and_autocorrelations() -> None:
    # ξ = Σθ²: (1,) → 1; (0.5, 0.5) → 0.5; (0.5, 0.3, 0.2) → 0.25 + 0.09 + 0.04 = 0.38.
    assert v.glm_smoothing_index([1.0]) == 1.0
    assert v.glm_smoothing_index([0.5, 0.3, 0.2]) == pytest.approx(0.38)
    # ρ_1 = (0.5*0.3 + 0.3*0.2)/0.38 = 0.21/0.38, ρ_2 = 0.5*0.2/0.38 = 0.1/0.38.
    np.testing.assert_allclose(v.glm_autocorrelations([0.5, 0.3, 0.2]), [0.21 / 0.38, 0.1 / 0.38])


def test_glm_thetas_from_autocorrelations_closed_form() -> None:
    # k = 1: ψ/(1+ψ²) = ρ → ψ = (1 - √(1-4ρ²))/(2ρ). ρ = 0.3: ψ = (1 - 0.8)/0.6 = 1/3,
    # θ = (1, 1/3)/(4/3) = (0.75, 0.25). The non-invertible root ψ = 3 gives (0.25, 0.75),
    # the same ρ; the invertible one is wanted.
    np.testing.assert_allclose(v.glm_thetas_from_autocorrelations([0.3]), [0.75, 0.25], atol=1e-9)
    for rho in (0.05, 0.2, 0.45):
        psi = (1 - np.sqrt(1 - 4 * rho**2)) / (2 * rho)
        np.testing.assert_allclose(v.glm_thetas_from_autocorrelations([rho]),
                                   np.array([1.0, psi]) / (1 + psi), atol=1e-8)
    assert v.glm_thetas_from_autocorrelations([]).tolist() == [1.0]


def test_glm_thetas_from_autocorrelations_k2() -> None:
    # (0.5, 0.3, 0.2) is invertible: 0.5 + 0.3z + 0.2z² has complex roots of modulus
    # √(0.5/0.2) > 1. Its autocorrelations (worked above) give it back.
    np.testing.assert_allclose(v.glm_thetas_from_autocorrelations([0.21 / 0.38, 0.1 / 0.38]),
                               [0.5, 0.3, 0.2], atol=1e-8)


def test_estimate_glm_thetas_recovers_known_smoothing() -> None:
    # i.i.d. true returns smoothed with θ = (0.6, 0.3, 0.1); 200,000 months: the sample
    # autocorrelations are within about 1/√n = 0.002 of the truth.
    rng = np.random.default_rng(2004)
    true = rng.normal(0.005, 0.04, 200_000)
    rep = v.glm_smooth(true, [0.6, 0.3, 0.1])
    np.testing.assert_allclose(v.estimate_glm_thetas(rep, 2), [0.6, 0.3, 0.1], atol=0.02)
    # No smoothing: θ_0 near 1.
    assert v.estimate_glm_thetas(true, 1)[0] == pytest.approx(1.0, abs=0.02)
    with pytest.raises(ValueError, match="more than"):
        v.estimate_glm_thetas([0.1, 0.2], 1)


# --- Drawdowns and calendar years --------------------------------------------------------


def test_drawdown_hand_worked() -> None:
    # 100, 120, 90, 130, 65: the fall 120 → 90 is 25%; 130 → 65 is 50%, the maximum.
    assert v.drawdown([100, 120, 90, 130, 65]) == pytest.approx(0.5)
    np.testing.assert_allclose(v.drawdown_path([100, 120, 90, 130, 65]), [0, 0, 0.25, 0, 0.5])
    assert v.drawdown([1, 2, 3, 4]) == 0.0
    assert v.drawdown([7.0]) == 0.0
    with pytest.raises(ValueError, match="positive"):
        v.drawdown([1.0, -1.0])


@given(st.lists(st.floats(0.01, 1e6), min_size=1, max_size=50), st.floats(0.1, 10.0))
def test_drawdown_properties(values: list[float], scale: float) -> None:
    dd = v.drawdown(values)
    assert 0.0 <= dd < 1.0
    assert v.drawdown(np.asarray(values) * scale) == pytest.approx(dd, abs=1e-12)
    # At least the fall from the first value to the lowest later one.
    assert dd >= 1 - min(values) / values[0] - 1e-12


def test_calendar_year_returns_and_worst_loss() -> None:
    # Start in November: Nov -10%, Dec +10% → 0.9*1.1 - 1 = -1%; next year's 12 months of
    # -2% → 0.98^12 - 1 = -21.53%; then January +5%.
    r = [-0.10, 0.10] + [-0.02] * 12 + [0.05]
    years = v.calendar_year_returns(r, start_month=11)
    np.testing.assert_allclose(years, [-0.01, 0.98**12 - 1, 0.05])
    assert v.worst_calendar_year_loss(r, 11) == pytest.approx(1 - 0.98**12)
    assert v.worst_calendar_year_loss(r, 11, complete_years_only=True) == pytest.approx(1 - 0.98**12)
    # The partial first year alone is the worst when the full year does well.
    r2 = [-0.30, 0.0] + [0.01] * 12
    assert v.worst_calendar_year_loss(r2, 11) == pytest.approx(0.30)
    assert v.worst_calendar_year_loss(r2, 11, complete_years_only=True) == 0.0
    # January start: 24 months are two calendar years; no losing year → 0.
    assert v.calendar_year_returns([0.01] * 24, 1).size == 2
    assert v.worst_calendar_year_loss([0.01] * 24, 1) == 0.0
    with pytest.raises(ValueError, match="start_month"):
        v.calendar_year_returns([0.0], 13)


# --- Stale NAV ---------------------------------------------------------------------------


def test_stale_nav_transfer_signs() -> None:
    # Reported 10, economic 8 (the marks lag a fall). A buyer of $100 gets 10 units worth $80:
    # -$20. A redeemer of $200 gives 20 units worth $160 for $200: +$40. Reversed NAVs
    # (reported 8, economic 10): the buyer gains 100*(10/8 - 1) = $25.
    np.testing.assert_allclose(v.stale_nav_transfer([100.0, -200.0], 10.0, 8.0), [-20.0, 40.0])
    np.testing.assert_allclose(v.stale_nav_transfer(100.0, 8.0, 10.0), 25.0)
    np.testing.assert_allclose(v.stale_nav_transfer([5.0, -5.0], 3.0, 3.0), [0.0, 0.0])
    # One NAV pair per month broadcasts against the flows.
    np.testing.assert_allclose(v.stale_nav_transfer([100.0, 100.0], [10.0, 8.0], [8.0, 8.0]),
                               [-20.0, 0.0])


def test_one_fund_transfers_sum_to_zero_hand_worked() -> None:
    # One fund, 100 units; reported NAV $10, economic $8 (economic assets $800).
    # Buyer A puts in $100 (10 units), redeemer B (holding 20 of the 100 units) takes out
    # $100 (10 units), the other holders stay. Settled accounting: economic assets after
    # = 800 + 100 - 100 = $800 on 100 units, economic NAV still $8. A: 10 units worth $80 for
    # $100, -$20. B: $100 cash for 10 units worth $80, +$20. Stayers (90 units, B's other 10
    # included): 90*8 before and after, 0. Total 0; both methods agree when flows net out.
    flows = [100.0, -100.0]
    gains = v.stale_nav_transfer(flows, 10.0, 8.0)
    np.testing.assert_allclose(gains, [-20.0, 20.0])
    assert v.stayers_transfer(flows, 10.0, 8.0) == pytest.approx(0.0)
    g, s = v.stale_nav_transfers_settled(flows, 100.0, 10.0, 8.0)
    np.testing.assert_allclose(g, [-20.0, 20.0])
    assert s == pytest.approx(0.0)


def test_one_fund_redemption_only_hand_worked() -> None:
    # 100 units, reported $10, economic $8. B redeems $200 (20 units) and A buys nothing.
    # After: economic assets 800 - 200 = $600 on 80 units, $7.50 each. Stayers' 80 units
    # were worth $640, now $600: -$40. B: +$40. Both methods give it.
    assert v.stale_nav_transfer([-200.0], 10.0, 8.0).tolist() == pytest.approx([40.0])
    assert v.stayers_transfer([-200.0], 10.0, 8.0) == pytest.approx(-40.0)
    g, s = v.stale_nav_transfers_settled([-200.0], 100.0, 10.0, 8.0)
    assert g.tolist() == pytest.approx([40.0])
    assert s == pytest.approx(-40.0)


def test_one_fund_buyer_and_redeemer_settled_hand_worked() -> None:
    # 100 units, reported $10, economic $8. A buys $100 (10 units), B redeems $200 (20 units).
    # After: economic assets 800 + 100 - 200 = $700 on 90 units, $70/9 each.
    # A: 10 * 70/9 - 100 = -200/9; B: 200 - 20*8 = +40; stayers (80 units): 80*(70/9 - 8)
    # = -160/9. Sum: -200/9 + 40 - 160/9 = 0. The trade-date formula gives A -20 and
    # stayers -20 (A's share of B's dilution, 20/9, is the second-order term it leaves out).
    g, s = v.stale_nav_transfers_settled([100.0, -200.0], 100.0, 10.0, 8.0)
    np.testing.assert_allclose(g, [-200 / 9, 40.0])
    assert s == pytest.approx(-160 / 9)
    assert g.sum() + s == pytest.approx(0.0, abs=1e-12)
    np.testing.assert_allclose(v.stale_nav_transfer([100.0, -200.0], 10.0, 8.0), [-20.0, 40.0])
    assert v.stayers_transfer([100.0, -200.0], 10.0, 8.0) == pytest.approx(-20.0)
    with pytest.raises(ValueError, match="exceed"):
        v.stale_nav_transfers_settled([-2000.0], 100.0, 10.0, 8.0)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(-50.0, 200.0), min_size=1, max_size=10), st.floats(1.0, 20.0),
       st.floats(0.0, 20.0))
def test_transfers_are_zero_sum(flows: list[float], reported: float, economic: float) -> None:
    # Units outstanding 1,000 at NAV ≥ 1 cover any redemption here (≤ 10 × $50).
    total = v.stale_nav_transfer(flows, reported, economic).sum()
    assert total + v.stayers_transfer(flows, reported, economic) == pytest.approx(0.0, abs=1e-9)
    g, s = v.stale_nav_transfers_settled(flows, 1000.0, reported, economic)
    assert g.sum() + s == pytest.approx(0.0, abs=1e-7)
