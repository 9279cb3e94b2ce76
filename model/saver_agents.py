"""Savers as one Mesa agent each: the per-saver engine.

ODD §2 (saver state) and §7 (saver submodels), run one saver at a time. The model runs
savers as a columnar population (`agents.savers`, the compiled passes and the saver phases
of `model.model.Alt401kModel`), because one Python object per saver is far too slow at
national scale (benchmarks/RESULTS.md). Here a `Saver` holds its own state as Python numbers
and lists and applies each rule to itself by calling the rule's function of one saver, the
same function the compiled passes inline (`agents.reviews`, `agents.life_events`,
`agents.payroll`, `agents.interest`, `agents.menus`, `agents.reallocation`,
`agents.trading`, `agents.accounts`): no rule is written here. `SaverAgents` runs a month's
saver phases through the agents, fed the same uniform draws as the columnar engine (saver
i uses row/column i of the month's arrays), and writes every agent's state back into the
shared `SaverPopulation` after each phase, so that observation, sponsors' demand and
litigation read one path.

Selected with ``RunConfig(saver_engine="agents")``, for small models and teaching, and to
check the columnar engine's bookkeeping (tests/model/test_saver_agents.py: both engines
agree every month to 1e-9, in practice to the last bit); not for production runs. The
bookkeeping follows numpy's orders where it sums (`_row_sum`: pairwise for C-ordered
rows), and national totals are
weighted sums of per-saver values taken with the same numpy expressions as the columnar
phases.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import mesa
import numpy as np
import numpy.typing as npt

from ..agents import life_events as le
from ..agents import reviews as rv
from ..agents import savers as sv
from ..agents.accounts import month_of_account
from ..agents.interest import interest_in_alternatives
from ..agents.menus import is_stranded, menu_of
from ..agents.payroll import contributions
from ..agents.reallocation import reallocate_chooser, redirect_at_cap
from ..agents.trading import trade_to_allocation
from ..base.assets import (
    ALTERNATIVES,
    ASSET_CLASSES,
    HOLDING_ASSET,
    N_HOLDINGS,
)
from ..base.draws import LIFE_EVENTS, OPTIONS, REVIEWS, keyed_rows, keyed_uniforms
from .population import close_loans, hire_inplace

if TYPE_CHECKING:
    from .model import Alt401kModel

N_DF = sv.N_DF
N_OPTIONS = sv.N_OPTIONS
OFFSET = sv.OPTION_OFFSET
"""Option k >= 1 is holding column k + OFFSET."""
EQUITY = ASSET_CLASSES.index("equity")
ILLIQUID_COLUMNS = sv.ILLIQUID_COLUMNS.tolist()
"""Standalone and window holdings in gated vehicles."""
ILLIQUID_ALL = sv.ILLIQUID_COLUMNS.tolist()
"""Savers' own gated positions (the default funds' sleeves are sold by the pooled funds)."""
"""Every illiquid holding, default-fund sleeve included (redemptions on exit)."""
IS_PE = np.array([ASSET_CLASSES[a] == "private_equity" for a in HOLDING_ASSET])

SCALARS = (
    "sponsor",
    "weight",
    "age_years",
    "retirement_age_years",
    "salary_usd_annual",
    "tenure_years",
    "deferral_rate",
    "preferred_deferral_rate",
    "is_participating",
    "is_contributing",
    "is_auto_enrolled",
    "style",
    "risk_tolerance",
    "literacy",
    "review_prob_monthly",
    "return_sensitivity",
    "peer_sensitivity",
    "months_in_plan",
    "trades",
    "year_growth",
    "last_year_return",
    "worst_year_return",
)
"""`SaverPopulation` columns held as one number per saver (balance and allocation are lists)."""


def _row_sum(values: list[float]) -> float:
    """Sum as numpy sums one row of a float64 array (pairwise, blocks of 8).

    numpy adds up to 7 values in order from -0.0; longer rows (up to 128) in eight running
    partial sums combined as ((r0+r1)+(r2+r3))+((r4+r5)+(r6+r7)), then the tail in order.
    """
    n = len(values)
    if n < 8:
        total = -0.0
        for v in values:
            total += v
        return total
    r = values[:8]
    i = 8
    end = n - n % 8
    while i < end:
        for j in range(8):
            r[j] += values[i + j]
        i += 8
    total = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]))
    for v in values[end:]:
        total += v
    return total


_ACCOUNT_SCRATCH = (np.empty(N_DF), np.empty(N_DF))
_CAP_SCRATCH = np.empty(N_HOLDINGS)
"""Scratch for `reallocation.redirect_at_cap`."""
"""The account rule's scratch buffers (`accounts.month_of_account`)."""
_TRADE_SCRATCH = (np.empty(N_HOLDINGS), np.empty(len(ILLIQUID_COLUMNS)), np.empty(len(ILLIQUID_COLUMNS)),
                  np.empty(len(ILLIQUID_COLUMNS)), np.empty(N_HOLDINGS))
