"""The economy under the savers: prices, wages, employment, unemployment and plan counts.

ODD §7.12 (economy). The 401(k) market grows because the workforce covered by plans grows,
pay rises with prices and productivity, and plans are formed; it shrinks for a while when
a recession puts people out of work. This module holds the monthly indices of that
economy, each from a public source (docs/calibration.md, 'Economy'):

- **prices** grow at the CPI inflation of the Social Security Trustees' intermediate
  assumptions (2025 Trustees Report: ultimate CPI-W growth 2.4% a year);
- **wages** (the average wage index every saver's pay follows) grow at that inflation plus
  the Trustees' ultimate real-wage differential (1.13% a year): 3.56% nominal;
- **employment** covered by 401(k) plans grows with the labour force (CBO's 2025
  demographic and economic outlooks: about 0.5% a year over 2025-2035) and falls with
  **unemployment**, which rises when equities fall far below their peak (the labour-market
  channel: `unemployment_target`), the reduced form of two episodes (2001-03 and 2007-09);
- **plans** (the national count the plan weights stand for) grow at the rate of the DOL
  Form 5500 counts of 401(k)-type plans, and follow those counts in a back-cast; under the
  count, plans terminate and are formed (`model.plan_lifecycle`).

Money in outputs is nominal; `price_index` deflates it to constant January-2025 dollars
(`model.reporters`). Nothing here is random: the indices follow the market path, which is
common to every scenario of a seed, so the economy is too (ODD §4.9, common random numbers).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

Rate = Annotated[float, Field(ge=-0.1, le=0.2, allow_inf_nan=False)]
Share = Annotated[float, Field(ge=0.0, le=1.0, allow_inf_nan=False)]


class EconomyParams(BaseModel):
    """Growth and labour-market parameters (ODD §7.12; docs/calibration.md, 'Economy')."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    price_inflation_annual: Rate = 0.024
    """CPI inflation: 2025 Social Security Trustees Report, intermediate, ultimate CPI-W 2.4%."""
    real_wage_growth_annual: Rate = 0.0113
    """Real-wage differential: 2025 Trustees Report, intermediate, ultimate 1.13% a year.
    Nominal pay grows by (1 + inflation)(1 + real growth) - 1 = 3.56% a year."""
    employment_growth_annual: Rate = 0.005
    """Growth of the workforce covered by 401(k) plans: CBO's 2025 outlooks project the
    labour force to grow about 0.5% a year over 2025-2035 (assumption that coverage keeps
    pace; a lever in sweeps)."""
    plan_growth_annual: Rate = 0.016
    """Growth of the number of 401(k) plans: DOL Form 5500 counts, 604,400 (2019) to
    624,158 (2021), 1.6% a year."""
    plan_termination_annual_by_class: tuple[Share, Share, Share, Share] = (0.065, 0.026, 0.026, 0.026)
    """Annual probability that a plan terminates, by size class (<100, 100-999, 1,000-9,999,
    10,000+ participants; ODD §7.12, `model.plan_lifecycle`). Morningstar, Retirement Plan
    Landscape Report (Mar 2022): about 380,000 defined contribution plans closed over
    2011-2020 (38,000 a year), 93% of them with fewer than 100 participants, among about
    628,000 plans in 2011 growing by 4,056 a year (646,000 on average). With 84% of plans
    under 100 participants (EBRI 2020, `InitialState.plan_share_by_class`): 0.93 x 38,000 /
    (0.84 x 646,000) = 6.5% a year under 100 participants and 0.07 x 38,000 /
    (0.16 x 646,000) = 2.6% a year above. Sourced proxy: all DC plans, not 401(k)-type plans
    only; one rate for every class of 100+ (assumption: the report does not split them).
    Which closings distribute their assets and which are mergers:
    `plan_termination_distributing_share_by_class` (docs/calibration.md, 'Economy')."""
    plan_termination_distributing_share_by_class: tuple[Share, Share, Share, Share] = (0.88, 0.25, 0.25, 0.25)
    """Share of the terminations of `plan_termination_annual_by_class` in which the plan
    distributes its assets, by size class; the others are mergers, whose assets move to a
    successor plan (plan-to-plan transfers in Form 5500, not benefits) and which the model
    leaves as they are (the row stands for the successor plan). DOL EBSA, *Private Pension
    Plan Bulletin* No. 10 (abstract of the 1997 Form 5500 reports, as reported by
    PLANSPONSOR, May 18, 2001): of the defined contribution plans that filed a final
    report, 88% of the small plans (fewer than 100 participants) terminated and 25% of the
    medium and large ones; the rest merged into another plan. The latest split found (the
    bulletins stopped reporting it); one share for every class of 100+ (not split). Was
    (1, 0, 0, 0), an assumption, until December 2026: larger plans' closings were all taken
    to be mergers (docs/calibration.md, 'Economy')."""
    new_plan_young_business_share: Share = 0.2
    """Share of newly formed plans whose sponsor is a business under 3 years old, exempt
    from the SECURE 2.0 auto-enrollment mandate until it is 3 (assumption: no public count
    of new 401(k) plans by the sponsor's age was found; a lever in sweeps)."""
    unemployment_start: Annotated[float, Field(ge=0.0, le=0.3)] = 0.040
    """Unemployment rate at the start (BLS CPS, LNS14000000: 4.0% in January 2025)."""
    unemployment_natural: Annotated[float, Field(ge=0.0, le=0.3)] = 0.044
    """Rate unemployment returns to without a downturn (CBO's noncyclical rate, about 4.4%)."""
    unemployment_per_drawdown: Annotated[float, Field(ge=0.0, le=1.0)] = 0.08
    """Rise of the unemployment rate per unit of equity drawdown from its peak: 2007-09, a
    51% fall of the S&P 500 and unemployment from 4.6% to 10.0% (0.11 a unit); 2000-02, a
    45% fall and unemployment from 3.9% to 6.3% (0.05 a unit); the mean of the two
    (assumption within that range; a lever)."""
    unemployment_adjustment_monthly: Annotated[float, Field(gt=0.0, le=1.0)] = 0.08
    """Share of the gap to the target rate closed each month (a half-life of about 8 months:
    unemployment peaked 9-16 months after the equity trough in both episodes; assumption)."""

    @property
    def nominal_wage_growth_annual(self) -> float:
        """Nominal growth of pay: inflation and real-wage growth compounded."""
        return (1.0 + self.price_inflation_annual) * (1.0 + self.real_wage_growth_annual) - 1.0


