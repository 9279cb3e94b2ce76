"""Tests for model/saver_agents.py: the per-saver reference engine gives the columnar engine's
results (RunConfig.saver_engine "agents" vs "columnar").

Both engines are stepped side by side on small fixed-seed runs (300 savers, 40 plans, 3 years)
and every saver column, the month's flows and the recorded series are compared after each
month. The tolerance is 1e-9 relative; in practice the two agree to the last bit, because the
reference follows the columnar arithmetic operation by operation (see the module docstring).
"""

from __future__ import annotations

from dataclasses import fields

import numpy as np
import pytest
from alt401k.agents import savers as sv
from alt401k.model.config import ManagedAccountParams, RunConfig
from alt401k.model.market_paths import stylised
from alt401k.model.model import Alt401kModel, MonthFlows
from alt401k.model.policy import load_scenario
from alt401k.model.saver_agents import Saver, _row_sum

RTOL = 1e-9


MANAGED_HEAVY = ManagedAccountParams(plan_offer_share=1.0, usage_share=0.5, qdia_share=0.2, leave_prob_annual=0.3)
"""The managed-account channel used far more than calibrated, so that both engines meet
many managed savers, enrolments, leavers and sleeves (ODD §7.14)."""


def pair(scenario: str, crash: bool, seed: int, managed: ManagedAccountParams | None = None,
         parameters: dict[str, str] | None = None) -> tuple[Alt401kModel, Alt401kModel]:
    def build(engine: str) -> Alt401kModel:
        config = RunConfig(n_savers=300, n_sponsors=40, years=3, seed=seed, saver_engine=engine,
                           managed_account=managed or ManagedAccountParams())
        path = stylised("equity-crash-2008", 6) if crash else None
        return Alt401kModel(load_scenario(scenario, parameters), config, market_path=path)

    return build("columnar"), build("agents")


def assert_same(x: np.ndarray, y: np.ndarray, what: str) -> None:
    if x.dtype.kind == "f":
        # Relative to the column's scale, so values near zero (returns, rates) are not
        # held to a tighter bound than the rest.
        scale = max(float(np.max(np.abs(x), initial=0.0)), 1e-300)
        np.testing.assert_allclose(y, x, rtol=RTOL, atol=RTOL * scale, err_msg=what)
    else:
        np.testing.assert_array_equal(y, x, err_msg=what)


@pytest.mark.parametrize(
    ("scenario", "crash", "seed"),
    # Seeds chosen so that each crash run has gated sales to compare (with 40 plans, whether
    # any holds an illiquid option at the crash depends on the sponsors' draws).
    [("eo-14330", True, 5), ("broad-access", False, 11), ("account-cap-5pct", True, 1)],
)
def test_agents_engine_matches_columnar_every_month(scenario: str, crash: bool, seed: int) -> None:
    check_engines_agree(*pair(scenario, crash, seed), scenario, crash)


def test_engines_agree_with_managed_accounts_and_their_private_markets_sleeve() -> None:
    # Every plan offers the service, half the participants use it, and every platform holds
    # the sleeve from mid-2025 (ODD §7.14): managed savers' menus, trades and fees in both engines.
    columnar, agents = pair("eo-14330", True, 5, MANAGED_HEAVY, {"platforms_general": "2025-06-01"})
    check_engines_agree(columnar, agents, "eo-14330 managed", True)
    assert (columnar.savers.style == sv.MANAGED).sum() > 50
    assert columnar.recorder.current["managed_account_alternatives_usd"] > 0


def check_engines_agree(columnar: Alt401kModel, agents: Alt401kModel, scenario: str, crash: bool) -> None:
    assert agents.saver_agents is not None and columnar.saver_agents is None
    # Real menus: plans offer several funds of a class, which choosers spread over (ODD §7.3).
    assert (columnar.plans.core_funds > 1).any() and columnar.config.saver.menu_count_elasticity > 0
    # One Saver agent per row, registered with the Mesa model.
    assert len(agents.agents_by_type[Saver]) == agents.savers.n == 300
    assert Saver not in columnar.agents_by_type
    gated_refused_usd = 0.0
    for _ in range(columnar.config.n_months):
        columnar.step()
        agents.step()
        when = f"{scenario} {columnar.date}"
        for f in fields(sv.SaverPopulation):
            assert_same(
                getattr(columnar.savers, f.name), getattr(agents.savers, f.name), f"{when} {f.name}"
            )
        for f in fields(MonthFlows):
            a, b = getattr(columnar.flows, f.name), getattr(agents.flows, f.name)
            assert b == pytest.approx(a, rel=RTOL, abs=RTOL * 1e6), f"{when} flows.{f.name}"
        gated_refused_usd += columnar.flows.gated_refused_usd
    # The runs exercised choices and, in the crash, gated sales.
    assert columnar.savers.trades.sum() > 50
    if crash:
        assert gated_refused_usd > 0
    series_c = columnar.recorder.series_table().to_pandas()
    series_a = agents.recorder.series_table().to_pandas()
    assert list(series_a.columns) == list(series_c.columns)
    for col in series_c.columns:
        x = series_c[col].to_numpy()
        if x.dtype.kind == "f":
            assert_same(x, series_a[col].to_numpy(), f"series {col}")
        else:
            assert list(series_a[col]) == list(x), f"series {col}"


def test_agents_state_is_written_back_and_owned_by_agents() -> None:
    _, agents = pair("eo-14330", False, 3)
    agents.step()
    saver = agents.saver_agents.agents[17]
    assert isinstance(saver.balance_usd, list) and isinstance(saver.age_years, float)
    assert saver.balance_usd == agents.savers.balance_usd[17].tolist()
    assert saver.deferral_rate == agents.savers.deferral_rate[17]


def test_row_sum_follows_numpy_pairwise_order() -> None:
    # Pairwise (blocks of 8) differs from a plain running sum for rows of 8 or more.
    rng = np.random.default_rng(0)
    rows = rng.lognormal(0.0, 3.0, (500, 22))
    for k in (5, 8, 15, 22):
        expected = rows[:, :k].copy().sum(axis=1)
        assert [_row_sum(r) for r in rows[:, :k].tolist()] == expected.tolist()
