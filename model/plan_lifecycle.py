"""Plan terminations and formations: the churn of plans under the national plan count.

ODD §7.12 (plan births and terminations). Plans close at the annual rate of their size
class (docs/calibration.md, 'Economy': Morningstar's count of defined contribution plans
closing each year by plan size, 2011-2020); the closings that distribute their assets
(`distributing_rate_annual`: the small plans', by assumption; the others are mergers,
left as they are) come at the monthly hazard of that rate (`termination_hazard_monthly`).
A terminating plan distributes every account (IRC §401(k)(10) permits the distribution,
and a plan is terminated once its assets are distributed, Rev. Rul. 89-87; rollovers to
IRAs and cash-outs by the job-change rule, loans offset) and its row is re-formed at once
as a newly formed plan of the same size class: fresh features as the sponsors' t0
calibration draws them, none of its predecessor's decisions (alternatives, providers,
suits), the law of its formation date (the SECURE 2.0 mandate, `apply_mandate`), and the
same workers starting new, empty accounts. Rows, weights and the national count they
stand for are kept, so net growth of the plan count stays with `Economy.plan_index` and
gross formations equal terminations plus that growth.

Every draw comes from the plan-lifecycle stream (`base.draws.PLAN_LIFECYCLE_STREAM`),
used the same way whatever the policy (common random numbers): one uniform per plan a
month, then draws whose number depends only on the terminated plans and their rows.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

F64 = npt.NDArray[np.float64]
B = npt.NDArray[np.bool_]

MANDATE_MIN_EMPLOYEES = 11
"""IRC §414A(c)(4)(B) (SECURE 2.0 §101): employers that normally employ 10 or fewer
employees are exempt; the model reads a plan's participants (eligible employees) as its
employees."""
MANDATE_YOUNG_BUSINESS_MONTHS = 36
"""IRC §414A(c)(4)(A): businesses in existence for less than 3 years are exempt."""
MANDATE_DEFAULT_RATE = (0.03, 0.10)
"""IRC §414A(b)(3)(A): the initial default deferral is at least 3% and at most 10% of pay,
raised by 1 point a year to at least 10% (the model's escalation rule and cap)."""


def termination_hazard_monthly(annual_by_class: tuple[float, ...] | F64,
                               size_class: npt.NDArray[np.int8]) -> F64:
    """Each plan's monthly probability of terminating: the annual rate of its size class
    turned into the constant monthly hazard with the same chance over a year,
    1 - (1 - annual)^(1/12) (ODD §7.12)."""
    annual = np.asarray(annual_by_class, dtype=np.float64)[size_class]
    return 1.0 - (1.0 - annual) ** (1.0 / 12.0)


def distributing_rate_annual(annual_by_class: tuple[float, ...] | F64,
                             distributing_share_by_class: tuple[float, ...] | F64) -> F64:
    """Annual rate of the terminations in which the plan distributes its assets, by size
    class: the closing rate times the share that distribute (the others are mergers,
    which leave the accounts in a successor plan and which the model leaves as they are;
    ODD §7.12)."""
    return np.asarray(annual_by_class, dtype=np.float64) * np.asarray(distributing_share_by_class, dtype=np.float64)


def draw_terminations(size_class: npt.NDArray[np.int8], annual_by_class: tuple[float, ...] | F64,
                      rng: np.random.Generator) -> npt.NDArray[np.intp]:
    """Rows of the plans terminating this month, ascending: one uniform per plan (so the
    stream's use does not depend on who terminates) below its monthly hazard."""
    u = rng.random(size_class.shape[0])
    return np.flatnonzero(u < termination_hazard_monthly(annual_by_class, size_class))


@dataclass
class PlanOrigins:
    """When each sampled plan was formed and what the SECURE 2.0 mandate makes of it (ODD
    §7.12). Plans of the starting sample count as formed before the run."""

    formed_month: npt.NDArray[np.int32]
    """Model month the plan was formed (-10,000: before the run)."""
    formed_day: npt.NDArray[np.int64]
    """Date it was formed, as a proleptic Gregorian ordinal (`datetime.date.toordinal`;
    -10,000: before the run)."""
    young_business: B
    """The sponsor was a business under 3 years old when the plan was formed."""

    @classmethod
    def at_start(cls, n: int) -> PlanOrigins:
        """The starting sample: every plan formed before the run by an established business."""
        return cls(np.full(n, -10_000, dtype=np.int32), np.full(n, -10_000, dtype=np.int64), np.zeros(n, dtype=bool))

    def form(self, rows: npt.NDArray[np.intp], month: int, date: dt.date, young: B) -> None:
        """Record the plans at `rows` as formed in `month` (on `date`)."""
        self.formed_month[rows] = month
        self.formed_day[rows] = date.toordinal()
        self.young_business[rows] = young


def mandate_subject(origins: PlanOrigins, participants: npt.NDArray[np.int64], month: int,
                    established_after: dt.date | None) -> B:
    """Plans the SECURE 2.0 auto-enrollment mandate covers this month, once it is in force
    (IRC §414A, SECURE 2.0 Act §101, Consolidated Appropriations Act 2023): 401(k) plans
    established after `established_after` (December 29, 2022; None: every plan formed in
    the run), except employers of 10 or fewer employees and businesses under 3 years old
    (exempt until the business is 3, counted from the plan's formation). Plans of the
    starting sample are not covered (their auto-enrollment is calibrated to 2024)."""
    formed = origins.formed_month > -10_000
    if established_after is not None:
        formed &= origins.formed_day > established_after.toordinal()
    grown = ~origins.young_business | (month - origins.formed_month >= MANDATE_YOUNG_BUSINESS_MONTHS)
    return formed & grown & (participants >= MANDATE_MIN_EMPLOYEES)


def apply_mandate(subject: B, auto_enroll: B, escalates: B, default_rate: F64) -> npt.NDArray[np.intp]:
    """Make the `subject` plans auto-enroll new hires at a default rate within the law's
    3-10% (a rate outside is moved to the nearer bound) with annual escalation, in place;
    return the plans changed (ODD §7.12)."""
    lo, hi = MANDATE_DEFAULT_RATE
    rate = np.clip(default_rate, lo, hi)
    changed = np.flatnonzero(subject & (~auto_enroll | ~escalates | (rate != default_rate)))
    auto_enroll[changed] = True
    escalates[changed] = True
    default_rate[changed] = rate[changed]
    return changed


def distribute(balance: F64, weight: F64, cash_out: B) -> tuple[float, float]:
    """National (weighted) USD of the terminated plans' accounts (`balance`, one per saver)
    cashed out and rolled over to IRAs: every dollar leaves, one way or the other."""
    w = weight * balance
    return float(w[cash_out].sum()), float(w[~cash_out].sum())


__all__ = [
    "MANDATE_DEFAULT_RATE",
    "MANDATE_MIN_EMPLOYEES",
    "MANDATE_YOUNG_BUSINESS_MONTHS",
    "PlanOrigins",
    "apply_mandate",
    "distribute",
    "distributing_rate_annual",
    "draw_terminations",
    "mandate_subject",
    "termination_hazard_monthly",
]
