"""Regulatory variants as dated data: scenario files, their timelines and the state in force.

ODD §7.1. As in Tax-Calculator and PolicyEngine, a reform is a delta with a header and dated provisions.
A scenario is a TOML file listing only the lever changes it makes, each with an effective
date and a source; `based_on` starts from another scenario's changes. Loading validates the
file structure with pydantic (unknown keys rejected) and every value against the lever
registry (`model/levers.py`); every problem becomes one `InputError(file, field, message)`.
`Scenario.state_at(date)` folds the changes in force on that date over the end-2024
baseline into a `PolicyState`, which agents read once a month.
"""

from __future__ import annotations

import datetime as dt
import importlib.resources
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pydantic
from alt401k.base.assets import ALT_CHANNELS, ALTERNATIVES, ILLIQUID
from alt401k.model import levers
from alt401k.model.errors import InputError, from_validation_error, read_toml
from alt401k.model.levers import LeverValue
from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

# ----------------------------------------------------------------------------- state


@dataclass(frozen=True)
class PolicyState:
    """The regulatory regime in force on one date (every lever resolved to a value).

    Field units follow the lever registry: stances in [-1, 1], caps and rates as fractions,
    `fee_cap_annual` may be ``inf`` (no cap). `allowed` is keyed (channel, alternative).
    """

    stance: dict[str, float]
    allowed: dict[tuple[str, str], bool]
    sleeve_cap: dict[str, float]
    sleeve_cap_total: float
    account_cap: float
    safe_harbor: float
    litigation_climate: float
    fee_cap_annual: float
    gate_quarterly: float
    min_plan_participants: int
    enhanced_disclosure: bool
    auto_enrollment_boost: float
    qdia: str
    dismissal_fee_claims: float
    """Share of fee suits dismissed on the motion (`litigation.dismissal.fees`)."""
    dismissal_alternative_claims: float
    """Share of suits over alternatives dismissed on the motion (`litigation.dismissal.alternatives`)."""
    harbor_factors: HarborFactors | None = None
    """The safe harbor's six factors (`safe_harbor.*` criteria); None: none (every product
    meets them)."""
    platforms: tuple[Platform, ...] | None = None
    """Recordkeepers' platform entries in force (ODD §7.8, platforms); None: the scenario
    gives no platform data and every platform carries every product."""
    new_plan_mandate: bool = False
    """The SECURE 2.0 auto-enrollment mandate for newly formed plans is in force
    (`auto_enrollment.new_plan_mandate`; ODD §7.12)."""

    @classmethod
    def from_values(cls, values: Mapping[str, LeverValue],
                    platforms: tuple[Platform, ...] | None = None) -> PolicyState:
        """Build the state from a complete {lever name: value} mapping (and the platform
        entries in force, if the scenario has any)."""
        return cls(
            stance={alt: values[f"stance.{alt}"] for alt in ALTERNATIVES},
            allowed={
                (ch, alt): values[f"allow.{ch}.{alt}"]
                for ch in ALT_CHANNELS
                for alt in ALTERNATIVES
            },
            sleeve_cap={alt: values[f"cap.sleeve.{alt}"] for alt in ALTERNATIVES},
            sleeve_cap_total=values["cap.sleeve_total"],
            account_cap=values["cap.account"],
            safe_harbor=values["safe_harbor.strength"],
            litigation_climate=values["litigation.climate"],
            fee_cap_annual=values["fee_cap.annual"],
            gate_quarterly=values["liquidity.gate_quarterly"],
            min_plan_participants=values["eligibility.min_participants"],
            enhanced_disclosure=values["disclosure.enhanced"],
            auto_enrollment_boost=values["auto_enrollment.adoption_boost"],
            qdia=values["qdia.designation"],
            dismissal_fee_claims=values["litigation.dismissal.fees"],
            dismissal_alternative_claims=values["litigation.dismissal.alternatives"],
            harbor_factors=HarborFactors.from_values(values),
            platforms=platforms,
            new_plan_mandate=values["auto_enrollment.new_plan_mandate"],
        )

    @classmethod
    def baseline(cls) -> PolicyState:
        """The end-2024 regime: every lever at its registered baseline."""
        return cls.from_values(levers.baseline_values())

    def offers_allowed(self, channel: str, alt: str, plan_participants: int) -> bool:
        """Whether a plan of `plan_participants` may offer `alt` through `channel`.

        Combines the per-channel permission with the plan-size eligibility floor.
        Raises KeyError for a (channel, alt) pair that is not a policy lever.
        """
        return self.allowed[(channel, alt)] and plan_participants >= self.min_plan_participants

    def platform_carries(self, recordkeeper: npt.NDArray[np.int32], channel: str) -> npt.NDArray[np.bool_]:
        """Whether each plan's recordkeeper (ids 0, 1, ... by falling market share, so id
        r is rank r + 1) carries each alternative class through `channel`, shape
        (len(recordkeeper), len(ALTERNATIVES)). Everything where the scenario gives no
        platform data, and in channels the platforms do not govern (windows)."""
        out = np.zeros((recordkeeper.shape[0], len(ALTERNATIVES)), dtype=bool)
        if self.platforms is None or channel not in PLATFORM_CHANNELS:
            out[:] = True
            return out
        for entry in self.platforms:
            if channel not in entry.channels:
                continue
            rows = (np.ones(recordkeeper.shape[0], dtype=bool) if entry.ranks is None
                    else np.isin(recordkeeper + 1, entry.ranks))
            cols = np.array([a in entry.classes for a in ALTERNATIVES])
            out |= rows[:, None] & cols[None, :]
        return out

    def managed_service(self, recordkeeper: npt.NDArray[np.int32]) -> npt.NDArray[np.bool_]:
        """Whether each plan's recordkeeper offers a managed-account service (ODD §7.14): from
        the `managed_account` platform entries in force; every recordkeeper where the
        scenario gives no platform data."""
        if self.platforms is None:
            return np.ones(recordkeeper.shape[0], dtype=bool)
        out = np.zeros(recordkeeper.shape[0], dtype=bool)
        for entry in self.platforms:
            if MANAGED_CHANNEL in entry.channels:
                out |= np.ones(recordkeeper.shape[0], dtype=bool) if entry.ranks is None else np.isin(
                    recordkeeper + 1, entry.ranks)
        return out

    def managed_sleeve(self, recordkeeper: npt.NDArray[np.int32]) -> npt.NDArray[np.bool_]:
        """The private-market classes each plan's recordkeeper holds in its managed accounts'
        sleeve, shape (len(recordkeeper), len(ALTERNATIVES)) (ODD §7.14): from the
        `managed_account` entries in force; none where the scenario gives no platform data
        (no sleeve existed before the 2025 launches, so the historical runs have none)."""
        out = np.zeros((recordkeeper.shape[0], len(ALTERNATIVES)), dtype=bool)
        if self.platforms is None:
            return out
        for entry in self.platforms:
            if MANAGED_CHANNEL not in entry.channels:
                continue
            rows = (np.ones(recordkeeper.shape[0], dtype=bool) if entry.ranks is None
                    else np.isin(recordkeeper + 1, entry.ranks))
            cols = np.array([a in entry.classes and a in ILLIQUID for a in ALTERNATIVES])
            out |= rows[:, None] & cols[None, :]
        return out


