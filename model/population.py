"""The initial saver population (Q1 2025) and new hires.

ODD §5 (initialisation) and §7 (entry). Savers are drawn by size class in proportion to
the class's participants (so the sample is self-weighting within a class), attached to a
sampled plan of that class with probability proportional to its size, and their balances
are scaled so that weighted totals hit ICI's $8.7T with the class shares of EBRI 2020.
"""

from __future__ import annotations

import functools

import numpy as np
import numpy.typing as npt

from ..agents.savers import (
    ACTIVE,
    DEFAULTED,
    N_OPTIONS,
    WINDOW,
    WINDOW_EQUITY_OPTION,
    SaverPopulation,
    pay_profile,
)
from ..agents.sponsors import PlanTable
from ..base.assets import N_HOLDINGS
from ..base.strata import SIZE_CLASSES
from .config import RunConfig
from .weighted import stable_argsort, weighted_median

F64 = npt.NDArray[np.float64]

AGE_BANDS = np.array([20.0, 30.0, 40.0, 50.0, 60.0, 70.0])
AGE_BAND_SHARES = np.array([0.18, 0.22, 0.23, 0.26, 0.11])
"""EBRI/ICI YE 2022: 40% of participants in their 20s or 30s, 23% in their 40s; the rest
split 50s/60s as in YE 2014 (26% / 11%)."""

SALARY_LOG_SD = 0.6
"""Spread of participants' log pay (assumption); the level is `initial.salary_median_usd`."""


MORTALITY_AGES = np.array([20.0, 30.0, 40.0, 50.0, 60.0, 70.0])
MORTALITY_ANNUAL = np.array([0.0010, 0.0017, 0.0026, 0.0049, 0.0106, 0.0214])
"""Probability of dying within a year at exact ages 20-70: the mean of the male and female
q(x) of the Social Security Administration's period life table for 2021 (Office of the
Chief Actuary, Actuarial Life Table), rounded to two figures; geometric between the ages,
the end values beyond them (ODD §7.6, deaths)."""


def monthly_mortality(age_years: F64) -> F64:
    """Monthly probability of dying at each age (`MORTALITY_ANNUAL`, a twelfth-root step)."""
    annual = np.exp(np.interp(age_years, MORTALITY_AGES, np.log(MORTALITY_ANNUAL)))
    return 1.0 - (1.0 - annual) ** (1.0 / 12.0)


def draw_deaths(age_years: F64, rng: np.random.Generator) -> npt.NDArray[np.intp]:
    """Rows of the savers who die this month, ascending (ODD §7.6, deaths).

    Thinning, so that the month costs the deaths and not the rows: candidates are drawn at
    the highest monthly rate (any row equally likely), then each is kept with its own age's
    rate over that bound. Uses only the mortality stream and ages, which no policy changes,
    so every scenario of a seed loses the same savers (common random numbers).
    """
    n = age_years.shape[0]
    bound = float(monthly_mortality(np.array([MORTALITY_AGES[-1]]))[0])
    candidates = np.unique(rng.integers(0, n, rng.binomial(n, bound)))
    keep = rng.random(candidates.size) < monthly_mortality(age_years[candidates]) / bound
    return candidates[keep]


def not_yet_retired(age_years: F64, retirement_age_min: float, retirement_age_max: float) -> F64:
    """Share of a cohort still at work at each age under the planned-retirement rule
    (`draw_retirement_age`: planned ages uniform between the bounds): 1 before the lower
    bound, falling linearly to 0 at the upper one (ODD §7.6, retirement)."""
    if retirement_age_max <= retirement_age_min:
        return (age_years < retirement_age_min).astype(np.float64)
    return np.clip((retirement_age_max - age_years) / (retirement_age_max - retirement_age_min), 0.0, 1.0)


AGE_GRID_STEP = 1.0 / 120.0
"""Step (years) of the grid on which a band's age distribution is inverted (`draw_ages`)."""


