"""Running a sweep: one task per run, one Parquet part file per run, resumable.

ODD §4.9; docs/sweeps.md. `plan_tasks` turns a spec into runs ordered scenario, design point,
replication; `run_one` does one run in a worker and writes its part files atomically
(temporary name, then `os.replace`), so a killed sweep leaves only whole files and a rerun
skips them. Run i of replication k is seeded with
``SeedSequence(master_seed, spawn_key=(k,))``: replication k of every design point and
scenario sees the same market and saver shocks (common random numbers), and nothing
depends on which worker ran what, or when.

Sweep directory layout::

    spec.toml               copy of the spec
    sweep.json              spec hash, run count, design (no timestamps)
    parts/run-000012.parquet    monthly rows of run 12 (written last: marks the run done)
    horizon/run-000012.parquet  one row of horizon summaries of run 12
    tables/run-000012.parquet   horizon table by income quintile x age group (if asked)
    failed/run-000012.json      parameters, error and traceback of a run that raised
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import json
import os
import shutil
import sys
import time
import traceback
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from ..model.errors import InputError
from ..model.outputs import parquet_bytes, write_atomic
from .sweep_spec import SweepSpec, design_points, load_spec, scenario_date

ID_COLUMNS = ("run_id", "design_point", "sample_index", "replication", "scenario")
FAIL_HOOK: Callable[[Task], None] | None = None
"""Test-only: called at the start of every run in this process; raise to make it fail."""


@dataclass(frozen=True)
class Task:
    """Everything one worker needs for one run (small, picklable; no model objects)."""

    run_id: int
    design_point: int
    sample_index: int
    replication: int
    scenario: str
    levers: tuple[tuple[str, Any], ...]
    uncertainties: tuple[tuple[str, Any], ...]
    constants: tuple[tuple[str, Any], ...]
    sizes: tuple[int, int, int]
    """(n_savers, n_sponsors, years)."""
    master_seed: int
    lever_effective: dt.date | None
    monthly: tuple[str, ...]
    horizon: tuple[tuple[str, str], ...]
    every: int
    out_dir: str
    label: str
    market_path: str | None = None
    """Stylised imposed episode ``NAME@START_MONTH`` or None (seeded draws only)."""
    horizon_table: bool = False
    kernel_threads: int | None = None
    """numba threads for this run's compiled passes (None: all); results do not depend on
    it. `run_sweep` gives each of its workers an equal share of the cores."""
    scenario_parameters: tuple[tuple[str, float], ...] = ()
    """Scenario date parameters, months after the start (`sweep_spec.scenario_date`)."""

    def _run_file(self, folder: str, suffix: str = ".parquet") -> Path:
        return Path(self.out_dir) / folder / f"run-{self.run_id:06d}{suffix}"

    @property
    def part_path(self) -> Path:
        """Monthly part file of this run."""
        return self._run_file("parts")

    @property
    def horizon_path(self) -> Path:
        """Horizon-summary part file of this run."""
        return self._run_file("horizon")

    @property
    def table_path(self) -> Path:
        """Horizon table (by income quintile and age group) of this run."""
        return self._run_file("tables")

    @property
    def adequacy_path(self) -> Path:
        """Retirement adequacy by group (`adequacy_groups.adequacy_cells`) of this run."""
        return self._run_file("adequacy")

    @property
    def failed_path(self) -> Path:
        """Failure record of this run."""
        return self._run_file("failed", ".json")

    def parameters(self) -> dict[str, Any]:
        """Scenario, levers and uncertainties of this run, for failure records."""
        return {"scenario": self.scenario, **dict(self.levers), **dict(self.uncertainties),
                **{f"scenario.{n}": v for n, v in self.scenario_parameters}}


def plan_tasks(spec: SweepSpec, out_dir: Path, label: str = "sweep") -> list[Task]:
    """All runs of `spec`, in run order: scenario, then design point, then replication."""
    points = design_points(spec)
    tasks = []
    for scenario in spec.scenarios:
        for point in points:
            for k in range(spec.replications):
                tasks.append(Task(
                    run_id=len(tasks), design_point=point.index, sample_index=point.sample_index,
                    replication=k, scenario=scenario, levers=point.levers,
                    uncertainties=point.uncertainties, constants=tuple(spec.constants.items()),
                    sizes=(spec.n_savers, spec.n_sponsors, spec.years), master_seed=spec.master_seed,
                    lever_effective=spec.lever_effective, monthly=tuple(spec.outputs.monthly),
                    horizon=tuple(spec.outputs.horizon.items()), every=spec.outputs.every,
                    out_dir=str(out_dir), label=label, market_path=spec.market_path,
                    horizon_table=spec.outputs.horizon_table, scenario_parameters=point.parameters,
                ))
    return tasks


# ----------------------------------------------------------------------------- worker side


@functools.lru_cache(maxsize=64)
def _scenario(name: str, levers: tuple[tuple[str, Any], ...], effective: dt.date | None,
              start: dt.date, label: str, parameters: tuple[tuple[str, float], ...] = ()) -> Any:
    """The scenario with its sampled date parameters and the swept lever values, built once
    per worker per combination.

    Each swept lever holds its value from `effective` (default `start`); the scenario's own
    changes to that lever from that date on are dropped, so the sweep's value is the one in
    force rather than being overridden by a later dated change in the file.
    """
    from ..model import levers as registry
    from ..model.levers import LeverWarning
    from ..model.policy import Change, load_scenario

    base = load_scenario(name, {n: scenario_date(start, m) for n, m in parameters} or None)
    when = effective or start
    names = {n for n, _ in levers}
    kept = [c for c in base.changes if not (c.lever in names and c.effective >= when)]
    with warnings.catch_warnings():
        # Unusual values were reported once, by the parent (`warn_unusual_levers`).
        warnings.simplefilter("ignore", LeverWarning)
        extra = [Change(n, registry.LEVERS[n].check(v), when, f"sweep spec {label}", "sweep")
                 for n, v in levers]
    changes = tuple(sorted(kept + extra, key=lambda c: c.effective))
    return dataclasses.replace(base, changes=changes)


@functools.lru_cache(maxsize=8)
def _base_config(sizes: tuple[int, int, int], constants: tuple[tuple[str, Any], ...]) -> Any:
    from ..model.config import RunConfig, with_overrides

    n_savers, n_sponsors, years = sizes
    config = RunConfig(n_savers=n_savers, n_sponsors=n_sponsors, years=years)
    return with_overrides(config, dict(constants), "constants") if constants else config


def derived_series(table: pa.Table) -> dict[str, pa.Array]:
    """Output columns computed from the recorder's: total assets in alternatives, nominal
    USD and its constant-2025-dollar twin."""
    from ..base.assets import ALTERNATIVES

    out = {}
    for name in ("assets_usd", "assets_usd2025"):
        total = np.sum([table[f"{name}__{a}"].to_numpy() for a in ALTERNATIVES], axis=0)
        out[f"{name}__alternatives"] = pa.array(total, pa.float64())
    return out


def _value_type(value: Any) -> pa.DataType:
    if isinstance(value, bool):
        return pa.bool_()
    if isinstance(value, str):
        return pa.string()
    return pa.float64()


def _id_columns(task: Task, n_rows: int) -> dict[str, pa.Array]:
    """Run identifiers and parameter values, repeated on `n_rows` rows."""
    cols = {
        "run_id": pa.array([task.run_id] * n_rows, pa.int64()),
        "design_point": pa.array([task.design_point] * n_rows, pa.int64()),
        "sample_index": pa.array([task.sample_index] * n_rows, pa.int64()),
        "replication": pa.array([task.replication] * n_rows, pa.int32()),
        "scenario": pa.array([task.scenario] * n_rows, pa.string()),
    }
    for name, value in (*task.levers, *task.uncertainties, *((f"scenario.{n}", m) for n, m in task.scenario_parameters)):
        kind = _value_type(value)
        cols[name] = pa.array([value if kind != pa.float64() else float(value)] * n_rows, kind)
    return cols


def _summaries(series: dict[str, np.ndarray], horizon: tuple[tuple[str, str], ...]) -> dict[str, float]:
    """Per-run horizon summaries over months 1..end (month 0 is the initial state)."""
    how = {"last": lambda x: x[-1], "mean": lambda x: x[1:].mean(), "sum": lambda x: x[1:].sum(),
           "min": lambda x: x[1:].min(), "max": lambda x: x[1:].max()}
    return {f"{name}__{kind}": float(how[kind](series[name])) for name, kind in horizon}


def run_one(task: Task) -> Path:
    """Do one run and write its part files atomically; return the monthly part's path.

    The horizon file is written first and the monthly part last, so an existing monthly
    part means the run is complete. Raises whatever the model raises.
    """
    from ..model.config import with_overrides
    from ..model.model import Alt401kModel
    from ..model.threads import set_kernel_threads

    set_kernel_threads(task.kernel_threads)
    if FAIL_HOOK is not None:
        FAIL_HOOK(task)
    config = _base_config(task.sizes, task.constants)
    if task.uncertainties:
        config = with_overrides(config, dict(task.uncertainties), f"run {task.run_id}")
    scenario = _scenario(task.scenario, task.levers, task.lever_effective, config.start, task.label,
                         task.scenario_parameters)
    seed = np.random.SeedSequence(task.master_seed, spawn_key=(task.replication,))
    path = None
    if task.market_path:
        from ..model.market_paths import stylised

        name, start = task.market_path.split("@")
        path = stylised(name, int(start))  # type: ignore[arg-type]
    model = Alt401kModel(scenario, config, seed_sequence=seed, market_path=path)
    model.run()
    table = model.recorder.series_table()
    derived = derived_series(table)
    wanted = {name for name, _ in task.horizon} | set(task.monthly)
    series = {n: (derived[n] if n in derived else table[n]).to_numpy() for n in wanted}
    summary = _summaries(series, task.horizon)
    if task.horizon:
        cols = _id_columns(task, 1) | {k: pa.array([v], pa.float64()) for k, v in summary.items()}
        write_atomic(task.horizon_path, parquet_bytes(pa.table(cols)))
    if task.horizon_table:
        from ..model.reporters import horizon_table

        by_group = horizon_table(model)
        ids = _id_columns(task, by_group.num_rows)
        write_atomic(task.table_path, parquet_bytes(pa.table(ids | {n: by_group[n] for n in by_group.column_names})))
        write_adequacy(task, model)
    month = table["month"].to_numpy()
    keep = np.flatnonzero(month % task.every == 0)
    cols = _id_columns(task, len(keep))
    cols["date"] = table["date"].take(pa.array(keep))
    cols["month"] = table["month"].take(pa.array(keep))
    for name in task.monthly:
        cols[name] = pa.array(series[name][keep], pa.float64())
    write_atomic(task.part_path, parquet_bytes(pa.table(cols)))
    return task.part_path


def write_adequacy(task: Task, model: Any) -> None:
    """Write the run's adequacy cells (ODD §7.13) beside its horizon table."""
    from .adequacy_groups import adequacy_cells, retiree_frame

    cells = pa.Table.from_pandas(adequacy_cells(retiree_frame(model.retirees)), preserve_index=False)
    ids = _id_columns(task, cells.num_rows)
    write_atomic(task.adequacy_path, parquet_bytes(pa.table(ids | {n: cells[n] for n in cells.column_names})))


