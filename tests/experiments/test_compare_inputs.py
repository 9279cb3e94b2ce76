"""`alt401k compare` refuses nonsense before it writes or runs anything.

Each bad argument ends as one line on standard error naming the user's argument, exit
status 2, and no output directory left behind. None of these tests runs the model.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from alt401k.experiments import cli, compare, sweep

SMALL = ["--savers", "100", "--years", "1", "--n-jobs", "1"]


def refused(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    """Run `alt401k compare ARGV`; assert exit status 2 and a one-line message; return it."""
    assert cli.main(["compare", *argv]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith("alt401k: error: "), err
    return err


def test_one_replication_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    err = refused(["eo-14330", "--replications", "1", *SMALL, "--out", str(tmp_path / "c")], capsys)
    assert "--replications" in err and "at least 2" in err
    assert not (tmp_path / "c").exists()


@pytest.mark.parametrize("rate", ["-2", "-0.01", "1", "3"])
def test_discount_rate_outside_zero_to_one_is_refused(rate: str, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    err = refused(["eo-14330", "--discount-rate", rate, *SMALL, "--out", str(tmp_path / "c")], capsys)
    assert f"--discount-rate: {rate}:" in err and "[0, 1)" in err
    assert not (tmp_path / "c").exists()


def test_unknown_variant_is_named_and_nothing_is_left(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    err = refused(["eo-1433", *SMALL], capsys)
    assert err.startswith("alt401k: error: VARIANT 'eo-1433': unknown scenario") and "eo-14330" in err
    assert "compare-spec.toml" not in err
    assert list(tmp_path.iterdir()) == []


def test_unknown_baseline_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    err = refused(["eo-14330", "--baseline", "status-qo", *SMALL, "--out", str(tmp_path / "c")], capsys)
    assert err.startswith("alt401k: error: --baseline 'status-qo': unknown scenario")
    assert not (tmp_path / "c").exists()


def test_other_settings_in_out_are_refused_without_touching_them(tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "c"
    (out / "sweep").mkdir(parents=True)
    (out / "sweep" / "sweep.json").write_text('{"spec_hash": "0000"}')
    (out / "compare-spec.toml").write_text("# the earlier comparison's spec\n")
    err = refused(["eo-14330", "--replications", "2", *SMALL, "--out", str(out)], capsys)
    assert f"--out {out}" in err and "--force" in err
    assert (out / "compare-spec.toml").read_text() == "# the earlier comparison's spec\n"


def test_a_failure_after_the_spec_is_written_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("worker pool died")

    monkeypatch.setattr(sweep, "run_sweep", broken)
    with pytest.raises(RuntimeError, match="worker pool died"):
        compare.run_compare(["eo-14330"], replications=2, n_savers=100, years=1, out=tmp_path / "c")
    assert not (tmp_path / "c").exists()