@dataclass(frozen=True)
class HarborFactors:
    """The criteria of the proposed safe harbor's six factors (ODD §7.8; levers
    `safe_harbor.*`): what a sponsor's documented process requires of a product."""

    min_excess_annual: float
    """Performance: risk-adjusted expected return over the benchmark, net of fees."""
    max_fee_annual: float
    """Fees: total expense ratio."""
    max_illiquid_share: float
    """Liquidity: share in illiquid assets."""
    max_appraised_share: float
    """Valuation: share valued by appraisal."""
    benchmarked: tuple[bool, ...]
    """Benchmark: per alternative class (order of ALTERNATIVES), a meaningful benchmark exists."""
    min_governance: float
    """Complexity: governance a plan without a consultant needs."""

    @classmethod
    def from_values(cls, values: Mapping[str, LeverValue]) -> HarborFactors:
        """The criteria from a complete {lever name: value} mapping."""
        return cls(
            min_excess_annual=float(values["safe_harbor.performance.min_excess_annual"]),
            max_fee_annual=float(values["safe_harbor.fees.max_annual"]),
            max_illiquid_share=float(values["safe_harbor.liquidity.max_illiquid_share"]),
            max_appraised_share=float(values["safe_harbor.valuation.max_appraised_share"]),
            benchmarked=tuple(bool(values[f"safe_harbor.benchmark.{a}"]) for a in ALTERNATIVES),
            min_governance=float(values["safe_harbor.complexity.min_governance"]),
        )


