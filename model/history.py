"""Runs that start in the past: the starting market of any month from 2005 on, and the
realised returns since, from data bundled with the model (ODD §5.1).

A run that starts before 2025 (`RunConfig.start`) is built like the Q1 2025 market, with
the national totals, pay level, unemployment and auto-enrollment of its own date
(`historical_config`) and the kinds of default fund on record then (`default_kind_mix`),
and its money deflated to constant January-2025 dollars from that
date's price level (`price_level`). `historical_path` imposes the realised monthly returns
of equity, bonds, cash and gold from the start month until the data end, after which the
market's own draws continue (`model.market_paths`). Sources and licences:
`model/data/README.md`. No network is used at run time.
"""

from __future__ import annotations

import csv
import datetime as dt
from functools import cache
from importlib import resources

import numpy as np
import numpy.typing as npt

from ..base.assets import DEFAULT_FUND_KINDS
from .config import RunConfig
from .errors import InputError
from .market_paths import MarketPath

FIRST_START = dt.date(2005, 1, 1)
LAST_START = dt.date(2025, 12, 1)
"""Months a run may start in: the bundled data cover 2005 on; 2025 is the default market."""
T0 = dt.date(2025, 1, 1)
"""The default start, whose market `InitialState` holds (ICI Q1 2025)."""
CPI_JANUARY_2025 = 317.671
"""CPI-U, U.S. city average, January 2025 (BLS CUUR0000SA0): the constant-dollar base."""
RETURN_CLASSES = ("equity", "bonds", "cash", "gold")
"""Classes with realised returns in `model/data/historical_returns.csv`; the others keep the
market's draws (their 401(k) holdings before 2025 were negligible)."""


@cache
def _rows(name: str) -> tuple[dict[str, str], ...]:
    text = resources.files("alt401k.model").joinpath(f"data/{name}").read_text(encoding="utf-8")
    return tuple(csv.DictReader(text.splitlines()))


def yearly(name: str, column: str) -> dict[int, float]:
    """One column of a bundled yearly table, years with a value only."""
    return {int(r["year"]): float(r[column]) for r in _rows(name) if r[column].strip()}


def dated(name: str, column: str) -> dict[dt.date, float]:
    """One column of a bundled table of dated observations (`as_of`, YYYY-MM-DD), dates with
    a value only."""
    return {dt.date.fromisoformat(r["as_of"]): float(r[column]) for r in _rows(name) if r[column].strip()}


def years_of(date: dt.date) -> float:
    """A date as a decimal year (the first of January of year Y is Y.0)."""
    return date.year + (date.month - 1) / 12 + (date.day - 1) / 365.25


def interpolate(points: dict[float, float], t: float) -> float:
    """Value at decimal year `t`, geometric between the nearest points, the end value beyond
    them (no extrapolation)."""
    ts = np.array(sorted(points))
    vs = np.log(np.array([points[k] for k in ts]))
    return float(np.exp(np.interp(t, ts, vs)))


def check_start(start: dt.date, source: str = "--start") -> None:
    """Refuse a start outside the months the bundled data cover (exit 2 from the CLI)."""
    if start.day != 1 or not FIRST_START <= start <= LAST_START:
        raise InputError(source, start.isoformat()[:7],
                         f"a run starts on the first of a month from {FIRST_START:%Y-%m} to {LAST_START:%Y-%m}")


def price_level(date: dt.date) -> float:
    """CPI at `date` relative to January 2025 (annual averages placed at mid-year, January
    2025's index at 2025.0; geometric in between)."""
    points = {y + 0.5: v for y, v in yearly("economy_history.csv", "cpi_u_annual_average").items()}
    points[2025.0] = CPI_JANUARY_2025
    return interpolate(points, years_of(date)) / CPI_JANUARY_2025


def wage_level(date: dt.date, nominal_wage_growth_annual: float) -> float:
    """National average wage at `date` relative to January 2025. The SSA index is an annual
    average (placed at mid-year); January 2025 is its last value (2023) grown for 1.5 years
    at the economy's nominal wage growth (`EconomyParams`), since 2024's is not bundled."""
    awi = yearly("economy_history.csv", "average_wage_index_usd")
    last = max(awi)
    base = awi[last] * (1.0 + nominal_wage_growth_annual) ** (2025.0 - (last + 0.5))
    points = {y + 0.5: v for y, v in awi.items()}
    return interpolate(points, years_of(date)) / base


