"""The savers' month as compiled row passes over every saver.

ODD §7.3-§7.4, §7.6 and §7.7 (attention, choice inputs, deferral, enrollment,
contributions, separations and ageing, the savers' menus). The review, life-event and
contribution, interest and menu rules are stated once, as functions of one saver, in
`agents.reviews`, `agents.life_events`, `agents.payroll`, `agents.interest` and
`agents.menus`; the passes here call them row by row, on numba's threads, in place of a
dozen whole-array numpy passes and their temporaries (benchmarks/RESULTS.md). Every row is computed on its own, so the bits never depend
on the number of threads; under ``NUMBA_DISABLE_JIT=1`` the same code runs interpreted,
with the same bytes (tests/model/test_jit_equivalence.py).

A float32 draw is compared with a float32 threshold (passed as `numpy.float32`), as numpy
compares a float32 array with a Python float (NEP 50).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ..base.compiled import (
    njit,
    prange,
    row_total_n,
)
from . import savers as sv
from .accounts import invest_in_account
from .interest import interest_in_alternatives
from .life_events import (
    closed_year,
    escalated_deferral,
    hardship_threshold,
    job_change_bound,
    job_change_rates,
    one_month_older,
    separation,
)
from .menus import is_stranded, menu_of
from .payroll import contributions
from .reviews import (
    chooses_own_allocation,
    contributes_next,
    deferral_after_review,
    leaves_default,
    looks_at_account,
    opts_in,
)

F64 = npt.NDArray[np.float64]
_ACTIVE = sv.ACTIVE  # a constant inside the compiled review pass


@dataclass(frozen=True)
class InterestTerms:
    """What `alt_interest` needs besides the savers' columns (`Alt401kModel.alt_interest`,
    ODD §7, saver interest): the interest parameters, this year's income-quintile edges,
    each plan's share of coworkers holding each alternative (n_plans, N_ALT), the crypto
    crash factor and whether enhanced disclosure applies."""

    base: float
    crypto_by_age: F64
    income_slope: float
    peer_weight: float
    quintile_edges: F64
    coworker_share: F64
    crash_factor: float
    disclosure: bool


def _alt_interest_rows(rows, literacy, age, salary, peer, sponsor, base, by_age, income_slope, peer_weight,
                       quintile_edges, coworker, crash, disclosure, out):  # pragma: no cover - compiled
    for r in prange(rows.shape[0]):
        i = rows[r]
        interest_in_alternatives(literacy[i], age[i], salary[i], peer[i], coworker[sponsor[i]], base, by_age,
                                 income_slope, peer_weight, quintile_edges, crash, disclosure, out[r])


def alt_interest(pop: sv.SaverPopulation, rows: npt.NDArray[np.intp], t: InterestTerms) -> F64:
    """Interest of the savers `rows` in each alternative, (rows, N_ALT)
    (`interest.interest_in_alternatives`, ODD §7.3), in one compiled pass over `rows` on
    numba's threads (each row on its own, so the same bits whatever the threads)."""
    out = np.empty((rows.size, sv.N_ALT))
    _alt_interest_kernel(np.asarray(rows, dtype=np.intp), pop.literacy, pop.age_years, pop.salary_usd_annual,
                         pop.peer_sensitivity, pop.sponsor, t.base, np.asarray(t.crypto_by_age, dtype=np.float64),
                         t.income_slope, t.peer_weight, np.asarray(t.quintile_edges, dtype=np.float64),
                         np.ascontiguousarray(t.coworker_share), t.crash_factor, bool(t.disclosure), out)
    return out


_alt_interest_kernel = njit(cache=True, nogil=True, parallel=True)(_alt_interest_rows)


def _review_rows(u, review_prob, attention_factor, participating, style, leave32, deferral, preferred,
                 last_year_return, base, per_shortfall, per_excess, slope, inattentive, slow, prompt,
                 plan_auto_enroll, sponsor, crash, stop32, restart32, contributing, choosers):  # pragma: no cover - compiled
    """The rules of `agents.reviews` for every saver, row by row (each row on its own: any
    split of rows among threads gives the same bits)."""
    for i in prange(u.shape[1]):
        was_participating = participating[i]
        reviewing = looks_at_account(u[0, i], review_prob[i], attention_factor, was_participating)
        if leaves_default(u[1, i], reviewing, style[i], leave32):
            style[i] = _ACTIVE
        choosers[i] = chooses_own_allocation(reviewing, style[i])
        d, preferred[i] = deferral_after_review(u[3, i], deferral[i], preferred[i], was_participating, reviewing,
                                                last_year_return[i], base, per_shortfall, per_excess, slope)
        if opts_in(u[4, i], was_participating, plan_auto_enroll[sponsor[i]], review_prob[i], inattentive, slow,
                   prompt):
            participating[i] = True
            d = preferred[i]
        deferral[i] = d
        contributing[i] = contributes_next(u[5, i], contributing[i], crash, stop32, restart32)


