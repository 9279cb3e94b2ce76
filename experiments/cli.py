"""The `alt401k` command line.

Subcommands: `run` (one model run), `scenarios` (bundled regulatory variants), `sweep`
(many runs from a spec file, resumable) and `analyze` (sensitivity indices). Every bad
input — unknown scenario, malformed file, unknown key, impossible value, an unwritable or
occupied `--out` — ends with one line on standard error naming the file and the field, and
exit status 2; nothing is written before the inputs have been validated. Warnings about
legal but unusual input are one line each too (`alt401k: warning: ...`); Ctrl-C ends a
command with one line and exit status 130. The model and its libraries are imported only
once the arguments are read, so a bad argument is answered at once.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
import time
import tomllib
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pydantic

from ..model.config import RunConfig, with_overrides
from ..model.errors import InputError, from_validation_error, read_toml
from . import progress

EXIT_INPUT = 2
EXIT_INTERRUPTED = 130
"""128 + SIGINT, as a shell reports a command ended by Ctrl-C."""
RUN_FILES = ("series.parquet", "horizon.parquet", "manifest.json")
DEFAULTS = RunConfig()


def parse_assignment(text: str, option: str) -> tuple[str, Any]:
    """Split ``key=value`` and read the value as a TOML literal (bare words stay strings)."""
    if "=" not in text:
        raise InputError(option, text, "expected KEY=VALUE")
    key, raw = text.split("=", 1)
    try:
        value = tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw
    return key.strip(), value


def load_run_config(path: str | None, overrides: Sequence[str], base: dict[str, Any]) -> RunConfig:
    """RunConfig from an optional TOML file, then command-line options, then `--set` pairs."""
    data: dict[str, Any] = {}
    if path:
        data = read_toml(path, "config file")
    data.update({k: v for k, v in base.items() if v is not None})
    try:
        config = RunConfig.model_validate(data)
    except pydantic.ValidationError as err:
        raise from_validation_error(path or "command line", err) from None
    pairs = dict(parse_assignment(o, "--set") for o in overrides)
    return with_overrides(config, pairs, "--set") if pairs else config


def parse_start(text: str | None) -> dt.date | None:
    """``YYYY-MM`` as the first of that month, checked against the bundled data's range
    (`model.history.check_start`: 2005-01 to 2025-12), or None when not given."""
    if text is None:
        return None
    from ..model.history import check_start

    try:
        year, month = (int(x) for x in text.split("-"))
        start = dt.date(year, month, 1)
    except ValueError:
        raise InputError("--start", text, "expected YYYY-MM, e.g. 2016-01") from None
    check_start(start)
    return start


def market_path_from(arg: str | None, n_months: int, start: dt.date | None,
                     equity_intl_share: float) -> Any:
    """A `MarketPath` from ``FILE.csv``, ``NAME@MONTH`` (a stylised path) or ``historical``
    (the realised returns from the run's start month, with `equity_intl_share` of equities
    in non-U.S. stocks, `model.history`), or None."""
    if not arg:
        return None
    if arg == "historical":
        from ..model.history import T0, historical_path

        return historical_path(start or T0, equity_intl_share)
    from ..model import market_paths

    if "@" in arg and not arg.endswith(".csv"):
        name, month = arg.split("@", 1)
        allowed = ("equity-crash-2008", "crypto-winter")
        if name not in allowed:
            raise InputError("--market-path", name, f"unknown stylised path; allowed: {', '.join(allowed)}")
        if not month.isdigit() or int(month) >= n_months:
            raise InputError("--market-path", month, f"start month must be an integer in [0, {n_months})")
        return market_paths.stylised(name, int(month))  # type: ignore[arg-type]
    return market_paths.load_path(arg, n_months)


def cmd_scenarios(args: argparse.Namespace) -> int:
    """List the bundled scenarios with their one-line descriptions."""
    from ..model.policy import list_scenarios

    rows = list_scenarios()
    width = max(len(n) for n, _ in rows)
    for name, description in rows:
        print(f"{name:<{width}}  {description}")
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    """Run the model once and write its outputs under --out.

    Every input, `--out` included, is checked before the model is built; then a one-line
    plan, a progress bar over the months (on a terminal), the summary table and the files.
    """
    from ..model.policy import load_scenario, warn_dates_outside_run

    base = {"n_savers": args.savers, "n_sponsors": args.sponsors, "years": args.years, "seed": args.seed,
            "start": parse_start(args.start)}
    config = sized(load_run_config(args.config, args.set or [], base), args)
    params = dict(parse_assignment(p, "--param") for p in args.param or [])
    scenario = load_scenario(args.scenario, params or None)
    path = market_path_from(args.market_path, config.n_months, config.start, config.market.equity_intl_share)
    setting = None
    if args.setting:
        from ..model.setting import load_setting

        setting = load_setting(args.setting)
    out = Path(args.out)
    check_out_dir(out, args.force)
    warn_dates_outside_run(scenario, config.start, config.n_months)
    progress.plan(run_plan(scenario.name, config, args.setting))
    model, elapsed = simulate(scenario, config, path, setting)
    return write_and_report(model, out, args, elapsed)


def simulate(scenario: Any, config: RunConfig, path: Any, setting: Any) -> tuple[Any, float]:
    """Build the model and step it month by month under a progress bar; (model, seconds)."""
    from ..model.model import Alt401kModel

    t0 = time.perf_counter()
    model = Alt401kModel(scenario, config, market_path=path, setting=setting)
    with progress.bar(config.n_months, "months", "month") as bar:
        while model.month < config.n_months:  # as Alt401kModel.run, one bar step a month
            model.step()
            bar.update(1)
    return model, time.perf_counter() - t0


def write_and_report(model: Any, out: Path, args: argparse.Namespace, elapsed: float) -> int:
    """Write the run's files, print its summary and where the files went."""
    from ..model.outputs import write_run

    setting = model.setting
    extra = {"market_path": args.market_path, "setting": setting.model_dump(mode="json") if setting else None}
    manifest = write_run(model, out, model.recorder.initial, extra)
    if setting is None:
        print_summary(model, elapsed)
    else:
        print_setting_summary(model, elapsed)
    print(f"\nwrote {out}/series.parquet, horizon.parquet, manifest.json ({manifest['git_commit'][:12]})")
    return 0


