"""Participant loans (ODD §7.6): the rules by hand, and loans in a model run."""

from __future__ import annotations

import numpy as np
import pytest
from alt401k.agents import loans
from alt401k.model import market_paths
from alt401k.model.config import RunConfig
from alt401k.model.model import Alt401kModel
from alt401k.model.policy import load_scenario


def test_level_payment_repays_the_principal_exactly() -> None:
    # $12,000 over 60 months at 6% a year: the textbook annuity payment, 231.99.
    r = 0.06 / 12
    payment = loans.level_payment(np.array([12_000.0]), r, 60)
    assert payment[0] == pytest.approx(231.99, abs=0.01)
    owed = np.array([12_000.0])
    for k in range(60):
        principal, interest = loans.repayment(owed, payment, r)
        owed = owed - principal
        assert owed[0] == pytest.approx(loans.outstanding_after(np.array([12_000.0]), r, 60, np.array([k + 1]))[0],
                                        abs=1e-6)
    assert owed[0] == pytest.approx(0.0, abs=1e-6)
    assert loans.level_payment(np.array([600.0]), 0.0, 60)[0] == 10.0


def test_loan_amount_and_the_legal_cap() -> None:
    assert loans.loan_amount(np.array([10_000.0, 300_000.0]), 0.5, 50_000.0).tolist() == [5_000.0, 50_000.0]


def test_steady_state_share_and_the_recession_rise() -> None:
    # h = 3.3% a year, T = 5 years: 0.165 / 1.165.
    assert loans.steady_state_share(0.033, 60) == pytest.approx(0.165 / 1.165)
    calm = loans.loan_probability_monthly(0.033, 0.044, 0.044, 1.0)
    assert calm == pytest.approx(1 - (1 - 0.033) ** (1 / 12))
    # Unemployment at twice its natural rate doubles the annual rate (elasticity 1).
    assert loans.loan_probability_monthly(0.033, 0.088, 0.044, 1.0) == pytest.approx(1 - (1 - 0.066) ** (1 / 12))


@pytest.fixture(scope="module")
def runs() -> tuple:
    def run(path):
        model = Alt401kModel(load_scenario("status-quo"), RunConfig(n_savers=4000, n_sponsors=120, years=4, seed=9),
                             market_path=path)
        model.run()
        return model, model.recorder.series_table().to_pandas()
    return run(None), run(market_paths.stylised("equity-crash-2008", 6))


def test_loans_are_plan_assets_repaid_with_interest_and_offset_when_workers_leave(runs) -> None:
    (model, t), _ = runs
    assert (t["loans_usd"] > 0).all()
    # t0 keeps its assets: holdings and loans together are the calibrated total.
    assert t["assets_usd"].iloc[0] == pytest.approx(8.7e12, rel=1e-9)
    share = (t["loans_usd"] / t["assets_usd"]).mean()
    assert 0.005 < share < 0.03  # about DOL's 1.2%
    later = t.iloc[1:]
    assert (later["loan_interest_usd"] > 0).all()
    # Offsets need a borrower to leave the system in the month: among 4,000 sampled savers
    # most months have one (under 1% of borrowers leave a month: job changers who keep their
    # money in a 401(k), 64%, keep their loan too).
    assert (later["loan_offsets_usd"] > 0).mean() > 0.8
    assert (later["new_loans_usd"] > 0).all() and (later["loan_repayments_usd"] > 0).all()
    pop = model.savers
    assert np.all(pop.loan_usd >= 0) and np.all(pop.loan_usd[~pop.is_participating] == 0)


def test_a_recession_raises_borrowing_against_the_same_draws(runs) -> None:
    (_, calm), (_, crash) = runs
    assert crash["unemployment_rate"].max() > calm["unemployment_rate"].max()
    months = slice(12, 36)
    assert crash["new_loans_usd"].iloc[months].sum() / crash["assets_usd"].iloc[months].mean() > \
        calm["new_loans_usd"].iloc[months].sum() / calm["assets_usd"].iloc[months].mean()
