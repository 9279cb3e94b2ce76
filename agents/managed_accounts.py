"""The recordkeepers' managed-account service: a channel through which private markets reach
savers (ODD §7.14).

A managed account is a discretionary advisory service, not a fund: the provider (in most
plans the recordkeeper or its advisory affiliate) invests each enrolled participant's
account in a personal mix of the plan's own funds and charges an advisory fee on top of
their expense ratios (GAO-14-310, 2014). Where the recordkeeper's platform holds a
private-markets sleeve in its managed accounts (Empower's 2025 private-markets offering,
reached "primarily via managed accounts and advice-based models", That 401(k) Site, Feb
2026), the sleeve is held in the gated standalone vehicles. The rules here are pure
array functions; `model.managed_accounts` applies them each month.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from ..base.assets import ALTERNATIVES, ASSET_CLASSES, IS_ILLIQUID_HOLDING
from ..base.strata import glide_path
from . import savers as sv
from .fund_mix import carve_sleeve

if TYPE_CHECKING:
    from ..model.config import ManagedAccountParams

F64 = npt.NDArray[np.float64]
B = npt.NDArray[np.bool_]
ALT_ASSET = np.array([ASSET_CLASSES.index(a) for a in ALTERNATIVES], dtype=np.intp)
"""Asset-class column of each alternative (order of ALTERNATIVES)."""
LIQUID_HOLDINGS: B = ~np.asarray(IS_ILLIQUID_HOLDING, dtype=bool)
"""Holdings the advisory fee is taken from first (not the gated private-market ones)."""


def stationary_rate(share: float, leave_rate: float) -> float:
    """The entry rate that keeps `share` in a state left at `leave_rate` a period:
    share = entry / (entry + leave), so entry = share × leave / (1 − share)."""
    if share >= 1.0:
        return 1.0
    return min(1.0, share * leave_rate / (1.0 - share))


def managed_public_mix(age_years: F64, risk_tolerance: F64, risk_tilt: float) -> F64:
    """Equity, bond and cash weights the service sets before any sleeve, shape (n, 3).

    The age-based glide path of the plain target-date fund (`base.strata.glide_path`) with
    its equity share moved by `risk_tilt` × (risk tolerance − 0.5), within [0, 1]; bonds and
    cash share the rest in the glide path's proportion (all bonds where the glide path has
    neither). The personalisation is the saver's risk tolerance (a managed account also reads
    pay, saving rate and outside assets, Invesco 2024; the model reads the one input it
    has that a target-date fund ignores)."""
    glide = glide_path(age_years)
    equity = np.clip(glide[:, 0] + risk_tilt * (np.asarray(risk_tolerance) - 0.5), 0.0, 1.0)
    fixed = glide[:, 1] + glide[:, 2]
    bond_part = np.divide(glide[:, 1], fixed, out=np.ones_like(fixed), where=fixed > 0)
    out = np.empty_like(glide)
    out[:, 0] = equity
    out[:, 1] = (1.0 - equity) * bond_part
    out[:, 2] = (1.0 - equity) * (1.0 - bond_part)  # never below zero (a difference could be -1e-17)
    return out


def sleeve_weights(available: B, params: ManagedAccountParams, account_cap: float) -> F64:
    """Each managed saver's private-markets sleeve by asset class, shape (n, 8): the service's
    design (`sleeve_share`) in the classes its platform holds at the saver's plan
    (`available`, (n, N_ALT)), scaled down to the regime's account cap on alternatives."""
    per_class = np.array([params.sleeve_share.get(a, 0.0) for a in ALTERNATIVES])
    alt = np.where(available, per_class[None, :], 0.0)
    total = alt.sum(axis=1)
    scale = np.divide(account_cap, total, out=np.ones_like(total), where=total > account_cap)
    out = np.zeros((available.shape[0], len(ASSET_CLASSES)))
    out[:, ALT_ASSET] = alt * np.minimum(scale, 1.0)[:, None]
    return out


