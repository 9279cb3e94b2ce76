"""A saver's contributions in a month: its own deferral and its employer's match and
nonmatching contribution.

ODD §7.4. The rule is one function of one saver's numbers, written once: compiled and
inlined into the balance pass (`agents.kernels`, which computes every saver's contributions
as it invests them) and into `agents.rule_kernels.contributions_by_saver`, and called as it
is by the per-saver Mesa engine (`model.saver_agents`).
"""

from __future__ import annotations

from ..base.compiled import row_helper


@row_helper
def contributions(salary: float, deferral: float, participating: bool, contributing: bool, match_rate: float,
                  match_cap: float, nonmatch: float) -> tuple[float, float]:
    """(employee deferral, employer contributions) of one saver this month, USD.

    ODD §7.4, contributions. A participant who defers puts in deferral x pay (pay = annual
    salary / 12). The employer pays a match, rate x min(deferral, cap) x pay, to savers who
    defer (HAS 2024: the most common formula is $0.50 per $1 on 6% of pay; calibration
    `match_rate`, `match_cap_share_of_pay`), and its plan's nonmatching (profit-sharing or
    nonelective) contribution, nonmatch x pay, to every enrolled saver, deferring or not
    (HAS 2024: 46% of participants are in plans that pay one; `nonmatching_share`,
    `nonmatching_rate`). A saver outside the plan gets nothing."""
    if not participating:
        return 0.0, 0.0
    pay = salary / 12.0
    if contributing:
        return pay * deferral, pay * match_rate * (deferral if deferral < match_cap else match_cap) + pay * nonmatch
    return 0.0, 0.0 + pay * nonmatch
