"""Tests for experiments/cli.py: listing, a tiny run, and one-line errors for bad input.

STYLE: an input error is one line naming the file (or option) and the key, exit status 2,
no traceback, and nothing written before the inputs are validated.
"""

from __future__ import annotations

import json
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
     ("saver.panic_sale_prob=1.5", "saver.panic_sale_prob")],
    ids=["unknown-key", "wrong-type", "out-of-range"],
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
