"""Participant loans: borrowing from one's own account, repaid from pay with interest.

ODD §7.6 (loans). Most plans let participants borrow from their accounts (84% of plans,
EBRI/ICI 2022). Under IRC §72(p) a loan is at most the lesser of $50,000 and half the
vested balance and is repaid within five years; the interest goes into the borrower's own
account. A loan is money taken out of the investments, so a recession that raises
borrowing sells funds at the bottom, and a loan outstanding when the worker leaves is
offset against the account (a distribution). The rules here are per saver and vectorised;
`model.saver_phases` applies them once a month, the same for both saver engines.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

F64 = npt.NDArray[np.float64]


def loan_probability_monthly(annual: float, unemployment: float, natural: float, elasticity: float) -> float:
    """Monthly probability that an eligible participant takes a loan: the annual rate, raised
    by `elasticity` times the relative excess of unemployment over its natural rate (more
    households need cash in a recession; an assumption), as a twelfth-root step."""
    stress = max(0.0, unemployment - natural) / natural if natural > 0 else 0.0
    p = min(0.95, annual * (1.0 + elasticity * stress))
    return 1.0 - (1.0 - p) ** (1.0 / 12.0)


def loan_amount(balance: F64, share: float, cap_usd: float) -> F64:
    """Principal of a new loan: `share` of the balance, at most `cap_usd` (IRC §72(p)(2)(A):
    the lesser of $50,000 and half the vested balance; `share` <= 0.5)."""
    return np.minimum(share * balance, cap_usd)


def level_payment(principal: F64, rate_monthly: float, months: int) -> F64:
    """Monthly payment repaying `principal` with interest in `months` equal payments (an
    annuity: principal x r / (1 - (1 + r)^-months); principal / months when r is 0)."""
    if rate_monthly == 0.0:
        return principal / months
    return principal * rate_monthly / (1.0 - (1.0 + rate_monthly) ** (-months))


def outstanding_after(principal: F64, rate_monthly: float, months: int, paid: npt.NDArray[np.int64]) -> F64:
    """Principal still owed after `paid` level payments on a loan of `principal` over
    `months` (the annuity's balance: P ((1+r)^n - (1+r)^k) / ((1+r)^n - 1); linear when r is 0)."""
    if rate_monthly == 0.0:
        return principal * (1.0 - paid / months)
    g = 1.0 + rate_monthly
    return principal * (g**months - g**paid) / (g**months - 1.0)


def steady_state_share(annual: float, months: int) -> float:
    """Share of participants with a loan outstanding when each without one borrows at rate
    `annual` and repays over `months`: the renewal share h T / (1 + h T), T in years."""
    t = months / 12.0
    return annual * t / (1.0 + annual * t)


def repayment(outstanding: F64, payment: F64, rate_monthly: float) -> tuple[F64, F64]:
    """This month's (principal, interest) of loans with `outstanding` principal and level
    `payment`: interest on the balance, the rest of the payment off the principal, never
    more than what is left."""
    interest = outstanding * rate_monthly
    principal = np.minimum(np.maximum(payment - interest, 0.0), outstanding)
    return principal, interest


__all__ = ["level_payment", "loan_amount", "loan_probability_monthly", "outstanding_after", "repayment",
           "steady_state_share"]
