"""Sponsors' reversible decisions in whole runs (ODD §7.8): never-adopters and provider changes."""

from __future__ import annotations

import numpy as np
from alt401k.agents.sponsors import offers_any_alternative
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
    changed = model.plans.last_provider_change_month >= 0
    # Four reviews at 8% a year: 1 - 0.92^4 = 28% of plans changed at least once.
    p = 1.0 - (1.0 - model.config.sponsor.recordkeeper_change_annual) ** 4
    assert abs(changed.mean() - p) < 4 * np.sqrt(p * (1 - p) / model.plans.n)
    assert (model.plans.recordkeeper[~changed] == before[~changed]).all()
    assert (model.plans.consultant == consultants).all()