def run_recorded(task: Task) -> dict[str, Any]:
    """`run_one`, turning an exception into a `failed/RUN.json` record; a small status dict."""
    t0 = time.perf_counter()
    try:
        path = run_one(task)
    except Exception as err:  # noqa: BLE001 - any model error is recorded, the sweep goes on
        record = {"run_id": task.run_id, "parameters": task.parameters(), "replication": task.replication,
                  "error": f"{type(err).__name__}: {err}", "traceback": traceback.format_exc()}
        write_atomic(task.failed_path, json.dumps(record, indent=2, default=str).encode())
        return {"run_id": task.run_id, "ok": False, "error": record["error"],
                "seconds": time.perf_counter() - t0}
    task.failed_path.unlink(missing_ok=True)
    return {"run_id": task.run_id, "ok": True, "bytes": path.stat().st_size,
            "seconds": time.perf_counter() - t0}


# ----------------------------------------------------------------------------- parent side


@dataclass
class SweepResult:
    """What a sweep did: counts, wall time and output size."""

    n_runs: int
    n_skipped: int
    n_done: int
    failed: list[int]
    wall_s: float
    output_bytes: int


def prepare_dir(spec_path: Path, out_dir: Path, spec: SweepSpec, digest: str, n_runs: int,
                force: bool) -> None:
    """Create or reopen a sweep directory; refuse a changed spec unless `force`.

    With `force`, results of a different spec are deleted before starting afresh.
    """
    meta_path = out_dir / "sweep.json"
    if meta_path.exists():
        old = json.loads(meta_path.read_text())
        if old.get("spec_hash") != digest:
            if not force:
                raise InputError(spec_path, "", f"{out_dir} holds a sweep of a different spec "
                                 f"(hash {old.get('spec_hash', '?')[:12]}, now {digest[:12]}); "
                                 "use --force to discard it or choose another --out")
            for sub in ("parts", "horizon", "tables", "adequacy", "failed", "analysis"):
                shutil.rmtree(out_dir / sub, ignore_errors=True)
    out_dir.mkdir(parents=True, exist_ok=True)
    write_atomic(out_dir / "spec.toml", spec_path.read_bytes())
    meta = {"spec_hash": digest, "spec_file": spec_path.name, "n_runs": n_runs,
            "design": spec.design, "scenarios": spec.scenarios, "replications": spec.replications,
            "master_seed": spec.master_seed, "seeding": "SeedSequence(master_seed, spawn_key=(replication,))"}
    write_atomic(meta_path, json.dumps(meta, indent=2).encode())