def check_out_dir(out: Path, force: bool) -> None:
    """Refuse an `--out` the run could not write, or whose files it would overwrite.

    `out` must be a directory or not exist yet; an existing non-empty directory is refused
    unless `force` (then only the run's own files are replaced). The nearest existing
    folder above it must take a new entry: a temporary folder is created and removed there,
    which catches permissions and read-only file systems alike, so the run does not fail
    after all its work. Nothing is left behind.
    """
    if out.exists() and not out.is_dir():
        raise InputError("--out", str(out), "is an existing file; give a directory for the run's files")
    if out.is_dir() and any(out.iterdir()) and not force:
        held = sorted(p.name for p in out.iterdir())
        listed = ", ".join(held[:3]) + (", ..." if len(held) > 3 else "")
        raise InputError("--out", str(out), f"already holds files ({listed}); choose another --out, "
                         "or add --force to overwrite the run files there")
    parent = out
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir():
        raise InputError("--out", str(out), f"{parent} is a file, not a directory")
    try:
        tempfile.TemporaryDirectory(dir=parent, prefix=".alt401k-probe-").cleanup()
    except OSError as err:
        raise InputError("--out", str(out), f"cannot write in {parent} ({err.strerror or err})") from None


def compiled_cache_found() -> bool:
    """Whether numba's cache of the compiled passes exists (no compile on this run), or numba
    is absent (nothing to compile). A cache made stale by edited sources is not detected."""
    import importlib.util

    if importlib.util.find_spec("numba") is None:
        return True
    spec = importlib.util.find_spec("alt401k.agents")
    roots = [Path(os.environ["NUMBA_CACHE_DIR"])] if os.environ.get("NUMBA_CACHE_DIR") else []
    if spec and spec.submodule_search_locations:
        roots += [Path(p) / "__pycache__" for p in spec.submodule_search_locations]
    return any(next(root.rglob("*.nbi"), None) for root in roots if root.is_dir())


