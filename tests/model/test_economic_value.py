"""401(k) assets at economic values beside reported NAVs (ODD §7.11, issue #26)."""

from __future__ import annotations

import numpy as np
import pytest
from alt401k.model import market_paths
from alt401k.model.config import RunConfig
from alt401k.model.model import Alt401kModel
from alt401k.model.policy import load_scenario


@pytest.fixture(scope="module")
def crash() -> object:
    model = Alt401kModel(load_scenario("eo-14330"), RunConfig(n_savers=3000, n_sponsors=120, years=8, seed=5),
                         market_path=market_paths.stylised("equity-crash-2008", 36))
    model.run()
    return model.recorder.series_table().to_pandas()


def test_economic_and_reported_values_agree_at_t0_and_for_liquid_classes(crash) -> None:
    assert crash["assets_economic_usd"].iloc[0] == pytest.approx(crash["assets_usd"].iloc[0], rel=1e-12)
    assert abs(crash["valuation_gap_usd"].iloc[0]) <= 1e-12 * crash["assets_usd"].iloc[0]
    # Only smoothed classes can open a gap: it never exceeds the money in illiquid classes.
    illiquid = crash[[f"assets_usd__{a}" for a in ("private_equity", "private_credit", "infrastructure")]].sum(axis=1)
    assert np.all(np.abs(crash["valuation_gap_usd"]) <= illiquid + 1e-6 * crash["assets_usd"])


def test_smoothed_navs_report_above_economic_value_after_a_crash(crash) -> None:
    # 16 months into the imposed 2008-like fall (months 36-51), reported private-market NAVs
    # lag the fall: reported assets exceed their economic value; in the recovery the lag
    # reverses the sign.
    trough = crash["valuation_gap_usd"].iloc[36 + 16]
    assert trough > 0.0
    assert crash["valuation_gap_usd"].iloc[36 + 16 + 24] < trough


def test_near_retirees_lose_more_at_economic_values_after_a_crash(crash) -> None:
    # The smoothed NAVs of the private-market sleeve fall less than their economic value in
    # the crash year: at economic values at least as many near-retirees had a worst year
    # below -20% as at reported values (issue #26: smoothing must not read as protection).
    after = crash[crash["month"] >= 36 + 24]
    economic = after["share_near_retirees_worst_year_loss_gt20_economic"]
    reported = after["share_near_retirees_worst_year_loss_gt20"]
    assert (economic >= reported - 0.02).all()
    assert economic.max() > 0.0
    assert economic.between(0, 1).all()


def test_economic_year_end_by_hand() -> None:
    from alt401k.agents import savers as sv
    from alt401k.base.assets import ASSET_CLASSES, HOLDING_ASSET, N_HOLDINGS, holding_index

    pe = holding_index("standalone", "private_equity")
    pop = sv.SaverPopulation(**{f: np.zeros(3) for f in (
        "weight", "age_years", "retirement_age_years", "salary_usd_annual", "tenure_years", "deferral_rate",
        "preferred_deferral_rate", "risk_tolerance", "literacy", "review_prob_monthly", "return_sensitivity",
        "peer_sensitivity", "last_year_return", "worst_year_return")},
        sponsor=np.zeros(3, dtype=np.int32), balance_usd=np.zeros((3, N_HOLDINGS)), allocation=np.zeros((3, sv.N_OPTIONS)),
        is_participating=np.ones(3, bool), is_contributing=np.ones(3, bool), is_auto_enrolled=np.zeros(3, bool),
        style=np.ones(3, np.int8), months_in_plan=np.zeros(3, np.int32), trades=np.zeros(3, np.int32),
        year_growth=np.array([0.95, 0.95, 1.0]))
    # Saver 0 holds only private equity: reported -5% over the year while the class's
    # economic-to-reported ratio fell from 1.0 to 0.8, so at economic values it lost
    # 1 - 0.95 x 0.8 = 24%. Saver 1 holds only equity (ratio 1 throughout): -5% either way.
    # Saver 2's account is empty: nothing to re-mark.
    pop.balance_usd[0, pe] = 100.0
    pop.balance_usd[1, ASSET_CLASSES.index("equity")] = 100.0
    ratio_end = np.ones(len(ASSET_CLASSES))
    ratio_end[ASSET_CLASSES.index("private_equity")] = 0.8
    sv.economic_year_end_inplace(pop, np.ones(N_HOLDINGS), ratio_end[HOLDING_ASSET])
    assert pop.worst_year_return_economic == pytest.approx([-0.24, -0.05, 0.0])
    # A better later year leaves the worst year as it was.
    pop.year_growth[:] = 1.10
    sv.economic_year_end_inplace(pop, ratio_end[HOLDING_ASSET], ratio_end[HOLDING_ASSET])
    assert pop.worst_year_return_economic == pytest.approx([-0.24, -0.05, 0.0])


def test_geltner_unsmoothing_recovers_the_models_true_private_market_returns() -> None:
    # The model's reported log returns of an illiquid class are Geltner-smoothed true log
    # returns, lagged: r_rep_t = phi r_rep_{t-1} + (1 - phi) r_{t-lag}. Unsmoothing them with
    # the known phi (experiments.valuation.geltner_unsmooth) gives back the true series.
    from alt401k.base.assets import ASSET_CLASSES
    from alt401k.experiments.valuation import geltner_unsmooth
    from alt401k.model.market import Market, MarketParams, expected_illiquid_monthly

    params = MarketParams()
    market = Market(params, np.random.default_rng(7), 48)
    pe = ASSET_CLASSES.index("private_equity")
    true, reported = [], []
    for month in range(48):
        r = market.step(month, np.zeros(len(ASSET_CLASSES)), np.zeros(len(ASSET_CLASSES)))
        true.append(r.true[pe])
        reported.append(r.reported[pe])
    phi, lag = params.smoothing.weight_monthly, params.smoothing.lag_months
    start = float(np.log1p(expected_illiquid_monthly(params))[0])
    unsmoothed = geltner_unsmooth(np.log1p(reported), phi, previous_reported=start)
    assert unsmoothed[lag:] == pytest.approx(np.log1p(true)[: 48 - lag], abs=1e-10)
