"""The kind of each plan's default fund (ODD §5.1, §7.5, §7.8): drawn from the record at the
start, then moved plan by plan toward the kind the regime sanctions; after the 2007 QDIA
regulation, money-market and balanced defaults become target-date funds at the plans'
reviews."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from alt401k.base.assets import DEFAULT_FUND_KINDS
from alt401k.model import history
from alt401k.model.config import RunConfig
from alt401k.model.model import Alt401kModel
from alt401k.model.policy import load_scenario

MM, BALANCED, TDF = (DEFAULT_FUND_KINDS.index(k) for k in ("money_market", "balanced", "tdf"))


def tdf_share(scenario: str, start: dt.date = dt.date(2005, 1, 1)) -> tuple[Alt401kModel, dict[str, float]]:
    config = RunConfig(n_savers=1500, n_sponsors=800, years=5, start=start, seed=3)
    model = Alt401kModel(load_scenario(scenario), config)
    model.run()
    t = model.recorder.series_table().to_pandas().set_index("date")["share_plans_tdf_default"]
    return model, t.to_dict()


def test_the_record_of_2007_worked_by_hand() -> None:
    # Large plans (over $200M, the 10,000+ class): target-date 62.1%, balanced 14.3%; the
    # rest, 23.6%, split as all plans' 20.6% capital preservation to 15.2% other: 13.58%
    # capital preservation; renormalised over 62.1 + 14.3 + 13.58 = 89.98. Small plans
    # (under $20M, classes 0-1): 31.5%, 30.7%, 37.8 x 20.6 / 35.8 = 21.75%.
    mix = history.default_kind_mix(dt.date(2006, 3, 1))
    cp = 23.6 * 20.6 / 35.8
    np.testing.assert_allclose(mix[3, [MM, BALANCED, TDF]], np.array([cp, 14.3, 62.1]) / (62.1 + 14.3 + cp), rtol=1e-12)
    cp_small = 37.8 * 20.6 / 35.8
    np.testing.assert_allclose(mix[0, [MM, BALANCED, TDF]], np.array([cp_small, 30.7, 31.5]) / (31.5 + 30.7 + cp_small),
                               rtol=1e-12)
    np.testing.assert_array_equal(mix[0], mix[1])
    np.testing.assert_allclose(mix.sum(axis=1), 1.0, rtol=1e-12)


def test_the_record_moves_linearly_to_all_target_date_funds_by_2019() -> None:
    before, after = history.default_kind_mix(dt.date(2007, 7, 1)), history.default_kind_mix(dt.date(2019, 1, 1))
    assert (after[:, TDF] == 1.0).all() and (history.default_kind_mix(dt.date(2025, 1, 1)) == after).all()
    # Halfway between mid-2007 and the start of 2019 (11.5 years): April 2013 (2013.25).
    half = history.default_kind_mix(dt.date(2013, 4, 1))
    np.testing.assert_allclose(half, (before + after) / 2, rtol=1e-12)


def test_starting_kinds_follow_the_record_by_size_class() -> None:
    # A 2005 start draws each plan's kind from the 2007 record of its size class: each
    # class's plan counts are multinomial; within 4 standard deviations of their means.
    model = Alt401kModel(load_scenario("hist-ppa-2006"),
                         RunConfig(n_savers=2000, n_sponsors=4000, years=1, start=dt.date(2005, 1, 1), seed=9))
    mix = history.default_kind_mix(dt.date(2005, 1, 1))
    plans = model.plans
    for c in range(mix.shape[0]):
        rows = plans.size_class == c
        n = int(rows.sum())
        if n < 50:
            continue
        for k in range(mix.shape[1]):
            count = int((plans.default_kind[rows] == k).sum())
            p = mix[c, k]
            assert abs(count - n * p) <= 4 * np.sqrt(n * p * (1 - p)) + 1, (c, k, count, n * p)


def test_a_2025_start_has_only_target_date_defaults_whatever_the_scenario() -> None:
    for scenario in ("status-quo", "hist-pre-qdia"):
        model = Alt401kModel(load_scenario(scenario), RunConfig(n_savers=300, n_sponsors=200, years=1, seed=2))
        assert (model.plans.default_kind == TDF).all()


def test_defaults_move_to_target_date_funds_plan_by_plan_after_the_qdia_rule() -> None:
    model, share = tdf_share("hist-ppa-2006")
    start = share["2005-01"]
    assert 0.3 < start < 0.7  # the record: 38-69% by size class
    assert share["2007-12"] == pytest.approx(start, abs=0.02)  # no kind sanctioned before the rule
    # Each plan reviews once a year and the others switch with probability 0.25 a review:
    # after one year of reviews 25% of them, after two 1 - 0.75^2 = 44% (plan-weighted, so a
    # sample of plans gives these within a few points).
    assert share["2009-01"] == pytest.approx(start + (1 - start) * 0.25, abs=0.06)
    assert share["2010-01"] == pytest.approx(start + (1 - start) * (1 - 0.75**2), abs=0.06)
    after = [v for d, v in share.items() if d >= "2008-01"]
    assert all(b >= a - 0.02 for a, b in zip(after, after[1:], strict=False))  # no plan switches back


def test_without_the_rule_no_plan_switches() -> None:
    model, share = tdf_share("hist-pre-qdia")
    values = np.array(list(share.values()))
    assert 0.3 < values[0] < 0.7
    # Kinds change only as plans end and form (new plans draw from the record of their date).
    assert np.abs(values - values[0]).max() < 0.1
    plans = model.plans
    mm = plans.default_kind == MM
    assert mm.any()
    composition = model.composition()
    cash = composition[:, 2]  # ASSET_CLASSES order: equity, bonds, cash, ...
    saver_mm = mm[model.savers.sponsor]
    no_sleeve = model.plan_views.sleeve()[model.savers.sponsor].sum(axis=1) == 0.0
    assert np.all(cash[saver_mm & no_sleeve] == 1.0)
