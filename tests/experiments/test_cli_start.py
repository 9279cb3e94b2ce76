"""`alt401k run --start` and `--market-path historical` (issue #22; ODD §5.1)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from alt401k.experiments.cli import main


@pytest.mark.parametrize(("value", "message"), [
    ("2004-12", "from 2005-01 to 2025-12"),
    ("2026-01", "from 2005-01 to 2025-12"),
    ("2016-13", "expected YYYY-MM"),
    ("last-year", "expected YYYY-MM"),
])
def test_a_start_outside_the_data_is_one_line_and_exit_2(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                                        value: str, message: str) -> None:
    code = main(["run", "--start", value, "--savers", "200", "--sponsors", "8", "--years", "1",
                 "--out", str(tmp_path / "run")])
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert err.count("\n") == 0 and "--start" in err and value in err and message in err
    assert not (tmp_path / "run").exists()  # refused before any work


def test_a_historical_run_starts_in_its_month_on_the_realised_returns(tmp_path: Path) -> None:
    out = tmp_path / "run"
    code = main(["run", "--start", "2008-01", "--market-path", "historical", "--scenario", "status-quo",
                 "--savers", "1000", "--sponsors", "40", "--years", "1", "--out", str(out)])
    assert code == 0
    series = pd.read_parquet(out / "series.parquet")
    assert series["date"].iloc[0] == "2008-01" and series["date"].iloc[-1] == "2009-01"  # state at each month start
    # 2008 on the realised returns: equities fell about 40% (price index of the run).
    assert series["price_index__equity"].iloc[-1] < 0.7
    # Form 5500's end-2007 total is where the run starts (DOL Table E19: $2.98T).
    assert series["assets_usd"].iloc[0] == pytest.approx(2.981522e12, rel=1e-6)


def test_dashboard_help_says_how_it_stops(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["dashboard", "--help"])
    assert "SIGTERM stops it together with its solara server" in " ".join(capsys.readouterr().out.split())
