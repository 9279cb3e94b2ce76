"""The default-fund mix of each saver, computed row by row from its plan's sleeve.

ODD §7.5 (default fund). The rule is `mix_row_given` (one fund's mix from its public
weights and its sleeve: `default_fund_composition` states it); `base.strata.glide_path`
gives a target-date fund's public weights. The passes here compute it row by row from the
plan-level sleeve matrix, without a per-saver sleeve matrix and its temporaries; the
balance pass (`agents.kernels`) uses the row helpers to compute each saver's mix itself
(`DefaultFundMix`), and the pooled funds (`agents.pooled_funds`) and managed accounts
(`agents.managed_accounts`) call `carve_sleeve`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ..base.compiled import interp_known, interp_slopes, njit, prange, row_helper, row_total
from ..base.strata import GLIDE_CASH, GLIDE_EQUITY
from . import savers as sv

F64 = npt.NDArray[np.float64]


@dataclass(frozen=True)
class DefaultFundMix:
    """Inputs from which the balance pass computes each saver's default-fund mix itself,
    row by row, instead of reading an (n, N_DF) array (ODD §7.5; 64 bytes a saver of
    memory and a pass over it saved): a target-date fund's glide path by age
    (`fixed` None) or each plan's kind of default fund (`fixed`, shape (n_plans, 3): the
    equity, bonds and cash of a money-market or balanced default, NaN for a target-date
    plan), with the plan's sleeve. The same bits as `glide_composition` /
    `default_fund_composition`."""

    age_years: F64
    plan_sleeve: F64
    """(n_plans, N_DF): sleeve of each plan's default fund by asset class."""
    fixed: F64 | None = None
    sleeve_needs: tuple[F64, F64] | None = None
    """`plan_sleeve_needs` of `plan_sleeve` where the caller has them (the model keeps them
    from month to month, `model.plan_views`); else the balance pass computes them."""


_EQ_XP, _EQ_FP = GLIDE_EQUITY
_EQ_SLOPE = interp_slopes(_EQ_XP, _EQ_FP)
_CASH_XP, _CASH_FP = GLIDE_CASH
_CASH_SLOPE = interp_slopes(_CASH_XP, _CASH_FP)
"""The glide path's knots (`base.strata`) and segment slopes, constants that numba compiles in."""


def glide_weights(age):  # pragma: no cover - compiled
    """(equity, bonds, cash) of the glide path at `age`, as `base.strata.glide_path`."""
    equity = interp_known(age, _EQ_XP, _EQ_FP, _EQ_SLOPE)
    cash = interp_known(age, _CASH_XP, _CASH_FP, _CASH_SLOPE)
    return equity, 1.0 - equity - cash, cash


glide_weights = row_helper(glide_weights)


def _sleeve_needs(sl, from_bonds):  # pragma: no cover - compiled
    """(bonds the sleeve replaces, whole sleeve) of a plan's sleeve row, as the rule sums them."""
    need_bonds = 0.0
    first = True
    for k in range(sl.shape[0]):
        if from_bonds[k]:
            need_bonds = sl[k] if first else need_bonds + sl[k]
            first = False
    return need_bonds, row_total(sl)  # as the rule's sleeve.sum(axis=1), to the bit


def mix_row_given(g0, g1, p2, sl, need_bonds, total, out, i):  # pragma: no cover - compiled
    """`_mix_row` with the plan's `_sleeve_needs` already computed (once per plan)."""
    need_equity = total - need_bonds
    take_equity = min(need_equity, g0)
    take_bonds = min(need_bonds, g1)
    p0 = g0 - take_equity
    p1 = g1 - take_bonds
    rest = (need_equity - take_equity) + (need_bonds - take_bonds)
    if rest > 0:
        left = (p0 + p1) + p2
        scale = (left - rest) / left if left > 0 else 0.0
        p0 *= scale
        p1 *= scale
        p2 *= scale
    for k in range(3, sv.N_DF):  # sleeve rows have N_DF classes: a compile-time constant
        out[i, k] = sl[k]
    out[i, 0] = p0
    out[i, 1] = p1
    out[i, 2] = p2


def _mix_row(g0, g1, p2, sl, from_bonds, out, i):  # pragma: no cover - compiled
    """Row i of `default_fund_composition` from public weights (g0, g1, p2) and the
    plan's sleeve row `sl`, written into out[i]."""
    need_bonds, total = _sleeve_needs(sl, from_bonds)
    mix_row_given(g0, g1, p2, sl, need_bonds, total, out, i)


