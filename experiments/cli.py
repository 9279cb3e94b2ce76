"""The `alt401k` command line.

Subcommands: `run` (one model run), `scenarios` (bundled regulatory variants). Every bad
input — unknown scenario, malformed file, unknown key, impossible value — ends with one
line on standard error naming the file and the field, and exit status 2; nothing is
written before the inputs have been validated.
"""

from __future__ import annotations

import argparse
import sys
import time
import tomllib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pydantic

from ..model.config import RunConfig, with_overrides
from ..model.errors import InputError, from_validation_error

EXIT_INPUT = 2


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
        try:
            data = tomllib.loads(Path(path).read_text())
        except OSError as err:
            raise InputError(path, "", f"cannot read file ({err.strerror})") from None
        except tomllib.TOMLDecodeError as err:
            raise InputError(path, "", f"invalid TOML: {err}") from None
    data.update({k: v for k, v in base.items() if v is not None})
    try:
        config = RunConfig.model_validate(data)
    except pydantic.ValidationError as err:
        raise from_validation_error(path or "command line", err) from None
    pairs = dict(parse_assignment(o, "--set") for o in overrides)
    return with_overrides(config, pairs, "--set") if pairs else config


def market_path_from(arg: str | None, n_months: int) -> Any:
    """A `MarketPath` from ``FILE.csv`` or ``NAME@MONTH`` (a stylised path), or None."""
    if not arg:
        return None
    from ..model import market_paths

    if "@" in arg and not arg.endswith(".csv"):
        name, month = arg.split("@", 1)
        allowed = ("equity-crash-2008", "crypto-winter")
        if name not in allowed:
            raise InputError("--market-path", name, f"unknown stylised path; allowed: {', '.join(allowed)}")
        if not month.isdigit() or int(month) >= n_months:
            raise InputError("--market-path", month, f"start month must be an integer in [0, {n_months})")
        return market_paths.stylised(name, int(month))  # type: ignore[arg-type]
    return market_paths.load_path(arg)


def cmd_scenarios(args: argparse.Namespace) -> int:
    """List the bundled scenarios with their one-line descriptions."""
    from ..model.policy import list_scenarios

    rows = list_scenarios()
    width = max(len(n) for n, _ in rows)
    for name, description in rows:
        print(f"{name:<{width}}  {description}")
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    """Run the model once and write its outputs under --out."""
    from ..model.model import Alt401kModel
    from ..model.outputs import write_run
    from ..model.policy import load_scenario

    base = {"n_savers": args.savers, "n_sponsors": args.sponsors, "years": args.years, "seed": args.seed}
    config = load_run_config(args.config, args.set or [], base)
    params = dict(parse_assignment(p, "--param") for p in args.param or [])
    scenario = load_scenario(args.scenario, params or None)
    path = market_path_from(args.market_path, config.n_months)
    out = Path(args.out)
    t0 = time.perf_counter()
    model = Alt401kModel(scenario, config, market_path=path)
    model.run()
    elapsed = time.perf_counter() - t0
    manifest = write_run(model, out, model.recorder.initial, {"market_path": args.market_path})
    print_summary(model, elapsed)
    print(f"\nwrote {out}/series.parquet, horizon.parquet, manifest.json ({manifest['git_commit'][:12]})")
    return 0


def print_summary(model: Any, elapsed_s: float) -> None:
    """A short table: the market at t0, in 2030, 2035 and at the horizon."""
    table = model.recorder.series_table()
    dates = table["date"].to_pylist()
    picks = [0] + [dates.index(d) for d in ("2030-01", "2035-01") if d in dates] + [len(dates) - 1]
    picks = sorted(set(picks))
    col = {name: table[name].to_pylist() for name in table.column_names}

    def yearly(name: str, i: int) -> float:
        lo = max(0, i - 11)
        return sum(col[name][lo : i + 1]) if i > 0 else float("nan")

    lines: list[tuple[str, Callable[[int], str]]] = [
        ("401(k) assets, $T", lambda i: f"{col['assets_usd'][i] / 1e12:.2f}"),
        ("participants, M", lambda i: f"{col['participants'][i] / 1e6:.1f}"),
        ("in alternatives, $B", lambda i: f"{sum(col[f'assets_usd__{a}'][i] for a in _alts()) / 1e9:.1f}"),
        ("  private equity, $B", lambda i: f"{col['assets_usd__private_equity'][i] / 1e9:.1f}"),
        ("  private credit, $B", lambda i: f"{col['assets_usd__private_credit'][i] / 1e9:.1f}"),
        ("  crypto, $B", lambda i: f"{col['assets_usd__crypto'][i] / 1e9:.1f}"),
        ("plans offering alts, %", lambda i: f"{100 * col['share_plans_offering_any_alt'][i]:.1f}"),
        ("savers exposed, %", lambda i: f"{100 * col['share_savers_exposed_any_alt'][i]:.1f}"),
        ("fees paid, $B/yr", lambda i: f"{yearly('fees_usd', i) / 1e9:.1f}"),
        ("lawsuits, /yr", lambda i: f"{yearly('lawsuits', i):.0f}"),
    ]
    head = f"{'':26}" + "".join(f"{dates[i]:>10}" for i in picks)
    print(f"alt401k — scenario {model.scenario.name!r}, {model.savers.n:,} savers, "
          f"{model.plans.n:,} plans, seed {model.config.seed}, {elapsed_s:.1f} s")
    print(head)
    for label, fmt in lines:
        print(f"{label:26}" + "".join(f"{fmt(i):>10}" for i in picks))


def _alts() -> tuple[str, ...]:
    from ..model.assets import ALTERNATIVES

    return ALTERNATIVES


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for every subcommand."""
    parser = argparse.ArgumentParser(prog="alt401k", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run the model once")
    run.add_argument("--scenario", default="eo-14330", help="bundled name or path to a scenario TOML")
    run.add_argument("--savers", type=int, help="simulated savers (default 100,000)")
    run.add_argument("--sponsors", type=int, help="simulated plans (default 1,200)")
    run.add_argument("--years", type=int, help="horizon in years (default 30)")
    run.add_argument("--seed", type=int, help="master seed")
    run.add_argument("--config", help="TOML file of run settings and behavioural parameters")
    run.add_argument("--set", action="append", metavar="KEY=VALUE", help="override a parameter, e.g. saver.panic_sale_prob=0.1")
    run.add_argument("--param", action="append", metavar="NAME=VALUE", help="scenario parameter, e.g. safe_harbor_effective=2027-07-01")
    run.add_argument("--market-path", help="imposed returns: FILE.csv, or equity-crash-2008@MONTH / crypto-winter@MONTH")
    run.add_argument("--out", default="results/runs/latest", help="output directory")
    run.set_defaults(func=cmd_run)
    scen = sub.add_parser("scenarios", help="list bundled regulatory variants")
    scen.set_defaults(func=cmd_scenarios)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `alt401k` console command."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except InputError as err:
        print(f"alt401k: error: {err}", file=sys.stderr)
        return EXIT_INPUT


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())


__all__ = ["main", "build_parser"]
