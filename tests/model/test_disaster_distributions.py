"""The CARES Act's coronavirus-related distributions of 2020 (ODD §7.6): the combined
withdrawal rule worked by hand, the law's window, and runs through 2020 in both engines."""

from __future__ import annotations

import datetime as dt

import pytest
from alt401k.agents import life_events as le
from alt401k.model.config import RunConfig, SaverBehaviour
from alt401k.model.history import disaster_window_months, historical_path
from alt401k.model.model import Alt401kModel
from alt401k.model.policy import load_scenario
from hypothesis import given, settings
from hypothesis import strategies as st

from .test_saver_agents import check_engines_agree


def test_the_window_is_april_to_december_2020() -> None:
    # Pub. L. 116-136 §2202: enacted March 27, 2020, distributions until December 30, 2020.
    assert disaster_window_months(dt.date(2020, 4, 1)) == 9
    assert disaster_window_months(dt.date(2020, 12, 1)) == 9
    for outside in (dt.date(2020, 3, 1), dt.date(2021, 1, 1), dt.date(2008, 10, 1), dt.date(2025, 1, 1)):
        assert disaster_window_months(outside) == 0


def test_without_hardship_the_rule_is_the_distributions_alone() -> None:
    # No hardship withdrawals: 4.2% over nine months is 1 - 0.958^(1/9) = 0.4757% a month,
    # 1 - (1 - 0.004757)^12 = 5.56% as an annual rate, each taking 19% of the account.
    annual, share = le.with_disaster_distributions(0.0, 0.15, 0.042, 0.19, 9)
    assert le.hardship_threshold(annual) == pytest.approx(1.0 - 0.958 ** (1 / 9))
    assert annual == pytest.approx(1.0 - 0.958 ** (12 / 9))
    assert share == pytest.approx(0.19)


def test_without_take_up_the_rule_is_unchanged() -> None:
    annual, share = le.with_disaster_distributions(0.048, 0.15, 0.0, 0.19, 9)
    assert annual == pytest.approx(0.048) and share == pytest.approx(0.15)


@settings(max_examples=200, deadline=None)
@given(st.floats(0.0, 0.5), st.floats(0.01, 1.0), st.floats(0.0, 0.9), st.floats(0.01, 1.0), st.integers(1, 12))
def test_expected_dollars_are_those_of_both_withdrawals(hardship: float, h_share: float, take_up: float,
                                                        c_share: float, months: int) -> None:
    # A month's expected withdrawal per dollar held: the hardship rule's plus the
    # distributions', whatever the rates (independent events, one combined withdrawal).
    annual, share = le.with_disaster_distributions(hardship, h_share, take_up, c_share, months)
    h = le.hardship_threshold(hardship)
    c = 1.0 - (1.0 - take_up) ** (1.0 / months)
    dollars = h * h_share + c * c_share
    assert 0.0 <= annual < 1.0 and min(h_share, c_share) - 1e-12 <= share <= 1.0
    if share < 1.0:  # the whole account is the most one withdrawal can take
        assert le.hardship_threshold(annual) * share == pytest.approx(dollars, rel=1e-6, abs=1e-15)  # annual round trip
    else:
        assert le.hardship_threshold(annual) <= dollars * (1 + 1e-6)
    # Realistic rates overlap little: the share is the dollar-weighted mean of the two.
    if max(h, c) < 0.01:
        assert share == pytest.approx(dollars / (h + c), rel=0.011) if h + c > 0 else share == h_share


def _run_2020(take_up: float) -> list[float]:
    """Each month's in-service withdrawals over 2020, from January with realised returns."""
    start = dt.date(2020, 1, 1)
    config = RunConfig(n_savers=20_000, n_sponsors=300, years=1, seed=4, start=start,
                       saver=SaverBehaviour(disaster_distribution_take_up=take_up))
    model = Alt401kModel(load_scenario("status-quo"), config,
                         market_path=historical_path(start, config.market.equity_intl_share))
    out = []
    for _ in range(12):
        model.step()
        out.append(model.flows.hardship_usd)
    return out


def test_runs_through_2020_withdraw_more_in_the_window_only() -> None:
    with_law, without = _run_2020(0.3), _run_2020(0.0)
    # Before April the months are the same to the bit: the law adds no draw.
    assert with_law[:3] == without[:3]
    # In the window the withdrawals rise by about the distributions' expected dollars: a
    # monthly hazard of 1 - 0.7^(1/9) = 3.9% of participants, each taking 19% of the
    # account, against 0.41% taking 15% without the law (about 9 times the dollars).
    ratio = sum(with_law[3:]) / sum(without[3:])
    h = le.hardship_threshold(0.048)
    expected = (h * 0.15 + (1.0 - 0.7 ** (1 / 9)) * 0.19) / (h * 0.15)
    assert ratio == pytest.approx(expected, rel=0.2)


def test_both_engines_agree_through_the_window() -> None:
    start = dt.date(2019, 10, 1)

    def build(engine: str) -> Alt401kModel:
        config = RunConfig(n_savers=300, n_sponsors=40, years=2, seed=5, start=start, saver_engine=engine,
                           saver=SaverBehaviour(disaster_distribution_take_up=0.5))
        return Alt401kModel(load_scenario("eo-14330"), config,
                            market_path=historical_path(start, config.market.equity_intl_share))

    columnar, agents = build("columnar"), build("agents")
    check_engines_agree(columnar, agents, "eo-14330 from 2019-10", False)
    assert columnar.date == dt.date(2021, 10, 1)  # both stepped through the whole window
