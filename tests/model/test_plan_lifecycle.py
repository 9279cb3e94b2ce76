"""Plan terminations and formations (ODD §7.12, `model.plan_lifecycle`): the hazard's law,
money conservation across a termination, the SECURE 2.0 mandate, reproducibility, and
refused bad input."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest
from alt401k.agents.sponsors import draw_core_menus
from alt401k.model import plan_lifecycle as pl
from alt401k.model.config import RunConfig, with_overrides
from alt401k.model.errors import InputError
from alt401k.model.model import Alt401kModel
from alt401k.model.policy import load_scenario

HIGH = (0.5, 0.5, 0.5, 0.5)
"""A hazard high enough that a small sample sees many terminations in a few months."""


def small_model(seed: int = 3, annual: tuple[float, ...] | None = None, **params: str) -> Alt401kModel:
    config = RunConfig(n_savers=1_200, n_sponsors=40, years=1, seed=seed)
    if annual is not None:  # every termination distributes, in every class
        config = with_overrides(config, {"economy.plan_termination_annual_by_class": list(annual),
                                         "economy.plan_termination_distributing_share_by_class": [1.0] * 4}, "test")
    return Alt401kModel(load_scenario("status-quo", params or None), config)


# ----------------------------------------------------------------------------- the hazard


def test_monthly_hazard_compounds_to_the_annual_rate() -> None:
    # Hand-worked: 6.5% a year is 1 - 0.935^(1/12) = 1 - exp(ln(0.935) / 12)
    # = 1 - exp(-0.0672087 / 12) = 1 - exp(-0.0056007) = 0.5585% a month.
    h = pl.termination_hazard_monthly((0.065, 0.026, 0.026, 0.026), np.array([0, 1], dtype=np.int8))
    assert h[0] == pytest.approx(0.0055851, abs=1e-7)
    assert (1.0 - h) ** 12 == pytest.approx([0.935, 0.974], rel=1e-12)


def test_terminations_over_a_year_follow_the_annual_rate_statistically() -> None:
    # 200,000 plans of each of two classes, 12 monthly draws: the share terminating at least
    # once in the year is binomial with the annual rate; 5 standard errors either way.
    n, annual = 200_000, (0.065, 0.026)
    size_class = np.repeat(np.array([0, 1], dtype=np.int8), n)
    rng = np.random.default_rng(7)
    hit = np.zeros(2 * n, dtype=bool)
    for _ in range(12):
        hit[pl.draw_terminations(size_class, annual, rng)] = True
    for c, p in enumerate(annual):
        share = hit[c * n:(c + 1) * n].mean()
        assert abs(share - p) < 5.0 * np.sqrt(p * (1.0 - p) / n), (c, share)


def test_only_distributing_terminations_are_drawn() -> None:
    # Closings times the share that distribute (the rest are mergers, left as they are).
    np.testing.assert_allclose(pl.distributing_rate_annual((0.065, 0.026, 0.026, 0.026), (1.0, 0.0, 0.5, 0.0)),
                               [0.065, 0.0, 0.013, 0.0])
    # With no larger plan's closing distributing, only plans under 100 participants terminate.
    config = with_overrides(RunConfig(n_savers=1_200, n_sponsors=40, years=1, seed=4),
                            {"economy.plan_termination_distributing_share_by_class": [1.0, 0.0, 0.0, 0.0]}, "test")
    model = Alt401kModel(load_scenario("status-quo"), config)
    for _ in range(120):  # ten years: about 6.5 terminations among the 10 small plans
        model._plan_lifecycle()
        model.month += 1
    formed = model.plan_origins.formed_month >= 0
    assert formed.any() and (model.plans.size_class[formed] == 0).all()


def test_stream_use_does_not_depend_on_who_terminates() -> None:
    # One uniform per plan whatever the rates (common random numbers across scenarios).
    a, b = np.random.default_rng(1), np.random.default_rng(1)
    size_class = np.zeros(500, dtype=np.int8)
    pl.draw_terminations(size_class, (0.0,), a)
    pl.draw_terminations(size_class, (0.9,), b)
    assert a.random() == b.random()


# ----------------------------------------------------------------------------- money


def test_termination_distributes_every_dollar_and_loses_none() -> None:
    model = small_model(annual=HIGH)
    for _ in range(3):
        model.step()
    pop = model.savers
    ended = np.array([0, model.plans.n - 1], dtype=np.intp)  # a small plan and a mega plan
    is_ended = np.zeros(model.plans.n, dtype=bool)
    is_ended[ended] = True
    rows = model.plan_rows.rows(is_ended)
    assert rows.size > 0
    others = np.setdiff1d(np.arange(pop.n), rows)
    assets = float(pop.weight[rows] @ (pop.balance_usd[rows].sum(axis=1) + pop.loan_usd[rows]))
    assert assets > 0
    others_before = pop.balance_usd[others].copy()
    flows = model.flows
    before = (flows.cash_outs_usd, flows.rollovers_out_usd, flows.loan_offsets_usd, flows.benefits_by_size.sum())
    model._terminate_plans(ended, rows, model.lifecycle_rng)
    # Balances before = balances after (zero) + distributions, to rounding.
    paid = (flows.cash_outs_usd - before[0]) + (flows.rollovers_out_usd - before[1]) + (flows.loan_offsets_usd - before[2])
    assert paid == pytest.approx(assets, rel=1e-12)
    assert flows.termination_usd == pytest.approx(assets, rel=1e-12)
    assert flows.benefits_by_size.sum() - before[3] == pytest.approx(assets, rel=1e-12)
    assert not pop.balance_usd[rows].any() and not pop.loan_usd[rows].any()
    np.testing.assert_array_equal(pop.balance_usd[others], others_before)


def test_new_plans_start_empty_and_keep_the_rows_weights() -> None:
    model = small_model(annual=HIGH)
    for _ in range(2):
        model.step()
    pop = model.savers
    weights, total = pop.weight.copy(), model.total_weight
    plan_weights = model.plans.weight.copy()
    classes = model.plans.size_class.copy()
    model._plan_lifecycle()  # the phase alone, at the end of a month
    new = np.flatnonzero(model.plan_origins.formed_month == model.month)
    assert new.size > 0
    is_new = np.zeros(model.plans.n, dtype=bool)
    is_new[new] = True
    rows = model.plan_rows.rows(is_new)
    assert rows.size > 0
    assert not pop.balance_usd[rows].any() and not pop.loan_usd[rows].any()
    assert (pop.tenure_years[rows] == 0.0).all() and (pop.months_in_plan[rows] == 0).all()
    # Rows, strata and weights are kept: the national counts do not move.
    np.testing.assert_array_equal(model.plans.size_class, classes)
    np.testing.assert_array_equal(model.plans.weight, plan_weights)
    np.testing.assert_array_equal(pop.weight, weights)
    assert model.total_weight == total
    # Fresh sponsor state: no alternatives, suits or provider changes.
    assert not model.plans.standalone[new].any()
    assert (model.plans.suits[new] == 0).all()
    assert (model.plans.last_provider_change_month[new] == -10_000).all()
    assert (model.plan_suits.stage[new] == 0).all()


def test_the_plan_count_follows_the_economy_not_the_churn() -> None:
    model = small_model(annual=HIGH)
    for _ in range(6):
        model.step()
    assert (model.plan_origins.formed_month >= 0).any()
    np.testing.assert_allclose(model.plans.weight, model.base_plan_weight * model.economy.plan_index)
    assert model.economy.plan_index == pytest.approx(1.016 ** 0.5, rel=1e-12)


def test_money_identity_and_size_split_hold_over_months_with_terminations() -> None:
    # Assets move only by the month's flows (the terminations add to benefits paid and
    # nothing else), and benefits by plan size still add up to the national benefits.
    model = small_model(annual=HIGH)
    previous = model.recorder.current["assets_usd"]
    seen = 0.0
    for _ in range(4):
        model.step()
        f = model.flows
        now = model.recorder.current["assets_usd"]
        assert now - previous == pytest.approx(f.net_flow_usd, rel=0, abs=1e-9 * now)
        assert f.benefits_by_size.sum() == pytest.approx(f.withdrawals_usd, rel=1e-9)
        assert f.termination_usd <= f.withdrawals_usd
        seen += f.termination_usd
        previous = now
    assert seen > 0


# ----------------------------------------------------------------------------- SECURE 2.0


def origins(formed_month: list[int], days: list[dt.date | None], young: list[bool]) -> pl.PlanOrigins:
    return pl.PlanOrigins(
        np.array(formed_month, dtype=np.int32),
        np.array([d.toordinal() if d is not None else -10_000 for d in days], dtype=np.int64),
        np.array(young, dtype=bool),
    )


def test_mandate_covers_only_plans_formed_after_the_date_and_not_small_or_young_employers() -> None:
    cutoff = dt.date(2022, 12, 29)
    o = origins(
        [-10_000, 10, 10, 10, 10, 10],
        [None, dt.date(2022, 11, 1), dt.date(2023, 1, 1), dt.date(2023, 1, 1), dt.date(2023, 1, 1),
         dt.date(2023, 1, 1)],
        [False, False, False, False, True, True],
    )
    participants = np.array([500, 500, 500, 10, 500, 500], dtype=np.int64)
    # At month 20: the t0 plan and the pre-enactment plan are not covered; the plan of 10
    # employees is exempt; the young businesses are exempt until 36 months after formation.
    np.testing.assert_array_equal(pl.mandate_subject(o, participants, 20, cutoff),
                                  [False, False, True, False, False, False])
    np.testing.assert_array_equal(pl.mandate_subject(o, participants, 46, cutoff),
                                  [False, False, True, False, True, True])
    # Eleven employees are covered.
    participants[3] = 11
    assert pl.mandate_subject(o, participants, 20, cutoff)[3]


def test_mandate_sets_auto_enrollment_escalation_and_a_default_within_3_to_10_percent() -> None:
    subject = np.array([True, True, True, False])
    auto = np.array([False, True, True, False])
    esc = np.array([False, False, True, False])
    rate = np.array([0.02, 0.06, 0.12, 0.01])
    changed = pl.apply_mandate(subject, auto, esc, rate)
    np.testing.assert_array_equal(changed, [0, 1, 2])
    np.testing.assert_array_equal(auto, [True, True, True, False])
    np.testing.assert_array_equal(esc, [True, True, True, False])
    np.testing.assert_allclose(rate, [0.03, 0.06, 0.10, 0.01])


def test_new_plans_follow_the_law_of_their_formation_date() -> None:
    # From 2025 under the status quo, every new plan of 11+ employees whose sponsor is not a
    # young business auto-enrolls with escalation; moving the first plan year past the run
    # leaves new plans to the calibrated shares (some do not auto-enroll).
    def run(**params: str) -> Alt401kModel:
        model = small_model(seed=5, annual=(0.9, 0.9, 0.9, 0.9), **params)
        for _ in range(6):
            model.step()
        return model

    on = run()
    o, plans = on.plan_origins, on.plans
    new = o.formed_month >= 0
    covered = new & ~o.young_business & (plans.participants >= pl.MANDATE_MIN_EMPLOYEES)
    assert covered.sum() > 5
    assert plans.auto_enroll[covered].all() and plans.escalates[covered].all()
    assert ((plans.default_rate[covered] >= 0.03) & (plans.default_rate[covered] <= 0.10)).all()
    # The t0 plans are untouched by the mandate: some still do not auto-enroll.
    assert not plans.auto_enroll[~new].all()
    off = run(secure2_first_plan_year="2030-01-01")
    new_off = off.plan_origins.formed_month >= 0
    assert not off.plans.auto_enroll[new_off].all() or not off.plans.escalates[new_off].all()
    # The new plans' hires at mandated plans are auto-enrolled (less opt-outs).
    is_covered = np.zeros(plans.n, dtype=bool)
    is_covered[covered & (o.formed_month == on.month - 1)] = True
    rows = on.plan_rows.rows(is_covered)
    if rows.size:
        assert on.savers.is_auto_enrolled[rows].mean() > 0.7


# ----------------------------------------------------------------------------- reproducibility


def test_same_seed_same_churn_and_the_lifecycle_has_its_own_stream() -> None:
    a, b = small_model(seed=9, annual=HIGH), small_model(seed=9, annual=HIGH)
    for _ in range(3):
        a.step()
        b.step()
    np.testing.assert_array_equal(a.plan_origins.formed_month, b.plan_origins.formed_month)
    np.testing.assert_array_equal(a.savers.balance_usd, b.savers.balance_usd)
    np.testing.assert_array_equal(a.plans.default_rate, b.plans.default_rate)
    # No termination: the other streams' draws are those of a run without the phase, so the
    # market is the same whatever the hazard (a new stream, ODD §4.9).
    c = small_model(seed=9, annual=(0.0, 0.0, 0.0, 0.0))
    for _ in range(3):
        c.step()
    assert (c.plan_origins.formed_month < 0).all()
    np.testing.assert_array_equal(c.returns_history, a.returns_history)


# ----------------------------------------------------------------------------- bad input


def test_a_non_boolean_mandate_is_refused_naming_file_and_field(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text('title = "t"\ndescription = "d"\n[[changes]]\nlever = "auto_enrollment.new_plan_mandate"\n'
                    'value = 1\neffective = 2025-01-01\nsource = "s"\n', encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_scenario(path)
    assert info.value.source == str(path) and info.value.field == "changes[0].value"


def test_a_bad_mandate_date_is_refused() -> None:
    with pytest.raises(InputError) as info:
        load_scenario("status-quo", {"secure2_established_after": "2022-13-45"})
    assert info.value.field == "parameters.secure2_established_after"


@pytest.mark.parametrize("value", [[0.1, 0.1, 0.1], [1.5, 0.0, 0.0, 0.0], [-0.1, 0.0, 0.0, 0.0]])
def test_a_bad_termination_rate_is_refused(value: list[float]) -> None:
    with pytest.raises(InputError) as info:
        with_overrides(RunConfig(), {"economy.plan_termination_annual_by_class": value}, "run.toml")
    assert "plan_termination_annual_by_class" in str(info.value)


# ----------------------------------------------------------------------------- both engines


def test_both_saver_engines_agree_through_terminations() -> None:
    # The phase acts on the shared columnar state; the reference engine's agents reload the
    # rows it changed, so both engines keep the same savers and flows month after month.
    from dataclasses import fields

    from alt401k.agents.savers import SaverPopulation
    from alt401k.model.model import MonthFlows

    def build(engine: str) -> Alt401kModel:
        config = RunConfig(n_savers=300, n_sponsors=40, years=1, seed=2, saver_engine=engine)
        config = with_overrides(config, {"economy.plan_termination_annual_by_class": list(HIGH),
                                         "economy.plan_termination_distributing_share_by_class": [1.0] * 4}, "test")
        return Alt401kModel(load_scenario("status-quo"), config)

    columnar, agents = build("columnar"), build("agents")
    terminated = 0.0
    for _ in range(8):
        columnar.step()
        agents.step()
        for f in fields(SaverPopulation):
            x, y = getattr(columnar.savers, f.name), getattr(agents.savers, f.name)
            if x.dtype.kind == "f":
                scale = max(float(np.max(np.abs(x), initial=0.0)), 1e-300)
                np.testing.assert_allclose(y, x, rtol=1e-9, atol=1e-9 * scale, err_msg=f.name)
            else:
                np.testing.assert_array_equal(y, x, err_msg=f.name)
        for f in fields(MonthFlows):
            assert getattr(agents.flows, f.name) == pytest.approx(getattr(columnar.flows, f.name), rel=1e-9, abs=1e-3)
        terminated += columnar.flows.termination_usd
    assert terminated > 0


def test_plans_formed_in_the_past_auto_enroll_as_plans_did_then() -> None:
    # A run from 2005: the starting plans' shares are 2024's scaled to 2005 (ODD §5.1); a
    # plan formed in 2013 draws 2024's scaled to 2013 (Vanguard: 34% of plans then, 61% in
    # 2024), not 2005's; from 2025 on, 2024's.
    from alt401k.model.history import auto_enroll_scale

    config = RunConfig(n_savers=300, n_sponsors=40, years=1, seed=1, start=dt.date(2005, 1, 1))
    model = Alt401kModel(load_scenario("hist-ppa-2006"), config)
    base = np.asarray(model.config.sponsor.auto_enroll_share_by_class)
    model.month = (2013 - 2005) * 12 + 6  # July 2013
    shares = np.asarray(model._new_plan_behaviour().auto_enroll_share_by_class)
    np.testing.assert_allclose(shares, base * auto_enroll_scale(dt.date(2013, 7, 1)) / auto_enroll_scale(dt.date(2005, 1, 1)))
    assert auto_enroll_scale(dt.date(2013, 7, 1)) == pytest.approx(0.34 / 0.61, rel=0.02)
    model.month = 20 * 12
    np.testing.assert_allclose(np.asarray(model._new_plan_behaviour().auto_enroll_share_by_class),
                               RunConfig().sponsor.auto_enroll_share_by_class)


def test_new_plans_draw_their_menus_from_the_menus_stream() -> None:
    # A plan formed in a terminated plan's row draws its core menu as the t0 plans did (ODD
    # §5, §7.12), from the menus stream, not the predecessor's. Mark every menu as one fund
    # of each class (which the draw never gives a mega plan: 1 + Poisson(12) equity funds is
    # 1 with probability e^-12), then form plans in the rows of all four size classes.
    model = small_model(annual=HIGH)
    model.plans.core_funds[:] = 1
    model.plans.core_index_funds[:] = 0
    ended = np.array([0, model.plans.n - 1], dtype=np.intp)
    assert model.plans.size_class[-1] == 3
    model.plans.managed_account[ended] = model.plans.managed_qdia[ended] = True
    state = model.menu_rng.bit_generator.state
    model._form_plans(ended, model.lifecycle_rng)
    replay = np.random.default_rng()
    replay.bit_generator.state = state
    funds, index = draw_core_menus(model.plans.size_class[ended], model.config.sponsor, replay)
    np.testing.assert_array_equal(model.plans.core_funds[ended], funds)
    np.testing.assert_array_equal(model.plans.core_index_funds[ended], index)
    assert model.plans.core_funds[-1, 0] > 1
    # Nothing of the predecessor's decisions stays, the managed-account service included.
    assert not model.plans.managed_account[ended].any() and not model.plans.managed_qdia[ended].any()
    untouched = np.setdiff1d(np.arange(model.plans.n), ended)
    assert (model.plans.core_funds[untouched] == 1).all()
