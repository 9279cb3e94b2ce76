"""The savers' part of the model month: contributions and balances, menu changes, reviews
and choices, life events (ODD §3 steps 5-8, §7 saver submodels).

`SaverPhases` is the half of `model.model.Alt401kModel` that acts on the columnar saver
population (benchmarks/RESULTS.md): each phase is a few compiled passes over all savers
(`agents.kernels`) plus numpy work on the few rows that act this month. The per-saver
reference engine (`model.saver_agents`, `RunConfig.saver_engine = "agents"`) replaces each
phase with one Mesa agent per saver, fed the same draws. The rest of the model (market,
managers, sponsors, litigation, observation, the month's order) is in `model.model`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import numpy.typing as npt

from ..agents import fund_mix, kernels, loans, reallocation, rule_kernels
from ..agents import savers as sv
from ..agents.trading import trade_accounts
from ..base import draws
from ..base.assets import (
    ALTERNATIVES,
    ASSET_CLASSES,
    DEFAULT_FUND_KINDS,
    DEFAULT_FUND_MIX,
    HOLDING_ASSET,
)
from ..base.strata import glide_path
from . import fees, social_security
from .history import wage_level
from .population import close_loans, hire_inplace
from .weighted import weighted_quantiles

F64 = npt.NDArray[np.float64]
EQUITY = ASSET_CLASSES.index("equity")
KIND_MIX = np.array([DEFAULT_FUND_MIX.get(k, (np.nan,) * 3) for k in DEFAULT_FUND_KINDS])
"""Public mix of each kind of default fund (`DEFAULT_FUND_KINDS`), NaN for a target-date
fund, whose mix is its glide path by age."""
TDF_KIND = DEFAULT_FUND_KINDS.index("tdf")
SAVER_ILLIQUID_COLUMNS = sv.ILLIQUID_COLUMNS
"""Savers' own positions in gated vehicles (standalone, window): what savers redeem from
semi-liquid vehicles themselves; the default funds' sleeves are sold by the funds (ODD §7.5)."""
ROW_BLOCK = 65_536
"""Rows per block where numpy work over every saver is done block by block, so that its
temporaries are a block's, not a population's (peak memory; the same numbers)."""
PE_COLUMNS = np.array([c for c, a in enumerate(HOLDING_ASSET) if ASSET_CLASSES[a] == "private_equity"])


def _union_ascending(a: npt.NDArray[np.intp], b: npt.NDArray[np.intp]) -> npt.NDArray[np.intp]:
    """`numpy.union1d` of two ascending arrays without repeats: their merge (a stable sort
    of two sorted runs is one merge) less the second of each pair of equal entries;
    numpy's own, which hashes, took several times as long."""
    both = np.concatenate((a, b))
    both.sort(kind="stable")
    keep = np.ones(both.size, dtype=bool)
    np.not_equal(both[1:], both[:-1], out=keep[1:])
    return both[keep]


def _in_ascending(x: npt.NDArray[np.intp], table: npt.NDArray[np.intp]) -> npt.NDArray[np.bool_]:
    """`numpy.isin(x, table)` for an ascending `table` without repeats, by binary search."""
    if table.size == 0:
        return np.zeros(x.size, dtype=bool)
    at = np.minimum(np.searchsorted(table, x), table.size - 1)
    return table[at] == x


