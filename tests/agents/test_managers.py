"""Tests for agents/managers.py: sleeve design within legal caps and pricing under a fee cap."""

from __future__ import annotations

import dataclasses
import math

import pytest
from alt401k.agents.managers import Product, design_sleeve, fit_fee_cap
from alt401k.base.assets import ALTERNATIVES
from alt401k.model.config import ManagerBehaviour
from alt401k.model.policy import PolicyState

BEHAVIOUR = ManagerBehaviour()
"""Targets: PE 10%, private credit 5%, infrastructure 3% (BlackRock 2025; Georgetown CRI)."""
BASELINE = PolicyState.baseline()


def policy(**changes) -> PolicyState:
    return dataclasses.replace(BASELINE, **changes)


def test_sleeve_is_the_target_without_caps() -> None:
    assert design_sleeve(BASELINE, BEHAVIOUR) == pytest.approx(
        {"private_equity": 0.10, "private_credit": 0.05, "infrastructure": 0.03}
    )


def test_sleeve_respects_class_total_and_account_caps() -> None:
    # PE capped at 6%: 0.06 + 0.05 + 0.03.
    caps = dict.fromkeys(ALTERNATIVES, 1.0) | {"private_equity": 0.06}
    assert design_sleeve(policy(sleeve_cap=caps), BEHAVIOUR)["private_equity"] == pytest.approx(0.06)
    # Total cap 9% on an 18% design: every class scaled by 0.5.
    halved = design_sleeve(policy(sleeve_cap_total=0.09), BEHAVIOUR)
    assert halved == pytest.approx({"private_equity": 0.05, "private_credit": 0.025, "infrastructure": 0.015})
    # A 5% account cap binds a TDF too (it is all of a defaulted saver's account).
    capped = design_sleeve(policy(account_cap=0.05), BEHAVIOUR)
    assert sum(capped.values()) == pytest.approx(0.05)
    # A zero cap or a closed channel leaves nothing.
    assert design_sleeve(policy(account_cap=0.0), BEHAVIOUR) == {}
    closed = dict(BASELINE.allowed) | {("default_fund", "private_equity"): False}
    assert "private_equity" not in design_sleeve(policy(allowed=closed), BEHAVIOUR)


def tdf() -> Product:
    # 0.40% base + 10% PE sleeve at 1.25% = 0.525% total expense ratio.
    return Product(0, 0, "tdf", 0.004, {"private_equity": 0.10}, {"private_equity": 0.0125})


def test_fee_cap_that_is_not_binding_changes_nothing() -> None:
    product = tdf()
    assert fit_fee_cap(product, math.inf)
    assert fit_fee_cap(product, 0.00525)
    assert product.sleeve_fee_annual == {"private_equity": 0.0125}


def test_tdf_sleeve_fee_is_cut_to_the_cap_down_to_half() -> None:
    # Cap 0.475%: room for 0.075% of sleeve fee, 0.6 of the 0.125% charged: reprice to
    # 0.75%/yr on the sleeve. Cap 0.44%: room 0.04% < half of 0.125%: the product closes.
    product = tdf()
    assert fit_fee_cap(product, 0.00475)
    assert product.total_expense_ratio() == pytest.approx(0.00475)
    assert product.sleeve_fee_annual["private_equity"] == pytest.approx(0.0075)
    assert not fit_fee_cap(tdf(), 0.0044)


def test_standalone_fee_is_cut_to_the_cap_down_to_half() -> None:
    # Crypto account at 0.85% (Fidelity DAA 0.75-0.90%): a 0.75% cap is met by cutting to
    # 0.75%; a 0.40% cap is below half of 0.85% and closes it.
    product = Product(1, 1, "standalone", 0.0085, standalone_class="crypto")
    assert fit_fee_cap(product, 0.0075)
    assert product.fee_annual == 0.0075
    assert not fit_fee_cap(Product(1, 1, "standalone", 0.0085, standalone_class="crypto"), 0.0040)