def _plan_sleeve_needs(plan_sleeve, from_bonds, need_bonds, total):  # pragma: no cover - compiled
    for p in range(plan_sleeve.shape[0]):
        need_bonds[p], total[p] = _sleeve_needs(plan_sleeve[p], from_bonds)


def _composition_rows(glide, plan_sleeve, sponsor, from_bonds, out):  # pragma: no cover - compiled
    for i in prange(glide.shape[0]):
        _mix_row(glide[i, 0], glide[i, 1], glide[i, 2], plan_sleeve[sponsor[i]], from_bonds, out, i)


def _glide_composition_rows(age, plan_sleeve, sponsor, from_bonds, out):  # pragma: no cover - compiled
    for i in prange(age.shape[0]):
        equity, bonds, cash = glide_weights(age[i])
        _mix_row(equity, bonds, cash, plan_sleeve[sponsor[i]], from_bonds, out, i)


_sleeve_needs = row_helper(_sleeve_needs)
mix_row_given = row_helper(mix_row_given)
_mix_row = row_helper(_mix_row)
_plan_sleeve_needs = njit(cache=True, nogil=True)(_plan_sleeve_needs)


def plan_sleeve_needs(plan_sleeve: F64, need_bonds: F64, total: F64) -> None:
    """Each plan's sleeve share replacing bonds and whole sleeve share, into the arrays given
    (the per-plan part of the default-fund mix, computed once a month, not once a saver)."""
    _plan_sleeve_needs(plan_sleeve, sv.SLEEVE_FROM_BONDS_MASK, need_bonds, total)


# Row-wise passes with no sums across rows: any split of the rows among threads gives the
# same bytes, so they run on numba's threads (prange) directly.
_glide_composition_kernel = njit(cache=True, nogil=True, parallel=True)(_glide_composition_rows)


_composition_kernel = njit(cache=True, nogil=True, parallel=True)(_composition_rows)


def glide_composition(age_years: F64, plan_sleeve: F64, sponsor: npt.NDArray[np.int32],
                      out: F64 | None = None) -> F64:
    """`default_fund_composition` of a target-date default fund, the glide-path weights
    (`base.strata.glide_path`, from its knots) computed in the same pass: no (n, 3) glide
    array and its temporaries."""
    if out is None:
        out = np.empty((age_years.shape[0], plan_sleeve.shape[1]))
    _glide_composition_kernel(np.ascontiguousarray(age_years, dtype=np.float64), np.ascontiguousarray(plan_sleeve),
                              sponsor, sv.SLEEVE_FROM_BONDS_MASK, out)
    return out


def default_fund_composition(glide: F64, plan_sleeve: F64, sponsor: npt.NDArray[np.int32],
                             out: F64 | None = None) -> F64:
    """Each saver's default-fund mix from its public weights and its plan's sleeve (ODD §7.5).

    A sleeve replaces the public class it substitutes for: private credit replaces bonds,
    the other alternatives replace equity (as in the PE-in-TDF designs studied by Georgetown
    CRI and Morningstar, where the sleeve is carved out of the equity allocation). Where
    that class is too small (late on the glide path) the rest comes pro rata from the
    remaining public weights.

    `glide`: (n, 3) public weights (equity, bonds, cash) from `base.strata.glide_path` or a
    fixed default mix, rows summing to 1; `plan_sleeve`: (n_plans, 8) sleeve weight by asset
    class of each plan's default product (zeros if plain); `sponsor`: each row's plan.
    Returns (n, 8), rows summing to 1, into `out` when given.
    """
    if out is None:
        out = np.empty((glide.shape[0], plan_sleeve.shape[1]))
    _composition_kernel(np.ascontiguousarray(glide), np.ascontiguousarray(plan_sleeve), sponsor,
                        sv.SLEEVE_FROM_BONDS_MASK, out)
    return out


def carve_sleeve(public: F64, sleeve: F64) -> F64:
    """`default_fund_composition` where each row has a sleeve of its own: (n, 3) public
    weights and (n, 8) sleeves give (n, 8) mixes (pooled funds, managed accounts)."""
    return default_fund_composition(public, sleeve, np.arange(public.shape[0], dtype=np.int32))