def managed_allocation(age_years: F64, risk_tolerance: F64, available: B, params: ManagedAccountParams,
                       account_cap: float) -> F64:
    """The allocation the service sets for each managed saver, over the options (n, N_OPTIONS).

    The public mix (`managed_public_mix`) in the core funds, with the sleeve carved out of
    the public class it replaces as in the alternative-bearing target-date fund (private
    credit out of bonds, the others out of equity: `fund_mix.default_fund_composition`), the
    sleeve held in the standalone vehicles; nothing in the default fund. Rows sum to 1."""
    comp = carve_sleeve(managed_public_mix(age_years, risk_tolerance, params.risk_tilt),
                                       sleeve_weights(available, params, account_cap))
    out = np.zeros((comp.shape[0], sv.N_OPTIONS))
    out[:, sv.CORE_OPTIONS] = comp[:, :3]
    out[:, sv.STANDALONE_OPTIONS] = comp[:, ALT_ASSET]
    return out


def charge_fee_inplace(balance: F64, fee_annual: float) -> F64:
    """Deduct a month of the advisory fee (`fee_annual` / 12 of each account) from `balance`
    (rows: the managed savers' holdings) and return each account's fee, USD.

    Recordkeepers deduct the fee from the account's investments; the model takes it pro rata
    from the liquid holdings, and only what they cannot pay pro rata from the gated ones
    (assumption: a gated vehicle is not sold for a fee the liquid funds can pay)."""
    total = balance.sum(axis=1)
    fee = total * (fee_annual / 12.0)
    liquid = balance[:, LIQUID_HOLDINGS]
    liquid_total = liquid.sum(axis=1)
    from_liquid = np.minimum(fee, liquid_total)
    share = np.divide(from_liquid, liquid_total, out=np.zeros_like(fee), where=liquid_total > 0)
    balance[:, LIQUID_HOLDINGS] = liquid * (1.0 - share)[:, None]
    rest = fee - from_liquid
    if (rest > 0).any():
        illiquid = balance[:, ~LIQUID_HOLDINGS]
        ill_total = illiquid.sum(axis=1)
        cut = np.divide(rest, ill_total, out=np.zeros_like(fee), where=ill_total > 0)
        balance[:, ~LIQUID_HOLDINGS] = illiquid * (1.0 - np.minimum(cut, 1.0))[:, None]
    return fee


def plan_keeps(uniform: F64, drop_trigger_prob: F64, params: ManagedAccountParams) -> B:
    """Whether reviewing plans that offer the service keep it: dropped with probability
    1 − (1 − `plan_drop_prob_annual`)(1 − p), p the sponsors' drop triggers (a suit in the
    past year, a new recordkeeper or consultant; `sponsors.drop_probability`)."""
    keep = (1.0 - params.plan_drop_prob_annual) * (1.0 - np.asarray(drop_trigger_prob))
    return uniform < keep


def plan_add_prob(params: ManagedAccountParams, provider_drop_annual: float = 0.0) -> float:
    """Probability that a reviewing plan whose recordkeeper offers the service adds it: the
    rate that keeps `plan_offer_share` of plans offering it (`stationary_rate`) against the
    plans' drops, `plan_drop_prob_annual` and the expected drops after a change of provider
    (`provider_drop_annual`, `expected_provider_drop`)."""
    drop = 1.0 - (1.0 - params.plan_drop_prob_annual) * (1.0 - provider_drop_annual)
    return stationary_rate(params.plan_offer_share, drop)


def expected_provider_drop(recordkeeper_change: float, consultant_change: float, drop_after_change: float) -> float:
    """Expected yearly probability that a plan drops the service because it changed
    recordkeeper or consultant (`sponsors.drop_probability`'s provider trigger), taking every
    plan to retain a consultant (an upper bound)."""
    return (1.0 - (1.0 - recordkeeper_change) * (1.0 - consultant_change)) * drop_after_change


def saver_enrol_prob(params: ManagedAccountParams, separation_annual: float = 0.0) -> float:
    """Probability that a participant at an offering plan opts in at the plan's review: the
    rate that keeps `usage_share` enrolled (`stationary_rate`) against leaving the service
    (`leave_prob_annual`) and leaving the job (`separation_annual`: a new hire's account
    starts outside the service)."""
    leave = 1.0 - (1.0 - params.leave_prob_annual) * (1.0 - separation_annual)
    return stationary_rate(params.usage_share, leave)