def run_plan(scenario: str, config: RunConfig, setting: str | None) -> str:
    """The one-line plan of a run: what it simulates and roughly how long it takes."""
    head = f"running {scenario}: "
    if setting:  # its size is known only once built
        head += f"the synthetic setting {setting}, {config.n_months} months, seed {config.seed}"
    else:
        about = progress.duration(progress.run_seconds(config.n_savers, config.n_sponsors, config.n_months))
        head += (f"{config.n_savers:,} savers, {config.n_sponsors:,} plans, {config.n_months} months, "
                 f"seed {config.seed}; about {about}")
    if not compiled_cache_found():
        head += f", after a one-time compile of the model's passes (~{progress.duration(progress.FIRST_COMPILE_S)})"
    return head


def sized(config: RunConfig, args: argparse.Namespace) -> RunConfig:
    """Apply ``--scale`` (a share of the national system, or ``national``), refuse a run that
    would not fit in this machine's memory, and for large runs keep freed memory for reuse
    (`model.scale`), before anything is built."""
    from ..model.scale import (
        LARGE_RUN_SAVERS,
        check_memory,
        keep_freed_memory,
        parse_scale,
        scaled_sizes,
    )

    if args.scale is not None:
        if args.savers is not None or args.sponsors is not None:
            raise InputError("--scale", args.scale, "sets both savers and plans; do not combine it with --savers or --sponsors")
        config = with_overrides(config, scaled_sizes(config, parse_scale(args.scale)), "--scale")
    if not args.skip_memory_check:
        option, value = ("--scale", args.scale) if args.scale is not None else ("--savers", f"{config.n_savers}")
        check_memory(config, option, value)
    if config.n_savers >= LARGE_RUN_SAVERS:
        keep_freed_memory()
    return config


def print_setting_summary(model: Any, elapsed_s: float) -> None:
    """For a designed world: participation, deferral and balances by plan type at the end."""
    import numpy as np

    pop, plans = model.savers, model.plans
    names = np.array(model.plan_names)[pop.sponsor]
    at_default = pop.is_participating & np.isclose(pop.deferral_rate, plans.default_rate[pop.sponsor])
    print(f"alt401k — scenario {model.scenario.name!r}, synthetic setting, {pop.n:,} savers, "
          f"{plans.n:,} plans, {model.month} months, seed {model.config.seed}, {elapsed_s:.1f} s")
    print(f"{'plan type':20}{'savers':>9}{'enrolled %':>12}{'at default %':>14}{'deferral %':>12}{'balance $':>12}")
    for name in dict.fromkeys(model.plan_names):
        m = names == name
        part = pop.is_participating[m]
        deferral = 100 * pop.deferral_rate[m][part].mean() if part.any() else float("nan")
        print(f"{name:20}{m.sum():>9,}{100 * part.mean():>12.1f}{100 * at_default[m].mean():>14.1f}"
              f"{deferral:>12.1f}{pop.total_balance()[m].mean():>12,.0f}")


def print_summary(model: Any, elapsed_s: float) -> None:
    """A short table: the market at t0, in 2030, 2035 and at the horizon.

    Dollars are nominal (returns and pay are nominal in the model). Yearly flows are the
    sums of the 12 months to each date (fewer in the first year); at t0 nothing has flowed
    yet, so that column shows a dash.
    """
    table = model.recorder.series_table()
    dates = table["date"].to_pylist()
    picks = [i for i in (0, 60, 120) if i < len(dates)] + [len(dates) - 1]  # t0, +5 and +10 years, horizon
    picks = sorted(set(picks))
    col = {name: table[name].to_pylist() for name in table.column_names}

    def yearly(name: str, i: int, scale: float, digits: int) -> str:
        """The 12 months to column i; none before the first month has run."""
        if i == 0:
            return "—"
        return f"{sum(col[name][max(1, i - 11) : i + 1]) / scale:.{digits}f}"

    lines: list[tuple[str, Callable[[int], str]]] = [
        ("401(k) assets, $T", lambda i: f"{col['assets_usd'][i] / 1e12:.2f}"),
        ("participants, M", lambda i: f"{col['participants'][i] / 1e6:.1f}"),
        ("in alternatives, $B", lambda i: f"{sum(col[f'assets_usd__{a}'][i] for a in _alts()) / 1e9:.1f}"),
        ("  private equity, $B", lambda i: f"{col['assets_usd__private_equity'][i] / 1e9:.1f}"),
        ("  private credit, $B", lambda i: f"{col['assets_usd__private_credit'][i] / 1e9:.1f}"),
        ("  crypto, $B", lambda i: f"{col['assets_usd__crypto'][i] / 1e9:.1f}"),
        ("plans offering alts, %", lambda i: f"{100 * col['share_plans_offering_any_alt'][i]:.1f}"),
        ("savers exposed, %", lambda i: f"{100 * col['share_savers_exposed_any_alt'][i]:.1f}"),
        ("fees paid, $B/yr", lambda i: yearly("fees_usd", i, 1e9, 1)),
        ("lawsuits, /yr", lambda i: yearly("lawsuits", i, 1.0, 0)),
    ]
    head = f"{'':26}" + "".join(f"{dates[i]:>10}" for i in picks)
    print(f"alt401k — scenario {model.scenario.name!r}, {model.savers.n:,} savers, "
          f"{model.plans.n:,} plans, seed {model.config.seed}, {elapsed_s:.1f} s")
    print("national totals (weighted), dollars nominal; flows per year are the 12 months to the date")
    print(head)
    for label, fmt in lines:
        print(f"{label:26}" + "".join(f"{fmt(i):>10}" for i in picks))


