"""Litigation: what excess-fee and alternative-loss suits against plan sponsors look at,
the monthly hazard of a suit, and the suit's course through the courts.

ODD §7.10 (litigation). The rules of each plan's exposure (its trailing losses on the
alternatives it offers: `alternative_loss`) and of its hazard (`hazard_annual`), each for
one plan; `agents.plan_kernels.litigation_exposure` calls them in its pass over the plans,
and `alternative_losses` and `lawsuit_hazard_annual` over given arrays. Then the
process: filing, the ruling on the motion to dismiss under the pleading standard in force
(a policy lever moved by case law), settlement or a defence win, settlement dollars
(Encore/Euclid Fiduciary, Chubb & Groom, Aon, Bloomberg Law; docs/calibration.md), kept as
national expected counts (`CaseLoad`) and as each sampled plan's own suit (`PlanSuits`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from ..base.assets import ALT_CLASS_INDEX
from ..base.compiled import njit, numpy_maximum, numpy_minimum, row_helper, row_total

if TYPE_CHECKING:
    from scipy import sparse

    from ..model.config import LitigationBehaviour, SponsorBehaviour
    from ..model.policy import PolicyState
    from .sponsors import PlanTable

F64 = npt.NDArray[np.float64]
B = npt.NDArray[np.bool_]


FEE_PREMIUM_ABOVE_ANNUAL = 0.004
"""Expense ratio above which a plan's fees raise its excess-fee hazard (0.4% a year)."""


def alternative_loss(standalone, class_loss, sleeve, sleeve_loss_sum):  # pragma: no cover - compiled
    """A plan's trailing-year loss on the alternatives it offers (a positive number), ODD §7.10.

    The worst loss over its standalone options, or the sleeve-weighted loss of its default
    fund's sleeve if larger; 0 for plans offering none or where they gained. `standalone`:
    (N_ALT,) flags of the options offered; `class_loss`: (N_ALT,) each alternative class's
    trailing loss, max(0, -return); `sleeve`: (8,) the default product's sleeve weights;
    `sleeve_loss_sum`: the sleeve's loss-weighted sum ``sleeve @ loss`` over all 8 classes.
    """
    worst = 0.0
    for k in range(standalone.shape[0]):
        worst = numpy_maximum(worst, class_loss[k] if standalone[k] else 0.0)
    # +0.0 over the sleeve's total is +0.0 whatever the total (or 0.0 where it is not
    # positive): most plans' sleeves are read only where they lost something.
    if sleeve_loss_sum == 0.0 and math.copysign(1.0, sleeve_loss_sum) > 0.0:
        sleeve_loss = 0.0
    else:
        total = row_total(sleeve)
        sleeve_loss = sleeve_loss_sum / total if total > 0 else 0.0
    return numpy_maximum(worst, sleeve_loss)


def hazard_annual(base, climate, plan_fee, loss, offers, fee_elasticity, loss_elasticity,
                  alt_scale):  # pragma: no cover - compiled
    """A plan's annual probability of being sued (ODD §7.10).

    Its size class's base hazard `base` (calibrated to ~55 excess-fee suits a year,
    Encore/Euclid 2024), raised by its fee premium over `FEE_PREMIUM_ABOVE_ANNUAL` and, if it
    `offers` alternatives, by its trailing-year `loss` on them; the climate lever scales it
    and a safe harbor removes `safe_harbor_shield` of the alternative-related part
    (`alt_scale` = 1 - shield x safe harbor: a process-based presumption of prudence;
    *Anderson v. Intel*, 9th Cir. 2025). At most 1.
    """
    fee_part = fee_elasticity * numpy_maximum(0.0, plan_fee - FEE_PREMIUM_ABOVE_ANNUAL)
    alt_part = (loss_elasticity * loss if offers else 0.0) * alt_scale
    return numpy_minimum(1.0, base * climate * (1.0 + fee_part + alt_part))


alternative_loss = row_helper(alternative_loss)
hazard_annual = row_helper(hazard_annual)


def _losses(standalone, class_loss, sleeve, sleeve_loss_sum, out):  # pragma: no cover - compiled
    for i in range(out.shape[0]):
        out[i] = alternative_loss(standalone[i], class_loss, sleeve[i], sleeve_loss_sum[i])


def _hazards(base_by_class, size_class, climate, plan_fee, loss, offers, fee_elasticity, loss_elasticity,
             alt_scale, out):  # pragma: no cover - compiled
    for i in range(out.shape[0]):
        out[i] = hazard_annual(base_by_class[size_class[i]], climate, plan_fee[i], loss[i], offers[i],
                               fee_elasticity, loss_elasticity, alt_scale)


_losses = njit(cache=True, nogil=True)(_losses)
_hazards = njit(cache=True, nogil=True)(_hazards)


