"""Plan sponsors: employers as fiduciaries choosing the menu and the default fund.

ODD §2 and §7 (sponsor submodels, ODD+D decision). Each sampled sponsor is a Mesa agent
standing for `weight` real plans of its size class. Plan features live in one `PlanTable`
of arrays (one row per sponsor) so that savers can look them up by index in whole-array
operations; a `Sponsor` agent reads and writes its own row.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING

import mesa
import networkx as nx
import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from ..base.assets import ALTERNATIVES, DEFAULT_FUND_KINDS, ILLIQUID, NO_SANCTIONED_KIND
from ..base.compiled import njit, prange
from ..base.strata import SIZE_CLASS_BOUNDS, SIZE_CLASSES

if TYPE_CHECKING:
    from ..model.config import InitialState, SponsorBehaviour
    from ..model.policy import PolicyState

F64 = npt.NDArray[np.float64]
B = npt.NDArray[np.bool_]
N_ALT = len(ALTERNATIVES)
IS_ILLIQUID = np.array([a in ILLIQUID for a in ALTERNATIVES])
"""Per alternative class: held through gated vehicles and valued by appraisal (ODD §7.2)."""
DEFAULT_KINDS = DEFAULT_FUND_KINDS
N_CORE_CLASSES = 3
"""Public classes of the core menu, in order: equity, bonds, cash."""


@dataclass
class PlanTable:
    """Every sampled plan's features as arrays, row s = sponsor s."""

    size_class: npt.NDArray[np.int8]
    participants: npt.NDArray[np.int64]
    weight: F64
    """Real plans this sampled plan stands for."""
    governance: F64
    consultant: npt.NDArray[np.int32]
    """Consultant id, -1 for none."""
    recordkeeper: npt.NDArray[np.int32]
    litigation_aversion: F64
    auto_enroll: B
    active_decision: B
    """Plan requires new hires to make an active enrollment choice (Carroll et al. 2009)."""
    default_rate: F64
    escalates: B
    match_rate: F64
    match_cap: F64
    tdf_manager: npt.NDArray[np.int32]
    """Index of the plan's TDF provider among the TDF providers."""
    default_product: npt.NDArray[np.int32]
    """Product id of the default fund (the provider's plain or alternative TDF)."""
    standalone: B
    """Shape (n, len(ALTERNATIVES)): standalone alternative options on the menu."""
    offers_window: B
    review_month: npt.NDArray[np.int8]
    suits: npt.NDArray[np.int32]
    last_suit_month: npt.NDArray[np.int32]
    consultant_bias: F64
    """Consultant's own lean toward alternatives, shared by its clients."""
    default_kind: npt.NDArray[np.int8] | None = None
    """Kind of the plan's default fund, an index into `DEFAULT_KINDS` (target-date fund,
    money market or balanced); all target-date when not given (ODD §7.5)."""
    nonmatch_rate: F64 | None = None
    """Nonmatching (profit-sharing or nonelective) employer contribution, share of pay, paid
    to every enrolled saver; 0 for plans without one, and for all when not given (ODD §7.4)."""
    never_adopts: B | None = None
    """The sponsor never adds an alternative (ODD §7.8, `never_adopt_share_by_class`); none
    when not given."""
    last_provider_change_month: npt.NDArray[np.int32] | None = None
    """Month of the plan's last change of recordkeeper or consultant (-10,000: none)."""
    consultant_lean: F64 | None = None
    """Each consultant's own lean toward alternatives, shape (n_consultants,): a plan that
    changes consultant takes its new consultant's (`consultant_bias`). None: no consultants."""
    managed_account: B | None = None
    """The plan offers its recordkeeper's managed-account service (ODD §7.14); none when not given."""
    managed_qdia: B | None = None
    """The managed account is the plan's QDIA: defaulted savers are enrolled in it (§7.14)."""
    core_funds: npt.NDArray[np.int16] | None = None
    """Shape (n, 3): the number of core funds of each public class (equity, bonds, cash) on
    the plan's menu (ODD §2.2, §5; `draw_core_menus`); one of each when not given. Funds of
    one class share the class's holding column and fee; active choosers spread over them
    (`agents.savers.core_menu_weights`, ODD §7.3)."""
    core_index_funds: npt.NDArray[np.int16] | None = None
    """Shape (n, 3): how many of `core_funds` are index funds (none for cash). The plan's core
    fee of a class is the mean over its funds (`model.fees.core_fees`, ODD §7.5). None: the
    menu's funds are not told apart and each class costs `core_fee_annual` (designed worlds)."""

    def __post_init__(self) -> None:
        n = self.weight.shape[0]
        if self.default_kind is None:
            self.default_kind = np.full(n, DEFAULT_KINDS.index("tdf"), dtype=np.int8)
        if self.never_adopts is None:
            self.never_adopts = np.zeros(n, dtype=bool)
        if self.last_provider_change_month is None:
            self.last_provider_change_month = np.full(n, -10_000, dtype=np.int32)
        if self.nonmatch_rate is None:
            self.nonmatch_rate = np.zeros(n)
        if self.managed_account is None:
            self.managed_account = np.zeros(n, dtype=bool)
        if self.managed_qdia is None:
            self.managed_qdia = np.zeros(n, dtype=bool)
        if self.core_funds is None:
            self.core_funds = np.ones((n, N_CORE_CLASSES), dtype=np.int16)

    @property
    def n(self) -> int:
        """Number of sampled plans."""
        return self.weight.shape[0]


