"""An uncertain effective date in a sweep (issue #23): a scenario's date parameter sampled
as months after the start, recorded as a column, and refused when the scenario lacks it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow.dataset as ds
import pytest
from alt401k.experiments import cli, sweep
from alt401k.experiments.sweep_spec import design_points, load_spec, scenario_date

SPEC = """
scenarios = ["eo-14330"]
design = "{design}"
{size}
replications = 1
master_seed = 7
years = 4
n_savers = 300
n_sponsors = 40
[scenario_parameters]
safe_harbor_effective = {factor}
[outputs]
every = 12
monthly = ["share_plans_offering_any_alt"]
[outputs.horizon]
share_plans_offering_any_alt = "last"
"""


def write(tmp_path: Path, design: str = "grid", size: str = "", factor: str = "[6, 42]") -> Path:
    path = tmp_path / "spec.toml"
    path.write_text(SPEC.format(design=design, size=size, factor=factor))
    return path


def test_scenario_date_by_hand() -> None:
    assert scenario_date(dt.date(2025, 1, 1), 0) == dt.date(2025, 1, 1)
    assert scenario_date(dt.date(2025, 1, 1), 23.9) == dt.date(2026, 12, 1)
    assert scenario_date(dt.date(2025, 11, 1), 3) == dt.date(2026, 2, 1)


def test_sampled_dates_are_design_factors(tmp_path: Path) -> None:
    spec, _ = load_spec(write(tmp_path, "latin", "n_samples = 5", "{ bounds = [12, 48] }"))
    months = [dict(p.parameters)["safe_harbor_effective"] for p in design_points(spec)]
    assert len(months) == 5 and all(12 <= m <= 48 for m in months)
    assert len(set(months)) == 5  # a Latin hypercube spreads them


def test_each_run_gets_its_date_and_records_it(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = sweep.run_sweep(write(tmp_path), out, n_jobs=1)
    assert result.n_done == 2
    table = ds.dataset(out / "horizon").to_table().to_pandas().sort_values("run_id")
    assert table["scenario.safe_harbor_effective"].tolist() == [6, 42]
    # The safe harbor in force from mid-2025 rather than mid-2028: more plans offer by 2029.
    early, late = table["share_plans_offering_any_alt__last"].tolist()
    assert early > late


def test_a_parameter_the_scenario_lacks_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path).read_text().replace("safe_harbor_effective =", "no_such_date =")
    spec = tmp_path / "bad.toml"
    spec.write_text(path)
    assert cli.main(["sweep", str(spec), "--out", str(tmp_path / "bad")]) == 2
    err = capsys.readouterr().err
    assert "scenario_parameters.no_such_date" in err and err.count("\n") == 1
    assert not (tmp_path / "bad").exists()


def test_months_beyond_the_horizon_are_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["sweep", str(write(tmp_path, factor="[6, 400]")), "--out", str(tmp_path / "o")]) == 2
    assert "months after the start" in capsys.readouterr().err


def test_a_sampled_date_is_analysed_like_any_factor(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = write(tmp_path, "morris", "n_trajectories = 2", "{ bounds = [6, 42] }")
    out = tmp_path / "m"
    assert cli.main(["sweep", str(spec), "--out", str(out), "--n-jobs", "1"]) == 0
    assert cli.main(["analyze", str(out)]) == 0
    assert "scenario.safe_harbor_effective" in capsys.readouterr().out
