"""The economy under the savers (ODD §7.12): indices worked by hand, the labour-market
channel, a workforce that grows, constant dollars, and flows against DOL Form 5500."""

from __future__ import annotations

import csv
from importlib import resources

import numpy as np
import pytest
from alt401k.model import market_paths
from alt401k.model.config import RunConfig
from alt401k.model.economy import Economy, EconomyParams, layoff_multiplier, unemployment_target
from alt401k.model.model import Alt401kModel
from alt401k.model.policy import load_scenario
from alt401k.model.reporters import real_name

CALM = EconomyParams(unemployment_start=0.044, unemployment_natural=0.044)


def test_a_calm_year_compounds_each_index_at_its_annual_rate() -> None:
    # No drawdown, unemployment at its natural rate: after 12 months prices are up 2.4%,
    # plans 1.6%, covered employment 0.5%; wages (advanced at month ends) 1.024 x 1.0113.
    e = Economy(CALM)
    for _ in range(12):
        e.step(0.0)
        e.wage_index *= e.wage_growth_monthly
    assert e.price_index == pytest.approx(1.024, rel=1e-12)
    assert e.plan_index == pytest.approx(1.016, rel=1e-12)
    assert e.employment_index == pytest.approx(1.005, rel=1e-12)
    assert e.wage_index == pytest.approx(1.024 * 1.0113, rel=1e-12)
    assert e.layoff_rate == 0.0


def test_unemployment_target_by_hand() -> None:
    p = EconomyParams()
    assert unemployment_target(0.0, p) == pytest.approx(0.044)
    assert unemployment_target(0.5, p) == pytest.approx(0.044 + 0.08 * 0.5)
    assert unemployment_target(50.0, p) == 0.25  # capped


def test_a_crash_lays_people_off_and_shrinks_employment_until_it_passes() -> None:
    e = Economy(CALM)
    for _ in range(18):
        e.step(0.5)  # equities held 50% below their peak
    # Unemployment closes 8% of its gap a month towards 4.4% + 4 pp.
    expected_u = 0.084 - 0.04 * (1 - 0.08) ** 18
    assert e.unemployment_rate == pytest.approx(expected_u, rel=1e-12)
    assert e.layoff_rate > 0.0
    trend = 1.005 ** (18 / 12)
    assert e.employment_index == pytest.approx(trend * (1 - expected_u) / (1 - 0.044), rel=1e-12)
    for _ in range(120):
        e.step(0.0)
    assert e.unemployment_rate == pytest.approx(0.044, abs=1e-4)
    assert e.layoff_rate == 0.0


def test_layoff_multiplier_by_hand() -> None:
    base = 1.0 - 0.88 ** (1 / 12)  # monthly rate of a 12% annual job-change rate
    assert layoff_multiplier(base, 0.12, 0.12) == pytest.approx(2.0)
    assert layoff_multiplier(0.0, 0.18, 0.06) == 1.0


def run(years: int, n_savers: int = 3000, scenario: str = "status-quo", path=None, seed: int = 7,
        n_sponsors: int = 120) -> Alt401kModel:
    config = RunConfig(n_savers=n_savers, n_sponsors=n_sponsors, years=years, seed=seed)
    model = Alt401kModel(load_scenario(scenario), config, market_path=path)
    model.run()
    return model


@pytest.fixture(scope="module")
def thirty_years() -> Alt401kModel:
    return run(30)


def test_the_status_quo_workforce_grows_and_money_has_constant_dollar_twins(thirty_years: Alt401kModel) -> None:
    table = thirty_years.recorder.series_table().to_pandas()
    first, last = table.iloc[0], table.iloc[-1]
    # Participants are eligible employees (Form 5500's active participants): the rows stand
    # for the workforce, which grows with the labour force less cyclical unemployment.
    assert last["participants"] == pytest.approx(first["participants"] * last["employment_index"], rel=1e-6)
    assert last["participants"] > first["participants"]
    assert last["enrolled_participants"] > 0.95 * first["enrolled_participants"]
    assert last["plans"] == pytest.approx(first["plans"] * 1.016 ** 30, rel=1e-9)
    # Constant January-2025 dollars: nominal deflated by the CPI index (2.4% a year).
    assert last["cpi_index"] == pytest.approx(1.024 ** 30, rel=1e-9)
    assert last["assets_usd2025"] == pytest.approx(last["assets_usd"] / last["cpi_index"], rel=1e-12)
    for column in table.columns:
        twin = real_name(column)
        if twin is not None:
            assert twin in table.columns, column
    # Pay keeps pace with the wage index, so contributions grow in nominal terms.
    yearly = table.groupby(table["date"].str[:4])["contributions_usd"].sum()
    assert yearly.iloc[-2] > 1.5 * yearly.iloc[1]