PLATFORM_CHANNELS = ("default_fund", "standalone")
"""Channels whose products a recordkeeper's platform must carry (a brokerage window
carries what the brokerage does)."""
MANAGED_CHANNEL = "managed_account"
"""The platform channel of the recordkeeper's managed-account service (ODD §7.14): an entry
names the private-market classes of the service's sleeve, or none (`classes = []`) for
the service alone."""


@dataclass(frozen=True)
class Platform:
    """One dated platform entry: from `effective`, recordkeepers of market-share `ranks`
    (1 = largest; None: all) carry the alternative `classes` in `channels` (ODD §7.8)."""

    ranks: tuple[int, ...] | None
    channels: tuple[str, ...]
    classes: tuple[str, ...]
    effective: dt.date
    source: str
    origin: str = ""

    def to_dict(self) -> dict[str, Any]:
        """Plain-data form for run manifests."""
        return {"recordkeepers": "all" if self.ranks is None else list(self.ranks), "channels": list(self.channels),
                "classes": list(self.classes), "effective": self.effective.isoformat(), "source": self.source,
                "origin": self.origin}


def baseline() -> PolicyState:
    """The end-2024 regime (same as `PolicyState.baseline()`)."""
    return PolicyState.baseline()


# ----------------------------------------------------------------------------- scenario


@dataclass(frozen=True)
class Change:
    """One dated lever setting, resolved (no wildcard, no parameter reference).

    `origin` is the name of the scenario file that made the change (for manifests).
    """

    lever: str
    value: LeverValue
    effective: dt.date
    source: str
    origin: str
    where: str = field(default="", compare=False)
    """File and field that set the date (``"FILE: changes[3].effective"``), for messages;
    not part of the change's identity, nor of manifests."""

    def to_dict(self) -> dict[str, Any]:
        """Plain-data form for run manifests (date as ISO string)."""
        return {
            "lever": self.lever,
            "value": self.value,
            "effective": self.effective.isoformat(),
            "source": self.source,
            "origin": self.origin,
        }


@dataclass(frozen=True)
class Scenario:
    """A regulatory variant: header plus a date-sorted timeline of lever changes.

    `changes` is fully resolved: the `based_on` chain merged (base first), wildcards
    expanded, `@parameter` references replaced by dates, and stably sorted by date, so a
    later file's change on the same date overrides its base's.
    """

    name: str
    title: str
    description: str
    source_path: Path
    parameters: dict[str, dt.date]
    changes: tuple[Change, ...]
    author: str = ""
    based_on: tuple[str, ...] = ()
    references: tuple[str, ...] = ()
    provisions: tuple[str, ...] = ()
    platforms: tuple[Platform, ...] | None = None
    """Recordkeepers' platform entries (`[[platforms]]`); None: the file chain has none."""

    def state_at(self, date: dt.date) -> PolicyState:
        """Regime in force on `date`: baseline, then each change effective on or before it;
        the platform entries in force on `date`."""
        values = levers.baseline_values()
        for change in self.changes:
            if change.effective > date:
                break  # changes are sorted by date
            values[change.lever] = change.value
        platforms = None if self.platforms is None else tuple(p for p in self.platforms if p.effective <= date)
        return PolicyState.from_values(values, platforms)

    def to_dict(self) -> dict[str, Any]:
        """Plain-data form for run manifests (dates as ISO strings; no-cap fee as inf)."""
        return {
            "name": self.name,
            "title": self.title,
            "description": self.description,
            "author": self.author,
            "source_path": str(self.source_path),
            "based_on": list(self.based_on),
            "references": list(self.references),
            "provisions": list(self.provisions),
            "parameters": {k: v.isoformat() for k, v in self.parameters.items()},
            "changes": [c.to_dict() for c in self.changes],
            "platforms": None if self.platforms is None else [p.to_dict() for p in self.platforms],
        }


class LeverDateWarning(UserWarning):
    """A scenario change is dated outside the run: in force from its start, or never."""


def month_start(start: dt.date, months: int) -> dt.date:
    """First day of the month `months` after the month of `start` (the model's calendar)."""
    y, m = divmod(start.month - 1 + months, 12)
    return dt.date(start.year + y, m + 1, 1)