def draw_ages(n: int, rng: np.random.Generator, retirement_age_min: float, retirement_age_max: float) -> F64:
    """Ages of current participants (ODD §5.1, savers): the band shares of `AGE_BAND_SHARES`
    (EBRI/ICI); within a band, the density follows the share of each age not yet retired
    (`not_yet_retired`), so the band of the sixties holds ages below the planned retirement
    ages only, thinning out as they pass (uniform where nobody has retired yet). This is
    the stationary profile of the model's own retirement rule: no wave of retirements of
    participants already past their planned age in a run's first years, and the density
    just above 60 (about 2.4% of participants per year of age with the default bounds)
    meets the fifties' 2.6%. A band wholly past the upper bound stays uniform (its savers
    retire in their first month)."""
    band = rng.choice(len(AGE_BAND_SHARES), n, p=AGE_BAND_SHARES)
    u = rng.random(n)
    age = np.empty(n)
    for b, (grid, cdf) in enumerate(band_age_cdfs(retirement_age_min, retirement_age_max)):
        rows = band == b
        age[rows] = np.interp(u[rows] * cdf[-1], cdf, grid)
    return age


@functools.cache
def band_age_cdfs(retirement_age_min: float, retirement_age_max: float) -> tuple[tuple[F64, F64], ...]:
    """Each age band's grid of ages and the unnormalised cumulative density on it
    (trapezoids of `not_yet_retired`; uniform for a band wholly past the upper bound), which
    `draw_ages` inverts. The same for every draw with the same bounds, so computed once."""
    out = []
    for b in range(len(AGE_BAND_SHARES)):
        grid = np.arange(AGE_BANDS[b], AGE_BANDS[b + 1] + AGE_GRID_STEP / 2, AGE_GRID_STEP)
        density = not_yet_retired(grid, retirement_age_min, retirement_age_max)
        if density.max() <= 0.0:
            density = np.ones_like(grid)
        out.append((grid, np.concatenate(([0.0], np.cumsum((density[1:] + density[:-1]) / 2.0)))))
    return tuple(out)


def draw_salaries(age_years: F64, rng: np.random.Generator, median_usd: float) -> F64:
    """Annual pay (t0 dollars): lognormal around the age profile (`pay_profile`), equal to
    `median_usd` at 43 (`InitialState.salary_median_usd`, fitted; ODD §5)."""
    return median_usd * pay_profile(age_years) * np.exp(SALARY_LOG_SD * rng.standard_normal(age_years.shape[0]))


def preferred_deferral(age_years: F64, cfg: RunConfig, rng: np.random.Generator) -> F64:
    """Deferral rate each saver would choose, rising with age (HAS 2025: 5.5% <25 to 10.1% 65+)."""
    s = cfg.saver
    tilt = np.interp(age_years, [22.0, 65.0], [-0.022, 0.024])
    raw = s.preferred_deferral_mean + tilt + s.preferred_deferral_sd * rng.standard_normal(age_years.shape[0])
    return np.clip(raw, 0.01, 0.30)


def assign_sponsors(n_savers: int, plans: PlanTable, cfg: RunConfig, rng: np.random.Generator) -> tuple[npt.NDArray[np.int32], F64]:
    """Plan of each saver and the saver weights.

    Savers per class follow the class's share of participants; within a class a saver
    joins a plan with probability proportional to its size. Weight = class participants /
    savers sampled in the class, so weights sum to the national participant count. The
    draws are sorted, so a class's rows come in plan order (memory locality for the
    per-plan lookups and totals of the monthly passes; ODD §2).
    """
    share = np.asarray(cfg.initial.participant_share_by_class)
    per_class = np.floor(share * n_savers).astype(int)
    per_class[np.argmax(share)] += n_savers - per_class.sum()
    sponsor = np.empty(n_savers, dtype=np.int32)
    weight = np.empty(n_savers)
    start = 0
    for c in range(len(SIZE_CLASSES)):
        rows = np.flatnonzero(plans.size_class == c)
        size = plans.participants[rows].astype(float)
        k = per_class[c]
        sponsor[start : start + k] = np.sort(rng.choice(rows, k, p=size / size.sum()))
        weight[start : start + k] = share[c] * cfg.initial.participants / k
        start += k
    return sponsor, weight


def lognormal_sigma_for_ratio(ratio: float) -> float:
    """Log-sd of a lognormal whose mean / median equals `ratio` (mean/median = exp(s^2/2))."""
    return float(np.sqrt(2.0 * np.log(ratio)))