_review_kernel = njit(cache=True, nogil=True, parallel=True)(_review_rows)


def review_decisions(pop: sv.SaverPopulation, u: npt.NDArray[np.float32], equity_return: float,
                     plan_auto_enroll: npt.NDArray[np.bool_], crash: bool, s, out: npt.NDArray[np.bool_] | None = None
                     ) -> npt.NDArray[np.bool_]:
    """This month's decisions of savers that need no market choice (`agents.reviews`, ODD
    §7.3-§7.4, §7.7; the rules and their sources are there), in place, in one compiled pass
    over the savers on numba's threads; returns who chooses a new allocation (into `out`
    when given). None of these reads what the choosers' reallocation changes (allocation,
    holdings, trades), so the model makes them first. `u` holds the month's review draws,
    shape (6, n); `plan_auto_enroll` is by plan."""
    out = np.empty(pop.n, dtype=np.bool_) if out is None else out
    _review_kernel(
        u, pop.review_prob_monthly, 1.0 + s.attention_boost_per_equity_move * abs(equity_return),
        pop.is_participating, pop.style, np.float32(s.leave_default_prob), pop.deferral_rate,
        pop.preferred_deferral_rate, pop.last_year_return, s.deferral_change_base_monthly,
        s.deferral_change_per_distance, s.deferral_change_per_excess, s.experienced_return_deferral_slope,
        s.review_prob_monthly[0], s.procrastinator_enrol_prob_monthly, s.voluntary_enrol_prob_monthly,
        plan_auto_enroll, pop.sponsor, bool(crash), np.float32(s.stop_contributing_prob_crash),
        np.float32(s.restart_contributing_prob), pop.is_contributing, out,
    )
    return out


def _separation_rows(u, participating, age, retirement_age, tenure, hardship32, bound, rates, slope, stay32,
                     hardship, leaver):  # pragma: no cover - compiled
    """`life_events.separation` for every saver, row by row; stayers' tenure restarted."""
    for i in prange(u.shape[1]):
        hardship[i], leaver[i], stays = separation(u[0, i], u[1, i], u[2, i], participating[i], age[i],
                                                   retirement_age[i], hardship32, bound, rates, slope, stay32)
        if stays:
            tenure[i] = 0.0


def _aging_rows(age, tenure, months, salary, step):  # pragma: no cover - compiled
    for i in prange(age.shape[0]):
        age[i], tenure[i], months[i], salary[i] = one_month_older(age[i], tenure[i], months[i], salary[i], step[i])


def _year_end_rows(growth, last, worst, auto, participating, sponsor, plan_escalates, deferral,
                   cap):  # pragma: no cover - compiled
    for i in prange(growth.shape[0]):
        last[i], worst[i] = closed_year(growth[i], worst[i])
        growth[i] = 1.0
        deferral[i] = escalated_deferral(deferral[i], auto[i] and plan_escalates[sponsor[i]] and participating[i],
                                         cap)


_separation_kernel = njit(cache=True, nogil=True, parallel=True)(_separation_rows)
_aging_kernel = njit(cache=True, nogil=True, parallel=True)(_aging_rows)
_year_end_kernel = njit(cache=True, nogil=True, parallel=True)(_year_end_rows)


def separations(pop: sv.SaverPopulation, u: npt.NDArray[np.float32], s,
                out: tuple[npt.NDArray[np.bool_], npt.NDArray[np.bool_]] | None = None,
                ) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]:
    """This month's hardship withdrawers and leavers of the 401(k) system (their rows,
    ascending), with the job tenure of savers who change jobs but keep their money in the
    system restarted, in place (`life_events.separation`, ODD §7.6; the rule and its sources
    are there), in one compiled pass on numba's threads (flags into the two boolean buffers
    `out` when given). `u` holds the month's life-event draws, shape (3, n)."""
    hardship, leaver = out if out is not None else (np.empty(pop.n, dtype=np.bool_), np.empty(pop.n, dtype=np.bool_))
    young, old = s.job_change_prob_annual_young, s.job_change_prob_annual_old
    _separation_kernel(u, pop.is_participating, pop.age_years, pop.retirement_age_years, pop.tenure_years,
                       np.float32(hardship_threshold(s.hardship_prob_annual)), job_change_bound(young, old),
                       *job_change_rates(young, old), np.float32(1.0 - s.stay_in_system_prob), hardship, leaver)
    return np.flatnonzero(hardship), np.flatnonzero(leaver)