class SaverPhases:
    """The saver phases of `Alt401kModel` (a mixin: it uses the model's savers, plans,
    policy, configuration, product book, random streams and flows)."""

    def composition(self, rows: npt.NDArray[np.intp] | None = None) -> F64:
        """Asset-class mix of each saver's default fund (or of `rows` only), shape (n, 8).

        The columnar monthly passes ask only for rows (the balance pass computes each row's
        mix itself, `default_fund_mix`); the whole array serves the initial investment and
        the per-saver reference engine."""
        pop = self.savers
        sponsor = pop.sponsor if rows is None else pop.sponsor[rows]
        age = pop.age_years if rows is None else pop.age_years[rows]
        plan_sleeve = self.plan_views.sleeve()
        fixed = self._plan_fixed_mix()
        if fixed is None:  # every plan's default is a target-date fund: its glide path by age
            return fund_mix.glide_composition(age, plan_sleeve, sponsor)
        weights = fixed[sponsor]
        tdf = np.isnan(weights[:, 0])
        weights[tdf] = glide_path(age[tdf])
        return fund_mix.default_fund_composition(weights, plan_sleeve, sponsor)

    def _plan_fixed_mix(self) -> F64 | None:
        """Each plan's fixed public mix (NaN rows: target-date plans), or None when every
        plan's default is a target-date fund (ODD §7.5, default-fund kinds)."""
        kinds = self.plans.default_kind
        return None if np.all(kinds == TDF_KIND) else KIND_MIX[kinds]

    def default_fund_mix(self) -> fund_mix.DefaultFundMix:
        """What the balance pass needs to compute each saver's default-fund mix row by row
        (the same mix as `composition`, without the (n, 8) array)."""
        views = self.plan_views
        return fund_mix.DefaultFundMix(self.savers.age_years, views.sleeve(), self._plan_fixed_mix(),
                                       views.sleeve_needs())

    def menu_terms(self) -> rule_kernels.MenuTerms:
        """Every plan's menu this month (`agents.rule_kernels.MenuTerms`, ODD §7.3)."""
        plans, p = self.plans, self.policy
        size_ok = plans.participants >= p.min_plan_participants
        return rule_kernels.MenuTerms(
            standalone=plans.standalone, offers_window=plans.offers_window,
            window_allowed=np.array([p.allowed[("window", a)] for a in ALTERNATIVES], dtype=bool),
            size_ok=size_ok, managed_sleeve=self.managed_sleeve(size_ok),
        )

    def visible_options(self, rows: npt.NDArray[np.intp] | None = None) -> npt.NDArray[np.bool_]:
        """Options on each saver's menu (or on `rows`' menus), shape (n, N_OPTIONS)
        (`agents.menus.menu_of`, in one compiled pass)."""
        rows = np.arange(self.savers.n) if rows is None else rows
        return rule_kernels.visible_options(self.savers, rows, self.menu_terms())

    def _income_quintile_edges(self) -> F64:
        """This year's income quintile edges: the weighted 20/40/60/80% quantiles of salaries."""
        pop = self.savers
        return weighted_quantiles(pop.salary_usd_annual, pop.weight, (0.2, 0.4, 0.6, 0.8))

    def income_quintile(self, salary: F64) -> npt.NDArray[np.intp]:
        """Income quintile (0-4) of each salary against this year's edges."""
        return np.searchsorted(self.quintile_edges, salary, side="right")

    def alt_interest(self, rows: npt.NDArray[np.intp] | None = None) -> F64:
        """Probability each saver (or each of `rows`) would take up each alternative, (n, N_ALT).

        ODD §7, saver interest (ODD+D: individual sensing). Crypto by age and income (Fed
        SHED) and lowered after a deep crypto drawdown; other classes by literacy; all raised
        by coworkers' holdings (`peer_weight`) and lowered by enhanced disclosure (-30%,
        assumption after the survey evidence that interest drops on learning of fees).
        """
        pop, s = self.savers, self.config.saver
        rows = np.arange(pop.n) if rows is None else rows
        terms = rule_kernels.InterestTerms(
            base=s.alt_base_interest, crypto_by_age=np.asarray(s.crypto_interest_by_age),
            income_slope=s.crypto_interest_income_slope, peer_weight=s.peer_weight,
            quintile_edges=self.quintile_edges, coworker_share=self._coworker_share(),
            crash_factor=1.0 - s.crash_interest_drop if self._crypto_drawdown() < -0.6 else 1.0,
            disclosure=self.policy.enhanced_disclosure,
        )
        return rule_kernels.alt_interest(pop, rows, terms)

    def _balances(self, returns: Any, fee_matrix: F64, composition: F64 | None) -> None:
        """Contributions and match, returns at NAV, fees and carry, default-fund rebalancing.

        ODD §7.5, balances; the fused pass in `agents.kernels` (compiled, or interpreted
        under ``NUMBA_DISABLE_JIT=1``: the same bytes), which also computes each saver's contributions
        (§7.4). Contributions into alternatives stop for savers at the account cap.
        """
        pop, plans, f = self.savers, self.plans, self.flows
        if self.saver_agents is not None:
            employee, match, totals = self.saver_agents.balances(returns, fee_matrix, composition)
            f.contributions_usd, f.employer_usd = float(pop.weight @ employee), float(pop.weight @ match)
            by_plan = np.bincount(pop.sponsor, weights=pop.weight * (np.asarray(employee) + np.asarray(match)),
                                  minlength=plans.n)
        else:
            # Each saver's contributions are computed in the balance pass (`kernels.Payroll`).
            pay = kernels.Payroll(pop.salary_usd_annual, pop.deferral_rate, pop.is_participating, pop.is_contributing,
                                  plans.match_rate, plans.match_cap, plans.nonmatch_rate)
            alloc = pop.allocation
            if self.policy.account_cap < 1.0:
                alloc = reallocation.capped_contribution_allocations(alloc, pop.balance_usd, self.policy.account_cap)
            r = returns.reported[HOLDING_ASSET]
            mb = self.config.manager
            totals = kernels.balance_month(
                pop.balance_usd, pop.year_growth, pop.weight, pop.sponsor, plans.n,
                None, alloc, self.default_fund_mix(), r, fee_matrix,
                PE_COLUMNS, float(returns.reported[ASSET_CLASSES.index("private_equity")]),
                mb.carry_rate, mb.hurdle_annual, self.gate_monthly(), self.row_bounds, pop.style, pay=pay,
                fee_monthly=self.plan_views.fee_monthly(), buffers=self._plan_buffers("balance", kernels.BALANCE_SUM_WIDTHS),
            )
            f.contributions_usd, f.employer_usd = totals.employee_usd, totals.employer_usd
            by_plan = totals.contributions_by_plan
        f.inflows_by_size += np.bincount(plans.size_class, weights=by_plan, minlength=f.inflows_by_size.size)
        f.returns_usd = totals.gain_usd
        f.carry_usd = totals.carry_usd
        self.fees_by_plan_holding = totals.fees_by_plan_holding
        self.fees_by_holding = totals.fees_by_plan_holding.sum(axis=0)
        f.fees_usd = float(self.fees_by_holding.sum())
        # Value change of each class from returns, net of what was paid out of it in fees.
        self._returns_by_class = np.bincount(
            HOLDING_ASSET, weights=totals.gain_by_holding - self.fees_by_holding, minlength=len(ASSET_CLASSES)
        )
        self._returns_by_class[ASSET_CLASSES.index("private_equity")] -= f.carry_usd
        self.fee_split = fees.credit_revenue(
            self.fees_by_plan_holding, fee_matrix, f.carry_usd, self.plans, self.book, self.managers, self.tdf_providers
        )

    def _plan_buffers(self, name: str, widths: tuple[int, ...]) -> kernels.PlanBuffers:
        """A pass's per-plan sums, kept across months under `name`: where each plan's savers
        are one run of rows (as the model keeps them) the pass overwrites the rows of plans
        with savers and the others stay zero, so no month pages in hundreds of MB afresh at
        604,400 plans. Else fresh zeroed buffers every month (the pass then adds into them).
        What a pass returns in them is valid until its next call."""
        if self.plan_rows.start is None:
            return kernels.PlanBuffers.zeros(self.plans.n, widths, one_run=False)
        kept = self._plan_sum_buffers.get(name)
        if kept is None:
            kept = self._plan_sum_buffers[name] = kernels.PlanBuffers.zeros(self.plans.n, widths, one_run=True)
        return kept

    def _enforce_menu(self, composition: F64 | None) -> None:
        """Map money out of options that left a saver's menu (sponsor dropped it or the
        regime closed the channel) into the default fund; gated vehicles release slowly.

        Only savers whose plan's menu changed, or who still hold gated off-menu money from
        an earlier month, can be affected, so only they are examined (the agents engine
        lets every saver check its own menu, which must come to the same).
        """
        if self.saver_agents is not None:
            return self.saver_agents.enforce_menu(composition)
        pop, plans = self.savers, self.plans
        terms = self.menu_terms()
        menu = (plans.standalone.copy(), plans.offers_window.copy(), terms.managed().copy(),
                tuple(self.policy.allowed[("window", a)] for a in ALTERNATIVES), self.policy.min_plan_participants)
        last = getattr(self, "_last_menu", None)
        if last is None or last[3:] != menu[3:]:
            candidates = np.arange(pop.n)
        else:
            changed = (last[0] != menu[0]).any(axis=1) | (last[1] != menu[1]) | (last[2] != menu[2]).any(axis=1)
            candidates = self.plan_rows.rows(changed) if changed.any() else np.zeros(0, dtype=np.intp)
            if self.gate_queue.size:  # both ascending, without repeats
                candidates = _union_ascending(candidates, self.gate_queue)
        self._last_menu = menu
        self.gate_queue = np.zeros(0, dtype=np.intp)
        self._menu_traded = np.zeros(0, dtype=np.intp)
        self.gate_used_rows = self._menu_traded
        self._menu_gated = np.zeros(0)
        if candidates.size == 0:
            return
        stranded = rule_kernels.stranded(pop, candidates, terms, ROW_BLOCK)
        rows = candidates[stranded]
        if rows.size == 0:
            return
        gated = self._map_off_menu(rows)
        self.gate_queue = rows[gated > 0]
        self._menu_traded = rows
        self._menu_gated = gated
        self.gate_used_rows = rows

    def _map_off_menu(self, rows: npt.NDArray[np.intp], gate: F64 | float | None = None) -> F64:
        """Move the allocation weights and holdings of `rows` (ascending) in options off
        their menus into the default fund, gated vehicles at most the gate's share this
        month (`gate`, per row or one for all; default `gate_monthly()`); returns the USD
        each row's gate kept (ODD §7.7)."""
        pop = self.savers
        off_menu = ~self.visible_options(rows)[:, 1:]
        alloc = pop.allocation[rows]
        moved = np.where(off_menu, alloc[:, 1:], 0.0).sum(axis=1)
        alloc[:, 1:] = np.where(off_menu, 0.0, alloc[:, 1:])
        alloc[:, 0] += moved
        pop.allocation[rows] = alloc
        bal = pop.balance_usd[rows]
        target = self._holding_allocation(bal, alloc, off_menu)
        gated = trade_accounts(bal, target, self.composition(rows), self.gate_monthly() if gate is None else gate)
        pop.balance_usd[rows] = bal
        self.flows.gated_refused_usd += float(pop.weight[rows] @ gated)
        return gated

    def _holding_allocation(self, bal: F64, alloc: F64, off_menu: npt.NDArray[np.bool_]) -> F64:
        """Allocation that keeps on-menu holdings as they are and moves off-menu ones to the default fund."""
        total = bal.sum(axis=1)
        share = np.divide(bal[:, sv.N_DF :], total[:, None], out=np.zeros_like(bal[:, sv.N_DF :]), where=total[:, None] > 0)
        share = np.where(off_menu, 0.0, share)
        out = np.zeros_like(alloc)
        out[:, 1:] = share
        # Never below zero: shares that sum to 1 within rounding would give a -1e-17 weight.
        out[:, 0] = np.maximum(1.0 - share.sum(axis=1), 0.0)
        out[total <= 0] = alloc[total <= 0]
        return out

    def _reused(self, name: str, shape: tuple[int, ...], dtype: type) -> npt.NDArray[Any]:
        """An uninitialised array kept from one month to the next under (name, shape).

        Large samples rewrite arrays of hundreds of MB every month; reusing them spares the
        page faults of fresh memory, which cost as much as the arithmetic. The caller
        overwrites it and must not keep it past the next call with the same name."""
        key = (name, shape)
        if key not in self._arrays:
            self._arrays[key] = np.empty(shape, dtype=dtype)
        return self._arrays[key]

    def _saver_uniforms(self, rule: int, width: int) -> npt.NDArray[np.float32]:
        """This month's `width` keyed draws of `rule` for every saver, shape (width, n),
        written into an array kept across months (`_reused`; `base.draws.keyed_uniforms`,
        the numbers the agents engine computes too)."""
        # One buffer serves every draw of the month (each phase is done with its draws before
        # the next draws), sized for the largest.
        n = self.savers.n
        out = self._reused("uniforms", (max(width, 6), n), np.float32)[:width]
        return draws.keyed_uniforms(self.saver_key, self.month, rule, out)

    def _saver_uniform_rows(self, rule: int, width: int, keep: npt.NDArray[np.intp]) -> npt.NDArray[np.float32]:
        """This month's `width` keyed draws of `rule` for the rows `keep` only, shape
        (len(keep), width) (`base.draws.keyed_rows`)."""
        return draws.keyed_rows(self.saver_key, self.month, rule, width, keep)

    def gate_monthly(self) -> float:
        """Share of a gated position the gate lets out this month: a third of the quarterly
        gate (lever `liquidity.gate_quarterly`, ODD §7.3)."""
        return self.policy.gate_quarterly / 3.0

    def _reviews(self, returns: Any, composition: F64 | None) -> None:
        """Attention, reallocation, panic sales, deferral changes (ODD §7, savers)."""
        if self.saver_agents is not None:
            return self.saver_agents.reviews(returns, composition)
        pop, s = self.savers, self.config.saver
        u = self._saver_uniforms(draws.REVIEWS, 6)
        crash = returns.equity_drawdown < sv.CRASH_EQUITY_DRAWDOWN
        # Every decision but the choosers' reallocation, in one pass (the rules of `agents.reviews`).
        choosing = rule_kernels.review_decisions(pop, u, float(returns.true[EQUITY]), self.plans.auto_enroll, crash, s,
                                                 self._reused("choosers", (pop.n,), np.bool_))
        choosers = np.flatnonzero(choosing)
        self.gate_used_rows = _union_ascending(self.gate_used_rows, choosers)  # the choosers trade this month
        # Every saver's row of option draws is drawn (common random numbers), only the
        # choosers' are kept.
        u_alt = self._saver_uniform_rows(draws.OPTIONS, sv.N_OPTIONS, choosers)
        if choosers.size:
            self._reallocate(choosers, u, u_alt, crash, self.composition(choosers))

    def _reallocate(self, rows: npt.NDArray[np.intp], u: F64, u_alt: F64, crash: bool, composition: F64) -> None:
        """New allocations and trades of the reviewing choosers `rows` (`u_alt`: their option
        draws, `composition`: their default-fund mixes, one row each; panic sales in a `crash`).

        ODD §7.3; one pass over the choosers' rows (`agents.reallocation`, the rules and their
        sources there)."""
        pop, s = self.savers, self.config.saver
        trailing = np.prod(1.0 + self.returns_history[-12:], axis=0) - 1.0
        opt_ret = np.where(sv.OPTION_ASSET >= 0, trailing[np.maximum(sv.OPTION_ASSET, 0)], 0.6 * trailing[EQUITY] + 0.4 * trailing[1])
        interest = np.zeros((rows.size, sv.N_OPTIONS))
        ai = self.alt_interest(rows)
        interest[:, sv.STANDALONE_OPTIONS] = ai
        interest[:, sv.WINDOW_ALT_OPTIONS] = ai
        # Savers whose gated holdings were already sold down this month by a menu change have
        # used this month's gate; a second gated sale would let out twice the gate share.
        traded = getattr(self, "_menu_traded", np.zeros(0, dtype=np.intp))
        used = _in_ascending(rows, traded)
        terms = reallocation.ChoiceTerms(opt_ret, s.return_chasing, self.policy.account_cap, crash,
                                         s.panic_sale_prob, self.gate_monthly())
        core_weight = sv.core_menu_weights(self.plans.core_funds[pop.sponsor[rows]], s.menu_count_elasticity)
        gated = reallocation.reallocate(pop, rows, self.visible_options(rows), interest, u_alt, u[2], composition,
                                        used, terms, core_weight)
        if used.any():  # what the menu change's sale already refused this month is refused once
            menu = self._menu_gated[np.searchsorted(traded, rows[used])]
            gated[used] = np.maximum(gated[used] - menu, 0.0)
        self.flows.gated_refused_usd += float(pop.weight[rows] @ gated)

    def _life_events(self) -> None:
        """Hardship withdrawals, job changes (cash-out or rollover), retirement, deaths, new hires."""
        if self.saver_agents is not None:
            return self.saver_agents.life_events()
        pop, s = self.savers, self.saver_rules()
        u = self._saver_uniforms(draws.LIFE_EVENTS, 3)
        ill = SAVER_ILLIQUID_COLUMNS
        # Who withdraws, retires or leaves the system, in one pass (`life_events.separation`;
        # stayers' job tenure restarts). Only those leaving the system need their balance
        # (a few percent of rows a month).
        flags = tuple(self._reused(k, (pop.n,), np.bool_) for k in ("hardship", "leaver"))
        hardship, rows = rule_kernels.separations(pop, u, s, flags)
        share = s.hardship_share_of_balance
        held_illiquid, taken = rule_kernels.hardship_withdrawals(pop.balance_usd, hardship, share, ill)
        redeemed = share * float(pop.weight[hardship] @ held_illiquid)
        self.flows.hardship_usd = float(pop.weight[hardship] @ taken)
        self.add_by_size(self.flows.benefits_by_size, hardship, taken)
        dead = self.deaths(rows)
        if dead.size:
            rows = _union_ascending(rows, dead)
        held = pop.balance_usd[rows]  # gathered once: scattered rows cost a cache miss each
        balance, weight = held.sum(axis=1), pop.weight[rows]
        died = _in_ascending(rows, dead)
        retire = ~died & (pop.age_years[rows] >= pop.retirement_age_years[rows])
        move = ~retire & ~died  # the other leavers changed jobs and take their money out of the system
        p_cash = np.minimum(sv.cash_out_prob(balance[move] / self.wage_index, s.cash_out_scale, s.cash_out_balance_usd), 1.0 - s.stay_in_system_prob)
        cash_out = np.zeros(rows.size, dtype=bool)
        cash_out[move] = u[2, rows[move]] < p_cash
        to_ira = move & ~cash_out
        self.flows.retirement_usd = float(weight[retire] @ balance[retire])
        self.flows.cash_outs_usd = float(weight[cash_out] @ balance[cash_out])
        self.flows.rollovers_out_usd = float(weight[to_ira] @ balance[to_ira])
        self.flows.death_benefits_usd = float(weight[died] @ balance[died])
        self._record_retirees(rows[retire], balance[retire])
        self.add_by_size(self.flows.benefits_by_size, rows, balance + pop.loan_usd[rows])
        self.flows.loan_offsets_usd = close_loans(pop, rows)
        # C order, as a gather of both rows and columns gives: held[:, ill] alone is laid out
        # column by column, and numpy would sum its 9 columns in another order.
        redeemed += float(pop.weight[rows] @ np.ascontiguousarray(held[:, ill]).sum(axis=1))
        # The new accounts: every holding of the rows written (so hire_inplace need not empty them).
        rolled_in = hire_inplace(pop, rows, self.plans, self.config, self.hire_rng, self.wage_index,
                                 empty_accounts=False, weight=self.hire_weight(rows))
        rule_kernels.open_new_accounts(pop.balance_usd, rows, rolled_in, pop.allocation, self.composition(rows))
        self.flows.rollovers_in_usd = float(pop.weight[rows] @ rolled_in)
        self.add_by_size(self.flows.inflows_by_size, rows, rolled_in)
        self.flows.illiquid_redemptions_usd += redeemed
        growth = self.economy.wage_growth_monthly
        rule_kernels.age_one_month(pop, growth)
        self.economy.wage_index *= growth

    def add_by_size(self, out: npt.NDArray[np.float64], rows: npt.NDArray[np.intp], amounts: Any) -> None:
        """Add the savers' `amounts` (USD each, in the order of `rows`), weighted, to `out` by
        their plans' size classes: the flows by plan size of the month (ODD §7.11), for both
        saver engines."""
        pop = self.savers
        w = pop.weight[rows] * np.asarray(amounts, dtype=np.float64)
        out += np.bincount(self.plans.size_class[pop.sponsor[rows]], weights=w, minlength=out.size)

    def _loans(self) -> None:
        """Participant loans this month (ODD §7.6, loans; the rules of `agents.loans`):
        level payments on the loans outstanding, their principal and interest invested as
        contributions are; then new loans, taken pro rata out of the holdings. Leavers'
        loans were offset in the life events. The same for both saver engines: the
        reference engine's agents reload the rows changed here."""
        pop, s = self.savers, self.config.saver
        r_m = s.loan_rate_annual / 12.0
        owing = np.flatnonzero(pop.loan_usd > 0.0)
        principal, interest = loans.repayment(pop.loan_usd[owing], pop.loan_payment_usd[owing], r_m)
        pop.loan_usd[owing] -= principal
        # A loan within a millionth of a dollar of paid off is paid off: the last payment
        # takes the residual, so no money is dropped (the loan stays an asset until repaid).
        done = pop.loan_usd[owing] <= 1e-6
        principal[done] += pop.loan_usd[owing[done]]
        pop.loan_usd[owing[done]] = 0.0
        self._invest_rows(owing, principal + interest)
        self.flows.loan_interest_usd = float(pop.weight[owing] @ interest)
        self.flows.loan_repayments_usd = float(pop.weight[owing] @ principal)
        e = self.economy
        p = loans.loan_probability_monthly(s.loan_prob_annual, e.unemployment_rate, e.params.unemployment_natural,
                                           s.loan_unemployment_elasticity)
        candidates = np.unique(self.loan_rng.integers(0, pop.n, self.loan_rng.binomial(pop.n, p)))
        new = self._take_loans(candidates, pop.balance_usd[candidates].sum(axis=1))
        if self.saver_agents is not None:
            self.saver_agents.reload(_union_ascending(owing, new))

    def _take_loans(self, candidates: npt.NDArray[np.intp], balance: F64,
                    paid: npt.NDArray[np.int64] | None = None) -> npt.NDArray[np.intp]:
        """Loans to the `candidates` who may borrow (enrolled, with money and no loan),
        withdrawn pro rata from their holdings (the illiquid part as redemptions, as a
        hardship withdrawal's); with `paid`, loans taken that many payments ago, of which
        only the unpaid principal leaves the holdings. Returns the borrowers' rows."""
        pop, s = self.savers, self.config.saver
        r_m = s.loan_rate_annual / 12.0
        ok = pop.is_participating[candidates] & (pop.loan_usd[candidates] == 0.0) & (balance > 0.0)
        rows, held = candidates[ok], balance[ok]
        principal = loans.loan_amount(held, s.loan_share_of_balance, s.loan_cap_usd)
        owed = principal if paid is None else loans.outstanding_after(principal, r_m, s.loan_term_months, paid[ok])
        taken = pop.balance_usd[rows] * (owed / held)[:, None]
        pop.balance_usd[rows] -= taken
        pop.loan_usd[rows] = owed
        pop.loan_payment_usd[rows] = loans.level_payment(principal, r_m, s.loan_term_months)
        if paid is None:
            self.flows.new_loans_usd = float(pop.weight[rows] @ owed)
            self.flows.illiquid_redemptions_usd += float(pop.weight[rows] @ taken[:, SAVER_ILLIQUID_COLUMNS].sum(axis=1))
        return rows

    def _invest_rows(self, rows: npt.NDArray[np.intp], amount: F64) -> None:
        """Add `amount` to the accounts of `rows` as contributions are invested: by each
        saver's allocation, the default-fund part in its fund's mix."""
        if rows.size == 0:
            return
        pop = self.savers
        rule_kernels.invest_into_accounts(pop.balance_usd, rows, amount, pop.allocation, self.composition(rows))

    def _initial_loans(self) -> None:
        """Loans outstanding at t0 (ODD §5): each enrolled saver with money holds one with the
        steady-state share of the loan rule (`loans.steady_state_share`), taken between 0
        and `loan_term_months` months ago (uniformly); its unpaid principal is moved out of
        the holdings, so that holdings and loans together keep the t0 assets."""
        pop, s = self.savers, self.config.saver
        share = loans.steady_state_share(s.loan_prob_annual, s.loan_term_months)
        candidates = np.flatnonzero(self.loan_rng.random(pop.n) < share)
        paid = self.loan_rng.integers(0, s.loan_term_months, candidates.size)
        self._take_loans(candidates, pop.balance_usd[candidates].sum(axis=1), paid)

    def _record_retirees(self, rows: npt.NDArray[np.intp], balance: F64) -> None:
        """Keep what the horizon table and the adequacy groups need of the savers in `rows`,
        retiring with `balance` (ODD §7.11, §7.13): their birth year (date − age, fractional),
        their plan's size class and the month's price level (January 2025 = 1) besides."""
        if rows.size == 0:
            return
        pop, date = self.savers, self.date
        self.retirees.append({
            "birth_year": date.year + (date.month - 1) / 12.0 - pop.age_years[rows],
            "size_class": self.plans.size_class[pop.sponsor[rows]].astype(np.int8),
            "price_index": np.full(rows.size, float(self.economy.price_index)),
            "weight": pop.weight[rows].copy(),
            "balance_usd": np.array(balance, dtype=np.float64),
            "salary_usd_annual": pop.salary_usd_annual[rows].copy(),
            "income_quintile": self.income_quintile(pop.salary_usd_annual[rows]).astype(np.int8),
            "worst_year_return": pop.worst_year_return[rows].copy(),
            "worst_year_return_economic": pop.worst_year_return_economic[rows].copy(),
            "social_security_usd_annual": self._social_security(rows),
        })

    def _social_security(self, rows: npt.NDArray[np.intp]) -> F64:
        """Each retiree's annual Social Security benefit at its claim (ODD §7.11;
        `social_security.benefit_from_final_pay`, from its final pay and age)."""
        pop, e = self.savers, self.economy
        age = pop.age_years[rows]
        growth = e.nominal_wage_growth_annual
        at_60 = e.wage_index * (1.0 + growth) ** -(np.maximum(age, 60.0) - 60.0)
        return social_security.benefit_from_final_pay(
            pop.salary_usd_annual[rows], age, e.wage_index, at_60, wage_level(dt.date(2023, 7, 1), growth),
            social_security.career_profile_ratio(age, sv.pay_profile))
