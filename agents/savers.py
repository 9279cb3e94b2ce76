"""Savers (plan participants) as one columnar population.

ODD §2 (state variables) and §7 (saver submodels). One row per simulated saver, each row
standing for `weight` real ones; every rule is a whole-population array operation with
random draws passed in, so that the model never holds one Python object per saver
(benchmarks/RESULTS.md). Rows are recycled: a saver who leaves the plan is replaced in the same row by
a new hire at the same sponsor, which keeps the sample size and weights fixed.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Final

import numpy as np
import numpy.typing as npt

from ..base.assets import (
    ALTERNATIVES,
    ASSET_CLASSES,
    HOLDING_ASSET,
    ILLIQUID,
    IS_ALT_HOLDING,
    holding_index,
)

if TYPE_CHECKING:
    pass

F64 = npt.NDArray[np.float64]
B = npt.NDArray[np.bool_]

DEFAULTED, ACTIVE, WINDOW, MANAGED = 0, 1, 2, 3
"""Investment styles: defaulted into the QDIA, active chooser, brokerage-window user, and
enrolled in the recordkeeper's managed-account service, whose yearly rule, not the saver's
own reviews, sets the allocation (ODD §7.14, `agents.managed_accounts`)."""


CRASH_EQUITY_DRAWDOWN: Final[float] = -0.2
"""Equities this far below their peak or further are a crash for savers: panic sales and
stopped contributions (`panic_sale_prob`, `stop_contributing_prob_crash`)."""

N_DF: Final[int] = len(ASSET_CLASSES)
"""Default-fund holding columns come first, one per asset class."""

OPTIONS: Final[tuple[str, ...]] = (
    ("default_fund",)
    + tuple(f"core:{a}" for a in ("equity", "bonds", "cash"))
    + tuple(f"standalone:{a}" for a in ALTERNATIVES)
    + ("window:equity",)
    + tuple(f"window:{a}" for a in ALTERNATIVES)
)
"""What a saver can direct money to. Option 0 is the default fund, spread over the first
N_DF holding columns by the fund's composition; option k >= 1 is holding column k + N_DF - 1."""
N_OPTIONS: Final[int] = len(OPTIONS)
OPTION_OFFSET: Final[int] = N_DF - 1
CORE_OPTIONS: Final[npt.NDArray[np.intp]] = np.arange(1, 4)
STANDALONE_OPTIONS: Final[npt.NDArray[np.intp]] = np.arange(4, 9)
WINDOW_EQUITY_OPTION: Final[int] = 9
WINDOW_ALT_OPTIONS: Final[npt.NDArray[np.intp]] = np.arange(10, 15)
OPTION_IS_ALT: Final[B] = np.zeros(N_OPTIONS, dtype=bool)
OPTION_IS_ALT[STANDALONE_OPTIONS] = True
OPTION_IS_ALT[WINDOW_ALT_OPTIONS] = True
OPTION_ASSET: Final[npt.NDArray[np.intp]] = np.concatenate(
    [[-1], HOLDING_ASSET[N_DF:]]
).astype(np.intp)
"""Asset class of each option (-1 for the multi-asset default fund)."""
ILLIQUID_COLUMNS: Final[npt.NDArray[np.intp]] = np.array(
    [holding_index(c, a) for c in ("standalone", "window") for a in ILLIQUID]
)
"""Standalone and window holdings in gated vehicles (the default fund's sleeve is gated at
fund level, see `accounts.month_of_account` and `agents.pooled_funds`)."""
DF_ILLIQUID: Final[npt.NDArray[np.intp]] = np.array([ASSET_CLASSES.index(a) for a in ILLIQUID])
DF_ILLIQUID_MASK: Final[B] = np.isin(np.arange(N_DF), DF_ILLIQUID)
"""Which default-fund columns are the illiquid sleeve (True at `DF_ILLIQUID`)."""


