"""Runs that start in the past (ODD §5.1): the bundled data read back by hand, the start
month's market, refusals, and a back-cast that follows the realised returns."""

from __future__ import annotations

import csv
import datetime as dt
from importlib import resources

import numpy as np
import pytest
from alt401k.model.config import RunConfig
from alt401k.model.errors import InputError
from alt401k.model.history import (
    check_start,
    historical_config,
    historical_path,
    price_level,
    workforce_path,
)
from alt401k.model.model import Alt401kModel
from alt401k.model.policy import load_scenario


def rows(name: str) -> list[dict[str, str]]:
    text = resources.files("alt401k.model").joinpath(f"data/{name}").read_text(encoding="utf-8")
    return list(csv.DictReader(text.splitlines()))


@pytest.mark.parametrize("start", [dt.date(2004, 12, 1), dt.date(2026, 1, 1), dt.date(2016, 1, 15)])
def test_a_start_outside_the_data_or_mid_month_is_refused(start: dt.date) -> None:
    with pytest.raises(InputError, match="first of a month from 2005-01 to 2025-12"):
        check_start(start)


def test_a_start_at_a_year_end_takes_that_year_s_form_5500_totals() -> None:
    # January 2016 is the end of plan year 2015: Table E19's 2015 row, exactly.
    cfg = historical_config(RunConfig(start=dt.date(2016, 1, 1)))
    e19 = {int(r["year"]): r for r in rows("dc_flows.csv")}[2015]
    assert cfg.initial.assets_usd == pytest.approx(float(e19["assets_usd"]), rel=1e-12)
    # Participants keep t0's ratio to Form 5500's count: 70M over 2023's 81.6M carried to
    # January 2025 at its 2019-2023 growth (72.2M to 81.6M).
    counts = {int(r["year"]): float(r["active_participants"]) for r in rows("dc_flows.csv")}
    scale = 70e6 / (counts[2023] * (counts[2023] / counts[2019]) ** 0.25)
    assert cfg.initial.participants == pytest.approx(float(e19["active_participants"]) * scale, rel=1e-12)
    assert cfg.initial.plans == pytest.approx(float(e19["plans"]), rel=1e-12)
    assert cfg.economy.unemployment_start == pytest.approx(0.049)  # BLS 2016 annual average
    # Auto-enrollment scaled between Vanguard's 2013 (34%) and 2024 (61%) shares, geometrically.
    share = 0.34 * (0.61 / 0.34) ** ((2016.0 - 2013.5) / 11)
    assert cfg.sponsor.auto_enroll_share_by_class[0] == pytest.approx(0.595 * share / 0.61, rel=1e-9)
    # Every 2025-dollar amount moves with pay: the median rollover in and the cash-out balance
    # scale fall by the same wage level as the median salary (a 2016 hire's $15,000 rollover
    # in 2025 dollars is some $10,000 of 2016).
    wages = cfg.initial.salary_median_usd / RunConfig().initial.salary_median_usd
    assert 0.6 < wages < 0.75  # SSA AWI 2015-16 against 2025's
    assert cfg.saver.roll_in_median_usd == pytest.approx(RunConfig().saver.roll_in_median_usd * wages, rel=1e-12)
    assert cfg.saver.cash_out_balance_usd == pytest.approx(RunConfig().saver.cash_out_balance_usd * wages, rel=1e-12)
    # 2025 keeps the Q1 2025 market.
    assert historical_config(RunConfig()) == RunConfig()


def test_price_level_by_hand() -> None:
    # Mid-2016 is the 2016 annual average of the CPI-U (240.007) over January 2025's 317.671.
    assert price_level(dt.date(2016, 7, 1)) == pytest.approx(240.007 / 317.671, rel=2e-3)
    assert price_level(dt.date(2025, 1, 1)) == pytest.approx(1.0)


def test_the_historical_path_is_the_bundled_returns_from_the_start_month() -> None:
    path = historical_path(dt.date(2008, 9, 1), 0.0)
    table = [r for r in rows("historical_returns.csv") if r["month"] >= "2008-09"]
    assert path.start_month == 0
    assert path.returns["equity"][0] == pytest.approx(float(table[0]["equity"]))
    assert path.returns["equity"][1] == pytest.approx(float(table[1]["equity"]))
    # October 2008 was the worst month of the crisis in these data.
    assert path.returns["equity"][1] < -0.15
    assert "crypto" not in path.returns  # no openly licensed series bundled: the model draws it


# MSCI EAFE, net total return in USD, calendar years (MSCI index factsheets): a developed
# ex-U.S. market series differs from it by Canada, small caps and withholding taxes, within
# about 3 points a year (model/data/README.md).
EAFE_NET_USD = {2016: 0.010, 2017: 0.250, 2018: -0.138, 2019: 0.220, 2020: 0.078, 2021: 0.113, 2022: -0.145}


