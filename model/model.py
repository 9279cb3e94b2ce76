"""The alt401k Mesa model: savers, sponsors and asset managers in the 401(k) market, monthly.

ODD §1-7. `Alt401kModel.step` is one month in the order of ODD §3 (process overview):
policy, market, managers, sponsors, savers' contributions, returns and fees, choices,
life events, litigation, observation. Savers are a columnar population; sponsors and
managers are Mesa agents registered with the model.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import mesa
import numpy as np
import numpy.typing as npt

from ..agents import kernels, observation, plan_kernels, rule_kernels
from ..agents import savers as sv
from ..agents.life_events import with_disaster_distributions
from ..agents.litigation import (
    ALT_CLAIM,
    FEE_CLAIM,
    NO_SUIT,
    SUIT_UNIFORMS,
    CaseLoad,
    Outcomes,
    PlanSuits,
    alternative_claim_share,
    monthly_hazard,
    recent_suit_share,
    settlement_usd,
)
from ..agents.managers import AssetManager, ProductBook, create_managers, fit_fee_cap
from ..agents.sponsors import (
    PlanTable,
    ReviewContext,
    Sponsor,
    draw_core_menus,
    draw_never_adopters,
    draw_plan_features,
    draw_plans,
    peer_network,
    replace_plans,
    review_plans,
)
from ..base import draws
from ..base.assets import (
    ALT_CLASS_INDEX,
    ALTERNATIVES,
    ASSET_CLASSES,
    DEFAULT_FUND_KINDS,
    HOLDING_ASSET,
    NO_SANCTIONED_KIND,
)
from ..base.strata import SIZE_CLASSES, VINTAGES
from . import fees, history, plan_lifecycle
from .config import RunConfig, SaverBehaviour, SponsorBehaviour
from .default_funds import DefaultFunds
from .economy import Economy, layoff_multiplier
from .history import (
    auto_enroll_scale,
    historical_config,
    plan_path,
    price_level,
    price_path,
    wage_path,
    workforce_path,
)
from .managed_accounts import ManagedAccounts
from .market import Market
from .market_paths import MarketPath
from .plan_views import PlanViews
from .policy import PolicyState, Scenario
from .population import close_loans, draw_deaths, hire_inplace, initial_population, weighted_median
from .saver_agents import SaverAgents
from .saver_phases import EQUITY, PE_COLUMNS, ROW_BLOCK, SaverPhases
from .setting import Setting, build_plans, build_savers
from .threads import single_thread_blas

__all__ = ["PE_COLUMNS", "Alt401kModel", "MonthFlows", "weighted_median_balance"]

F64 = npt.NDArray[np.float64]
N_STREAMS = 15
"""Independent random streams spawned from the run's SeedSequence, in this order:
market, saver events, hires, initial state, sponsors, model (Mesa's own rng), deaths,
default-fund kinds, loans, litigation, sponsors' providers (never-adopters, recordkeeper
and consultant changes), managed accounts (ODD §7.14), plan terminations and formations
(`draws.PLAN_LIFECYCLE_STREAM`), menus (each plan's core funds, `draw_core_menus`,
`draws.MENUS_STREAM`), default-fund kinds on record at a historical start
(`draws.DEFAULT_KINDS_STREAM`).
(A SeedSequence's children depend on their index only, so adding the last one changed
none of the others.)"""


@dataclass
class LitigationMonth:
    """A month's suits, national expected counts (ODD §7.10): filings by kind of claim and
    the participants of the sued plans, and the month's resolutions (`Outcomes`)."""

    filed_fees: float = 0.0
    filed_alternatives: float = 0.0
    filed_participants: float = 0.0
    outcomes: Outcomes = field(default_factory=Outcomes)
    pending: float = 0.0