def _year_end(column: str) -> dict[float, float]:
    """A Form 5500 plan-year total placed at the year's end (Y + 1.0)."""
    return {y + 1.0: v for y, v in yearly("dc_flows.csv", column).items()}


def historical_config(config: RunConfig) -> RunConfig:
    """`config` with the starting market of its `start` month, for starts before 2025.

    National totals from DOL Form 5500 401(k)-type plans (Table E19, plan-year ends; assets
    geometric between year ends): assets, active participants (eligible employees, at the
    t0 ratio to Form 5500's count: `participant_scale`) and plans. Pay level, and the dollar
    amounts of the saver rules set in 2025 dollars (the balance a new hire rolls in, the
    balance scale of cash-outs), by the SSA average wage index; unemployment from BLS's annual average
    of the start year; the auto-enrolling share of plans in each size class scaled by
    Vanguard's share of plans auto-enrolling at that date over 2024's 61%. Starts in 2025
    keep the Q1 2025 market (`InitialState`). Everything else (size shares, balance
    dispersion, menus) is the 2025 calibration: a simplification (ODD §5.1).
    """
    start = config.start
    check_start(start, "start")
    if start >= T0:
        return config
    t = years_of(start)
    ae_scale = auto_enroll_scale(start)
    wages = wage_level(start, config.economy.nominal_wage_growth_annual)
    unemployment = yearly("economy_history.csv", "unemployment_rate_annual_average")
    initial = config.initial.model_copy(update={
        "assets_usd": interpolate(_year_end("assets_usd"), t),
        "participants": interpolate(_year_end("active_participants"), t) * participant_scale(config),
        "plans": interpolate(_year_end("plans"), t),
        "salary_median_usd": config.initial.salary_median_usd * wages,
    })
    saver = config.saver.model_copy(update={
        "roll_in_median_usd": config.saver.roll_in_median_usd * wages,
        "cash_out_balance_usd": config.saver.cash_out_balance_usd * wages,
    })
    sponsor = config.sponsor.model_copy(update={
        "auto_enroll_share_by_class": tuple(min(1.0, ae_scale * s) for s in config.sponsor.auto_enroll_share_by_class),
    })
    economy = config.economy.model_copy(update={"unemployment_start": unemployment[start.year]})
    return config.model_copy(update={"initial": initial, "saver": saver, "sponsor": sponsor, "economy": economy})


SURVEY_SIZE_OF_CLASS = ("small", "small", "mid", "large")
"""The 2007 survey's plan-size group (by assets: under $20 million, $20-200 million, over
$200 million) that each model size class (participants: under 100, 100-999, 1,000-9,999,
10,000 and more) is read from, at roughly $50,000 a participant (an assumption: the survey
reports no participant counts)."""
KINDS_OBSERVED = (2007.5, 2019.0)
"""When the two observations of `default_fund_kinds.csv` hold: the 2007 survey at mid-year,
Vanguard's year-end 2018 data at the start of 2019."""