@dataclass
class SaverPopulation:
    """Every saver's state, as equal-length columns (row i is saver i).

    Money is in U.S. dollars, rates are fractions, ages and tenures in years.
    """

    sponsor: npt.NDArray[np.int32]
    weight: F64
    age_years: F64
    retirement_age_years: F64
    salary_usd_annual: F64
    tenure_years: F64
    balance_usd: F64
    """Shape (n, N_HOLDINGS): balance by (channel, asset class) holding."""
    allocation: npt.NDArray[np.float64]
    """Shape (n, N_OPTIONS): how new contributions are directed; rows sum to 1."""
    deferral_rate: F64
    preferred_deferral_rate: F64
    is_participating: B
    is_contributing: B
    is_auto_enrolled: B
    style: npt.NDArray[np.int8]
    risk_tolerance: F64
    literacy: F64
    review_prob_monthly: F64
    return_sensitivity: F64
    peer_sensitivity: F64
    months_in_plan: npt.NDArray[np.int32]
    trades: npt.NDArray[np.int32]
    year_growth: F64
    """Growth factor of the saver's investments since January (flows excluded)."""
    last_year_return: F64
    worst_year_return: F64
    loan_usd: F64 | None = None
    """Outstanding principal of the saver's plan loan, USD (0: none; ODD §7.6, loans)."""
    loan_payment_usd: F64 | None = None
    """The loan's level monthly payment, USD."""
    worst_year_return_economic: F64 | None = None
    """Worst calendar-year return at economic rather than reported values (ODD §7.11;
    `economic_year_end_inplace`); 0 until a year closes."""

    def __post_init__(self) -> None:
        if self.loan_usd is None:
            self.loan_usd = np.zeros(self.weight.shape[0])
        if self.loan_payment_usd is None:
            self.loan_payment_usd = np.zeros(self.weight.shape[0])
        if self.worst_year_return_economic is None:
            self.worst_year_return_economic = np.zeros(self.weight.shape[0])

    @property
    def n(self) -> int:
        """Number of rows."""
        return self.weight.shape[0]

    def total_balance(self) -> F64:
        """Account balance of each saver, USD."""
        return self.balance_usd.sum(axis=1)

    def take(self, rows: npt.NDArray[np.intp]) -> SaverPopulation:
        """A copy holding only `rows` (for tests and sub-populations)."""
        return SaverPopulation(**{f.name: getattr(self, f.name)[rows].copy() for f in fields(self)})


# --------------------------------------------------------------------------------------
# Default fund composition and contributions
# --------------------------------------------------------------------------------------


SLEEVE_FUNDED_FROM_BONDS: Final[tuple[str, ...]] = ("private_credit",)
"""Sleeve classes that replace bonds in a target-date fund; the others replace equity."""
SLEEVE_FROM_BONDS_MASK: Final[B] = np.isin(
    np.arange(len(ASSET_CLASSES)), [ASSET_CLASSES.index(a) for a in SLEEVE_FUNDED_FROM_BONDS]
)


def _column_slice(channel: str) -> slice:
    """The holding columns of `channel`'s alternatives, which are contiguous and in
    ALTERNATIVES order (asserted), as a slice: a view, not a copy, of the balance matrix."""
    cols = [holding_index(channel, a) for a in ALTERNATIVES]
    assert cols == list(range(cols[0], cols[0] + len(cols))), cols
    return slice(cols[0], cols[-1] + 1)


DF_ALT_SLICE: Final[slice] = _column_slice("default_fund")
STANDALONE_ALT_SLICE: Final[slice] = _column_slice("standalone")
WINDOW_ALT_SLICE: Final[slice] = _column_slice("window")
N_ALT: Final[int] = len(ALTERNATIVES)


ALT_HOLDINGS: Final = np.flatnonzero(IS_ALT_HOLDING)
"""Holding columns of alternative asset classes, all channels, in column order."""


# --------------------------------------------------------------------------------------
# Returns, fees and the default fund's own rebalancing
# --------------------------------------------------------------------------------------


# --------------------------------------------------------------------------------------
# Attention and choice
# --------------------------------------------------------------------------------------


def core_menu_weights(core_funds: npt.NDArray[np.integer], elasticity: float) -> F64:
    """Weight of each core option (equity, bonds, cash) in a chooser's scores, by plan:
    (number of the class's funds on the menu) ** `elasticity`, shape (n_plans, 3).

    ODD §7.3, menus. A chooser spreads over the funds it picks (Benartzi & Thaler 2001;
    Huberman & Jiang 2006: evenly over the 3-4 funds used), so a class with more funds on
    the menu gets more: 1/n over funds at elasticity 1, by class whatever the menu at 0
    (`saver.menu_count_elasticity`). Computed once, by numpy, for every engine (the same
    bits); one fund gives 1.0 whatever the elasticity.
    """
    return np.power(np.asarray(core_funds, dtype=np.float64), float(elasticity))


