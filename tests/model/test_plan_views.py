"""Tests for model/plan_views.py: the cached per-plan sleeve and fee arrays equal, bit for
bit, what `model.fees.plan_fee_matrix`, ``book.sleeve_matrix()[default_product]`` and
`agents.fund_mix.plan_sleeve_needs` compute afresh, whatever changes between calls (default products switched, a product's fee
or sleeve changed, a standalone vehicle repriced, a plan's core menu redrawn), and cannot be written through."""

from __future__ import annotations

import numpy as np
import pytest
from alt401k.agents import fund_mix
from alt401k.agents.sponsors import draw_core_menus
from alt401k.model import fees
from alt401k.model.config import RunConfig
from alt401k.model.model import Alt401kModel
from alt401k.model.policy import load_scenario
from hypothesis import given, settings
from hypothesis import strategies as st

CHANGES = st.lists(
    st.tuples(
        st.sampled_from(["switch", "tdf_fee", "sleeve", "sleeve_fee", "standalone_fee", "menu", "none"]),
        st.integers(0, 2**31 - 1),
    ),
    min_size=1,
    max_size=6,
)


@pytest.fixture(scope="module")
def model() -> Alt401kModel:
    return Alt401kModel(load_scenario("eo-14330"), RunConfig(n_savers=500, n_sponsors=60, years=1, seed=5))


def fresh(model: Alt401kModel) -> tuple[np.ndarray, np.ndarray]:
    """The arrays as the rule computes them now, without any cache."""
    annual = fees.plan_fee_matrix(model.plans, model.book, model.managers, model.config.manager)
    return model.book.sleeve_matrix()[model.plans.default_product], annual


def change(model: Alt401kModel, kind: str, seed: int) -> None:
    """One change of the kind the model makes between months (sponsor reviews, managers'
    product reviews, fee caps)."""
    rng = np.random.default_rng(seed)
    products = model.book.products
    tdfs = [p for p in products if p.kind == "tdf"]
    if kind == "switch":
        rows = rng.choice(model.plans.n, size=rng.integers(1, model.plans.n), replace=False)
        model.plans.default_product[rows] = rng.choice([p.product_id for p in tdfs], size=rows.size)
    elif kind == "tdf_fee":
        tdfs[rng.integers(len(tdfs))].fee_annual = float(rng.uniform(0.0005, 0.01))
    elif kind == "sleeve":
        tdfs[rng.integers(len(tdfs))].sleeve["private_equity"] = float(rng.uniform(0.0, 0.15))
    elif kind == "sleeve_fee":
        tdfs[rng.integers(len(tdfs))].sleeve_fee_annual["private_credit"] = float(rng.uniform(0.0, 0.02))
    elif kind == "standalone_fee":
        standalone = [p for p in products if p.kind == "standalone"]
        standalone[rng.integers(len(standalone))].fee_annual = float(rng.uniform(0.0, 0.02))
    elif kind == "menu":  # plans' core menus redrawn (a plan birth, ODD §5 menus)
        rows = rng.choice(model.plans.n, size=rng.integers(1, 4), replace=False)
        funds, index = draw_core_menus(model.plans.size_class[rows], model.config.sponsor, rng)
        model.plans.core_funds[rows] = funds
        model.plans.core_index_funds[rows] = index


@given(changes=CHANGES)
@settings(max_examples=30, deadline=None)
def test_cached_arrays_equal_fresh_ones_after_any_changes(model: Alt401kModel, changes: list[tuple[str, int]]) -> None:
    views = model.plan_views
    for kind, seed in changes:
        change(model, kind, seed)
        sleeve, annual = fresh(model)
        assert np.array_equal(views.sleeve(), sleeve)
        need_bonds, total = np.empty(sleeve.shape[0]), np.empty(sleeve.shape[0])
        fund_mix.plan_sleeve_needs(sleeve, need_bonds, total)
        assert all(np.array_equal(a, b) for a, b in zip(views.sleeve_needs(), (need_bonds, total), strict=True))
        assert np.array_equal(views.fee_matrix(), annual)
        # The monthly rate is the same division the balance pass made itself (same bits).
        assert np.array_equal(views.fee_monthly(), annual / 12.0)


def test_switching_one_plan_updates_its_row_only(model: Alt401kModel) -> None:
    views = model.plan_views
    before = views.fee_matrix().copy()
    tdfs = [p.product_id for p in model.book.products if p.kind == "tdf"]
    plan = 3
    other = next(t for t in tdfs if t != model.plans.default_product[plan])
    model.plans.default_product[plan] = other
    after = views.fee_matrix()
    assert np.array_equal(np.delete(after, plan, axis=0), np.delete(before, plan, axis=0))
    core = fees.plan_core_fees(model.plans, model.config.manager)
    assert core is not None
    assert np.array_equal(after[plan], fees.fee_matrix_from_tables(
        fees.fee_tables(model.book, model.managers, model.config.manager), np.array([other]), core[[plan]])[0])


def test_views_are_read_only(model: Alt401kModel) -> None:
    views = model.plan_views
    for arr in (views.sleeve(), *views.sleeve_needs(), views.fee_matrix(), views.fee_monthly()):
        with pytest.raises(ValueError, match="read-only"):
            arr[0] = 1.0