@dataclass
class Economy:
    """The economy's monthly state: indices relative to the start of the run (ODD §7.12)."""

    params: EconomyParams
    price_index: float = 1.0
    wage_index: float = 1.0
    """Nominal wage level; advanced by the life events at each month's end."""
    employment_index: float = 1.0
    plan_index: float = 1.0
    unemployment_rate: float = 0.0
    layoff_rate: float = 0.0
    """Share of employed workers laid off this month on top of ordinary job changes."""
    workforce_path: tuple[float, ...] = ()
    """Observed covered workforce relative to t0, one value a month from month 1, for a run
    that starts in the past (`model.history.workforce_path`: DOL Form 5500 active
    participants); while it lasts it replaces trend and unemployment in the workforce."""
    wage_path: tuple[float, ...] = ()
    """Observed nominal pay relative to t0 at each month's end (`model.history.wage_path`:
    the SSA average wage index); while it lasts it replaces the assumed wage growth."""
    price_path: tuple[float, ...] = ()
    """Observed prices relative to t0 at each month's end (`model.history.price_path`:
    CPI-U); while it lasts it replaces the assumed inflation."""
    plan_path: tuple[float, ...] = ()
    """Observed number of plans relative to t0, one value a month from month 1
    (`model.history.plan_path`: DOL Form 5500 counts of 401(k)-type plans); while it lasts
    it replaces the assumed plan growth."""
    month: int = 0
    price_start: float = field(init=False)
    """The price index at the start of the run."""

    def __post_init__(self) -> None:
        self.unemployment_rate = self.params.unemployment_start
        self.price_start = self.price_index

    @property
    def nominal_wage_growth_annual(self) -> float:
        """Nominal growth of pay (`EconomyParams.nominal_wage_growth_annual`)."""
        return self.params.nominal_wage_growth_annual

    @property
    def wage_growth_monthly(self) -> float:
        """Factor by which pay and the wage index grow at the end of this month (§7.6): the
        observed wage index's while `wage_path` lasts, else the assumed growth's."""
        m = self.month
        if 1 <= m <= len(self.wage_path):
            return self.wage_path[m - 1] / (self.wage_path[m - 2] if m >= 2 else 1.0)
        return (1.0 + self.nominal_wage_growth_annual) ** (1.0 / 12.0)

    def step(self, equity_depth: float) -> None:
        """Advance one month at its start: prices, plans, employment, unemployment, layoffs
        (wages advance at the month's end, with the savers' ageing: `wage_growth_monthly`).

        The unemployment rate moves a share of the way to `unemployment_target`; a rise is
        a month's layoffs (the rise as a share of those employed), a fall is re-employment,
        which shows as more new hires (`Alt401kModel.hire_weight`).
        """
        p = self.params
        if self.month < len(self.price_path):
            self.price_index = self.price_start * self.price_path[self.month]
        else:
            self.price_index *= (1.0 + p.price_inflation_annual) ** (1.0 / 12.0)
        if self.month < len(self.plan_path):
            self.plan_index = self.plan_path[self.month]
        else:
            self.plan_index *= (1.0 + p.plan_growth_annual) ** (1.0 / 12.0)
        trend = (1.0 + p.employment_growth_annual) ** (1.0 / 12.0)
        before = self.unemployment_rate
        target = unemployment_target(equity_depth, p)
        self.unemployment_rate = before + p.unemployment_adjustment_monthly * (target - before)
        self.layoff_rate = max(0.0, self.unemployment_rate - before) / (1.0 - before)
        self.month += 1
        if self.month <= len(self.workforce_path):
            self.employment_index = self.workforce_path[self.month - 1]
        else:
            self.employment_index *= trend * (1.0 - self.unemployment_rate) / (1.0 - before)


def unemployment_target(equity_depth: float, p: EconomyParams) -> float:
    """Unemployment rate the labour market heads for at this equity drawdown (ODD §7.12).

    The natural rate plus `unemployment_per_drawdown` times the depth of the drawdown (the
    fraction equities stand below their peak, >= 0): a reduced form of how unemployment followed the equity market in the two
    downturns of 2000-02 and 2007-09 (BLS LNS14000000; S&P 500), capped at 25%.
    """
    return min(0.25, p.unemployment_natural + p.unemployment_per_drawdown * max(0.0, equity_depth))


def layoff_multiplier(layoff_rate: float, young: float, old: float) -> float:
    """Factor on the annual job-change rates that adds this month's layoffs (ODD §7.12).

    Ordinary separations average about the mean of the young and old annual rates; the
    month's layoffs (a share of the employed) are added by scaling both rates, so that who
    is laid off follows the same age profile as job changes (BLS JOLTS: layoffs and quits
    both fall with age).
    """
    base_monthly = 1.0 - (1.0 - 0.5 * (young + old)) ** (1.0 / 12.0)
    return 1.0 + layoff_rate / base_monthly if base_monthly > 0 else 1.0


__all__ = ["Economy", "EconomyParams", "layoff_multiplier", "unemployment_target"]