def alternative_losses(standalone: npt.NDArray[np.bool_], sleeve: F64, trailing_return: F64) -> F64:
    """`alternative_loss` of each plan: `standalone` (n, N_ALT) options offered, `sleeve`
    (n, 8) default-product sleeves, `trailing_return` (8,) each class's trailing-year return."""
    loss = np.maximum(0.0, -trailing_return)
    sleeve = np.ascontiguousarray(sleeve, dtype=np.float64)
    out = np.empty(sleeve.shape[0])
    _losses(np.ascontiguousarray(standalone), np.ascontiguousarray(loss[ALT_CLASS_INDEX]), sleeve,
            np.ascontiguousarray(sleeve @ loss), out)
    return out


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
    """`hazard_annual` of each plan (ODD §7.10), from its fee, its loss on the alternatives it
    offers and whether it offers any."""
    b = behaviour
    out = np.empty(plans.n)
    _hazards(np.asarray(b.lawsuit_hazard_annual_by_class, dtype=np.float64), np.ascontiguousarray(plans.size_class),
             float(policy.litigation_climate), np.ascontiguousarray(plan_fee_annual, dtype=np.float64),
             np.ascontiguousarray(alt_loss, dtype=np.float64), np.ascontiguousarray(offers_alt, dtype=np.bool_),
             float(b.lawsuit_fee_elasticity), float(b.lawsuit_loss_elasticity),
             float(1.0 - b.safe_harbor_shield * policy.safe_harbor), out)
    return out


def monthly_hazard(annual: F64) -> F64:
    """The monthly probability of an event whose annual probability is `annual`, for a
    constant hazard over the year (ODD §7, litigation)."""
    return 1.0 - (1.0 - annual) ** (1.0 / 12.0)


# ----------------------------------------------------------------------------- the suit process

FEE_CLAIM, ALT_CLAIM = 0, 1
"""Kinds of suit: over fees (recordkeeping, share classes, prohibited transactions) or over
the alternatives a plan offers (their losses against a benchmark)."""
NO_SUIT, AWAITING_RULING, LITIGATING = 0, 1, 2
"""Stages of a plan's pending suit: none, filed and awaiting the ruling on the motion to
dismiss, survived the motion and heading to settlement or judgment."""
SUIT_UNIFORMS = 4
"""Uniforms a plan a month from the litigation stream (ODD §4.9): filing, kind of claim,
whether the pending suit's stage ends this month, and how it ends."""


def alternative_claim_share(annual: F64, fee_only_annual: F64) -> F64:
    """Share of each plan's suits that are over its alternatives: the part of its hazard
    that its alternatives' losses add (`annual` less the hazard with no alternatives offered,
    `fee_only_annual`), 0 where the hazard is 0 (ODD §7.10)."""
    extra = np.maximum(0.0, annual - fee_only_annual)
    return np.divide(extra, annual, out=np.zeros_like(annual), where=annual > 0)


def settlement_usd(assets_per_plan: F64, behaviour: LitigationBehaviour) -> F64:
    """Settlement a plan of `assets_per_plan` (USD) pays if a suit against it settles:
    `settlement_ref_usd` x (assets / `settlement_ref_assets_usd`) ^ `settlement_elasticity`,
    0 for a plan with no assets (ODD §7.10; Bloomberg Law 2022, Groom/Chubb 2021)."""
    b = behaviour
    ratio = np.maximum(assets_per_plan, 0.0) / b.settlement_ref_assets_usd
    return np.where(ratio > 0, b.settlement_ref_usd * ratio ** b.settlement_elasticity, 0.0)


def dismissal_shares(policy: PolicyState) -> F64:
    """Share of suits dismissed on the motion, by kind of claim (FEE_CLAIM, ALT_CLAIM): the
    pleading standard in force when the motion is decided (`litigation.dismissal.*`)."""
    return np.array([policy.dismissal_fee_claims, policy.dismissal_alternative_claims])


def stage_end_probabilities(behaviour: LitigationBehaviour) -> tuple[float, float]:
    """Monthly chance that the ruling on the motion comes (1 / `ruling_months_mean`) and that
    a surviving suit is resolved (1 / `resolution_months_mean`): stages of geometric length."""
    return 1.0 / max(behaviour.ruling_months_mean, 1.0), 1.0 / max(behaviour.resolution_months_mean, 1.0)


@dataclass
class Outcomes:
    """A month's resolved suits, national expected counts (ODD §7.10)."""

    dismissed: float = 0.0
    """Dismissed with prejudice on the motion."""
    defence_wins: float = 0.0
    """Survived the motion, then won by the defence at summary judgment or trial."""
    settled: float = 0.0
    settlements_usd: float = 0.0
    """Paid by the sponsors (and their fiduciary insurers) to the classes; nominal USD."""
    settled_participants: float = 0.0
    """Participants of the plans whose suits settled."""


