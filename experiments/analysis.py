"""Sensitivity analysis of a finished sweep: Sobol' indices or Morris elementary effects.

docs/sweeps.md. The statistics come from SALib (`SALib.analyze.sobol`, `SALib.analyze.morris`)
applied to one outcome per design point: a run's horizon summary averaged over its
replications (common random numbers make that average a paired comparison). The core,
`analyze_design(problem, design, X, Y)`, takes any function of parameters, so the same
code path is checked against the Ishigami function's known indices in the tests.

`method="pce"` estimates the Sobol' indices instead from a sparse polynomial chaos surrogate
fitted to the same runs (`surrogate.pce_sobol`: narrower intervals from the same runs, Q²
to judge the fit), for any sampled design; it writes `pce_OUTPUT.csv`, `.png` and a
manifest `pce_OUTPUT.json` beside the design's own files.
"""

from __future__ import annotations

import hashlib
import json
import warnings
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from ..model.errors import InputError
from .surrogate import PceSettings, pce_sobol, scale_to_unit
from .sweep_spec import SweepSpec, load_spec, salib_problem, sample_matrix

F64 = npt.NDArray[np.float64]
RANK_BY = {"sobol": "ST", "morris": "mu_star", "latin": "abs_spearman"}
METHODS = ("design", "pce")
"""`design`: the estimator of the sweep's design (SALib's Saltelli estimator for a Sobol'
design, Morris's elementary effects, rank correlations for a Latin hypercube); `pce`:
Sobol' indices of a polynomial chaos surrogate (`surrogate.py`), for any sampled design."""