def draw_balances(age_years: F64, salary: F64, tenure: F64, sponsor_class: npt.NDArray[np.int8],
                  weight: F64, cfg: RunConfig, rng: np.random.Generator,
                  has_account: npt.NDArray[np.bool_] | None = None) -> F64:
    """Account balances scaled to the national total and the class asset shares.

    Log-balance = log(pay x tenure) + noise. The noise's spread is set so that the
    mean/median ratio matches Vanguard HAS 2025 (3.88), after allowing for the spread that
    pay and tenure already bring; then each size class is scaled to its asset share of
    $8.7T (ICI Q1 2025; EBRI 2020 shares). Rows without an account (`has_account` False:
    eligible employees not enrolled) hold nothing; the ratio is over accounts.
    """
    base = np.log(salary * np.maximum(tenure, 0.25) * 0.12)
    z = rng.standard_normal(age_years.shape[0])
    target = cfg.initial.mean_to_median_balance
    # Bisection on the noise sd (the ratio rises with it), on a systematic sample of at most
    # 200k savers spread evenly over the rows (which are ordered by size class), so that
    # 1:1-scale runs stay fast; below 200k savers the sample is everyone.
    holders = np.flatnonzero(has_account) if has_account is not None else np.arange(age_years.shape[0])
    pick = holders[np.unique(np.linspace(0, holders.size - 1, min(holders.size, 200_000)).astype(np.intp))]
    sub_base, sub_z, sub_w = base[pick], z[pick], weight[pick]
    lo, hi = 0.0, 3.0
    for _ in range(40):
        mid = 0.5 * (lo + hi)
        b = np.exp(sub_base + mid * sub_z)
        ratio = weighted_mean(b, sub_w) / weighted_median(b, sub_w)
        lo, hi = (mid, hi) if ratio < target else (lo, mid)
    balance = np.exp(base + 0.5 * (lo + hi) * z)
    if has_account is not None:
        balance[~has_account] = 0.0
    for c, share in enumerate(cfg.initial.asset_share_by_class):
        rows = sponsor_class == c
        balance[rows] *= share * cfg.initial.assets_usd / np.sum(balance[rows] * weight[rows])
    return balance


def weighted_mean(x: F64, w: F64) -> float:
    """Weighted mean."""
    return float(np.sum(x * w) / np.sum(w))


def initial_population(
    plans: PlanTable, cfg: RunConfig, rng: np.random.Generator
) -> tuple[SaverPopulation, F64]:
    """Draw the Q1 2025 saver population attached to `plans`.

    Holdings: defaulted savers hold only the default fund; active choosers spread over the
    core menu, a share `active_tdf_user_share` of them also holding the TDF; window users
    hold 30% in the window. The TDF share of active users is solved so that the default
    fund holds `default_fund_asset_share` of all assets (EBRI/ICI 2022: 38%). Returns the
    population with empty holdings and each saver's account total, which the model invests
    once the default funds' compositions are known.
    """
    n = cfg.n_savers
    s = cfg.saver
    sponsor, weight = assign_sponsors(n, plans, cfg, rng)
    age = draw_ages(n, rng, s.retirement_age_min, s.retirement_age_max)
    salary = draw_salaries(age, rng, cfg.initial.salary_median_usd)
    tenure = np.minimum(age - 20.0, rng.exponential(7.0, n))
    cls = plans.size_class[sponsor]
    enrolled = rng.random(n) < np.where(plans.auto_enroll[sponsor], cfg.initial.participation_rate_auto,
                                        cfg.initial.participation_rate_voluntary)
    balance_total = draw_balances(age, salary, tenure, cls, weight, cfg, rng, enrolled)
    # Styles: smaller, newer accounts are more often defaulted (EBRI/ICI 2022: 74% of
    # <=2-year tenure hold TDFs vs 42% of >30 years); window users only where offered.
    order = stable_argsort(balance_total)
    rank = np.empty(n, dtype=np.intp)
    rank[order] = np.arange(n)  # the inverse permutation: argsort(order, kind="stable")
    rank = rank / max(n - 1, 1)
    del order
    p_default = np.clip(s.style_shares[0] * (1.6 - 1.2 * rank), 0.0, 1.0)
    u = rng.random(n)
    style = np.where(u < p_default, DEFAULTED, ACTIVE).astype(np.int8)
    window_ok = plans.offers_window[sponsor] & (style == ACTIVE)
    style[window_ok & (rng.random(n) < s.style_shares[2] / max(1e-9, np.mean(window_ok)))] = WINDOW
    del rank, p_default, u, window_ok  # temporaries are freed as soon as used (peak memory)
    allocation = np.zeros((n, N_OPTIONS))
    allocation[style == DEFAULTED, 0] = 1.0
    risk = rng.beta(2.0, 2.0, n)
    equity = np.clip(0.45 + 0.5 * risk - 0.006 * (age - 40.0), 0.05, 0.95)
    cash = 0.15 * (1.0 - risk)
    bonds = np.clip(1.0 - equity - cash, 0.0, 1.0)
    core = np.stack([equity, bonds, cash], axis=1)
    core /= core.sum(axis=1, keepdims=True)
    tdf_user = (style != DEFAULTED) & (rng.random(n) < s.active_tdf_user_share)
    tdf_share = solve_active_tdf_share(balance_total, weight, style, tdf_user, s.default_fund_asset_share)
    df_part = np.where(style == DEFAULTED, 1.0, np.where(tdf_user, tdf_share, 0.0))
    window_part = np.where(style == WINDOW, 0.3, 0.0)
    core_part = 1.0 - df_part - window_part
    allocation[:, 0] = np.where(style == DEFAULTED, 1.0, df_part)
    allocation[:, 1:4] = core * core_part[:, None]
    allocation[:, WINDOW_EQUITY_OPTION] = window_part
    del equity, cash, bonds, core, tdf_user, df_part, window_part, core_part, cls
    pref = preferred_deferral(age, cfg, rng)
    auto = plans.auto_enroll[sponsor] & (rng.random(n) < cfg.initial.auto_enrolled_share_at_ae_plans) & enrolled
    at_default = auto & (rng.random(n) < cfg.initial.at_default_share_of_auto_enrolled)
    deferral = np.where(enrolled, np.where(at_default, plans.default_rate[sponsor], pref), 0.0)
    attention_class = rng.choice(3, n, p=np.asarray(s.attention_class_shares))
    return SaverPopulation(
        sponsor=sponsor,
        weight=weight,
        age_years=age,
        retirement_age_years=draw_retirement_age(age, cfg, rng),
        salary_usd_annual=salary,
        tenure_years=tenure,
        balance_usd=np.zeros((n, N_HOLDINGS)),
        allocation=allocation,
        deferral_rate=deferral,
        preferred_deferral_rate=pref,
        is_participating=enrolled,
        is_contributing=np.ones(n, dtype=bool),
        is_auto_enrolled=auto,
        style=style,
        risk_tolerance=risk,
        literacy=np.clip(rng.beta(2.0, 2.0, n) + 0.1 * np.log(salary / cfg.initial.salary_median_usd), 0, 1),
        review_prob_monthly=np.asarray(s.review_prob_monthly)[attention_class],
        return_sensitivity=rng.lognormal(0.0, 0.5, n),
        peer_sensitivity=rng.lognormal(0.0, 0.5, n),
        months_in_plan=(12 * tenure).astype(np.int32),
        trades=np.zeros(n, dtype=np.int32),
        year_growth=np.ones(n),
        last_year_return=np.full(n, 0.137),  # HAS 2025: 13.7% average return in 2024
        worst_year_return=np.zeros(n),
    ), balance_total


