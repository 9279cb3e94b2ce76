"""`alt401k compare`: a tiny paired comparison (2 replications, 300 savers, 2 years).

Checks that the report has every section, and that its CSV tables agree with numbers
recomputed directly from the sweep part files behind them.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from alt401k.experiments import cli, compare, metrics, plotstyle, report
from alt401k.experiments.sweep import load_sweep
from matplotlib.colors import to_hex


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("compare") / "cmp"
    rc = cli.main(["compare", "eo-14330", "--replications", "2", "--savers", "300", "--years", "2",
                   "--n-jobs", "1", "--out", str(directory)])
    assert rc == 0
    return directory


def test_report_has_every_section(out: Path) -> None:
    page = (out / "report.html").read_text()
    md = (out / "report.md").read_text()
    assert "data:image/png;base64," in page and "<h2 id='summary'>" in page
    for section, title in compare.SECTION_TITLES.items():
        assert f"id='{section}'" in page and f"## {title}" in md
        table = pd.read_csv(out / "tables" / f"{section}.csv")
        assert len(table) > 0 and set(table["variant"]) == {"eo-14330"}
    assert "90% Student-t" in md and "3% a year" in md
    assert "**eo-14330.**" in md and "[tables/assets.csv]" in md


def test_csv_agrees_with_sweep_parts(out: Path) -> None:
    parts = load_sweep(out / "sweep")
    assert sorted(parts["scenario"].unique()) == ["eo-14330", "status-quo"]
    last = parts[parts["month"] == parts["month"].max()].set_index(["scenario", "replication"])
    diff = (last.loc["eo-14330", "assets_usd__alternatives"] - last.loc["status-quo", "assets_usd__alternatives"]) / 1e9
    assets = pd.read_csv(out / "tables" / "assets.csv")
    row = assets[(assets["metric"] == "all alternatives") & (assets["when"] == "horizon")
                 & (assets["unit"] == compare.NOMINAL)].iloc[0]
    iv = metrics.interval(diff.sort_index().to_numpy())
    assert row["diff_mean"] == pytest.approx(iv.mean, rel=1e-6)
    assert row["diff_low"] == pytest.approx(iv.low, rel=1e-6)
    assert row["baseline_mean"] == pytest.approx(last.loc["status-quo", "assets_usd__alternatives"].mean() / 1e9, rel=1e-6)
    # present value of fees paid by savers, recomputed from the monthly rows
    pvs = {}
    for (scen, rep), run in parts[parts["month"] > 0].groupby(["scenario", "replication"]):
        flows = (run["fees_usd"] + run["carry_usd"]).to_numpy()
        pvs[scen, rep] = metrics.present_value(flows, run["month"].to_numpy(), 0.03) / 1e9
    fees = pd.read_csv(out / "tables" / "fees.csv")
    paid = fees[(fees["metric"] == "paid by savers (incl. carry)") & fees["when"].str.startswith("PV 2025")].iloc[0]
    expected = np.mean([pvs["eo-14330", k] - pvs["status-quo", k] for k in (0, 1)])
    assert paid["diff_mean"] == pytest.approx(expected, rel=1e-6)
    # replacement rates come from the horizon tables
    tables = load_sweep(out / "sweep", table="tables")
    ret = tables[(tables["age_group"] == "retired") & (tables["income_quintile"] == 3)].set_index(["scenario", "replication"])
    rep = pd.read_csv(out / "tables" / "replacement.csv")
    row = rep[(rep["metric"] == "median replacement rate") & (rep["group"] == "Q3")].iloc[0]
    assert row["baseline_mean"] == pytest.approx(ret.loc["status-quo", "median_replacement_rate"].mean(), rel=1e-6)


def test_every_section_in_combined_csv_and_shares_bounded(out: Path) -> None:
    table = pd.read_csv(out / "comparison.csv")
    assert set(table["section"]) == set(compare.SECTIONS)
    shares = table[table["unit"].str.startswith("share")]
    assert shares[["baseline_mean", "variant_mean"]].stack().between(0, 1).all()
    assert table["n_pairs"].between(0, 2).all()  # fewer where a replication has nobody in a cell
    assert (table.loc[~table["section"].isin(["replacement", "wealth", "adequacy"]), "n_pairs"] == 2).all()


def test_adequacy_section_pairs_groups_and_agrees_with_the_horizon_table(out: Path) -> None:
    """The adequacy table has every metric by group with the small-cell flag, and its median
    replacement rate with Social Security by quintile is the horizon table's (another code path)."""
    table = pd.read_csv(out / "tables" / "adequacy.csv")
    assert {"baseline_mean", "variant_mean", "diff_mean", "diff_low", "diff_high", "n_pairs", "min_retirees",
            "small_cell"} <= set(table.columns)
    assert set(table["metric"]) == {m for _, m, _ in compare.ADEQUACY_METRICS}
    assert set(table["unit"]) == {u for _, _, u in compare.ADEQUACY_METRICS}  # 2025 dollars and nominal
    assert "all retirees" in set(table["group"])
    assert any(g.startswith("Q") for g in table["group"]) and any(g.startswith("born ") for g in table["group"])
    assert any(g.startswith("plan size ") for g in table["group"])
    assert table["small_cell"].all()  # 300 savers over 2 years: every group has fewer than 100 retirees
    cells = load_sweep(out / "sweep", table="adequacy")
    horizon = load_sweep(out / "sweep", table="tables")
    retired = horizon[horizon["age_group"] == "retired"].assign(group=lambda t: "Q" + t["income_quintile"].astype(str))
    both = cells.merge(retired, on=["run_id", "group"], suffixes=("", "_horizon"))
    assert len(both) > 0
    assert np.allclose(both["median_replacement_rate_with_ss"], both["median_replacement_rate_with_ss_horizon"])
    assert np.allclose(both["share_below_70"], both["share_short_of_target_with_ss"])
    assert np.allclose(both["people"], both["people_horizon"])
    # the section's baseline mean is the mean over replications of the runs' cells
    base = cells[(cells["scenario"] == "status-quo") & (cells["group"] == "all retirees")]
    row = table[(table["group"] == "all retirees") & (table["unit"] == "USD, 2025 dollars")].iloc[0]
    assert row["baseline_mean"] == pytest.approx(base["ce_wealth_usd2025"].mean(), rel=1e-9)


