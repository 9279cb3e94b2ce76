"""The one registry of policy levers: what a regulatory variant file may change.

ODD §7.1; as in Tax-Calculator and PolicyEngine, every lever is a record
with a description, unit, kind, hard valid range (rejected), soft warn range (warned),
baseline value and legal source. The baseline is the regime in force at end-2024, before
the May 2025 crypto rescission and the August 2025 Executive Order 14330; facts and dates
come from the legal sources each lever names (docs/calibration.md §6). Variant files (`model/policy.py`) may name only
levers registered here, optionally with a trailing wildcard (`allow.window.*`).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final, Literal

from alt401k.base.assets import ALT_CHANNELS, ALTERNATIVES, DEFAULT_FUND_KINDS, NO_SANCTIONED_KIND

LeverKind = Literal["float", "int", "bool", "choice"]
LeverValue = float | int | bool | str

QDIA_CHOICES: Final[tuple[str, ...]] = (*DEFAULT_FUND_KINDS, NO_SANCTIONED_KIND)
"""Kinds of default fund the rules can sanction (DOL QDIA regulation, 29 CFR 2550.404c-5)."""


class LeverWarning(UserWarning):
    """A lever value is legal but outside its usual (warn) range."""


@dataclass(frozen=True)
class Lever:
    """One policy lever: a registered, documented, range-checked regulatory setting.

    Attributes
    ----------
    name
        Dotted name used in scenario files, e.g. ``cap.sleeve.crypto``.
    description
        What the lever means in the model.
    unit
        Unit of the value ("fraction", "stance -1..1", "participants", ...).
    kind
        "float", "int", "bool" or "choice".
    baseline
        Value in force at end-2024.
    source
        Legal reference or data source for the baseline; "TODO" where unsourced.
    valid
        Inclusive (low, high) hard bounds for numbers; a value outside is rejected.
    warn
        Inclusive (low, high) soft bounds for numbers; a value outside only warns.
    choices
        Allowed values of a "choice" lever.
    """

    name: str
    description: str
    unit: str
    kind: LeverKind
    baseline: LeverValue
    source: str
    valid: tuple[float, float] = (-math.inf, math.inf)
    warn: tuple[float, float] | None = None
    choices: tuple[str, ...] = ()

    def check(self, value: object, where: str = "") -> LeverValue:
        """Return `value` normalised to the lever's kind, or raise ValueError saying why.

        Floats accept ints (TOML ``1`` means 1.0); NaN is always rejected; infinity only
        where the valid range reaches it. A value outside the warn range passes but emits a
        `LeverWarning` prefixed by `where` (the file and field), so a user sees the
        unusual setting without the run being stopped.
        """
        if self.kind == "bool":
            if not isinstance(value, bool):
                raise ValueError(f"{self.name} must be true or false (got {value!r})")
            return value
        if self.kind == "choice":
            if value not in self.choices:
                raise ValueError(f"{self.name} must be one of {list(self.choices)} (got {value!r})")
            return str(value)
        number = self._check_number(value)
        self._warn_if_unusual(number, where)
        return number

    def _check_number(self, value: object) -> float | int:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(
                f"{self.name} must be a{'n integer' if self.kind == 'int' else ' number'} "
                f"(got {value!r})"
            )
        if self.kind == "int" and not isinstance(value, int):
            raise ValueError(f"{self.name} must be an integer (got {value!r})")
        if math.isnan(value):
            raise ValueError(f"{self.name} must not be NaN")
        low, high = self.valid
        if not low <= value <= high:
            raise ValueError(f"{self.name} must lie in [{low}, {high}] (got {value!r})")
        return int(value) if self.kind == "int" else float(value)

    def _warn_if_unusual(self, number: float | int, where: str) -> None:
        # An infinite value passed the valid range, so it is a legal "no limit" (the fee cap's
        # baseline), not an unusual size: only finite values are compared with the warn range.
        if self.warn is None or math.isinf(number):
            return
        low, high = self.warn
        if not low <= number <= high:
            prefix = f"{where}: " if where else ""
            warnings.warn(
                f"{prefix}{self.name} = {number!r} is outside the usual range [{low}, {high}]; "
                "it is used as given",
                LeverWarning,
                stacklevel=3,
            )


_CAR_2022 = "DOL Compliance Assistance Release 2022-01 (Mar 10 2022): 'extreme care' with crypto"
_SUPP_2021 = "DOL Supplemental Statement on private equity in DC plans (Dec 21 2021)"
_ERISA = "ERISA §404(a): no asset class is forbidden; prudence of the process is the test"
_STANCE_BASELINE: Final[dict[str, tuple[float, str]]] = {
    "crypto": (-1.0, _CAR_2022),
    "private_equity": (-0.5, _SUPP_2021),
    "private_credit": (-0.5, _SUPP_2021 + " (read as covering private markets generally)"),
    "infrastructure": (
        -0.25,
        "model assumption: private-market caution of the 2021 "
        "statement, milder as no guidance names infrastructure",
    ),
    "gold": (0.0, "no DOL guidance on commodities in DC plans"),
}


def _stance_levers() -> list[Lever]:
    return [
        Lever(
            f"stance.{alt}",
            f"Regulator's signalled stance on {alt} in DC plans: -1 warned against, "
            "0 neutral, +1 encouraged.",
            "stance -1..1",
            "float",
            _STANCE_BASELINE[alt][0],
            _STANCE_BASELINE[alt][1],
            valid=(-1.0, 1.0),
        )
        for alt in ALTERNATIVES
    ]


def _allow_levers() -> list[Lever]:
    return [
        Lever(
            f"allow.{channel}.{alt}",
            f"Whether {alt} may be offered through the {channel} channel.",
            "bool",
            "bool",
            True,
            _ERISA,
        )
        for channel in ALT_CHANNELS
        for alt in ALTERNATIVES
    ]


def _cap_levers() -> list[Lever]:
    sleeves = [
        Lever(
            f"cap.sleeve.{alt}",
            f"Maximum share of an allocation fund (TDF) held in {alt}.",
            "fraction",
            "float",
            1.0,
            "no legal cap before 2025",
            valid=(0.0, 1.0),
        )
        for alt in ALTERNATIVES
    ]
    return sleeves + [
        Lever(
            "cap.sleeve_total",
            "Maximum total alternatives share of an allocation fund.",
            "fraction",
            "float",
            1.0,
            "no legal cap before 2025",
            valid=(0.0, 1.0),
        ),
        Lever(
            "cap.account",
            "Maximum share of one saver's account in alternatives across all channels.",
            "fraction",
            "float",
            1.0,
            "no legal cap before 2025",
            valid=(0.0, 1.0),
        ),
    ]


def _other_levers() -> list[Lever]:
    return [
        Lever(
            "safe_harbor.strength",
            "Legal protection for a documented selection process: 0 none, "
            "1 full presumption of prudence.",
            "fraction",
            "float",
            0.0,
            "no safe harbor before the 2026 proposal (RIN 1210-AC38)",
            valid=(0.0, 1.0),
        ),
        Lever(
            "litigation.climate",
            "Multiplier on the hazard of excess-fee lawsuits; 1 = the 2016-2024 average "
            "(~55 suits a year).",
            "multiplier",
            "float",
            1.0,
            "Encore/Euclid Fiduciary excess-fee litigation summaries",
            valid=(0.0, 10.0),
            warn=(0.0, 3.0),
        ),
        Lever(
            "litigation.dismissal.fees",
            "Share of excess-fee and prohibited-transaction suits dismissed with prejudice "
            "on the motion to dismiss; the others go on to settlement or judgment.",
            "fraction",
            "float",
            0.17,
            "Euclid Fiduciary 2023 mid-year review: 8 of 46 rulings dismissed with prejudice "
            "(sponsors won ~30% of motions, most without prejudice and refiled)",
            valid=(0.0, 1.0),
        ),
        Lever(
            "litigation.dismissal.alternatives",
            "Share of suits over a plan's alternative investments (their losses against a "
            "benchmark) dismissed with prejudice on the motion to dismiss.",
            "fraction",
            "float",
            0.17,
            "model assumption: no pleading standard of its own before 2025, so the fee "
            "suits' share (Euclid Fiduciary 2023 mid-year)",
            valid=(0.0, 1.0),
        ),
        Lever(
            "fee_cap.annual",
            "Maximum total annual expense ratio of any alternative-bearing option; "
            "inf means no cap.",
            "fraction per year",
            "float",
            math.inf,
            "no fee cap in ERISA",
            valid=(0.0, math.inf),
            warn=(0.0, 0.05),
        ),
        Lever(
            "liquidity.gate_quarterly",
            "Maximum share of an illiquid sleeve redeemable per quarter.",
            "fraction per quarter",
            "float",
            0.05,
            "Blackstone BXPE repurchase terms, up to 5% of NAV per quarter (SEC filings)",
            valid=(0.0, 1.0),
        ),
        Lever(
            "eligibility.min_participants",
            "Plans with fewer participants may not offer alternatives.",
            "participants",
            "int",
            0,
            "no size limit in ERISA",
            valid=(0, math.inf),
        ),
        Lever(
            "disclosure.enhanced",
            "Whether enhanced fee/liquidity/valuation disclosure is required.",
            "bool",
            "bool",
            False,
            "29 CFR 2550.404a-5 participant disclosure only",
        ),
        Lever(
            "auto_enrollment.adoption_boost",
            "Extra annual probability that a sponsor without auto-enrollment adopts it "
            "at review (e.g. the Pension Protection Act 2006 safe harbor).",
            "probability per year",
            "float",
            0.0,
            "baseline: no new push beyond behaviour calibrated to 2024",
            valid=(0.0, 1.0),
        ),
        Lever(
            "auto_enrollment.new_plan_mandate",
            "Whether 401(k) plans formed after the scenario's `secure2_established_after` "
            "date must auto-enroll new hires at 3-10% with 1-point annual escalation "
            "(employers of 10 or fewer employees and businesses under 3 years old exempt).",
            "bool",
            "bool",
            False,
            "IRC §414A, SECURE 2.0 Act §101 (Consolidated Appropriations Act 2023, enacted "
            "Dec 29 2022): applies from plan years beginning after Dec 31 2024, so off at end-2024",
        ),
        Lever(
            "qdia.designation",
            "Kind of fund the rules sanction as the default investment (plans move to it at their "
            "reviews); \"none\": no kind sanctioned, plans keep theirs.",
            "choice",
            "choice",
            "tdf",
            "DOL QDIA regulation, 29 CFR 2550.404c-5 (effective Dec 24 2007)",
            choices=QDIA_CHOICES,
        ),
    ]


_PROPOSAL = "Proposed 29 CFR 2550.404a-6, RIN 1210-AC38 (Mar 31 2026)"
_OFF = "no safe harbor before the 2026 proposal: the criterion is off"


def _safe_harbor_factor_levers() -> list[Lever]:
    """The proposed safe harbor's six factors, each as the criterion a sponsor's documented
    process applies to a product (ODD §7.8, safe harbor). A product that meets all six at a
    plan is covered by `safe_harbor.strength`; the baseline values meet every product."""
    return [
        Lever(
            "safe_harbor.performance.min_excess_annual",
            "Performance factor: the product's risk-adjusted expected return over its "
            "benchmark, net of fees, must be at least this (-1: no criterion).",
            "return a year",
            "float",
            -1.0,
            f"{_OFF}; {_PROPOSAL}, performance: risk-adjusted expected returns, net of fees, further the plan's purposes",
            valid=(-1.0, 1.0),
        ),
        Lever(
            "safe_harbor.fees.max_annual",
            "Fees factor: the product's total expense ratio must not exceed this (inf: no criterion).",
            "fraction per year",
            "float",
            math.inf,
            f"{_OFF}; {_PROPOSAL}, fees (h): appropriate given risk-adjusted returns and a reasonable number of similar alternatives",
            valid=(0.0, math.inf),
            warn=(0.0, 0.05),
        ),
        Lever(
            "safe_harbor.liquidity.max_illiquid_share",
            "Liquidity factor: the product's share in illiquid assets must not exceed this "
            "(1: no criterion).",
            "fraction",
            "float",
            1.0,
            f"{_OFF}; {_PROPOSAL}, liquidity: sufficient to meet the plan's and participants' anticipated needs",
            valid=(0.0, 1.0),
        ),
        Lever(
            "safe_harbor.valuation.max_appraised_share",
            "Valuation factor: the product's share valued by appraisal rather than market "
            "prices must not exceed this (1: no criterion).",
            "fraction",
            "float",
            1.0,
            f"{_OFF}; {_PROPOSAL}, valuation: capable of being timely and accurately valued",
            valid=(0.0, 1.0),
        ),
        *[
            Lever(
                f"safe_harbor.benchmark.{alt}",
                f"Benchmark factor: {alt} has a meaningful benchmark (similar mandate, strategy, "
                "objectives and risks).",
                "bool",
                "bool",
                True,
                f"{_OFF}; {_PROPOSAL}, performance benchmark: a meaningful benchmark",
            )
            for alt in ALTERNATIVES
        ],
        Lever(
            "safe_harbor.complexity.min_governance",
            "Complexity factor: a plan without an investment consultant must have at least "
            "this governance quality (0..1) to understand the product (0: no criterion).",
            "governance 0..1",
            "float",
            0.0,
            f"{_OFF}; {_PROPOSAL}, complexity: the fiduciary's knowledge and skills, or a qualified professional's help",
            valid=(0.0, 1.0),
        ),
    ]


def _registry() -> Mapping[str, Lever]:
    levers = _stance_levers() + _allow_levers() + _cap_levers() + _other_levers() + _safe_harbor_factor_levers()
    return MappingProxyType({lever.name: lever for lever in levers})


LEVERS: Final[Mapping[str, Lever]] = _registry()
"""Every registered lever by dotted name, in a stable order."""


def get_lever(name: str) -> Lever:
    """Return the registered lever `name`; raise KeyError naming close matches if unknown."""
    try:
        return LEVERS[name]
    except KeyError:
        head = name.split(".")[0]
        near = [n for n in LEVERS if n.startswith(head + ".")][:8]
        hint = f"; levers starting {head!r}: {near}" if near else ""
        raise KeyError(f"unknown lever {name!r}{hint}") from None


def expand(pattern: str) -> tuple[str, ...]:
    """Expand a lever name with an optional trailing ``.*`` wildcard to registered names.

    ``allow.window.*`` names the five window levers; a name without a wildcard expands to
    itself. Raise KeyError when nothing registered matches, so typos never pass silently.
    """
    if pattern.endswith(".*"):
        prefix = pattern[:-1]
        names = tuple(n for n in LEVERS if n.startswith(prefix))
        if not names:
            raise KeyError(f"wildcard {pattern!r} matches no registered lever")
        return names
    if "*" in pattern:
        raise KeyError(f"only a trailing '.*' wildcard is allowed (got {pattern!r})")
    return (get_lever(pattern).name,)


def baseline_values() -> dict[str, LeverValue]:
    """Fresh dict of every lever's end-2024 baseline value, by name."""
    return {name: lever.baseline for name, lever in LEVERS.items()}


def unsourced_levers() -> list[str]:
    """Names of levers whose baseline source is still marked "TODO"."""
    return [name for name, lever in LEVERS.items() if "TODO" in lever.source]