def default_kind_mix(date: dt.date) -> npt.NDArray[np.float64]:
    """Shares of plans whose default fund is of each kind at `date`, by size class, shape
    (len(SIZE_CLASSES), len(DEFAULT_FUND_KINDS)) in `DEFAULT_FUND_KINDS` order (money market,
    balanced, target-date); rows sum to 1 (ODD §5.1).

    2007 (`default_fund_kinds.csv`): the survey's target-date and balanced shares of the
    class's size group; the rest of the group's plans split between capital preservation
    (stable value and money market, the model's money-market kind) and other defaults in the
    proportions of all plans (20.6 to 15.2), the other defaults then left out (the shares
    renormalised). From 2019 every default is a target-date fund: 98% of Vanguard's
    auto-enrolling plans used one at the end of 2018, the rest a balanced strategy (read as
    all, the t0 calibration). In between, linear in time; before mid-2007, the 2007 shares
    (no earlier source found). Both the reading of the gaps and the size mapping
    (`SURVEY_SIZE_OF_CLASS`) are assumptions."""
    rows = {r["plans"].split(" ")[0]: r for r in _rows("default_fund_kinds.csv") if r["year"] == "2007"}
    every = rows["all"]
    other = 100.0 - float(every["tdf_pct"]) - float(every["balanced_pct"])
    preserving = (float(every["stable_value_pct"]) + float(every["money_market_pct"])) / other
    mix = np.empty((len(SURVEY_SIZE_OF_CLASS), len(DEFAULT_FUND_KINDS)))
    for c, group in enumerate(SURVEY_SIZE_OF_CLASS):
        tdf, balanced = float(rows[group]["tdf_pct"]), float(rows[group]["balanced_pct"])
        shares = {"money_market": (100.0 - tdf - balanced) * preserving, "balanced": balanced, "tdf": tdf}
        mix[c] = [shares[k] for k in DEFAULT_FUND_KINDS]
    mix /= mix.sum(axis=1, keepdims=True)
    first, last = KINDS_OBSERVED
    f = min(max((years_of(date) - first) / (last - first), 0.0), 1.0)
    all_tdf = np.zeros_like(mix)
    all_tdf[:, DEFAULT_FUND_KINDS.index("tdf")] = 1.0
    return (1.0 - f) * mix + f * all_tdf


DISASTER_DISTRIBUTION_WINDOWS: tuple[tuple[dt.date, dt.date], ...] = ((dt.date(2020, 4, 1), dt.date(2020, 12, 1)),)
"""First and last month in which a law let participants draw disaster distributions from
their plans: the CARES Act's coronavirus-related distributions (Pub. L. 116-136 §2202,
enacted March 27, 2020; penalty-free until December 30, 2020, up to $100,000), paid from
April (ODD §7.6; Vanguard's record of them covers the nine months April-December)."""


def disaster_window_months(date: dt.date) -> int:
    """The length in months of the disaster-distribution window `date` falls in, 0 outside
    every window (`DISASTER_DISTRIBUTION_WINDOWS`)."""
    for first, last in DISASTER_DISTRIBUTION_WINDOWS:
        if first <= date <= last:
            return 12 * (last.year - first.year) + last.month - first.month + 1
    return 0


def auto_enroll_scale(date: dt.date) -> float:
    """Vanguard's share of plans auto-enrolling at `date` over 2024's (How America Saves,
    `economy_history.csv`; 1 from 2025): what the calibrated 2024 shares by size class are
    scaled by for the plans of a past date, those of the starting sample (§5.1) and those
    formed then (§7.12)."""
    if date >= T0:
        return 1.0
    ae = {y + 0.5: v for y, v in yearly("economy_history.csv", "auto_enroll_plan_share").items()}
    return interpolate(ae, years_of(date)) / ae[2024.5]


def participant_scale(config: RunConfig) -> float:
    """The t0 participant count over Form 5500's active participants carried to January 2025.

    The Q1 2025 market counts ICI's "about 70 million" participants while Form 5500 counted
    81.6 million active participants at the end of 2023 and more since (Table E19). Pay was
    fitted on the t0 count (`InitialState.salary_median_usd`), so a start in the past keeps
    the same ratio to Form 5500's count: its end-2023 value grown at its 2019-2023 rate to
    January 2025 (ODD §5.1).
    """
    counts = yearly("dc_flows.csv", "active_participants")
    last = max(counts)
    growth = (counts[last] / counts[last - 4]) ** 0.25
    return config.initial.participants / (counts[last] * growth ** (2025.0 - (last + 1.0)))


def observed_path(points: dict[float, float], start: dt.date, n_months: int) -> tuple[float, ...]:
    """An observed series relative to its level at `start`, at the end of each month from
    month 1 while the observations cover it (geometric between them): what the economy
    follows in a back-cast (ODD §7.12) instead of its assumptions."""
    last = max(points)
    t0 = years_of(start)
    base = interpolate(points, t0)
    return tuple(interpolate(points, t0 + m / 12) / base for m in range(1, n_months + 1) if t0 + m / 12 <= last)


