"""t0 calibration: the Q1 2025 state at the default sample sizes against published figures.

One model is built at the default RunConfig (100,000 savers, 1,200 plans, fixed seed) with
a one-year horizon; only the month-0 record (`model.recorder.initial`) is used.
"""

from __future__ import annotations

import numpy as np
import pytest
from alt401k.model.config import RunConfig
from alt401k.model.model import Alt401kModel, weighted_median_balance
from alt401k.model.policy import load_scenario


@pytest.fixture(scope="module")
def model() -> Alt401kModel:
    return Alt401kModel(load_scenario("eo-14330"), RunConfig(years=1))


@pytest.fixture(scope="module")
def t0(model: Alt401kModel) -> dict[str, float]:
    return model.recorder.initial


def test_assets_and_mutual_funds(t0) -> None:
    # ICI, "Retirement Assets Total $45.8 Trillion in First Quarter 2025": 401(k) plans
    # $8.7T, of which $5.3T in mutual funds: $3.2T equity funds, $1.4T hybrid (mostly TDFs).
    assert t0["assets_usd"] == pytest.approx(8.7e12, rel=0.02)
    assert t0["mutual_fund_assets_usd"] == pytest.approx(5.3e12, rel=0.02)
    assert t0["mutual_fund_equity_usd"] == pytest.approx(3.2e12, rel=0.05)
    assert t0["mutual_fund_hybrid_usd"] == pytest.approx(1.4e12, rel=0.05)


def test_participants_and_plans(t0) -> None:
    # ICI 2026: about 70 million active participants; DOL EBSA Form 5500 2019: 604,400 plans.
    assert t0["participants"] == pytest.approx(70e6, rel=0.02)
    assert t0["plans"] == pytest.approx(604_400, rel=0.02)


def test_plan_size_skew(model: Alt401kModel) -> None:
    # EBRI, "Workplace Retirement Plans: By the Numbers" (2020 Form 5500): plans under 100
    # participants are 84% of plans; plans of 10,000+ are 0.2% of plans with 46% of assets.
    plans, pop = model.plans, model.savers
    plan_share = np.bincount(plans.size_class, weights=plans.weight) / plans.weight.sum()
    assert plan_share[0] == pytest.approx(0.84, abs=0.03)
    assert plan_share[3] == pytest.approx(0.002, abs=0.001)
    held = pop.weight * pop.total_balance()
    asset_share = np.bincount(plans.size_class[pop.sponsor], weights=held) / held.sum()
    assert asset_share[3] == pytest.approx(0.46, abs=0.03)


def test_default_fund_alternatives_and_crypto(t0) -> None:
    # EBRI/ICI 2022 401(k) database: TDFs hold 38% of 401(k) assets.
    assert t0["default_fund_share_of_assets"] == pytest.approx(0.38, abs=0.03)
    # PLANSPONSOR 2025 DC Survey: 2.2% of sponsors offered alternatives in 2023, 3.9% in 2024.
    assert 0.02 <= t0["share_plans_offering_any_alt"] <= 0.05
    # GAO-25-106658 (2024): crypto in 401(k)s is rare; well under 1% of assets.
    assert t0["assets_usd__crypto"] / t0["assets_usd"] < 0.01


def test_balance_distribution(model: Alt401kModel, t0) -> None:
    # Fidelity Q1 2025 Retirement Analysis: average 401(k) balance $127,100.
    assert t0["mean_balance_usd"] == pytest.approx(127_100, rel=0.10)
    # Vanguard How America Saves 2025: average $148,153 / median $38,176 = 3.88, both per
    # account: eligible employees who never enrolled (no account, ODD §5) are left out.
    pop = model.savers
    held = pop.total_balance() > 0
    mean_per_account = float(pop.weight[held] @ pop.total_balance()[held] / pop.weight[held].sum())
    ratio = mean_per_account / weighted_median_balance(model)
    assert ratio == pytest.approx(148_153 / 38_176, rel=0.10)