def test_summary_says_when_interval_includes_zero() -> None:
    row = pd.Series({"unit": "USD bn", "diff_mean": 1.0, "diff_low": -0.5, "diff_high": 2.5, "includes_zero": True})
    assert compare.diff_text(row) == "+$1.0bn (90% CI -$0.5bn to +$2.5bn; the interval includes zero)"


def test_summary_states_numbers_and_their_tables_not_verdicts(out: Path) -> None:
    """Every sentence gives both levels and the difference as the CSV has them, and its table."""
    md = (out / "report.md").read_text()
    summary = md.split("**eo-14330.**", 1)[1].split("\n", 1)[0]
    for verdict in ("claim", "short of", "in line", "exceeds", "hundreds of billions"):
        assert verdict not in summary
    assets = pd.read_csv(out / "tables" / "assets.csv")
    row = assets[(assets["metric"] == "all alternatives") & (assets["group"] == "all channels")
                 & (assets["when"] == "horizon") & (assets["unit"] == compare.REAL)].iloc[0]  # real by default
    assert (f"Assets in alternatives at the horizon (2025 dollars): status-quo {compare.fmt_value(row['baseline_mean'], 'USD bn')}, "
            f"eo-14330 {compare.fmt_value(row['variant_mean'], 'USD bn')}, difference {compare.diff_text(row)} "
            "[tables/assets.csv].") in summary
    sentences = [s for s in summary.split("]. ") if s.strip()]
    assert len(sentences) >= 5 and all("[tables/" in s for s in sentences[1:] + [sentences[0].split(". ", 1)[1]])


def test_compare_figures_keep_one_colour_per_scenario(out: Path, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """A scenario has the same colour in every panel of the report's figures, and the baseline's own."""
    drawn: list[object] = []
    monkeypatch.setattr(plotstyle, "png_bytes", lambda fig: drawn.append(fig) or b"png")
    tables = compare.comparison_tables(out / "sweep", "status-quo")
    report.write_reports(tmp_path, tables, {"eo-14330": "text"}, baseline="status-quo",
                         sizes={"replications": 2, "n_savers": 300, "years": 2, "discount_rate": 0.03},
                         sweep_dir=out / "sweep")
    seen: dict[str, set[str]] = {}
    for fig in drawn:
        for ax in fig.axes:
            for line in ax.get_lines():
                name = str(line.get_label()).split(" − ")[0]
                if name in ("eo-14330", "status-quo"):
                    seen.setdefault(name, set()).add(to_hex(line.get_color()))
            for container in ax.containers:
                name = str(container.get_label())
                if name in ("eo-14330", "status-quo"):
                    seen.setdefault(name, set()).update(to_hex(p.get_facecolor()) for p in container.patches)
    assert {len(c) for c in seen.values()} == {1}, seen
    assert seen["status-quo"] != seen["eo-14330"]
    assert len(drawn) >= 1 and "eo-14330" in seen