def age_one_month(pop: sv.SaverPopulation, wage_growth_monthly: float) -> None:
    """Every saver a month older (`life_events.one_month_older`, ODD §7.6) in one pass on
    numba's threads; the month's pay step (`savers.pay_profile_step`) is computed once by
    numpy for both engines."""
    step = wage_growth_monthly * sv.pay_profile_step(pop.age_years)
    _aging_kernel(pop.age_years, pop.tenure_years, pop.months_in_plan, pop.salary_usd_annual, step)


def year_end(pop: sv.SaverPopulation, plan_escalates: npt.NDArray[np.bool_], escalation_cap: float) -> None:
    """December (ODD §7.6): every saver's investment year closes
    (`life_events.closed_year`) and auto-enrolled deferrals escalate
    (`life_events.escalated_deferral`; `plan_escalates` is per plan), in one pass on
    numba's threads."""
    _year_end_kernel(pop.year_growth, pop.last_year_return, pop.worst_year_return, pop.is_auto_enrolled,
                     pop.is_participating, pop.sponsor, np.ascontiguousarray(plan_escalates, dtype=np.bool_),
                     pop.deferral_rate, float(escalation_cap))


@dataclass(frozen=True)
class MenuTerms:
    """Every plan's menu this month (`Alt401kModel.menu_terms`, ODD §7.3): the standalone
    alternatives each plan offers (n_plans, N_ALT), whether it has a brokerage window
    (n_plans,), which alternatives the regime lets into windows (N_ALT,) and whether each
    plan is large enough for window alternatives (n_plans,)."""

    standalone: npt.NDArray[np.bool_]
    offers_window: npt.NDArray[np.bool_]
    window_allowed: npt.NDArray[np.bool_]
    size_ok: npt.NDArray[np.bool_]
    managed_sleeve: npt.NDArray[np.bool_] | None = None
    """(n_plans, N_ALT): the private-market classes the plan's managed-account service holds
    for its managed savers in the standalone vehicles (ODD §7.14); None: none anywhere."""

    def managed(self) -> npt.NDArray[np.bool_]:
        """`managed_sleeve`, all False where None."""
        if self.managed_sleeve is None:
            return np.zeros_like(self.standalone, dtype=np.bool_)
        return self.managed_sleeve


def _visible_rows(rows, sponsor, style, standalone, offers_window, window_allowed, size_ok, managed,
                  out):  # pragma: no cover - compiled
    for r in range(rows.shape[0]):
        s = sponsor[rows[r]]
        menu_of(style[rows[r]], standalone[s], offers_window[s], window_allowed, size_ok[s], managed[s], out[r])


def _stranded_rows(rows, balance, allocation, visible, out):  # pragma: no cover - compiled
    for r in range(rows.shape[0]):
        out[r] = is_stranded(balance[rows[r]], allocation[rows[r]], visible[r])


# One thread: a few thousand rows a month, less than waking numba's other threads costs.
_visible_kernel = njit(cache=True, nogil=True)(_visible_rows)
_stranded_kernel = njit(cache=True, nogil=True)(_stranded_rows)
def _menu_arrays(m: MenuTerms) -> tuple[npt.NDArray[np.bool_], ...]:
    return tuple(np.ascontiguousarray(a, dtype=np.bool_)
                 for a in (m.standalone, m.offers_window, m.window_allowed, m.size_ok, m.managed()))


def visible_options(pop: sv.SaverPopulation, rows: npt.NDArray[np.intp], m: MenuTerms) -> npt.NDArray[np.bool_]:
    """The menus of the savers `rows` (`menus.menu_of`, ODD §7.3), (rows, N_OPTIONS), in one
    compiled pass."""
    out = np.empty((rows.size, sv.N_OPTIONS), dtype=np.bool_)
    _visible_kernel(np.asarray(rows, dtype=np.intp), pop.sponsor, pop.style, *_menu_arrays(m), out)
    return out


def stranded(pop: sv.SaverPopulation, rows: npt.NDArray[np.intp], m: MenuTerms,
             block: int) -> npt.NDArray[np.bool_]:
    """Whether each of the savers `rows` holds money in, or directs contributions to, an
    option off its menu (`menus.is_stranded`, ODD §7.7), in compiled passes block by block
    of `rows` (the caller's `block`, `ROW_BLOCK` in the model: no whole-population
    temporaries when every saver is examined, the first month or a regime change)."""
    rows = np.asarray(rows, dtype=np.intp)
    out = np.empty(rows.size, dtype=np.bool_)
    for lo in range(0, rows.size, block):
        part = rows[lo : lo + block]
        _stranded_kernel(part, pop.balance_usd, pop.allocation, visible_options(pop, part, m), out[lo : lo + block])
    return out


