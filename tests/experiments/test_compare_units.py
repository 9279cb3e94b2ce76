"""Compare report in policy units and liquidity without monthly sums of stocks (issue #26).

Hand-worked: a fee stream of known present value, fees in basis points and per participant,
participants affected, and a gated position that waits three months counted once.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from alt401k.experiments import compare


def _run(months: int = 120) -> pd.DataFrame:
    """A run's monthly rows (month 0 first), every compared series zero unless set."""
    dates = [f"{2025 + m // 12}-{m % 12 + 1:02d}" for m in range(months + 1)]
    frame = pd.DataFrame({c: np.zeros(months + 1) for c in compare.monthly_columns()})
    frame["month"] = np.arange(months + 1)
    frame["date"] = dates
    frame["participants"] = 1e6
    frame["assets_usd"] = 1e12
    frame["assets_economic_usd"] = 1e12
    return frame


def test_fees_in_policy_units_by_hand() -> None:
    run = _run()
    # $1bn of fees a year in 2025 dollars ($1bn/12 a month), and the same nominal.
    run.loc[1:, "fees_usd2025"] = 1e9 / 12
    run.loc[1:, "fees_usd"] = 1e9 / 12
    rows = {(r[1], r[3], r[4]): r[5] for r in compare.policy_unit_outcomes(run[run["month"] > 0])}
    # Ten years of $1bn at the end of each year: 1 × (1 - 1.03^-10) / 0.03 = 8.530203 and
    # (1 - 1.07^-10) / 0.07 = 7.023582 (annuity factors).
    pv3 = rows[("paid by savers (incl. carry)", "PV of 10 years (2025-02..2035-01) at 3% real", compare.REAL)]
    pv7 = rows[("paid by savers (incl. carry)", "PV of 10 years (2025-02..2035-01) at 7% real", compare.REAL)]
    assert pv3 == pytest.approx(8.530203, rel=1e-6)
    assert pv7 == pytest.approx(7.023582, rel=1e-6)
    # $1bn a year on $1tn of assets is 10 basis points; over 1 million participants, $1,000 each.
    assert rows[("paid by savers (incl. carry)", "last 12 months", "bps of assets")] == pytest.approx(10.0)
    assert rows[("paid by savers (incl. carry) per participant", "last 12 months",
                 "USD a year, 2025 dollars")] == pytest.approx(1000.0)


def test_real_dollars_by_default_nominal_beside_and_participants_affected() -> None:
    run = _run(24)
    run["assets_usd__alternatives"] = 110e9
    run["assets_usd2025__alternatives"] = 100e9  # prices 10% above January 2025
    run["share_savers_exposed_any_alt"] = 0.25
    rows = compare.run_outcomes(run, 0.03)
    alt = {r[4]: r[5] for r in rows if r[:4] == ("assets", "all alternatives", "all channels", "horizon")}
    assert alt == {compare.REAL: pytest.approx(100.0), compare.NOMINAL: pytest.approx(110.0)}
    affected = [r[5] for r in rows if r[1] == "participants affected (any alternative)" and r[3] == "horizon"]
    assert affected == [pytest.approx(0.25)]  # a quarter of 1 million, in millions


def test_a_position_gated_for_three_months_is_counted_once() -> None:
    run = _run(12)
    # One $5bn position waits behind a gate in months 3-5 and is refused each month.
    run.loc[3:5, "gated_stock_usd"] = 5e9
    run.loc[3:5, "gated_refused_usd"] = 5e9
    rows = {(r[1], r[2]): r[5] for r in compare.liquidity_outcomes(run[run["month"] > 0])}
    assert rows[("gated stock", "peak month-end stock")] == pytest.approx(5.0)  # not 15
    assert rows[("sales refused by gates (savers)", "largest month")] == pytest.approx(5.0)
    assert rows[("sales refused by gates (savers)", "mean month")] == pytest.approx(15.0 / 12)
    assert not any("total" in key[1] for key in rows)


def test_losses_on_reported_and_economic_values_side_by_side() -> None:
    run = _run(3)
    # Reported assets 100, 120, 90, 110: the largest fall is 25%; at economic values the
    # smoothed NAVs hid part of it: 100, 120, 60, 100 falls 50%.
    run["assets_usd"] = [100.0, 120.0, 90.0, 110.0]
    run["assets_economic_usd"] = [100.0, 120.0, 60.0, 100.0]
    run["share_near_retirees_worst_year_loss_gt20"] = 0.3
    run["share_near_retirees_worst_year_loss_gt20_economic"] = 0.45
    rows = {(r[1], r[2]): r[5] for r in compare.run_outcomes(run, 0.03)
            if r[0] == "near_retirees" and r[3] == "horizon"}
    assert rows[("largest fall of 401(k) assets from a peak", "reported NAV")] == pytest.approx(0.25)
    assert rows[("largest fall of 401(k) assets from a peak", "economic value")] == pytest.approx(0.5)
    assert rows[("worst-year loss > 20%", "age 55-64, reported NAV")] == pytest.approx(0.3)
    assert rows[("worst-year loss > 20%", "age 55-64, economic value")] == pytest.approx(0.45)


def test_stale_nav_transfers_are_summed_over_the_run_in_2025_dollars() -> None:
    # $1bn moved a month for 24 months: $24bn; quintile 1 gains $0.5bn a month, quintile 5
    # pays it.
    run = _run(24)
    run.loc[1:, "stale_nav_transfer_usd2025"] = 1e9
    run.loc[1:, "stale_nav_gain_usd2025__q1"] = 0.5e9
    run.loc[1:, "stale_nav_gain_usd2025__q5"] = -0.5e9
    rows = {(r[1], r[2]): r[5] for r in compare.transfer_outcomes(run[run["month"] > 0])}
    assert rows[("stale-NAV transfers: value moved", "savers")] == pytest.approx(24.0)
    assert rows[("stale-NAV net gain", "income quintile 1")] == pytest.approx(12.0)
    assert rows[("stale-NAV net gain", "income quintile 5")] == pytest.approx(-12.0)
    assert rows[("stale-NAV net gain", "income quintile 3")] == 0.0