def solve_active_tdf_share(balance: F64, weight: F64, style: npt.NDArray[np.int8], tdf_user: npt.NDArray[np.bool_],
                           target_share: float) -> float:
    """TDF share g of active TDF users' accounts giving the default fund `target_share` of assets.

    Solves  sum_defaulted(w b) + g sum_users(w b) = target x sum_all(w b)  for g in [0, 1].
    """
    wb = weight * balance
    need = target_share * wb.sum() - wb[style == DEFAULTED].sum()
    users = wb[tdf_user].sum()
    return float(np.clip(need / users, 0.0, 1.0)) if users > 0 else 0.0


def draw_retirement_age(age_years: F64, cfg: RunConfig, rng: np.random.Generator) -> F64:
    """Planned retirement age (ODD §7.6, retirement): uniform between the configured bounds
    for a cohort, so for a saver of a given age still at work, uniform between the later of
    its age and the lower bound, and the upper bound (the cohort's planned ages conditional
    on not having retired yet; `draw_ages` gives the matching age profile). A saver already
    at or past the upper bound retires in its first month."""
    lo, hi = cfg.saver.retirement_age_min, cfg.saver.retirement_age_max
    floor = np.maximum(age_years, lo)
    planned = floor + (hi - floor) * rng.random(age_years.shape[0])
    return np.maximum(planned, age_years + 1.0 / 12.0 * (age_years >= hi))


_DEFAULT_FUND_ONLY = np.eye(1, N_OPTIONS)[0]
"""A new hire's allocation: everything in the default fund."""