@dataclass
class CaseLoad:
    """The nation's pending suits as expected counts by stage (ODD §7.10).

    Each stage holds three sums: suits, participants of the sued plans, and the settlements
    they would pay (nominal USD, fixed at filing from the plan's assets then). Suits
    awaiting the ruling are kept by kind of claim, as the pleading standards differ.
    """

    awaiting: F64 = field(default_factory=lambda: np.zeros((2, 3)))
    litigating: F64 = field(default_factory=lambda: np.zeros(3))

    @classmethod
    def steady_state(cls, filed: F64, policy: PolicyState, behaviour: LitigationBehaviour) -> CaseLoad:
        """The pending suits left by filing `filed` (as in `file`) every month for ever under
        `policy`: each stage holds its monthly inflow times its mean length (inflow / monthly
        chance of ending). The t0 case load, so that a run starts with the courts busy, as
        they were (Encore 2024: 153 excess-fee cases pending at the end of 2024)."""
        q_ruling, q_resolve = stage_end_probabilities(behaviour)
        survivors = (filed * (1.0 - dismissal_shares(policy))[:, None]).sum(axis=0)
        return cls(awaiting=filed / q_ruling, litigating=survivors / q_resolve)

    @property
    def pending(self) -> float:
        """Suits filed and not yet resolved."""
        return float(self.awaiting[:, 0].sum() + self.litigating[0])

    def file(self, by_kind: F64) -> None:
        """Add this month's filings, (2, 3): rows FEE_CLAIM, ALT_CLAIM; columns suits,
        participants, settlement USD."""
        self.awaiting += by_kind

    def advance(self, policy: PolicyState, behaviour: LitigationBehaviour) -> Outcomes:
        """One month of the courts: a share 1/`ruling_months_mean` of the suits awaiting a
        ruling get it, and the policy's dismissal share of them ends; a share
        1/`resolution_months_mean` of the surviving suits is resolved, `settle_share_after_ruling`
        of it by settlement."""
        q_ruling, q_resolve = stage_end_probabilities(behaviour)
        ruled = self.awaiting * q_ruling
        dismissed = ruled * dismissal_shares(policy)[:, None]
        self.awaiting -= ruled
        resolved = self.litigating * q_resolve
        self.litigating = self.litigating - resolved + (ruled - dismissed).sum(axis=0)
        settled = resolved * behaviour.settle_share_after_ruling
        return Outcomes(
            dismissed=float(dismissed[:, 0].sum()),
            defence_wins=float(resolved[0] - settled[0]),
            settled=float(settled[0]),
            settlements_usd=float(settled[2]),
            settled_participants=float(settled[1]),
        )


@dataclass
class PlanSuits:
    """Each sampled plan's pending suit and record (ODD §2.2, §7.10), beside the
    `PlanTable` fields sponsors read (`suits`, `last_suit_month`)."""

    stage: npt.NDArray[np.int8]
    kind: npt.NDArray[np.int8]
    settlement_usd: F64
    """What the pending suit would settle for (per real plan, nominal USD at filing)."""
    dismissed: npt.NDArray[np.int32]
    settled: npt.NDArray[np.int32]
    settled_usd: F64
    """Settlements paid so far (per real plan, nominal USD)."""

    @classmethod
    def empty(cls, n: int) -> PlanSuits:
        """No suit pending at any of `n` plans."""
        return cls(stage=np.zeros(n, dtype=np.int8), kind=np.zeros(n, dtype=np.int8),
                   settlement_usd=np.zeros(n), dismissed=np.zeros(n, dtype=np.int32),
                   settled=np.zeros(n, dtype=np.int32), settled_usd=np.zeros(n))

    def advance(self, u_end: F64, u_how: F64, policy: PolicyState, behaviour: LitigationBehaviour) -> None:
        """One month of each sampled plan's pending suit, by its draws: the stage ends where
        `u_end` < its monthly chance; a ruling dismisses where `u_how` < the dismissal share
        of the suit's kind, a resolution settles where `u_how` < `settle_share_after_ruling`."""
        q_ruling, q_resolve = stage_end_probabilities(behaviour)
        ruled = (self.stage == AWAITING_RULING) & (u_end < q_ruling)
        dismissed = ruled & (u_how < dismissal_shares(policy)[self.kind])
        resolved = (self.stage == LITIGATING) & (u_end < q_resolve)
        settled = resolved & (u_how < behaviour.settle_share_after_ruling)
        self.dismissed += dismissed
        self.settled += settled
        self.settled_usd += np.where(settled, self.settlement_usd, 0.0)
        self.stage[ruled & ~dismissed] = LITIGATING
        self.stage[dismissed | resolved] = NO_SUIT
        self.settlement_usd[dismissed | resolved] = 0.0

    def file(self, sued: B, u_kind: F64, alt_share: F64, settlement: F64) -> None:
        """Open a suit at each `sued` plan with none pending, over its alternatives where
        `u_kind` < `alt_share`; a plan already in court has the new complaint consolidated
        into its pending suit (as related ERISA complaints are)."""
        new = sued & (self.stage == NO_SUIT)
        self.stage[new] = AWAITING_RULING
        self.kind[new] = np.where(u_kind[new] < alt_share[new], ALT_CLAIM, FEE_CLAIM)
        self.settlement_usd[new] = settlement[new]


def recent_suit_share(last_suit_month: npt.NDArray[np.int32], month: int, window: int,
                      peer_matrix: sparse.csr_array) -> F64:
    """Share of each plan's industry peers (the row-normalised peer matrix, §4.8) sued in the
    past `window` months: the suits a sponsor sees in its own peer group (ODD §7.10)."""
    recent = (month - last_suit_month < window).astype(np.float64)
    return np.asarray(peer_matrix @ recent, dtype=np.float64)
