"""Social Security in retirees' replacement rates (ODD §7.11): the benefit by hand, and in a run."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest
from alt401k.model.config import RunConfig
from alt401k.model.model import Alt401kModel
from alt401k.model.policy import load_scenario
from alt401k.model.reporters import horizon_table
from alt401k.model.social_security import benefit_from_final_pay, career_profile_ratio


def flat(ages: np.ndarray) -> np.ndarray:
    return np.ones_like(ages, dtype=float)


def test_career_ratio_counts_the_35_best_years_and_zeros_for_a_short_career() -> None:
    assert career_profile_ratio(67.0, flat)[0] == pytest.approx(1.0)  # 45 years worked
    assert career_profile_ratio(50.0, flat)[0] == pytest.approx(28 / 35)  # 22..49


def test_benefit_by_hand() -> None:
    # $60,000 of flat pay, 2025 wage levels: AIME $5,000, PIA 0.9 x 1,226 + 0.32 x 3,774 =
    # $2,311.08 a month, $27,732.96 a year at 67; 70% of it at 62.
    at_67 = benefit_from_final_pay(60_000.0, 67.0, 1.0, 1.0, 1.0, 1.0)
    assert at_67 == pytest.approx(12 * (0.9 * 1226 + 0.32 * (5000 - 1226)))
    assert benefit_from_final_pay(60_000.0, 62.0, 1.0, 1.0, 1.0, 1.0) == pytest.approx(0.7 * at_67)
    # Pay above the taxable maximum ($176,100 in 2025) earns no more.
    assert benefit_from_final_pay(300_000.0, 67.0, 1.0, 1.0, 1.0, 1.0) == pytest.approx(
        benefit_from_final_pay(176_100.0, 67.0, 1.0, 1.0, 1.0, 1.0))
    # Wages twice as high everywhere: the same replacement of final pay.
    assert benefit_from_final_pay(120_000.0, 67.0, 2.0, 2.0, 1.0, 1.0) == pytest.approx(2 * at_67)


def test_retirees_replacement_rates_include_social_security() -> None:
    model = Alt401kModel(load_scenario("status-quo"), RunConfig(n_savers=3000, n_sponsors=100, years=5, seed=4))
    model.run()
    table = horizon_table(model).to_pandas()
    retired = table[table["kind"] == "retired"]
    assert (retired["median_replacement_rate_with_ss"] > retired["median_replacement_rate"]).all()
    # Social Security is progressive: it replaces more of a low final pay.
    ss = retired["median_replacement_rate_with_ss"] - retired["median_replacement_rate"]
    assert ss.iloc[0] > ss.iloc[-1]
    assert retired["share_short_of_target_with_ss"].between(0, 1).all()
    assert table.loc[table["kind"] == "in_plan", "median_replacement_rate_with_ss"].isna().all()
    assert isinstance(horizon_table(model), pa.Table)
