"""The managed-account channel in the model month (ODD §7.14; the rules in
`agents.managed_accounts`).

`ManagedAccounts` is a mixin of `model.model.Alt401kModel`, beside `SaverPhases`: the t0
service and enrolment, and one monthly phase after the savers' reviews (ODD §3 step 8b):
plans due for review keep, drop or add the service; their savers enrol or leave; the
service resets its savers' allocations and trades them to it; every managed account pays a
month of the advisory fee. The phase acts on the columnar population in both saver engines
(as the loans do): the per-saver reference engine reloads the rows it changed.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from ..agents import managed_accounts as ma
from ..agents import savers as sv
from ..agents.reallocation import alternative_shares
from ..agents.sponsors import DropTriggers, drop_probability
from ..agents.trading import trade_accounts
from ..base.assets import ALTERNATIVES, ASSET_CLASSES, HOLDING_ASSET
from . import fees

F64 = npt.NDArray[np.float64]
B = npt.NDArray[np.bool_]
SUIT_TRIGGER_MONTHS = 12
"""A suit this many months back or fewer is a drop trigger (as for alternatives, ODD §7.8)."""


class ManagedAccounts:
    """The managed-account phases of `Alt401kModel` (a mixin: it uses the model's savers,
    plans, policy, configuration, product book, random streams and flows)."""

    savers: sv.SaverPopulation
    plans: Any
    policy: Any
    config: Any
    month: int
    flows: Any

    def managed_on(self) -> bool:
        """The channel runs in the national sample; a designed world (`model.setting`)
        keeps its own assumptions and has none."""
        return getattr(self, "setting", None) is None

    def managed_sleeve(self, size_ok: B | None = None) -> B:
        """The private-market classes each plan's managed-account service holds for its
        managed savers, (n_plans, N_ALT): the plan offers the service, its recordkeeper's
        platform holds the class in its managed accounts (`PolicyState.managed_sleeve`), the
        regime allows the class as a designated option (`allow.standalone.*`) at a plan of
        its size, and the class's standalone vehicle is open (not closed by a fee cap)."""
        plans, p = self.plans, self.policy
        if size_ok is None:
            size_ok = plans.participants >= p.min_plan_participants
        vehicles = fees.standalone_products(self.managers)
        open_class = np.array([a in vehicles and self.book[vehicles[a]].is_open
                               and bool(p.allowed[("standalone", a)]) for a in ALTERNATIVES])
        out = p.managed_sleeve(plans.recordkeeper)
        out &= open_class[None, :]
        out &= (plans.managed_account & size_ok)[:, None]
        return out

    # ------------------------------------------------------------------ t0

    def _initial_managed_accounts(self, rng: np.random.Generator) -> None:
        """The service at t0 (ODD §5, §7.14): plans whose recordkeeper offers it offer it
        with `plan_offer_share`, a `qdia_share` of those as their QDIA; active choosers
        there opt in with `usage_share` (opting in is an active choice) and the QDIA plans'
        defaulted savers are in it. Their accounts are moved to the service's allocation."""
        plans, pop, p = self.plans, self.savers, self.config.managed_account
        u_plan = rng.random((plans.n, 2))
        u_saver = rng.random(pop.n)
        if not self.managed_on():
            return
        service = self.policy.managed_service(plans.recordkeeper)
        plans.managed_account[:] = service & (u_plan[:, 0] < p.plan_offer_share)
        plans.managed_qdia[:] = plans.managed_account & (u_plan[:, 1] < p.qdia_share)
        at_plan = pop.is_participating & plans.managed_account[pop.sponsor]
        active = at_plan & (pop.style == sv.ACTIVE)
        # Opt-ins come from the active choosers, at the rate that makes `usage_share` of the
        # participants at offering plans.
        p_active = min(1.0, p.usage_share * float(pop.weight @ at_plan) / max(float(pop.weight @ active), 1e-12))
        opt_in = active & (u_saver < p_active)
        by_default = at_plan & (pop.style == sv.DEFAULTED) & plans.managed_qdia[pop.sponsor]
        rows = np.flatnonzero(opt_in | by_default)
        pop.style[rows] = sv.MANAGED
        # The t0 stock is the state after the service invested it: each account is its
        # total in the service's mix (nothing gated at t0, nothing in the default fund).
        alloc = ma.managed_allocation(pop.age_years[rows], pop.risk_tolerance[rows],
                                      self.managed_sleeve()[pop.sponsor[rows]], p, self.policy.account_cap)
        pop.allocation[rows] = alloc
        total = pop.balance_usd[rows].sum(axis=1)
        held = np.zeros((rows.size, pop.balance_usd.shape[1]))
        held[:, sv.N_DF :] = total[:, None] * alloc[:, 1:]
        pop.balance_usd[rows] = held

    # ------------------------------------------------------------------ monthly

    def _managed_accounts(self) -> None:
        """The month's managed-account phase (ODD §7.14): plans due for review decide on the
        service; their savers enrol or leave; the service resets its savers' allocations at
        the plan's review; every managed account pays a month of the advisory fee. Draws:
        stream 11, an (n_plans, 2) and a (2, n_savers) array of uniforms every month
        (common random numbers)."""
        plans, pop, p = self.plans, self.savers, self.config.managed_account
        u_plan = self.managed_rng.random((plans.n, 2))
        u_saver = self.managed_rng.random((2, pop.n), dtype=np.float32)
        self.flows.managed_account_fees_usd = 0.0
        if not self.managed_on():
            return
        due = plans.review_month == self.month % 12
        self._review_managed_plans(due, u_plan)
        # Only the savers of plans due for review decide: the rule runs on their rows (a
        # twelfth of the savers), each with its own column of the month's draws.
        rows = self.plan_rows.rows(due)
        sponsor, style = pop.sponsor[rows], pop.style[rows]
        offered = plans.managed_account[sponsor]
        leave = (style == sv.MANAGED) & (~offered | (u_saver[0, rows] < np.float32(p.leave_prob_annual)))
        eligible = offered & pop.is_participating[rows]
        choosers = eligible & ((style == sv.ACTIVE) | (style == sv.DEFAULTED))
        sb = self.config.saver
        separation = 0.5 * (sb.job_change_prob_annual_young + sb.job_change_prob_annual_old)
        enrol = choosers & (u_saver[1, rows] < np.float32(ma.saver_enrol_prob(p, separation)))
        enrol |= eligible & (style == sv.DEFAULTED) & plans.managed_qdia[sponsor]
        leavers = rows[leave]
        pop.style[leavers] = sv.ACTIVE
        pop.style[rows[enrol]] = sv.MANAGED
        reset = rows[pop.style[rows] == sv.MANAGED]
        self.flows.gated_refused_usd += self._set_managed_allocation(reset, self._row_gates(reset))
        if leavers.size:
            self._leave_managed(leavers)
        charged = self._charge_managed_fees()
        if self.saver_agents is not None:
            self.saver_agents.reload(np.union1d(np.union1d(reset, leavers), charged))

    def _review_managed_plans(self, due: B, uniform: F64) -> None:
        """Plans due for review keep, drop or add the service (ODD §7.14): the sponsors'
        reversible rule, with the drop triggers of `sponsors.drop_probability` (a suit in the
        past year, a new recordkeeper or consultant at this review); the service ends where
        the recordkeeper no longer offers it."""
        plans, p = self.plans, self.config.managed_account
        service = self.policy.managed_service(plans.recordkeeper)
        triggers = DropTriggers(
            sued=plans.last_suit_month >= self.month - SUIT_TRIGGER_MONTHS,
            underperforming=np.zeros(plans.n, dtype=bool),
            provider_changed=plans.last_provider_change_month == self.month,
        )
        keep = ma.plan_keeps(uniform[:, 0], drop_probability(triggers, self.config.sponsor), p)
        has = plans.managed_account
        sp = self.config.sponsor
        provider = ma.expected_provider_drop(sp.recordkeeper_change_annual, sp.consultant_change_annual,
                                             sp.drop_prob_provider_change)
        add = due & ~has & service & (uniform[:, 0] < ma.plan_add_prob(p, provider))
        drop = due & has & (~service | ~keep)
        plans.managed_account[add] = True
        plans.managed_qdia[add] = uniform[add, 1] < p.qdia_share
        plans.managed_account[drop] = False
        plans.managed_qdia[drop] = False

    def _row_gates(self, rows: npt.NDArray[np.intp]) -> F64:
        """This month's gate for each of `rows`: none left for rows that already sold gated
        holdings this month (a menu change, their own review: `gate_used_rows`), so that no
        position leaves faster than the gate's share a month."""
        used = np.isin(rows, getattr(self, "gate_used_rows", np.zeros(0, dtype=np.intp)))
        return np.where(used, 0.0, self.gate_monthly())

    def _set_managed_allocation(self, rows: npt.NDArray[np.intp], gate_monthly: F64) -> float:
        """Set the service's allocation for the managed savers `rows` and trade their
        accounts to it (gated vehicles sell at most `gate_monthly` of their value, per row);
        returns the national USD the gate refused."""
        if rows.size == 0:
            return 0.0
        pop = self.savers
        bal = pop.balance_usd[rows]
        sleeve = self.managed_sleeve()[pop.sponsor[rows]]
        cap = self.policy.account_cap
        if cap < 1.0:  # savers already at the account cap buy no alternatives (as choosers, §7.3)
            sleeve &= (alternative_shares(bal) < cap)[:, None]
        alloc = ma.managed_allocation(pop.age_years[rows], pop.risk_tolerance[rows], sleeve,
                                      self.config.managed_account, cap)
        pop.allocation[rows] = alloc
        # The service puts nothing in the default fund, so the fund's mix multiplies a zero
        # weight: no need to compute it (`self.composition`, the costly part of the phase).
        gated = trade_accounts(bal, alloc, np.zeros((rows.size, sv.N_DF)), gate_monthly)
        pop.balance_usd[rows] = bal
        return float(pop.weight[rows] @ gated)

    def _leave_managed(self, rows: npt.NDArray[np.intp]) -> None:
        """Savers leaving the service keep its allocation and holdings as active choosers;
        what is off their own menu (the sleeve's vehicles, where the plan does not offer
        them) goes to the default fund as in a menu change (ODD §7.7), the gate's rest
        queued for the next months."""
        gated = self._map_off_menu(rows, self._row_gates(rows))
        stuck = rows[gated > 0]
        if stuck.size:
            self.gate_queue = np.union1d(self.gate_queue, stuck).astype(np.intp)

    def _charge_managed_fees(self) -> npt.NDArray[np.intp]:
        """Every managed account pays a month of the advisory fee (`fee_annual` / 12; ODD
        §7.14), out of the 401(k) system; returns the rows charged. The fee comes out of
        each class's value change, so that net flows (ODD §3 step 12) stay flows."""
        pop = self.savers
        rows = np.flatnonzero(pop.style == sv.MANAGED)
        if rows.size == 0:
            return rows
        bal = pop.balance_usd[rows]
        before = bal.copy()
        fee = ma.charge_fee_inplace(bal, self.config.managed_account.fee_annual)
        pop.balance_usd[rows] = bal
        w = pop.weight[rows]
        self.flows.managed_account_fees_usd = float(w @ fee)
        by_holding = w @ (before - bal)
        self._returns_by_class = self._returns_by_class - np.bincount(
            HOLDING_ASSET, weights=by_holding, minlength=len(ASSET_CLASSES))
        return rows
