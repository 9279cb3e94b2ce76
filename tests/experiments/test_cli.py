"""Tests for experiments/cli.py: listing, a tiny run, and one-line errors for bad input.

An input error is one line naming the file (or option) and the key, exit status 2,
no traceback, and nothing written before the inputs are validated.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from alt401k.experiments.cli import main

BUNDLED = sorted(p.stem for p in (Path(__file__).parents[2] / "experiments" / "scenarios").glob("*.toml"))
TINY = ["--savers", "400", "--sponsors", "8", "--years", "1", "--seed", "3"]
HEADER = 'title = "t"\ndescription = "d"\n'


def change(lever: str, value: str) -> str:
    return f'[[changes]]\nlever = "{lever}"\nvalue = {value}\neffective = 2026-01-01\nsource = "test"\n'


def test_scenarios_lists_every_bundled_file(capsys: pytest.CaptureFixture[str]) -> None:
    assert len(BUNDLED) >= 10
    assert main(["scenarios"]) == 0
    listed = [line.split()[0] for line in capsys.readouterr().out.splitlines()]
    assert listed == BUNDLED


def test_run_writes_three_files_and_prints_a_summary(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "run"
    assert main(["run", "--scenario", "status-quo", *TINY, "--out", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["horizon.parquet", "manifest.json", "series.parquet"]
    printed = capsys.readouterr().out
    assert "scenario 'status-quo'" in printed
    assert "401(k) assets, $T" in printed
    assert "wrote" in printed


def expect_input_error(capsys: pytest.CaptureFixture[str], tmp_path: Path, args: list[str], *names: str) -> None:
    out = tmp_path / "out"
    assert main(["run", *TINY, *args, "--out", str(out)]) == 2
    captured = capsys.readouterr()
    lines = captured.err.splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith("alt401k: error: ")
    assert "Traceback" not in captured.err
    for name in names:
        assert name in lines[0], (name, lines[0])
    assert not out.exists(), "output written before validation"


def scenario_file(tmp_path: Path, body: str) -> str:
    path = tmp_path / "variant.toml"
    path.write_text(HEADER + body, encoding="utf-8")
    return str(path)


def test_unknown_scenario(tmp_path, capsys) -> None:
    expect_input_error(capsys, tmp_path, ["--scenario", "no-such-variant"], "no-such-variant", "eo-14330")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ("bogus = 1\n", "bogus"),
        (change("cap.account", "1.5"), "changes[0].value"),
        (change("fee_cap.annual", "-0.01"), "changes[0].value"),
        (change("cap.account", "nan"), "changes[0].value"),
        (change("no.such.lever", "1"), "changes[0].lever"),
    ],
    ids=["unknown-key", "cap-1.5", "negative-fee-cap", "nan", "unknown-lever"],
)
def test_bad_scenario_file(tmp_path, capsys, body: str, field: str) -> None:
    path = scenario_file(tmp_path, body)
    expect_input_error(capsys, tmp_path, ["--scenario", path], path, field)


def test_unreadable_scenario_file(tmp_path, capsys) -> None:
    path = tmp_path / "bad.toml"
    path.write_bytes(b'title = "\xff\xfe"\n')  # not UTF-8
    expect_input_error(capsys, tmp_path, ["--scenario", str(path)], str(path))
    missing = str(tmp_path / "missing.toml")
    expect_input_error(capsys, tmp_path, ["--scenario", missing], missing)


@pytest.mark.parametrize(
    ("pair", "field"),
    [("saver.no_such_rate=0.1", "saver.no_such_rate"), ("saver.panic_sale_prob=abc", "saver.panic_sale_prob"),
     ("saver.panic_sale_prob=1.5", "saver.panic_sale_prob"),
     ("saver.menu_count_elasticity=-0.2", "saver.menu_count_elasticity"),
     ("sponsor.core_funds_mean_by_class=[[0.5, 3, 1], [13, 3, 1], [13, 3, 1], [13, 3, 1]]",
      "sponsor.core_funds_mean_by_class")],
    ids=["unknown-key", "wrong-type", "out-of-range", "menu-elasticity", "menu-fewer-than-one-fund"],
)
def test_bad_set_override(tmp_path, capsys, pair: str, field: str) -> None:
    expect_input_error(capsys, tmp_path, ["--scenario", "status-quo", "--set", pair], "--set", field)


def test_config_file_with_a_bad_value(tmp_path, capsys) -> None:
    path = tmp_path / "run.toml"
    path.write_text("[saver]\ncash_out_scale = -1.0\n", encoding="utf-8")
    expect_input_error(capsys, tmp_path, ["--scenario", "status-quo", "--config", str(path)], str(path), "saver.cash_out_scale")


@pytest.mark.parametrize(
    ("arg", "names"),
    [("moon-landing@3", ("--market-path", "moon-landing")), ("equity-crash-2008@99", ("--market-path", "99")),
     ("missing.csv", ("missing.csv",))],
    ids=["unknown-path", "start-after-run", "missing-file"],
)
def test_bad_market_path(tmp_path, capsys, arg: str, names: tuple[str, ...]) -> None:
    if arg.endswith(".csv"):
        arg = str(tmp_path / arg)
    expect_input_error(capsys, tmp_path, ["--scenario", "status-quo", "--market-path", arg], *names)


SETTINGS = Path(__file__).resolve().parents[2] / "experiments" / "settings"


def test_run_on_a_bundled_setting(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # The opt-in vs automatic enrollment world: after a year the auto-enrolling plan has far
    # higher enrollment (Madrian & Shea 2001: 86% vs 37%), and its manifest has no national
    # t0 calibration (the targets do not apply to a designed world).
    out = tmp_path / "setting"
    args = ["run", "--setting", str(SETTINGS / "opt-in-vs-auto.toml"), "--scenario", "status-quo",
            "--years", "1", "--out", str(out)]
    assert main(args) == 0
    rows = {line.split()[0]: line.split() for line in capsys.readouterr().out.splitlines()
            if line.startswith(("opt-in", "auto-3pct"))}
    assert float(rows["auto-3pct"][2]) > float(rows["opt-in"][2]) + 30
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["t0_calibration"] is None and manifest["setting"]["plans"][0]["name"] == "opt-in"


def test_bad_setting_file_exits_2_naming_the_field(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "world.toml"
    path.write_text('[[plans]]\nenrollment = "sometimes"\n', encoding="utf-8")
    expect_input_error(capsys, tmp_path, ["--setting", str(path)], str(path), "plans.0.enrollment")


def run_scaled(tmp_path: Path, *args: str) -> tuple[int, Path]:
    out = tmp_path / "scaled"
    return main(["run", "--years", "1", "--seed", "3", *args, "--out", str(out)]), out


def test_scale_draws_that_share_of_the_national_participants_and_plans(tmp_path: Path) -> None:
    # 0.0002 of ~70M participants and 604,400 plans (InitialState, ICI / Form 5500).
    code, out = run_scaled(tmp_path, "--scale", "0.0002")
    assert code == 0
    params = json.loads((out / "manifest.json").read_text())["config"]
    assert (params["n_savers"], params["n_sponsors"]) == (14_000, 121)


@pytest.mark.parametrize(
    ("args", "names"),
    [
        (["--scale", "0"], ("--scale", "(0, 1]")),
        (["--scale", "1.5"], ("--scale", "(0, 1]")),
        (["--scale", "nan"], ("--scale", "(0, 1]")),
        (["--scale", "half"], ("--scale", "national")),
        (["--scale", "0.01", "--savers", "1000"], ("--scale", "--savers")),
    ],
)
def test_bad_scale(tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], names: tuple[str, ...]) -> None:
    code, out = run_scaled(tmp_path, *args)
    assert code == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert all(name in err for name in names), err
    assert not out.exists()


def test_a_run_too_big_for_memory_is_refused_before_it_starts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The 1:1 national run needs tens of GiB (model.scale); with 8 GiB available it must be
    # refused at once with the option named and a scale that would fit, nothing written.
    from alt401k.model import scale

    monkeypatch.setattr(scale, "available_bytes", lambda: 8 * 2**30)
    code, out = run_scaled(tmp_path, "--scale", "national")
    assert code == 2
    err = capsys.readouterr().err
    assert "--scale: national" in err and "70,000,000 savers" in err and "GiB" in err
    suggested = float(err.split("Use --scale ")[1].split()[0])
    sizes = scale.scaled_sizes(scale.RunConfig(), suggested)
    assert scale.estimated_peak_bytes(sizes["n_savers"], sizes["n_sponsors"]) <= 8 * 2**30 * 1.001
    assert not out.exists()


# ----------------------------------------------------------------------------- --out


@pytest.fixture
def no_model(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make building the model fail loudly: a refused --out must be refused before it."""
    from alt401k.model import model

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the model was built before --out was checked")

    monkeypatch.setattr(model.Alt401kModel, "__init__", refuse)