def _alts() -> tuple[str, ...]:
    from ..base.assets import ALTERNATIVES

    return ALTERNATIVES


def cmd_sweep(args: argparse.Namespace) -> int:
    """Run or resume a sweep; exit 1 if any run failed (recorded under DIR/failed/)."""
    from .sweep import run_sweep

    if args.engine == "local" and args.scheduler:
        raise InputError("--scheduler", args.scheduler, "needs --engine dask")
    if args.n_jobs is not None and args.n_jobs == 0:
        raise InputError("--n-jobs", "0", "must be a positive number of workers (or -1: all cores)")
    out = args.out or str(Path("results/sweeps") / Path(args.spec).stem)
    result = run_sweep(args.spec, out, n_jobs=args.n_jobs, engine=args.engine, scheduler=args.scheduler,
                       force=args.force, retry_failed=args.retry_failed)
    print(f"sweep {out}: {result.n_runs} runs ({result.n_skipped} already done, {result.n_done} run now, "
          f"{len(result.failed)} failed) in {result.wall_s:.1f} s; "
          f"{result.output_bytes / 1e6:.2f} MB of Parquet")
    if result.failed:
        shown = ", ".join(str(i) for i in result.failed[:10])
        print(f"failed runs: {shown}{' ...' if len(result.failed) > 10 else ''} "
              f"(see {out}/failed/; rerun with --retry-failed)", file=sys.stderr)
        return 1
    return 0


def cmd_analyze(args: argparse.Namespace) -> int:
    """Sensitivity indices of a finished sweep's horizon outputs, ranked."""
    from .analysis import METHODS, analyze_sweep, format_table

    if args.method not in METHODS:
        raise InputError("--method", args.method, "choose design (the sweep design's own estimator: "
                         "Saltelli for sobol) or pce (a polynomial chaos surrogate)")
    settings = pce_settings(args)
    if not (Path(args.dir) / "spec.toml").is_file():
        raise InputError(args.dir, "", "not a sweep directory (no spec.toml)")

    def bar(total: int, label: str) -> Any:
        return progress.bar(total, label, "refit")

    for name, table in analyze_sweep(args.dir, args.output, args.method, settings, bar).items():
        print(f"\n== {name}")
        if args.method == "pce":
            print_pce_table(table, format_table)
        else:
            print(format_table(table))
    print(f"\nwrote CSV{', JSON' if args.method == 'pce' else ''} and PNG files to {Path(args.dir) / 'analysis'}")
    return 0


PCE_OPTIONS = ("bootstrap", "max_degree", "q_norm")