"""The trade's scratch buffers (`trading.trade_to_allocation`)."""


class Saver(mesa.Agent):
    """One plan participant (or eligible non-participant) and the rules it follows.

    State (ODD §2) is the saver's row of `SaverPopulation`, as attributes of the same names:
    `balance_usd` is a list of N_HOLDINGS dollars by (channel, asset class) holding and
    `allocation` a list of N_OPTIONS weights directing new money; the rest are numbers.
    `row` is the saver's row in the shared population (rows are recycled at entry).
    """

    def __init__(self, model: Alt401kModel, row: int) -> None:
        super().__init__(model)
        self.row = row
        self.gate_used = False
        """This month's gated sales were already made when the menu changed."""
        self.menu_gated = 0.0
        """USD the gate refused this month when the menu changed (counted once a month)."""

    # ------------------------------------------------------------------ state

    def load(self, columns: dict[str, list[Any]], i: int) -> None:
        """Take this saver's state from item `i` of `columns` (`SaverPopulation` columns as lists)."""
        for name in SCALARS:
            setattr(self, name, columns[name][i])
        self.balance_usd = list(columns["balance_usd"][i])
        self.allocation = list(columns["allocation"][i])

    def total_balance(self) -> float:
        """Account balance, USD."""
        return _row_sum(self.balance_usd)

    # ------------------------------------------------------------------ balances

    def contributions_usd(self, match_rate: float, match_cap: float, nonmatch: float) -> tuple[float, float]:
        """Employee deferral and employer contributions this month, USD.

        ODD §7.4, contributions: a match of rate x min(deferral, cap) x pay while deferring,
        and the plan's nonmatching contribution, nonmatch x pay, while enrolled
        (`payroll.contributions`).
        """
        return contributions(self.salary_usd_annual, self.deferral_rate, self.is_participating, self.is_contributing,
                             match_rate, match_cap, nonmatch)

    def at_cap_allocation(self, allocation: list[float], account_cap: float) -> list[float]:
        """`allocation` with the alternative options moved to the default fund if the account
        is already at the account cap (ODD §7.3, lever `cap.account`; `reallocation.redirect_at_cap`)."""
        if account_cap >= 1.0:
            return allocation
        out = np.array(allocation, dtype=np.float64)
        redirect_at_cap(out, np.array(self.balance_usd), account_cap, _CAP_SCRATCH)
        return out.tolist()

    def balance_month(self, amount: float, allocation: list[float], composition: np.ndarray, holding_return: np.ndarray,
                      fee_monthly: np.ndarray, carry_rate_monthly: float, gate_monthly: float,
                      totals: _BalanceTotals) -> None:
        """Invest this month's contributions, earn returns at NAV, pay fees and carry, and let
        the default fund rebalance toward its mix with gated sleeve sales
        (`accounts.month_of_account`, ODD §7.5). Adds the saver's weighted gains, fees,
        carry, stuck and sold sleeve dollars to `totals`."""
        bal, w = np.array(self.balance_usd), self.weight
        before, gain, carry, stuck, sold = month_of_account(
            bal, np.asarray(allocation, dtype=np.float64), composition, amount, holding_return, fee_monthly, IS_PE,
            carry_rate_monthly, gate_monthly, N_HOLDINGS, w, totals.gain_by_holding,
            totals.fees_by_plan_holding[self.sponsor], *_ACCOUNT_SCRATCH)
        self.balance_usd = bal.tolist()
        if before > 0:
            self.year_growth *= (before + gain) / before
        totals.gain += w * gain
        totals.carry += w * carry
        totals.stuck += w * stuck
        totals.sold += w * sold

    # ------------------------------------------------------------------ trading

    def trade_to(
        self, allocation: list[float], composition: list[float], gate_monthly: float
    ) -> float:
        """Move the account to `allocation` (`trading.trade_to_allocation`, ODD §7.3); return
        the gated (unsold) illiquid USD."""
        balance = np.array(self.balance_usd)
        gated = trade_to_allocation(balance, np.asarray(allocation, dtype=np.float64),
                                    np.asarray(composition, dtype=np.float64), gate_monthly, *_TRADE_SCRATCH)
        self.balance_usd = balance.tolist()
        return gated

    # ------------------------------------------------------------------ menu

    def visible_options(self, menus: _Menus) -> list[bool]:
        """Options on this saver's menu (`menus.menu_of`, ODD §7.3, §7.14)."""
        s, out = self.sponsor, np.empty(sv.N_OPTIONS, dtype=np.bool_)
        menu_of(self.style, menus.standalone[s], menus.offers_window[s], menus.window_allowed, menus.size_ok[s],
                menus.managed[s], out)
        return out.tolist()

    def enforce_menu(
        self, visible: list[bool], composition: list[float], gate_monthly: float
    ) -> float | None:
        """Map money out of options that left the menu into the default fund, gated.

        ODD §7, menu changes (`Alt401kModel._enforce_menu`): the off-menu weights of the
        allocation go to the default fund, and off-menu holdings are sold into it, gated
        vehicles at most `gate_monthly` of their value a month. Returns the gated USD, or
        None when nothing was off the menu (no trade).
        """
        if not is_stranded(np.array(self.balance_usd), np.array(self.allocation), np.array(visible)):
            return None
        off = [not v for v in visible[1:]]
        alloc = self.allocation
        moved = _row_sum([a if o else 0.0 for a, o in zip(alloc[1:], off, strict=True)])
        alloc = [alloc[0]] + [0.0 if o else a for a, o in zip(alloc[1:], off, strict=True)]
        alloc[0] += moved
        self.allocation = alloc
        # Keep on-menu holdings as they are; move off-menu ones to the default fund.
        total = _row_sum(self.balance_usd)
        if total > 0:
            share = [
                0.0 if o else b / total for b, o in zip(self.balance_usd[N_DF:], off, strict=True)
            ]
            holding_alloc = [1.0 - _row_sum(share)] + share
        else:
            holding_alloc = alloc
        self.gate_used = True
        return self.trade_to(holding_alloc, composition, gate_monthly)

    # ------------------------------------------------------------------ attention and choice

    def alt_interest(self, ctx: _ReviewMonth) -> list[float]:
        """Probability of taking up each alternative if offered
        (`interest.interest_in_alternatives`, ODD §7.3)."""
        out = np.empty(len(ALTERNATIVES))
        interest_in_alternatives(self.literacy, self.age_years, self.salary_usd_annual, self.peer_sensitivity,
                                 ctx.coworker_share()[self.sponsor], *ctx.interest_terms, out)
        return out.tolist()

    def review(self, u: list[float], u_alt: list[float], ctx: _ReviewMonth) -> float | None:
        """This month's attention, choices and deferral decisions (ODD §7, savers).

        In order (the rules of `agents.reviews`): whether the saver looks (u[0]); a
        defaulted saver who looks may become an active chooser (u[1]); an active reviewer
        picks a new allocation, capped, panic-sold in a crash (u[2]) and traded to
        (`reallocation.reallocate_chooser`); a deferral far from the preferred rate may be
        reset and a reviewer's deferral learns from last year's return (u[3]); a
        non-participant may opt in (u[4]); in a crash a contributor may stop, otherwise a
        stopped saver may restart (u[5]). Returns the gated USD of a
        trade, or None if the saver did not trade.
        """
        s = ctx.behaviour
        was_participating = self.is_participating
        reviewing = rv.looks_at_account(u[0], self.review_prob_monthly, ctx.review_boost, was_participating)
        if rv.leaves_default(u[1], reviewing, self.style, ctx.leave32):
            self.style = sv.ACTIVE
        gated = None
        if rv.chooses_own_allocation(reviewing, self.style):
            gated = self._reallocate(u, u_alt, ctx)
        self.deferral_rate, self.preferred_deferral_rate = rv.deferral_after_review(
            u[3], self.deferral_rate, self.preferred_deferral_rate, was_participating, reviewing,
            self.last_year_return, s.deferral_change_base_monthly, s.deferral_change_per_distance,
            s.deferral_change_per_excess, s.experienced_return_deferral_slope)
        if rv.opts_in(u[4], was_participating, ctx.auto_enroll[self.sponsor], self.review_prob_monthly,
                   s.review_prob_monthly[0], s.procrastinator_enrol_prob_monthly, s.voluntary_enrol_prob_monthly):
            self.is_participating = True
            self.deferral_rate = self.preferred_deferral_rate
        self.is_contributing = rv.contributes_next(u[5], self.is_contributing, ctx.crash, ctx.stop32, ctx.restart32)
        return gated

    def _reallocate(self, u: list[float], u_alt: list[float], ctx: _ReviewMonth) -> float:
        """Choose a new allocation and trade the account to it (`reallocation.reallocate_chooser`,
        ODD §7.3); return the gated USD."""
        s = ctx.behaviour
        interest = np.zeros(N_OPTIONS)
        for k, x in enumerate(self.alt_interest(ctx)):
            interest[sv.STANDALONE_OPTIONS[k]] = interest[sv.WINDOW_ALT_OPTIONS[k]] = x
        balance, allocation = np.array(self.balance_usd), np.empty(N_OPTIONS)
        # A menu change this month already used the gate on this account.
        gated = reallocate_chooser(
            balance, allocation, np.array(self.visible_options(ctx.menus)), interest, np.array(u_alt, dtype=np.float32),
            ctx.core_weight[self.sponsor], ctx.composition[self.row], u[2], 0.0 if self.gate_used else ctx.gate_monthly,
            self.risk_tolerance, self.return_sensitivity, ctx.clipped_return, s.return_chasing, ctx.account_cap,
            ctx.crash, s.panic_sale_prob, *ctx.scratch)
        self.balance_usd, self.allocation = balance.tolist(), allocation.tolist()
        self.trades += 1
        return gated

    # ------------------------------------------------------------------ life events and year end

    def hardship_withdrawal(self, share: float) -> float:
        """Take `share` of every holding (ODD §7, hardship); return USD taken."""
        taken = [b * share for b in self.balance_usd]
        self.balance_usd = [b - t for b, t in zip(self.balance_usd, taken, strict=True)]
        return _row_sum(taken)

    def separation(self, u: list[float], terms: tuple, wage_index: float, s: Any) -> tuple[bool, str | None]:
        """Whether the saver takes a hardship withdrawal this month, and whether it retires
        or changes job and where the money goes (ODD §7.6): `life_events.separation` (u[0]
        hardship, u[1] job change, u[2] staying in the system; `terms` its monthly
        constants), then, for a leaver before its retirement age, a cash-out, more likely for
        a small balance (`savers.cash_out_prob`, at most 1 - `stay_in_system_prob`, u[2]),
        else a rollover to an IRA. Returns (hardship, "retire", "cash_out", "ira", "stay"
        or None).
        """
        hardship, leaves, stays = le.separation(u[0], u[1], u[2], self.is_participating, self.age_years,
                                             self.retirement_age_years, *terms)
        if stays:
            self.tenure_years = 0.0
            return hardship, "stay"
        if not leaves:
            return hardship, None
        if self.age_years >= self.retirement_age_years:
            return hardship, "retire"
        return hardship, "leave"

    def leaves_with(self, u_exit: float, wage_index: float, s: Any) -> str:
        """Where a leaver's money goes (ODD §7.6): cashed out, more likely for a small
        balance (`savers.cash_out_prob`, at most 1 - `stay_in_system_prob`), else rolled to
        an IRA. The balance is what is left after this month's hardship withdrawal."""
        balance = self.total_balance() / wage_index
        p_cash = min(
            min(0.95, s.cash_out_scale * float(np.exp(-balance / s.cash_out_balance_usd))),
            1.0 - s.stay_in_system_prob,
        )
        return "cash_out" if u_exit < p_cash else "ira"

    def age_one_month(self, pay_step: float) -> None:
        """A month older (`life_events.one_month_older`)."""
        self.age_years, self.tenure_years, self.months_in_plan, self.salary_usd_annual = le.one_month_older(
            self.age_years, self.tenure_years, self.months_in_plan, self.salary_usd_annual, pay_step)

    def year_end(self, escalates: bool, escalation_cap: float) -> None:
        """December: the investment year closes (`life_events.closed_year`) and an
        auto-enrolled deferral escalates (`life_events.escalated_deferral`)."""
        self.last_year_return, self.worst_year_return = le.closed_year(self.year_growth, self.worst_year_return)
        self.year_growth = 1.0
        self.deferral_rate = le.escalated_deferral(
            self.deferral_rate, self.is_auto_enrolled and escalates and self.is_participating, escalation_cap)