def test_the_bundled_non_us_returns_compound_to_msci_eafe_each_year() -> None:
    table = rows("historical_returns.csv")
    for year, published in EAFE_NET_USD.items():
        months = [float(r["equity_intl"]) for r in table if r["month"].startswith(f"{year}-")]
        assert len(months) == 12
        assert np.prod(1.0 + np.array(months)) - 1.0 == pytest.approx(published, abs=0.03)


def test_the_historical_equity_is_a_monthly_rebalanced_mix_of_us_and_non_us_stocks() -> None:
    start = dt.date(2016, 1, 1)
    us, intl = historical_path(start, 0.0).returns["equity"], historical_path(start, 1.0).returns["equity"]
    mixed = historical_path(start, 0.22).returns["equity"]
    n = len(intl)  # the mix ends with the shorter series (French's data end before Shiller's)
    assert len(mixed) == n and len(us) > n
    assert np.allclose(mixed, 0.78 * us[:n] + 0.22 * intl)
    # 2016-2022: U.S. stocks compounded about twice as fast as the rest of the developed world,
    # so the plans' equity mix earned less than the S&P 500 (about 7.5% less by the end of 2022).
    seven_years = slice(0, 84)
    growth = {k: np.prod(1.0 + v[seven_years]) for k, v in {"us": us, "intl": intl, "mixed": mixed}.items()}
    assert growth["intl"] < growth["mixed"] < growth["us"]
    assert growth["mixed"] / growth["us"] == pytest.approx(0.925, abs=0.01)


def test_the_workforce_follows_form_5500_participants_while_they_last() -> None:
    path = workforce_path(dt.date(2016, 1, 1), 12 * 10)
    e19 = {int(r["year"]): float(r["active_participants"]) for r in rows("dc_flows.csv")}
    assert path[11] == pytest.approx(e19[2016] / e19[2015], rel=1e-12)  # December 2016 = end of 2016
    assert len(path) == 12 * 8  # to the end of plan year 2023, the last bundled
    assert workforce_path(dt.date(2025, 1, 1), 120) == ()


def test_a_back_cast_follows_the_realised_market() -> None:
    # From January 2008 through the crash: assets fall with the realised returns, and
    # end-2008 assets land near Form 5500's end-2008 total (out of sample, a loose band).
    start = dt.date(2008, 1, 1)
    config = RunConfig(n_savers=4000, n_sponsors=200, years=1, start=start)
    model = Alt401kModel(load_scenario("status-quo"), config,
                         market_path=historical_path(start, config.market.equity_intl_share))
    model.run()
    t = model.recorder.series_table().to_pandas()
    e19 = {int(r["year"]): float(r["assets_usd"]) for r in rows("dc_flows.csv")}
    assert t["date"].iloc[0] == "2008-01"
    assert t["assets_usd"].iloc[0] == pytest.approx(e19[2007], rel=1e-6)
    assert t["assets_usd"].iloc[-1] == pytest.approx(e19[2008], rel=0.10)
    assert t["cpi_index"].iloc[0] < 0.7  # 2008 prices in January-2025 dollars
    assert np.all(t["assets_usd2025"] > t["assets_usd"])


def test_a_back_cast_pays_the_observed_wage_growth_and_prices() -> None:
    # From January 2016 to January 2018: pay and the wage index follow the SSA average wage
    # index, an annual average placed at mid-year (2015 $48,098.63, 2016 $48,642.15, 2017
    # $50,321.89): January 2016 lies halfway between mid-2015 and mid-2016, January 2018
    # halfway between mid-2017 and mid-2018, so the ratio is a ratio of geometric means.
    # Prices follow the CPI-U annual averages likewise (2015 237.017, 2016 240.007, 2017
    # 245.120, 2018 251.107). Not the assumed 3.6% and 2.4% a year.
    start = dt.date(2016, 1, 1)
    config = RunConfig(n_savers=2000, n_sponsors=100, years=2, start=start)
    model = Alt401kModel(load_scenario("status-quo"), config,
                         market_path=historical_path(start, config.market.equity_intl_share))
    model.run()
    t = model.recorder.series_table().to_pandas()
    awi = {int(r["year"]): float(r["average_wage_index_usd"]) for r in rows("economy_history.csv") if r["average_wage_index_usd"]}
    cpi = {int(r["year"]): float(r["cpi_u_annual_average"]) for r in rows("economy_history.csv") if r["cpi_u_annual_average"]}
    wage = np.sqrt(awi[2017] * awi[2018] / (awi[2015] * awi[2016]))
    prices = np.sqrt(cpi[2017] * cpi[2018] / (cpi[2015] * cpi[2016]))
    last = t.loc[t["date"] == "2018-01"].iloc[-1]
    first = t.iloc[0]
    assert last["wage_index"] / first["wage_index"] == pytest.approx(wage, rel=1e-9)
    assert last["cpi_index"] / first["cpi_index"] == pytest.approx(prices, rel=1e-9)
    assert abs(wage - 1.036**2) > 0.01  # the assumption would give a different answer
