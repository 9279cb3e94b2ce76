"""A saver's life events: hardship withdrawals, retirement, job changes and where the money
goes, ageing along the pay profile, and the close of its investment year.

ODD §7.6 (life events) and §7.12 (the economy under the savers). Each rule is one function
of one saver's numbers, written once: compiled and inlined into the month's passes over
every saver (`agents.rule_kernels.separations`, `age_one_month`, `year_end`), and called as
it is by the per-saver Mesa engine (`model.saver_agents`). Draws are the saver's keyed
uniforms of the month (`base.draws.LIFE_EVENTS`: u[0] hardship, u[1] job change, u[2]
staying in the system).
"""

from __future__ import annotations

from typing import Final

import numpy as np
import numpy.typing as npt

from ..base.compiled import interp_sloped, interp_slopes, numpy_minimum, row_helper

F64 = npt.NDArray[np.float64]

JOB_CHANGE_AGES: Final[F64] = np.array([25.0, 55.0])
"""Ages between which the annual job-change rate falls linearly (`job_change_prob_monthly`)."""


def job_change_rates(young: float, old: float) -> tuple[F64, F64]:
    """The annual job-change rates at `JOB_CHANGE_AGES` and the slope between them, as the
    compiled rule reads them (`job_change_prob_monthly`)."""
    rates = np.array([young, old], dtype=np.float64)
    return rates, interp_slopes(JOB_CHANGE_AGES, rates)


@row_helper
def job_change_prob_monthly(age: float, rates: F64, slope: F64) -> float:
    """Monthly probability of leaving the employer, falling with age (ODD §7.6, job change).

    Annual rates fall linearly from `job_change_prob_annual_young` at 25 to `..._old` at 55
    and stay flat outside (BLS Employee Tenure: separation falls with age; the two rates
    are assumptions set against BLS tenure, docs/calibration.md); `rates` and `slope` from
    `job_change_rates`. The
    monthly probability is 1 - (1 - annual)^(1/12)."""
    annual = interp_sloped(age, JOB_CHANGE_AGES, rates, slope)
    return 1.0 - (1.0 - annual) ** (1.0 / 12.0)


def job_change_bound(young: float, old: float) -> float:
    """The largest monthly job-change probability over all ages (at one of the two knots),
    with a margin of 1e-12 against rounding: no draw at or above it can be a job change, so
    `separation` computes the probability (a fractional power, the dearest part) only for
    the few percent of savers whose draw is below it."""
    return max(1.0 - (1.0 - young) ** (1.0 / 12.0), 1.0 - (1.0 - old) ** (1.0 / 12.0)) * (1.0 + 1e-12)


def hardship_threshold(hardship_prob_annual: float) -> float:
    """Monthly probability of a hardship withdrawal from its annual rate (ODD §7.6)."""
    return 1.0 - (1.0 - hardship_prob_annual) ** (1 / 12)


def with_disaster_distributions(hardship_prob_annual: float, hardship_share: float, take_up: float,
                                share: float, window_months: int) -> tuple[float, float]:
    """The in-service withdrawal rule in a month when a law also allows disaster
    distributions (ODD §7.6, the CARES Act's coronavirus-related distributions of 2020): the
    annual rate and the share of the account of one combined withdrawal.

    A participant takes such a distribution with the monthly hazard that gives `take_up`
    over the `window_months` the law leaves open, independently of a hardship withdrawal
    (probability p = 1 - (1 - h)(1 - c) a month); the combined withdrawal takes the share
    that keeps the expected dollars of both, (h x hardship_share + c x share) / p, at most
    the whole account. Both
    saver engines read the result through `hardship_prob_annual` and
    `hardship_share_of_balance`, so the rule draws no new number (the CARES Act: Pub. L.
    116-136 §2202; take-up and size from Vanguard's record, docs/calibration.md)."""
    h = hardship_threshold(hardship_prob_annual)
    c = 1.0 - (1.0 - take_up) ** (1.0 / window_months)
    p = 1.0 - (1.0 - h) * (1.0 - c)
    if p <= 0.0:  # neither withdrawal can happen: the share is never used
        return hardship_prob_annual, hardship_share
    # At most the whole account (reached only if both are near-certain and large).
    return 1.0 - (1.0 - p) ** 12, min(1.0, (h * hardship_share + c * share) / p)


@row_helper
def separation(u0: float, u1: float, u2: float, participating: bool, age: float, retirement_age: float,
               hardship32: float, bound: float, rates: F64, slope: F64, stay32: float) -> tuple[bool, bool, bool]:
    """(takes a hardship withdrawal, leaves the 401(k) system, changes job but stays in it)
    this month (ODD §7.6, life events).

    A participant takes a hardship withdrawal with the monthly probability of
    `hardship_prob_annual` (u0 below `hardship32`; Vanguard 2025: 4.8% of participants in
    2024). A saver past its planned retirement age retires (leaves). Any other saver changes
    jobs with `job_change_prob_monthly` (u1; `bound` is `job_change_bound`), and then keeps
    its money in the system (left in the old plan or rolled into the new one; its row stays
    and its job tenure restarts) when u2 is at or above `stay32` = 1 -
    `stay_in_system_prob` (fitted to Form 5500 flows, docs/validation.md), or leaves the
    system (its row is recycled as a new hire). Who stays is drawn from the uniform alone,
    so the rows recycled never depend on balances, hence not on the policy (common random
    numbers)."""
    hardship = participating and u0 < hardship32
    retiring = age >= retirement_age
    changes_job = False
    if not retiring and u1 < bound:
        changes_job = u1 < job_change_prob_monthly(age, rates, slope)
    stays = changes_job and u2 >= stay32
    return hardship, retiring or (changes_job and not stays), stays


@row_helper
def one_month_older(age: float, tenure: float, months_in_plan: int, salary: float,
                    pay_step: float) -> tuple[float, float, int, float]:
    """(age, job tenure, months in plan, annual pay) a month later (ODD §7.6 and §7.12): pay
    grows by `pay_step`, the month's nominal wage growth (the Social Security Trustees'
    intermediate inflation and real-wage growth, `model.economy`) times the move along the
    age-earnings profile (`savers.pay_profile_step`)."""
    return age + 1.0 / 12.0, tenure + 1.0 / 12.0, months_in_plan + 1, salary * pay_step


@row_helper
def closed_year(year_growth: float, worst_year_return: float) -> tuple[float, float]:
    """(last year's return, worst year's return so far) when the saver's investment year
    closes in December (ODD §7.6, year end): the year's return is its growth factor - 1
    (the factor then restarts at 1). A NaN return is kept as the worst, as numpy.minimum
    keeps it."""
    year_return = year_growth - 1.0
    return year_return, numpy_minimum(worst_year_return, year_return)


@row_helper
def escalated_deferral(deferral: float, escalates: bool, cap: float) -> float:
    """The deferral rate after December's automatic escalation (ODD §7.6): an auto-enrolled
    participant at a plan that escalates (`escalates`) rises by 1 pp a year up to
    `escalation_cap` (PSCA 60th survey; docs/calibration.md); a rate at or above the cap
    stays."""
    if escalates and deferral < cap:
        return numpy_minimum(deferral + 0.01, cap)
    return deferral
