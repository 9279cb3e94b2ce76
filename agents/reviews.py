"""A saver's monthly review of its account: whether it looks, leaves the default fund,
resets or learns its deferral rate, opts in, stops or restarts contributing.

ODD §7.3 (attention), §7.4 (deferral and enrollment) and §7.7 (crash response). Each rule is
one function of one saver's numbers, written once: compiled and inlined into the month's
pass over every saver (`agents.rule_kernels.review_decisions`), and called as it is by the
per-saver Mesa engine (`model.saver_agents`). The draws are the saver's keyed uniforms of
the month (`base.draws.REVIEWS`: u[0] attention, u[1] leaving the default, u[3] deferral
reset, u[4] opting in, u[5] contributions; u[2] is the chooser's panic sale). A float32
draw is compared with a float32 threshold where the rule says so (`*32` arguments), as the
population's columns are compared.
"""

from __future__ import annotations

from typing import Final

from ..base.compiled import numpy_clip, row_helper
from .savers import ACTIVE, DEFAULTED, WINDOW

DEFERRAL_RATE_BOUNDS: Final[tuple[float, float]] = (0.0, 0.5)
"""A reviewer's deferral rate stays within these after the experienced-return adjustment
(fractions of pay; assumption: the IRS limit binds well before half of pay for most)."""
PREFERRED_RATE_BOUNDS: Final[tuple[float, float]] = (0.01, 0.30)
"""... and its preferred rate within these (assumption)."""
SAME_RATE_TOLERANCE: Final[float] = 1e-12
"""Deferral and preferred rates closer than this are the same rate: no reset (rounding)."""
EXPERIENCED_RETURN_REFERENCE: Final[float] = 0.06
"""Annual return above which experienced returns raise deferrals (Choi et al. 2009 give the
sign; the level is an assumption, docs/calibration.md)."""

_D_LO, _D_HI = DEFERRAL_RATE_BOUNDS
_P_LO, _P_HI = PREFERRED_RATE_BOUNDS


@row_helper
def looks_at_account(u: float, review_prob: float, attention_factor: float, participating: bool) -> bool:
    """Whether a participant looks at its account this month (ODD §7.3, attention; ODD+D:
    perception).

    Each saver has a monthly review probability from its attention class (calibration:
    `attention_class_shares`, `review_prob_monthly`, fitted to Mitchell et al. 2006 and
    Fidelity 2025); large market moves raise it by `attention_factor` = 1 +
    `attention_boost_per_equity_move` x |equity return| (Fidelity: 7.3% changed allocation
    in Q1 2020). Probability min(1, review_prob x attention_factor)."""
    return participating and u < min(1.0, review_prob * attention_factor)


@row_helper
def leaves_default(u32: float, reviewing: bool, style: int, leave_prob32: float) -> bool:
    """Whether a defaulted saver who looks becomes an active chooser this month (ODD §7.3;
    `leave_default_prob`, calibrated to the share of defaulted savers still in the default
    after some years, docs/calibration.md)."""
    return reviewing and style == DEFAULTED and u32 < leave_prob32


@row_helper
def chooses_own_allocation(reviewing: bool, style: int) -> bool:
    """Whether a reviewing saver picks a new allocation: active choosers and window users;
    not defaulted or managed savers, whose fund or service sets it (ODD §7.3, §7.14)."""
    return reviewing and (style == ACTIVE or style == WINDOW)  # noqa: SIM109 - compiled comparisons


@row_helper
def deferral_reset_hazard(deferral: float, preferred: float, base: float, per_shortfall: float,
                          per_excess: float) -> float:
    """Monthly probability that a participant resets its deferral rate to its preferred rate
    (ODD §7.4, deferral inertia; ODD+D: decision).

    The hazard rises with the distance between the current and the preferred rate, and
    faster when the current rate is the higher one, since that gap is felt in every paycheck
    (take-home pay is salient): min(1, base x (1 + per_shortfall x max(0, preferred - d) +
    per_excess x max(0, d - preferred))). A 12% default, above what most want, is left much
    faster than a 3-6% one, which pure inertia cannot produce (Beshears et al. 2024;
    calibration `deferral_change_base_monthly`, `deferral_change_per_distance`,
    `deferral_change_per_excess`)."""
    diff = deferral - preferred
    return min(1.0, base * (1.0 + per_shortfall * max(0.0, -diff) + per_excess * max(0.0, diff)))


@row_helper
def deferral_after_review(u: float, deferral: float, preferred: float, participating: bool, reviewing: bool,
                          last_year_return: float, base: float, per_shortfall: float, per_excess: float,
                          slope: float) -> tuple[float, float]:
    """(deferral rate, preferred rate) after this month's review (ODD §7.4).

    First a participant whose rate is not its preferred one resets it with
    `deferral_reset_hazard` (u). Then a reviewer learns from last year's return: both rates
    move by `slope` x (return - `EXPERIENCED_RETURN_REFERENCE`) (Choi, Laibson, Madrian &
    Metrick 2009: savers whose own 401(k) returns were higher raise saving more; the
    preferred rate moves too, so the reset does not undo the lesson), within
    `DEFERRAL_RATE_BOUNDS` and `PREFERRED_RATE_BOUNDS`."""
    hazard = deferral_reset_hazard(deferral, preferred, base, per_shortfall, per_excess)
    d = deferral
    if participating and u < hazard and abs(deferral - preferred) > SAME_RATE_TOLERANCE:
        d = preferred
    if reviewing:
        change = slope * (last_year_return - EXPERIENCED_RETURN_REFERENCE)
        return numpy_clip(d + change, _D_LO, _D_HI), numpy_clip(preferred + change, _P_LO, _P_HI)
    return d, preferred


@row_helper
def opts_in(u: float, participating: bool, plan_auto_enrolls: bool, review_prob: float,
            inattentive_review_prob: float, slow: float, prompt: float) -> bool:
    """Whether an eligible non-participant in a plan without automatic enrollment opts in
    this month (ODD §7.4, voluntary enrollment and procrastination).

    Savers of the least attentive class (review probability at or below
    `inattentive_review_prob`, attention class 0) opt in at the low hazard `slow`
    (`procrastinator_enrol_prob_monthly`), the others at `prompt`
    (`voluntary_enrol_prob_monthly`). The mixture gives a hazard falling with tenure: enough
    early enrollment for Madrian & Shea (2001) and a slow tail for the ~30-month catch-up of
    Carroll et al. (2009), which one constant hazard cannot give both. One who opts in
    contributes at its preferred rate."""
    if participating or plan_auto_enrolls:
        return False
    return u < (slow if review_prob <= inattentive_review_prob else prompt)


@row_helper
def contributes_next(u32: float, contributing: bool, crash: bool, stop_prob32: float, restart_prob32: float) -> bool:
    """Whether the saver contributes from now on (ODD §7.7, crash response): in a crash
    (equities 20% or more below their peak, `savers.CRASH_EQUITY_DRAWDOWN`) a contributor
    stops with `stop_contributing_prob_crash`; otherwise a stopped saver restarts with
    `restart_contributing_prob` (both monthly; docs/calibration.md)."""
    if crash:
        return contributing and not u32 < stop_prob32
    return contributing or u32 < restart_prob32