def sweep_plan(out: Path, spec: SweepSpec, n_todo: int, n_runs: int, engine: str, n_jobs: int | None) -> str:
    """The one-line plan of a sweep: runs to do, their size, engine and rough time."""
    from .progress import duration, run_seconds

    line = (f"sweep {out}: {n_todo} of {n_runs} runs to do ({spec.n_savers:,} savers, {spec.n_sponsors:,} "
            f"plans, {12 * spec.years} months each), {engine} engine")
    if engine == "local" and n_todo:
        workers = min(n_todo, (os.cpu_count() or 1) if n_jobs in (None, -1) else max(1, n_jobs))
        each = run_seconds(spec.n_savers, spec.n_sponsors, 12 * spec.years, startup=False)
        total = run_seconds(0, 0, 0) + each * -(-n_todo // workers)
        line += f"; about {duration(total)} on {workers} worker{'s' if workers > 1 else ''}"
    return line


def warn_unusual_levers(spec: SweepSpec, spec_path: Path) -> None:
    """Emit one `LeverWarning` per swept lever value (or bound) outside its usual range,
    naming the spec file and field, here in the parent rather than once per worker."""
    from ..model.levers import LEVERS

    for name, factor in spec.levers.items():
        probes = list(factor.bounds) if factor.bounds is not None else list(factor.values or [])
        for value in probes:
            LEVERS[name].check(value, f"{spec_path}: levers.{name}")


def run_sweep(spec_path: str | Path, out_dir: str | Path | None = None, *, n_jobs: int | None = None,
              engine: str = "local", scheduler: str | None = None, force: bool = False,
              retry_failed: bool = False, progress: bool = True) -> SweepResult:
    """Run (or resume) the sweep of `spec_path` into `out_dir`.

    Finished runs (an existing monthly part) are never rerun. Runs with a failure record
    are skipped unless `retry_failed`. Returns counts; failures do not raise.
    """
    from . import progress as shown
    from .engines import check_scheduler, make_engine

    spec_path = Path(spec_path)
    spec, digest = load_spec(spec_path)
    warn_unusual_levers(spec, spec_path)
    if engine == "dask" and scheduler:
        check_scheduler(scheduler)
    out = Path(out_dir) if out_dir else Path("results/sweeps") / spec_path.stem
    tasks = plan_tasks(spec, out, spec_path.stem)
    prepare_dir(spec_path, out, spec, digest, len(tasks), force)
    todo = [t for t in tasks if not t.part_path.exists()
            and (retry_failed or not t.failed_path.exists())]
    pending = {t.run_id for t in todo}
    failed_before = [t.run_id for t in tasks if t.run_id not in pending and t.failed_path.exists()]
    if progress:
        shown.plan(sweep_plan(out, spec, len(todo), len(tasks), engine, n_jobs))
    t0 = time.perf_counter()
    failed: list[int] = []
    with (shown.bar(len(tasks), "sweep runs", "run", initial=len(tasks) - len(todo), enabled=progress) as bar,
          make_engine(engine, n_jobs, scheduler) as runner):
        # Runs in flight share the cores: each gets its share for the compiled passes.
        share = max(1, (os.cpu_count() or 1) // max(1, runner.workers))
        todo = [dataclasses.replace(t, kernel_threads=share) for t in todo]
        for status in runner.imap(run_recorded, todo):
            if not status["ok"]:
                failed.append(status["run_id"])
                bar.write(f"run {status['run_id']} failed: {status['error']}", file=sys.stderr)
            bar.set_postfix(failed=len(failed) + len(failed_before))
            bar.update(1)
    size = sum(p.stat().st_size for sub in ("parts", "horizon", "tables", "adequacy") for p in (out / sub).glob("*.parquet"))
    return SweepResult(len(tasks), len(tasks) - len(todo), len(todo) - len(failed),
                       sorted(failed + failed_before), time.perf_counter() - t0, size)


# ----------------------------------------------------------------------------- reading


def load_sweep(directory: str | Path, columns: Sequence[str] | None = None, lazy: bool = False,
               table: str = "monthly") -> Any:
    """All finished runs of a sweep as one pandas DataFrame sorted by run_id, month.

    Parameters
    ----------
    directory
        The sweep directory (`--out`).
    columns
        Columns to read (default all).
    lazy
        Return a `pyarrow.dataset.Dataset` over the part files instead of reading them.
    table
        "monthly" (one row per run per recorded month), "horizon" (one row per run) or
        "tables" (horizon tables: one row per run, income quintile and age group) or
        "adequacy" (retirement adequacy: one row per run and group, ODD §7.13).
    """
    import pyarrow.dataset as ds

    sub = {"monthly": "parts", "horizon": "horizon", "tables": "tables", "adequacy": "adequacy"}[table]
    files = sorted(str(p) for p in (Path(directory) / sub).glob("run-*.parquet"))
    if not files:
        raise InputError(directory, sub, "no finished runs")
    dataset = ds.dataset(files, format="parquet")
    if lazy:
        return dataset
    frame = dataset.to_table(columns=list(columns) if columns else None).to_pandas()
    keys = [k for k in ("run_id", "month", "income_quintile") if k in frame.columns]
    return frame.sort_values(keys, kind="stable").reset_index(drop=True) if keys else frame


def combined_table(directory: str | Path, table: str = "monthly") -> pa.Table:
    """The concatenation of all part files in run order (for export or byte comparisons)."""
    import pyarrow.parquet as pq

    sub = {"monthly": "parts", "horizon": "horizon"}[table]
    files = sorted((Path(directory) / sub).glob("run-*.parquet"))
    return pa.concat_tables([pq.read_table(f) for f in files])


__all__ = ["FAIL_HOOK", "SweepResult", "Task", "combined_table", "derived_series", "load_sweep",
           "plan_tasks", "prepare_dir", "run_one", "run_recorded", "run_sweep"]
