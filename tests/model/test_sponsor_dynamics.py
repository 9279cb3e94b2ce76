"""Sponsors' reversible decisions in whole runs (ODD §7.8): never-adopters and provider changes."""

from __future__ import annotations

import numpy as np
import pytest
from alt401k.agents.plan_kernels import offers_any_alternative
from alt401k.model.config import RunConfig, with_overrides
from alt401k.model.model import Alt401kModel
from alt401k.model.policy import load_scenario


def run(years: int, **overrides) -> Alt401kModel:
    config = with_overrides(RunConfig(n_savers=2000, n_sponsors=120, years=years, seed=5), overrides, "test")
    return Alt401kModel(load_scenario("eo-14330"), config)


def test_plans_that_never_adopt_never_add_an_alternative() -> None:
    model = run(3, **{"sponsor.never_adopt_share_by_class": (1.0, 1.0, 1.0, 1.0)})
    plain = model.plain_tdf_products()
    start = offers_any_alternative(model.plans, plain)
    assert (model.plans.never_adopts == ~start).all()  # all but the t0 adopters
    for _ in range(model.config.n_months):
        model.step()
        now = offers_any_alternative(model.plans, model.plain_tdf_products())
        assert not (now & ~start).any(), model.date


def test_recordkeepers_change_at_about_their_rate_over_years() -> None:
    model = run(4, **{"sponsor.consultant_change_annual": 0.0})
    before = model.plans.recordkeeper.copy()
    consultants = model.plans.consultant.copy()
    model.run()
    # Plans terminated and re-formed in the run (ODD §7.12) draw their providers afresh
    # and may have been reviewed fewer times: only the original plans are counted.
    kept = model.plan_origins.formed_month < 0
    changed = model.plans.last_provider_change_month[kept] >= 0
    # Four reviews at 8% a year: 1 - 0.92^4 = 28% of plans changed at least once.
    p = 1.0 - (1.0 - model.config.sponsor.recordkeeper_change_annual) ** 4
    assert abs(changed.mean() - p) < 4 * np.sqrt(p * (1 - p) / kept.sum())
    assert (model.plans.recordkeeper[kept][~changed] == before[kept][~changed]).all()
    assert (model.plans.consultant[kept] == consultants[kept]).all()


def test_trailing_excess_compares_each_class_with_its_benchmark_net_of_the_fee_premium() -> None:
    from alt401k.base.assets import ALTERNATIVES, ASSET_CLASSES

    model = run(1)
    window = model.config.sponsor.underperformance_window_months
    assert model._trailing_excess(np.zeros((window - 1, len(ASSET_CLASSES)))) is None  # record too short
    # Every month: equity +1%, bonds +0.5%, every alternative +0.8%; earlier months ignored.
    history = np.zeros((window + 5, len(ASSET_CLASSES)))
    history[:5] = 0.5
    history[5:, ASSET_CLASSES.index("equity")] = 0.01
    history[5:, ASSET_CLASSES.index("bonds")] = 0.005
    for a in ALTERNATIVES:
        history[5:, ASSET_CLASSES.index(a)] = 0.008
    got = dict(zip(ALTERNATIVES, model._trailing_excess(history), strict=True))
    m = model.config.manager
    # Private credit against the core bond fund: 12 x (0.8% - 0.5%) less 1.00% - 0.32%.
    assert got["private_credit"] == pytest.approx(0.036 - (m.standalone_fee_annual["private_credit"] - 0.0032))
    # Private equity against public equity: 12 x (0.8% - 1%) less 1.25% - 0.39%: underperforms.
    assert got["private_equity"] == pytest.approx(-0.024 - (m.standalone_fee_annual["private_equity"] - 0.0039))
    assert got["private_equity"] < 0 < got["private_credit"]
