"""`alt401k figures`: every figure builds at a tiny size with a plausible tidy CSV; --check.

Sizes are forced tiny through `figures.SIZE_OVERRIDE` (200 savers, 3 years, 2 replications,
Sobol N = 2), so the whole file runs in well under a minute in one process.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from alt401k.base.assets import ALT_CHANNELS, ALTERNATIVES
from alt401k.base.strata import SIZE_CLASSES
from alt401k.experiments import cli, figures
from alt401k.model.errors import InputError

TINY = {"n_savers": 200, "n_sponsors": 20, "years": 3, "replications": 2, "n_samples": 2}
EXPECTED = {"adoption", "distribution", "fee_transfer", "flows_assets", "sensitivity", "stress_test", "variants"}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("figures")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(figures, "SIZE_OVERRIDE", dict(TINY))
        figures.build_figures(out, n_jobs=1)
    return out


def csv(built: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(built / f"{name}.csv")


def test_every_spec_builds_png_svg_csv_and_manifest(built: Path) -> None:
    assert set(figures.spec_names()) == EXPECTED
    for name in EXPECTED:
        for ext in ("png", "svg", "csv"):
            assert (built / f"{name}.{ext}").stat().st_size > 0, (name, ext)
    manifest = json.loads((built / "MANIFEST.json").read_text())
    assert set(manifest["figures"]) == EXPECTED
    assert {"git_commit", "packages", "code_version"} <= set(manifest)
    entry = manifest["figures"]["stress_test"]
    assert len(entry["spec_sha256"]) == 64
    assert {s["master_seed"] for s in entry["sweeps"].values()} == {20250807}
    assert (built / ".gitignore").read_text().count(".cache/") == 1


def test_csv_numbers_have_at_most_six_significant_digits(built: Path) -> None:
    for name in EXPECTED:
        for number in re.findall(r"(?<![\w.])-?\d+\.\d+(?:e[-+]\d+)?", (built / f"{name}.csv").read_text()):
            digits = number.lstrip("-").split("e")[0].replace(".", "").lstrip("0")
            assert len(digits) <= 6, (name, number)


def test_adoption_shares(built: Path) -> None:
    d = csv(built, "adoption")
    assert list(d.columns) == ["scenario", "breakdown", "category", "year", "share_of_plans_mean",
                               "share_of_plans_p05", "share_of_plans_p95"]
    assert set(d["category"]) == set(ALT_CHANNELS) | set(SIZE_CLASSES)
    shares = d.filter(like="share_of_plans").to_numpy()
    assert ((shares >= 0) & (shares <= 1)).all()
    assert (d["share_of_plans_p05"] <= d["share_of_plans_p95"]).all()


def test_flows_assets_fan(built: Path) -> None:
    d = csv(built, "flows_assets")
    assert {"usd_bn_mean", "usd_bn_p05", "usd_bn_p95", "asset_class", "quantity", "year"} <= set(d.columns)
    assert set(d["asset_class"]) == set(ALTERNATIVES)
    assert (d.loc[d["quantity"] == "assets", ["usd_bn_mean", "usd_bn_p05"]] >= 0).all().all()
    assert (d["usd_bn_p05"] <= d["usd_bn_p95"] + 1e-9).all()


def test_fee_transfer_conserves_dollars(built: Path) -> None:
    d = csv(built, "fee_transfer")
    assert list(d.columns) == ["scenario", "flow", "calendar_year", "usd_bn_per_year_mean"]
    assert (d["usd_bn_per_year_mean"] >= 0).all()
    wide = d.pivot_table(index=["scenario", "calendar_year"], columns="flow", values="usd_bn_per_year_mean")
    earned = wide[["TDF managers", "private-market partners", "core menu and window funds"]].sum(axis=1)
    np.testing.assert_allclose(earned, wide["paid by savers (total)"], rtol=1e-4)
    assert set(d["calendar_year"]) == {2025, 2026, 2027}


def test_distribution_by_quintile(built: Path) -> None:
    d = csv(built, "distribution")
    assert {"measure", "unit", "income_quintile", "baseline_level", "change_mean", "change_low90",
            "change_high90"} <= set(d.columns)
    assert sorted(set(d["income_quintile"])) == [1, 2, 3, 4, 5]
    assert set(d["unit"]) == {"pp_of_final_pay", "usd_thousand"}
    assert (d["baseline_level"].dropna() >= 0).all()
    ok = d.dropna(subset=["change_low90", "change_high90"])
    assert (ok["change_low90"] <= ok["change_mean"] + 1e-9).all() and (ok["change_mean"] <= ok["change_high90"] + 1e-9).all()
    # Each bar says how far it can be read: zero inside the interval, or its half-width
    # against a quarter of its size (issue #26).
    zero = (d["change_low90"] <= 0) & (d["change_high90"] >= 0) | d["change_low90"].isna()
    assert (d.loc[zero, "verdict"] == "indistinguishable from zero").all()
    half = (d["change_high90"] - d["change_low90"]) / 2
    expect = np.where(half <= 0.25 * d["change_mean"].abs(), "precise", "imprecise")
    clear = ~zero & ((half - 0.25 * d["change_mean"].abs()).abs() > 1e-5 * half)  # away from the CSV's rounding
    assert (d.loc[clear, "verdict"] == expect[clear.to_numpy()]).all()


def test_stress_test(built: Path) -> None:
    d = csv(built, "stress_test")
    assert set(d["market_path"]) == {"no imposed path", "2008-like crash", "crypto winter"}
    assert set(d["scenario"]) == {"status-quo", "eo-14330"}
    share = d[d["measure"].isin(["near_retirees_worst_year_loss_gt20_share",
                                 "near_retirees_worst_year_loss_gt20_share_economic"])]
    assert share["measure"].nunique() == 2  # reported NAVs and economic values, side by side
    assert share[["value_mean", "value_p05", "value_p95"]].stack().between(0, 1).all()
    money = d[d["measure"].str.endswith(("_usd_bn", "_usd_thousand"))]
    assert (money["value_mean"] >= 0).all()
    # Losses on both reported NAVs and economic values; drawdowns are falls from a peak.
    assert {"assets_drawdown_reported", "assets_drawdown_economic"} <= set(d["measure"])
    falls = d[d["measure"].str.startswith("assets_drawdown")]
    assert falls[["value_mean", "value_p05", "value_p95"]].stack().between(0, 1).all()
    # Liquidity as month-end stocks, not monthly sums: no 'cumulative' measure.
    assert "gated_stock_usd_bn" in set(d["measure"]) and not d["measure"].str.contains("cumulative").any()
    shares = d[d["measure"] == "sleeve_over_target_share"]
    assert shares["value_mean"].between(0, 1).all()
    # the crash lowers the mean balance by the end of the episode window
    last = d[(d["measure"] == "mean_balance_usd_thousand") & (d["year"] == d["year"].max())]
    by_path = last.groupby("market_path")["value_mean"].mean()
    assert by_path["2008-like crash"] < by_path["no imposed path"]


def test_sensitivity(built: Path) -> None:
    d = csv(built, "sensitivity")
    assert list(d.columns) == ["output", "factor", "S1", "S1_conf95", "ST", "ST_conf95", "Q2", "degree"]
    # Indices of a polynomial chaos surrogate are shares of its variance (Sudret 2008):
    # 0 <= S1 <= ST <= 1 for each factor and first orders summing to at most 1, exactly,
    # unlike Saltelli's sampling estimates; Q² is at most 1.
    fitted = d.dropna(subset=["S1", "ST"])
    assert ((fitted["S1"] >= -1e-9) & (fitted["S1"] <= fitted["ST"] + 1e-9) & (fitted["ST"] <= 1 + 1e-9)).all()
    assert (fitted.groupby("output")["S1"].sum() <= 1 + 1e-9).all()
    assert (d["Q2"].dropna() <= 1).all()
    # The figure is the headline design of docs/uncertainty.md: every factor of
    # sobol-headline.toml (its scenario parameters prefixed "scenario."), every output.
    import tomllib
    head = tomllib.loads((Path(figures.SOURCE_ROOT) / "experiments" / "sweeps" / "sobol-headline.toml").read_text())
    factors = set(head["uncertainties"]) | {f"scenario.{k}" for k in head["scenario_parameters"]}
    assert set(d["factor"]) == factors and len(factors) == 18
    assert set(d["output"]) == {f"{k}__{v}" for k, v in head["outputs"]["horizon"].items()}


@pytest.mark.parametrize(("options", "field"), [({"bootstrap": 50, "colour": "red"}, "options.colour"),
                                                 ({"bootstrap": "many"}, "options.bootstrap")])
def test_bad_plot_option_is_an_input_error_naming_file_and_field(options: dict, field: str) -> None:
    spec = {"plot": "sensitivity_sobol", "options": options}
    with pytest.raises(InputError) as err:
        figures.plot_options("sensitivity", spec)
    assert err.value.source == "experiments/figures/sensitivity.toml" and err.value.field == field


def test_committed_plot_options_are_valid() -> None:
    for name in figures.spec_names():
        spec, _ = figures.load_figure_spec(name)
        assert figures.plot_options(name, spec) == spec.get("options", {})


def test_variants(built: Path) -> None:
    d = csv(built, "variants")
    assert d["scenario"].nunique() == 8 and d["measure"].nunique() == 4
    pct = d[d["measure"].str.endswith("_pct")]
    assert pct[["value_min", "value_mean", "value_max"]].stack().between(0, 100).all()
    assert ((d["value_min"] <= d["value_mean"] + 1e-6) & (d["value_mean"] <= d["value_max"] + 1e-6)).all()
    assert (d[d["measure"].str.endswith("usd_bn")]["value_mean"] >= 0).all()


def test_check_passes_then_fails_on_an_edited_csv(built: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(figures, "SIZE_OVERRIDE", dict(TINY))
    monkeypatch.setattr(figures, "SOURCE_ROOT", tmp_path)  # the published set: tmp_path/results/figures
    committed = tmp_path / "results" / "figures"
    committed.mkdir(parents=True)
    shutil.copy(built / "fee_transfer.csv", committed / "fee_transfer.csv")
    assert cli.main(["figures", "--check", "--only", "fee_transfer", "--n-jobs", "1"]) == 0
    text = (committed / "fee_transfer.csv").read_text().splitlines()
    text[3] = text[3].rsplit(",", 1)[0] + ",999"
    (committed / "fee_transfer.csv").write_text("\n".join(text) + "\n")
    assert cli.main(["figures", "--check", "--only", "fee_transfer", "--n-jobs", "1"]) == 1
    err = capsys.readouterr().err
    assert "fee_transfer: 1 of" in err and "999" in err


def test_unknown_figure_is_an_input_error_before_any_build(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["figures", "--only", "adoption", "--only", "nope", "--out", str(tmp_path / "f")]) == 2
    assert "--only: nope: no figure spec nope.toml" in capsys.readouterr().err
    assert not (tmp_path / "f").exists()