@dataclass
class MonthFlows:
    """Dollar flows of one month, national (weighted); the terms of the money identity."""

    contributions_usd: float = 0.0
    employer_usd: float = 0.0
    rollovers_in_usd: float = 0.0
    returns_usd: float = 0.0
    fees_usd: float = 0.0
    carry_usd: float = 0.0
    hardship_usd: float = 0.0
    cash_outs_usd: float = 0.0
    rollovers_out_usd: float = 0.0
    retirement_usd: float = 0.0
    death_benefits_usd: float = 0.0
    loan_offsets_usd: float = 0.0
    loan_interest_usd: float = 0.0
    new_loans_usd: float = 0.0
    loan_repayments_usd: float = 0.0
    gated_refused_usd: float = 0.0
    sleeve_over_target_usd: float = 0.0
    illiquid_redemptions_usd: float = 0.0
    sleeve_forced_sales_usd: float = 0.0
    stale_nav_transfer_usd: float = 0.0
    stale_nav_gain_by_quintile: F64 = field(default_factory=lambda: np.zeros(5))
    """Savers' gains from stale-NAV trades in pooled funds by income quintile (ODD §7.11)."""
    stale_nav_gain_by_vintage: F64 = field(default_factory=lambda: np.zeros(len(VINTAGES)))
    """Vintages' gains from trading their series' private-markets pool at reported NAV (§7.11)."""
    managed_account_fees_usd: float = 0.0
    """Advisory fees of the managed-account service paid out of accounts (ODD §7.14)."""
    inflows_by_size: F64 = field(default_factory=lambda: np.zeros(len(SIZE_CLASSES)))
    """Employee and employer contributions and rollovers in, by plan-size class (ODD §7.11)."""
    benefits_by_size: F64 = field(default_factory=lambda: np.zeros(len(SIZE_CLASSES)))
    """Benefits paid (withdrawals_usd) by plan-size class."""
    plans_terminated: float = 0.0
    """Plans that terminated this month, national (weighted; ODD §7.12); as many were formed
    in their rows."""
    termination_usd: float = 0.0
    """Accounts of the terminated plans distributed this month, loans offset included (a
    part of cash-outs, rollovers out and loan offsets; ODD §7.12)."""

    @property
    def withdrawals_usd(self) -> float:
        """Everything that left the 401(k) system this month."""
        return (self.hardship_usd + self.cash_outs_usd + self.rollovers_out_usd + self.retirement_usd
                + self.death_benefits_usd + self.loan_offsets_usd)

    @property
    def net_flow_usd(self) -> float:
        """What moves total assets (loans included) in a month, the money identity (ODD
        §4.11): contributions, employer money, rollovers in, returns and loan interest in;
        funds' and managed accounts' fees, carry and withdrawals out. Every other operation
        (trades, rebalancing, menu mapping, fund settlement, taking and repaying loans) only
        moves money inside accounts."""
        inflow = self.contributions_usd + self.employer_usd + self.rollovers_in_usd + self.returns_usd + self.loan_interest_usd
        return inflow - (self.fees_usd + self.managed_account_fees_usd + self.carry_usd + self.withdrawals_usd)