def close_loans(pop: SaverPopulation, rows: npt.NDArray[np.intp]) -> float:
    """Offset the loans of the savers in `rows`, who leave their plan: the outstanding
    principal is distributed (a loan offset, part of benefits paid; ODD §7.6, loans) and
    the loan closed. Returns the national (weighted) USD offset."""
    offset = float(pop.weight[rows] @ pop.loan_usd[rows])
    pop.loan_usd[rows] = 0.0
    pop.loan_payment_usd[rows] = 0.0
    return offset


def hire_inplace(pop: SaverPopulation, rows: npt.NDArray[np.intp], plans: PlanTable, cfg: RunConfig,
                 rng: np.random.Generator, wage_index: float, empty_accounts: bool = True,
                 weight: float | None = None, stock_ages: bool = False) -> F64:
    """Turn the rows of leavers into new hires at the same plans; return rolled-in USD.

    `weight`, when given, is the number of workers each new hire stands for
    (`Alt401kModel.hire_weight`: the rows follow the covered workforce, ODD §7.12).
    `stock_ages`: every hire takes an age from the participants' distribution (the
    workforce of a newly formed plan, who were employed before it was set up; ODD §7.12).

    ODD §7.6, entry. A share `hire_stock_age_share` of new hires take an age from the
    participants' t0 distribution (`draw_ages`), the others are 22-45, skewed young (both
    ages are drawn for every hire, so the stream's use does not depend on the share). They
    are paid like the stock at today's wage level, enrolled automatically where the plan auto-enrolls (a share
    `auto_enrol_optout_share` opts out; HAS 2025: 94% participate) and otherwise left to opt
    in over time. A share `roll_in_prob` brings a prior balance into the default fund.
    `rng` must be a stream whose use depends only on exogenous events (the number of
    leavers), so that scenarios share it (common random numbers). The rows' accounts are
    emptied unless `empty_accounts` is False (for a caller that writes every holding of
    them next, `agents.rule_kernels.open_new_accounts`).
    """
    k = rows.size
    s = cfg.saver
    sp = pop.sponsor[rows]
    young = 22.0 + 23.0 * rng.random(k) ** 1.5
    age = np.where(stock_ages | (rng.random(k) < s.hire_stock_age_share), draw_ages(k, rng, s.retirement_age_min, s.retirement_age_max), young)
    auto = plans.auto_enroll[sp]
    opt_out = rng.random(k) < s.auto_enrol_optout_share
    pop.age_years[rows] = age
    if weight is not None:
        pop.weight[rows] = weight
    pop.retirement_age_years[rows] = draw_retirement_age(age, cfg, rng)
    pop.salary_usd_annual[rows] = draw_salaries(age, rng, cfg.initial.salary_median_usd) * wage_index
    pop.tenure_years[rows] = 0.0
    pop.preferred_deferral_rate[rows] = preferred_deferral(age, cfg, rng)
    # Active decision: every new hire must choose at once; procrastination is removed, so
    # a share `active_decision_enrol_prob` enrolls at the preferred rate (Carroll et al. 2009).
    active = plans.active_decision[sp] & ~auto & (rng.random(k) < s.active_decision_enrol_prob)
    pop.deferral_rate[rows] = np.where(auto, plans.default_rate[sp], np.where(active, pop.preferred_deferral_rate[rows], 0.0))
    pop.is_participating[rows] = (auto & ~opt_out) | active
    pop.is_contributing[rows] = True
    pop.is_auto_enrolled[rows] = auto & ~opt_out
    pop.style[rows] = DEFAULTED
    pop.allocation[rows] = _DEFAULT_FUND_ONLY  # one scatter of the row (1, 0, ..., 0)
    pop.risk_tolerance[rows] = rng.beta(2.0, 2.0, k)
    pop.literacy[rows] = rng.beta(2.0, 2.0, k)
    attention_class = rng.choice(3, k, p=np.asarray(s.attention_class_shares))
    pop.review_prob_monthly[rows] = np.asarray(s.review_prob_monthly)[attention_class]
    pop.return_sensitivity[rows] = rng.lognormal(0.0, 0.5, k)
    pop.peer_sensitivity[rows] = rng.lognormal(0.0, 0.5, k)
    pop.months_in_plan[rows] = 0
    pop.trades[rows] = 0
    pop.year_growth[rows] = 1.0
    pop.worst_year_return[rows] = 0.0
    pop.worst_year_return_economic[rows] = 0.0
    roll = rng.random(k) < s.roll_in_prob
    amount = np.where(roll, rng.lognormal(np.log(s.roll_in_median_usd), 1.0, k) * wage_index, 0.0)
    if empty_accounts:
        pop.balance_usd[rows] = 0.0
    return amount
