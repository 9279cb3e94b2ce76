"""Designed validation experiments: one function per experiment, each returning statistics.

Each experiment builds a world from the model's public inputs only — a `Setting`, a bundled
scenario, an imposed market path and `RunConfig` overrides — steps the model and reads the
savers' columns (`is_participating`, `deferral_rate`, `trades`, `months_in_plan`,
`last_year_return`, `balance_usd`). No model code is changed for a target. The targets
(published values, tolerances, sources) are in `targets.toml`; docs/validation.md is
generated from both by `alt401k validate`.

Every experiment has the signature ``f(config, seed_sequence, size) -> dict[str, float]``:
`config` carries the behavioural parameters under test, `size` is "fast" or "full".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import numpy as np
import numpy.typing as npt
import pandas as pd

from ...agents import savers as sv
from ...base.assets import ALTERNATIVES, ASSET_CLASSES, HOLDING_ASSET
from ...model.config import RunConfig, with_overrides
from ...model.market_paths import stylised
from ...model.model import Alt401kModel
from ...model.policy import load_scenario
from ...model.population import weighted_median
from ...model.setting import PlanSpec, Setting

F64 = npt.NDArray[np.float64]
Experiment = Callable[[RunConfig, np.random.SeedSequence, str], dict[str, float]]

SIZES: dict[str, dict[str, int]] = {
    # savers per plan type (synthetic), savers and plans (national sample)
    "fast": {"per_plan": 1_500, "national": 3_000, "sponsors": 300, "pe_savers": 60},
    "full": {"per_plan": 6_000, "national": 12_000, "sponsors": 1_200, "pe_savers": 200},
}
DEFAULT_RATES = (0.03, 0.06, 0.12)
ENROLLMENT_MONTHS = 48
DEFAULT_FUND_MONTHS = 36
"""Tenure at which auto-enrolled hires' persistence in the default fund is measured (Vanguard: 3 years)."""


def _scenario():  # noqa: ANN202 - cached scenario object
    global _SQ
    try:
        return _SQ
    except NameError:
        _SQ = load_scenario("status-quo")
        return _SQ


def fresh(seed: np.random.SeedSequence) -> np.random.SeedSequence:
    """A new SeedSequence equal to `seed` as built: spawning mutates a SeedSequence, so runs
    meant to share shocks (common random numbers) each get their own copy."""
    return np.random.SeedSequence(seed.entropy, spawn_key=seed.spawn_key)


def _cohort(model: Alt401kModel, months: int) -> npt.NDArray[np.bool_]:
    """Rows still held by the saver who was there at month 0 (never replaced by a new hire)."""
    return model.savers.months_in_plan == months


# ---------------------------------------------------------------------------------------
# §1-2 Enrollment: opt-in, automatic (3/6/12% defaults) and active decision
# ---------------------------------------------------------------------------------------


