"""Tests for agents/litigation.py: the suit process of ODD §7.10.

Hand-worked hazards and settlements, the courts' expected book (`CaseLoad`) against its
arithmetic and its conservation of suits, the sampled plans' draws (`PlanSuits`) against the
shares they are drawn with, filing counts by plan size against the calibrated rates, and
the case-law levers (validated, dated).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import numpy as np
import pytest
from alt401k.agents.litigation import (
    ALT_CLAIM,
    AWAITING_RULING,
    FEE_CLAIM,
    LITIGATING,
    NO_SUIT,
    CaseLoad,
    PlanSuits,
    alternative_claim_share,
    alternative_loss,
    hazard_annual,
    lawsuit_hazard_annual,
    monthly_hazard,
    recent_suit_share,
    settlement_usd,
)
from alt401k.agents.sponsors import draw_plans
from alt401k.base.strata import SIZE_CLASSES
from alt401k.model.config import (
    InitialState,
    LitigationBehaviour,
    RunConfig,
    SponsorBehaviour,
    with_overrides,
)
from alt401k.model.errors import InputError
from alt401k.model.policy import PolicyState, load_scenario
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import sparse

LB = LitigationBehaviour()
SB = SponsorBehaviour()
BASELINE = PolicyState.baseline()


def plans_of_class(size_class: int, n: int):
    """`n` plans drawn by `draw_plans`, all put in one size class."""
    plans = draw_plans(n, InitialState(), SB, np.random.default_rng(0))
    plans.size_class[:] = size_class
    return plans


# ----------------------------------------------------------------------------- hazard


def test_hazard_of_a_jumbo_plan_with_a_fee_premium_worked_by_hand() -> None:
    plans = plans_of_class(3, 4)
    fee = np.array([0.003, 0.004, 0.006, 0.006])
    loss = np.array([0.0, 0.0, 0.0, 0.2])
    offers = np.array([False, False, False, True])
    annual = lawsuit_hazard_annual(plans, fee, loss, offers, BASELINE, SB)
    # 0.0259 x (1 + 150 x max(0, fee - 0.004) + 5 x loss): no premium below 0.4%;
    # 0.2 points over it add 30%; a 20% loss on an offered alternative adds 100%.
    np.testing.assert_allclose(annual, [0.0259, 0.0259, 0.0259 * 1.3, 0.0259 * 2.3])
    # The alternatives' share of the last plan's suits: 1.0 of its 2.3.
    fee_only = lawsuit_hazard_annual(plans, fee, np.zeros(4), np.zeros(4, dtype=bool), BASELINE, SB)
    np.testing.assert_allclose(alternative_claim_share(annual, fee_only), [0, 0, 0, 1.0 / 2.3])
    # A constant monthly hazard compounds to the annual one.
    np.testing.assert_allclose(1.0 - (1.0 - monthly_hazard(annual)) ** 12, annual)


@given(base=st.floats(0.0, 0.05), climate=st.floats(0.0, 5.0), fee=st.floats(0.0, 0.03), loss=st.floats(0.0, 1.0),
       extra_fee=st.floats(0.0, 0.01), extra_loss=st.floats(0.0, 0.5), offers=st.booleans(),
       shield=st.floats(0.0, 1.0))
@settings(max_examples=200, deadline=None)
def test_hazard_is_a_probability_that_rises_with_fees_and_losses(base: float, climate: float, fee: float, loss: float,
                                                                 extra_fee: float, extra_loss: float, offers: bool,
                                                                 shield: float) -> None:
    # One plan's annual hazard (ODD §7.10): in [0, 1]; never lower with a higher fee or, for
    # a plan offering alternatives, a larger loss; a plan offering none is untouched by
    # losses; the safe harbor's shield (alt_scale = 1 - shield) never raises it.
    args = (SB.lawsuit_fee_elasticity, SB.lawsuit_loss_elasticity)
    h = hazard_annual(base, climate, fee, loss, offers, *args, 1.0 - shield)
    assert 0.0 <= h <= 1.0
    assert hazard_annual(base, climate, fee + extra_fee, loss, offers, *args, 1.0 - shield) >= h
    assert hazard_annual(base, climate, fee, loss + extra_loss, offers, *args, 1.0 - shield) >= h
    assert hazard_annual(base, climate, fee, loss, offers, *args, 1.0) >= h
    if not offers:
        assert hazard_annual(base, climate, fee, loss + extra_loss, offers, *args, 1.0 - shield) == h


def test_alternative_loss_worked_by_hand() -> None:
    # Class losses (crypto, PE, credit, infrastructure, gold): 60%, 10%, 0, 0, 0. A plan offering
    # crypto and gold standalone loses 60%; one with a 10% PE + 10% credit sleeve (sleeve @
    # loss = 0.01 over a 0.2 sleeve) 5%; a plan with both, the larger; one with neither, 0.
    class_loss = np.array([0.60, 0.10, 0.0, 0.0, 0.0])
    sleeve = np.zeros(8)
    sleeve[4], sleeve[5] = 0.10, 0.10
    standalone = np.array([True, False, False, False, True])
    none = np.zeros(5, dtype=bool)
    assert alternative_loss(standalone, class_loss, np.zeros(8), 0.0) == pytest.approx(0.60)
    assert alternative_loss(none, class_loss, sleeve, 0.01) == pytest.approx(0.05)
    assert alternative_loss(standalone, class_loss, sleeve, 0.01) == pytest.approx(0.60)
    assert alternative_loss(none, class_loss, np.zeros(8), 0.0) == 0.0


def test_calibrated_filings_by_size_class_match_the_published_counts() -> None:
    # ~55 suits a year (Encore/Euclid), split 1% / 7% / 35% / 57% over the size classes
    # (Chubb/Groom 2021, Aon 2024: 40-46% against plans under ~$1B), at t0's plan counts.
    initial = InitialState()
    plans_by_class = initial.plans * np.asarray(initial.plan_share_by_class)
    expected = np.asarray(SB.lawsuit_hazard_annual_by_class) * plans_by_class
    np.testing.assert_allclose(expected, 55.0 * np.array([0.01, 0.07, 0.35, 0.57]), rtol=0.03)
    assert 54.0 <= expected.sum() <= 56.0


def test_drawn_filings_by_size_class_match_their_hazards_statistically() -> None:
    # Each plan is sued in a month where its uniform falls below its monthly hazard (as in
    # `Alt401kModel._litigation`): over 10,000 plans x 120 months a class's count is binomial
    # with mean the sum of the hazards; within 4 standard deviations of it in every class.
    rng = np.random.default_rng(7)
    for c in range(len(SIZE_CLASSES)):
        plans = plans_of_class(c, 10_000)
        fee = rng.uniform(0.002, 0.008, plans.n)
        p = monthly_hazard(lawsuit_hazard_annual(plans, fee, np.zeros(plans.n), np.zeros(plans.n, dtype=bool),
                                                 BASELINE, SB))
        drawn = sum(int((rng.random(plans.n) < p).sum()) for _ in range(120))
        mean, var = 120 * p.sum(), 120 * (p * (1 - p)).sum()
        assert abs(drawn - mean) <= 4 * np.sqrt(var) + 1, (SIZE_CLASSES[c], drawn, mean)


# ----------------------------------------------------------------------------- settlements


def test_settlement_worked_by_hand() -> None:
    # $1.5M at $500M; x10 the assets gives x10^0.66 = 4.57 the settlement; no assets, none.
    got = settlement_usd(np.array([5e8, 5e9, 0.0, -1.0]), LB)
    np.testing.assert_allclose(got, [1.5e6, 1.5e6 * 10 ** 0.66, 0.0, 0.0])


@given(st.floats(1e5, 1e11), st.floats(1.01, 100.0))
def test_settlement_rises_with_assets_but_less_than_in_proportion(assets: float, factor: float) -> None:
    small, large = settlement_usd(np.array([assets, assets * factor]), LB)
    assert small < large < small * factor


# ----------------------------------------------------------------------------- the courts' book


def test_case_load_month_worked_by_hand() -> None:
    # 12 fee suits and 12 over alternatives awaiting a ruling (mean 12 months: 1 of each
    # is ruled on), 18 litigating (mean 18 months: 1 is resolved).
    load = CaseLoad(awaiting=np.array([[12.0, 1200.0, 12e6], [12.0, 600.0, 24e6]]),
                    litigating=np.array([18.0, 1800.0, 36e6]))
    policy = dataclasses.replace(BASELINE, dismissal_fee_claims=0.1, dismissal_alternative_claims=0.5)
    out = load.advance(policy, LB)
    assert out.dismissed == pytest.approx(0.1 + 0.5)
    assert out.settled == pytest.approx(0.95)
    assert out.defence_wins == pytest.approx(0.05)
    assert out.settlements_usd == pytest.approx(0.95 * 2e6)
    assert out.settled_participants == pytest.approx(0.95 * 100.0)
    np.testing.assert_allclose(load.awaiting[:, 0], [11.0, 11.0])
    # 17 left litigating, joined by the 0.9 + 0.5 survivors of the rulings.
    assert load.litigating[0] == pytest.approx(17.0 + 0.9 + 0.5)
    assert load.pending == pytest.approx(22.0 + 18.4)


filings = st.lists(st.floats(0.0, 50.0), min_size=2, max_size=2)


@given(fee=filings, alt=filings, d_fee=st.floats(0, 1), d_alt=st.floats(0, 1), months=st.integers(1, 60))
@settings(max_examples=50)
def test_suits_are_conserved_and_the_steady_state_is_steady(fee, alt, d_fee, d_alt, months) -> None:
    filed = np.array([[fee[0], fee[1], 1e6 * fee[0]], [alt[0], alt[1], 2e6 * alt[0]]])
    policy = dataclasses.replace(BASELINE, dismissal_fee_claims=d_fee, dismissal_alternative_claims=d_alt)
    load = CaseLoad.steady_state(filed, policy, LB)
    start = load.pending
    ended = 0.0
    for _ in range(months):
        out = load.advance(policy, LB)
        load.file(filed)
        ended += out.dismissed + out.defence_wins + out.settled
    # Every suit filed is pending or has ended one way; at the steady state, as many end
    # each month as are filed and the stock stays put.
    assert start + months * filed[:, 0].sum() == pytest.approx(load.pending + ended, rel=1e-9, abs=1e-9)
    assert load.pending == pytest.approx(start, rel=1e-9, abs=1e-9)


def test_steady_state_at_the_calibration_matches_the_courts_of_2023_2024() -> None:
    # 55 suits a year at the end-2024 pleading standard: ~123 pending (Encore: 153 at the
    # end of 2024, over 200 in 2023) and ~43 settlements a year (Encore: a record 42 in 2023).
    filed = np.array([[55.0 / 12, 0.0, 0.0], [0.0, 0.0, 0.0]])
    load = CaseLoad.steady_state(filed, BASELINE, LB)
    assert 100.0 <= load.pending <= 200.0
    settled = 0.0
    for _ in range(12):
        settled += load.advance(BASELINE, LB).settled
        load.file(filed)
    assert 35.0 <= settled <= 50.0


# ----------------------------------------------------------------------------- the sampled plans


def test_plan_suits_follow_their_draws_worked_by_hand() -> None:
    suits = PlanSuits.empty(5)
    sued = np.array([True, True, False, True, True])
    suits.file(sued, u_kind=np.array([0.1, 0.9, 0.0, 0.5, 0.5]), alt_share=np.array([0.5, 0.5, 1.0, 0.0, 0.0]),
               settlement=np.array([1.0, 2.0, 3.0, 4.0, 5.0]))
    np.testing.assert_array_equal(suits.stage, [AWAITING_RULING, AWAITING_RULING, NO_SUIT, AWAITING_RULING,
                                                AWAITING_RULING])
    np.testing.assert_array_equal(suits.kind, [ALT_CLAIM, FEE_CLAIM, FEE_CLAIM, FEE_CLAIM, FEE_CLAIM])
    suits.stage[4] = LITIGATING
    policy = dataclasses.replace(BASELINE, dismissal_fee_claims=0.2, dismissal_alternative_claims=0.6)
    # Plan 0 (alternatives) ruled and dismissed (0.5 < 0.6); plan 1 (fees) ruled, survives
    # (0.5 >= 0.2); plan 3 not ruled (0.5 >= 1/12); plan 4 resolved and settled (0.5 < 0.95).
    suits.advance(u_end=np.array([0.01, 0.01, 0.0, 0.5, 0.01]), u_how=np.full(5, 0.5), policy=policy, behaviour=LB)
    np.testing.assert_array_equal(suits.stage, [NO_SUIT, LITIGATING, NO_SUIT, AWAITING_RULING, NO_SUIT])
    np.testing.assert_array_equal(suits.dismissed, [1, 0, 0, 0, 0])
    np.testing.assert_array_equal(suits.settled, [0, 0, 0, 0, 1])
    np.testing.assert_array_equal(suits.settled_usd, [0, 0, 0, 0, 5.0])
    # A second complaint against a plan in court is consolidated: nothing new opens.
    suits.file(np.array([False, True, False, False, False]), np.zeros(5), np.ones(5), np.full(5, 9.0))
    assert suits.kind[1] == FEE_CLAIM and suits.settlement_usd[1] == 2.0


def test_drawn_dismissals_match_the_pleading_standard_statistically() -> None:
    n = 40_000
    rng = np.random.default_rng(3)
    policy = dataclasses.replace(BASELINE, dismissal_fee_claims=0.085, dismissal_alternative_claims=0.5)
    suits = PlanSuits.empty(n)
    kind = (np.arange(n) % 2).astype(np.int8)
    suits.file(np.ones(n, dtype=bool), np.where(kind == ALT_CLAIM, 0.0, 1.0), np.full(n, 0.5), np.ones(n))
    suits.advance(np.zeros(n), rng.random(n), policy, LB)  # every suit ruled on
    for k, share in ((FEE_CLAIM, 0.085), (ALT_CLAIM, 0.5)):
        rows = kind == k
        got = suits.dismissed[rows].mean()
        assert abs(got - share) <= 4 * np.sqrt(share * (1 - share) / rows.sum()), (k, got)


def test_peers_see_the_share_of_their_peers_sued_recently() -> None:
    # Plan 0's peers are 1 and 2 (half each); 1 was sued 3 months ago, 2 thirty months ago.
    peers = sparse.csr_array(np.array([[0, 0.5, 0.5], [1.0, 0, 0], [1.0, 0, 0]]))
    last = np.array([-10_000, 97, 70], dtype=np.int32)
    np.testing.assert_allclose(recent_suit_share(last, 100, 24, peers), [0.5, 0.0, 0.0])


# ----------------------------------------------------------------------------- case law


def test_case_law_moves_the_pleading_standard_on_its_dates() -> None:
    for name in ("status-quo", "eo-14330", "fee-cap"):
        scenario = load_scenario(name)
        before = scenario.state_at(dt.date(2025, 4, 1))
        assert (before.dismissal_fee_claims, before.dismissal_alternative_claims) == (0.17, 0.17)
        after_cunningham = scenario.state_at(dt.date(2025, 5, 1))
        assert after_cunningham.dismissal_fee_claims < 0.17
        assert after_cunningham.dismissal_alternative_claims == 0.17
        after_anderson = scenario.state_at(dt.date(2025, 6, 1))
        assert after_anderson.dismissal_alternative_claims > 0.17


@pytest.mark.parametrize("value", ["1.5", "-0.1", "true", '"high"'])
def test_bad_dismissal_share_is_one_line_naming_file_and_field(tmp_path: Path, capsys, value: str) -> None:
    from alt401k.experiments.cli import main

    path = tmp_path / "variant.toml"
    path.write_text('title = "t"\ndescription = "d"\n[[changes]]\nlever = "litigation.dismissal.alternatives"\n'
                    f'value = {value}\neffective = 2026-01-01\nsource = "test"\n', encoding="utf-8")
    out = tmp_path / "out"
    assert main(["run", "--scenario", str(path), "--savers", "400", "--sponsors", "8", "--years", "1",
                 "--out", str(out)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and str(path) in err[0] and "changes[0].value" in err[0], err
    assert "litigation.dismissal.alternatives" in err[0] and not out.exists()


@pytest.mark.parametrize(("key", "value"), [("litigation.settlement_elasticity", 2.0),
                                            ("litigation.settle_share_after_ruling", 1.2),
                                            ("litigation.ruling_months_mean", 0.0)])
def test_bad_litigation_parameter_is_an_input_error_naming_the_key(key: str, value: float) -> None:
    with pytest.raises(InputError) as err:
        with_overrides(RunConfig(), {key: value}, "--set")
    assert key in str(err.value) and "--set" in str(err.value)


# ----------------------------------------------------------------------------- in the model


def _run_series(tmp_path: Path, dismissal: float):
    from alt401k.model.model import Alt401kModel

    path = tmp_path / f"dismiss-{dismissal}.toml"
    body = 'title = "t"\ndescription = "d"\nbased_on = "eo-14330"\n'
    for lever in ("litigation.dismissal.fees", "litigation.dismissal.alternatives"):
        body += f'[[changes]]\nlever = "{lever}"\nvalue = {dismissal}\neffective = 2025-06-01\nsource = "test"\n'
    path.write_text(body, encoding="utf-8")
    config = with_overrides(RunConfig(n_savers=2000, n_sponsors=80, years=3, seed=5),
                            {"sponsor.lawsuit_hazard_annual_by_class": [0.01, 0.03, 0.05, 0.1]}, "test")
    model = Alt401kModel(load_scenario(str(path)), config)
    model.run()
    return model, model.recorder.series_table().to_pandas()


def test_settlements_come_from_sponsors_not_savers_and_suits_are_conserved(tmp_path: Path) -> None:
    # Every suit dismissed, or none: the courts' rulings change the settlements paid but
    # not one saver's balance (settlements are paid by sponsors and their insurers, and
    # sponsors read filings, not rulings), and the filings are the same draws.
    lenient, t_lenient = _run_series(tmp_path, 0.0)
    strict, t_strict = _run_series(tmp_path, 1.0)
    np.testing.assert_array_equal(lenient.savers.balance_usd, strict.savers.balance_usd)
    np.testing.assert_array_equal(t_lenient["lawsuits"], t_strict["lawsuits"])
    assert t_strict["settlements_usd"].iloc[-12:].sum() < t_lenient["settlements_usd"].iloc[-12:].sum()
    assert t_lenient["lawsuits_dismissed"].iloc[6:].sum() == 0.0
    for t in (t_lenient, t_strict):
        ended = t["lawsuits_dismissed"] + t["lawsuits_defence_wins"] + t["lawsuits_settled"]
        # Pending at the end = pending after the first month + filings - resolutions since.
        change = t["lawsuits_pending"].iloc[-1] - t["lawsuits_pending"].iloc[1]
        assert change == pytest.approx((t["lawsuits"] - ended).iloc[2:].sum(), rel=1e-9, abs=1e-6)
        by_class = t[[f"lawsuits__{c}" for c in SIZE_CLASSES]].sum(axis=1)
        np.testing.assert_allclose(by_class, t["lawsuits"], rtol=1e-12)
        assert (t["lawsuits_over_alternatives"] <= t["lawsuits"] + 1e-12).all()
        np.testing.assert_allclose(t["settlements_usd2025"], t["settlements_usd"] / t["cpi_index"])
