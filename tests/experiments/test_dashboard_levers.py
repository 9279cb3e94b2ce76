"""The dashboard's pure-Python parts: lever mapping, TOML round trip, runs, CLI (no Solara needed)."""

from __future__ import annotations

import datetime as dt
import math
import subprocess
import sys

import numpy as np
import pytest
from alt401k.experiments.cli import main
from alt401k.experiments.dashboard import levers_ui, runner, serve
from alt401k.model.policy import load_scenario

START = dt.date(2025, 1, 1)


def _timeline(scenario):
    return [(c.lever, c.value, c.effective) for c in scenario.changes]


def test_settled_values_follow_the_last_change_of_each_lever():
    eo = levers_ui.settled_values(load_scenario("eo-14330"))
    assert eo["safe_harbor.strength"] == pytest.approx(0.7)  # from 2027 in eo-14330
    sq = levers_ui.settled_values(load_scenario("status-quo"))
    assert sq["safe_harbor.strength"] == 0.0
    assert math.isinf(sq["fee_cap.annual"])
    assert set(eo) == set(levers_ui.UI_LEVERS)


def test_unchanged_values_make_no_changes():
    base = load_scenario("eo-14330")
    assert levers_ui.changes_from_ui(base, levers_ui.settled_values(base), START) == []


@pytest.mark.parametrize("base_name", ["eo-14330", "status-quo", "fee-cap", "crypto-window-only"])
def test_ui_values_round_trip_through_toml(tmp_path, base_name):
    base = load_scenario(base_name)
    values = {
        **levers_ui.settled_values(base),
        "allow.window.crypto": False,
        "allow.default_fund.private_equity": False,
        "safe_harbor.strength": 0.25,
        "litigation.climate": 2,  # an int is a valid float lever value
        "fee_cap.annual": 0.01,
        "cap.account": 0.05,
    }
    changes = levers_ui.changes_from_ui(base, values, START)
    assert {c.lever for c in changes} >= {"allow.window.crypto", "safe_harbor.strength"}
    text = levers_ui.scenario_toml(base, changes)
    assert f'based_on = "{base_name}"' in text
    path = tmp_path / "variant.toml"
    path.write_text(text, encoding="utf-8")
    loaded = load_scenario(path)
    assert _timeline(loaded) == _timeline(levers_ui.with_changes(base, changes))
    # The user's values hold over the whole run, even past the base's later dated changes.
    state = loaded.state_at(dt.date(2050, 1, 1))
    assert state.safe_harbor == 0.25 and state.litigation_climate == 2.0
    assert state.allowed[("window", "crypto")] is False
    assert state.fee_cap_annual == 0.01 and state.account_cap == 0.05
    assert loaded.state_at(START).safe_harbor == 0.25


def test_removing_a_fee_cap_round_trips_as_inf(tmp_path):
    base = load_scenario("fee-cap")
    changes = levers_ui.changes_from_ui(base, {"fee_cap.annual": math.inf}, START)
    assert [c.lever for c in changes] == ["fee_cap.annual"]
    path = tmp_path / "v.toml"
    path.write_text(levers_ui.scenario_toml(base, changes), encoding="utf-8")
    assert math.isinf(load_scenario(path).state_at(dt.date(2040, 1, 1)).fee_cap_annual)


def test_uploaded_base_is_written_out_in_full(tmp_path):
    upload = tmp_path / "mine.toml"
    upload.write_text(
        'title = "Mine"\ndescription = "an uploaded variant"\n'
        '[[changes]]\nlever = "stance.crypto"\nvalue = 0.5\neffective = 2026-01-01\nsource = "test"\n',
        encoding="utf-8",
    )
    base = load_scenario(upload)
    assert not levers_ui.is_bundled(base)
    changes = levers_ui.changes_from_ui(base, {"litigation.climate": 0.5}, START)
    text = levers_ui.scenario_toml(base, changes)
    assert "based_on" not in text
    out = tmp_path / "export" / "exported.toml"
    out.parent.mkdir()
    out.write_text(text, encoding="utf-8")
    assert _timeline(load_scenario(out)) == _timeline(levers_ui.with_changes(base, changes))


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"safe_harbor.strength": 1.5}, "safe_harbor.strength must lie in [0.0, 1.0]"),
        ({"litigation.climate": float("nan")}, "litigation.climate must not be NaN"),
        ({"allow.window.crypto": "yes"}, "allow.window.crypto must be true or false"),
        ({"cap.account": "a lot"}, "cap.account must be a number"),
        ({"stance.crypto": 1.0}, "unknown dashboard lever 'stance.crypto'"),
    ],
)
def test_invalid_values_are_rejected_with_the_registry_message(values, message):
    with pytest.raises(levers_ui.LeverSettingsError) as err:
        levers_ui.changes_from_ui(load_scenario("eo-14330"), values, START)
    assert message in str(err.value)


def test_every_bad_value_is_reported():
    with pytest.raises(levers_ui.LeverSettingsError) as err:
        levers_ui.check_values({"cap.account": -1.0, "cap.sleeve_total": 2.0})
    assert len(err.value.messages) == 2


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n_savers": 500}, "savers must be an integer in [1,000, 50,000]"),
        ({"n_savers": 60_000}, "savers must be"),
        ({"replications": 6}, "replications must be"),
        ({"years": 0}, "years must be"),
        ({"years": 31}, "years must be"),
        ({"episode": "dot-com"}, "market episode must be one of"),
        (
            {"episode": "crypto-winter", "years": 2, "episode_month": 24},
            "episode month must lie in [0, 23]",
        ),
    ],
)
def test_run_settings_limits(kwargs, message):
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("]", r"\]")):
        runner.RunSettings(**kwargs).check()