def dol_ratio(column: str, years: range) -> float:
    """Mean over `years` of a DOL Form 5500 401(k) flow as a share of year-end assets."""
    text = resources.files("alt401k.model").joinpath("data/dc_flows.csv").read_text(encoding="utf-8")
    rows = {int(r["year"]): r for r in csv.DictReader(text.splitlines())}
    ratios = []
    for y in years:
        r = rows[y]
        flow = sum(float(r[c]) for c in column.split("+"))
        ratios.append(flow / float(r["assets_usd"]))
    return float(np.mean(ratios))


def test_flows_match_form_5500_in_sample() -> None:
    # In-sample targets (docs/validation.md): employee and employer contributions, and
    # benefits paid, over year-end assets, 2019-2023 means of DOL Form 5500 401(k)-type plans
    # (Table E19; the contributions' split from Abstract tables D7), read here from the data
    # file; the model over the same years from January 2019 with the realised returns,
    # measured the same way (the validation `flows` experiment, small sample); within 10%.
    from alt401k.experiments.validation.experiments import flows

    got = flows(RunConfig(), np.random.SeedSequence(20250807), "fast")
    years = range(2019, 2024)
    assert got["contributions_share_of_assets"] == pytest.approx(
        dol_ratio("employer_contributions_usd+participant_contributions_usd", years), rel=0.10)
    assert got["benefits_share_of_assets"] == pytest.approx(dol_ratio("benefits_usd", years), rel=0.10)


def test_a_crash_raises_unemployment_and_job_losses_against_the_same_draws() -> None:
    calm = run(4, seed=11)
    crash = run(4, seed=11, path=market_paths.stylised("equity-crash-2008", 6))
    a = calm.recorder.series_table().to_pandas()
    b = crash.recorder.series_table().to_pandas()
    assert b["unemployment_rate"].max() > a["unemployment_rate"].max() + 0.01
    assert b["layoff_rate"].sum() > a["layoff_rate"].sum()
    assert b["participants"].iloc[-1] < a["participants"].iloc[-1]
    left = ["cash_outs_usd", "rollovers_out_usd"]
    assert b[left].sum().sum() > 0 and (b["layoff_rate"] > 0).any()


def test_monthly_mortality_by_hand_and_deaths_by_the_law_of_large_numbers() -> None:
    from alt401k.model.population import draw_deaths, monthly_mortality

    # SSA period life table 2021, unisex mean, q(40) = 0.0026 a year; between 40 and 50
    # geometric: q(45) = sqrt(0.0026 x 0.0049).
    assert monthly_mortality(np.array([40.0]))[0] == pytest.approx(1 - (1 - 0.0026) ** (1 / 12), rel=1e-12)
    q45 = np.sqrt(0.0026 * 0.0049)
    assert monthly_mortality(np.array([45.0]))[0] == pytest.approx(1 - (1 - q45) ** (1 / 12), rel=1e-12)
    # Thinning draws each row with its own age's rate: 2M savers aged 60, 5 months.
    ages = np.full(2_000_000, 60.0)
    rng = np.random.default_rng(5)
    counts = [draw_deaths(ages, rng).size for _ in range(5)]
    expected = ages.size * monthly_mortality(np.array([60.0]))[0]
    assert np.mean(counts) == pytest.approx(expected, abs=4 * np.sqrt(expected / 5))


def test_deaths_pay_their_balances_out_and_are_replaced(thirty_years: Alt401kModel) -> None:
    table = thirty_years.recorder.series_table().to_pandas()
    deaths = table["death_benefits_usd"].iloc[1:]
    assert (deaths >= 0).all() and deaths.sum() > 0
    # A year's death benefits over assets is the asset-weighted mortality of participants:
    # between q(40) = 0.26% and q(67) = 1.6% a year (balances grow with age).
    share = deaths.sum() / (table["assets_usd"].iloc[1:].mean() * 30)
    assert 0.0026 < share < 0.016