def dates_outside_run(scenario: Scenario, start: dt.date, n_months: int) -> list[str]:
    """One sentence per scenario entry whose effective date lies outside the run.

    The model reads the policy on the first day of each month from `start`: a change dated
    before `start` is in force from the first month (its date is lost), and one dated after
    the first day of the last month never takes effect. Both are legal (a base scenario's
    history, a long-range reform in a short run) but often a typo, so the user is told.
    Entries are named by file and field; a wildcard's levers share one sentence.
    """
    first, last = month_start(start, 0), month_start(start, n_months - 1)
    grouped: dict[tuple[str, dt.date], list[str]] = {}
    for change in scenario.changes:
        if not first <= change.effective <= last:
            where = change.where or f"{change.origin}: {change.lever}"
            grouped.setdefault((where, change.effective), []).append(change.lever)
    out = []
    for (where, effective), names in grouped.items():
        subject = f"lever {names[0]}" if len(names) == 1 else f"levers {', '.join(names)}"
        if effective < first:
            when = f"is before the run starts ({first:%Y-%m}), so it is in force from the first month"
        else:
            when = f"is after the run's last month ({last:%Y-%m}), so it never takes effect"
        out.append(f"{where}: {subject} effective {effective.isoformat()} {when}")
    return out


def warn_dates_outside_run(scenario: Scenario, start: dt.date, n_months: int) -> None:
    """Emit a `LeverDateWarning` for each sentence of `dates_outside_run`."""
    for message in dates_outside_run(scenario, start, n_months):
        warnings.warn(message, LeverDateWarning, stacklevel=2)


# ----------------------------------------------------------------------------- file schema


class _ChangeFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    lever: str
    value: Any
    effective: dt.date | str
    source: str = Field(min_length=1)

    @field_validator("effective", mode="before")
    @classmethod
    def _date_or_reference(cls, value: Any) -> Any:
        # TOML datetimes are dates too; reject them (and quoted ISO strings) so that an
        # effective date is always a plain, unambiguous TOML date.
        if isinstance(value, dt.datetime):
            raise ValueError("must be a date without a time")
        if isinstance(value, dt.date) or (isinstance(value, str) and value.startswith("@")):
            return value
        raise ValueError("must be a TOML date (2025-05-28, unquoted) or '@parameter'")

    @field_validator("source")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip() or value.strip().upper() == "TODO":
            raise ValueError("every change needs a real source")
        return value


class _PlatformFile(BaseModel):
    """A `[[platforms]]` entry: which recordkeepers carry which alternatives, from when."""

    model_config = ConfigDict(extra="forbid")

    recordkeepers: Any
    """'all' or a list of market-share ranks (1 = largest)."""
    channels: list[Literal["default_fund", "standalone", "managed_account"]] = Field(min_length=1)
    classes: list[str]
    effective: dt.date | str
    source: str = Field(min_length=1)

    _date_or_reference = field_validator("effective", mode="before")(_ChangeFile._date_or_reference.__func__)
    _not_blank = field_validator("source")(_ChangeFile._not_blank.__func__)

    @field_validator("recordkeepers", mode="before")
    @classmethod
    def _ranks(cls, value: Any) -> Any:
        ok = value == "all" or (isinstance(value, list) and value
                                and all(isinstance(r, int) and not isinstance(r, bool) and r >= 1 for r in value))
        if not ok:
            raise ValueError(f"must be \"all\" or a non-empty list of market-share ranks (1 = largest), got {value!r}")
        return value

    @field_validator("classes")
    @classmethod
    def _known_classes(cls, value: list[str], info: ValidationInfo) -> list[str]:
        unknown = [c for c in value if c != "*" and c not in ALTERNATIVES]
        if unknown:
            raise ValueError(f"unknown alternative class {unknown[0]!r}; known: {list(ALTERNATIVES)} or '*'")
        channels = info.data.get("channels") or []
        managed_only = bool(channels) and set(channels) == {MANAGED_CHANNEL}
        if not value and not managed_only:
            raise ValueError("must name at least one class (an empty list only for a managed_account-only entry)")
        not_private = [c for c in value if c not in ("*", *ILLIQUID)]
        if MANAGED_CHANNEL in channels and not_private:
            raise ValueError(f"a managed account's sleeve holds private markets only {list(ILLIQUID)} or '*', "
                             f"got {not_private[0]!r}")
        return value


class _ScenarioFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1)
    description: str = Field(min_length=1)
    author: str = ""
    based_on: str | None = None
    drop: list[str] = []
    references: list[str] = []
    provisions: list[str] = []
    parameters: dict[str, dt.date] = {}
    changes: list[_ChangeFile] = []
    platforms: list[_PlatformFile] | None = None


@dataclass(frozen=True)
class _RawChange:
    """A change as written, with where it came from (for error messages)."""

    levers: tuple[str, ...]
    values: tuple[LeverValue, ...]
    effective: dt.date | str
    source: str
    path: Path
    index: int
    origin: str


