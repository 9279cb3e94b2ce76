"""The alt401k Mesa model: savers, sponsors and asset managers in the 401(k) market, monthly.

ODD §1-7. `Alt401kModel.step` is one month in the order of ODD §3 (process overview):
policy, market, managers, sponsors, savers' contributions, returns and fees, choices,
life events, litigation, observation. Savers are a columnar population; sponsors and
managers are Mesa agents registered with the model.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import mesa
import numpy as np
import numpy.typing as npt

from ..agents import kernels
from ..agents import savers as sv
from ..agents.managers import AssetManager, ProductBook, create_managers, fit_fee_cap
from ..agents.saver_agent import SaverAgents
from ..agents.sponsors import (
    PlanTable,
    ReviewContext,
    Sponsor,
    alternative_losses,
    draw_plans,
    group_share,
    lawsuit_hazard_monthly,
    offers_any_alternative,
    peer_network,
    review_plans,
)
from . import draws, fees
from .assets import (
    ALTERNATIVES,
    ASSET_CLASSES,
    HOLDING_ASSET,
    IS_ILLIQUID_HOLDING,
)
from .config import RunConfig
from .market import Market
from .market_paths import MarketPath
from .policy import PolicyState, Scenario
from .population import hire_inplace, initial_population, weighted_median
from .setting import Setting, build_plans, build_savers
from .threads import kernel_threads, single_thread_blas

F64 = npt.NDArray[np.float64]
ALT_IDX = np.array([ASSET_CLASSES.index(a) for a in ALTERNATIVES])
EQUITY = ASSET_CLASSES.index("equity")
N_STREAMS = 6
"""Independent random streams spawned from the run's SeedSequence, in this order:
market, saver events, hires, initial state, sponsors, model (Mesa's own rng)."""
QDIA_MIX = {"money_market": (0.0, 0.0, 1.0), "balanced": (0.6, 0.4, 0.0)}
"""Public mix of a default fund when the regime's QDIA is not a target-date fund."""
ILLIQUID_COLUMNS_ALL = np.flatnonzero(IS_ILLIQUID_HOLDING)
PE_COLUMNS = np.array([c for c, a in enumerate(HOLDING_ASSET) if ASSET_CLASSES[a] == "private_equity"])


@dataclass
class MonthFlows:
    """Dollar flows of one month, national (weighted); the terms of the money identity."""

    contributions_usd: float = 0.0
    match_usd: float = 0.0
    rollovers_in_usd: float = 0.0
    returns_usd: float = 0.0
    fees_usd: float = 0.0
    carry_usd: float = 0.0
    hardship_usd: float = 0.0
    cash_outs_usd: float = 0.0
    rollovers_out_usd: float = 0.0
    retirement_usd: float = 0.0
    gated_usd: float = 0.0
    sleeve_over_target_usd: float = 0.0
    illiquid_redemptions_usd: float = 0.0

    @property
    def withdrawals_usd(self) -> float:
        """Everything that left the 401(k) system this month."""
        return self.hardship_usd + self.cash_outs_usd + self.rollovers_out_usd + self.retirement_usd


class Alt401kModel(mesa.Model):
    """The 401(k) market under one regulatory scenario.

    Parameters
    ----------
    scenario
        Regulatory variant (a dated lever timeline, `model.policy.load_scenario`).
    config
        Sample sizes, horizon, seed and behavioural parameters.
    seed_sequence
        Root of all randomness; defaults to ``SeedSequence(config.seed)``. Runs given the same
        root see the same market and saver shocks under any scenario (common random numbers).
    market_path
        Optional imposed returns replacing the random draws (`model.market_paths`).
    setting
        Optional synthetic world (`model.setting`) replacing the national Q1 2025 sample;
        `config.n_savers` and `config.n_sponsors` are then ignored.
    """

    def __init__(
        self,
        scenario: Scenario,
        config: RunConfig | None = None,
        seed_sequence: np.random.SeedSequence | None = None,
        market_path: MarketPath | None = None,
        setting: Setting | None = None,
    ) -> None:
        config = config or RunConfig()
        single_thread_blas()  # same bits in any process; the cores left to the kernels
        root = seed_sequence if seed_sequence is not None else np.random.SeedSequence(config.seed)
        streams = root.spawn(N_STREAMS)
        super().__init__(rng=np.random.default_rng(streams[5]))
        self.config = config
        self.scenario = scenario
        self.seed_entropy = root.entropy
        self.month = 0
        self.market = Market(config.market, np.random.default_rng(streams[0]), config.n_months, market_path)
        self.saver_rng = np.random.default_rng(streams[1])
        self.hire_rng = np.random.default_rng(streams[2])
        self.sponsor_rng = np.random.default_rng(streams[4])
        init_rng = np.random.default_rng(streams[3])
        self.policy: PolicyState = scenario.state_at(config.start)
        self.book = ProductBook()
        self.managers: list[AssetManager] = create_managers(self, config.manager, self.book)
        self.tdf_providers = [m for m in self.managers if m.kind == "tdf_provider"]
        self.setting = setting
        if setting is None:
            self.plans: PlanTable = draw_plans(config.n_sponsors, config.initial, config.sponsor, init_rng)
        else:
            self.plans, self.plan_names = build_plans(setting)
        self.sponsors = [Sponsor(self, s) for s in range(self.plans.n)]
        self.network, self.peer_matrix = peer_network(
            self.plans, config.sponsor.peer_degree, int(init_rng.integers(2**31))
        )
        self._assign_tdf_providers(init_rng)
        if setting is None:
            self.savers, totals = initial_population(self.plans, config, init_rng)
            self._seed_alternatives(init_rng)
        else:
            self.savers, totals = build_savers(setting, self.plans, config, init_rng)
        self.row_bounds = kernels.row_chunks(self.savers.sponsor)
        """Chunks of rows the parallel passes share out (rows never change plan)."""
        self.plan_weight = self.plan_totals(np.ones((self.savers.n, 1)))[:, 0]
        self._arrays: dict[tuple[str, tuple[int, ...]], npt.NDArray[Any]] = {}
        """Arrays rewritten every month (`_reused`)."""
        self._saver_totals: tuple[int, kernels.SaverTotals] | None = None
        """(month, savers' end-of-month totals) (`saver_totals`)."""
        self._invest_initial(totals)
        self.holdings_usd = self.saver_totals().holdings_usd
        """National USD by holding column at the end of the last month (or t0)."""
        # Reference engine (RunConfig.saver_engine): one Saver agent per row runs the saver
        # phases with the same rules and draws, writing its state back into `self.savers`.
        self.saver_agents = SaverAgents(self) if config.saver_engine == "agents" else None
        self.wage_index = 1.0
        self.returns_history = np.zeros((0, len(ASSET_CLASSES)))
        self.true_history = np.zeros((0, len(ASSET_CLASSES)))
        self.suits_history: list[float] = []
        self.suits_against_adopters: list[float] = []
        self.last_net_flow = np.zeros(len(ASSET_CLASSES))
        self.last_returns = None
        self.flows = MonthFlows()
        self.retirees: list[dict[str, F64]] = []
        self.quintile_edges = self._income_quintile_edges()
        from .reporters import ModelRecorder

        self.recorder = ModelRecorder(self)
        self.recorder.collect_initial()

    # ------------------------------------------------------------------ initial state

    def _assign_tdf_providers(self, rng: np.random.Generator) -> None:
        """Give each plan a TDF provider by market share (Morningstar: top five ~80%)."""
        shares = np.asarray(self.config.manager.tdf_market_shares)
        mgr = rng.choice(len(shares), self.plans.n, p=shares / shares.sum())
        self.plans.tdf_manager[:] = mgr
        self.plans.default_product[:] = self.plain_tdf_products()[mgr]

    def plain_tdf_products(self) -> npt.NDArray[np.int32]:
        """Product id of each TDF provider's plain TDF."""
        return np.array([m.plain_tdf for m in self.tdf_providers], dtype=np.int32)

    def _seed_alternatives(self, rng: np.random.Generator) -> None:
        """Alternatives already on menus at t0: `alt_offering_share` of plans (weighted).

        PLANSPONSOR 2025: 3.9% of sponsors offered alternative investments in 2024; the
        model places them as standalone gold or private-equity options (mega plans with
        custom TDF sleeves, like Intel's, are too few to matter for the plan count).
        """
        target = self.config.initial.alt_offering_share
        u = rng.random(self.plans.n)
        offering = u < target
        choice = np.where(rng.random(self.plans.n) < 0.6, ALTERNATIVES.index("gold"), ALTERNATIVES.index("private_equity"))
        self.plans.standalone[offering, choice[offering]] = True

    def _invest_initial(self, totals: F64) -> None:
        """Place each saver's t0 balance by its allocation; alt options get a small share."""
        pop = self.savers
        alloc = pop.allocation  # edited in place (a copy would cost 120 bytes a saver at peak)
        has_alt = self.plans.standalone[pop.sponsor]
        share = self.config.initial.alt_holding_share_of_offering_plans
        takers = has_alt.any(axis=1) & (pop.style != sv.DEFAULTED)
        for k in range(len(ALTERNATIVES)):
            rows = takers & has_alt[:, k]
            alloc[rows, sv.STANDALONE_OPTIONS[k]] = share
        alloc[takers] /= alloc[takers].sum(axis=1, keepdims=True)
        sv.invest_inplace(pop.balance_usd, totals, alloc, self.composition())

    # ------------------------------------------------------------------ derived state

    def composition(self, rows: npt.NDArray[np.intp] | None = None) -> F64:
        """Asset-class mix of each saver's default fund (or of `rows` only), shape (n, 8).

        The columnar monthly passes ask only for rows (the balance pass computes each row's
        mix itself, `default_fund_mix`); the whole array serves the initial investment and
        the per-saver reference engine."""
        pop = self.savers
        sponsor = pop.sponsor if rows is None else pop.sponsor[rows]
        age = pop.age_years if rows is None else pop.age_years[rows]
        mix = QDIA_MIX.get(self.policy.qdia)
        plan_sleeve = self.book.sleeve_matrix()[self.plans.default_product]
        if mix is None:  # a target-date fund: its glide path by age
            return kernels.glide_composition(age, plan_sleeve, sponsor)
        glide = np.broadcast_to(np.asarray(mix), (age.shape[0], 3))
        return kernels.default_fund_composition(glide, plan_sleeve, sponsor)

    def default_fund_mix(self) -> kernels.DefaultFundMix:
        """What the balance pass needs to compute each saver's default-fund mix row by row
        (the same mix as `composition`, without the (n, 8) array)."""
        mix = QDIA_MIX.get(self.policy.qdia)
        plan_sleeve = self.book.sleeve_matrix()[self.plans.default_product]
        return kernels.DefaultFundMix(self.savers.age_years, plan_sleeve, None if mix is None else np.asarray(mix))

    def plan_totals(self, values: F64, rows: npt.NDArray[np.intp] | None = None) -> F64:
        """National total of a per-saver quantity in each plan, shape (n_plans, k).

        `values` has a row per saver, or per entry of `rows` (the other savers count as
        zero); weights make the totals national (DESIGN §5). Rows never change plan.
        """
        pop = self.savers
        return kernels.plan_sums(pop.sponsor, pop.weight, values, self.plans.n, rows, self.row_bounds)

    def plan_fee_matrix(self) -> F64:
        """Annual expense ratio by plan and holding column (`model.fees.plan_fee_matrix`)."""
        return fees.plan_fee_matrix(self.plans, self.book, self.managers, self.config.manager)

    def visible_options(self, rows: npt.NDArray[np.intp] | None = None) -> npt.NDArray[np.bool_]:
        """Options on each saver's menu (or on `rows`' menus), shape (n, N_OPTIONS).

        The default fund and core funds always; standalone alternatives the plan offers;
        the window (equity, and each alternative the regime lets into windows) for window
        users at plans with a window.
        """
        pop, plans, p = self.savers, self.plans, self.policy
        rows = np.arange(pop.n) if rows is None else rows
        sponsor = pop.sponsor[rows]
        vis = np.zeros((rows.size, sv.N_OPTIONS), dtype=bool)
        vis[:, 0] = True
        vis[:, sv.CORE_OPTIONS] = True
        vis[:, sv.STANDALONE_OPTIONS] = plans.standalone[sponsor]
        window = plans.offers_window[sponsor] & (pop.style[rows] == sv.WINDOW)
        vis[:, sv.WINDOW_EQUITY_OPTION] = window
        size_ok = plans.participants[sponsor] >= p.min_plan_participants
        for k, a in enumerate(ALTERNATIVES):
            vis[:, sv.WINDOW_ALT_OPTIONS[k]] = window & p.allowed[("window", a)] & size_ok
        return vis

    def _income_quintile_edges(self) -> F64:
        pop = self.savers
        order = np.argsort(pop.salary_usd_annual, kind="stable")
        cum = np.cumsum(pop.weight[order])
        idx = np.searchsorted(cum, cum[-1] * np.array([0.2, 0.4, 0.6, 0.8]))
        return pop.salary_usd_annual[order][idx]

    def income_quintile(self, salary: F64) -> npt.NDArray[np.intp]:
        """Income quintile (0-4) of each salary against this year's edges."""
        return np.searchsorted(self.quintile_edges, salary, side="right")

    @property
    def date(self) -> dt.date:
        """First day of the current month."""
        y, m = divmod(self.config.start.month - 1 + self.month, 12)
        return dt.date(self.config.start.year + y, m + 1, 1)

    # ------------------------------------------------------------------ the month

    def step(self) -> None:
        """Advance one month (ODD §3 process overview)."""
        self.flows = MonthFlows()
        self.policy = self.scenario.state_at(self.date)
        # National dollars by holding at the end of last month (nothing changes balances
        # between steps), reused rather than recomputed.
        before = self._class_totals(self.holdings_usd)
        returns = self.market.step(self.month, self.last_net_flow, before)
        self.last_returns = returns
        self.returns_history = np.vstack([self.returns_history[-35:], returns.reported])
        self.true_history = np.vstack([self.true_history[-35:], returns.true])
        if self.month % 3 == 0:
            self._managers_review()
        self._sponsors_review()
        fee_matrix = self.plan_fee_matrix()
        # The columnar passes compute the default-fund mix only where they need it (the
        # balance pass row by row, choosers and menu changes for their rows); the reference
        # engine takes the whole array, computed once here.
        composition = self.composition() if self.saver_agents is not None else None
        self._balances(returns, fee_matrix, composition)
        self._enforce_menu(composition)
        self._reviews(returns, composition)
        self._life_events()
        self._year_end()
        # Savers' balances are final for the month: one pass gives what litigation,
        # observation and next month's coworker shares need of them (valid for month + 1).
        end = self._observe(self.month + 1)
        self._litigation(fee_matrix, end.plan_holdings_usd)
        self.holdings_usd = end.holdings_usd
        after = self._class_totals(self.holdings_usd)
        self.last_net_flow = after - before - self._returns_by_class
        self.month += 1
        self.recorder.collect()
        self.running = self.month < self.config.n_months

    def run(self) -> None:
        """Run every month of the horizon."""
        while self.month < self.config.n_months:
            self.step()

    @staticmethod
    def _class_totals(holdings_usd: F64) -> F64:
        return np.bincount(HOLDING_ASSET, weights=holdings_usd, minlength=len(ASSET_CLASSES))

    def _managers_review(self) -> None:
        """Quarterly: TDF providers launch or resize alternative TDFs; vehicles meet fee caps."""
        u = self.sponsor_rng.random(len(self.managers))
        for m, ui in zip(self.managers, u, strict=True):
            m.review_products(self.policy, self.config.manager, self.book, float(ui))
        std = self.config.manager.standalone_fee_annual
        for m in self.managers:
            for a, pid in m.standalone.items():
                product = self.book[pid]
                product.fee_annual = std[a]
                product.is_open = fit_fee_cap(product, self.policy.fee_cap_annual)

    def _sponsors_review(self) -> None:
        """Sponsors due this month review their plan (annual, staggered by review month)."""
        uniform = self.sponsor_rng.random((self.plans.n, 4))
        due = np.flatnonzero(self.plans.review_month == self.month % 12)
        if due.size == 0 or (self.setting is not None and self.setting.freeze_sponsors):
            return
        ctx = self._review_context(uniform, due)
        # Equivalent to calling each due Sponsor agent's `review`, done in one array pass.
        review_plans(due, ctx, self.plans, self.config.sponsor)

    def _review_context(self, uniform: F64, due: npt.NDArray[np.intp]) -> ReviewContext:
        """What sponsors see this month; participant demand is computed for the `due` plans only."""
        plans, pop = self.plans, self.savers
        plain = self.plain_tdf_products()
        offering = offers_any_alternative(plans, plain).astype(float)
        peer = self.peer_matrix @ offering
        cons = group_share(plans.consultant, offering, plans.weight)
        keepers = group_share(plans.recordkeeper, offering, plans.weight)
        is_due = np.zeros(plans.n, dtype=bool)
        is_due[due] = True
        rows = np.flatnonzero(is_due[pop.sponsor])
        demand = self.plan_totals(self.alt_interest(rows), rows) / np.maximum(self.plan_weight, 1e-12)[:, None]
        alt_tdf = np.array([m.alt_tdf if m.alt_tdf is not None else -1 for m in self.tdf_providers], dtype=np.int32)
        available = np.array([pid >= 0 and self.book[pid].is_open for pid in alt_tdf])
        standalone = fees.standalone_products(self.managers)
        return ReviewContext(
            policy=self.policy,
            benefit_reported=self._benefit(self.returns_history),
            benefit_true=self._benefit(self.true_history),
            demand=demand,
            peer_share=peer,
            consultant_share=cons,
            recordkeeper_share=keepers,
            recent_suits=float(np.sum(self.suits_against_adopters[-24:])),
            alt_tdf_available=available,
            alt_tdf_product=alt_tdf,
            plain_tdf_product=plain,
            standalone_open=np.array([self.book[standalone[a]].is_open for a in ALTERNATIVES]),
            uniform=uniform,
            month=self.month,
        )

    def _benefit(self, history: F64) -> F64:
        """Perceived net excess return a year of each alternative over public equity.

        ODD §7, sponsor perception. The prior belief (`prior_excess_belief_annual`) updated
        by the trailing record (up to 36 months) with credibility m / (m + 60) for m months
        of record, less the fee premium over a core equity fund and a penalty on
        volatility above equity's (`risk_penalty`); clipped to +/-10% a year.
        """
        sb, mb = self.config.sponsor, self.config.manager
        prior = np.array([sb.prior_excess_belief_annual[a] for a in ALTERNATIVES])
        months = history.shape[0]
        belief, excess_vol = prior, np.zeros(len(ALTERNATIVES))
        if months >= 6:
            mean = np.mean(history, axis=0) * 12.0
            vol = np.std(history, axis=0) * np.sqrt(12.0)
            credibility = months / (months + 60.0)
            belief = prior + credibility * (mean[ALT_IDX] - mean[EQUITY] - prior)
            excess_vol = np.maximum(0.0, vol[ALT_IDX] - vol[EQUITY])
        fee = np.array([mb.standalone_fee_annual[a] for a in ALTERNATIVES]) - mb.core_fee_annual["equity"]
        return np.clip(belief - fee - sb.risk_penalty * excess_vol, -0.1, 0.1)

    def alt_interest(self, rows: npt.NDArray[np.intp] | None = None) -> F64:
        """Probability each saver (or each of `rows`) would take up each alternative, (n, N_ALT).

        ODD §7, saver interest (ODD+D: individual sensing). Crypto by age and income (Fed
        SHED) and lowered after a deep crypto drawdown; other classes by literacy; all raised
        by coworkers' holdings (`peer_weight`) and lowered by enhanced disclosure (-30%,
        assumption after the survey evidence that interest drops on learning of fees).
        """
        pop, s = self.savers, self.config.saver
        rows = np.arange(pop.n) if rows is None else rows
        terms = kernels.InterestTerms(
            base=s.alt_base_interest, crypto_by_age=np.asarray(s.crypto_interest_by_age),
            income_slope=s.crypto_interest_income_slope, peer_weight=s.peer_weight,
            quintile_edges=self.quintile_edges, coworker_share=self._coworker_share(),
            crash_factor=1.0 - s.crash_interest_drop if self._crypto_drawdown() < -0.6 else 1.0,
            disclosure=self.policy.enhanced_disclosure,
        )
        return kernels.alt_interest(pop, rows, terms)

    def saver_totals(self) -> kernels.SaverTotals:
        """National and per-plan holdings, coworker counts and observation's saver sums
        (`agents.kernels.observe_savers`) as of the end of the last month (or t0).

        The month's end-of-month pass (`step`) computes it once balances are final and keeps
        it for the next value of `month`; balances do not change before the next month's
        savers act, so observation and that month's coworker shares reuse it."""
        if self._saver_totals is None or self._saver_totals[0] != self.month:
            return self._observe(self.month)
        return self._saver_totals[1]

    def _observe(self, month: int) -> kernels.SaverTotals:
        """Observe the savers now (`agents.kernels.observe_savers`), cached as valid for `month`."""
        exposure = kernels.observe_savers(self.savers, self.plans.default_rate, self.row_bounds)
        self._saver_totals = (month, exposure)
        return exposure

    def _coworker_share(self) -> F64:
        """Share of each plan's savers holding each alternative outside the default fund,
        (n_plans, N_ALT); computed once a month."""
        if getattr(self, "_coworker_month", None) != self.month:
            held = self.saver_totals().plan_outside_held
            self._coworker = held / np.maximum(self.plan_weight, 1e-12)[:, None]
            self._coworker_month = self.month
        return self._coworker

    def _crypto_drawdown(self) -> float:
        return self.last_returns.crypto_drawdown if self.last_returns is not None else 0.0

    def _balances(self, returns: Any, fee_matrix: F64, composition: F64 | None) -> None:
        """Contributions and match, returns at NAV, fees and carry, default-fund rebalancing.

        ODD §7, balances; the fused kernel in `agents.kernels` (numpy twin when numba is
        absent). Contributions into alternatives stop for savers at the account cap.
        """
        pop, plans = self.savers, self.plans
        if self.saver_agents is not None:
            employee, match, totals = self.saver_agents.balances(returns, fee_matrix, composition)
        else:
            buffers = tuple(self._reused(k, (pop.n,), np.float64) for k in ("employee", "match", "amount"))
            employee, match, amount = kernels.contributions(pop, plans.match_rate, plans.match_cap, buffers)
            alloc = pop.allocation
            if self.policy.account_cap < 1.0:
                alloc = sv.cap_alternative_allocation(alloc, sv.alternative_share(pop.balance_usd), self.policy.account_cap)
            r = returns.reported[HOLDING_ASSET]
            mb = self.config.manager
            totals = kernels.balance_month(
                pop.balance_usd, pop.year_growth, pop.weight, pop.sponsor, plans.n,
                amount, alloc, self.default_fund_mix(), r, fee_matrix,
                PE_COLUMNS, float(returns.reported[ASSET_CLASSES.index("private_equity")]),
                mb.carry_rate, mb.hurdle_annual, self._gate_monthly(), self.row_bounds, pop.style,
            )
        f = self.flows
        f.contributions_usd = float(pop.weight @ employee)
        f.match_usd = float(pop.weight @ match)
        f.returns_usd = totals.gain_usd
        f.carry_usd = totals.carry_usd
        f.sleeve_over_target_usd = totals.stuck_usd
        f.illiquid_redemptions_usd += totals.sleeve_sold_usd
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
        menu = (plans.standalone.copy(), plans.offers_window.copy(),
                tuple(self.policy.allowed[("window", a)] for a in ALTERNATIVES), self.policy.min_plan_participants)
        last = getattr(self, "_last_menu", None)
        if last is None or last[2:] != menu[2:]:
            candidates = np.arange(pop.n)
        else:
            changed = (last[0] != menu[0]).any(axis=1) | (last[1] != menu[1])
            candidates = np.flatnonzero(changed[pop.sponsor]) if changed.any() else np.zeros(0, dtype=np.intp)
            candidates = np.union1d(candidates, self._stranded)
        self._last_menu = menu
        self._stranded = np.zeros(0, dtype=np.intp)
        self._menu_traded = np.zeros(0, dtype=np.intp)
        if candidates.size == 0:
            return
        off_menu = ~self.visible_options(candidates)[:, 1:]
        stranded = ((pop.balance_usd[candidates, sv.N_DF :] > 0) & off_menu).any(axis=1) | (
            (pop.allocation[candidates, 1:] > 0) & off_menu
        ).any(axis=1)
        rows, off_menu = candidates[stranded], off_menu[stranded]
        if rows.size == 0:
            return
        alloc = pop.allocation[rows]
        moved = np.where(off_menu, alloc[:, 1:], 0.0).sum(axis=1)
        alloc[:, 1:] = np.where(off_menu, 0.0, alloc[:, 1:])
        alloc[:, 0] += moved
        pop.allocation[rows] = alloc
        bal = pop.balance_usd[rows]
        gated = sv.trade_to_allocation_inplace(
            bal, self._holding_allocation(bal, alloc, off_menu), self.composition(rows), self._gate_monthly()
        )
        pop.balance_usd[rows] = bal
        self.flows.gated_usd += float(pop.weight[rows] @ gated)
        self._stranded = rows[gated > 0]
        self._menu_traded = rows

    def _holding_allocation(self, bal: F64, alloc: F64, off_menu: npt.NDArray[np.bool_]) -> F64:
        """Allocation that keeps on-menu holdings as they are and moves off-menu ones to the default fund."""
        total = bal.sum(axis=1)
        share = np.divide(bal[:, sv.N_DF :], total[:, None], out=np.zeros_like(bal[:, sv.N_DF :]), where=total[:, None] > 0)
        share = np.where(off_menu, 0.0, share)
        out = np.zeros_like(alloc)
        out[:, 1:] = share
        out[:, 0] = 1.0 - share.sum(axis=1)
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

    def _saver_uniforms(self, shape: tuple[int, int]) -> npt.NDArray[np.float32]:
        """This month's saver draws of `shape`, written into an array kept across months
        (`_reused`): the numbers of `saver_rng.random(shape, dtype=np.float32)`, as the
        agents engine draws them (on the kernels' threads, `model.draws`)."""
        # One buffer serves every draw of the month (each phase is done with its draws before
        # the next draws), sized for the largest.
        rows = max(shape[0], 6)
        out = self._reused("uniforms", (rows, shape[1]), np.float32)[: shape[0]]
        return draws.uniforms_into(self.saver_rng, out, kernel_threads())

    def _saver_uniform_rows(self, n_rows: int, width: int, keep: npt.NDArray[np.intp]) -> npt.NDArray[np.float32]:
        """Rows `keep` (ascending) of `saver_rng.random((n_rows, width), dtype=np.float32)`
        (`model.draws.uniform_rows`: only those rows made with numba; without, every row
        drawn block by block into a buffer kept across months); the same numbers either way."""
        return draws.uniform_rows(self.saver_rng, n_rows, width, keep,
                                  lambda: self._reused("uniform block", (65_536, width), np.float32))

    def _gate_monthly(self) -> float:
        return self.policy.gate_quarterly / 3.0

    def _reviews(self, returns: Any, composition: F64 | None) -> None:
        """Attention, reallocation, panic sales, deferral changes (ODD §7, savers)."""
        if self.saver_agents is not None:
            return self.saver_agents.reviews(returns, composition)
        pop, s = self.savers, self.config.saver
        u = self._saver_uniforms((6, pop.n))
        crash = returns.equity_drawdown < -0.2
        # Every decision but the choosers' reallocation, in one pass (`savers.review_decisions_inplace`).
        choosing = kernels.review_decisions(pop, u, float(returns.true[EQUITY]), self.plans.auto_enroll[pop.sponsor],
                                            crash, s, self._reused("choosers", (pop.n,), np.bool_))
        choosers = np.flatnonzero(choosing)
        # Every saver's row of option draws is drawn (common random numbers), only the
        # choosers' are kept.
        u_alt = self._saver_uniform_rows(pop.n, sv.N_OPTIONS, choosers)
        if choosers.size:
            self._reallocate(choosers, u, u_alt, returns, self.composition(choosers))

    def _reallocate(self, rows: npt.NDArray[np.intp], u: F64, u_alt: F64, returns: Any, composition: F64) -> None:
        """New allocations and trades of the reviewing choosers `rows` (`u_alt`: their option
        draws, `composition`: their default-fund mixes, one row each)."""
        pop, s = self.savers, self.config.saver
        trailing = np.prod(1.0 + self.returns_history[-12:], axis=0) - 1.0
        opt_ret = np.where(sv.OPTION_ASSET >= 0, trailing[np.maximum(sv.OPTION_ASSET, 0)], 0.6 * trailing[EQUITY] + 0.4 * trailing[1])
        interest = np.zeros((rows.size, sv.N_OPTIONS))
        ai = self.alt_interest(rows)
        interest[:, sv.STANDALONE_OPTIONS] = ai
        interest[:, sv.WINDOW_ALT_OPTIONS] = ai
        alloc = sv.choose_allocation(
            self.visible_options(rows), opt_ret, pop.risk_tolerance[rows], pop.return_sensitivity[rows],
            interest, u_alt, s.return_chasing,
        )
        bal = pop.balance_usd[rows]  # gathered once: scattered rows cost a cache miss each
        alloc = sv.cap_alternative_allocation(alloc, sv.alternative_share(bal), self.policy.account_cap)
        alloc = self._cap_alt_weights(alloc, composition[:, ALT_IDX].sum(axis=1))
        if returns.equity_drawdown < -0.2:
            panic = u[2, rows] < s.panic_sale_prob * (1.0 - pop.risk_tolerance[rows])
            alloc[panic] = sv.panic_sell_allocation(alloc[panic])
        pop.allocation[rows] = alloc
        gated = np.zeros(rows.size)
        # Savers whose gated holdings were already sold down this month by a menu change have
        # used this month's gate; a second gated sale would let out twice the gate share.
        used = np.isin(rows, getattr(self, "_menu_traded", np.zeros(0, dtype=np.intp)))
        for part, gate in ((~used, self._gate_monthly()), (used, 0.0)):
            if part.any():
                sub = bal[part]
                gated[part] = sv.trade_to_allocation_inplace(sub, alloc[part], composition[part], gate)
                bal[part] = sub
        pop.balance_usd[rows] = bal
        pop.trades[rows] += 1
        self.flows.gated_usd += float(pop.weight[rows] @ gated)

    def _cap_alt_weights(self, alloc: F64, sleeve_share: F64) -> F64:
        """Scale alternative options so the account after trading is within the account cap.

        Lever `cap.account` covers every channel: the alternative options' weight A plus the
        default fund's weight D times its sleeve share S. Scaling A by f (the rest going to
        the default fund) gives fA + S(D + (1 - f)A) <= cap, i.e.
        f = (cap - S(D + A)) / (A(1 - S)), clipped to [0, 1]. Gated positions that cannot be
        sold yet may keep an account above the cap until the gate lets them out.
        """
        cap = self.policy.account_cap
        if cap >= 1.0:
            return alloc
        alt = alloc[:, sv.OPTION_IS_ALT].sum(axis=1)
        d = alloc[:, 0]
        denom = alt * (1.0 - sleeve_share)
        f = np.divide(cap - sleeve_share * (d + alt), denom, out=np.ones_like(alt), where=denom > 0)
        f = np.clip(f, 0.0, 1.0)
        over = (alt > 0) & (f < 1.0)
        if over.any():
            sub = alloc[over]
            moved = sub[:, sv.OPTION_IS_ALT].sum(axis=1) * (1.0 - f[over])
            sub[:, sv.OPTION_IS_ALT] *= f[over, None]
            sub[:, 0] += moved
            alloc[over] = sub
        return alloc

    def _life_events(self) -> None:
        """Hardship withdrawals, job changes (cash-out or rollover), retirement, new hires."""
        if self.saver_agents is not None:
            return self.saver_agents.life_events()
        pop, s = self.savers, self.config.saver
        u = self._saver_uniforms((3, pop.n))
        ill = ILLIQUID_COLUMNS_ALL
        hardship = np.flatnonzero(pop.is_participating & (u[0] < 1.0 - (1.0 - s.hardship_prob_annual) ** (1 / 12)))
        share = s.hardship_share_of_balance
        redeemed = share * float(pop.weight[hardship] @ pop.balance_usd[np.ix_(hardship, ill)].sum(axis=1))
        taken = sv.withdraw_share_inplace(pop.balance_usd, hardship, np.full(hardship.size, share))
        self.flows.hardship_usd = float(pop.weight[hardship] @ taken)
        retiring = pop.age_years >= pop.retirement_age_years
        leaving = ~retiring & sv.draw_job_changes(pop.age_years, u[1], s.job_change_prob_annual_young, s.job_change_prob_annual_old)
        # Who keeps money in the 401(k) system is drawn first, from the uniform alone, so the
        # set of rows recycled as new hires never depends on balances, hence not on the
        # policy: new-hire draws stay common across scenarios (common random numbers).
        stays = leaving & (u[2] >= 1.0 - s.stay_in_system_prob)
        movers = leaving & ~stays
        # Only those leaving the system need their balance (a few percent of rows a month).
        rows = np.flatnonzero(retiring | movers)
        held = pop.balance_usd[rows]  # gathered once: scattered rows cost a cache miss each
        balance, weight = held.sum(axis=1), pop.weight[rows]
        retire, move = retiring[rows], movers[rows]
        p_cash = np.minimum(sv.cash_out_prob(balance[move] / self.wage_index, s.cash_out_scale), 1.0 - s.stay_in_system_prob)
        cash_out = np.zeros(rows.size, dtype=bool)
        cash_out[move] = u[2, rows[move]] < p_cash
        to_ira = move & ~cash_out
        self.flows.retirement_usd = float(weight[retire] @ balance[retire])
        self.flows.cash_outs_usd = float(weight[cash_out] @ balance[cash_out])
        self.flows.rollovers_out_usd = float(weight[to_ira] @ balance[to_ira])
        # Balances that stay in the 401(k) system (left in the old plan or rolled into the
        # new one) stay on the row, whose job tenure restarts.
        pop.tenure_years[stays] = 0.0
        self._record_retirees(rows[retire], balance[retire])
        redeemed += float(pop.weight[rows] @ held[:, ill].sum(axis=1))
        rolled_in = hire_inplace(pop, rows, self.plans, self.config, self.hire_rng, self.wage_index)
        composition = self.composition(rows)
        sub = np.zeros_like(held)  # hire_inplace empties the new hires' accounts
        sv.invest_inplace(sub, rolled_in, pop.allocation[rows], composition)
        pop.balance_usd[rows] = sub
        self.flows.rollovers_in_usd = float(pop.weight[rows] @ rolled_in)
        self.flows.illiquid_redemptions_usd += redeemed
        pop.age_years += 1.0 / 12.0
        pop.tenure_years += 1.0 / 12.0
        pop.months_in_plan += 1
        growth = (1.0 + s.wage_growth_annual) ** (1.0 / 12.0)
        pop.salary_usd_annual *= growth
        self.wage_index *= growth

    def _record_retirees(self, rows: npt.NDArray[np.intp], balance: F64) -> None:
        """Keep what the horizon table needs of the savers in `rows`, retiring with `balance`."""
        if rows.size == 0:
            return
        pop = self.savers
        self.retirees.append({
            "weight": pop.weight[rows].copy(),
            "balance_usd": np.array(balance, dtype=np.float64),
            "salary_usd_annual": pop.salary_usd_annual[rows].copy(),
            "income_quintile": self.income_quintile(pop.salary_usd_annual[rows]).astype(np.int8),
            "worst_year_return": pop.worst_year_return[rows].copy(),
        })

    def _litigation(self, fee_matrix: F64, held: F64) -> None:
        """Lawsuits this month (ODD §7.10): each plan's hazard from its fees and its
        alternatives' losses; the draws decide which sampled plans are sued. `held`: each
        plan's dollars by holding at the end of the month, (n_plans, N_HOLDINGS)."""
        plans = self.plans
        assets = held.sum(axis=1)
        plan_fee = np.divide((held * fee_matrix).sum(axis=1), assets, out=np.zeros(plans.n), where=assets > 0)
        trailing = np.prod(1.0 + self.returns_history[-12:], axis=0) - 1.0
        offers = offers_any_alternative(plans, self.plain_tdf_products())
        alt_loss = alternative_losses(plans.standalone, self.book.sleeve_matrix()[plans.default_product], trailing)
        p = lawsuit_hazard_monthly(plans, plan_fee, alt_loss, offers, self.policy, self.config.sponsor)
        sued = self.sponsor_rng.random(plans.n) < p
        plans.suits[sued] += 1
        plans.last_suit_month[sued] = self.month
        # National counts are the expected number of suits (sum of weight x hazard), not the
        # weighted draws: one sued sampled micro plan stands for thousands of real ones, so
        # the draws' national total would be needlessly noisy. The draws act on the sampled
        # plans themselves (their own suit history).
        self.suits_history.append(float(plans.weight @ p))
        self.suits_against_adopters.append(float(plans.weight[offers] @ p[offers]))
        self.plan_assets_usd = assets

    def _year_end(self) -> None:
        """December: close each saver's investment year; escalate auto-enrolled deferrals."""
        if self.date.month != 12:
            return
        if self.saver_agents is not None:
            self.saver_agents.year_end()
            self.quintile_edges = self._income_quintile_edges()
            return
        pop, plans = self.savers, self.plans
        year_return = pop.year_growth - 1.0
        pop.last_year_return[:] = year_return
        pop.worst_year_return[:] = np.minimum(pop.worst_year_return, year_return)
        pop.year_growth[:] = 1.0
        esc = pop.is_auto_enrolled & plans.escalates[pop.sponsor] & pop.is_participating
        pop.deferral_rate[esc] = np.where(
            pop.deferral_rate[esc] < self.config.sponsor.escalation_cap,
            np.minimum(pop.deferral_rate[esc] + 0.01, self.config.sponsor.escalation_cap),
            pop.deferral_rate[esc],
        )
        self.quintile_edges = self._income_quintile_edges()


def weighted_median_balance(model: Alt401kModel) -> float:
    """Weighted median account balance of participants (USD)."""
    pop = model.savers
    return weighted_median(pop.total_balance(), pop.weight)