def workforce_path(start: dt.date, n_months: int) -> tuple[float, ...]:
    """Covered workforce relative to `start` (`observed_path`): DOL Form 5500 counts of active
    participants (eligible employees) at plan-year ends; empty for a start in 2025 or later."""
    return () if start >= T0 else observed_path(_year_end("active_participants"), start, n_months)


def plan_path(start: dt.date, n_months: int) -> tuple[float, ...]:
    """Number of 401(k) plans relative to `start` (`observed_path`): DOL Form 5500 counts of
    401(k)-type plans at plan-year ends (560,373 in 2016 to 724,720 in 2023); empty for a
    start in 2025 or later. The plan weights follow it (ODD §7.12)."""
    return () if start >= T0 else observed_path(_year_end("plans"), start, n_months)


def wage_path(start: dt.date, n_months: int) -> tuple[float, ...]:
    """Nominal pay relative to `start` (`observed_path`): the SSA national average wage index,
    an annual average placed at mid-year (to mid-2023); empty for a start in 2025 or later."""
    if start >= T0:
        return ()
    return observed_path({y + 0.5: v for y, v in yearly("economy_history.csv", "average_wage_index_usd").items()},
                         start, n_months)


def price_path(start: dt.date, n_months: int) -> tuple[float, ...]:
    """Consumer prices relative to `start` (`observed_path`): CPI-U annual averages at
    mid-year and January 2025's index; empty for a start in 2025 or later."""
    if start >= T0:
        return ()
    points = {y + 0.5: v for y, v in yearly("economy_history.csv", "cpi_u_annual_average").items() if y < 2025}
    points[2025.0] = CPI_JANUARY_2025
    return observed_path({t: v for t, v in points.items() if t <= 2025.0}, start, n_months)


def historical_path(start: dt.date, equity_intl_share: float) -> MarketPath:
    """Realised monthly returns of `RETURN_CLASSES` from `start` until each class's data end
    (`model/data/historical_returns.csv`); later months keep the market's draws.

    The model's one equity class stands for the equities 401(k) plans hold, U.S. and
    non-U.S. (ODD §5.1, §7.2): its realised return is the mix `equity_return`, rebalanced
    monthly, with `equity_intl_share` of it in non-U.S. stocks (`market.equity_intl_share`)."""
    first = f"{start:%Y-%m}"
    rows = [r for r in _rows("historical_returns.csv") if r["month"] >= first]
    returns: dict[str, np.ndarray] = {}
    for name in RETURN_CLASSES:
        values = _column_until_gap(rows, name, equity_intl_share)
        if values:
            returns[name] = np.array(values)
    if not returns:
        raise InputError("--market-path", "historical", f"no realised returns from {first}")
    return MarketPath(returns=returns, start_month=0)


def equity_return(us: float, intl: float, intl_share: float) -> float:
    """A month's return on 401(k) equities: U.S. stocks (`us`) and non-U.S. stocks (`intl`)
    held in the fixed proportions 1 - `intl_share` : `intl_share` at the month's start (ODD
    §5.1; target-date funds and core menus rebalance to fixed equity weights)."""
    return (1.0 - intl_share) * us + intl_share * intl


def _column_until_gap(rows: list[dict[str, str]], name: str, equity_intl_share: float) -> list[float]:
    """One class's realised returns from the first row until a month without data; equity
    blends in non-U.S. stocks (`equity_return`) and ends with the shorter of its two
    series when any non-U.S. share is asked for."""
    values = []
    for r in rows:
        if not r[name].strip():
            break
        if name != "equity" or equity_intl_share == 0.0:
            values.append(float(r[name]))
        elif r["equity_intl"].strip():
            values.append(equity_return(float(r[name]), float(r["equity_intl"]), equity_intl_share))
        else:
            break
    return values


__all__ = [
    "FIRST_START",
    "auto_enroll_scale",
    "dated",
    "LAST_START",
    "check_start",
    "historical_config",
    "equity_return",
    "historical_path",
    "observed_path",
    "plan_path",
    "price_path",
    "wage_path",
    "workforce_path",
    "price_level",
    "wage_level",
]