class _Menus:
    """Every plan's menu this month (what `menus.menu_of` reads for a saver)."""

    def __init__(self, model: Alt401kModel) -> None:
        terms = model.menu_terms()
        self.standalone, self.offers_window, self.window_allowed, self.size_ok, self.managed = (
            np.ascontiguousarray(a, dtype=np.bool_)
            for a in (terms.standalone, terms.offers_window, terms.window_allowed, terms.size_ok, terms.managed()))


class _BalanceTotals:
    """Weighted national totals accumulated over savers during the balance update."""

    def __init__(self, n_plans: int) -> None:
        self.gain = self.carry = self.stuck = self.sold = 0.0
        self.gain_by_holding = np.zeros(N_HOLDINGS)
        self.fees_by_plan_holding = np.zeros((n_plans, N_HOLDINGS))


class _ReviewMonth:
    """What every reviewing saver sees this month: market record, regime, plans' features."""

    def __init__(self, model: Alt401kModel, returns: Any, composition: np.ndarray) -> None:
        s = model.config.saver
        self.model, self.behaviour = model, s
        self.review_boost = 1.0 + s.attention_boost_per_equity_move * abs(
            float(returns.true[EQUITY])
        )
        self.crash = bool(returns.equity_drawdown < sv.CRASH_EQUITY_DRAWDOWN)
        self.leave32, self.stop32, self.restart32 = (
            np.float32(p) for p in (s.leave_default_prob, s.stop_contributing_prob_crash, s.restart_contributing_prob))
        """The review rules' float32 thresholds (`agents.reviews`)."""
        trailing = np.prod(1.0 + model.returns_history[-12:], axis=0) - 1.0
        option_return = np.where(
            sv.OPTION_ASSET >= 0,
            trailing[np.maximum(sv.OPTION_ASSET, 0)],
            0.6 * trailing[EQUITY] + 0.4 * trailing[1],
        )
        self.clipped_return = np.clip(option_return, -0.5, 1.0)
        """Each option's trailing-year return, clipped as the choice reads it."""
        n_ill = sv.ILLIQUID_COLUMNS.shape[0]
        self.scratch = (np.empty(N_OPTIONS), np.empty(N_HOLDINGS), np.empty(n_ill), np.empty(n_ill), np.empty(n_ill),
                        np.empty(N_HOLDINGS))
        """The reallocation's scratch buffers (`reallocation.reallocate_chooser`)."""
        crash_interest_factor = 1.0 - s.crash_interest_drop if model._crypto_drawdown() < -0.6 else 1.0
        self.interest_terms = (s.alt_base_interest, np.asarray(s.crypto_interest_by_age, dtype=np.float64),
                               s.crypto_interest_income_slope, s.peer_weight,
                               np.asarray(model.quintile_edges, dtype=np.float64), crash_interest_factor,
                               bool(model.policy.enhanced_disclosure))
        """The interest rule's terms after the saver's own (`interest.interest_in_alternatives`)."""
        self.account_cap = model.policy.account_cap
        self.gate_monthly = model.gate_monthly()
        self.auto_enroll = model.plans.auto_enroll.tolist()
        self.menus = _Menus(model)
        self.core_weight = np.ascontiguousarray(sv.core_menu_weights(model.plans.core_funds, s.menu_count_elasticity))
        """Each plan's weights of the core options (`savers.core_menu_weights`, ODD §7.3)."""
        self.composition = np.ascontiguousarray(composition, dtype=np.float64)
        self._coworker: np.ndarray | None = None

    def coworker_share(self) -> list[list[float]]:
        """Share of each plan's savers holding each alternative outside the default fund.

        A plan-level peer signal (`Alt401kModel._coworker_share`), taken from the shared
        population as it stands when the first saver asks (before this month's trades).
        """
        if self._coworker is None:
            self._coworker = np.ascontiguousarray(self.model._coworker_share(), dtype=np.float64)
        return self._coworker