def hardship_withdrawals(balance: F64, rows: npt.NDArray[np.intp], share: float,
                         illiquid: npt.NDArray[np.intp]) -> tuple[F64, F64]:
    """Hardship withdrawals (ODD §7.6) of the accounts `rows` (ascending), in place: each
    gives up `share` of every holding, pro rata (`savers.withdraw_share_inplace`).
    Returns each account's dollars in the `illiquid` columns before the withdrawal (summed
    as numpy sums a C-ordered gather of them) and the dollars it withdrew. Compiled with
    numba (tested against whole-array arithmetic)."""
    held, taken = np.empty(rows.size), np.empty(rows.size)
    _hardship_kernel(balance, np.asarray(rows, dtype=np.intp), float(share), np.asarray(illiquid, dtype=np.intp),
                     held, taken)
    return held, taken


def _hardship_rows(balance, rows, share, illiquid, held, taken):  # pragma: no cover - compiled
    n_ill, h = illiquid.shape[0], balance.shape[1]
    scratch = np.empty(max(n_ill, h))
    for r in range(rows.shape[0]):
        i = rows[r]
        for q in range(n_ill):
            scratch[q] = balance[i, illiquid[q]]
        held[r] = row_total_n(scratch, n_ill)
        for j in range(h):
            t = balance[i, j] * share
            balance[i, j] -= t
            scratch[j] = t
        taken[r] = row_total_n(scratch, h)


def open_new_accounts(balance: F64, rows: npt.NDArray[np.intp], amount: F64, allocation: F64,
                      composition: F64) -> None:
    """New hires' accounts (ODD §7.6, entry), in place: row rows[r] becomes an empty
    account into which `amount[r]` is invested following its allocation and the default
    fund's mix `composition[r]` (`invest_into_accounts` on emptied rows)."""
    balance[rows] = 0.0
    invest_into_accounts(balance, rows, amount, allocation, composition)


def invest_into_accounts(balance: F64, rows: npt.NDArray[np.intp], amount: F64, allocation: F64,
                         composition: F64) -> None:
    """Add `amount[r]` to the account of rows[r], in place, as contributions are invested:
    by its allocation, the default-fund part in the mix `composition[r]`
    (`accounts.invest_in_account`, ODD §7.5; loan repayments, new accounts and the initial
    balances, §7.6)."""
    _invest_rows_kernel(balance, np.asarray(rows, dtype=np.intp), np.ascontiguousarray(amount), allocation,
                        np.ascontiguousarray(composition))


def _invest_rows(balance, rows, amount, allocation, composition):  # pragma: no cover - compiled
    for r in range(rows.shape[0]):
        i = rows[r]
        invest_in_account(balance[i], allocation[i], composition[r], amount[r])


# One thread: a few hundred to a few thousand rows a month.
_hardship_kernel = njit(cache=True, nogil=True)(_hardship_rows)
_invest_rows_kernel = njit(cache=True, nogil=True)(_invest_rows)


def _contribution_rows(salary, deferral, participating, contributing, rate, cap, nonmatch, employee,
                       employer):  # pragma: no cover - compiled
    for i in prange(salary.shape[0]):
        employee[i], employer[i] = contributions(salary[i], deferral[i], participating[i], contributing[i], rate[i],
                                                 cap[i], nonmatch[i])


_contribution_kernel = njit(cache=True, nogil=True, parallel=True)(_contribution_rows)


def contributions_by_saver(pop: sv.SaverPopulation, match_rate: F64, match_cap: F64, nonmatch: F64
                           ) -> tuple[F64, F64]:
    """Every saver's (employee deferral, employer contributions) this month, USD, by
    `payroll.contributions` (ODD §7.4); the three plan terms are per saver. The balance pass
    computes the same amounts inside its own loop; this pass gives them as arrays."""
    employee, employer = np.empty(pop.n), np.empty(pop.n)
    _contribution_kernel(pop.salary_usd_annual, pop.deferral_rate, pop.is_participating, pop.is_contributing,
                         np.ascontiguousarray(match_rate, dtype=np.float64),
                         np.ascontiguousarray(match_cap, dtype=np.float64),
                         np.ascontiguousarray(nonmatch, dtype=np.float64), employee, employer)
    return employee, employer