def pce_settings(args: argparse.Namespace) -> Any:
    """`PceSettings` from --bootstrap, --max-degree and --q-norm (given as text so that a
    bad value is one line naming the option), or None for the design's own estimator."""
    from .surrogate import PceSettings

    given = [f"--{o.replace('_', '-')}" for o in PCE_OPTIONS if getattr(args, o) is not None]
    if args.method != "pce":
        if given:
            raise InputError(given[0], getattr(args, given[0][2:].replace("-", "_")), "applies to --method pce only")
        return None
    defaults = PceSettings()
    bootstrap = number(args.bootstrap, "--bootstrap", int, defaults.n_bootstrap,
                       lambda v: v == 0 or v >= 2, "must be 0 (no intervals) or at least 2 refits")
    degree = number(args.max_degree, "--max-degree", int, defaults.max_degree,
                    lambda v: v >= 1, "must be a total degree of at least 1")
    q_norm = number(args.q_norm, "--q-norm", float, defaults.q_norm,
                    lambda v: 0 < v <= 1, "must be in (0, 1]: 1 keeps every interaction term, less keeps fewer")
    return PceSettings(max_degree=degree, q_norm=q_norm, n_bootstrap=bootstrap)


def number(text: str | None, option: str, kind: type, default: Any, ok: Callable[[Any], bool], rule: str) -> Any:
    """`text` read as `kind` and checked by `ok`, `default` when not given; InputError naming `option`."""
    if text is None:
        return default
    try:
        value = kind(text)
    except ValueError:
        raise InputError(option, text, f"not {'an integer' if kind is int else 'a number'}") from None
    if not ok(value):
        raise InputError(option, text, rule)
    return value


def print_pce_table(table: Any, format_table: Callable[..., str]) -> None:
    """Each group's fit (degree, terms kept, Q²) on one line, then its indices."""
    for group, part in table.groupby("group", sort=False):
        first = part.iloc[0]
        print(f"{group}: PCE of degree {int(first['degree'])}, {int(first['n_terms'])} terms, "
              f"Q² {first['Q2']:.3f} (K-fold; 1 - Q² is noise and misfit)")
        print(format_table(part.drop(columns=["group", "Q2", "degree", "n_terms"])))