def test_paired_run_is_reproducible_and_shares_random_draws():
    settings = runner.RunSettings(
        n_savers=1_000,
        years=1,
        replications=2,
        seed=7,
        episode="equity-crash-2008",
        episode_month=2,
    )
    variant = load_scenario("broad-access")
    seen = []
    first = runner.run_paired(variant, settings, seen.append, update_every_months=4)
    again = runner.run_paired(variant, settings)
    assert [p.months_done for p in seen if p.phase == "variant" and p.replication == 0] == [
        4,
        8,
        12,
    ]
    assert seen[-1].fraction == pytest.approx(1.0)
    for a, b in zip(first.variant, again.variant, strict=True):
        assert a.equals(b)
    # Common random numbers: variant and status quo see the same equity path in each replication.
    for v, b in zip(first.variant, first.baseline, strict=True):
        assert v["price_index__equity"].tolist() == b["price_index__equity"].tolist()
    assert (
        first.variant[0]["price_index__equity"].tolist()
        != first.variant[1]["price_index__equity"].tolist()
    )
    table = runner.paired_comparison(first)
    assert list(table["outcome"]) == [*runner.OUTCOMES, *runner.ADEQUACY_OUTCOMES]
    # The headline shortfall is the people-weighted mean of the horizon table's quintile shares
    # (the model's own count, another code path), paired by replication.
    def short(horizons):
        out = []
        for h in horizons:
            r = h[h["age_group"] == "retired"].dropna(subset=["share_short_of_target_with_ss"])
            out.append(100 * np.average(r["share_short_of_target_with_ss"], weights=r["people"]))
        return np.array(out)

    row = table.set_index("outcome").loc["Retirees below 70% replacement with Social Security, %"]
    assert row["difference"] == pytest.approx(np.mean(short(first.variant_horizon) - short(first.baseline_horizon)))
    assert row["status quo"] == pytest.approx(np.mean(short(first.baseline_horizon)))
    assert np.allclose(table["difference"], table["variant"] - table["status quo"])
    assert table["ci95 low"].notna().all()
    dist = runner.distribution_table(first)
    assert list(dist["income quintile"]) == [1, 2, 3, 4, 5]
    csv = runner.series_csv(first)
    assert csv.splitlines()[0].startswith("scenario,replication,date,month")
    assert len(csv.splitlines()) == 1 + 4 * 13


def test_cancel_stops_a_run():
    import threading

    event = threading.Event()
    event.set()
    with pytest.raises(runner.RunCancelledError):
        runner.run_paired(
            load_scenario("eo-14330"), runner.RunSettings(n_savers=1_000, years=1), cancel=event
        )


def test_chart_has_eight_panels():
    settings = runner.RunSettings(n_savers=1_000, years=1)
    done = runner.run_paired(load_scenario("eo-14330"), settings)
    from alt401k.experiments.dashboard.charts import dashboard_figure

    fig = dashboard_figure(done.variant[0], done.baseline[0])
    assert len(fig.axes) == 8
    titles = [ax.get_title() for ax in fig.axes]
    assert "Fall of 401(k) assets from their peak (%)" in titles
    assert "Waiting behind gates, month end ($B)" in titles


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("localhost", True),
        ("::1", True),
        ("0.0.0.0", False),
        ("192.168.1.5", False),
        ("example.org", False),
    ],
)
def test_loopback_detection(host, loopback):
    assert serve.is_loopback(host) is loopback


def test_cli_dashboard_warns_off_loopback_and_launches_solara(monkeypatch, capsys):
    calls = []
    monkeypatch.setattr(serve.importlib.util, "find_spec", lambda name: object())
    monkeypatch.setattr(serve, "run_server", lambda cmd, env: calls.append((cmd, env)) or 0)
    assert main(["dashboard", "--host", "0.0.0.0", "--port", "9999"]) == 0
    err = capsys.readouterr().err
    assert "warning" in err and "0.0.0.0" in err
    cmd, env = calls[0]
    assert cmd[1:4] == ["-m", "solara", "run"] and serve.APP_MODULE in cmd
    assert cmd[cmd.index("--host") + 1] == "0.0.0.0" and cmd[cmd.index("--port") + 1] == "9999"
    assert env["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] == "False"
    assert env["SOLARA_THEME_TITLE"] == serve.PAGE_TITLE
    assert main(["dashboard"]) == 0
    assert "warning" not in capsys.readouterr().err
    assert calls[1][0][calls[1][0].index("--host") + 1] == "127.0.0.1"


def test_cli_dashboard_without_solara_says_how_to_install(monkeypatch, capsys):
    monkeypatch.setattr(serve.importlib.util, "find_spec", lambda name: None)
    assert main(["dashboard"]) == 2
    assert "pip install" in capsys.readouterr().err


def test_core_modules_do_not_import_solara():
    code = (
        "import sys; import alt401k.experiments.cli, alt401k.model.model; "
        "from alt401k.experiments.dashboard import levers_ui, runner, serve, charts; "
        "assert 'solara' not in sys.modules, 'solara imported'"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