class Alt401kModel(SaverPhases, ManagedAccounts, DefaultFunds, mesa.Model):
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
        if setting is None:
            config = historical_config(config)  # the market of its start month (ODD §5.1)
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
        self.saver_key = draws.saver_key(self.saver_rng)
        """Key of the savers' keyed monthly draws (`base.draws`, ODD §4.9)."""
        self.hire_rng = np.random.default_rng(streams[2])
        self.sponsor_rng = np.random.default_rng(streams[4])
        self.death_rng = np.random.default_rng(streams[6])
        self.kind_rng = np.random.default_rng(streams[7])
        self.loan_rng = np.random.default_rng(streams[8])
        self.litigation_rng = np.random.default_rng(streams[9])
        self.provider_rng = np.random.default_rng(streams[10])
        self.managed_rng = np.random.default_rng(streams[11])
        self.lifecycle_rng = np.random.default_rng(streams[draws.PLAN_LIFECYCLE_STREAM])
        self.menu_rng = np.random.default_rng(streams[draws.MENUS_STREAM])
        """Each plan's core menu (`agents.sponsors.draw_core_menus`, ODD §5, §4.9): all
        plans at t0, then any plan formed later (`_form_plans`)."""
        self.kind_record_rng = np.random.default_rng(streams[draws.DEFAULT_KINDS_STREAM])
        """Kinds of default fund drawn from the record (`history.default_kind_mix`, ODD §5.1)."""
        init_rng = np.random.default_rng(streams[3])
        self.policy: PolicyState = scenario.state_at(config.start)
        self.book = ProductBook()
        self.managers: list[AssetManager] = create_managers(self, config.manager, self.book)
        self.tdf_providers = [m for m in self.managers if m.kind == "tdf_provider"]
        self.setting = setting
        if setting is None:
            self.plans: PlanTable = draw_plans(config.n_sponsors, config.initial, config.sponsor, init_rng)
            self.plans.core_funds, self.plans.core_index_funds = draw_core_menus(
                self.plans.size_class, config.sponsor, self.menu_rng)
        else:
            self.plans, self.plan_names = build_plans(setting)
        # Every plan starts with the kind of default fund of the record at the start (a
        # designed setting: the kind the regime sanctions); plans then change kind one by one
        # at their reviews (ODD §5.1, §7.8).
        if setting is None:
            self.plans.default_kind[:] = self._recorded_kinds(self.plans.size_class, config.start)
        else:
            self.plans.default_kind[:] = DEFAULT_FUND_KINDS.index(self._sanctioned_kind())
        self.sponsors = [Sponsor(self, s) for s in range(self.plans.n)]
        self.plan_views = PlanViews(self.plans, self.book, self.managers, config.manager)
        """Each plan's sleeve and fees, kept from month to month (`model.plan_views`)."""
        self.network, self.peer_matrix = peer_network(
            self.plans, config.sponsor.peer_degree, int(init_rng.integers(2**31))
        )
        self._assign_tdf_providers(init_rng)
        if setting is None:
            self.savers, totals = initial_population(self.plans, config, init_rng)
            self._seed_alternatives(init_rng)
            self.plans.never_adopts[:] = draw_never_adopters(self.plans, config.sponsor, self.provider_rng)
        else:
            self.savers, totals = build_savers(setting, self.plans, config, init_rng)
        self.row_bounds = kernels.row_chunks(self.savers.sponsor)
        """Chunks of rows the parallel passes share out (rows never change plan)."""
        self.plan_rows = kernels.PlanRows.of(self.savers.sponsor, self.plans.n)
        """Each plan's rows, to list the savers of some plans (`kernels.PlanRows.rows`)."""
        self.plan_weight = self.plan_totals(np.ones((self.savers.n, 1)))[:, 0]
        self._arrays: dict[tuple[str, tuple[int, ...]], npt.NDArray[Any]] = {}
        """Arrays rewritten every month (`_reused`)."""
        self._plan_sum_buffers: dict[str, kernels.PlanBuffers] = {}
        """Per-plan sums of the passes over the savers, kept across months (`_plan_buffers`)."""
        self._saver_totals: tuple[int, observation.SaverTotals] | None = None
        """(month, savers' end-of-month totals) (`saver_totals`)."""
        self._invest_initial(totals)
        if setting is None:
            self._initial_loans()
        self._initial_managed_accounts(self.managed_rng)
        self._init_default_funds(self.plan_totals(self.savers.balance_usd.sum(axis=1)[:, None])[:, 0])
        self.holdings_usd = self.saver_totals().holdings_usd
        """National USD by holding column at the end of the last month (or t0)."""
        # Reference engine (RunConfig.saver_engine): one Saver agent per row runs the saver
        # phases with the same rules and draws, writing its state back into `self.savers`.
        self.saver_agents = SaverAgents(self) if config.saver_engine == "agents" else None
        observed = setting is None  # a designed world keeps the assumptions
        self.economy = Economy(config.economy, price_index=price_level(config.start),
                               workforce_path=workforce_path(config.start, config.n_months) if observed else (),
                               wage_path=wage_path(config.start, config.n_months) if observed else (),
                               price_path=price_path(config.start, config.n_months) if observed else (),
                               plan_path=plan_path(config.start, config.n_months) if observed else ())
        """Prices, wages, employment and plan counts (`model.economy`, ODD §7.12)."""
        self.grows = setting is None
        """Whether the workforce and plan count follow the economy (not in a designed world)."""
        self.base_plan_weight = self.plans.weight.copy()
        self.plan_origins = plan_lifecycle.PlanOrigins.at_start(self.plans.n)
        """When each plan was formed, for the SECURE 2.0 mandate (ODD §7.12)."""
        self.total_weight = float(self.savers.weight.sum())
        """Workers the saver rows stand for now (kept up to date by `hire_weight`)."""
        self.workforce_t0 = self.total_weight
        self._month_rules: tuple[int, SaverBehaviour] | None = None
        self.returns_history = np.zeros((0, len(ASSET_CLASSES)))
        self.true_history = np.zeros((0, len(ASSET_CLASSES)))
        self.suits_history: list[float] = []
        self.suits_against_adopters: list[float] = []
        self.case_load = CaseLoad()
        """The nation's pending suits, expected counts by stage (ODD §7.10)."""
        self.plan_suits = PlanSuits.empty(self.plans.n)
        """Each sampled plan's pending suit and record, from its own draws (ODD §7.10)."""
        self.litigation_month = LitigationMonth()
        """This month's filings and resolutions, national (ODD §7.10)."""
        self.suits_by_class: list[F64] = []
        """Expected filings a month by plan-size class, national."""
        self.peer_suit_share = np.zeros(self.plans.n)
        """Share of each plan's industry peers sued in the past `peer_window_months` (§7.10)."""
        self.last_net_flow = np.zeros(len(ASSET_CLASSES))
        self.last_returns = None
        self.flows = MonthFlows()
        self.value_ratio_year_start = np.ones(len(ASSET_CLASSES))
        """Each class's price_index / reported_index when the savers' year began (ODD §7.11)."""
        self.gate_queue = np.zeros(0, dtype=np.intp)
        """Rows (ascending) holding off-menu positions in gated vehicles that the gate kept
        this month: next month's gate sells them further (ODD §7.3, menu changes; §7.11)."""
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

    def _sanctioned_kind(self) -> str:
        """The kind of default fund the regime sanctions, or a target-date fund where it
        sanctions none (`qdia.designation` = "none")."""
        return "tdf" if self.policy.qdia == NO_SANCTIONED_KIND else self.policy.qdia

    def _recorded_kinds(self, size_class: npt.NDArray[np.int8], date: dt.date) -> npt.NDArray[np.int8]:
        """Kinds of default fund for plans of these size classes, drawn from the record at
        `date` (`history.default_kind_mix`, ODD §5.1) on their own stream; no draw where the
        record is a single kind (every start from 2019)."""
        mix = history.default_kind_mix(date)[size_class]
        kind = np.argmax(mix, axis=1).astype(np.int8)
        if (mix.max(axis=1) < 1.0).any():
            u = self.kind_record_rng.random(size_class.shape[0])
            kind = (u[:, None] >= np.cumsum(mix, axis=1)[:, :-1]).sum(axis=1).astype(np.int8)
        return kind

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
        # Invested block by block (each row on its own, so the same numbers): the whole
        # population's mix and temporaries would cost ~240 bytes a saver at peak.
        for lo in range(0, pop.n, ROW_BLOCK):
            hi = min(lo + ROW_BLOCK, pop.n)
            rows = np.arange(lo, hi)
            rule_kernels.invest_into_accounts(pop.balance_usd, rows, totals[lo:hi], alloc, self.composition(rows))

    # ------------------------------------------------------------------ derived state

    def plan_totals(self, values: F64, rows: npt.NDArray[np.intp] | None = None) -> F64:
        """National total of a per-saver quantity in each plan, shape (n_plans, k).

        `values` has a row per saver, or per entry of `rows` (the other savers count as
        zero); weights make the totals national (ODD §2.7). Rows never change plan.
        """
        pop = self.savers
        return kernels.plan_sums(pop.sponsor, pop.weight, values, self.plans.n, rows, self.row_bounds)

    def plan_fee_matrix(self) -> F64:
        """Annual expense ratio by plan and holding column (`model.fees.plan_fee_matrix`;
        kept from month to month by `plan_views`, read-only)."""
        return self.plan_views.fee_matrix()

    @property
    def wage_index(self) -> float:
        """Nominal wage level, 1 at t0 (`Economy.wage_index`)."""
        return self.economy.wage_index

    def saver_rules(self) -> SaverBehaviour:
        """The savers' parameters this month: job-change rates raised by this month's layoffs
        (ODD §7.12, the labour-market channel) and, in a month when a law allowed disaster
        distributions (the CARES Act, 2020), the in-service withdrawal rule that adds them
        (ODD §7.6, `life_events.with_disaster_distributions`), so that both saver engines
        draw them through the rules they already share."""
        s = self.config.saver
        rate = self.economy.layoff_rate if self.grows else 0.0
        window = history.disaster_window_months(self.date)
        if rate <= 0.0 and window == 0:
            return s
        if self._month_rules is None or self._month_rules[0] != self.month:
            update: dict[str, float] = {}
            if rate > 0.0:
                f = layoff_multiplier(rate, s.job_change_prob_annual_young, s.job_change_prob_annual_old)
                update["job_change_prob_annual_young"] = min(0.95, f * s.job_change_prob_annual_young)
                update["job_change_prob_annual_old"] = min(0.95, f * s.job_change_prob_annual_old)
            if window:
                update["hardship_prob_annual"], update["hardship_share_of_balance"] = with_disaster_distributions(
                    s.hardship_prob_annual, s.hardship_share_of_balance, s.disaster_distribution_take_up,
                    s.disaster_distribution_share_of_balance, window)
            self._month_rules = (self.month, s.model_copy(update=update))
        return self._month_rules[1]

    def deaths(self, leaving: npt.NDArray[np.intp]) -> npt.NDArray[np.intp]:
        """Rows of the savers who die this month and were not leaving the system anyway
        (`leaving`, ascending), ascending (ODD §7.6, deaths; `population.draw_deaths`). Both
        saver engines call it once a month, after their separations."""
        dead = draw_deaths(self.savers.age_years, self.death_rng)
        return dead[~np.isin(dead, leaving)]

    def hire_weight(self, rows: npt.NDArray[np.intp]) -> float | None:
        """National workers each new hire in `rows` stands for (ODD §7.12, entry).

        Leavers' rows are refilled so that the rows together stand for the covered
        workforce the economy has this month (its t0 size times `Economy.employment_index`):
        the new hires share what the workforce needs beyond the rows that stay. The weight is
        kept between a tenth and ten times the mean, so that a sharp recession or boom
        shows partly in the next months instead of in a few extreme rows. Exogenous
        (leavers and the economy do not depend on policy), so every scenario of a seed gets
        the same weights (common random numbers). None in a designed world: rows keep their
        weights.
        """
        if not self.grows or rows.size == 0:
            return None
        pop = self.savers
        leaving = float(pop.weight[rows].sum())
        mean = self.total_weight / pop.n
        target = self.workforce_t0 * self.economy.employment_index
        w = min(10.0 * mean, max(0.1 * mean, (target - (self.total_weight - leaving)) / rows.size))
        self.total_weight += w * rows.size - leaving
        return w

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
        self.economy.step(max(0.0, -float(returns.equity_drawdown)))  # depth below the peak
        if self.grows:
            self.plans.weight[:] = self.base_plan_weight * self.economy.plan_index
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
        self._managed_accounts()
        self._life_events()
        self._loans()
        self._plan_lifecycle()
        self._settle_default_funds(returns, fee_matrix)
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
        kind_uniform = self.kind_rng.random(self.plans.n)
        provider_uniform = self.provider_rng.random((self.plans.n, 4))
        due = np.flatnonzero(self.plans.review_month == self.month % 12)
        if due.size == 0 or (self.setting is not None and self.setting.freeze_sponsors):
            return
        ctx = self._review_context(uniform, due, kind_uniform, provider_uniform)
        # Equivalent to calling each due Sponsor agent's `review`, done in one array pass.
        review_plans(due, ctx, self.plans, self.config.sponsor)

    def _review_context(self, uniform: F64, due: npt.NDArray[np.intp],
                        kind_uniform: F64 | None = None, provider_uniform: F64 | None = None) -> ReviewContext:
        """What sponsors see this month; participant demand and the peer, consultant and
        recordkeeper shares are computed for the `due` plans only (the reviews read no others)."""
        plans = self.plans
        plain = self.plain_tdf_products()
        peer, cons, keepers = plan_kernels.review_shares(plans, plain, self.peer_matrix, due)
        is_due = np.zeros(plans.n, dtype=bool)
        is_due[due] = True
        rows = self.plan_rows.rows(is_due)
        # Per head at the due plans only: the others' totals are 0 (their savers are not in
        # `rows`) and never read.
        totals = self.plan_totals(self.alt_interest(rows), rows)
        demand = plan_kernels.per_head(totals, self.plan_weight, due, out=totals)
        alt_tdf = np.array([m.alt_tdf if m.alt_tdf is not None else -1 for m in self.tdf_providers], dtype=np.int32)
        available = np.array([pid >= 0 and self.book[pid].is_open for pid in alt_tdf])
        standalone = fees.standalone_products(self.managers)
        tdfs = [self.book[pid] if pid >= 0 else None for pid in alt_tdf]
        return ReviewContext(
            policy=self.policy,
            benefit_reported=self._benefit(self.returns_history),
            benefit_true=self._benefit(self.true_history),
            demand=demand,
            peer_share=peer,
            consultant_share=cons,
            recordkeeper_share=keepers,
            recent_suits=float(np.sum(self.suits_against_adopters[-self.config.litigation.peer_window_months:])),
            alt_tdf_available=available,
            alt_tdf_product=alt_tdf,
            plain_tdf_product=plain,
            standalone_open=np.array([self.book[standalone[a]].is_open for a in ALTERNATIVES]),
            uniform=uniform,
            month=self.month,
            peer_auto_enroll_share=self._peer_auto_enroll_share(due),
            kind_uniform=kind_uniform,
            trailing_excess=self._trailing_excess(self.returns_history),
            provider_uniform=provider_uniform,
            standalone_fee=np.array([self.book[standalone[a]].fee_annual for a in ALTERNATIVES]),
            alt_tdf_fee=np.array([t.total_expense_ratio() if t is not None else np.inf for t in tdfs]),
            alt_tdf_sleeve=np.array([[t.sleeve.get(a, 0.0) if t is not None else 0.0 for a in ALTERNATIVES]
                                     for t in tdfs]),
            peer_suit_share=self.peer_suit_share,
            class_suits=self.class_recent_suits,
        )

    def _peer_auto_enroll_share(self, due: npt.NDArray[np.intp]) -> F64:
        """Share of each due plan's industry peers that auto-enroll (the row-normalised peer
        matrix times the flags), 0 at the plans not due (ODD §7.8)."""
        out = np.zeros(self.plans.n)
        if due.size:
            out[due] = self.peer_matrix[due] @ self.plans.auto_enroll.astype(np.float64)
        return out

    def _fee_premium(self, against: tuple[str, ...] | None = None) -> F64:
        """Each alternative's standalone fee over a core fund's, a year: the core equity
        fund's, or for each class the core fund of `against` (its benchmark)."""
        mb = self.config.manager
        core = [mb.core_fee_annual["equity" if against is None else against[k]] for k in range(len(ALTERNATIVES))]
        return np.array([mb.standalone_fee_annual[a] for a in ALTERNATIVES]) - np.array(core)

    def _trailing_excess(self, history: F64) -> F64 | None:
        """Each alternative's annualised mean monthly return over its benchmark's
        (`performance_benchmark`), less the fee premium over the benchmark's core fund, over
        the last `underperformance_window_months` of reported returns: what a plan's
        performance review compares (ODD §7.8, reversible decisions). None while the record
        is shorter."""
        sb = self.config.sponsor
        if history.shape[0] < sb.underperformance_window_months:
            return None
        against = tuple(sb.performance_benchmark[a] for a in ALTERNATIVES)
        bench = np.array([ASSET_CLASSES.index(b) for b in against])
        mean = np.mean(history[-sb.underperformance_window_months:], axis=0) * 12.0
        return mean[ALT_CLASS_INDEX] - mean[bench] - self._fee_premium(against)

    def _benefit(self, history: F64) -> F64:
        """Perceived net excess return a year of each alternative over public equity.

        ODD §7, sponsor perception. The prior belief (`prior_excess_belief_annual`) updated
        by the trailing record (up to 36 months) with credibility m / (m + 60) for m months
        of record, less the fee premium over a core equity fund and a penalty on
        volatility above equity's (`risk_penalty`); clipped to +/-10% a year.
        """
        sb = self.config.sponsor
        prior = np.array([sb.prior_excess_belief_annual[a] for a in ALTERNATIVES])
        months = history.shape[0]
        belief, excess_vol = prior, np.zeros(len(ALTERNATIVES))
        if months >= 6:
            mean = np.mean(history, axis=0) * 12.0
            vol = np.std(history, axis=0) * np.sqrt(12.0)
            credibility = months / (months + 60.0)
            belief = prior + credibility * (mean[ALT_CLASS_INDEX] - mean[EQUITY] - prior)
            excess_vol = np.maximum(0.0, vol[ALT_CLASS_INDEX] - vol[EQUITY])
        return np.clip(belief - self._fee_premium() - sb.risk_penalty * excess_vol, -0.1, 0.1)

    def saver_totals(self) -> observation.SaverTotals:
        """National and per-plan holdings, coworker counts and observation's saver sums
        (`agents.observation.observe_savers`) as of the end of the last month (or t0).

        The month's end-of-month pass (`step`) computes it once balances are final and keeps
        it for the next value of `month`; balances do not change before the next month's
        savers act, so observation and that month's coworker shares reuse it."""
        if self._saver_totals is None or self._saver_totals[0] != self.month:
            return self._observe(self.month)
        return self._saver_totals[1]

    def _observe(self, month: int) -> observation.SaverTotals:
        """Observe the savers now (`agents.observation.observe_savers`), cached as valid for `month`."""
        exposure = observation.observe_savers(self.savers, self.plans.default_rate, self.row_bounds,
                                              buffers=self._plan_buffers("observe", observation.OBSERVE_SUM_WIDTHS))
        self._saver_totals = (month, exposure)
        return exposure

    def _coworker_share(self) -> F64:
        """Share of each plan's savers holding each alternative outside the default fund,
        (n_plans, N_ALT); computed once a month."""
        if getattr(self, "_coworker_month", None) != self.month:
            held = self.saver_totals().plan_outside_held
            self._coworker = plan_kernels.per_head(held, self.plan_weight)
            self._coworker_month = self.month
        return self._coworker

    def _crypto_drawdown(self) -> float:
        return self.last_returns.crypto_drawdown if self.last_returns is not None else 0.0

    def _litigation(self, fee_matrix: F64, held: F64) -> None:
        """Lawsuits this month (ODD §7.10): the courts move the pending suits on, then each
        plan is sued with its hazard (from its fees and its alternatives' losses).

        Two books, as for every count the model reports: the nation's suits are expected
        counts (`CaseLoad`: sum of weight x hazard, moved through the stages by their
        shares), since one sued sampled plan stands for up to thousands of real ones; each
        sampled plan's own suit (`PlanSuits`, `plans.suits`, `last_suit_month`) follows its
        draws from the litigation stream. `held`: each plan's dollars by holding at the end
        of the month, (n_plans, N_HOLDINGS).
        """
        plans, lb = self.plans, self.config.litigation
        assets, plan_fee = kernels.plan_assets_and_fee(held, fee_matrix)
        trailing = np.prod(1.0 + self.returns_history[-12:], axis=0) - 1.0
        offers, annual, fee_only = plan_kernels.litigation_exposure(
            plans, self.plain_tdf_products(), self.plan_views.sleeve(), trailing, plan_fee, self.policy, self.config.sponsor
        )
        alt_share = alternative_claim_share(annual, fee_only)
        p = monthly_hazard(annual)
        settlement = settlement_usd(assets / np.maximum(plans.weight, 1e-12), lb)
        expected = plans.weight * p
        heads = self.plan_weight * p
        filed = np.zeros((2, 3))
        for kind, share in ((FEE_CLAIM, 1.0 - alt_share), (ALT_CLAIM, alt_share)):
            filed[kind] = (expected * share).sum(), (heads * share).sum(), (expected * share) @ settlement
        if not self.suits_history:  # the first month: the courts' case load of the years before
            self.case_load = CaseLoad.steady_state(filed, self.policy, lb)
        outcomes = self.case_load.advance(self.policy, lb)
        self.case_load.file(filed)
        u = self.litigation_rng.random((plans.n, SUIT_UNIFORMS))
        self.plan_suits.advance(u[:, 2], u[:, 3], self.policy, lb)
        sued = u[:, 0] < p
        plans.suits[sued] += 1
        plans.last_suit_month[sued] = self.month
        self.plan_suits.file(sued, u[:, 1], alt_share, settlement)
        self.suits_history.append(float(expected.sum()))
        self.suits_against_adopters.append(float(expected[offers].sum()))
        by_class = np.bincount(plans.size_class, weights=expected, minlength=len(SIZE_CLASSES))
        if not self.suits_by_class:  # the first month: the filings of the window before, at this month's rate
            self.suits_by_class = [by_class] * (lb.peer_window_months - 1)
        self.suits_by_class.append(by_class)
        self.suits_by_class = self.suits_by_class[-lb.peer_window_months:]
        self.peer_suit_share = recent_suit_share(plans.last_suit_month, self.month + 1, lb.peer_window_months,
                                                 self.peer_matrix)
        self.litigation_month = LitigationMonth(
            filed_fees=float(filed[FEE_CLAIM, 0]), filed_alternatives=float(filed[ALT_CLAIM, 0]),
            filed_participants=float(filed[:, 1].sum()), outcomes=outcomes, pending=self.case_load.pending,
        )
        self.plan_assets_usd = assets

    @property
    def class_recent_suits(self) -> F64:
        """Expected national filings by plan-size class over the past `peer_window_months`:
        the suits a sponsor reads of in its own size class (ODD §7.10)."""
        if not self.suits_by_class:
            return np.zeros(len(SIZE_CLASSES))
        return np.sum(self.suits_by_class, axis=0)

    def _year_end(self) -> None:
        """December: close each saver's investment year; escalate auto-enrolled deferrals
        (ODD §7.6; the rules `agents.life_events.closed_year` and `escalated_deferral`), then
        the new year's income quintiles."""
        if self.date.month != 12:
            return
        self._economic_year_end()
        if self.saver_agents is not None:
            self.saver_agents.year_end()
            self.quintile_edges = self._income_quintile_edges()
            self._refresh_weights()
            return
        rule_kernels.year_end(self.savers, self.plans.escalates, self.config.sponsor.escalation_cap)
        self.quintile_edges = self._income_quintile_edges()
        self._refresh_weights()

    def _plan_lifecycle(self) -> None:
        """Plan terminations and formations at the month's end (ODD §7.12,
        `model.plan_lifecycle`): plans terminate with their size class's hazard of a
        distributing termination (closings less mergers, which change nothing here), their
        accounts are distributed and their rows re-formed as new plans whose workers start
        new accounts; then the SECURE 2.0 mandate is applied where it is in force. None in
        a designed world. Both saver engines share it: the reference engine's agents
        reload the rows changed here."""
        if not self.grows:
            return
        rng, eco = self.lifecycle_rng, self.config.economy
        rate = plan_lifecycle.distributing_rate_annual(eco.plan_termination_annual_by_class,
                                                       eco.plan_termination_distributing_share_by_class)
        ended = plan_lifecycle.draw_terminations(self.plans.size_class, rate, rng)
        rows = np.zeros(0, dtype=np.intp)
        if ended.size:
            is_ended = np.zeros(self.plans.n, dtype=bool)
            is_ended[ended] = True
            rows = self.plan_rows.rows(is_ended)
            self._terminate_plans(ended, rows, rng)
            self._form_plans(ended, rng)
        self._secure2_mandate()
        if rows.size:
            self._enrol_new_plans(rows, rng)

    def _terminate_plans(self, ended: npt.NDArray[np.intp], rows: npt.NDArray[np.intp],
                         rng: np.random.Generator) -> None:
        """Distribute every account of the plans `ended` (their savers' `rows`, ascending):
        cash-outs and rollovers to IRAs by the job-change rule (`savers.cash_out_prob`,
        capped as at a job change), loans offset (`population.close_loans`), all counted as
        benefits paid by the plan's size class (ODD §7.12)."""
        pop, f, s = self.savers, self.flows, self.config.saver
        held = pop.balance_usd[rows]
        balance, weight = held.sum(axis=1), pop.weight[rows]
        p_cash = np.minimum(sv.cash_out_prob(balance / self.wage_index, s.cash_out_scale, s.cash_out_balance_usd), 1.0 - s.stay_in_system_prob)
        cashed, rolled = plan_lifecycle.distribute(balance, weight, rng.random(rows.size) < p_cash)
        f.cash_outs_usd += cashed
        f.rollovers_out_usd += rolled
        self.add_by_size(f.benefits_by_size, rows, balance + pop.loan_usd[rows])
        offsets = close_loans(pop, rows)
        f.loan_offsets_usd += offsets
        # The savers' own gated positions are redeemed; their default-fund money is paid by the
        # pooled funds out of liquid assets (ODD §7.5).
        f.illiquid_redemptions_usd += float(weight @ np.ascontiguousarray(held[:, sv.ILLIQUID_COLUMNS]).sum(axis=1))
        f.plans_terminated = float(self.plans.weight[ended].sum())
        f.termination_usd = cashed + rolled + offsets
        pop.balance_usd[rows] = 0.0

    def _form_plans(self, ended: npt.NDArray[np.intp], rng: np.random.Generator) -> None:
        """Re-form the rows `ended` as newly formed plans of the same size class and weight
        (ODD §7.12): features drawn as at t0 (`sponsors.draw_plan_features`, the existing
        consultants), a TDF provider by market share, the default-fund kind the regime
        sanctions, never-adopters by their class's share, no alternatives, suits or
        provider changes, and the sponsor's age for the mandate's exemption."""
        plans, k = self.plans, ended.size
        sb = self._new_plan_behaviour()
        cls = plans.size_class[ended]
        fresh = draw_plan_features(cls, plans.weight[ended], sb, rng, consultant_lean=plans.consultant_lean)
        replace_plans(plans, ended, fresh)
        shares = np.asarray(self.config.manager.tdf_market_shares)
        mgr = rng.choice(len(shares), k, p=shares / shares.sum())
        plans.tdf_manager[ended] = mgr
        plans.default_product[ended] = self.plain_tdf_products()[mgr]
        plans.default_kind[ended] = (self._recorded_kinds(cls, self.date) if self.policy.qdia == NO_SANCTIONED_KIND
                                     else DEFAULT_FUND_KINDS.index(self.policy.qdia))
        plans.never_adopts[ended] = rng.random(k) < np.asarray(sb.never_adopt_share_by_class)[cls]
        self.plan_suits.stage[ended] = NO_SUIT
        self.plan_suits.settlement_usd[ended] = 0.0
        young = rng.random(k) < self.config.economy.new_plan_young_business_share
        self.plan_origins.form(ended, self.month, self.date, young)
        # A new plan starts without the managed-account service (`replace_plans` gave it the
        # fresh table's none; its reviews may add it, §7.14) and with an off-the-shelf
        # target-date series (custom series are the largest plans' at t0, §7.5).
        self.custom_rank[ended] = -1
        # Its core menu is drawn as the t0 plans' were, from the menus' stream (§5, §4.9);
        # designed worlds (no index funds told apart) keep their menus.
        if plans.core_index_funds is not None:
            plans.core_funds[ended], plans.core_index_funds[ended] = draw_core_menus(
                cls, self.config.sponsor, self.menu_rng)

    def _new_plan_behaviour(self) -> SponsorBehaviour:
        """The sponsors' calibration for plans formed this month: the auto-enrolling shares by
        size class of this date (the 2024 shares scaled by Vanguard's share of plans
        auto-enrolling then, `history.auto_enroll_scale`, as the starting sample's are in a
        run that starts in the past; ODD §5.1, §7.12)."""
        sb = self.config.sponsor
        factor = auto_enroll_scale(self.date) / auto_enroll_scale(self.config.start)
        if factor == 1.0:
            return sb
        shares = tuple(min(1.0, factor * x) for x in sb.auto_enroll_share_by_class)
        return sb.model_copy(update={"auto_enroll_share_by_class": shares})

    def _secure2_mandate(self) -> None:
        """Where the SECURE 2.0 mandate is in force, the plans it covers auto-enroll new
        hires at 3-10% with escalation (`plan_lifecycle.mandate_subject`, ODD §7.12)."""
        if not self.policy.new_plan_mandate:
            return
        plans = self.plans
        subject = plan_lifecycle.mandate_subject(self.plan_origins, plans.participants, self.month,
                                                 self.scenario.parameters.get("secure2_established_after"))
        plan_lifecycle.apply_mandate(subject, plans.auto_enroll, plans.escalates, plans.default_rate)

    def _enrol_new_plans(self, rows: npt.NDArray[np.intp], rng: np.random.Generator) -> None:
        """The workers of the newly formed plans (`rows`, ascending) start new, empty
        accounts as new hires of their plan (`population.hire_inplace`, ages from the
        participants' distribution; they keep their rows' weights and bring no roll-ins:
        the plan starts without assets; ODD §7.12)."""
        pop = self.savers
        hire_inplace(pop, rows, self.plans, self.config, rng, self.wage_index, empty_accounts=False, stock_ages=True)
        rule_kernels.open_new_accounts(pop.balance_usd, rows, np.zeros(rows.size), pop.allocation, self.composition(rows))
        if self.saver_agents is not None:
            self.saver_agents.reload(rows)

    def _economic_year_end(self) -> None:
        """Close the savers' year at economic values too (`savers.economic_year_end_inplace`,
        ODD §7.11), then keep this December's economic-to-reported ratios as next year's start."""
        r = self.last_returns
        ratio = r.price_index / r.reported_index if r is not None else np.ones(len(ASSET_CLASSES))
        sv.economic_year_end_inplace(self.savers, self.value_ratio_year_start[HOLDING_ASSET], ratio[HOLDING_ASSET])
        self.value_ratio_year_start = ratio

    def _refresh_weights(self) -> None:
        """Once a year, each plan's workers and the workforce total afresh from the rows'
        weights (new hires carry the weights of `hire_weight`; per-plan heads feed demand and
        coworker shares, §7.8)."""
        if self.grows:
            self.plan_weight = self.plan_totals(np.ones((self.savers.n, 1)))[:, 0]
            self.total_weight = float(self.savers.weight.sum())


def weighted_median_balance(model: Alt401kModel) -> float:
    """Weighted median account balance of participants with an account (USD; Vanguard's
    medians are per account, so eligible employees who never enrolled are left out)."""
    pop = model.savers
    balance = pop.total_balance()
    held = balance > 0
    return weighted_median(balance[held], pop.weight[held])
