"""Synthetic settings: plans and savers with chosen features, instead of the national sample.

ODD §5 (initialisation, alternative). A validation experiment or a user's own question
often needs a designed world — one employer switching from opt-in to automatic
enrollment, defaults of 3%, 6% and 12%, a panel of new hires followed for 24 months, a menu
with a crypto option — rather than the Q1 2025 market. A `Setting` (a TOML file or a
Python object) lists plan types and how many savers each has; the model is then built on
those plans with weight 1 per plan and per saver, and everything else (behaviour, market,
policy) runs unchanged.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import numpy as np
import numpy.typing as npt
import pydantic
from pydantic import BaseModel, ConfigDict, Field

from ..agents import savers as sv
from ..agents.sponsors import PlanTable
from ..base.assets import ALTERNATIVES, N_HOLDINGS
from ..base.strata import SIZE_CLASS_BOUNDS
from .config import RunConfig
from .errors import from_validation_error, read_toml
from .population import hire_inplace

Share = Annotated[float, Field(ge=0.0, le=1.0, allow_inf_nan=False)]
Enrollment = Literal["opt_in", "auto", "active_decision"]


class PlanSpec(BaseModel):
    """One plan type of a synthetic setting."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = "plan"
    count: int = Field(default=1, ge=1, le=100_000)
    """How many plans of this type."""
    savers_per_plan: int = Field(default=1_000, ge=1, le=10_000_000)
    participants: int = Field(default=5_000, ge=2, le=1_000_000)
    """Real plan size (sets the size class, litigation hazard and eligibility floors)."""
    enrollment: Enrollment = "auto"
    default_rate: Share = 0.03
    escalates: bool = False
    match_rate: Share = 0.5
    match_cap: Share = 0.06
    nonmatch_rate: Share = 0.0
    """Nonmatching employer contribution, share of pay, paid to every enrolled saver."""
    window: bool = False
    standalone: tuple[Literal["crypto", "private_equity", "private_credit", "infrastructure", "gold"], ...] = ()
    governance: Share = 0.5
    litigation_aversion: Share = 0.5
    review_month: int = Field(default=0, ge=0, le=11)


class Setting(BaseModel):
    """A synthetic world: plan types, and whether savers start as a panel of new hires.

    With `new_hires` (the default) every saver starts at tenure 0 with no balance, as in
    the new-hire cohorts of Madrian & Shea (2001) and Carroll et al. (2009); otherwise
    savers start as enrolled participants with `initial_balance_usd` in the default fund.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    plans: tuple[PlanSpec, ...] = Field(min_length=1)
    new_hires: bool = True
    initial_balance_usd: Annotated[float, Field(ge=0.0, allow_inf_nan=False)] = 0.0
    freeze_sponsors: bool = True
    """Plans keep their features: no annual reviews change menus or enrollment."""

    @property
    def n_savers(self) -> int:
        """Total savers over all plans."""
        return sum(p.count * p.savers_per_plan for p in self.plans)

    @property
    def n_plans(self) -> int:
        """Total plans."""
        return sum(p.count for p in self.plans)


def load_setting(path: str | Path) -> Setting:
    """Read a setting TOML file; errors name the file and the field."""
    data = read_toml(path, "setting file")
    try:
        return Setting.model_validate(data)
    except pydantic.ValidationError as err:
        raise from_validation_error(path, err) from None


def _size_class(participants: int) -> int:
    for c, (lo, hi) in enumerate(SIZE_CLASS_BOUNDS):
        if lo <= participants <= hi:
            return c
    return len(SIZE_CLASS_BOUNDS) - 1 if participants > SIZE_CLASS_BOUNDS[-1][1] else 0


def build_plans(setting: Setting) -> tuple[PlanTable, list[str]]:
    """The PlanTable of a setting (weight 1 per plan) and each plan's type name."""
    specs = [p for p in setting.plans for _ in range(p.count)]
    n = len(specs)

    def col(f, dtype=float) -> npt.NDArray:  # noqa: ANN001 - small local helper
        return np.array([f(p) for p in specs], dtype=dtype)

    standalone = np.zeros((n, len(ALTERNATIVES)), dtype=bool)
    for i, p in enumerate(specs):
        for a in p.standalone:
            standalone[i, ALTERNATIVES.index(a)] = True
    plans = PlanTable(
        size_class=col(lambda p: _size_class(p.participants), np.int8),
        participants=col(lambda p: p.participants, np.int64),
        weight=np.ones(n),
        governance=col(lambda p: p.governance),
        consultant=np.full(n, -1, dtype=np.int32),
        recordkeeper=np.zeros(n, dtype=np.int32),
        litigation_aversion=col(lambda p: p.litigation_aversion),
        auto_enroll=col(lambda p: p.enrollment == "auto", bool),
        active_decision=col(lambda p: p.enrollment == "active_decision", bool),
        default_rate=col(lambda p: p.default_rate),
        escalates=col(lambda p: p.escalates, bool),
        match_rate=col(lambda p: p.match_rate),
        match_cap=col(lambda p: p.match_cap),
        tdf_manager=np.zeros(n, dtype=np.int32),
        default_product=np.zeros(n, dtype=np.int32),
        standalone=standalone,
        offers_window=col(lambda p: p.window, bool),
        review_month=col(lambda p: p.review_month, np.int8),
        suits=np.zeros(n, dtype=np.int32),
        last_suit_month=np.full(n, -10_000, dtype=np.int32),
        consultant_bias=np.zeros(n),
        nonmatch_rate=col(lambda p: p.nonmatch_rate),
    )
    return plans, [p.name for p in specs]


