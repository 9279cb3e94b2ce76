"""Sweep spec files: what a sweep runs, validated before anything is written.

docs/sweeps.md, in the EMA workbench's vocabulary. A spec names the regulatory *scenarios*,
the *levers* (policy settings from the lever registry, `model/levers.py`), the
*uncertainties* (behavioural and market parameters, dotted `RunConfig` keys), the
*constants*, the *design* that turns them into *design points* (grid, Latin hypercube,
Sobol, Morris; samples come from SALib), the *replications* (seeds) and the *outputs*.
Every problem becomes one `InputError(spec file, field, message)`.

A factor (lever or uncertainty) is either a list of values, crossed as a grid, or a table
``{ bounds = [low, high], dist = "unif" }`` sampled by the design. Dotted names may be
quoted (``"saver.return_chasing" = ...``) or written as nested TOML tables.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import itertools
import json
import math
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pydantic
from pydantic import BaseModel, ConfigDict, Field, model_validator

from ..model.errors import InputError, from_validation_error, read_toml

Design = Literal["grid", "latin", "sobol", "morris"]
Summary = Literal["last", "mean", "sum", "min", "max"]
FACTOR_KEYS = frozenset({"bounds", "values", "dist"})
DERIVED_COLUMNS = ("assets_usd__alternatives", "assets_usd2025__alternatives")
"""Output columns computed from the recorder's series (see `derived_columns`)."""


class Factor(BaseModel):
    """One varied input: grid `values`, or `bounds` sampled with distribution `dist`.

    For ``dist = "norm"`` the bounds are (mean, standard deviation); for ``"lognorm"``
    (log-mean, log-sd); for ``"triang"`` (low, high) with the mode at the midpoint.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    values: list[float | int | bool | str] | None = Field(default=None, min_length=1)
    bounds: tuple[float, float] | None = None
    dist: Literal["unif", "triang", "norm", "lognorm"] = "unif"

    @model_validator(mode="after")
    def _one_of(self) -> Factor:
        if (self.values is None) == (self.bounds is None):
            raise ValueError("give either values = [...] or bounds = [low, high]")
        if self.bounds is not None:
            low, high = self.bounds
            if not (math.isfinite(low) and math.isfinite(high)):
                raise ValueError(f"bounds must be finite (got {list(self.bounds)})")
            if self.dist in ("unif", "triang") and not low < high:
                raise ValueError(f"bounds reversed or empty: low {low} must be below high {high}")
            if self.dist in ("norm", "lognorm") and not high > 0:
                raise ValueError("for a normal distribution bounds = [mean, sd] with sd > 0")
        return self

    @property
    def is_sampled(self) -> bool:
        """Whether the design samples this factor (bounds) rather than crossing it (values)."""
        return self.bounds is not None


class Outputs(BaseModel):
    """Which series to keep: every `every`-th month of `monthly`, and per-run `horizon` summaries."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    monthly: list[str] = []
    horizon: dict[str, Summary] = {}
    every: int = Field(default=1, ge=1, le=1200)
    horizon_table: bool = False
    """Also keep each run's horizon table (wealth and replacement rates by income quintile
    and age group, `model.reporters.horizon_table`) under tables/run-NNNNNN.parquet."""