def one_error_line(capsys: pytest.CaptureFixture[str], *names: str) -> str:
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.startswith("alt401k: error: ")]
    assert len(lines) == 1 and "Traceback" not in err, err
    assert all(name in lines[0] for name in names), (names, lines[0])
    return lines[0]


def test_out_naming_an_existing_file_is_refused_before_the_run(tmp_path: Path, capsys, no_model) -> None:
    target = tmp_path / "some-existing-file"
    target.write_text("keep me", encoding="utf-8")
    assert main(["run", "--scenario", "status-quo", *TINY, "--out", str(target)]) == 2
    one_error_line(capsys, "--out", str(target), "existing file")
    assert target.read_text(encoding="utf-8") == "keep me"


def test_out_below_a_file_is_refused_before_the_run(tmp_path: Path, capsys, no_model) -> None:
    (tmp_path / "file").write_text("x", encoding="utf-8")
    assert main(["run", "--scenario", "status-quo", *TINY, "--out", str(tmp_path / "file" / "run")]) == 2
    one_error_line(capsys, "--out", "not a directory")


def test_out_on_a_read_only_file_system_is_refused_before_the_run(tmp_path: Path, capsys, no_model,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    # A read-only mount cannot be made in a test; the probe fails as it would on one.
    import errno
    import tempfile

    def read_only(*args: object, **kwargs: object) -> None:
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(tempfile, "TemporaryDirectory", read_only)
    out = tmp_path / "runs" / "new"
    assert main(["run", "--scenario", "status-quo", *TINY, "--out", str(out)]) == 2
    one_error_line(capsys, "--out", str(out), "Read-only file system")
    assert not out.exists()


def test_existing_run_directory_is_kept_unless_force(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "run"
    out.mkdir()
    (out / "manifest.json").write_text("{}", encoding="utf-8")
    (out / "notes.txt").write_text("mine", encoding="utf-8")
    assert main(["run", "--scenario", "status-quo", *TINY, "--out", str(out)]) == 2
    one_error_line(capsys, "--out", str(out), "--force")
    assert (out / "manifest.json").read_text(encoding="utf-8") == "{}"
    assert main(["run", "--scenario", "status-quo", *TINY, "--out", str(out), "--force"]) == 0
    assert json.loads((out / "manifest.json").read_text())["seed"] == 3
    assert (out / "notes.txt").read_text(encoding="utf-8") == "mine"


# ----------------------------------------------------------------------------- other tracebacks


def test_market_path_csv_starting_after_the_run_exits_2(tmp_path: Path, capsys, no_model) -> None:
    path = tmp_path / "late.csv"
    path.write_text("month,equity\n30,-0.1\n31,0.05\n", encoding="utf-8")
    assert main(["run", "--scenario", "status-quo", *TINY, "--market-path", str(path),
                 "--out", str(tmp_path / "out")]) == 2
    one_error_line(capsys, str(path), "month", "30")
    assert not (tmp_path / "out").exists()


def test_ctrl_c_during_a_run_prints_one_line_and_exits_130(tmp_path: Path, capsys,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    from alt401k.model import model

    def interrupt(self: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(model.Alt401kModel, "step", interrupt)
    out = tmp_path / "run"
    assert main(["run", "--scenario", "status-quo", *TINY, "--out", str(out)]) == 130
    err = capsys.readouterr().err
    assert err.splitlines()[-1] == "alt401k: interrupted"
    assert "Traceback" not in err and "KeyboardInterrupt" not in err
    assert not out.exists()


# ----------------------------------------------------------------------------- warnings


def dated_change(lever: str, value: str, effective: str) -> str:
    return f'[[changes]]\nlever = "{lever}"\nvalue = {value}\neffective = {effective}\nsource = "test"\n'


def test_lever_dates_outside_the_run_are_warned_naming_file_and_field(tmp_path: Path, capsys) -> None:
    # TINY is one year from the config's start (2025-01): the last month is 2025-12.
    path = scenario_file(tmp_path, dated_change("stance.crypto", "0.5", "2099-01-01")
                         + dated_change("stance.gold", "0.5", "1990-01-01")
                         + dated_change("stance.private_equity", "0.0", "2025-06-01"))
    assert main(["run", "--scenario", path, *TINY, "--out", str(tmp_path / "out")]) == 0
    warned = [line for line in capsys.readouterr().err.splitlines() if line.startswith("alt401k: warning: ")]
    assert len(warned) == 2, warned
    late, early = sorted(warned, key=lambda line: "2099" not in line)
    assert f"{path}: changes[0].effective" in late and "stance.crypto" in late and "2025-12" in late
    assert f"{path}: changes[1].effective" in early and "stance.gold" in early and "2025-01" in early


def test_unusual_lever_value_is_one_sentence_without_source_code(tmp_path: Path, capsys) -> None:
    path = scenario_file(tmp_path, dated_change("litigation.climate", "5.0", "2025-02-01"))
    assert main(["run", "--scenario", path, *TINY, "--out", str(tmp_path / "out")]) == 0
    err = capsys.readouterr().err
    warned = [line for line in err.splitlines() if "litigation.climate" in line]
    assert warned == [f"alt401k: warning: {path}: changes[0].value: litigation.climate = 5.0 is outside "
                      "the usual range [0.0, 3.0]; it is used as given"], err
    assert "LeverWarning" not in err and "warnings.warn" not in err


# ----------------------------------------------------------------------------- the run table


def test_run_table_has_no_nan_and_says_dollars_are_nominal(tmp_path: Path, capsys) -> None:
    assert main(["run", "--scenario", "status-quo", *TINY, "--out", str(tmp_path / "run")]) == 0
    printed = capsys.readouterr().out
    assert "nominal" in printed
    rows = {line[:26].strip(): line[26:].split() for line in printed.splitlines() if line[:1].isalpha()}
    assert not [cells for cells in rows.values() if "nan" in cells], printed
    assert rows["fees paid, $B/yr"][0] == "—" and float(rows["fees paid, $B/yr"][1]) > 0
    assert rows["lawsuits, /yr"][0] == "—"


def test_horizon_file_separates_in_plan_and_retired_rows_and_describes_columns(tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    out = tmp_path / "run"
    assert main(["run", "--scenario", "status-quo", *TINY, "--out", str(out)]) == 0
    table = pq.read_table(out / "horizon.parquet")
    kinds = table["kind"].to_pylist()
    groups = table["age_group"].to_pylist()
    assert set(kinds) <= {"in_plan", "retired"} and "in_plan" in kinds
    assert all((k == "retired") == (g == "retired") for k, g in zip(kinds, groups, strict=True))
    rates = table["median_replacement_rate"].to_pylist()
    assert all(r is None for r, k in zip(rates, kinds, strict=True) if k == "in_plan")
    described = table.schema.field("median_replacement_rate").metadata[b"description"].decode()
    assert "4%" in described and "final annual pay" in described


# ----------------------------------------------------------------------------- progress, help, start-up


def test_run_shows_a_plan_line_and_a_month_bar_only_on_a_terminal(tmp_path: Path, capsys,
                                                                  monkeypatch: pytest.MonkeyPatch, fake_terminal) -> None:
    assert main(["run", "--scenario", "status-quo", *TINY, "--out", str(tmp_path / "piped")]) == 0
    err = capsys.readouterr().err
    assert err.startswith("running status-quo: 400 savers, 8 plans, 12 months, seed 3; about ")
    assert "months:" not in err and "\r" not in err
    terminal = fake_terminal
    monkeypatch.setattr("sys.stderr", terminal)
    assert main(["run", "--scenario", "status-quo", *TINY, "--out", str(tmp_path / "tty")]) == 0
    assert "months:" in terminal.text and "/12" in terminal.text


def test_run_help_shows_the_defaults(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["run", "--help"])
    assert done.value.code == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "(default results/runs/latest)" in text and "(default 20250807)" in text
    assert "(default eo-14330)" in text and "(default 100,000)" in text
    assert "--force" in text


def test_bad_arguments_are_answered_before_the_model_and_its_libraries_load() -> None:
    # No timing: the heavy libraries must simply not have been imported when the error is out.
    code = ("import sys\n"
            "from alt401k.experiments.cli import main\n"
            "rc = main(['run', '--savers', '-5'])\n"
            "heavy = ('numba', 'mesa', 'pandas', 'pyarrow', 'matplotlib', 'dask', 'distributed')\n"
            "print(rc, [m for m in heavy if m in sys.modules])\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False)
    assert done.stdout.split(maxsplit=1) == ["2", "[]\n"], done.stdout + done.stderr
    assert "--savers" in done.stderr or "n_savers" in done.stderr