def build_savers(setting: Setting, plans: PlanTable, config: RunConfig,
                 rng: np.random.Generator) -> tuple[sv.SaverPopulation, npt.NDArray[np.float64]]:
    """Savers of a setting: each plan's savers, drawn as new hires (weight 1 each).

    Returns the population (empty holdings) and each saver's opening balance, which the
    model invests once default-fund compositions are known.
    """
    per_plan = [p.savers_per_plan for p in setting.plans for _ in range(p.count)]
    sponsor = np.repeat(np.arange(plans.n, dtype=np.int32), per_plan)
    n = sponsor.size
    zeros = np.zeros(n)
    pop = sv.SaverPopulation(
        sponsor=sponsor, weight=np.ones(n), age_years=zeros.copy(), retirement_age_years=zeros.copy(),
        salary_usd_annual=zeros.copy(), tenure_years=zeros.copy(), balance_usd=np.zeros((n, N_HOLDINGS)),
        allocation=np.zeros((n, sv.N_OPTIONS)), deferral_rate=zeros.copy(), preferred_deferral_rate=zeros.copy(),
        is_participating=np.zeros(n, dtype=bool), is_contributing=np.ones(n, dtype=bool),
        is_auto_enrolled=np.zeros(n, dtype=bool), style=np.zeros(n, dtype=np.int8),
        risk_tolerance=zeros.copy(), literacy=zeros.copy(), review_prob_monthly=zeros.copy(),
        return_sensitivity=zeros.copy(), peer_sensitivity=zeros.copy(),
        months_in_plan=np.zeros(n, dtype=np.int32), trades=np.zeros(n, dtype=np.int32),
        year_growth=np.ones(n), last_year_return=zeros.copy(), worst_year_return=zeros.copy(),
    )
    balance = hire_inplace(pop, np.arange(n), plans, config, rng, 1.0)
    if not setting.new_hires:
        pop.is_participating[:] = True
        pop.deferral_rate[:] = np.where(pop.deferral_rate > 0, pop.deferral_rate, pop.preferred_deferral_rate)
        pop.tenure_years[:] = 5.0
        balance = np.full(n, setting.initial_balance_usd)
    else:
        balance[:] = 0.0
    return pop, balance