def draw_plans(
    n_sponsors: int, initial: InitialState, behaviour: SponsorBehaviour, rng: np.random.Generator
) -> PlanTable:
    """Sample plans stratified by size class, weighted to the national plan count.

    ODD §5 (initialisation). Equal numbers per class so small and mega plans are both
    represented (ODD §2.7); within a class sizes follow a truncated Pareto (log-uniform
    limit) between the class bounds. Weights make each class's plan count match
    `plan_share_by_class` x `plans` (EBRI 2020). The features are `draw_plan_features`'.
    """
    n_classes = len(SIZE_CLASSES)
    per_class = np.full(n_classes, n_sponsors // n_classes)
    per_class[: n_sponsors % n_classes] += 1
    size_class = np.repeat(np.arange(n_classes, dtype=np.int8), per_class)
    weight = (np.asarray(initial.plan_share_by_class) * initial.plans / per_class)[size_class]
    return draw_plan_features(size_class, weight, behaviour, rng)


def draw_plan_features(size_class: npt.NDArray[np.int8], weight: F64, behaviour: SponsorBehaviour,
                       rng: np.random.Generator, consultant_lean: F64 | None = None) -> PlanTable:
    """Plans of the given size classes with fresh features (ODD §5; §7.12, plan formation).

    Sizes log-uniform within the class bounds; governance, consultants, recordkeepers,
    auto-enrollment, default rates, matching, windows, review months and nonmatching
    contributions as calibrated (docs/calibration.md, 'Sponsors'). At t0
    (`consultant_lean` None) the consultants' leans are drawn and auto-enrollment is
    assigned to the exact share of each class (`exact_share_within_class`); for plans
    formed during the run the consultants are the existing ones (their `consultant_lean`)
    and each plan auto-enrolls with its class's probability (a handful of new plans cannot
    be assigned an exact share). Either way the stream is used the same way.
    """
    lo = np.array([b[0] for b in SIZE_CLASS_BOUNDS], dtype=float)[size_class]
    hi = np.array([b[1] for b in SIZE_CLASS_BOUNDS], dtype=float)[size_class]
    n = size_class.shape[0]
    u = rng.random(n)
    participants = np.exp(np.log(lo) + u * (np.log(hi) - np.log(lo))).astype(np.int64)
    governance = np.clip(rng.beta(2, 2, n) + 0.1 * size_class, 0, 1)
    has_consultant = rng.random(n) < np.asarray(behaviour.consultant_share_by_class)[size_class]
    consultant = np.where(has_consultant, rng.integers(0, behaviour.n_consultants, n), -1).astype(np.int32)
    recordkeeper = rng.choice(behaviour.n_recordkeepers, n, p=recordkeeper_shares(behaviour.n_recordkeepers)).astype(np.int32)
    ae_uniform = rng.random(n)
    ae_share = np.asarray(behaviour.auto_enroll_share_by_class)
    auto_enroll = (exact_share_within_class(ae_uniform, size_class, ae_share) if consultant_lean is None
                   else ae_uniform < ae_share[size_class])
    default_rate = rng.choice(np.asarray(behaviour.default_rate_choices), n, p=np.asarray(behaviour.default_rate_probs))
    escalates = auto_enroll & (rng.random(n) < behaviour.escalation_share)
    half_match = rng.random(n) < behaviour.match_formula_share
    match_rate = np.where(half_match, behaviour.match_rate, 2 * behaviour.match_rate)
    match_cap = np.where(half_match, behaviour.match_cap_share_of_pay, behaviour.full_match_cap_share_of_pay)
    offers_window = rng.random(n) < np.asarray(behaviour.window_share_by_class)[size_class]
    bias = rng.normal(0.0, 0.5, behaviour.n_consultants) if consultant_lean is None else consultant_lean
    plans = PlanTable(
        size_class=size_class,
        participants=participants,
        weight=weight,
        governance=governance,
        consultant=consultant,
        recordkeeper=recordkeeper,
        litigation_aversion=rng.beta(2, 2, n),
        auto_enroll=auto_enroll,
        active_decision=np.zeros(n, dtype=bool),
        default_rate=default_rate,
        escalates=escalates,
        match_rate=match_rate,
        match_cap=match_cap,
        tdf_manager=np.zeros(n, dtype=np.int32),
        default_product=np.zeros(n, dtype=np.int32),
        standalone=np.zeros((n, N_ALT), dtype=bool),
        offers_window=offers_window,
        review_month=rng.integers(0, 12, n).astype(np.int8),
        suits=np.zeros(n, dtype=np.int32),
        last_suit_month=np.full(n, -10_000, dtype=np.int32),
        consultant_bias=np.where(consultant >= 0, bias[np.maximum(consultant, 0)], 0.0),
        consultant_lean=bias,
    )
    # Drawn last, so the draws above are those of plans without nonmatching contributions.
    plans.nonmatch_rate = np.where(rng.random(n) < behaviour.nonmatching_share, behaviour.nonmatching_rate, 0.0)
    return plans


PLAN_ROW_KEPT = frozenset({"size_class", "weight", "consultant_lean"})
"""`PlanTable` fields a re-formed plan row keeps (`replace_plans`): its stratum and weight
(the national count it stands for) and the consultants' own leans (not per plan)."""


def replace_plans(plans: PlanTable, rows: npt.NDArray[np.intp], fresh: PlanTable) -> None:
    """Overwrite the plans at `rows` with the plans of `fresh` (one each, in order), every
    per-plan field but `PLAN_ROW_KEPT` (ODD §7.12, plan formation): a newly formed plan
    takes the row of a terminated one, with none of its predecessor's decisions."""
    for f in fields(PlanTable):
        if f.name in PLAN_ROW_KEPT:
            continue
        new = getattr(fresh, f.name)
        if isinstance(new, np.ndarray):
            getattr(plans, f.name)[rows] = new


def draw_core_menus(size_class: npt.NDArray[np.int8], behaviour: SponsorBehaviour,
                    rng: np.random.Generator) -> tuple[npt.NDArray[np.int16], npt.NDArray[np.int16]]:
    """Each plan's core menu: the number of core funds of each public class (equity, bonds,
    cash) and how many of them are index funds, two arrays of shape (len(size_class), 3)
    (ODD §5, menus; `PlanTable.core_funds`, `core_index_funds`).

    A plan of size class c offers 1 + Poisson(m - 1) funds of a class whose mean for class c
    is m (`core_funds_mean_by_class`: BrightScope/ICI 2020, about 13 equity and 3 bond funds
    in large plans; docs/calibration.md), at least one of each as every menu has a core fund
    of each class. It offers index funds with probability `index_offer_share_by_class`[c]
    (BrightScope/ICI 2016), and then each equity or bond fund is an index fund with
    probability `index_fund_share` (binomial); cash funds never are. Draws from `rng`, the
    menus' own stream (ODD §4.9), in a fixed order: an (n, 3) Poisson array, n uniforms, an
    (n, 2) binomial array, so the draws of the other plan features do not move. A plan that
    starts later (a birth) calls this for its own rows with the same stream.
    """
    mean = np.asarray(behaviour.core_funds_mean_by_class, dtype=np.float64)[size_class]
    funds = (1 + rng.poisson(mean - 1.0)).astype(np.int16)
    offers = rng.random(size_class.shape[0]) < np.asarray(behaviour.index_offer_share_by_class)[size_class]
    index = np.zeros_like(funds)
    index[:, :2] = rng.binomial(funds[:, :2], behaviour.index_fund_share) * offers[:, None]
    return funds, index


def recordkeeper_shares(n_recordkeepers: int) -> F64:
    """Market shares of the recordkeepers, proportional to 1/rank: recordkeeping is
    concentrated (P&I 2024: the largest holds over 30% of assets). Used to draw plans'
    recordkeepers at t0 and a new one when a plan changes (ODD §7.8)."""
    p = 1.0 / np.arange(1, n_recordkeepers + 1)
    return p / p.sum()


def draw_never_adopters(plans: PlanTable, behaviour: SponsorBehaviour, rng: np.random.Generator) -> B:
    """Plans that never add an alternative (ODD §7.8): exactly `never_adopt_share_by_class`
    of each size class's sampled plans, drawn from their own stream (§4.9), less those that
    already offer one (they are adopters by their record)."""
    never = exact_share_within_class(rng.random(plans.n), plans.size_class,
                                     np.asarray(behaviour.never_adopt_share_by_class))
    return never & ~any_column(plans.standalone)


def exact_share_within_class(uniform: F64, size_class: npt.NDArray[np.int8], share: F64) -> B:
    """Flag round(share_c x n_c) plans of each class c: those with the smallest draws.

    A feature with a known share per class is then hit exactly by the sample (up to one
    plan per class) instead of only in expectation, so t0 shares do not depend on the luck
    of a small stratified sample.
    """
    out = np.zeros(uniform.shape[0], dtype=bool)
    for c in np.unique(size_class):
        rows = np.flatnonzero(size_class == c)
        k = int(round(share[c] * rows.size))
        out[rows[np.argsort(uniform[rows], kind="stable")[:k]]] = True
    return out


def peer_network(plans: PlanTable, degree: int, seed: int) -> tuple[nx.Graph, sp.csr_array]:
    """Industry-peer network among sponsors and its row-normalised adjacency matrix.

    ODD §2 (collectives) and §7 (peer influence). A Watts-Strogatz small world (each plan
    linked to `peer_degree` peers, 10% rewired) stands for industry and local peers;
    consultant ties are handled as groups (clients of one consultant). Seeded from the
    run's SeedSequence, never from global state.
    """
    k = min(degree, plans.n - 1 - (plans.n - 1) % 2) if plans.n > 2 else 1
    graph = nx.connected_watts_strogatz_graph(plans.n, max(k, 2), 0.1, seed=seed) if plans.n > 3 else nx.complete_graph(plans.n)
    adj = adjacency_csr(graph, plans.n)
    deg = np.asarray(adj.sum(axis=1)).ravel()
    norm = sp.diags_array(np.divide(1.0, deg, out=np.zeros_like(deg), where=deg > 0)) @ adj
    return graph, sp.csr_array(norm)


def adjacency_csr(graph: nx.Graph, n: int) -> sp.csr_array:
    """Adjacency matrix of a simple undirected graph on nodes 0..n-1, ones where linked.

    The matrix ``networkx.to_scipy_sparse_array(graph, nodelist=range(n), format="csr",
    dtype=float)`` gives, in scipy's canonical form (each row's columns sorted, as its
    conversion leaves them; tests/agents/test_sponsors.py), read straight from the graph's
    neighbour lists, without that conversion's Python-level edge views (a large part of the model's
    start at the national plan count; benchmarks/RESULTS.md).
    """
    neighbours = graph.adj
    counts = np.fromiter((len(neighbours[i]) for i in range(n)), dtype=np.int64, count=n)
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(counts, out=indptr[1:])
    indices = np.fromiter(itertools.chain.from_iterable(neighbours[i] for i in range(n)), dtype=np.int64,
                          count=int(indptr[-1]))
    adj = sp.csr_array((np.ones(indices.size), indices, indptr), shape=(n, n))
    adj.sort_indices()
    return adj


@dataclass(frozen=True)
class ReviewContext:
    """What a reviewing sponsor sees this month (computed once for all sponsors).

    Arrays have one row per sponsor; `benefit` is per alternative class. The model computes
    `demand` and the three shares only where a review reads them, at the plans due this
    month (the others may be left 0; `agents.plan_kernels.review_shares`).
    """

    policy: PolicyState
    benefit_reported: F64
    """Net-of-fee excess return a year of each alternative class over public equity, judged
    from reported (smoothed) values, shape (N_ALT,)."""
    benefit_true: F64
    """The same judged from true (de-smoothed) values, shape (N_ALT,)."""
    demand: F64
    """Share of the plan's savers interested in each alternative class, (n, N_ALT)."""
    peer_share: F64
    """Share of peers offering any alternative, (n,)."""
    consultant_share: F64
    """Share of the consultant's clients offering any alternative, (n,)."""
    recordkeeper_share: F64
    """Share of the recordkeeper's client plans offering any alternative, (n,)."""
    recent_suits: float
    """National lawsuits against alternative adopters in the past 24 months."""
    alt_tdf_available: B
    """Per TDF provider: an open alternative-bearing TDF exists."""
    alt_tdf_product: npt.NDArray[np.int32]
    plain_tdf_product: npt.NDArray[np.int32]
    standalone_open: B
    """Per alternative class: a standalone vehicle is open under the fee cap."""
    uniform: F64
    """(n, 4) uniform draws for this month's reviews."""
    month: int
    peer_auto_enroll_share: F64 | None = None
    """Share of peers auto-enrolling, (n,), at the plans due (None: no peer effect)."""
    kind_uniform: F64 | None = None
    """(n,) uniform draws for changes of default-fund kind (their own stream; None: none)."""
    trailing_excess: F64 | None = None
    """Each alternative class's annualised return over its benchmark (public equity), net
    of the fee premium, over the trailing `underperformance_window_months` of reported
    returns, shape (N_ALT,); None while the record is shorter (no performance trigger)."""
    provider_uniform: F64 | None = None
    """(n, 4) uniform draws for changes of recordkeeper and consultant (their own stream;
    None: no changes)."""
    standalone_fee: F64 | None = None
    """Expense ratio a year of each class's standalone vehicle, (N_ALT,) (None: unknown; the
    fees factor is then taken as met)."""
    alt_tdf_fee: F64 | None = None
    """Total expense ratio a year of each TDF provider's alternative TDF (n_providers,)."""
    alt_tdf_sleeve: F64 | None = None
    """Each TDF provider's alternative TDF's sleeve by class, (n_providers, N_ALT) (None:
    unknown; the default fund's factors are then taken as met)."""
    peer_suit_share: F64 | None = None
    """Share of each plan's industry peers sued in the past `litigation.peer_window_months`,
    (n,) (`agents.litigation.recent_suit_share`; None: no peer sued)."""
    class_suits: F64 | None = None
    """Expected filings against plans of each size class over the same window,
    (len(SIZE_CLASSES),) (None: none)."""


def adoption_utility(
    s: int | npt.NDArray[np.intp], ctx: ReviewContext, plans: PlanTable, behaviour: SponsorBehaviour,
    harbor: F64 | None = None,
) -> F64:
    """Logit utility of offering each alternative class at plan(s) `s`.

    ODD §7, sponsor adoption (ODD+D: objectives, prediction, interaction). The pull of the
    status quo (`adoption_intercept`) against perceived net-of-fee benefit, participant
    demand, what peers, the consultant and the recordkeeper's other clients did, the regulator's stance and safe harbor,
    the sponsor's fear of litigation (its aversion x the climate, plus the suits it has in
    view: national suits against adopters per 10, the share of its industry peers sued and
    the filings against plans of its size class per 10, ODD §7.8; both damped by the safe
    harbor's shield) and, for small plans, weak capacity to evaluate
    (DOL 2021 Supplemental Statement). Perceived benefit blends reported-value and
    true-value judgements by governance quality. Weights are in docs/calibration.md, 'Sponsors'.
    `harbor`, shape (len(s), N_ALT), is the safe-harbor strength covering each plan's
    product of each class (`harbor_cover`: the six factors; 0 for a brokerage window); None:
    the regime's strength for every product. Computed by `adoption_utility_rows`, one
    compiled pass over the plans, which the sponsors' review calls.

    Returns
    -------
    numpy.ndarray, shape (N_ALT,) for one plan or (len(s), N_ALT) for an array of plans.
    """
    rows = np.atleast_1d(np.asarray(s, dtype=np.intp))
    out = adoption_utility_rows(rows, ctx, plans, behaviour, harbor)
    return out[0] if np.ndim(s) == 0 else out


def _utility_rows(rows, aversion, governance, peer, consultant, consultant_bias, recordkeeper, size_class, demand,
                  benefit_true, benefit_reported, stance, harbor, peer_sued, class_suits, weights,
                  out):  # pragma: no cover - compiled
    # The rule of `adoption_utility`, plan by plan and class by class (the shield is
    # 1 - safe_harbor_shield x the harbor covering the plan's product of the class).
    (intercept, w_peers, w_consultant, w_recordkeeper, w_litigation, w_net_benefit, w_demand, w_stance,
     climate, shield_weight, w_harbor, suits_scaled, penalty, w_peer_suits, w_class_suits) = weights
    for j in prange(rows.shape[0]):
        i = rows[j]
        per_plan = (
            intercept
            + w_peers * peer[i]
            + w_consultant * (consultant[i] + consultant_bias[i])
            + w_recordkeeper * recordkeeper[i]
        )
        exposure = aversion[i] * climate
        seen = suits_scaled + w_peer_suits * peer_sued[i] + w_class_suits * class_suits[size_class[i]] / 10.0
        small = penalty * (1.0 if size_class[i] == 0 else 0.0)
        g = governance[i]
        for c in range(stance.shape[0]):
            shield = 1.0 - shield_weight * harbor[j, c]
            per_product = (
                per_plan
                + w_harbor * harbor[j, c]
                - w_litigation * (exposure * shield)
                - seen * shield
                - small
            )
            # Opaque valuations: weak governance takes smoothed NAVs at face value, strong
            # governance de-smooths them (PIMCO 2022: true PE volatility ~3x reported).
            perceived = g * benefit_true[c] + (1.0 - g) * benefit_reported[c]
            out[j, c] = per_product + w_net_benefit * perceived + w_demand * demand[i, c] + w_stance * stance[c]


_utility_kernel = njit(cache=True, nogil=True, parallel=True)(_utility_rows)


def adoption_utility_rows(rows: npt.NDArray[np.intp], ctx: ReviewContext, plans: PlanTable,
                          behaviour: SponsorBehaviour, harbor: F64 | None = None) -> F64:
    """`adoption_utility` of the plans `rows`, (len(rows), N_ALT), in one compiled pass over
    them."""
    p, b = ctx.policy, behaviour
    h = np.full((rows.shape[0], N_ALT), float(p.safe_harbor)) if harbor is None else np.asarray(harbor, dtype=float)
    # The scalar terms as `adoption_utility` computes them (Python floats).
    weights = (
        b.adoption_intercept, b.weight_peers, b.weight_consultant, b.weight_recordkeeper, b.weight_litigation,
        b.weight_net_benefit, b.weight_demand, b.weight_stance, p.litigation_climate, b.safe_harbor_shield,
        b.weight_safe_harbor, b.weight_recent_suits * ctx.recent_suits / 10.0, b.small_plan_capacity_penalty,
        b.weight_peer_suits, b.weight_class_suits,
    )
    peer_sued = np.zeros(plans.n) if ctx.peer_suit_share is None else ctx.peer_suit_share
    class_suits = np.zeros(len(SIZE_CLASSES)) if ctx.class_suits is None else ctx.class_suits
    stance = np.array([p.stance[a] for a in ALTERNATIVES], dtype=np.float64)
    out = np.empty((rows.shape[0], stance.shape[0]))
    _utility_kernel(
        np.asarray(rows, dtype=np.intp), plans.litigation_aversion, plans.governance, ctx.peer_share,
        ctx.consultant_share, plans.consultant_bias, ctx.recordkeeper_share, plans.size_class, ctx.demand,
        np.asarray(ctx.benefit_true, dtype=np.float64), np.asarray(ctx.benefit_reported, dtype=np.float64), stance,
        np.ascontiguousarray(h), np.asarray(peer_sued, dtype=np.float64), np.asarray(class_suits, dtype=np.float64),
        tuple(float(w) for w in weights), out,
    )
    return out


def standalone_meets_factors(ctx: ReviewContext) -> B:
    """Per alternative class, whether its standalone vehicle meets the criteria of the safe
    harbor's five product factors (ODD §7.8, safe harbor; levers `safe_harbor.*`):
    performance (the documented, de-smoothed expected net-of-fee, risk-adjusted excess
    return `benefit_true` at least the minimum), fees (expense ratio at most the maximum),
    liquidity and valuation (a semi-liquid vehicle of an illiquid class is wholly illiquid
    and appraised), benchmark (the class has a meaningful one). Shape (N_ALT,)."""
    f = ctx.policy.harbor_factors
    if f is None:
        return np.ones(N_ALT, dtype=bool)
    fee = np.zeros(N_ALT) if ctx.standalone_fee is None else np.asarray(ctx.standalone_fee)
    illiquid = IS_ILLIQUID.astype(float)
    return ((np.asarray(ctx.benefit_true) >= f.min_excess_annual) & (fee <= f.max_fee_annual)
            & (illiquid <= f.max_illiquid_share) & (illiquid <= f.max_appraised_share)
            & np.asarray(f.benchmarked))


def alt_tdf_meets_factors(ctx: ReviewContext) -> B:
    """Per TDF provider, whether its alternative TDF meets the five product factors: the
    sleeve-weighted expected excess return of its alternatives, its total expense ratio,
    the illiquid (and appraised) share of the fund, and a benchmark for every class in
    its sleeve. Shape (n_providers,); True where the product is unknown."""
    f = ctx.policy.harbor_factors
    n = ctx.alt_tdf_product.shape[0]
    if f is None or ctx.alt_tdf_sleeve is None:
        return np.ones(n, dtype=bool)
    sleeve = np.asarray(ctx.alt_tdf_sleeve)
    total = sleeve.sum(axis=1)
    excess = np.divide(sleeve @ np.asarray(ctx.benefit_true), total, out=np.zeros(n), where=total > 0)
    illiquid = sleeve @ IS_ILLIQUID.astype(float)
    fee = np.zeros(n) if ctx.alt_tdf_fee is None else np.asarray(ctx.alt_tdf_fee)
    benchmarked = ~((sleeve > 0) & ~np.asarray(f.benchmarked)[None, :]).any(axis=1)
    return ((excess >= f.min_excess_annual) & (fee <= f.max_fee_annual) & (illiquid <= f.max_illiquid_share)
            & (illiquid <= f.max_appraised_share) & benchmarked)


def harbor_cover(rows: npt.NDArray[np.intp], ctx: ReviewContext, plans: PlanTable) -> tuple[F64, F64]:
    """Safe-harbor strength covering the products the plans `rows` would offer as designated
    investment alternatives (ODD §7.8, safe harbor): (standalone vehicles, (k, N_ALT);
    the default fund, (k,)).

    The proposed rule (RIN 1210-AC38) presumes prudent a selection made by a process that
    considers six factors; here a product is covered, with the regime's
    `safe_harbor.strength`, where it meets the five product criteria
    (`standalone_meets_factors`, `alt_tdf_meets_factors`) and the plan meets the complexity
    factor (it retains an investment consultant, or its governance reaches
    `safe_harbor.complexity.min_governance`). The default fund judged is the plan's
    provider's alternative TDF, or, if that provider has none, the one the mandate would
    move to. A brokerage window is not a designated investment alternative: never covered
    (the caller passes 0 for it).
    """
    p = ctx.policy
    strength = float(p.safe_harbor)
    k = rows.size
    if strength == 0.0 or p.harbor_factors is None:
        return np.full((k, N_ALT), strength), np.full(k, strength)
    able = (plans.consultant[rows] >= 0) | (plans.governance[rows] >= p.harbor_factors.min_governance)
    standalone = strength * (able[:, None] & standalone_meets_factors(ctx)[None, :])
    tdf_ok = alt_tdf_meets_factors(ctx)
    mgr = plans.tdf_manager[rows]
    if ctx.alt_tdf_available.any():
        first = int(np.flatnonzero(ctx.alt_tdf_available)[0])
        mgr = np.where(ctx.alt_tdf_available[mgr], mgr, first)
    default = strength * (able & tdf_ok[mgr])
    return standalone.astype(float), default.astype(float)


def logistic(x: F64 | float) -> F64:
    """1 / (1 + exp(-x))."""
    return 1.0 / (1.0 + np.exp(-np.asarray(x, dtype=float)))


@dataclass(frozen=True)
class DropTriggers:
    """What makes a reviewing plan reconsider an offered alternative (ODD §7.8), one flag
    per reviewed plan (or per plan and class)."""

    sued: B
    """Sued in the past 12 months."""
    underperforming: B
    """The alternative trailed its benchmark over the review window."""
    provider_changed: B
    """The plan changed recordkeeper or consultant at this review."""


def drop_probability(triggers: DropTriggers, behaviour: SponsorBehaviour) -> F64:
    """Probability that a plan drops an offered alternative at its review (ODD §7.8).

    Without a trigger the plan keeps it: a fund leaves a 401(k) menu after a monitoring
    finding, not by chance (Pool, Sialm & Stefanescu 2016: deletions respond to prior
    performance). Each trigger is an independent reason to drop: a suit in the past year
    (`drop_prob_after_suit`), underperformance over the review window
    (`drop_prob_underperformance`), and a new recordkeeper or consultant re-underwriting
    the menu (`drop_prob_provider_change`). The plan keeps it if no reason fires:
    1 - prod(1 - p_i).
    """
    b = behaviour
    keep = (np.where(triggers.sued, 1.0 - b.drop_prob_after_suit, 1.0)
            * np.where(triggers.underperforming, 1.0 - b.drop_prob_underperformance, 1.0)
            * np.where(triggers.provider_changed, 1.0 - b.drop_prob_provider_change, 1.0))
    return 1.0 - keep


def keeps(uniform: F64, triggers: DropTriggers, behaviour: SponsorBehaviour) -> B:
    """Whether plans keep an offered alternative: dropped with `drop_probability`."""
    return uniform >= drop_probability(triggers, behaviour)


def underperforming_classes(ctx: ReviewContext, behaviour: SponsorBehaviour) -> B:
    """Per alternative class: its trailing return fell short of its benchmark by more than
    `underperformance_threshold_annual` a year (ODD §7.8); none while the record is short."""
    if ctx.trailing_excess is None:
        return np.zeros(N_ALT, dtype=bool)
    return np.asarray(ctx.trailing_excess) < -behaviour.underperformance_threshold_annual


def change_providers(rows: npt.NDArray[np.intp], ctx: ReviewContext, plans: PlanTable,
                     behaviour: SponsorBehaviour) -> None:
    """Changes of recordkeeper and consultant at the review of plans `rows` (ODD §7.8).

    A plan changes recordkeeper with probability `recordkeeper_change_annual`, to another
    drawn by market share (`recordkeeper_shares`), and, if it retains a consultant, changes
    consultant with probability `consultant_change_annual`, to another drawn uniformly (and
    takes its lean). Uniform columns: 0 and 1 whether, 2 and 3 which. The month is recorded
    in `last_provider_change_month`: the new provider re-underwrites the menu.
    """
    if ctx.provider_uniform is None or rows.size == 0:
        return
    b = behaviour
    u = np.take(ctx.provider_uniform, rows, axis=0)
    n_rk = b.n_recordkeepers
    rk_change = (u[:, 0] < b.recordkeeper_change_annual) & (n_rk > 1)
    if rk_change.any():
        cur = plans.recordkeeper[rows[rk_change]]
        shares = np.tile(recordkeeper_shares(n_rk), (cur.size, 1))
        shares[np.arange(cur.size), cur] = 0.0
        cdf = np.cumsum(shares, axis=1)
        pick = (u[rk_change, 2] * cdf[:, -1])[:, None]
        new = np.minimum((cdf <= pick).sum(axis=1), n_rk - 1)
        plans.recordkeeper[rows[rk_change]] = new.astype(np.int32)
    n_c = b.n_consultants
    c_change = (plans.consultant[rows] >= 0) & (u[:, 1] < b.consultant_change_annual) & (n_c > 1)
    if c_change.any():
        cur = plans.consultant[rows[c_change]]
        new = ((cur + 1 + np.floor(u[c_change, 3] * (n_c - 1)).astype(np.int32)) % n_c).astype(np.int32)
        plans.consultant[rows[c_change]] = new
        if plans.consultant_lean is not None:
            plans.consultant_bias[rows[c_change]] = plans.consultant_lean[new]
    plans.last_provider_change_month[rows[rk_change | c_change]] = ctx.month


def review_plans(rows: npt.NDArray[np.intp], ctx: ReviewContext, plans: PlanTable, behaviour: SponsorBehaviour) -> None:
    """Annual plan review of the plans `rows`: the default fund, one standalone option, the window.

    ODD §7, sponsor review (ODD+D: decision). Options that the regime no longer allows
    (channel closed, plan below the size floor, product closed under a fee cap) are removed
    first. Decisions are reversible (ODD §7.8): the plan may first change recordkeeper or
    consultant (`change_providers`); an offered alternative is then dropped only on a
    trigger (`keeps`, `drop_probability`), and a new one is added with probability
    logistic(utility) if the recordkeeper's platform carries it (`PolicyState.
    platform_carries`) and the plan is not one that never adopts (`PlanTable.never_adopts`).
    The default fund takes an alternative TDF when its provider has one open, else the
    mandate moves to the first provider that has (the largest, by market share). At most
    one standalone change per review; windows turn over slowly and are added faster where
    the regime lets alternatives into them (`_review_window`); a plan without
    auto-enrollment adopts it with `auto_enrollment_probability`. The safe harbor enters
    each decision only for the products it covers (`harbor_cover`: the six factors; never
    a brokerage window).
    Plans' decisions in one month are independent, so reviewing them together is the same
    as one by one.
    """
    if rows.size == 0:
        return
    p = ctx.policy
    change_providers(rows, ctx, plans, behaviour)
    harbor_standalone, harbor_default = harbor_cover(rows, ctx, plans)
    util = adoption_utility_rows(rows, ctx, plans, behaviour, harbor_standalone)
    util_df, util_window = util, util
    if p.safe_harbor != 0.0:
        util_df = adoption_utility_rows(rows, ctx, plans, behaviour, np.repeat(harbor_default[:, None], N_ALT, axis=1))
        util_window = adoption_utility_rows(rows, ctx, plans, behaviour, np.zeros((rows.size, N_ALT)))
    u = np.take(ctx.uniform, rows, axis=0)
    sued = ctx.month - plans.last_suit_month[rows] < 12
    changed = plans.last_provider_change_month[rows] == ctx.month
    size_ok = plans.participants[rows] >= p.min_plan_participants
    may_add = size_ok & ~plans.never_adopts[rows]
    rk = plans.recordkeeper[rows]
    _review_default_fund(rows, ctx, plans, behaviour, util_df, u[:, 0], (sued, changed), size_ok, may_add,
                         p.platform_carries(rk, "default_fund"))
    _review_standalone(rows, ctx, plans, behaviour, util, u[:, 1], (sued, changed), size_ok, may_add,
                       p.platform_carries(rk, "standalone"))
    _review_window(rows, ctx, plans, behaviour, util_window, u[:, 2], may_add)
    adopt_ae = ~plans.auto_enroll[rows] & (u[:, 3] < auto_enrollment_probability(rows, ctx, plans, behaviour))
    plans.auto_enroll[rows[adopt_ae]] = True
    _review_default_kind(rows, ctx, plans, behaviour)


def _review_default_kind(rows: npt.NDArray[np.intp], ctx: ReviewContext, plans: PlanTable,
                         behaviour: SponsorBehaviour) -> None:
    """A plan whose default fund is not of the kind the regime sanctions (`qdia.designation`)
    moves to it with probability `default_kind_switch_prob` at its review (ODD §7.8): after
    the 2007 QDIA regulation, plans replaced money-market and stable-value defaults with
    target-date funds one by one, not at once. Where the regime sanctions none
    (`NO_SANCTIONED_KIND`), plans keep theirs."""
    if ctx.kind_uniform is None or ctx.policy.qdia == NO_SANCTIONED_KIND:
        return
    sanctioned = DEFAULT_KINDS.index(ctx.policy.qdia)
    switch = (plans.default_kind[rows] != sanctioned) & (ctx.kind_uniform[rows] < behaviour.default_kind_switch_prob)
    plans.default_kind[rows[switch]] = sanctioned


def auto_enrollment_probability(rows: npt.NDArray[np.intp], ctx: ReviewContext, plans: PlanTable,
                                behaviour: SponsorBehaviour) -> F64:
    """Probability that a reviewing plan without automatic enrollment adopts it this year.

    ODD §7.8. logistic(ae_adoption_intercept + weight_peers x the share of the plan's
    network peers auto-enrolling + ae_weight_size x its size class), plus the regime's push
    (lever `auto_enrollment.adoption_boost`), at most 1: diffusion through peers, as
    automatic enrollment spread after the Pension Protection Act of 2006 (fitted to Vanguard
    How America Saves, docs/validation.md §8).
    """
    peers = ctx.peer_auto_enroll_share[rows] if ctx.peer_auto_enroll_share is not None else 0.0
    u = (behaviour.ae_adoption_intercept + behaviour.weight_peers * peers
         + behaviour.ae_weight_size * plans.size_class[rows])
    return np.minimum(1.0, logistic(u) + ctx.policy.auto_enrollment_boost)


def _allowed_classes(ctx: ReviewContext, channel: str) -> npt.NDArray[np.bool_]:
    """Per alternative class: the regime lets it into `channel`, shape (N_ALT,)."""
    return np.array([ctx.policy.allowed[(channel, a)] for a in ALTERNATIVES])


def any_column(flags: npt.NDArray[np.bool_]) -> npt.NDArray[np.bool_]:
    """``flags.any(axis=1)`` of an (n, k) flag array, k >= 1, by OR-ing its columns (numpy
    reduces rows of a few flags ~8x slower)."""
    out = flags[:, 0].copy()
    for c in range(1, flags.shape[1]):
        out |= flags[:, c]
    return out


def _best_allowed(util: F64, size_ok: npt.NDArray[np.bool_], classes: npt.NDArray[np.bool_]) -> F64:
    """Each plan's largest utility among the `classes` it may offer (-inf where none): the
    values of ``np.max(np.where(allowed, util, -np.inf), axis=1)`` as a running maximum over
    the allowed columns (numpy reduces short rows ~8x slower). A tie of 0.0 and -0.0 may
    give the other zero, which `logistic` does not tell apart."""
    best = np.full(util.shape[0], -np.inf)
    for c in np.flatnonzero(classes):
        best = np.maximum(best, util[:, c])
    best[~size_ok] = -np.inf
    return best


def _review_default_fund(rows, ctx, plans, behaviour, util, u, flags, size_ok, may_add, carried) -> None:  # noqa: ANN001
    """The default fund (ODD §7.8): the alternative TDF is judged by the mean utility over the
    classes allowed in the default fund and underperforms when those classes' mean trailing
    excess return does (`underperforming_classes`). A plan adds it only if its
    recordkeeper's platform carries an allowed class in the default fund (`carried`, (k,
    N_ALT)); after a change of recordkeeper to a platform that carries none, it goes."""
    sued, changed = flags
    mgr = plans.tdf_manager[rows]
    plain = ctx.plain_tdf_product[mgr]
    has_alt = plans.default_product[rows] != plain
    classes = _allowed_classes(ctx, "default_fund")
    allowed = size_ok[:, None] & classes[None, :]
    # Each row of `allowed` is `classes` or nothing: its any and count from the classes'.
    any_allowed = size_ok & classes.any()
    n_allowed = np.where(size_ok, max(int(classes.sum()), 1), 1)
    u_df = np.where(any_allowed, np.where(allowed, util, 0.0).sum(axis=1) / n_allowed, -np.inf)
    available = ctx.alt_tdf_available[mgr]
    lagging = _mean_underperforms(ctx, behaviour, classes)
    triggers = DropTriggers(sued, np.full(rows.size, lagging), changed)
    on_platform = any_column(allowed & carried)
    drop = has_alt & (~available | ~any_allowed | (changed & ~on_platform) | ~keeps(u, triggers, behaviour))
    plans.default_product[rows[drop]] = plain[drop]
    add = ~has_alt & any_allowed & may_add & on_platform & (u < logistic(u_df))
    own = add & available
    plans.default_product[rows[own]] = ctx.alt_tdf_product[mgr[own]]
    if ctx.alt_tdf_available.any():
        new = int(np.flatnonzero(ctx.alt_tdf_available)[0])
        switch = add & ~available
        plans.tdf_manager[rows[switch]] = new
        plans.default_product[rows[switch]] = ctx.alt_tdf_product[new]


def _mean_underperforms(ctx: ReviewContext, behaviour: SponsorBehaviour, classes: B) -> bool:
    """Whether the mean trailing excess return of `classes` falls short of the threshold."""
    if ctx.trailing_excess is None or not classes.any():
        return False
    return bool(np.mean(np.asarray(ctx.trailing_excess)[classes]) < -behaviour.underperformance_threshold_annual)


def _review_window(rows, ctx, plans, behaviour, util, u, may_add) -> None:  # noqa: ANN001
    """Brokerage windows: a base turnover of `window_turnover_annual` each way (windows serve
    public securities too; PSCA: stable at ~25% of plans), plus, for plans without one that
    may add alternatives (`may_add`: size floor, not a never-adopter), the pull of the
    alternatives the regime lets into windows (logistic of the best such class's utility;
    in practice crypto, the window's main alternative)."""
    best = _best_allowed(util, may_add, _allowed_classes(ctx, "window"))
    has = plans.offers_window[rows]
    base = behaviour.window_turnover_annual
    add_prob = 1.0 - (1.0 - base) * (1.0 - logistic(best))
    add = ~has & (u < add_prob)
    drop = has & (u < base)
    plans.offers_window[rows[add]] = True
    plans.offers_window[rows[drop]] = False


def _review_standalone(rows, ctx, plans, behaviour, util, u, flags, size_ok, may_add, carried) -> None:  # noqa: ANN001
    """Standalone options (ODD §7.8): the offered one with the lowest utility faces the drop
    triggers (its own class's performance); a plan with none may add its best allowed one
    that its recordkeeper's platform carries (`carried`, (k, N_ALT)). After a change of
    recordkeeper, options the new platform does not carry go."""
    sued, changed = flags
    classes = _allowed_classes(ctx, "standalone") & ctx.standalone_open
    allowed = size_ok[:, None] & classes[None, :]
    offered = np.take(plans.standalone, rows, axis=0) & allowed & (carried | ~changed[:, None])
    allowed = allowed & carried
    has_offer = any_column(offered)
    k = np.arange(rows.size)
    worst = np.argmin(np.where(offered, util, np.inf), axis=1)
    triggers = DropTriggers(sued, underperforming_classes(ctx, behaviour)[worst], changed)
    drop = has_offer & ~keeps(u, triggers, behaviour)
    offered[k[drop], worst[drop]] = False
    best = np.argmax(np.where(allowed, util, -np.inf), axis=1)
    add = ~has_offer & may_add & any_column(allowed) & (u < logistic(util[k, best]))
    offered[k[add], best[add]] = True
    plans.standalone[rows] = offered


class Sponsor(mesa.Agent):
    """A plan sponsor (employer fiduciary), a view on row `row` of the model's PlanTable."""

    def __init__(self, model: mesa.Model, row: int) -> None:
        super().__init__(model)
        self.row = row

    @property
    def plans(self) -> PlanTable:
        """The model's plan table."""
        return self.model.plans  # type: ignore[attr-defined]

    def review(self, ctx: ReviewContext, behaviour: SponsorBehaviour) -> None:
        """Annual review of this plan (`review_plans` applied to its own row)."""
        review_plans(np.array([self.row]), ctx, self.plans, behaviour)