class SweepSpec(BaseModel):
    """A validated sweep spec file (structure only; see `load_spec` for the semantic checks)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    title: str = ""
    description: str = ""
    scenarios: list[str] = Field(min_length=1)
    design: Design = "grid"
    n_samples: int | None = Field(default=None, ge=1, le=1_000_000)
    """Base sample size: Latin hypercube points, or N of Saltelli's N(D + 2) Sobol points."""
    n_trajectories: int | None = Field(default=None, ge=2, le=100_000)
    """Morris trajectories (each has D + 1 points)."""
    num_levels: int = Field(default=4, ge=2, le=100)
    """Grid levels of the Morris design."""
    replications: int = Field(default=1, ge=1, le=100_000)
    master_seed: int = Field(default=20250807, ge=0)
    years: int = Field(default=10, ge=1, le=80)
    n_savers: int = Field(default=5_000, ge=100, le=200_000_000)
    n_sponsors: int = Field(default=200, ge=4, le=2_000_000)
    lever_effective: dt.date | None = None
    """Date from which swept lever values hold (default: the run start, 2025-01-01)."""
    market_path: str | None = Field(default=None, pattern=r"^(equity-crash-2008|crypto-winter)@[0-9]+$")
    """A stylised imposed market episode for every run, ``NAME@START_MONTH``
    (`model.market_paths.stylised`); other classes and months keep the seeded draws."""
    levers: dict[str, Factor] = {}
    uncertainties: dict[str, Factor] = {}
    scenario_parameters: dict[str, Factor] = {}
    """Dates of the scenarios' ``[parameters]`` (e.g. ``safe_harbor_effective``), as months
    after the run's start: an uncertain effective date is a distribution over runs
    (`scenario_date`). Its column in the outputs is ``scenario.NAME``, in months."""
    constants: dict[str, Any] = {}
    outputs: Outputs = Outputs()

    @model_validator(mode="after")
    def _design_sizes(self) -> SweepSpec:
        sampled = [n for n, f in (self.levers | self.uncertainties | self.scenario_parameters).items()
                   if f.is_sampled]
        if self.design == "grid" and sampled:
            raise ValueError(f"a grid design needs values = [...], not bounds, for {sampled}")
        if self.design != "grid" and not sampled:
            raise ValueError(f"a {self.design} design needs at least one factor with bounds")
        if self.design in ("latin", "sobol") and self.n_samples is None:
            raise ValueError(f"a {self.design} design needs n_samples")
        if self.design == "morris" and self.n_trajectories is None:
            raise ValueError("a morris design needs n_trajectories")
        if self.market_path is not None and int(self.market_path.split("@")[1]) >= 12 * self.years:
            raise ValueError(f"market_path starts after the horizon ({12 * self.years} months)")
        if not self.outputs.monthly and not self.outputs.horizon:
            raise ValueError("outputs: name at least one monthly or horizon column")
        return self


@dataclass(frozen=True)
class DesignPoint:
    """One combination of lever and uncertainty values; `sample_index` is its SALib row."""

    index: int
    sample_index: int
    levers: tuple[tuple[str, Any], ...]
    uncertainties: tuple[tuple[str, Any], ...]
    parameters: tuple[tuple[str, float], ...] = ()
    """Scenario date parameters, in months after the run's start (`scenario_date`)."""


def scenario_date(start: dt.date, months: float) -> dt.date:
    """The first of the month `months` (rounded down) after `start`: how a sweep's sampled
    scenario parameter becomes a date."""
    y, m = divmod(start.month - 1 + int(months), 12)
    return dt.date(start.year + y, m + 1, 1)


# ----------------------------------------------------------------------------- loading


