"""Sweeps: determinism across workers and engines, crash safety, failures, bad specs.

Tiny runs (500 savers, 40 plans, 1-2 years) keep the file under a minute on two cores.
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.dataset as ds
import pytest
from alt401k.experiments import cli, sweep
from alt401k.model.outputs import parquet_bytes

TINY = """
scenarios = ["eo-14330", "status-quo"]
design = "grid"
replications = 2
master_seed = 7
years = {years}
n_savers = 500
n_sponsors = 40
[levers]
"safe_harbor.strength" = [0.0, 1.0]
[uncertainties]
saver.return_chasing = [1.0, 3.0]
[outputs]
every = 3
monthly = ["assets_usd", "assets_usd__alternatives"]
[outputs.horizon]
fees_usd = "sum"
assets_usd__alternatives = "last"
"""


def write_spec(tmp_path: Path, years: int = 1, text: str = TINY) -> Path:
    path = tmp_path / "tiny.toml"
    path.write_text(text.format(years=years))
    return path


def digests(directory: Path) -> dict[str, str]:
    """SHA-256 of every part file, and of the concatenation in run order."""
    out = {p.relative_to(directory).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
           for sub in ("parts", "horizon") for p in sorted((directory / sub).glob("*.parquet"))}
    out["combined"] = hashlib.sha256(parquet_bytes(sweep.combined_table(directory))).hexdigest()
    return out


def test_same_bytes_for_any_n_jobs_and_engine(tmp_path: Path) -> None:
    spec = write_spec(tmp_path)
    results = {}
    for name, kwargs in [("j1", {"n_jobs": 1}), ("j2", {"n_jobs": 2}),
                         ("dask", {"n_jobs": 2, "engine": "dask"})]:
        res = sweep.run_sweep(spec, tmp_path / name, progress=False, **kwargs)
        assert (res.n_runs, res.n_done, res.failed) == (16, 16, [])
        results[name] = digests(tmp_path / name)
    assert len(results["j1"]) == 2 * 16 + 1
    assert results["j1"] == results["j2"] == results["dask"]


def test_tidy_layout_and_common_random_numbers(tmp_path: Path) -> None:
    spec = write_spec(tmp_path)
    sweep.run_sweep(spec, tmp_path / "out", n_jobs=1, progress=False)
    frame = sweep.load_sweep(tmp_path / "out")
    assert list(frame.columns[:7]) == ["run_id", "design_point", "sample_index", "replication",
                                       "scenario", "safe_harbor.strength", "saver.return_chasing"]
    assert frame["month"].unique().tolist() == [0, 3, 6, 9, 12]
    assert len(frame) == 16 * 5
    # Month 0 is the initial state: the same for every run of one replication (CRN).
    t0 = frame[frame["month"] == 0].groupby("replication")["assets_usd"].nunique()
    assert t0.tolist() == [1, 1]
    assert isinstance(sweep.load_sweep(tmp_path / "out", lazy=True), ds.Dataset)
    horizon = sweep.load_sweep(tmp_path / "out", table="horizon", columns=["run_id", "fees_usd__sum"])
    assert horizon["run_id"].tolist() == list(range(16))


def test_killed_sweep_resumes_without_rerunning_parts(tmp_path: Path) -> None:
    spec = write_spec(tmp_path, years=2)
    out = tmp_path / "killed"
    cmd = [sys.executable, "-m", "alt401k.experiments.cli", "sweep", str(spec), "--out", str(out),
           "--n-jobs", "1"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    deadline = time.monotonic() + 120
    while not list((out / "parts").glob("*.parquet")) and time.monotonic() < deadline:
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    before = {p: (p.stat().st_ino, p.stat().st_mtime_ns) for p in (out / "parts").glob("*.parquet")}
    assert 1 <= len(before) < 16, "kill should land part-way"
    assert cli.main(["sweep", str(spec), "--out", str(out), "--n-jobs", "2"]) == 0
    after = {p: (p.stat().st_ino, p.stat().st_mtime_ns) for p in before}
    assert after == before
    assert not list(out.glob("**/*.tmp"))
    sweep.run_sweep(spec, tmp_path / "fresh", n_jobs=1, progress=False)
    assert digests(out) == digests(tmp_path / "fresh")


def test_failed_run_is_recorded_and_retried(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    spec = write_spec(tmp_path)
    out = tmp_path / "out"

    def fail_on_run_5(task: sweep.Task) -> None:
        if task.run_id == 5:
            raise RuntimeError("boom: test hook")

    monkeypatch.setattr(sweep, "FAIL_HOOK", fail_on_run_5)
    assert cli.main(["sweep", str(spec), "--out", str(out), "--n-jobs", "1"]) == 1
    record = (out / "failed" / "run-000005.json").read_text()
    assert "boom: test hook" in record and "Traceback" in record and "saver.return_chasing" in record
    assert len(list((out / "parts").glob("*.parquet"))) == 15
    assert "failed runs: 5" in capsys.readouterr().err
    assert cli.main(["sweep", str(spec), "--out", str(out), "--n-jobs", "1"]) == 1  # still failed
    monkeypatch.setattr(sweep, "FAIL_HOOK", None)
    assert cli.main(["sweep", str(spec), "--out", str(out), "--n-jobs", "1", "--retry-failed"]) == 0
    assert not (out / "failed" / "run-000005.json").exists()
    assert len(list((out / "parts").glob("*.parquet"))) == 16


def test_changed_spec_is_refused_unless_forced(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = write_spec(tmp_path)
    out = tmp_path / "out"
    assert cli.main(["sweep", str(spec), "--out", str(out), "--n-jobs", "1"]) == 0
    capsys.readouterr()
    spec.write_text(spec.read_text().replace("master_seed = 7", "master_seed = 8"))
    assert cli.main(["sweep", str(spec), "--out", str(out), "--n-jobs", "1"]) == 2
    err = capsys.readouterr().err
    assert "different spec" in err and "--force" in err and len(err.strip().splitlines()) == 1
    assert cli.main(["sweep", str(spec), "--out", str(out), "--n-jobs", "1", "--force"]) == 0


@pytest.mark.parametrize(("old", "new", "field"), [
    ("saver.return_chasing = [1.0, 3.0]", "saver.no_such_thing = [1.0]", "uncertainties.saver.no_such_thing"),
    ("saver.return_chasing = [1.0, 3.0]", "saver.panic_sale_prob = [2.0]", "uncertainties.saver.panic_sale_prob"),
    ("saver.return_chasing = [1.0, 3.0]", "saver.menu_count_elasticity = [1.5]",
     "uncertainties.saver.menu_count_elasticity"),
    ('design = "grid"', 'design = "latin"\nn_samples = 4', "uncertainties.saver.return_chasing"),
    ("replications = 2", "replications = 0", "replications"),
    ('"eo-14330"', '"no-such-scenario"', "scenarios[0]"),
    ('"safe_harbor.strength" = [0.0, 1.0]', '"safe_harbor.strenght" = [0.0]', "levers.safe_harbor.strenght"),
    ('"safe_harbor.strength" = [0.0, 1.0]', '"safe_harbor.strength" = [2.0]', "levers.safe_harbor.strength"),
    ('"assets_usd", ', '"no_such_column", ', "outputs.monthly.no_such_column"),
    ("master_seed = 7", "master_seed = 7\ncolour = 1", "colour"),
])
def test_malformed_spec_exits_2_naming_the_field(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                 old: str, new: str, field: str) -> None:
    text = TINY.replace(old, new)
    if "latin" in new:  # sampled design: reversed bounds
        text = text.replace("saver.return_chasing = [1.0, 3.0]", "saver.return_chasing = {{ bounds = [3.0, 1.0] }}")
    assert text != TINY
    spec = write_spec(tmp_path, text=text)
    assert cli.main(["sweep", str(spec), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and f"{spec}: {field}:" in err, err
    assert not (tmp_path / "out").exists()


ONE_RUN = """
scenarios = ["status-quo"]
design = "grid"
replications = {replications}
master_seed = 7
years = 1
n_savers = 500
n_sponsors = 40
[levers]
"litigation.climate" = [{climate}]
[outputs]
monthly = ["assets_usd"]
"""


def test_ctrl_c_exits_130_in_one_line_and_keeps_finished_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    spec = write_spec(tmp_path, text=ONE_RUN.replace("{climate}", "1.0").replace("{replications}", "4"))
    out = tmp_path / "out"

    def interrupt_run_2(task: sweep.Task) -> None:
        if task.run_id == 2:
            raise KeyboardInterrupt

    monkeypatch.setattr(sweep, "FAIL_HOOK", interrupt_run_2)
    assert cli.main(["sweep", str(spec), "--out", str(out), "--n-jobs", "1"]) == 130
    err = capsys.readouterr().err
    assert err.splitlines()[-1] == "alt401k: interrupted" and "Traceback" not in err
    assert sorted(p.name for p in (out / "parts").glob("*.parquet")) == ["run-000000.parquet", "run-000001.parquet"]
    monkeypatch.setattr(sweep, "FAIL_HOOK", None)
    assert cli.main(["sweep", str(spec), "--out", str(out), "--n-jobs", "1"]) == 0
    assert "2 already done, 2 run now" in capsys.readouterr().out


def test_unreachable_dask_scheduler_exits_2_naming_the_option(tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    import socket

    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    spec = write_spec(tmp_path)
    out = tmp_path / "out"
    address = f"tcp://127.0.0.1:{port}"
    assert cli.main(["sweep", str(spec), "--out", str(out), "--engine", "dask", "--scheduler", address]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(f"alt401k: error: --scheduler: {address}: "), err
    assert not out.exists()


def test_unusual_lever_value_in_a_spec_is_warned_once_in_one_line(tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    spec = write_spec(tmp_path, text=ONE_RUN.replace("{climate}", "5.0").replace("{replications}", "2"))
    assert cli.main(["sweep", str(spec), "--out", str(tmp_path / "out"), "--n-jobs", "1"]) == 0
    err = capsys.readouterr().err
    warned = [line for line in err.splitlines() if "litigation.climate" in line]
    assert warned == [f"alt401k: warning: {spec}: levers.litigation.climate: litigation.climate = 5.0 is "
                      "outside the usual range [0.0, 3.0]; it is used as given"], err


def test_sweep_progress_is_a_plan_line_without_a_bar_when_piped(tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    spec = write_spec(tmp_path, text=ONE_RUN.replace("{climate}", "1.0").replace("{replications}", "1"))
    out = tmp_path / "out"
    assert cli.main(["sweep", str(spec), "--out", str(out), "--n-jobs", "1"]) == 0
    err = capsys.readouterr().err
    assert err.startswith(f"sweep {out}: 1 of 1 runs to do (500 savers, 40 plans, 12 months each), local engine; "
                          "about ")
    assert err.count("\n") == 1 and "\r" not in err and "run/s" not in err