@dataclass
class _Chain:
    """Accumulated contents of a based_on chain while loading (base first)."""

    names: list[str] = field(default_factory=list)
    parameters: dict[str, dt.date] = field(default_factory=dict)
    changes: list[_RawChange] = field(default_factory=list)
    platforms: list[tuple[Path, int, _PlatformFile]] | None = None
    """Platform entries of the chain (a file's list adds to its base's), with file and index."""
    top: _ScenarioFile | None = None  # header of the last file read: the one asked for


# ----------------------------------------------------------------------------- loading


def _scenarios_dir() -> Path:
    return Path(str(importlib.resources.files("alt401k.experiments") / "scenarios"))


def list_scenarios() -> list[tuple[str, str]]:
    """(name, description) of every bundled scenario file, sorted by name."""
    out = []
    for path in sorted(_scenarios_dir().glob("*.toml")):
        out.append((path.stem, _parse(path).description))
    return out


def _is_path(name_or_path: str | Path) -> bool:
    if isinstance(name_or_path, Path):
        return True
    return "/" in name_or_path or "\\" in name_or_path or Path(name_or_path).suffix != ""


def _locate(
    name_or_path: str | Path, relative_to: Path | None, source: str | Path, field_name: str
) -> Path:
    """Resolve a bare bundled name or a path (relative to the referring file) to a file."""
    if _is_path(name_or_path):
        path = Path(name_or_path)
        if relative_to is not None and not path.is_absolute():
            path = relative_to.parent / path
        return path
    path = _scenarios_dir() / f"{name_or_path}.toml"
    if not path.is_file():
        names = [p.stem for p in sorted(_scenarios_dir().glob("*.toml"))]
        raise InputError(
            source,
            field_name,
            f"unknown scenario {str(name_or_path)!r}; bundled scenarios: {names}",
        )
    return path


def _parse(path: Path) -> _ScenarioFile:
    data = read_toml(path, "scenario file")
    try:
        return _ScenarioFile.model_validate(data)
    except pydantic.ValidationError as err:
        raw = from_validation_error(path, err)
        loc = err.errors()[0]["loc"]
        raise InputError(path, _field_name(loc), raw.message) from None


def _field_name(loc: tuple[int | str, ...]) -> str:
    """pydantic location ('changes', 3, 'value') -> 'changes[3].value'."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _check_values(path: Path, index: int, change: _ChangeFile) -> _RawChange:
    where = f"changes[{index}]"
    try:
        names = levers.expand(change.lever)
    except KeyError as err:
        raise InputError(path, f"{where}.lever", err.args[0]) from None
    values = []
    for name in names:
        try:
            values.append(levers.LEVERS[name].check(change.value, f"{path}: {where}.value"))
        except ValueError as err:
            raise InputError(path, f"{where}.value", str(err)) from None
    return _RawChange(names, tuple(values), change.effective, change.source, path, index, path.stem)


def _drop_levers(path: Path, patterns: list[str]) -> set[str]:
    dropped: set[str] = set()
    for i, pattern in enumerate(patterns):
        try:
            dropped.update(levers.expand(pattern))
        except KeyError as err:
            raise InputError(path, f"drop[{i}]", err.args[0]) from None
    return dropped


def _load_chain(path: Path, seen: tuple[Path, ...]) -> _Chain:
    """Read `path` and, first, everything it is based on; detect cycles by resolved path."""
    key = path.resolve()
    if key in seen:
        cycle = " -> ".join(p.stem for p in (*seen, key))
        raise InputError(path, "based_on", f"cyclic based_on chain: {cycle}")
    spec = _parse(path)
    if spec.based_on is not None:
        base_path = _locate(spec.based_on, path, path, "based_on")
        chain = _load_chain(base_path, (*seen, key))
    else:
        chain = _Chain()
    dropped = _drop_levers(path, spec.drop)
    chain.changes = [_without(c, dropped) for c in chain.changes]
    chain.changes = [c for c in chain.changes if c.levers]
    chain.names.append(path.stem)
    chain.top = spec
    chain.parameters.update(spec.parameters)
    chain.changes += [_check_values(path, i, c) for i, c in enumerate(spec.changes)]
    if spec.platforms is not None:
        chain.platforms = (chain.platforms or []) + [(path, i, p) for i, p in enumerate(spec.platforms)]
    return chain


def _resolve_platforms(chain: _Chain, parameters: dict[str, dt.date]) -> tuple[Platform, ...] | None:
    """The chain's platform entries with concrete dates, sorted by date."""
    if chain.platforms is None:
        return None
    out = []
    for path, i, p in chain.platforms:
        effective = p.effective
        if isinstance(effective, str):
            try:
                effective = parameters[effective[1:]]
            except KeyError:
                raise InputError(path, f"platforms[{i}].effective",
                                 f"unknown parameter {effective!r}; declared: {sorted(parameters)}") from None
        classes = tuple(ALTERNATIVES) if "*" in p.classes else tuple(p.classes)
        ranks = None if p.recordkeepers == "all" else tuple(p.recordkeepers)
        out.append(Platform(ranks, tuple(p.channels), classes, effective, p.source, path.stem))
    return tuple(sorted(out, key=lambda q: q.effective))