# --------------------------------------------------------------------------------------
# Life events
# --------------------------------------------------------------------------------------


PAY_PEAK_AGE = 50.0
"""Age at which pay peaks in the age-earnings profile (`pay_profile`; an assumption, ODD §5)."""
PAY_PROFILE_WIDTH = 25.0
"""Width of the profile's hump, years (`pay_profile`; an assumption, ODD §5)."""


def pay_profile(age_years: F64) -> F64:
    """Pay by age relative to pay at 43: a hump peaking at 50 (an assumption; ODD §5). The
    starting sample and new hires draw pay around it (`model.population.draw_salaries`),
    savers move along it as they age (`pay_profile_step`), and Social Security benefits
    are computed from careers that followed it (`model.social_security`)."""
    return np.exp(-(((age_years - PAY_PEAK_AGE) / PAY_PROFILE_WIDTH) ** 2)) / np.exp(
        -(((43.0 - PAY_PEAK_AGE) / PAY_PROFILE_WIDTH) ** 2))


def pay_profile_step(age_years: F64) -> F64:
    """How a saver's pay moves along the age profile over the month it ages from `age_years`:
    pay_profile(age + 1/12) / pay_profile(age) = exp(-(2 (age - peak) / 12 + 1/144) / width²),
    in closed form (ODD §7.6). Above 1 before the peak, below 1 after it. Without it each
    saver kept the profile of the age at which its pay was drawn, so the savers' mean pay fell
    behind the wage index as young hires replaced older leavers (about 5% over 2016-2022)."""
    h = 1.0 / 12.0
    return np.exp(-(2.0 * h * (age_years - PAY_PEAK_AGE) + h * h) / (PAY_PROFILE_WIDTH * PAY_PROFILE_WIDTH))


def economic_year_end_inplace(pop: SaverPopulation, ratio_start: F64, ratio_end: F64, block: int = 65_536) -> None:
    """December, before `rule_kernels.year_end` closes the year: each saver's year return at
    economic values updates its worst economic year (ODD §7.11).

    `ratio_start` and `ratio_end` are each holding column's economic-to-reported value
    ratio (its class's price_index / reported_index) when the year began and now. The
    account's reported growth over the year (`year_growth`) is re-marked to economic values
    at both ends with the account's mix now: growth x q_end / q_start, q = sum_j b_j ratio_j
    / sum_j b_j. Exact for an account whose mix by class is the same at both ends (it then
    holds the same units); otherwise an approximation. An empty account's ratio is 1.
    Block by block over the rows (bounded temporaries)."""
    for lo in range(0, pop.n, block):
        hi = min(lo + block, pop.n)
        bal = pop.balance_usd[lo:hi]
        total = bal.sum(axis=1)
        held = total > 0
        safe = np.where(held, total, 1.0)
        q_end = np.where(held, (bal @ ratio_end) / safe, 1.0)
        q_start = np.where(held, (bal @ ratio_start) / safe, 1.0)
        economic = pop.year_growth[lo:hi] * q_end / q_start - 1.0
        np.minimum(pop.worst_year_return_economic[lo:hi], economic, out=pop.worst_year_return_economic[lo:hi])


def cash_out_prob(balance_usd: F64, scale: float, balance_scale_usd: float) -> F64:
    """Probability that a separating worker cashes out, falling with the balance.

    ODD §7, job change. p = min(0.95, scale x exp(-balance / B)), B = `cash_out_balance_usd`
    ($25k at the start's wage level): small balances are mostly cashed out, large ones
    rarely. `cash_out_scale` is set so that, with t0 balances and the share staying in the
    system, 41% of separating workers cash out (Fidelity Q3 2024).
    """
    return np.minimum(0.95, scale * np.exp(-balance_usd / balance_scale_usd))


def withdraw_share_inplace(balance: F64, rows: npt.NDArray[np.intp], share: F64) -> F64:
    """Take `share` of each listed account, pro rata over holdings; return USD taken."""
    taken = balance[rows] * share[:, None]
    balance[rows] -= taken
    return taken.sum(axis=1)
