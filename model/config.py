"""Behavioural parameters and the run configuration, as frozen, validated pydantic models.

Policy levers live elsewhere (`model.levers`, `model.policy`): these models hold only how
agents act and how the initial state is built (levers kept apart from behaviour). Every
default is listed with its unit, source and target in docs/calibration.md.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from ..base.assets import ALTERNATIVES, ILLIQUID
from .economy import EconomyParams
from .market import MarketParams

Share = Annotated[float, Field(ge=0.0, le=1.0, allow_inf_nan=False)]
Positive = Annotated[float, Field(gt=0.0, allow_inf_nan=False)]
NonNegative = Annotated[float, Field(ge=0.0, allow_inf_nan=False)]
_Funds = Annotated[float, Field(ge=1.0, le=100.0, allow_inf_nan=False)]
_Menu = tuple[_Funds, _Funds, _Funds]
"""Mean numbers of core funds (equity, bonds, cash) on a menu: at least one of each."""


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SaverBehaviour(_Frozen):
    """How savers act (ODD §7, saver submodels); see docs/calibration.md, 'Savers'."""

    # Attention: a three-class mixture reproduces both the 2-year no-trade share (Mitchell et
    # al. 2006: 80%) and the quarterly changers (Fidelity 2025: ~5.5-6%).
    attention_class_shares: tuple[Share, Share, Share] = (0.70, 0.25, 0.05)
    review_prob_monthly: tuple[Share, Share, Share] = (0.004, 0.0427, 0.2004)
    """Classes 1-2 fitted (experiments/calibrate.py, results/calibration/fitted.json) to
    Mitchell et al. 2006 (no trade / one trade in 2 years) and Fidelity 2025 (quarterly changers)."""
    attention_boost_per_equity_move: NonNegative = 4.0
    """Review odds rise by this factor times |equity return this month| (Q1 2020: 7.3% vs 5.5%)."""

    # Investment style at t0 (share of participants). HAS 2019: 52% hold a single TDF;
    # HAS 2024: 66% professionally managed; SDBA use ~1% of those with access (Vanguard 2015).
    style_shares: tuple[Share, Share, Share] = (0.55, 0.443, 0.007)
    active_tdf_user_share: Share = 0.40
    """Share of active choosers holding some TDF (EBRI/ICI 2022: 68-77% of participants use TDFs)."""
    default_fund_asset_share: Share = 0.38
    """TDF share of 401(k) assets at t0 (EBRI/ICI 2022: 38%); solved for at initialisation."""
    leave_default_prob: Share = 0.30
    """Probability that a defaulted saver who reviews becomes an active chooser."""

    # Deferral: HAS 2025 average 7.7% of pay; distance-dependent opt-out (Beshears et al. 2024).
    preferred_deferral_mean: Share = 0.077
    preferred_deferral_sd: Share = 0.035
    deferral_change_base_monthly: Share = 0.02
    deferral_change_per_distance: NonNegative = 25.0
    """Monthly odds of leaving the default rise by this factor per unit the default falls short."""
    deferral_change_per_excess: NonNegative = 100.0
    """... and by this factor per unit the default exceeds the preferred rate (paycheck
    salience); fitted to Beshears et al. 2024: ~50% at a 3-6% default, ~25% at 12%, after 12 months."""
    voluntary_enrol_prob_monthly: Share = 0.2534
    """Opt-in hazard under voluntary enrollment of savers in the attentive classes (1 and 2)
    (Madrian-Shea 2001: 37% at 3-15 months; Carroll et al. 2009: opt-in takes ~30 months to
    reach active decision's 3-month level; fitted, docs/validation.md)."""
    procrastinator_enrol_prob_monthly: Share = 0.0127
    """Opt-in hazard of savers in the least attentive class (attention class 0): those who
    rarely look at their account also put off enrolling, so the hazard falls with tenure
    as the prompt enrol first (fitted with the above, docs/validation.md)."""
    active_decision_enrol_prob: Share = 0.3609
    """Share enrolling at once when an active choice is required (Carroll et al. 2009:
    +28 pp over opt-in at 3 months; fitted, see docs/validation.md)."""
    auto_enrol_optout_share: Share = 0.1287
    """Share opting out of automatic enrollment (fitted to Madrian-Shea 2001: 86% at 3-15
    months; HAS 2025 plan-level 94% and Vanguard 2015 91% are higher)."""
    hire_stock_age_share: Share = 0.36
    """Share of new hires whose age is drawn from the participants' age distribution at t0
    (`population.draw_ages`); the others are 22-45, skewed young (ODD §7.6, entry). Fitted so
    that participants age as the labour force does (BLS Employment Projections 2014-24:
    median age 41.9 in 2014, 42.4 projected for 2024; in-sample target `participant_age_drift`,
    docs/validation.md §8): +0.50 years (16 replications). Refitted in December 2026 from
    0.45 when the sixties' ages began to follow the retirement rule (0.45 then gave +0.85),
    and from 0.39 when fewer separating workers left the system (`stay_in_system_prob`
    0.638; 0.39 then gave +0.66: fewer leavers, fewer young hires)."""
    experienced_return_deferral_slope: NonNegative = 0.02
    """Change in deferral rate per unit trailing 12-month own return (Choi et al. 2009: > 0)."""

    # Choice on review.
    return_chasing: NonNegative = 2.0
    """Logit weight on an option's trailing 12-month return (flows chase returns)."""
    menu_count_elasticity: Share = 0.35
    """How a core class's weight grows with the number of its funds on the plan's menu: its
    score is multiplied by (funds of the class) ** this (ODD §7.3, menus). 0: savers choose
    by class whatever the menu; 1: pure 1/n over funds (Benartzi & Thaler 2001). Set near
    Benartzi & Thaler's (2001, Table 7) plan-level slope of the equity share on the relative
    number of equity options controlling for company stock, 0.37 (0.63 alone, 0.09 with
    industry indicators); Huberman & Jiang (2006) find individuals' equity share "not very
    sensitive" to it, so the value is screened over [0, 1] (docs/calibration.md)."""
    peer_weight: NonNegative = 1.0
    """Interest in an alternative is multiplied by 1 + peer_weight x the saver's peer
    sensitivity x the share of coworkers holding it (assumption)."""
    alt_base_interest: Share = 0.15
    """Baseline share of reviewers who consider an alternative option at all."""
    crypto_interest_by_age: tuple[Share, Share, Share, Share] = (0.14, 0.15, 0.10, 0.03)
    """Crypto use by age 18-29, 30-44, 45-59, 60+ (Fed SHED 2022)."""
    crypto_interest_income_slope: NonNegative = 0.5
    """Relative rise in crypto interest per income quintile step (SHED: higher among richer)."""
    crash_interest_drop: Share = 0.4
    """Fall in crypto interest after a ~75% drawdown (target: 30-50%)."""
    panic_sale_prob: Share = 0.05
    """Probability that a reviewer in a >20% equity drawdown moves risky money to cash."""
    stop_contributing_prob_crash: Share = 0.003
    """Monthly probability of stopping contributions in a crash (Fidelity Q1 2025: <1% stopped)."""
    restart_contributing_prob: Share = 0.05

    # Life events.
    job_change_prob_annual_young: Share = 0.18
    job_change_prob_annual_old: Share = 0.06
    """Annual probability of leaving the employer at 25 and at 55, linear between (ODD §7.6):
    assumptions set against BLS tenure (all wage and salary workers: about 0.22-0.26 a year at
    25-34 and 0.07 at 55-64; participants in a 401(k) stay longer; docs/calibration.md)."""
    cash_out_scale: NonNegative = 1.5
    """Scale of the cash-out probability min(0.95, scale x exp(-balance / B)), B =
    `cash_out_balance_usd`, set so that 41% of separating workers cash out at t0 (Fidelity
    Q3 2024)."""
    cash_out_balance_usd: Positive = 25_000.0
    """Balance B (USD of January 2025, moved with the wage level) over which the cash-out
    probability falls by a factor e (assumption, with `cash_out_scale` fitted to the 41% of
    separating workers cashing out). A run starting before 2025 carries it back by the SSA
    average wage index (`history.historical_config`), as it does pay."""
    stay_in_system_prob: Share = 0.638
    """Share of separating workers whose balance stays in a 401(k) (left in the old plan or
    rolled into the new employer's); the rest cash out or roll to an IRA. Fitted (docs/
    validation.md, in-sample flows): benefits paid of 8.65% of year-end assets a year, the
    2019-2023 mean of DOL Form 5500 401(k)-type plans (Table E19), on the validation `flows`
    experiment (8.65%, death benefits and the distributions of terminated plans included,
    ODD §7.12). Refitted in December 2026 from 0.61 when the experiment moved from a run
    from 2025 to the 2019-2023 run itself (0.61 gave 8.26% there), and from 0.57 when the
    CARES Act's distributions of 2020 were added (ODD §7.6; 0.57 then gave 8.81%) and
    larger plans' terminations began to distribute in part, as DOL recorded
    (`Economy.plan_termination_distributing_share_by_class`; 9.17% then): 0.638 gives
    8.65%. Was 0.545 before plan
    terminations, and 0.29 (an assumption) before that, which gave 10.6%."""
    roll_in_prob: Share = 0.47
    """Share of new hires rolling a prior balance into the plan. Fitted (docs/validation.md,
    in-sample flows): contributions from others, rollovers included, of 0.88% of year-end
    assets a year, the 2019-2023 mean of DOL Form 5500 401(k)-type plans (Abstract tables D7),
    jointly with `stay_in_system_prob` (fewer leavers, fewer hires: 0.876% on the `flows`
    experiment). Refitted in December 2026 from 0.57 on the 2019-2023 run (0.57 gave 1.14%
    there, in part because a run from 2019 rolled balances in at their 2025-dollar size).
    Refitted again to 0.435 when the sixties' ages began to follow the retirement rule (ODD
    §5.1; 0.42 then gave 0.850%, 0.435 gave 0.878%), and to 0.47 with `stay_in_system_prob`
    when the CARES Act's distributions were added and larger plans' terminations began to
    distribute in part (0.435 then gave 0.84%).
    Was 0.52 before plan terminations, and 0.10 (an assumption) before that, which gave 0.18%."""
    roll_in_median_usd: Positive = 15_000.0
    """Median prior balance a new hire rolls in (USD of January 2025, moved with the wage
    level; Lognormal with log-sd 1; assumption, with `roll_in_prob` fitted to the rollovers
    in). A run starting before 2025 carries it back by the SSA average wage index
    (`history.historical_config`), as it does pay."""
    hardship_prob_annual: Share = 0.048
    """Hardship withdrawals (Vanguard 2025: 4.8% of participants in 2024)."""
    hardship_share_of_balance: Share = 0.15
    disaster_distribution_take_up: Share = 0.042
    """Share of participants who took a coronavirus-related distribution over the CARES Act's
    window, April-December 2020 (`history.DISASTER_DISTRIBUTION_WINDOWS`; ODD §7.6):
    Vanguard, *Revisiting the CARES Act and its impact on retirement savings* (Feb 2021):
    73% of its sponsors permitted them and 5.7% of the participants offered took one,
    0.73 x 5.7% = 4.2% (sponsor-weighted; no participant-weighted share published)."""
    disaster_distribution_share_of_balance: Share = 0.19
    """Share of the account a coronavirus-related distribution takes: Vanguard (Feb 2021),
    average distributions of $24,600 a participant who took one, against an average account
    balance of $129,157 at the end of 2020 (*How America Saves 2021*): 19%, the ratio to an
    average participant's balance as `hardship_share_of_balance` is read (ODD §7.6)."""
    loan_prob_annual: Share = 0.038
    loan_share_of_balance: Annotated[float, Field(ge=0.0, le=0.5, allow_inf_nan=False)] = 0.365
    """Annual probability that a participant without a loan takes one, and the share of the
    balance borrowed (ODD §7.6, loans; IRC §72(p) allows at most half, up to $50,000).
    Fitted together (docs/validation.md §8, in-sample) to participant loans of 1.18% of
    assets (DOL Form 5500 401(k)-type plans, Abstract of 2019, table D6: $73.5bn of $6.24T)
    and 13% of participants with a loan outstanding (EBRI/ICI 401(k) database, year-end
    2022), each measured in its own year of the `flows` experiment over 2019-2023: 1.18% and
    12.8% (16 replications). Refitted in December 2026 from 0.033 and 0.5 (the legal
    maximum), which gave 1.22% and 11.5% there; the mean share borrowed, 36.5%, is below the
    legal half as borrowers need not take the most."""
    loan_cap_usd: Positive = 50_000.0
    """Largest loan, nominal USD (IRC §72(p)(2)(A))."""
    loan_rate_annual: Annotated[float, Field(ge=0.0, le=0.3)] = 0.085
    """Interest on a loan, paid into the borrower's account: the prime rate (7.5% in January
    2025) plus one point, the common plan practice (assumption)."""
    loan_term_months: int = Field(default=60, ge=1, le=360)
    """Repayment period (IRC §72(p)(2)(B): five years for a general-purpose loan)."""
    loan_unemployment_elasticity: NonNegative = 1.0
    """Relative rise in the loan rate per unit relative excess of unemployment over its
    natural rate (assumption: borrowing rises in recessions)."""
    retirement_age_min: Annotated[float, Field(ge=50, le=80)] = 62.0
    retirement_age_max: Annotated[float, Field(ge=50, le=85)] = 67.0

    @model_validator(mode="after")
    def _check(self) -> SaverBehaviour:
        for name in ("attention_class_shares", "style_shares"):
            if abs(sum(getattr(self, name)) - 1.0) > 1e-9:
                raise ValueError(f"{name} must sum to 1")
        if self.retirement_age_max < self.retirement_age_min:
            raise ValueError("retirement_age_max must not be below retirement_age_min")
        return self


class SponsorBehaviour(_Frozen):
    """How plan sponsors decide at their annual review (ODD §7, sponsor submodels)."""

    adoption_intercept: float = Field(default=-1.177, ge=-20, le=20)
    """Logit intercept: the pull of the status quo. Fitted by simulated method of moments
    (experiments/calibrate.py, `fit_alternatives`) to PLANSPONSOR's 2025 Recordkeeping
    Survey: 3.9% of sponsors offering alternatives in 2024, from runs that start in January
    2024 at 2023's 2.2% (in-sample, docs/validation.md §8): -1.18 (standard error 0.42),
    refitted when `weight_peers` came from the fit to auto-enrollment's diffusion (1.63, was
    3.0 by hand; the intercept was -1.40 then, and -1.71 before the sponsors' litigation
    fear came to read peers' and their size class's suits); results/calibration/fitted_alternatives.json.
    Was -3.2, set by hand with `keep_bias`."""
    weight_net_benefit: NonNegative = 20.0
    """Logit weight per unit of perceived net-of-fee excess return a year."""
    weight_demand: NonNegative = 3.0
    weight_peers: NonNegative = 1.632
    """Logit weight per unit share of the plan's network peers (§4.8) that have adopted, the
    same for every decision a sponsor makes on a product or feature (ODD §7.8): offering an
    alternative and auto-enrolling. Fitted by simulated method of moments to the diffusion
    of automatic enrollment after the Pension Protection Act (experiments/calibrate.py,
    `fit_auto_enrollment`; Vanguard How America Saves: 10% of plans auto-enrolling at the
    end of 2006, about 20% of 2008, 34% of 2013, from runs that start in January 2005;
    in-sample, docs/validation.md §8): 1.63 (standard error 2.25, correlation -0.96 with
    `ae_adoption_intercept`: the three shares pin the curve's level well and its
    acceleration, which peers make, weakly); results/calibration/fitted_auto_enrollment.json.
    That the weight on peers carries over from a plan feature to a product is an assumption
    (the sponsors, their peer network and the reading of peers' choices are the same); it
    was 3.0, set by hand."""
    weight_consultant: NonNegative = 1.5
    weight_recordkeeper: NonNegative = 1.0
    """Logit weight on the share of the recordkeeper's client plans offering alternatives:
    recordkeepers carry alternative products on their platforms (Empower's private-markets
    offering for DC plans, 2025); assumption for the size."""
    weight_stance: NonNegative = 1.0
    weight_safe_harbor: NonNegative = 1.0
    weight_litigation: NonNegative = 3.0
    weight_recent_suits: NonNegative = 0.5
    """Logit penalty per lawsuit against adopters in the past 24 months (national count / 10)."""
    weight_peer_suits: NonNegative = 2.0
    """Logit penalty per unit share of the plan's industry peers (§4.8) sued in the past
    `litigation.peer_window_months` (ODD §7.8, litigation fear): a sponsor watches suits
    against plans like its own. Assumption, unsourced (one peer in ten sued: -0.2)."""
    weight_class_suits: NonNegative = 0.05
    """Logit penalty per 10 filings against plans of the sponsor's own size class in the
    past `litigation.peer_window_months` (ODD §7.8; the trade press reports excessive-fee
    suits by plan size). Assumption, unsourced: the ~70 jumbo-plan filings of two years
    weigh -0.35, the ~1 against small plans nothing."""
    small_plan_capacity_penalty: NonNegative = 1.5
    """Extra logit penalty for plans under 100 participants (DOL 2021: small plans less able)."""
    drop_prob_after_suit: Share = 0.5
    """Probability that a plan sued in the past 12 months drops an offered alternative at its
    review (assumption; Morris screen: does not drive the headline)."""
    drop_prob_underperformance: Share = 0.5
    """Probability that a plan drops an offered alternative at its review when the
    alternative trailed its benchmark (public equity, net of the fee premium) over the
    trailing `underperformance_window_months` by more than `underperformance_threshold_annual`
    (ODD §7.8, reversible decisions). Investment policy statements put such a fund on a
    watch list and replace it if it does not recover; deletions from 401(k) menus respond to
    prior performance (Pool, Sialm & Stefanescu 2016, JF 71(4)); the size is an assumption
    (about two reviews on the watch list)."""
    underperformance_window_months: int = Field(default=36, ge=12, le=36)
    """Trailing window of the performance review (three years, the usual IPS horizon;
    at most the 36 months of record the model keeps). No trigger before the record is this long."""
    performance_benchmark: dict[str, Literal["equity", "bonds", "cash"]] = Field(
        default_factory=lambda: {
            "crypto": "equity",
            "private_equity": "equity",
            "private_credit": "bonds",
            "infrastructure": "equity",
            "gold": "equity",
        }
    )
    """Benchmark of each alternative class in the performance review: private equity
    against public equity (the public-market-equivalent convention, Kaplan & Schoar 2005,
    JF 60(4)); private credit against the core bond fund (its role in a menu is income;
    assumption: practice uses leveraged-loan indices, which the model does not have);
    infrastructure, crypto and gold against public equity, the comparison the sponsors'
    perceived benefit makes (assumption)."""
    underperformance_threshold_annual: Annotated[float, Field(ge=0.0, le=0.2, allow_inf_nan=False)] = 0.0
    """Shortfall a year below the benchmark that puts an alternative on the watch list
    (0: any shortfall over the window; assumption)."""
    recordkeeper_change_annual: Share = 0.08
    """Probability a year (drawn at the review) that a plan changes recordkeeper, the new
    one drawn by market share (assumption: plans run a recordkeeper search every few years
    and most keep the incumbent). The new provider's re-underwriting of the menu is a
    trigger (`drop_prob_provider_change`)."""
    drop_prob_provider_change: Share = 0.3
    """Probability that a plan drops an offered alternative at a review where it changed
    recordkeeper or consultant: the new provider re-underwrites the menu (assumption)."""
    consultant_change_annual: Share = 0.10
    """Probability a year that a plan with an investment consultant changes consultant (to
    another drawn uniformly; assumption). A trigger like a change of recordkeeper."""
    never_adopt_share_by_class: tuple[Share, Share, Share, Share] = (0.40, 0.30, 0.20, 0.10)
    """Share of plans in each size class (under 100, 100-999, 1,000-4,999, 5,000 or more
    participants) that never add an alternative whatever the regime: the sponsor's
    investment policy excludes illiquid or novel assets (assumption, falling with size as
    capacity rises; a lever in sweeps). Plans already offering one at t0 are not among them."""
    prior_excess_belief_annual: dict[str, Annotated[float, Field(ge=-0.5, le=0.5)]] = Field(
        default_factory=lambda: {
            "crypto": 0.0,
            "private_equity": 0.02,
            "private_credit": 0.02,
            "infrastructure": 0.0,
            "gold": -0.01,
        }
    )
    """Prior belief in each class's excess return over public equity, net of fund fees
    (PE: +2.0%/yr net PME, Lester, O'Shea & Warren 2025); moved toward the trailing record
    of m months (at most 36) with credibility m / (m + 60)."""
    risk_penalty: NonNegative = 0.10
    """Benefit lost per unit of volatility above public equity's (assumption)."""
    auto_enroll_share_by_class: tuple[Share, Share, Share, Share] = (0.595, 0.68, 0.78, 0.80)
    """Auto-enrollment by plan-size class: 78% of plans with >=1,000 participants and 61% of
    all plans, plan-weighted (HAS 2025); the two smaller classes are set to meet the 61%
    (0.84 x 0.595 + 0.135 x 0.68 + 0.023 x 0.78 + 0.002 x 0.80 = 0.611)."""
    ae_adoption_intercept: float = Field(default=-3.614, ge=-20, le=20)
    """A plan without automatic enrollment adopts it at its annual review with probability
    logistic(ae_adoption_intercept + weight_peers x share of its network peers auto-enrolling
    + ae_weight_size x size class) (ODD §7.8): diffusion through peers, faster in larger
    plans. Fitted with `weight_peers` by simulated method of moments (experiments/calibrate.py,
    `fit_auto_enrollment`) to Vanguard How America Saves: 10% of plans auto-enrolling at the
    end of 2006, about 20% of 2008 and 34% of 2013, from runs that start in January 2005
    (in-sample, docs/validation.md §8): -3.61 (standard error 0.55);
    results/calibration/fitted_auto_enrollment.json."""
    default_kind_switch_prob: Share = 0.25
    """Probability a year (at the review) that a plan whose default fund is not of the kind
    the regime sanctions moves to it: after the QDIA regulation (Dec 2007) plans moved their
    defaults to target-date funds over several years (assumption; screened in
    results/calibration/morris-assumptions.csv)."""
    ae_weight_size: float = Field(default=0.5, ge=-5, le=5)
    """Logit step per plan-size class (assumption: HAS 2025 finds 78% of plans with 1,000 or
    more participants auto-enrolling against 61% of all plans; a lever in sweeps)."""
    default_rate_choices: tuple[Share, ...] = (0.03, 0.04, 0.05, 0.06)
    default_rate_probs: tuple[Share, ...] = (0.39, 0.21, 0.10, 0.30)
    """HAS 2025: 61% default at >=4%, ~30% at >=6%."""
    escalation_share: Share = 0.69
    escalation_cap: Share = 0.10
    match_rate: Share = 0.5
    match_cap_share_of_pay: Share = 0.06
    match_formula_share: Share = 0.55
    full_match_cap_share_of_pay: Share = 0.04
    """A share `match_formula_share` of plans match `match_rate` per dollar up to
    `match_cap_share_of_pay`; the others twice the rate ($1 per $1) up to this cap
    (assumption; screened: results/calibration/morris-assumptions.csv)."""
    """Most common formula: $0.50 per $1 up to 6% of pay (HAS 2024)."""
    nonmatching_share: Share = 0.46
    """Plans paying a nonmatching (profit-sharing or nonelective) contribution: Vanguard How
    America Saves 2024 (2023 data): 10% of plans pay one only and 36% with a match, 46% of
    plans covering 46% of participants."""
    nonmatching_rate: Share = 0.021
    """Their contribution, share of pay, to every enrolled saver: fitted to Form 5500's employer
    share of contributions (34.8% of employee plus employer, 2019-2023 mean; DOL Abstract
    tables D7; in-sample target `employer_share_of_contributions`, docs/validation.md §8):
    34.7% on the validation `flows` experiment (16 replications; 34.8% on the experiment over
    2019-2023 since December 2026, pay refitted); without it 29.0%."""
    window_share_by_class: tuple[Share, Share, Share, Share] = (0.10, 0.18, 0.30, 0.36)
    """Brokerage windows (PSCA: ~25% of plans, 36% of plans >5,000 participants)."""
    core_funds_mean_by_class: tuple[_Menu, _Menu, _Menu, _Menu] = (
        (10.0, 2.5, 1.3), (13.0, 3.0, 1.5), (13.0, 3.0, 1.5), (13.0, 3.0, 1.5))
    """Mean number of core funds (equity, bonds, cash) on a plan's menu by size class: the
    average large 401(k) plan (BrightScope audited filings, about 100 participants or more)
    offered about 13 equity and 3 bond funds in 2020 (BrightScope/ICI, *A Close Look at
    401(k) Plans, 2020*); cash (money market or stable value) and plans under 100
    participants are assumptions (ODD §5, menus; docs/calibration.md). Each count is at
    least 1, drawn 1 + Poisson(mean - 1) (`agents.sponsors.draw_core_menus`)."""
    index_offer_share_by_class: tuple[Share, Share, Share, Share] = (0.77, 0.913, 0.95, 0.95)
    """Plans offering index funds, by size class: BrightScope/ICI (*A Close Look at 401(k)
    Plans, 2016*): 77% of plans under $1 million of assets, 91.3% of all (audited) plans,
    more than 95% of plans over $10 million; mapped to the size classes by assumption."""
    index_fund_share: Share = 0.35
    """Probability that a core equity or bond fund of a plan offering index funds is an index
    fund (assumption, in line with index funds' 33.2% of assets in BrightScope/ICI 2016);
    money market and stable value funds are not index funds."""
    window_turnover_annual: Share = 0.01
    """Yearly probability that a plan adds (or drops) a brokerage window for reasons other
    than alternatives (assumption; PSCA shows the share of plans with windows stable)."""
    consultant_share_by_class: tuple[Share, Share, Share, Share] = (0.60, 0.70, 0.85, 0.95)
    """Plans using an investment consultant or adviser, by size class: PSCA's survey of the
    2015 plan year (via NAPA) finds 66.8% of plans retaining an adviser, PLANADVISER's 2018
    Micro Plan Survey 69% of plans under $5M; rising with size (assumption for the slope)."""
    n_consultants: int = Field(default=40, ge=1, le=10_000)
    n_recordkeepers: int = Field(default=27, ge=1, le=1_000)
    peer_degree: int = Field(default=6, ge=2, le=100)
    lawsuit_hazard_annual_by_class: tuple[Share, Share, Share, Share] = (1.1e-6, 4.7e-5, 1.38e-3, 0.0259)
    """Excess-fee suit hazard a plan a year by size class (ODD §7.10): ~55 suits a year
    (Encore/Euclid Fiduciary: 463 in 2016-2023, "the approximate 55-per year average"), 57%
    of them against plans of 10,000+ participants (about the $1B "jumbo" line: 46% of sued
    plans were under $1B in 2019-21, Chubb/Groom 2021; almost 40% since 2020, Aon 2024),
    35% / 7% / 1% against the three smaller classes (assumption: suits reach plans under
    $250M-$500M, Encore 2024, and rarely plans of <100 participants), each divided by the
    class's plan count at t0 (Form 5500, `InitialState`)."""
    lawsuit_fee_elasticity: NonNegative = 150.0
    """Hazard rises by this factor times the fee premium over 0.4%/yr."""
    lawsuit_loss_elasticity: NonNegative = 5.0
    """Hazard rises by this factor times a trailing-year loss of the alternative options."""
    safe_harbor_shield: Share = 0.8
    """Share of the alternative-related hazard removed by a full safe harbor."""

    @model_validator(mode="after")
    def _check(self) -> SponsorBehaviour:
        if set(self.performance_benchmark) != set(ALTERNATIVES):
            raise ValueError(f"performance_benchmark must name a benchmark for each of {list(ALTERNATIVES)}")
        return self


class LitigationBehaviour(_Frozen):
    """How an excess-fee suit proceeds once filed (ODD §7.10): motion to dismiss, then
    settlement or a defence win; how large settlements are; what peers watch. The shares
    dismissed on the motion are policy levers (case law, `litigation.dismissal.*`)."""

    ruling_months_mean: Positive = 12.0
    """Mean months from filing to the ruling on the motion to dismiss (a constant monthly
    chance 1/mean; assumption: briefing takes most of a year; four of eleven BlackRock
    LifePath suits were dismissed within a year of filing, Euclid Fiduciary 2023 mid-year)."""
    resolution_months_mean: Positive = 18.0
    """Mean months from surviving the motion to settlement or judgment (assumption, set so
    that ~83% of surviving suits are resolved within four years of filing: Encore 2024, 90%
    of the cases filed in 2020 had settled by the end of 2024)."""
    settle_share_after_ruling: Share = 0.95
    """Share of suits surviving the motion that settle rather than end in a defence win at
    summary judgment or trial (Aon 2024: defendants who lose the motion 'will likely
    settle'; Encore 2023: 42 settlements against at least five trials)."""
    settlement_ref_usd: Positive = 1.5e6
    """Settlement paid by a plan of `settlement_ref_assets_usd` (Bloomberg Law 2022, via
    401k Specialist: most settlements since 2020 between $0.5M and $4M; their geometric
    middle, rounded). Nominal dollars of the filing month."""
    settlement_ref_assets_usd: Positive = 5e8
    """Plan assets at which a settlement is `settlement_ref_usd` (assumption: the typical
    defendant since 2020 is a plan near the $1B jumbo line or below it, Chubb/Groom 2021)."""
    settlement_elasticity: Annotated[float, Field(ge=0.0, le=1.5, allow_inf_nan=False)] = 0.66
    """Settlement rises with plan assets as (assets / reference)^elasticity (assumption:
    from $1.5M at $500M to ~$22M at $30B, the "tens of millions" of the largest
    settlements, Groom/Chubb 2021; Aon 2024: >55 of >130 settlements were $10M or more)."""
    peer_window_months: int = Field(default=24, ge=1, le=120)
    """Months a suit stays news to sponsors (the window `weight_recent_suits`,
    `weight_peer_suits` and `weight_class_suits` read)."""


class ManagerBehaviour(_Frozen):
    """How asset managers launch and price products (ODD §7, manager submodels)."""

    tdf_market_shares: tuple[Share, ...] = (0.37, 0.18, 0.11, 0.08, 0.06, 0.20)
    """Top five TDF providers ~80% (Morningstar via RetirementIncomeJournal); last = the rest."""
    tdf_fee_annual: tuple[Share, ...] = (0.0008, 0.0035, 0.0012, 0.0045, 0.0010, 0.0050)
    core_fee_annual: dict[str, Share] = Field(
        default_factory=lambda: {"equity": 0.0039, "bonds": 0.0032, "cash": 0.0030}
    )
    """ICI 'Economics of Providing 401(k) Plans' 2020: equity 0.39%, bond 0.32%."""
    core_index_fee_annual: dict[str, Share] = Field(
        default_factory=lambda: {"equity": 0.0008, "bonds": 0.0005}
    )
    """Expense ratio of a core index fund (ODD §7.5, menus): equity 0.08%, the asset-weighted
    index equity mutual fund (ICI, *Trends in the Expenses and Fees of Funds, 2018*); bonds
    an assumption. A plan's core fee of a class is the mean over its funds of the class."""
    core_active_fee_annual: dict[str, Share] = Field(
        default_factory=lambda: {"equity": 0.0054, "bonds": 0.0045}
    )
    """Expense ratio of a core actively managed fund: implied, so that with the expected share
    of index funds among a class's funds (0.32 = `index_fund_share` x the participant-weighted
    `index_offer_share_by_class`) the mean is `core_fee_annual` (ICI's 401(k) averages):
    (0.0039 - 0.32 x 0.0008) / 0.68 and (0.0032 - 0.32 x 0.0005) / 0.68 (docs/calibration.md;
    ICI's 2018 average over all investors in active equity funds, 0.76%, is higher, as retail
    share classes are dearer)."""
    sleeve_fee_annual: dict[str, Share] = Field(
        default_factory=lambda: {
            "private_equity": 0.0125,
            "private_credit": 0.0125,
            "infrastructure": 0.0125,
            "crypto": 0.0025,
            "gold": 0.0025,
        }
    )
    """Management fee on a sleeve, the partner's share of the fee: the management fees of the
    semi-liquid vehicles such sleeves hold (private equity: BXPE and KKR K-PEC, 1.25% of NAV;
    private credit: BCRED and Apollo Debt Solutions, 1.25%; infrastructure: KKR
    Infrastructure Conglomerate and Brookfield Infrastructure Income Fund, 1.25%;
    docs/calibration.md). Private credit and infrastructure were 1.00% before December 2026.
    Incentive fees other than private equity's carry are not modelled."""
    standalone_fee_annual: dict[str, Share] = Field(
        default_factory=lambda: {
            "private_equity": 0.0240,
            "private_credit": 0.0150,
            "infrastructure": 0.0150,
            "crypto": 0.0085,
            "gold": 0.0040,
        }
    )
    """Standalone option total expense before incentive fees (private equity's carry is
    charged apart, `carry_rate`): private equity 2.40%, between the institutional classes of
    two retail private-equity funds before their incentive fees (Partners Group Private Equity
    Master Fund, Class I capped at 2.30%; Hamilton Lane Private Assets Fund, Class I 2.46%;
    StepStone Private Markets' classes 2.45-3.30%; docs/calibration.md; 2.00% before
    December 2026); crypto: Fidelity DAA 0.75-0.90%."""
    carry_rate: Share = 0.125
    hurdle_annual: Share = 0.05
    """BXPE: 12.5% over a 5% hurdle."""
    target_sleeve_share: dict[str, Share] = Field(
        default_factory=lambda: {
            "private_equity": 0.10,
            "private_credit": 0.05,
            "infrastructure": 0.03,
            "crypto": 0.0,
            "gold": 0.0,
        }
    )
    """Sleeve design (BlackRock 2025: 5-20% private; Georgetown CRI: 10% PE)."""
    launch_threshold: Annotated[float, Field(ge=-10, le=10)] = -0.3
    """Stance (averaged over sleeve classes) above which a TDF provider launches an alt TDF."""
    launch_prob_quarterly: Share = 0.5
    fund_pooling: Literal["product", "plan"] = "product"
    """How default funds are pooled (ODD §7.5): by product and vintage across plans, as
    off-the-shelf target-date series are held (mutual funds and collective trusts), with
    the largest plans' custom series by plan and vintage; or every plan's by plan and
    vintage (a lever: the level of pooling decides who bears a gated sleeve)."""
    custom_tdf_asset_share: Share = 0.20
    """Share of target-date assets in custom series, run by the largest plans (DCIIA Custom
    Target Date Fund Survey, year-end 2017: $430bn of $2.1T, Pensions & Investments,
    20 March 2019)."""
    vintage_close_years: Annotated[int, Field(ge=0, le=30)] | None = 7
    """Years after its target date at which a vintage merges in kind into its series'
    retirement-income fund (Vanguard's practice: about seven years, when its mix reaches
    the income fund's; 0 for a "to" glide path; None: vintages stay open)."""
    sleeve_taper: Annotated[float, Field(ge=0, lt=1)] = 0.5
    """How far a vintage's sleeve departs from its product's along the glide path: (1 +
    taper) times it 40 or more years before the target date, (1 - taper) times it at and
    after (assumption after designs that put private equity mostly in young and midlife
    savers' funds, AllianceBernstein 2025; docs/calibration.md)."""
    alt_tdf_vehicle: Literal["cit", "mutual_fund"] = "cit"
    """Vehicle of the target-date funds with a sleeve: collective investment trusts, as the
    2024-2026 launches for 401(k) plans are, or mutual funds, whose illiquid holdings SEC
    Rule 22e-4 limits to 15% of net assets."""


class InitialState(_Frozen):
    """National totals the t0 population is weighted to (Q1 2025; docs/calibration.md §7)."""

    assets_usd: Positive = 8.7e12
    """ICI Q1 2025: 401(k) assets $8.7T."""
    participants: Positive = 70e6
    """ICI 2026: 'about 70 million' active 401(k) participants."""
    plans: Positive = 604_400
    """DOL EBSA Form 5500 2019: 604,400 401(k) plans."""
    auto_enrolled_share_at_ae_plans: Share = 0.70
    at_default_share_of_auto_enrolled: Share = 0.40
    """At t0, the share of enrolled savers at auto-enrolling plans who were enrolled
    automatically (the others joined before the plan adopted it), and the share of those
    still at the default rate (assumptions; screened: results/calibration/morris-assumptions.csv)."""
    salary_median_usd: Positive = 96_600.0
    """Median annual pay of a 43-year-old eligible employee at t0 (nominal, January 2025).
    Fitted (docs/validation.md, in-sample flows): employee and employer contributions of
    7.2% of year-end assets a year, the 2019-2023 mean of DOL Form 5500 401(k)-type plans
    (Private Pension Plan Bulletin Historical Tables, Table E19 and Abstract tables D7), on
    the validation `flows` experiment over 2019-2023 itself (7.18%, 16 replications),
    jointly with the nonmatching contribution (`SponsorBehaviour.nonmatching_rate`, which
    still gives the employer share). An effective level: the model counts ICI's ~70 million
    participants where Form 5500 counts ~84 million eligible employees (`history.
    participant_scale`), so pay carries the payroll of the uncounted sixth. Refitted in
    December 2026 from $88.5k, fitted on runs from 2025 with simulated returns and 2024's
    auto-enrolment, which gave 6.6% on the 2019-2023 run and contributions 9-11% below Form
    5500's in the 2016-2022 back-cast; before that $92k (7.5% once pay followed the age
    profile as savers age, ODD §7.6), $99k with matching contributions only, and $60k (an
    unfitted assumption): 5.0%."""
    participation_rate_auto: Share = 0.94
    participation_rate_voluntary: Share = 0.64
    """Share of eligible employees enrolled at t0, at plans with and without automatic
    enrollment (Vanguard HAS 2025, 2024 data: 94% and 64%). `participants` counts eligible
    employees, as DOL Form 5500 counts "active participants" of 401(k) plans; the others
    hold no balance at t0 (ODD §5)."""
    plan_share_by_class: tuple[Share, Share, Share, Share] = (0.84, 0.135, 0.023, 0.002)
    participant_share_by_class: tuple[Share, Share, Share, Share] = (0.13, 0.20, 0.25, 0.42)
    asset_share_by_class: tuple[Share, Share, Share, Share] = (0.13, 0.17, 0.24, 0.46)
    """EBRI 2020: <100 = 84% of plans, 13% of people and assets; >10,000 = <1%, 42%, 46%."""
    mean_to_median_balance: Positive = 3.88
    """Vanguard HAS 2025: average $148,153 / median $38,176."""
    mutual_fund_share: dict[str, Share] = Field(
        default_factory=lambda: {"default_fund": 0.42, "equity": 0.91, "other": 0.37}
    )
    """Share held in mutual funds rather than CITs, set to ICI Q1 2025 ($5.3T = $1.4T hybrid +
    $3.2T equity + the rest) given the t0 holdings; TDFs are 52% CITs (Morningstar 2024).
    Solved at the default sample (t0 holdings: $3.31T default fund, $3.50T core and window
    equity, $1.90T other): 0.42 x 3.31 = $1.39T, 0.91 x 3.50 = $3.18T, 0.37 x 1.90 = $0.70T.
    (Before: equity 0.82 gave $2.87T, 10% short of ICI's $3.2T; tests/model/test_calibration.py.)"""
    alt_offering_share: Share = 0.039
    """PLANSPONSOR 2025: 3.9% of sponsors offered alternatives in 2024."""
    alt_holding_share_of_offering_plans: Share = 0.01
    """Share of assets in alternatives where a plan offers them at t0 (assumption; keeps crypto <1%)."""


class ManagedAccountParams(_Frozen):
    """The recordkeepers' managed-account service (ODD §7.14); see docs/calibration.md,
    'Managed accounts'. Which recordkeepers offer it and which hold a private-markets
    sleeve, from when, is platform data (`[[platforms]]`, channel `managed_account`)."""

    plan_offer_share: Share = 0.5
    """Share of plans offering the service at t0 and in the long run, every size class
    (about half of plans: Blanchett, PLANSPONSOR; Invesco 2024; not split by size)."""
    plan_drop_prob_annual: Share = 0.05
    """A plan offering it drops it at a review without a trigger (assumption); plans add it
    at the rate that keeps `plan_offer_share` steady. A suit or a change of recordkeeper
    adds the sponsors' drop triggers (`sponsors.drop_probability`)."""
    qdia_share: Share = 0.03
    """Share of plans offering it that make it their QDIA, so that defaulted savers are
    enrolled (assumption: 'a small share'; the 2007 QDIA rule allows it, 29 CFR 2550.404c-5)."""
    usage_share: Share = 0.06
    """Share of participants at offering plans enrolled by opting in, at t0 and in the
    long run (assumption, bracketed by How America Saves 2012: 3% of all Vanguard
    participants in 2011, when fewer plans offered it)."""
    leave_prob_annual: Share = 0.10
    """A managed saver leaves the service at its plan's review (assumption); opt-ins come at
    the rate that keeps `usage_share` steady."""
    fee_annual: Annotated[float, Field(ge=0.0, le=0.02, allow_inf_nan=False)] = 0.004
    """Advisory fee on the managed balance, a year, on top of the funds' expense ratios
    (GAO-14-310: 0.08%-1.00% across eight providers; 0.4% an assumption within it)."""
    risk_tilt: Annotated[float, Field(ge=0.0, le=1.0, allow_inf_nan=False)] = 0.4
    """Equity share added per unit of risk tolerance above 0.5 (the personalisation;
    assumption: +-20 points at the extremes)."""
    sleeve_share: dict[str, Share] = Field(
        default_factory=lambda: {"private_equity": 0.05, "private_credit": 0.03, "infrastructure": 0.02})
    """Private-markets sleeve of a managed account where its recordkeeper holds one, share
    of the account by class (assumption: 10% in all, within BlackRock's 5-20% design and
    Georgetown CRI's 10%; the split an assumption)."""

    @field_validator("sleeve_share")
    @classmethod
    def _private_only(cls, value: dict[str, float]) -> dict[str, float]:
        bad = [k for k in value if k not in ILLIQUID]
        if bad:
            raise ValueError(f"a managed account's sleeve holds private markets only {list(ILLIQUID)}, got {bad[0]!r}")
        if sum(value.values()) > 0.5:
            raise ValueError("the sleeve may be at most half of the account")
        return value


class RunConfig(_Frozen):
    """Everything one model run needs besides the policy scenario."""

    n_savers: int = Field(default=100_000, ge=100, le=200_000_000)
    n_sponsors: int = Field(default=1_200, ge=4, le=2_000_000)
    years: int = Field(default=30, ge=1, le=80)
    start: dt.date = dt.date(2025, 1, 1)
    seed: int = Field(default=20250807, ge=0)
    saver_engine: Literal["columnar", "agents"] = "columnar"
    """How the saver phases run: "columnar" (whole-population arrays, benchmarks/RESULTS.md) or "agents"
    (one `model.saver_agents.Saver` Mesa agent per saver, the same rules and draws; a slow
    reference that must give the same results, tests/model/test_saver_agents.py)."""
    saver: SaverBehaviour = SaverBehaviour()
    sponsor: SponsorBehaviour = SponsorBehaviour()
    litigation: LitigationBehaviour = LitigationBehaviour()
    manager: ManagerBehaviour = ManagerBehaviour()
    market: MarketParams = MarketParams()
    economy: EconomyParams = EconomyParams()
    initial: InitialState = InitialState()
    managed_account: ManagedAccountParams = ManagedAccountParams()

    @property
    def n_months(self) -> int:
        """Months simulated."""
        return 12 * self.years


def with_overrides(config: RunConfig, overrides: dict[str, Any], source: str | Path) -> RunConfig:
    """Return a copy of `config` with dotted-key overrides (``"saver.panic_sale_prob"``) applied.

    Raises `InputError` naming `source` and the key for an unknown key or an invalid value.
    """
    import pydantic

    from .errors import InputError, from_validation_error

    data = config.model_dump()
    for key, value in overrides.items():
        node = data
        parts = key.split(".")
        for part in parts[:-1]:
            if not isinstance(node.get(part), dict):
                raise InputError(source, key, "unknown parameter")
            node = node[part]
        if parts[-1] not in node:
            raise InputError(source, key, "unknown parameter")
        node[parts[-1]] = value
    try:
        return RunConfig.model_validate(data)
    except pydantic.ValidationError as err:
        raise from_validation_error(source, err) from None