def enrollment(config: RunConfig, seed: np.random.SeedSequence, size: str) -> dict[str, float]:
    """New-hire panels in five plan types followed for 48 months (status-quo regime).

    Participation curves P(t) of the original hires by tenure t; Madrian & Shea's statistic
    is the mean of P(t) over t = 3..15 months; Carroll et al.'s the 3-month gap between
    active decision and opt-in and the first month at which opt-in reaches active
    decision's 3-month level; the share still at the default rate after 12 months is taken
    over participants hired into automatic-enrollment plans with each default, and the share
    still wholly in the default fund after 36 months (`DEFAULT_FUND_MONTHS`) over the
    participants of all three automatic-enrollment plans (Vanguard's measure of default
    investment persistence; ODD §7.3, `leave_default_prob`).
    """
    n = SIZES[size]["per_plan"]
    plans = [PlanSpec(name="opt_in", savers_per_plan=n, enrollment="opt_in"),
             PlanSpec(name="active_decision", savers_per_plan=n, enrollment="active_decision")]
    plans += [PlanSpec(name=f"auto_{round(100 * d)}", savers_per_plan=n, enrollment="auto", default_rate=d)
              for d in DEFAULT_RATES]
    setting = Setting(plans=tuple(plans))
    cfg = config.model_copy(update={"years": ENROLLMENT_MONTHS // 12})
    model = Alt401kModel(_scenario(), cfg, seed_sequence=seed, setting=setting)
    pop = model.savers
    kind = np.array(model.plan_names)[pop.sponsor]
    curves: dict[str, list[float]] = {k: [] for k in ("opt_in", "active_decision", "auto_3")}
    at_default: dict[float, float] = {}
    in_default_fund = float("nan")
    auto_plan = np.isin(kind, [f"auto_{round(100 * d)}" for d in DEFAULT_RATES])
    for t in range(1, ENROLLMENT_MONTHS + 1):
        model.step()
        stay = _cohort(model, t)
        for k in curves:
            rows = stay & (kind == k)
            curves[k].append(float(pop.is_participating[rows].mean()))
        if t == 12:
            for d in DEFAULT_RATES:
                rows = stay & (kind == f"auto_{round(100 * d)}") & pop.is_participating
                at_default[d] = float(np.mean(np.abs(pop.deferral_rate[rows] - d) < 1e-9))
        if t == DEFAULT_FUND_MONTHS:
            in_default_fund = float(np.mean(pop.style[stay & auto_plan & pop.is_participating] == sv.DEFAULTED))
    oi, ad, auto = (np.array(curves[k]) for k in ("opt_in", "active_decision", "auto_3"))
    reached = np.flatnonzero(oi >= ad[2])
    return {
        "participation_opt_in_3_15": float(oi[2:15].mean()),
        "participation_auto_3_15": float(auto[2:15].mean()),
        "participation_opt_in_12": float(oi[11]),
        "enrolled_3m_opt_in": float(oi[2]),
        "enrolled_3m_active_decision": float(ad[2]),
        "enrolled_3m_auto": float(auto[2]),
        "active_decision_gap_3m": float(ad[2] - oi[2]),
        "active_decision_catch_up_months": float(reached[0] + 1 if reached.size else ENROLLMENT_MONTHS + 1),
        **{f"at_default_12m_{round(100 * d)}pct": v for d, v in at_default.items()},
        "in_default_fund_36m": in_default_fund,
    }


# ---------------------------------------------------------------------------------------
# §3 Inertia and §4 experienced returns: the national sample, followed for 24-36 months
# ---------------------------------------------------------------------------------------


def _national(config: RunConfig, seed: np.random.SeedSequence, size: str, years: int,
              market_path=None) -> Alt401kModel:  # noqa: ANN001
    cfg = config.model_copy(update={"n_savers": SIZES[size]["national"], "n_sponsors": SIZES[size]["sponsors"],
                                    "years": years})
    return Alt401kModel(_scenario(), cfg, seed_sequence=seed, market_path=market_path)


def inertia(config: RunConfig, seed: np.random.SeedSequence, size: str) -> dict[str, float]:
    """Trades of the Q1 2025 participants over 24 months (status-quo regime, random market).

    Only savers present all 24 months count (Mitchell et al. follow a fixed panel). A
    trade is a reallocation by a reviewing active chooser (`trades` counter).
    """
    model = _national(config, seed, size, 2)
    pop = model.savers
    start = pop.months_in_plan.copy()
    snaps = [pop.trades.copy()]
    for t in range(1, 25):
        model.step()
        if t % 3 == 0:
            snaps.append(pop.trades.copy())
    stay = pop.months_in_plan == start + 24
    w = pop.weight[stay] / pop.weight[stay].sum()
    trades = snaps[-1][stay]
    quarters = np.diff(np.stack(snaps), axis=0)[:, stay]
    years = np.stack([snaps[4] - snaps[0], snaps[8] - snaps[4]])[:, stay]
    return {
        "no_trade_24m": float(w @ (trades == 0)),
        "one_trade_24m": float(w @ (trades == 1)),
        "two_to_five_trades_24m": float(w @ ((trades >= 2) & (trades <= 5))),
        "six_plus_trades_24m": float(w @ (trades >= 6)),
        "person_years_no_trade": float(np.mean([w @ (y == 0) for y in years])),
        "quarterly_changers": float(np.mean([w @ (q > 0) for q in quarters])),
    }


def experienced_returns(config: RunConfig, seed: np.random.SeedSequence, size: str) -> dict[str, float]:
    """Change in saving rate over a year regressed on the saver's own return of the year before.

    Synthetic panel: enrolled participants of opt-in plans, $50,000 each in the default
    target-date fund at their preferred deferral rate (so no distance-driven resets), whose
    own returns differ through the glide path by age (savers still wholly in the default fund
    at the end, so that returns are not confounded with attention); 36 months of the status-quo regime
    with random markets. After each December the saver's own return of the closing year
    (`last_year_return`) is paired with the change in its deferral rate over the next 12
    months; two years pooled with year fixed effects; participants present throughout.
    OLS slope and HC1 robust t-statistic.
    """
    n = SIZES[size]["per_plan"]
    setting = Setting(plans=(PlanSpec(name="panel", count=4, savers_per_plan=n, enrollment="opt_in"),),
                      new_hires=False, initial_balance_usd=50_000.0)
    model = Alt401kModel(_scenario(), config.model_copy(update={"years": 3}), seed_sequence=seed, setting=setting)
    pop = model.savers
    pop.age_years[:] = 25.0 + 40.0 * np.random.default_rng(
        np.random.SeedSequence(seed.entropy, spawn_key=(*seed.spawn_key, 99))).random(pop.n)
    ys, xs, yr = [], [], []
    r0 = d0 = np.zeros(pop.n)
    p0 = np.zeros(pop.n, dtype=bool)
    for t in range(1, 37):
        model.step()
        if t in (24, 36):
            # Original panel, enrolled throughout, still wholly in the default fund: their own
            # returns then differ only through the glide path (age), not through choices that
            # also depend on how often they look (attentive savers both trade and adjust more).
            ok = _cohort(model, t) & pop.is_participating & p0 & (pop.style == sv.DEFAULTED)
            ys.append((pop.deferral_rate - d0)[ok])
            xs.append(r0[ok])
            yr.append(np.full(int(ok.sum()), t))
        if t in (12, 24):
            r0, d0, p0 = pop.last_year_return.copy(), pop.deferral_rate.copy(), pop.is_participating.copy()
    y, x, year = np.concatenate(ys), np.concatenate(xs), np.concatenate(yr)
    # Year fixed effects: demean within year.
    for v in np.unique(year):
        m = year == v
        y[m] -= y[m].mean()
        x[m] -= x[m].mean()
    slope, t_stat = ols_slope_t(x, y)
    return {"flow_return_slope": slope, "flow_return_t": t_stat, "own_return_sd": float(x.std())}


def ols_slope_t(x: F64, y: F64) -> tuple[float, float]:
    """Slope of y on demeaned x (no intercept needed) and its HC1 robust t-statistic."""
    sxx = float(x @ x)
    if sxx <= 0 or x.size < 3:
        return 0.0, 0.0
    b = float(x @ y) / sxx
    e = y - b * x
    var = float((x**2) @ (e**2)) / sxx**2 * x.size / (x.size - 1)
    return b, b / np.sqrt(var) if var > 0 else 0.0


# ---------------------------------------------------------------------------------------
# §5 Crypto before 2025
# ---------------------------------------------------------------------------------------


CRYPTO = ASSET_CLASSES.index("crypto")
CRYPTO_ALT = ALTERNATIVES.index("crypto")


def crypto(config: RunConfig, seed: np.random.SeedSequence, size: str) -> dict[str, float]:
    """Crypto under the pre-2025 regime: holdings at t0 and after a year, interest gradients,
    and the fall in interest over the stylised crypto winter (-80% over 12 months) from month 1.
    """
    model = _national(config, seed, size, 2, market_path=stylised("crypto-winter", 1))
    pop = model.savers
    before = model.alt_interest()[:, CRYPTO_ALT]
    w = pop.weight
    age, q = pop.age_years, model.income_quintile(pop.salary_usd_annual)

    def wmean(v: F64, m: npt.NDArray[np.bool_]) -> float:
        return float(w[m] @ v[m] / w[m].sum())

    out = {
        "crypto_interest_60plus_over_30_44": wmean(before, age >= 60) / wmean(before, (age >= 30) & (age < 45)),
        "crypto_interest_income_monotone": float(np.all(np.diff([wmean(before, q == k) for k in range(5)]) > 0)),
    }
    for _ in range(12):
        model.step()
    after = model.alt_interest()[:, CRYPTO_ALT]
    out["crypto_interest_fall_after_crash"] = 1.0 - float(w @ after) / float(w @ before)
    crypto_cols = HOLDING_ASSET == CRYPTO
    held = pop.balance_usd[:, crypto_cols].sum(axis=1)
    out["crypto_participant_share"] = float(w @ (held > 0.005 * np.maximum(pop.total_balance(), 1.0)) / w.sum())
    out["crypto_asset_share"] = float(w @ held / (w @ pop.total_balance()))
    return out


# ---------------------------------------------------------------------------------------
# §6 Private equity inside a default fund
# ---------------------------------------------------------------------------------------


PE_YEARS = 40


def _pe_wealth(config: RunConfig, seed: np.random.SeedSequence, size: str, sleeve: float) -> float:
    """Mean balance after 40 years of savers hired at 25 into an auto-enrollment plan whose
    default fund carries a `sleeve` share of private equity (0 = the plain TDF)."""
    n = SIZES[size]["pe_savers"]
    setting = Setting(plans=(PlanSpec(name="pe", savers_per_plan=n, enrollment="auto", default_rate=0.06),))
    model = Alt401kModel(_scenario(), config, seed_sequence=fresh(seed), setting=setting)
    pop = model.savers
    pop.age_years[:] = 25.0
    pop.retirement_age_years[:] = 66.0
    if sleeve > 0:
        plain = model.book[int(model.plans.default_product[0])]
        product = model.book.add(
            manager_id=plain.manager_id, kind="tdf", fee_annual=plain.fee_annual,
            sleeve={"private_equity": sleeve},
            sleeve_fee_annual={"private_equity": config.manager.sleeve_fee_annual["private_equity"]},
        )
        model.plans.default_product[:] = product.product_id
    for _ in range(12 * PE_YEARS):
        model.step()
    return float(pop.total_balance().mean())


PE_EQUAL = {
    # PE true return = equity month by month (leverage 1, no excess, no idiosyncratic risk),
    # valued at true (de-smoothed) value; the 40-year saver holds only the default fund.
    "market.private_equity.leverage": 1.0,
    "market.private_equity.excess_return_annual": 0.0,
    "market.private_equity.idiosyncratic_volatility_annual": 0.0,
    "market.smoothing.weight_monthly": 0.0,
    "market.smoothing.lag_months": 0,
    "years": PE_YEARS,
    "saver.job_change_prob_annual_young": 0.0,
    "saver.job_change_prob_annual_old": 0.0,
    "saver.hardship_prob_annual": 0.0,
    "saver.auto_enrol_optout_share": 0.0,
    "saver.review_prob_monthly": (0.0, 0.0, 0.0),
}
NO_SLEEVE_FEES = {"manager.sleeve_fee_annual.private_equity": 0.0, "manager.carry_rate": 0.0}


def private_equity(config: RunConfig, seed: np.random.SeedSequence, size: str) -> dict[str, float]:
    """Retirement wealth with a 10% PE sleeve relative to the plain default fund (same shocks).

    (a) PE net return equal to public equity, de-smoothed: before the sleeve's fees, and
    after them (BXPE-like 1.25% + 12.5% carry over a 5% hurdle, the defaults); (b) the
    Georgetown CRI assumption: the sleeve adds 0.22%/yr (PE 2.2%/yr over equity net of fees).
    """
    def cfg(extra: dict) -> RunConfig:
        return with_overrides(config, {**PE_EQUAL, **extra}, "validation:private_equity")

    base = _pe_wealth(cfg(NO_SLEEVE_FEES), seed, size, 0.0)
    equal = _pe_wealth(cfg(NO_SLEEVE_FEES), seed, size, 0.10)
    equal_fees = _pe_wealth(cfg({}), seed, size, 0.10)
    plus = _pe_wealth(cfg({**NO_SLEEVE_FEES, "market.private_equity.excess_return_annual": 0.022}), seed, size, 0.10)
    return {
        "pe_equal_before_fees": equal / base - 1.0,
        "pe_equal_after_fees": equal_fees / base - 1.0,
        "pe_plus_22bp": plus / base - 1.0,
    }


# ---------------------------------------------------------------------------------------
# §6-7 The market at the start (Q1 2025)
# ---------------------------------------------------------------------------------------


def market_t0(config: RunConfig, seed: np.random.SeedSequence, size: str) -> dict[str, float]:
    """The initial state, weighted to national totals (no month is simulated)."""
    from ...agents.plan_kernels import offers_any_alternative

    cfg = config.model_copy(update={"n_savers": 4 * SIZES[size]["national"], "n_sponsors": SIZES[size]["sponsors"] * 4})
    model = Alt401kModel(_scenario(), cfg, seed_sequence=seed)
    pop, plans = model.savers, model.plans
    w, bal = pop.weight, pop.total_balance()
    cls = plans.size_class[pop.sponsor]
    pw = plans.weight
    held, enrolled = bal > 0, pop.is_participating
    return {
        "assets_usd": float(w @ bal),
        "participants": float(w.sum()),
        "plans": float(pw.sum()),
        "plan_share_under_100": float(pw[plans.size_class == 0].sum() / pw.sum()),
        "participant_share_under_100": float(w[cls == 0].sum() / w.sum()),
        "asset_share_under_100": float(w[cls == 0] @ bal[cls == 0] / (w @ bal)),
        "participant_share_over_10k": float(w[cls == 3].sum() / w.sum()),
        "asset_share_over_10k": float(w[cls == 3] @ bal[cls == 3] / (w @ bal)),
        # Vanguard's balances are per account and its deferral rate per participant: eligible
        # employees who never enrolled (no account, ODD §5) are left out of these three.
        "mean_balance_usd": float(w[held] @ bal[held] / w[held].sum()),
        "median_balance_usd": weighted_median(bal[held], w[held]),
        "mean_deferral": float(w[enrolled] @ pop.deferral_rate[enrolled] / w[enrolled].sum()),
        "plans_auto_enrolling": float(pw[plans.auto_enroll].sum() / pw.sum()),
        "sponsors_offering_alts_t0": float(pw @ offers_any_alternative(plans, model.plain_tdf_products()) / pw.sum()),
    }


FLOW_START_YEAR = 2019
"""First of the five plan years (2019-2023) the in-sample flow targets average (Form 5500)."""
LOANS_YEAR, LOAN_HOLDERS_YEAR = 2019, 2022
"""Years of the loan targets: DOL's 2019 loans over assets, EBRI/ICI's year-end 2022 share."""


def flows(config: RunConfig, seed: np.random.SeedSequence, size: str) -> dict[str, float]:
    """The five plan years of the in-sample flow targets themselves, 2019-2023: from January
    2019 (that month's market, ODD §5.1) under the status quo with the realised returns
    (`model.history`), employee and employer contributions (and the employer's share of
    them), rollovers in and benefits paid (hardship, cash-outs, rollovers out, retirement,
    death, loan offsets), each measured as Form 5500's are (`share_of_year_end_assets`);
    loans outstanding over assets at the end of 2019 (DOL's year) and the share of
    participants with a loan at the end of 2022 (EBRI/ICI's year). The same period, market
    and auto-enrolment as the data, so that the fitted rules carry no trace of a market or a
    policy state the data did not see (ODD §7.12; in-sample targets)."""
    import datetime as dt

    from ...model.history import historical_path

    start = dt.date(FLOW_START_YEAR, 1, 1)
    cfg = config.model_copy(update={"n_savers": 4 * SIZES[size]["national"], "n_sponsors": 1_200, "years": 5,
                                    "start": start})
    model = Alt401kModel(_scenario(), cfg, seed_sequence=seed,
                         market_path=historical_path(start, cfg.market.equity_intl_share))
    pop = model.savers
    holders_month = 12 * (LOAN_HOLDERS_YEAR - FLOW_START_YEAR + 1)  # the state at that year's end
    for month in range(1, cfg.n_months + 1):
        model.step()
        if month == holders_month:
            enrolled = pop.is_participating
            with_loan = float(np.average(pop.loan_usd[enrolled] > 0, weights=pop.weight[enrolled]))
    t = model.recorder.series_table().to_pandas()
    contributions = t["contributions_usd"] + t["employer_usd"]
    loans_year_end = t.loc[t["month"] == 12 * (LOANS_YEAR - FLOW_START_YEAR + 1)].iloc[0]
    return {
        "contributions_share_of_assets": share_of_year_end_assets(t, contributions),
        "employer_share_of_contributions": float(t["employer_usd"].iloc[1:].sum() / contributions.iloc[1:].sum()),
        "benefits_share_of_assets": share_of_year_end_assets(t, t[list(BENEFIT_FLOWS)].sum(axis=1)),
        "rollovers_in_share_of_assets": share_of_year_end_assets(t, t["rollovers_in_usd"]),
        "loans_share_of_assets": float(loans_year_end["loans_usd"] / loans_year_end["assets_usd"]),
        "share_with_loan": with_loan,
    }


def share_of_year_end_assets(series: pd.DataFrame, flow: pd.Series) -> float:
    """Mean over a run's whole years of each year's `flow` (a column of its monthly series)
    over the assets at that year's end: the ratio DOL Form 5500's tables give, a plan year's
    income-statement flow over its end-of-year assets (Table E19; the targets are means of it
    over 2019-2023). Year k's flows are its twelve steps (`steps_of_year`) and its year-end
    state is row 12(k+1). On Form 5500's own 2019-2023 data the same flows over the year's
    mean assets read about 3.7% higher: measured as the data are, not on the mean."""
    years = int(series["month"].max()) // 12
    shares = [flow.loc[steps_of_year(series, 0, k).index].sum()
              / float(series.loc[series["month"] == 12 * (k + 1), "assets_usd"].iloc[0]) for k in range(years)]
    return float(np.mean(shares))


def flows_by_size(config: RunConfig, seed: np.random.SeedSequence, size: str) -> dict[str, float]:
    """Five status-quo years from t0: inflows (employee and employer contributions, rollovers
    in) and benefits paid a year as shares of assets, at plans of fewer than 100 participants
    against plans of 100 or more, and the ratio of the two (out of sample: nothing in the
    model is fitted by plan size; ODD §7.11). Assets by class from the savers' rows each
    month (holdings and loans)."""
    from ...base.strata import SIZE_CLASSES

    cfg = config.model_copy(update={"n_savers": 4 * SIZES[size]["national"], "n_sponsors": 1_200, "years": 5})
    model = Alt401kModel(_scenario(), cfg, seed_sequence=seed)
    pop, k = model.savers, len(SIZE_CLASSES)
    assets, inflows, benefits = np.zeros(k), np.zeros(k), np.zeros(k)
    for _ in range(cfg.n_months):
        model.step()
        held = pop.balance_usd.sum(axis=1) + pop.loan_usd
        assets += np.bincount(model.plans.size_class[pop.sponsor], weights=pop.weight * held, minlength=k)
        inflows += model.flows.inflows_by_size
        benefits += model.flows.benefits_by_size
    out = {}
    for what, flow in (("inflows", inflows), ("benefits", benefits)):
        small, large = flow[0] / assets[0], flow[1:].sum() / assets[1:].sum()
        out[f"{what}_share_small_plans"] = 12.0 * small
        out[f"{what}_share_large_plans"] = 12.0 * large
        out[f"{what}_small_to_large"] = small / large
    return out


def ageing(config: RunConfig, seed: np.random.SeedSequence, size: str) -> dict[str, float]:
    """Ten status-quo years from t0: the change of the participants' mean age (weighted), in
    years. The labour force ages slowly (BLS: median age 41.9 in 2014, 42.4 projected for
    2024); how old new hires are decides whether the model's participants do too (ODD §7.6,
    entry; in-sample target for `saver.hire_stock_age_share`)."""
    cfg = config.model_copy(update={"n_savers": 4 * SIZES[size]["national"], "n_sponsors": 1_200, "years": 10})
    model = Alt401kModel(_scenario(), cfg, seed_sequence=seed)
    pop = model.savers
    before = float(np.average(pop.age_years, weights=pop.weight))
    model.run()
    return {"participant_age_drift_years": float(np.average(pop.age_years, weights=pop.weight)) - before}


BENEFIT_FLOWS = ("hardship_usd", "cash_outs_usd", "rollovers_out_usd", "retirement_usd", "death_benefits_usd",
                 "loan_offsets_usd")
"""Outflows the model pays out of accounts that Form 5500 counts as benefits paid (ODD §7.12)."""

BACKCAST_SCALE = 4
"""Savers and plans of the back-cast, a multiple of the `flows` experiment's (48,000 savers
and 1,200 plans at full size): each year's benefits are the departures of a few large
balances and the terminations of a few plans, whose sampling noise in one replication of
the smaller sample (a standard deviation of 3-8% a year) made its largest yearly gap mostly
noise; four times the sample halves it."""

BACKCAST_YEARS = range(2016, 2024)
"""Plan years of the back-cast's Form 5500 comparisons: from its start to the last year of
DOL's data (2023)."""
BACKCAST_THROUGH = dt.date(2025, 9, 30)
"""The back-cast's last date of comparison: the end of the last month with realised returns
of every class (cash's data end, `model/data/historical_returns.csv`)."""
BACKCAST_RUN_YEARS = 10
"""Length of the back-cast run, January 2016 to January 2026, past `BACKCAST_THROUGH`."""


def backcast_key(day: dt.date) -> str:
    """How a back-cast gap at `day` is named: the year for a year-end (``2022``), else the
    year and quarter (``2024q2``)."""
    return f"{day.year}" if (day.month, day.day) == (12, 31) else f"{day.year}q{(day.month - 1) // 3 + 1}"


def state_after(series: pd.DataFrame, day: dt.date) -> pd.Series:
    """The row of a run's monthly series that holds the state at the end of `day`, the last
    day of a month: a row is the state at the start of its month (`model.dictionary`), so
    the end of June is the row dated July."""
    month = (day + dt.timedelta(days=1)).strftime("%Y-%m")
    return series.loc[series["date"] == month].iloc[-1]


def steps_of_year(series: pd.DataFrame, start_year: int, year: int) -> pd.DataFrame:
    """The rows of a run's monthly series (`month` column) that carry the flows of calendar
    `year`, for a run starting in January of `start_year`. A row holds the state at the start
    of its month with the flows of the step before it (`model.dictionary`: January's step is
    dated February), so year y's flows are the steps 12k+1 ... 12k+12, k = y - start_year,
    and the initial row (month 0) carries none."""
    step = series["month"]
    return series.loc[(step >= 1) & ((step - 1) // 12 == year - start_year)]


def backcast(config: RunConfig, seed: np.random.SeedSequence, size: str) -> dict[str, float]:
    """From January 2016 (the end-2015 market of DOL Form 5500) under the status quo with the
    realised returns of equity, bonds, cash and gold (`model.history`): 401(k) assets against
    ICI's, as first released, at each date ICI published from 2016 to September 2025 (year-
    ends to 2022, then the quarter-ends found; `model/data/ici_401k_assets.csv`) and against
    DOL Form 5500's plan-year-end assets; each calendar year's employee and employer
    contributions and benefits paid against Form 5500's; year-end participants against its
    active participants; Form 5500 for 2016-2023. Each date's relative gap and the largest.
    Out of sample: the flow rules were fitted on shares of assets of a 2019-2023 run
    (`flows`), not on these dollar amounts; participants follow Form 5500's count by
    construction (`history.workforce_path`), so their gap checks the hiring and separation
    bookkeeping, not a behaviour."""
    from ...model.history import dated, historical_path, participant_scale, yearly

    start = dt.date(2016, 1, 1)
    cfg = config.model_copy(update={"n_savers": 4 * BACKCAST_SCALE * SIZES[size]["national"],
                                    "n_sponsors": BACKCAST_SCALE * 1_200, "years": BACKCAST_RUN_YEARS,
                                    "start": start})
    model = Alt401kModel(_scenario(), cfg, seed_sequence=seed, market_path=historical_path(start, cfg.market.equity_intl_share))
    model.run()
    t = model.recorder.series_table().to_pandas()
    ici = {d: v for d, v in dated("ici_401k_assets.csv", "assets_usd").items() if start <= d <= BACKCAST_THROUGH}
    in_year = {y: steps_of_year(t, start.year, y) for y in BACKCAST_YEARS}
    dol_year_end = {dt.date(y, 12, 31): v for y, v in yearly("dc_flows.csv", "assets_usd").items() if y in BACKCAST_YEARS}
    modelled = {
        ("assets", "ici"): ({d: float(state_after(t, d)["assets_usd"]) for d in ici}, ici),
        ("assets", "dol"): ({d: float(state_after(t, d)["assets_usd"]) for d in dol_year_end}, dol_year_end),
        ("contributions", "dol"): ({y: float((f["contributions_usd"] + f["employer_usd"]).sum()) for y, f in in_year.items()},
                                   {y: yearly("dc_flows.csv", "employer_contributions_usd")[y]
                                    + yearly("dc_flows.csv", "participant_contributions_usd")[y]
                                    for y in BACKCAST_YEARS}),
        ("benefits", "dol"): ({y: float(f[list(BENEFIT_FLOWS)].to_numpy().sum()) for y, f in in_year.items()},
                              yearly("dc_flows.csv", "benefits_usd")),
        # The model counts ICI's participants, a fixed share of Form 5500's (`participant_scale`).
        ("participants", "dol"): ({y: float(state_after(t, dt.date(y, 12, 31))["participants"]) / participant_scale(cfg)
                                   for y in BACKCAST_YEARS},
                                  yearly("dc_flows.csv", "active_participants")),
    }
    out = {}
    for (what, source), (model_values, observed) in modelled.items():
        gaps = {backcast_key(k) if isinstance(k, dt.date) else str(k): v / observed[k] - 1.0
                for k, v in model_values.items() if k in observed}
        stem = "backcast" if what == "assets" else f"backcast_{what}"
        out[f"{stem}_max_abs_gap_{source}"] = max(abs(g) for g in gaps.values())
        out.update({f"{stem}_gap_{source}_{k}": g for k, g in gaps.items()})
    return out


AE_YEARS = (2006, 2008, 2013)
"""Year-ends of Vanguard's auto-enrollment shares the sponsor rule is fitted to (in-sample)."""


def auto_enrolling_shares(config: RunConfig, seed: np.random.SeedSequence, size: str,
                          years: tuple[int, ...]) -> dict[str, float]:
    """From January 2005 (that month's market, ODD §5.1) under `hist-ppa-2006`, the share of
    plans auto-enrolling at the end of each of `years` (plan-weighted, national; ODD §7.8).
    Plans decide alone here, so savers are few and plans many."""
    import datetime as dt

    from ...model.policy import load_scenario

    cfg = config.model_copy(update={"n_savers": 2_000, "n_sponsors": 4 * SIZES[size]["sponsors"],
                                    "years": max(years) + 1 - 2005, "start": dt.date(2005, 1, 1)})
    model = Alt401kModel(load_scenario("hist-ppa-2006"), cfg, seed_sequence=seed)
    model.run()
    t = model.recorder.series_table().to_pandas().set_index("date")
    return {f"auto_enrolling_share_{y}": float(t.loc[f"{y + 1}-01", "share_plans_auto_enrolling"]) for y in years}


def auto_enrollment(config: RunConfig, seed: np.random.SeedSequence, size: str) -> dict[str, float]:
    """The in-sample years of the auto-enrollment fit (`AE_YEARS`)."""
    return auto_enrolling_shares(config, seed, size, AE_YEARS)


def auto_enrollment_2024(config: RunConfig, seed: np.random.SeedSequence, size: str) -> dict[str, float]:
    """The share at the end of 2024 from the same start: out of sample (not fitted)."""
    return auto_enrolling_shares(config, seed, size, (2024,))


ALTS_2023 = 0.022
"""Share of sponsors offering alternative investments in 2023 (PLANSPONSOR 2025 Recordkeeping
Survey: 2.2%, against 3.9% in 2024): the state the 2024 run starts from."""


def alternatives_2024(config: RunConfig, seed: np.random.SeedSequence, size: str) -> dict[str, float]:
    """From January 2024 under `status-quo` (the 2024 regime; the recordkeepers' platforms
    of that date), with `ALTS_2023` of plans offering an alternative, the share offering
    one at the end of 2024: 2.2% plus the simulated change over the year (plan-weighted,
    national; ODD §7.8). The change, not the level, is read so that the luck of which
    sampled plans are seeded at the start does not enter. In-sample: the target the
    adoption intercept is fitted to (experiments/calibrate.py, `--problem alternatives`)."""
    import datetime as dt

    from ...agents.plan_kernels import offers_any_alternative

    cfg = config.model_copy(update={
        "n_savers": 2_000, "n_sponsors": 4 * SIZES[size]["sponsors"], "years": 1, "start": dt.date(2024, 1, 1),
        "initial": config.initial.model_copy(update={"alt_offering_share": ALTS_2023}),
    })
    model = Alt401kModel(_scenario(), cfg, seed_sequence=seed)

    def share() -> float:
        w = model.plans.weight
        return float(w @ offers_any_alternative(model.plans, model.plain_tdf_products()) / w.sum())

    start = share()
    model.run()
    return {"sponsors_offering_alts_2024": ALTS_2023 + share() - start}


EXPERIMENTS: dict[str, Experiment] = {
    "enrollment": enrollment,
    "inertia": inertia,
    "experienced_returns": experienced_returns,
    "crypto": crypto,
    "private_equity": private_equity,
    "market_t0": market_t0,
    "flows": flows,
    "backcast": backcast,
    "ageing": ageing,
    "flows_by_size": flows_by_size,
    "auto_enrollment": auto_enrollment,
    "auto_enrollment_2024": auto_enrollment_2024,
    "alternatives_2024": alternatives_2024,
}