def _without(change: _RawChange, dropped: set[str]) -> _RawChange:
    keep = [i for i, name in enumerate(change.levers) if name not in dropped]
    return _RawChange(
        tuple(change.levers[i] for i in keep),
        tuple(change.values[i] for i in keep),
        change.effective,
        change.source,
        change.path,
        change.index,
        change.origin,
    )


def _override(
    path: Path, parameters: dict[str, dt.date], overrides: Mapping[str, Any]
) -> dict[str, dt.date]:
    """Apply user overrides to the declared parameters (dates or ISO date strings)."""
    merged = dict(parameters)
    for name, value in overrides.items():
        if name not in parameters:
            raise InputError(
                path,
                f"parameters.{name}",
                f"unknown parameter; this scenario declares {sorted(parameters)}",
            )
        merged[name] = _as_date(path, name, value)
    return merged


def _as_date(path: Path, name: str, value: Any) -> dt.date:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise InputError(path, f"parameters.{name}", f"must be a date YYYY-MM-DD (got {value!r})")


def _resolve(chain: _Chain, parameters: dict[str, dt.date]) -> tuple[Change, ...]:
    """Expand raw changes to one `Change` per lever with a concrete date, sorted by date."""
    out = []
    for raw in chain.changes:
        effective = raw.effective
        if isinstance(effective, str):
            try:
                effective = parameters[effective[1:]]
            except KeyError:
                raise InputError(
                    raw.path,
                    f"changes[{raw.index}].effective",
                    f"unknown parameter {effective!r}; declared: {sorted(parameters)}",
                ) from None
        where = f"{raw.path}: changes[{raw.index}].effective"
        if isinstance(raw.effective, str):
            where += f" ({raw.effective} = {effective.isoformat()})"
        out += [
            Change(name, value, effective, raw.source, raw.origin, where)
            for name, value in zip(raw.levers, raw.values, strict=True)
        ]
    # Stable sort: on one date, base changes precede derived ones, so the derived file wins.
    return tuple(sorted(out, key=lambda c: c.effective))


def load_scenario(
    name_or_path: str | Path, parameters: Mapping[str, Any] | None = None
) -> Scenario:
    """Load, validate and resolve a scenario file.

    Parameters
    ----------
    name_or_path
        A bundled scenario name (``"eo-14330"``, looked up in ``experiments/scenarios``) or,
        if it has a suffix or a slash, a path to a TOML file.
    parameters
        Overrides for the scenario's ``[parameters]`` dates (date or ``"YYYY-MM-DD"``); an
        undeclared name raises `InputError`.

    Returns
    -------
    Scenario
        With the based_on chain merged and every change resolved and sorted by date.

    Raises
    ------
    InputError
        For any unreadable, malformed or invalid file in the chain, naming file and field.
    """
    path = _locate(name_or_path, None, name_or_path, "")
    chain = _load_chain(path, ())
    spec = chain.top
    assert spec is not None
    resolved = _override(path, chain.parameters, parameters or {})
    return Scenario(
        name=path.stem,
        title=spec.title,
        description=spec.description,
        source_path=path,
        parameters=resolved,
        changes=_resolve(chain, resolved),
        author=spec.author,
        based_on=tuple(chain.names[:-1]),
        references=tuple(spec.references),
        provisions=tuple(spec.provisions),
        platforms=_resolve_platforms(chain, resolved),
    )


__all__ = [
    "Change",
    "HarborFactors",
    "LeverDateWarning",
    "Platform",
    "PolicyState",
    "Scenario",
    "baseline",
    "dates_outside_run",
    "list_scenarios",
    "load_scenario",
    "month_start",
    "warn_dates_outside_run",
]
