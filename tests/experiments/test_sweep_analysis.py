"""Sensitivity analysis: known Ishigami indices, and a tiny Sobol' and Morris sweep end to end."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from alt401k.experiments import cli
from alt401k.experiments.analysis import analyze_design, ishigami
from alt401k.experiments.sweep_spec import sample

ISHIGAMI = {"num_vars": 3, "names": ["x1", "x2", "x3"], "bounds": [[-math.pi, math.pi]] * 3}


def test_sobol_recovers_ishigami_indices() -> None:
    """Known answer (Ishigami & Homma 1990; Saltelli et al. 2008): a=7, b=0.1."""
    x = sample(ISHIGAMI, "sobol", 2**13, seed=1)
    table = analyze_design(ISHIGAMI, "sobol", x, ishigami(x), seed=1).set_index("factor")
    np.testing.assert_allclose(table.loc[["x1", "x2", "x3"], "S1"], [0.314, 0.442, 0.0], atol=0.03)
    np.testing.assert_allclose(table.loc[["x1", "x2", "x3"], "ST"], [0.558, 0.442, 0.244], atol=0.03)
    assert (table["ST_conf"] < 0.05).all()


def test_morris_ranks_ishigami_factors() -> None:
    x = sample(ISHIGAMI, "morris", 200, num_levels=4, seed=1)
    table = analyze_design(ISHIGAMI, "morris", x, ishigami(x), num_levels=4, seed=1)
    assert table["factor"].tolist()[0] in ("x1", "x2") and table["factor"].tolist()[-1] == "x3"


SAMPLED = """
scenarios = ["eo-14330"]
design = "{design}"
n_samples = 4
n_trajectories = 3
replications = 2
master_seed = 11
years = 1
n_savers = 500
n_sponsors = 40
[uncertainties]
"sponsor.adoption_intercept" = {{ bounds = [-4.0, -1.0] }}
"saver.panic_sale_prob" = {{ bounds = [0.0, 0.2] }}
[outputs]
monthly = ["share_plans_offering_any_alt"]
every = 12
[outputs.horizon]
share_plans_offering_any_alt = "last"
"""


@pytest.mark.parametrize(("design", "n_points", "column"), [("sobol", 4 * 4, "ST"), ("morris", 3 * 3, "mu_star")])
def test_analyze_a_sampled_sweep(tmp_path: Path, capsys: pytest.CaptureFixture[str], design: str,
                                 n_points: int, column: str) -> None:
    spec = tmp_path / f"{design}.toml"
    spec.write_text(SAMPLED.format(design=design))
    out = tmp_path / "out"
    assert cli.main(["sweep", str(spec), "--out", str(out), "--n-jobs", "2"]) == 0
    assert len(list((out / "parts").glob("*.parquet"))) == 2 * n_points
    assert cli.main(["analyze", str(out)]) == 0
    printed = capsys.readouterr().out
    assert column in printed and "sponsor.adoption_intercept" in printed
    stem = f"{design}_share_plans_offering_any_alt__last"
    assert (out / "analysis" / f"{stem}.csv").is_file() and (out / "analysis" / f"{stem}.png").is_file()
    assert cli.main(["analyze", str(out), "--output", "nope"]) == 2
    check_pce_analysis(out, design, capsys)


def check_pce_analysis(out: Path, design: str, capsys: pytest.CaptureFixture[str]) -> None:
    """`--method pce` on the same runs: its own CSV, PNG and manifest beside the design's
    files; a sweep with fewer design points than its 5-fold Q² needs is refused in one line."""
    capsys.readouterr()
    code = cli.main(["analyze", str(out), "--method", "pce", "--bootstrap", "5", "--max-degree", "2"])
    if design == "morris":  # 9 design points
        assert code == 2 and "needs at least 10 design points" in capsys.readouterr().err
        return
    assert code == 0
    printed = capsys.readouterr().out
    assert "Q²" in printed and "sponsor.adoption_intercept" in printed
    stem = "pce_share_plans_offering_any_alt__last"
    table = pd.read_csv(out / "analysis" / f"{stem}.csv")
    assert set(table["factor"]) == {"sponsor.adoption_intercept", "saver.panic_sale_prob"}
    assert {"S1", "S1_conf", "ST", "ST_conf", "Q2", "degree", "group"} <= set(table.columns)
    manifest = json.loads((out / "analysis" / f"{stem}.json").read_text())
    assert manifest["groups"]["eo-14330"]["settings"]["n_bootstrap"] == 5 and manifest["seed"] == 11
    assert set(manifest["files"]) == {f"{stem}.csv", f"{stem}.png"} and "openturns" in manifest["packages"]
    assert (out / "analysis" / "sobol_share_plans_offering_any_alt__last.csv").is_file()  # left alone


@pytest.mark.parametrize(("args", "option"), [
    (["--method", "saltelli"], "--method"),
    (["--bootstrap", "50"], "--bootstrap"),
    (["--method", "pce", "--bootstrap", "1"], "--bootstrap"),
    (["--method", "pce", "--max-degree", "two"], "--max-degree"),
    (["--method", "pce", "--q-norm", "1.5"], "--q-norm"),
])
def test_analyze_bad_options(tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str],
                             option: str) -> None:
    """A bad analysis option: one line naming it, exit 2, before the sweep is even read."""
    assert cli.main(["analyze", str(tmp_path), *args]) == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and err.startswith(f"alt401k: error: {option}: ") and "Traceback" not in err


def test_bundled_specs_validate() -> None:
    from alt401k.experiments.sweep_spec import design_points, load_spec

    root = Path(__file__).resolve().parents[2] / "experiments" / "sweeps"
    sizes = {p.stem: len(design_points(load_spec(p)[0])) for p in sorted(root.glob("*.toml"))}
    assert sizes["grid-policy"] == 8 and sizes["morris-screen"] == 210 and sizes["sobol-headline"] == 640
    assert sizes["morris-assumptions"] == 410 and sizes["morris-assumptions-2"] == 120
    assert sizes["morris-assumptions-4"] == 10 * (11 + 1)  # trajectories x (factors + 1)
    assert sizes["sobol-headline"] == 32 * (18 + 2)  # Saltelli, first and total orders