def _flatten(table: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested TOML tables -> dotted keys, stopping at a factor table or a value list."""
    out: dict[str, Any] = {}
    for key, value in table.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and not (set(value) & FACTOR_KEYS):
            out.update(_flatten(value, name + "."))
        else:
            out[name] = {"values": value} if isinstance(value, list) else value
    return out


def _flat_constants(table: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in table.items():
        if isinstance(value, dict):
            out.update(_flat_constants(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


def read_spec_data(path: Path) -> dict[str, Any]:
    """Parse the TOML file and flatten dotted factor names; InputError if unreadable."""
    data = read_toml(path, "sweep spec")
    for section in ("levers", "uncertainties", "scenario_parameters"):
        if isinstance(data.get(section), dict):
            data[section] = _flatten(data[section])
    if isinstance(data.get("constants"), dict):
        data["constants"] = _flat_constants(data["constants"])
    return data


def spec_hash(data: dict[str, Any]) -> str:
    """SHA-256 of the parsed spec in canonical JSON: comments and layout do not count."""
    text = json.dumps(data, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def load_spec(path: str | Path) -> tuple[SweepSpec, str]:
    """Load, validate and check a sweep spec; return it with its hash.

    Checks beyond the file structure: each scenario loads; each lever is registered and
    every value (or bound) passes its registry check; each uncertainty and constant is a
    scalar `RunConfig` key accepting every value (or both bounds); each output column
    exists. Raises `InputError(path, field, message)` at the first problem.
    """
    path = Path(path)
    data = read_spec_data(path)
    try:
        spec = SweepSpec.model_validate(data)
    except pydantic.ValidationError as err:
        raw = from_validation_error(path, err)
        raise InputError(path, raw.field, raw.message.removeprefix("Value error, ")) from None
    _check_scenarios(spec, path)
    _check_scenario_parameters(spec, path)
    _check_levers(spec, path)
    _check_config_keys(spec, path)
    _check_outputs(spec, path)
    return spec, spec_hash(data)


def _check_scenarios(spec: SweepSpec, path: Path) -> None:
    from ..model.policy import load_scenario

    for i, name in enumerate(spec.scenarios):
        try:
            load_scenario(name)
        except InputError as err:
            raise InputError(path, f"scenarios[{i}]", err.message) from None


def _check_scenario_parameters(spec: SweepSpec, path: Path) -> None:
    """Each scenario parameter is declared by every scenario of the spec, and its months
    (values or bounds) are numbers within the horizon."""
    from ..model.policy import load_scenario

    for name, factor in spec.scenario_parameters.items():
        where = f"scenario_parameters.{name}"
        months = list(factor.bounds) if factor.bounds is not None else list(factor.values or [])
        if not all(isinstance(m, int | float) and not isinstance(m, bool) and 0 <= m <= 12 * spec.years
                   for m in months):
            raise InputError(path, where, f"months after the start, numbers in [0, {12 * spec.years}]")
        for scenario in spec.scenarios:
            try:
                load_scenario(scenario, {name: scenario_date(dt.date(2025, 1, 1), months[0])})
            except InputError as err:
                raise InputError(path, where, f"scenario {scenario!r}: {err.message}") from None


def _check_levers(spec: SweepSpec, path: Path) -> None:
    from ..model import levers

    for name, factor in spec.levers.items():
        where = f"levers.{name}"
        if name not in levers.LEVERS:
            raise InputError(path, where, f"unknown lever {name!r}; see model/levers.py")
        lever = levers.LEVERS[name]
        if factor.is_sampled and lever.kind != "float":
            raise InputError(path, where, f"a {lever.kind} lever takes values = [...], not bounds")
        probes = list(factor.bounds) if factor.bounds is not None else list(factor.values or [])
        for value in probes:
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    lever.check(value, f"{path}: {where}")
            except ValueError as err:
                raise InputError(path, where, str(err)) from None


@functools.cache
def _default_config_dump() -> dict[str, Any]:
    from ..model.config import RunConfig

    return RunConfig().model_dump()


def config_default(key: str) -> Any:
    """Default value of a dotted `RunConfig` key; KeyError if there is none."""
    node: Any = _default_config_dump()
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            raise KeyError(key)
        node = node[part]
    return node


def _check_config_keys(spec: SweepSpec, path: Path) -> None:
    from ..model.config import RunConfig, with_overrides

    base = RunConfig()
    probes: list[tuple[str, str, list[Any]]] = []
    for name, factor in spec.uncertainties.items():
        values = list(factor.bounds) if factor.bounds is not None else list(factor.values or [])
        if factor.dist in ("norm", "lognorm"):
            values = []  # (mean, sd): the sampled values are checked when each run is built
        probes.append((f"uncertainties.{name}", name, values))
    probes += [(f"constants.{n}", n, [v]) for n, v in spec.constants.items()]
    for where, name, values in probes:
        if name in ("n_savers", "n_sponsors", "years", "seed", "start"):
            raise InputError(path, where, "set sizes and seeds with the spec's own keys")
        try:
            default = config_default(name)
        except KeyError:
            raise InputError(path, where, "unknown parameter (not a RunConfig key)") from None
        if isinstance(default, dict | list | tuple):
            raise InputError(path, where, "not a scalar parameter; name one element (a.b.c)")
        for value in values:
            try:
                with_overrides(base, {name: coerce(name, value)}, path)
            except InputError as err:
                raise InputError(path, where, f"value {value!r} rejected: {err.message}") from None


def _check_outputs(spec: SweepSpec, path: Path) -> None:
    known = set(series_columns()) | set(DERIVED_COLUMNS)
    for field_name, names in (("outputs.monthly", spec.outputs.monthly),
                              ("outputs.horizon", list(spec.outputs.horizon))):
        for name in names:
            if name not in known:
                raise InputError(path, f"{field_name}.{name}", "unknown output column; see "
                                 "`alt401k run` series.parquet for the list")


@functools.cache
def series_columns() -> tuple[str, ...]:
    """Names of the recorder's monthly columns, from a tiny model's initial record."""
    from ..model.config import RunConfig
    from ..model.model import Alt401kModel
    from ..model.policy import load_scenario

    model = Alt401kModel(load_scenario("status-quo"), RunConfig(n_savers=100, n_sponsors=4, years=1))
    return tuple(model.recorder.series_table().column_names)


def coerce(name: str, value: Any) -> Any:
    """A sampled float as the parameter's type: rounded for an integer parameter."""
    default = config_default(name)
    if isinstance(default, int) and not isinstance(default, bool) and isinstance(value, float):
        return round(value)
    return value


# ----------------------------------------------------------------------------- designs


def _factors(spec: SweepSpec) -> itertools.chain[tuple[str, Factor]]:
    """Every factor, levers first, then uncertainties, then scenario parameters (as
    ``scenario.NAME``), each in spec order."""
    params = ((f"scenario.{n}", f) for n, f in spec.scenario_parameters.items())
    return itertools.chain(spec.levers.items(), spec.uncertainties.items(), params)


def salib_problem(spec: SweepSpec) -> dict[str, Any]:
    """SALib problem of the sampled factors (levers, uncertainties, scenario parameters)."""
    names, bounds, dists = [], [], []
    for name, factor in _factors(spec):
        if factor.bounds is not None:
            names.append(name)
            bounds.append(list(factor.bounds))
            dists.append(factor.dist)
    return {"num_vars": len(names), "names": names, "bounds": bounds, "dists": dists}


def sample_matrix(spec: SweepSpec) -> npt.NDArray[np.float64]:
    """The SALib sample of the sampled factors, shape (n_points, num_vars); (1, 0) for grids."""
    if spec.design == "grid":
        return np.zeros((1, 0))
    n = spec.n_trajectories if spec.design == "morris" else spec.n_samples
    return sample(salib_problem(spec), spec.design, int(n or 2), spec.num_levels, spec.master_seed)


def sample(problem: dict[str, Any], design: str, n: int, num_levels: int = 4,
           seed: int = 0) -> npt.NDArray[np.float64]:
    """SALib sample for `design`: Latin hypercube (n points), Saltelli/Sobol' (n (D + 2)
    points, first and total orders) or Morris (n trajectories of D + 1 points)."""
    seed = seed % (2**32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Sobol' balance warning for n not a power of two
        if design == "latin":
            from SALib.sample import latin

            return latin.sample(problem, n, seed=seed)
        if design == "sobol":
            from SALib.sample import sobol

            return sobol.sample(problem, n, calc_second_order=False, seed=seed)
        if design == "morris":
            from SALib.sample import morris

            return morris.sample(problem, n, num_levels=num_levels, seed=seed)
    raise ValueError(f"no sampler for design {design!r}")


def design_points(spec: SweepSpec) -> list[DesignPoint]:
    """Every design point: the grid of value-list factors (outer) times the sample rows (inner)."""
    crossed = [(n, f.values) for n, f in _factors(spec) if f.values is not None]
    sampled = salib_problem(spec)["names"]
    matrix = sample_matrix(spec)
    points = []
    for combo in itertools.product(*[vals for _, vals in crossed]):
        fixed = dict(zip([n for n, _ in crossed], combo, strict=True))
        for row_index, row in enumerate(matrix):
            values = fixed | {n: float(x) for n, x in zip(sampled, row, strict=True)}
            points.append(DesignPoint(
                index=len(points),
                sample_index=row_index,
                levers=tuple((n, values[n]) for n in spec.levers),
                uncertainties=tuple((n, coerce(n, values[n])) for n in spec.uncertainties),
                parameters=tuple((n, float(values[f"scenario.{n}"])) for n in spec.scenario_parameters),
            ))
    return points


__all__ = ["DesignPoint", "Factor", "Outputs", "SweepSpec", "coerce", "design_points",
           "load_spec", "salib_problem", "sample", "sample_matrix", "scenario_date", "series_columns",
           "spec_hash"]
