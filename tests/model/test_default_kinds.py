"""Plans change the kind of their default fund one by one (ODD §7.5, §7.8): after the 2007
QDIA regulation, money-market defaults become target-date funds at the plans' reviews."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from alt401k.base.assets import DEFAULT_FUND_KINDS
from alt401k.model.config import RunConfig
from alt401k.model.model import Alt401kModel
from alt401k.model.policy import load_scenario


def tdf_share(scenario: str) -> tuple[Alt401kModel, dict[str, float]]:
    config = RunConfig(n_savers=1500, n_sponsors=800, years=5, start=dt.date(2005, 1, 1), seed=3)
    model = Alt401kModel(load_scenario(scenario), config)
    model.run()
    t = model.recorder.series_table().to_pandas().set_index("date")["share_plans_tdf_default"]
    return model, t.to_dict()


def test_defaults_move_to_target_date_funds_plan_by_plan_after_the_qdia_rule() -> None:
    _, share = tdf_share("hist-ppa-2006")
    assert share["2005-01"] == 0.0 and share["2007-12"] == 0.0  # money-market defaults before the rule
    # Each plan reviews once a year and switches with probability 0.25 a review: after one
    # year of reviews 1 - 0.75 = 25% of plans, after two 1 - 0.75^2 = 44% (plan-weighted,
    # so a sample of plans gives these within a few points).
    assert share["2009-01"] == pytest.approx(0.25, abs=0.08)
    assert share["2010-01"] == pytest.approx(1 - 0.75**2, abs=0.08)
    values = list(share.values())
    assert all(b >= a - 1e-12 for a, b in zip(values, values[1:], strict=False))  # no plan switches back


def test_without_the_rule_no_plan_switches_and_money_market_defaults_hold_cash() -> None:
    model, share = tdf_share("hist-pre-qdia")
    assert max(share.values()) == 0.0
    plans = model.plans
    assert np.all(plans.default_kind == DEFAULT_FUND_KINDS.index("money_market"))
    composition = model.composition()
    cash = composition[:, 2]  # ASSET_CLASSES order: equity, bonds, cash, ...
    no_sleeve = model.plan_views.sleeve()[model.savers.sponsor].sum(axis=1) == 0.0
    assert np.all(cash[no_sleeve] == 1.0)