def analyze_design(problem: dict[str, Any], design: str, x: F64, y: F64, num_levels: int = 4,
                   seed: int = 0) -> pd.DataFrame:
    """Sensitivity indices of outcome `y` (shape (n,)) to the factors of sample `x` (n, D).

    Returns one row per factor: for "sobol" S1, S1_conf, ST, ST_conf (95% bootstrap
    half-widths); for "morris" mu_star, mu_star_conf, mu, sigma; for "latin" Spearman rank
    correlations. Rows are ranked by ST, mu* or |rho|, largest first.
    """
    y = np.asarray(y, dtype=float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if design == "sobol":
            from SALib.analyze import sobol

            res = sobol.analyze(problem, y, calc_second_order=False, seed=seed % (2**32),
                                print_to_console=False)
            frame = pd.DataFrame({"factor": problem["names"], "S1": res["S1"], "S1_conf": res["S1_conf"],
                                  "ST": res["ST"], "ST_conf": res["ST_conf"]})
        elif design == "morris":
            from SALib.analyze import morris

            res = morris.analyze(problem, x, y, num_levels=num_levels, seed=seed % (2**32),
                                 print_to_console=False)
            frame = pd.DataFrame({"factor": problem["names"], "mu_star": res["mu_star"],
                                  "mu_star_conf": res["mu_star_conf"], "mu": res["mu"],
                                  "sigma": res["sigma"]})
        elif design == "latin":
            from scipy.stats import spearmanr

            rho = [spearmanr(x[:, j], y).statistic for j in range(x.shape[1])]
            frame = pd.DataFrame({"factor": problem["names"], "spearman": rho,
                                  "abs_spearman": np.abs(rho)})
        else:
            raise ValueError(f"no sensitivity analysis for a {design} design")
    return frame.sort_values(RANK_BY[design], ascending=False, kind="stable").reset_index(drop=True)


def ishigami(x: F64, a: float = 7.0, b: float = 0.1) -> F64:
    """Ishigami test function of x (n, 3) on [-pi, pi]^3 (Ishigami & Homma 1990).

    Known indices for a=7, b=0.1: S1 = (0.314, 0.442, 0), ST = (0.558, 0.442, 0.244).
    """
    return np.sin(x[:, 0]) + a * np.sin(x[:, 1]) ** 2 + b * x[:, 2] ** 4 * np.sin(x[:, 0])


def design_outcomes(horizon: pd.DataFrame, spec: SweepSpec, output: str) -> dict[str, F64]:
    """Outcome per design point (mean over replications), by group, in sample order.

    A group is a scenario and a combination of crossed (value-list) factors; each holds the
    whole SALib sample. Raises InputError when a design point has no finished run.
    """
    crossed = [n for n, f in (spec.levers | spec.uncertainties).items() if not f.is_sampled]
    n_rows = sample_matrix(spec).shape[0]
    means = horizon.groupby(["scenario", "design_point", "sample_index"], sort=True)[output].mean().reset_index()
    firsts = horizon.drop_duplicates("design_point").set_index("design_point")
    out: dict[str, F64] = {}
    for scenario in spec.scenarios:
        rows = means[means["scenario"] == scenario]
        for _, chunk in rows.groupby(rows["design_point"] // n_rows, sort=True):
            point = int(chunk["design_point"].iloc[0])
            label = "|".join([scenario] + [f"{n}={firsts.loc[point, n]}" for n in crossed])
            if len(chunk) != n_rows:
                raise InputError(spec.title or "sweep", output, f"{label}: {n_rows - len(chunk)} design "
                                 "points have no finished run; rerun with --retry-failed")
            out[label] = chunk.sort_values("sample_index")[output].to_numpy(float)
    return out


def analyze_sweep(directory: str | Path, output: str | None = None, method: str = "design",
                  settings: PceSettings | None = None,
                  progress: Callable[[int, str], Any] | None = None) -> dict[str, pd.DataFrame]:
    """Sensitivity tables of a sweep's horizon outputs; writes CSV and PNG to DIR/analysis/.

    Returns {output name: table with a `group` column}. For a grid design the table is the
    replication mean of each output by design point. With `method="pce"` the tables are
    the surrogate's Sobol' indices (`pce_design`), with a JSON manifest each; `progress(total,
    label)` may return a bar to update after each bootstrap refit.
    """
    from .sweep import load_sweep

    if method not in METHODS:
        raise InputError("--method", method, f"unknown method; choose from {', '.join(METHODS)}")
    directory = Path(directory)
    spec, _ = load_spec(directory / "spec.toml")
    if method == "pce" and spec.design == "grid":
        raise InputError("--method", method, "needs a sampled design (latin, sobol or morris); this sweep is a grid")
    horizon = load_sweep(directory, table="horizon")
    names = [f"{n}__{how}" for n, how in spec.outputs.horizon.items()]
    if output is not None:
        if output not in names:
            raise InputError("--output", output, f"not a horizon output of this sweep; choose from {names}")
        names = [output]
    dest = directory / "analysis"
    dest.mkdir(exist_ok=True)
    tables: dict[str, pd.DataFrame] = {}
    for name in names:
        if method == "pce":
            tables[name] = pce_sweep_output(directory, spec, horizon, name, settings or PceSettings(), progress)
            continue
        if spec.design == "grid":
            factors = ["scenario", *spec.levers, *spec.uncertainties]
            table = horizon.groupby(factors, sort=False)[name].agg(["mean", "std", "count"]).reset_index()
        else:
            problem = salib_problem(spec)
            x = sample_matrix(spec)
            parts = []
            for label, y in design_outcomes(horizon, spec, name).items():
                part = analyze_design(problem, spec.design, x, y, spec.num_levels, spec.master_seed)
                parts.append(part.assign(group=label))
            table = pd.concat(parts, ignore_index=True)
        table.to_csv(dest / f"{spec.design}_{name}.csv", index=False)
        _bar_chart(table, spec.design, name, dest / f"{spec.design}_{name}.png")
        tables[name] = table
    return tables


def pce_sweep_output(directory: Path, spec: SweepSpec, horizon: pd.DataFrame, name: str,
                     settings: PceSettings, progress: Callable[[int, str], Any] | None) -> pd.DataFrame:
    """PCE Sobol' indices of one horizon output, by group; writes pce_NAME.csv, .png and .json.

    The table has the Saltelli table's columns (S1, S1_conf, ST, ST_conf, group) and the
    fit's `Q2`, `degree` and `n_terms` on every row of its group.
    """
    problem, x = salib_problem(spec), sample_matrix(spec)
    try:
        scale_to_unit(problem, x)
    except ValueError as err:  # a factor that is not uniform
        raise InputError("--method", "pce", str(err)) from None
    if len(x) < 2 * settings.folds:
        raise InputError("--method", "pce", f"needs at least {2 * settings.folds} design points for its "
                         f"{settings.folds}-fold Q²; this sweep has {len(x)}")
    parts, fits = [], {}
    for label, y in design_outcomes(horizon, spec, name).items():
        bar = progress(settings.n_bootstrap, f"{name} bootstrap") if progress else None
        result = pce_sobol(problem, x, y, spec.master_seed, settings, bar.update if bar is not None else None)
        if bar is not None:
            bar.close()
        parts.append(result.table.assign(group=label, Q2=result.q2, degree=result.degree, n_terms=result.n_terms))
        fits[label] = result.summary()
    table = pd.concat(parts, ignore_index=True)
    dest = directory / "analysis"
    dest.mkdir(exist_ok=True)
    table.to_csv(dest / f"pce_{name}.csv", index=False)
    _bar_chart(table, "sobol", f"{name} (PCE, Q² {table['Q2'].iloc[0]:.2f})", dest / f"pce_{name}.png")
    write_pce_manifest(directory, spec, name, fits)
    return table


def write_pce_manifest(directory: Path, spec: SweepSpec, name: str, fits: dict[str, Any]) -> None:
    """pce_NAME.json: what made pce_NAME.csv and .png (code, packages, sweep, seed, settings),
    each group's fit (Q², degree, terms) and the files' SHA-256; no timestamps, so the same
    inputs give the same bytes, as a run's manifest (model/outputs.py)."""
    from ..model.outputs import git_commit, json_safe, package_versions, write_atomic

    dest = directory / "analysis"
    sweep = json.loads((directory / "sweep.json").read_text()) if (directory / "sweep.json").is_file() else {}
    record = {
        "generator": "alt401k analyze --method pce",
        "method": "sparse polynomial chaos (Legendre, LARS, corrected leave-one-out; OpenTURNS), "
                  "Sobol' indices from its coefficients, 95% half-widths = 1.96 x bootstrap sd",
        "output": name, "design": spec.design, "seed": spec.master_seed,
        "sweep_spec_hash": sweep.get("spec_hash"), "git_commit": git_commit(),
        "packages": {**package_versions(), "openturns": metadata.version("openturns")},
        "groups": fits,
        "files": {f"pce_{name}.{ext}": hashlib.sha256((dest / f"pce_{name}.{ext}").read_bytes()).hexdigest()
                  for ext in ("csv", "png")},
    }
    text = json.dumps(json_safe(record), indent=2, sort_keys=True, allow_nan=False) + "\n"
    write_atomic(dest / f"pce_{name}.json", text.encode())


def _bar_chart(table: pd.DataFrame, design: str, output: str, path: Path) -> None:
    """Horizontal bars of the ranking statistic (first group), with confidence whiskers."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    if design == "grid":
        labels = table.drop(columns=["mean", "std", "count"]).astype(str).agg(", ".join, axis=1)
        fig, ax = plt.subplots(figsize=(8, 0.35 * len(table) + 1.5))
        ax.barh(labels, table["mean"], xerr=table["std"].fillna(0.0))
        ax.set_xlabel(f"{output} (mean over replications)")
    else:
        group = table[table["group"] == table["group"].iloc[0]].iloc[::-1]
        fig, ax = plt.subplots(figsize=(8, 0.35 * len(group) + 1.5))
        if design == "sobol":
            pos = np.arange(len(group))
            ax.barh(pos - 0.2, group["ST"], 0.4, xerr=group["ST_conf"], label="ST")
            ax.barh(pos + 0.2, group["S1"], 0.4, xerr=group["S1_conf"], label="S1")
            ax.set_yticks(pos, group["factor"])
            ax.legend()
        elif design == "morris":
            ax.barh(group["factor"], group["mu_star"], xerr=group["mu_star_conf"])
            ax.set_xlabel("mu*")
        else:
            ax.barh(group["factor"], group["spearman"])
            ax.set_xlabel("Spearman rank correlation")
        ax.set_title(f"{output} — {group['group'].iloc[0]}", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def format_table(table: pd.DataFrame, limit: int = 30) -> str:
    """The ranked table as aligned text (numbers to 3 significant digits)."""
    return table.head(limit).to_string(index=False, float_format=lambda v: f"{v:.3g}")


__all__ = ["METHODS", "analyze_design", "analyze_sweep", "design_outcomes", "format_table", "ishigami",
           "pce_sweep_output", "write_pce_manifest"]