class SaverAgents:
    """The saver phases of one month, run through one `Saver` agent per population row.

    Each phase method mirrors the columnar phase of `Alt401kModel` of the same name: it
    draws the same random arrays from the model's streams, applies the rules saver by
    saver in row order, books the national flows with the same weighted sums, and writes
    every agent's state back into `model.savers`.
    """

    def __init__(self, model: Alt401kModel) -> None:
        self.model = model
        self.agents = [Saver(model, row) for row in range(model.savers.n)]
        self._load(self.agents)

    def _load(self, agents: list[Saver]) -> None:
        """Load `agents` from their rows of the shared population."""
        pop = self.model.savers
        rows = np.array([a.row for a in agents], dtype=np.intp)
        cols = {
            name: getattr(pop, name)[rows].tolist()
            for name in SCALARS + ("balance_usd", "allocation")
        }
        for i, a in enumerate(agents):
            a.load(cols, i)

    def reload(self, rows: npt.NDArray[np.intp]) -> None:
        """Load the agents of `rows` again after a population-level rule changed their rows
        (the model's loans, `Alt401kModel._loans`)."""
        self._load([self.agents[int(r)] for r in rows])

    def write_back(self, names: tuple[str, ...] = SCALARS + ("balance_usd", "allocation")) -> None:
        """Copy the agents' state (the columns `names`, by default all) into the shared population.

        Each phase writes back the columns its rules change; the equivalence test compares
        every column every month, so a column left out would show there.
        """
        pop, agents = self.model.savers, self.agents
        for name in names:
            getattr(pop, name)[:] = [getattr(a, name) for a in agents]

    def _weighted(self, agents: list[Saver], values: list[float]) -> float:
        """National total of per-saver `values` (the columnar phases' `weight[rows] @ values`)."""
        w = np.array([a.weight for a in agents], dtype=np.float64)
        return float(w @ np.array(values, dtype=np.float64)) if agents else 0.0

    # ------------------------------------------------------------------ phases

    def balances(
        self, returns: Any, fee_matrix: np.ndarray, composition: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, Any]:
        """Contributions, returns, fees, carry and default-fund rebalancing for every saver.

        Returns each saver's deferral and match (USD, arrays by row) and the month's totals
        in the form of `kernels.MonthTotals`, for the model's shared bookkeeping.
        """
        from ..agents.kernels import MonthTotals

        model = self.model
        plans, mb = model.plans, model.config.manager
        pe_return = float(returns.reported[ASSET_CLASSES.index("private_equity")])
        excess = pe_return - mb.hurdle_annual / 12.0
        carry_monthly = mb.carry_rate * excess / (1.0 + pe_return) if excess > 0 else 0.0
        holding_return = np.ascontiguousarray(returns.reported[HOLDING_ASSET], dtype=np.float64)
        fee_rows, comp = fee_matrix / 12.0, np.ascontiguousarray(composition, dtype=np.float64)
        match_rate, match_cap, nonmatch = plans.match_rate.tolist(), plans.match_cap.tolist(), plans.nonmatch_rate.tolist()
        cap, gate = model.policy.account_cap, model.gate_monthly()
        totals = _BalanceTotals(plans.n)
        employee, match = [], []
        for a in self.agents:
            e, m = a.contributions_usd(match_rate[a.sponsor], match_cap[a.sponsor], nonmatch[a.sponsor])
            employee.append(e)
            match.append(m)
            alloc = a.at_cap_allocation(a.allocation, cap)
            a.balance_month(
                e + m,
                alloc,
                comp[a.row],
                holding_return,
                fee_rows[a.sponsor],
                carry_monthly,
                gate,
                totals,
            )
        self.write_back(("balance_usd", "year_growth"))
        month_totals = MonthTotals(
            gain_usd=totals.gain,
            gain_by_holding=totals.gain_by_holding,
            fees_by_plan_holding=totals.fees_by_plan_holding,
            carry_usd=totals.carry,
            stuck_usd=totals.stuck,
            sleeve_sold_usd=totals.sold,
        )
        return np.array(employee), np.array(match), month_totals

    def enforce_menu(self, composition: np.ndarray) -> None:
        """Every saver checks its menu; off-menu money is mapped to the default fund, gated."""
        model = self.model
        gate, comp, menus = model.gate_monthly(), composition.tolist(), _Menus(model)
        traded, gated = [], []
        for a in self.agents:
            a.gate_used, a.menu_gated = False, 0.0
            g = a.enforce_menu(a.visible_options(menus), comp[a.row], gate)
            if g is not None:
                traded.append(a)
                gated.append(g)
                a.menu_gated = g
        if traded:
            model.flows.gated_refused_usd += self._weighted(traded, gated)
        model.gate_queue = np.array([a.row for a, g in zip(traded, gated, strict=True) if g > 0], dtype=np.intp)
        model.gate_used_rows = np.array([a.row for a in traded], dtype=np.intp)  # used this month's gate
        self.write_back(("balance_usd", "allocation"))

    def reviews(self, returns: Any, composition: np.ndarray) -> None:
        """Attention, reallocation, panic sales, deferral changes, enrollment, stopping."""
        model = self.model
        n = len(self.agents)
        u = keyed_uniforms(model.saver_key, model.month, REVIEWS, np.empty((6, n), dtype=np.float32)).T.tolist()
        u_alt = keyed_rows(model.saver_key, model.month, OPTIONS, N_OPTIONS, np.arange(n)).tolist()
        ctx = _ReviewMonth(model, returns, composition)
        traded, gated = [], []
        for a in self.agents:
            g = a.review(u[a.row], u_alt[a.row], ctx)
            if g is not None:
                traded.append(a)
                # What the menu change's sale already refused this month is refused once.
                gated.append(max(g - a.menu_gated, 0.0) if a.gate_used else g)
        if traded:
            model.flows.gated_refused_usd += self._weighted(traded, gated)
        model.gate_used_rows = np.union1d(model.gate_used_rows, [a.row for a in traded]).astype(np.intp)
        self.write_back(
            (
                "balance_usd",
                "allocation",
                "style",
                "trades",
                "deferral_rate",
                "preferred_deferral_rate",
                "is_participating",
                "is_contributing",
            )
        )

    def life_events(self) -> None:
        """Hardship withdrawals, retirement, job changes, new hires in leavers' rows, ageing."""
        model = self.model
        s = model.saver_rules()  # job-change rates with this month's layoffs (ODD §7.12)
        n = len(self.agents)
        u = keyed_uniforms(model.saver_key, model.month, LIFE_EVENTS, np.empty((3, n), dtype=np.float32)).T.tolist()
        flows = model.flows
        young, old = s.job_change_prob_annual_young, s.job_change_prob_annual_old
        terms = (np.float32(le.hardship_threshold(s.hardship_prob_annual)), le.job_change_bound(young, old),
                 *le.job_change_rates(young, old), np.float32(1.0 - s.stay_in_system_prob))
        events = [a.separation(u[a.row], terms, model.wage_index, s) for a in self.agents]
        hardship = [a for a, (h, _) in zip(self.agents, events, strict=True) if h]
        redeemed = self._weighted(
            hardship, [_row_sum([a.balance_usd[j] for j in ILLIQUID_ALL]) for a in hardship]
        )
        redeemed *= s.hardship_share_of_balance
        taken = [a.hardship_withdrawal(s.hardship_share_of_balance) for a in hardship]
        flows.hardship_usd = self._weighted(hardship, taken)
        model.add_by_size(flows.benefits_by_size, np.array([a.row for a in hardship], dtype=np.intp), taken)
        fate = [a.leaves_with(u[a.row][2], model.wage_index, s) if f == "leave" else f
                for a, (_, f) in zip(self.agents, events, strict=True)]
        leaving = np.array([a.row for a, f in zip(self.agents, fate, strict=True)
                            if f in ("retire", "cash_out", "ira")], dtype=np.intp)
        for row in model.deaths(leaving).tolist():  # the shared mortality rule (ODD §7.6)
            fate[row] = "death"
        balance = [a.total_balance() for a in self.agents]
        by = {
            k: [a for a, f in zip(self.agents, fate, strict=True) if f == k]
            for k in ("retire", "cash_out", "ira", "death")
        }
        flows.retirement_usd = self._weighted(by["retire"], [balance[a.row] for a in by["retire"]])
        flows.cash_outs_usd = self._weighted(
            by["cash_out"], [balance[a.row] for a in by["cash_out"]]
        )
        flows.rollovers_out_usd = self._weighted(by["ira"], [balance[a.row] for a in by["ira"]])
        flows.death_benefits_usd = self._weighted(by["death"], [balance[a.row] for a in by["death"]])
        self.write_back(("balance_usd", "tenure_years"))
        retired = np.array([a.row for a in by["retire"]], dtype=np.intp)
        model._record_retirees(retired, np.array(balance)[retired])
        # Entry (a population event): leavers' rows become new hires at the same plans,
        # drawn by the shared rule from the hires stream, then loaded into the agents.
        leavers = [
            a for a, f in zip(self.agents, fate, strict=True) if f in ("retire", "cash_out", "ira", "death")
        ]
        redeemed += self._weighted(
            leavers, [_row_sum([a.balance_usd[j] for j in ILLIQUID_ALL]) for a in leavers]
        )
        rows = np.array([a.row for a in leavers], dtype=np.intp)
        model.add_by_size(flows.benefits_by_size, rows, np.array(balance)[rows] + model.savers.loan_usd[rows])
        flows.loan_offsets_usd = close_loans(model.savers, rows)
        rolled_in = hire_inplace(
            model.savers, rows, model.plans, model.config, model.hire_rng, model.wage_index,
            weight=model.hire_weight(rows),
        )
        self._load(leavers)
        composition = model.composition(rows).tolist()
        for a, amount, comp in zip(leavers, rolled_in.tolist(), composition, strict=True):
            bal = a.balance_usd
            for k in range(N_DF):
                bal[k] += amount * a.allocation[0] * comp[k]
            for j in range(N_DF, N_HOLDINGS):
                bal[j] += amount * a.allocation[j - OFFSET]
        flows.rollovers_in_usd = self._weighted(leavers, rolled_in.tolist())
        model.add_by_size(flows.inflows_by_size, rows, rolled_in)
        flows.illiquid_redemptions_usd += redeemed
        growth = model.economy.wage_growth_monthly
        steps = growth * sv.pay_profile_step(np.array([a.age_years for a in self.agents]))
        for a, step in zip(self.agents, steps.tolist(), strict=True):
            a.age_one_month(step)
        model.economy.wage_index *= growth
        self.write_back()

    def year_end(self) -> None:
        """December: every saver closes its investment year; auto-enrolled deferrals escalate."""
        plans, cap = self.model.plans, self.model.config.sponsor.escalation_cap
        escalates = plans.escalates.tolist()
        for a in self.agents:
            a.year_end(escalates[a.sponsor], cap)
        self.write_back(("year_growth", "last_year_return", "worst_year_return", "deferral_rate"))
