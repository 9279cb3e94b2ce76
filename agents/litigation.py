"""Litigation: what excess-fee and alternative-loss suits against plan sponsors look at,
and the monthly hazard of a suit.

ODD §7.10 (litigation). The rules of each plan's exposure (its asset-weighted fee, its
trailing losses on the alternatives it offers) and of the hazard, as whole-array numpy
over the plans; `agents.plan_kernels.litigation_exposure` and
`agents.kernels.plan_assets_and_fee` compute the same bits in compiled passes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from ..model.assets import ALT_CLASS_INDEX

if TYPE_CHECKING:
    from ..model.config import SponsorBehaviour
    from ..model.policy import PolicyState
    from .sponsors import PlanTable

F64 = npt.NDArray[np.float64]
B = npt.NDArray[np.bool_]


def alternative_losses(standalone: npt.NDArray[np.bool_], sleeve: F64, trailing_return: F64) -> F64:
    """Each plan's trailing-year loss on the alternatives it offers (a positive number).

    The worst loss over its standalone options, or the sleeve-weighted loss of its default
    fund's sleeve if larger; 0 for plans offering none or where they gained.

    Parameters
    ----------
    standalone : (n, N_ALT) bool — standalone options offered.
    sleeve : (n, 8) — sleeve weights of each plan's default product by asset class.
    trailing_return : (8,) — trailing 12-month reported return of each asset class.
    """
    loss = np.maximum(0.0, -trailing_return)
    standalone_loss = np.where(standalone, loss[ALT_CLASS_INDEX][None, :], 0.0).max(axis=1, initial=0.0)
    total = sleeve.sum(axis=1)
    sleeve_loss = np.divide(sleeve @ loss, total, out=np.zeros_like(total), where=total > 0)
    return np.maximum(standalone_loss, sleeve_loss)


def plan_assets_and_fee(held: F64, fee_matrix: F64) -> tuple[F64, F64]:
    """Each plan's assets (USD) and its asset-weighted annual expense ratio (0 where it
    holds nothing), from its savers' dollars by holding `held` and the fee of each holding
    `fee_matrix` (both (n_plans, N_HOLDINGS)): what excess-fee suits look at (ODD §7.10).
    `agents.kernels.plan_assets_and_fee` computes the same bits in one pass."""
    assets = held.sum(axis=1)
    fee = np.divide((held * fee_matrix).sum(axis=1), assets, out=np.zeros(held.shape[0]), where=assets > 0)
    return assets, fee


def lawsuit_hazard_monthly(
    plans: PlanTable,
    plan_fee_annual: F64,
    alt_loss: F64,
    offers_alt: B,
    policy: PolicyState,
    behaviour: SponsorBehaviour,
) -> F64:
    """Monthly probability that each plan is sued: `monthly_hazard` of `lawsuit_hazard_annual`.

    ODD §7, litigation.
    """
    return monthly_hazard(lawsuit_hazard_annual(plans, plan_fee_annual, alt_loss, offers_alt, policy, behaviour))


def lawsuit_hazard_annual(
    plans: PlanTable,
    plan_fee_annual: F64,
    alt_loss: F64,
    offers_alt: B,
    policy: PolicyState,
    behaviour: SponsorBehaviour,
) -> F64:
    """Annual probability that each plan is sued.

    ODD §7, litigation. A base hazard by size class (calibrated to ~55 excess-fee suits a
    year, Encore/Euclid 2024), raised by the plan's fee premium over 0.4% a year and, for
    plans offering alternatives, by trailing-year losses on them; the climate lever scales
    it and a safe harbor removes `safe_harbor_shield` of the alternative-related part
    (process-based presumption of prudence; *Anderson v. Intel*, 9th Cir. 2025).
    `agents.plan_kernels.litigation_exposure` computes the same bits in one pass.
    """
    b = behaviour
    base = np.asarray(b.lawsuit_hazard_annual_by_class)[plans.size_class]
    fee_part = b.lawsuit_fee_elasticity * np.maximum(0.0, plan_fee_annual - 0.004)
    alt_part = np.where(offers_alt, b.lawsuit_loss_elasticity * alt_loss, 0.0)
    alt_part = alt_part * (1.0 - b.safe_harbor_shield * policy.safe_harbor)
    return np.minimum(1.0, base * policy.litigation_climate * (1.0 + fee_part + alt_part))


def monthly_hazard(annual: F64) -> F64:
    """The monthly probability of an event whose annual probability is `annual`, for a
    constant hazard over the year (ODD §7, litigation)."""
    return 1.0 - (1.0 - annual) ** (1.0 / 12.0)
