"""Compiled passes over the plans: what the sponsors' review, litigation and the sponsor
record read of every plan, one pass each.

ODD §7 (sponsor review, litigation) and §6 (observation). At the national plan count
(604,400 plans) whole-array numpy took much of a month, mostly in reductions over short
rows (``standalone.any(axis=1)`` over (n, 5) flags, a max over (n, 5) losses, the (n, 8)
sleeve's row totals), the same flags derived three times a month, and group shares, peer
sums and demand over every plan where only the ~1/12 reviewing plans read them; these
passes take ~0.06 s. Each plan's rule is stated once, for one plan (`_offers` here,
`litigation.alternative_loss` and `hazard_annual`), and called by the passes. Sums keep
numpy's orders (pairwise row sums through `compiled.row_total`, `numpy.bincount`'s and
scipy's sparse product's sequential sums), so that the tests can state the rules on whole
arrays and compare bits (tests/agents/test_plan_kernels.py); the products with BLAS's own
order (``sleeve @ loss``, the weighted shares' ``w @ flags``) and ``**`` stay in numpy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from ..base.assets import ALT_CLASS_INDEX
from ..base.compiled import njit, numpy_maximum, prange, row_helper
from .litigation import alternative_loss, hazard_annual
from .sponsors import (
    N_ALT,
    PlanTable,
)

if TYPE_CHECKING:
    from ..model.config import SponsorBehaviour
    from ..model.policy import PolicyState

F64 = npt.NDArray[np.float64]
B = npt.NDArray[np.bool_]
I32 = npt.NDArray[np.int32]

__all__ = ["litigation_exposure", "offers_any_alternative", "per_head", "record_flags", "review_shares"]


def _offers(i, default_product, tdf_manager, plain, standalone):  # pragma: no cover - compiled
    """Whether plan i offers an alternative, through its default fund (a product other than
    its provider's plain TDF) or a standalone option (flags OR-ed without branches, which
    plans' mixed offers mispredict)."""
    found = default_product[i] != plain[tdf_manager[i]]
    for k in range(standalone.shape[1]):
        found |= standalone[i, k]
    return found


def _group_share(num, den, g):  # pragma: no cover - compiled
    """The plan-weighted share offering an alternative among the clients of group g (a
    consultant or recordkeeper) from the groups' sums; 0 for a plan in no group (g = -1)
    or a group of no weight."""
    if g < 0:
        return 0.0
    return num[g] / den[g] if den[g] > 0 else 0.0


def _review_shares_pass(default_product, tdf_manager, plain, standalone, weight, consultant, recordkeeper,
                        n_consultants, n_recordkeepers, indptr, indices, data, due,
                        peer, cons, keepers):  # pragma: no cover - compiled
    n = weight.shape[0]
    offering = np.empty(n)
    for i in prange(n):
        offering[i] = 1.0 if _offers(i, default_product, tdf_manager, plain, standalone) else 0.0
    # The groups' sums go through the plans in index order, one addition a plan, as
    # numpy.bincount adds (offering x weight: the same product).
    num_c, den_c = np.zeros(n_consultants), np.zeros(n_consultants)
    num_r, den_r = np.zeros(n_recordkeepers), np.zeros(n_recordkeepers)
    for i in range(n):
        o, w = offering[i], weight[i]
        g = consultant[i]
        if g >= 0:
            num_c[g] += o * w
            den_c[g] += w
        g = recordkeeper[i]
        if g >= 0:
            num_r[g] += o * w
            den_r[g] += w
    # A row of the peer matrix in its stored order from 0.0, as scipy's csr_matvec adds.
    for j in prange(due.shape[0]):
        i = due[j]
        s = 0.0
        for jj in range(indptr[i], indptr[i + 1]):
            s += data[jj] * offering[indices[jj]]
        peer[i] = s
        cons[i] = _group_share(num_c, den_c, consultant[i])
        keepers[i] = _group_share(num_r, den_r, recordkeeper[i])


def _litigation_pass(default_product, tdf_manager, plain, standalone, class_loss, sleeve, sleeve_loss_sum,
                     size_class, base_by_class, climate, fee_elasticity, loss_elasticity, alt_scale, plan_fee,
                     offers, annual, fee_only):  # pragma: no cover - compiled
    for i in prange(default_product.shape[0]):
        o = _offers(i, default_product, tdf_manager, plain, standalone)
        offers[i] = o
        loss = alternative_loss(standalone[i], class_loss, sleeve[i], sleeve_loss_sum[i])
        base = base_by_class[size_class[i]]
        annual[i] = hazard_annual(base, climate, plan_fee[i], loss, o, fee_elasticity, loss_elasticity, alt_scale)
        fee_only[i] = hazard_annual(base, climate, plan_fee[i], 0.0, False, fee_elasticity, loss_elasticity, alt_scale)


def _offers_pass(default_product, tdf_manager, plain, standalone, out):  # pragma: no cover - compiled
    for i in prange(default_product.shape[0]):
        out[i] = _offers(i, default_product, tdf_manager, plain, standalone)


def _record_pass(default_product, tdf_manager, plain, standalone, class_in_sleeve, out):  # pragma: no cover - compiled
    for i in prange(default_product.shape[0]):
        p = default_product[i]
        alt_tdf = p != plain[tdf_manager[i]]
        any_standalone = False
        for k in range(standalone.shape[1]):
            s = standalone[i, k]
            any_standalone |= s
            out[3 + k, i] = s | class_in_sleeve[p, k]
        out[0, i] = alt_tdf | any_standalone
        out[1, i] = alt_tdf
        out[2, i] = any_standalone


def _per_head_rows(totals, heads, rows, out):  # pragma: no cover - compiled
    for j in prange(rows.shape[0]):
        i = rows[j]
        h = numpy_maximum(heads[i], 1e-12)
        for k in range(totals.shape[1]):
            out[i, k] = totals[i, k] / h


def _per_head_all(totals, heads, out):  # pragma: no cover - compiled
    for i in prange(totals.shape[0]):
        h = numpy_maximum(heads[i], 1e-12)
        for k in range(totals.shape[1]):
            out[i, k] = totals[i, k] / h


_offers = row_helper(_offers)
_group_share = row_helper(_group_share)
_review_shares_kernel = njit(cache=True, nogil=True, parallel=True)(_review_shares_pass)
_litigation_kernel = njit(cache=True, nogil=True, parallel=True)(_litigation_pass)
_record_kernel = njit(cache=True, nogil=True, parallel=True)(_record_pass)
_offers_kernel = njit(cache=True, nogil=True, parallel=True)(_offers_pass)
_per_head_rows_kernel = njit(cache=True, nogil=True, parallel=True)(_per_head_rows)
_per_head_all_kernel = njit(cache=True, nogil=True, parallel=True)(_per_head_all)


def _offer_columns(plans: PlanTable, plain_tdf_product: I32) -> tuple[I32, I32, I32, B]:
    """What `_offers` reads, in its order."""
    return (np.ascontiguousarray(plans.default_product), np.ascontiguousarray(plans.tdf_manager),
            np.ascontiguousarray(plain_tdf_product), np.ascontiguousarray(plans.standalone))


def offers_any_alternative(plans: PlanTable, plain_tdf_product: I32) -> B:
    """Plans offering an alternative through the default fund or a standalone option (ODD
    §6, §7.8): `_offers` of every plan."""
    out = np.empty(plans.n, dtype=np.bool_)
    _offers_kernel(*_offer_columns(plans, plain_tdf_product), out)
    return out


def review_shares(plans: PlanTable, plain_tdf_product: I32, peer_matrix: sp.csr_array,
                  due: npt.NDArray[np.intp]) -> tuple[F64, F64, F64]:
    """Share of each plan's peers, of its consultant's clients and of its recordkeeper's client
    plans offering any alternative (`sponsors.ReviewContext`), at the plans `due`.

    ODD §7, sponsor review (interaction). Only reviewing plans read them, so the compiled pass
    computes them at `due` (0 elsewhere) from one pass over the plans: the peers' weighted
    sum ``peer_matrix @ offering`` (`offers_any_alternative`; for a CSR `peer_matrix`, as
    `sponsors.peer_network` builds; another sparse format is read as CSR) and, within each
    consultant's and recordkeeper's clients (id -1: none), the plan-weighted share
    offering.
    """
    peer_matrix = peer_matrix.tocsr()
    n = plans.n
    peer, cons, keepers = np.zeros(n), np.zeros(n), np.zeros(n)
    groups = [max(int(g.max()) + 1, 0) if n else 0 for g in (plans.consultant, plans.recordkeeper)]
    _review_shares_kernel(
        *_offer_columns(plans, plain_tdf_product), np.ascontiguousarray(plans.weight, dtype=np.float64),
        np.ascontiguousarray(plans.consultant), np.ascontiguousarray(plans.recordkeeper), *groups,
        peer_matrix.indptr, peer_matrix.indices, np.ascontiguousarray(peer_matrix.data, dtype=np.float64),
        np.asarray(due, dtype=np.intp), peer, cons, keepers,
    )
    return peer, cons, keepers


def litigation_exposure(plans: PlanTable, plain_tdf_product: I32, sleeve: F64, trailing_return: F64,
                        plan_fee_annual: F64, policy: PolicyState, behaviour: SponsorBehaviour) -> tuple[B, F64, F64]:
    """Which plans offer an alternative, each plan's annual lawsuit hazard, and the hazard it
    would have without its alternatives (its fees' part alone).

    ODD §7.10, litigation. `offers_any_alternative`, and `litigation.hazard_annual`
    of each plan's `litigation.alternative_loss` (`sleeve`: each plan's default-product
    sleeve, (n, 8); `trailing_return`: each asset class's trailing-year return), in one pass
    over the plans (the sleeve's loss-weighted sum ``sleeve @ loss`` computed by numpy).
    """
    b = behaviour
    loss = np.maximum(0.0, -trailing_return)
    sleeve = np.ascontiguousarray(sleeve, dtype=np.float64)
    offers, annual, fee_only = np.empty(plans.n, dtype=np.bool_), np.empty(plans.n), np.empty(plans.n)
    _litigation_kernel(
        *_offer_columns(plans, plain_tdf_product), np.ascontiguousarray(loss[ALT_CLASS_INDEX]), sleeve,
        np.ascontiguousarray(sleeve @ loss), np.ascontiguousarray(plans.size_class),
        np.asarray(b.lawsuit_hazard_annual_by_class, dtype=np.float64), float(policy.litigation_climate),
        float(b.lawsuit_fee_elasticity), float(b.lawsuit_loss_elasticity),
        float(1.0 - b.safe_harbor_shield * policy.safe_harbor), np.ascontiguousarray(plan_fee_annual, dtype=np.float64),
        offers, annual, fee_only,
    )
    return offers, annual, fee_only


def record_flags(plans: PlanTable, plain_tdf_product: I32, sleeve_table: F64) -> B:
    """What each plan offers, for the sponsor record (ODD §6), shape (3 + N_ALT, n): rows
    any alternative (`offers_any_alternative`), an alternative-bearing default fund, any
    standalone option, then each alternative class through a standalone option or its
    default fund's sleeve; in one pass over the plans.

    `sleeve_table` holds each product's sleeve by asset class (`ProductBook.sleeve_matrix`),
    a plan's sleeve being its default product's row (as `model.plan_views` keeps them): a
    plan's class flags are its product's, looked up rather than read from the (n, 8)
    sleeves.
    """
    out = np.empty((3 + N_ALT, plans.n), dtype=np.bool_)
    class_in_sleeve = np.ascontiguousarray(sleeve_table[:, ALT_CLASS_INDEX] > 0)
    _record_kernel(*_offer_columns(plans, plain_tdf_product), class_in_sleeve, out)
    return out


def per_head(totals: F64, heads: F64, rows: npt.NDArray[np.intp] | None = None, out: F64 | None = None) -> F64:
    """Each plan's national total per head of its savers: `totals` (n_plans, k) over the plans'
    weighted saver counts `heads` (n_plans,), a plan without savers counted as 1e-12 heads.
    What savers' interest (coworkers' holdings, ODD §7) and sponsors' view of participant
    demand (ODD §7, sponsor review) are.

    At the plans `rows` (distinct; all when None), written into `out` (a new array
    when None; `totals` itself to divide in place), its other rows untouched: the same bits,
    in one pass on numba's threads."""
    if out is None:
        out = np.empty_like(totals, dtype=np.float64)
    if rows is None:
        _per_head_all_kernel(totals, heads, out)
    else:
        _per_head_rows_kernel(totals, heads, np.asarray(rows, dtype=np.intp), out)
    return out