def cmd_dashboard(args: argparse.Namespace) -> int:
    """Serve the web dashboard (needs the `dashboard` extra); loopback only unless --host says otherwise."""
    from .dashboard.serve import serve

    return serve(args.host, args.port)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for every subcommand."""
    parser = argparse.ArgumentParser(prog="alt401k", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run the model once")
    run.add_argument("--scenario", default="eo-14330",
                     help="bundled name or path to a scenario TOML (default eo-14330)")
    run.add_argument("--savers", type=int, help=f"simulated savers (default {DEFAULTS.n_savers:,})")
    run.add_argument("--sponsors", type=int, help=f"simulated plans (default {DEFAULTS.n_sponsors:,})")
    run.add_argument("--scale", help="sample size as a share of the national system: a fraction in (0, 1] of the "
                     "~70M participants and 604,400 plans, or 'national' for 1:1 (instead of --savers/--sponsors)")
    run.add_argument("--skip-memory-check", action="store_true",
                     help="start even if the estimated peak memory exceeds what is available")
    run.add_argument("--years", type=int, help=f"horizon in years (default {DEFAULTS.years})")
    run.add_argument("--seed", type=int, help=f"master seed (default {DEFAULTS.seed})")
    run.add_argument("--config", help="TOML file of run settings and behavioural parameters")
    run.add_argument("--set", action="append", metavar="KEY=VALUE", help="override a parameter, e.g. saver.panic_sale_prob=0.1")
    run.add_argument("--param", action="append", metavar="NAME=VALUE", help="scenario parameter, e.g. safe_harbor_effective=2027-07-01")
    run.add_argument("--setting", help="synthetic world (TOML: plan types, new-hire panels) instead of the national sample; see experiments/settings/")
    run.add_argument("--market-path", help="imposed returns: FILE.csv, equity-crash-2008@MONTH / crypto-winter@MONTH, "
                     "or historical (the realised returns of equity, bonds, cash and gold from the start month, "
                     "then the model's draws)")
    run.add_argument("--start", metavar="YYYY-MM", help="first month, 2005-01 to 2025-12 (default 2025-01): a start "
                     "before 2025 builds that month's market from Form 5500 data (docs/ODD.md §5.1)")
    run.add_argument("--out", default="results/runs/latest",
                     help="output directory (default results/runs/latest); must be new or empty unless --force")
    run.add_argument("--force", action="store_true", help="overwrite the run files in a non-empty --out")
    run.set_defaults(func=cmd_run)
    scen = sub.add_parser("scenarios", help="list bundled regulatory variants")
    scen.set_defaults(func=cmd_scenarios)
    sweep = sub.add_parser("sweep", help="run or resume a sweep spec (experiments/sweeps/*.toml)")
    sweep.add_argument("spec", help="path to a sweep spec TOML")
    sweep.add_argument("--n-jobs", type=int, help="parallel workers (default: all cores)")
    sweep.add_argument("--engine", choices=("local", "dask"), default="local",
                       help="local: joblib processes; dask: a dask.distributed cluster")
    sweep.add_argument("--scheduler", help="Dask scheduler address, e.g. tcp://10.0.0.5:8786 "
                       "(default: a LocalCluster on 127.0.0.1)")
    sweep.add_argument("--out", help="sweep directory (default results/sweeps/SPEC-NAME)")
    sweep.add_argument("--force", action="store_true", help="discard results of a different spec in --out")
    sweep.add_argument("--retry-failed", action="store_true", help="rerun runs recorded as failed")
    sweep.set_defaults(func=cmd_sweep)
    analyze = sub.add_parser("analyze", help="Sobol or Morris indices of a finished sweep")
    analyze.add_argument("dir", help="sweep directory")
    analyze.add_argument("--output", help="one horizon output, e.g. fees_usd__sum (default: all)")
    analyze.add_argument("--method", default="design",
                         help="design (default): the sweep design's own estimator (SALib's Saltelli for sobol, "
                         "Morris, rank correlations for latin); pce: Sobol indices of a sparse polynomial chaos "
                         "surrogate fitted to the runs, with its Q² (any sampled design; docs/sweeps.md)")
    analyze.add_argument("--bootstrap", metavar="N", help="pce: bootstrap refits for the 95%% half-widths (default 200)")
    analyze.add_argument("--max-degree", metavar="P", help="pce: highest total degree tried (default 10)")
    analyze.add_argument("--q-norm", metavar="Q", help="pce: hyperbolic truncation in (0, 1] (default 0.5)")
    analyze.set_defaults(func=cmd_analyze)
    dashboard = sub.add_parser("dashboard", help="web dashboard for policy teams (pip install '.[dashboard]')",
                               description="Serve the web dashboard. Ctrl-C or SIGTERM stops it together with its "
                                           "solara server (the whole process group).")
    dashboard.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1, this machine only)")
    dashboard.add_argument("--port", type=int, default=8765, help="port (default 8765)")
    dashboard.set_defaults(func=cmd_dashboard)
    validate = sub.add_parser("validate", help="reproduce the published findings (docs/validation.md)",
                              description="Run the validation experiments and print the table; exit 1 if a "
                              "target without a documented known gap fails. Writes targets.csv and "
                              "replications.csv under --out only; --write-docs publishes instead.")
    validate.add_argument("--fast", action="store_true", help="small samples, 4 replications (about 15 s on 2 cores once compiled; the full run about 90 s)")
    validate.add_argument("--target", action="append", metavar="NAME", help="one target or experiment (repeatable)")
    validate.add_argument("--n-jobs", type=int, default=1, help="parallel workers for replications")
    where = validate.add_mutually_exclusive_group()
    where.add_argument("--out", default="results/validate",
                       help="directory of the CSVs (default results/validate, ignored by git)")
    where.add_argument("--write-docs", action="store_true",
                       help="publish a full run of every target: rewrite the table in docs/validation.md and "
                       "the CSVs in results/validation/ (refuses --fast and --target)")
    validate.set_defaults(func=cmd_validate)
    compare = sub.add_parser("compare", help="paired comparison of variants with a baseline (HTML report)")
    compare.add_argument("variants", nargs="+", metavar="VARIANT", help="bundled name or scenario TOML")
    compare.add_argument("--baseline", default="status-quo", help="baseline scenario (default status-quo)")
    compare.add_argument("--replications", type=int, default=5,
                         help="replications per scenario, at least 2 for the 90%% intervals (default 5)")
    compare.add_argument("--savers", type=int, default=5000, help="simulated savers (default 5,000)")
    compare.add_argument("--years", type=int, default=30, help="horizon in years (default 30)")
    compare.add_argument("--n-jobs", type=int, help="parallel workers (default: all cores)")
    compare.add_argument("--discount-rate", type=float, default=0.03,
                         help="annual rate for the present value of fees, a fraction in [0, 1) (default 0.03 = 3%%; "
                         "a negative rate or one of 1 or more is refused as a likely typo)")
    compare.add_argument("--out", help="output directory (default results/compare/VARIANT+...)")
    compare.add_argument("--force", action="store_true", help="discard runs of different settings in --out")
    compare.set_defaults(func=cmd_compare)
    figures = sub.add_parser("figures", help="rebuild the reference figures from experiments/figures/*.toml",
                             description="Build the reference figures into --out (ignored by git). Only "
                             "--publish writes the published set in results/figures/, from a clean tree.")
    figures.add_argument("--only", action="append", metavar="NAME", help="one figure (repeatable)")
    figures.add_argument("--n-jobs", type=int, help="parallel workers (default: all cores)")
    mode = figures.add_mutually_exclusive_group()
    mode.add_argument("--out", default="results/figures-build",
                      help="figure directory (default results/figures-build, ignored by git)")
    mode.add_argument("--publish", action="store_true",
                      help="write the published set in results/figures/ and record the commit in MANIFEST.json; "
                      "refused unless the git tree is clean (no uncommitted or untracked file)")
    mode.add_argument("--check", action="store_true",
                      help="rebuild in a temp dir; exit 1 if a CSV differs from the published one")
    figures.set_defaults(func=cmd_figures)
    return parser


def cmd_compare(args: argparse.Namespace) -> int:
    """Run a paired comparison and write report.html, report.md and CSV tables."""
    from .compare import run_compare

    result = run_compare(  # checks every argument before writing anything
        args.variants, args.baseline, args.replications, args.savers, args.years,
        n_jobs=args.n_jobs, out=args.out, force=args.force, discount_rate=args.discount_rate)
    for variant, text in result.summaries.items():
        print(f"\n{variant}: {text}")
    print(f"\nwrote {result.out_dir}/report.html, report.md, comparison.csv and tables/*.csv")
    return 0


def cmd_figures(args: argparse.Namespace) -> int:
    """Build the reference figures into --out, publish them (--publish), or verify the
    published CSVs (--check, exit 1 if one differs)."""
    from .figures import build_figures, check_figures, publish_figures, published_dir

    if args.check:
        return check_figures(only=args.only, n_jobs=args.n_jobs)
    if args.publish:
        publish_figures(only=args.only, n_jobs=args.n_jobs)
        return 0
    if Path(args.out).resolve() == published_dir().resolve():
        raise InputError("--out", args.out, "is the published figure set; use --publish to write it")
    build_figures(args.out, only=args.only, n_jobs=args.n_jobs)
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    """Run the validation experiments; exit 1 if a target fails. Writes only under --out,
    unless --write-docs publishes (see experiments/validate.py)."""
    from .validate import cmd_validate as run_validate

    return run_validate(args)


def one_line_warnings(fallback: Callable[..., None]) -> Callable[..., None]:
    """A `warnings.showwarning` for the command line: the project's own warnings (unusual
    lever values, lever dates outside the run) as one sentence on standard error, without
    Python's file, line and source text; every other warning goes to `fallback`."""

    def show(message: Warning | str, category: type[Warning], filename: str, lineno: int,
             file: Any = None, line: str | None = None) -> None:
        if category.__module__.startswith("alt401k."):
            print(f"alt401k: warning: {message}", file=sys.stderr)
        else:
            fallback(message, category, filename, lineno, file, line)

    return show


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `alt401k` console command.

    Bad input exits 2 with one line; Ctrl-C exits 130 with one line (a sweep keeps its
    finished runs, a single run writes nothing).
    """
    args = build_parser().parse_args(argv)
    with warnings.catch_warnings():
        warnings.showwarning = one_line_warnings(warnings.showwarning)
        try:
            return int(args.func(args))
        except InputError as err:
            print(f"alt401k: error: {err}", file=sys.stderr)
            return EXIT_INPUT
        except KeyboardInterrupt:
            print("alt401k: interrupted", file=sys.stderr)
            return EXIT_INTERRUPTED


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())


__all__ = ["main", "build_parser"]
