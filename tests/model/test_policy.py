"""Tests for model/policy.py and model/levers.py: scenario files as dated lever timelines."""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import warnings
from pathlib import Path

import pytest
from alt401k.base.assets import ALT_CHANNELS, ALTERNATIVES
from alt401k.model import levers
from alt401k.model.errors import InputError
from alt401k.model.policy import PolicyState, Scenario, list_scenarios, load_scenario
from hypothesis import given, settings
from hypothesis import strategies as st

BUNDLED = [
    "status-quo",
    "eo-14330",
    "eo-no-safe-harbor",
    "sleeve-only",
    "crypto-window-only",
    "broad-access",
    "fee-cap",
    "account-cap-5pct",
    "hist-ppa-2006",
    "hist-pre-qdia",
]
DAY = dt.timedelta(days=1)

HEADER = 'title = "t"\ndescription = "d"\n'


def write(tmp_path: Path, text: str, name: str = "variant.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def change(lever: str, value: str, effective: str = "2026-01-01", source: str = '"s"') -> str:
    return (
        f"[[changes]]\nlever = {lever}\nvalue = {value}\neffective = {effective}\n"
        f"source = {source}\n"
    )


# ----------------------------------------------------------------------------- bundled files


@pytest.mark.parametrize("name", BUNDLED)
def test_every_bundled_scenario_loads_with_sourced_sorted_changes(name: str) -> None:
    scenario = load_scenario(name)
    assert scenario.name == name
    assert all(c.source.strip() for c in scenario.changes)
    dates = [c.effective for c in scenario.changes]
    assert dates == sorted(dates)
    assert scenario.to_dict()["name"] == name


def test_list_scenarios_lists_every_bundled_file_with_a_description() -> None:
    listed = list_scenarios()
    assert [n for n, _ in listed] == sorted(BUNDLED)
    assert all(desc.strip() for _, desc in listed)


def test_status_quo_is_the_baseline_forever_but_for_the_2025_case_law() -> None:
    # Courts are not the regulator: the status quo keeps every DOL lever at its end-2024
    # value and carries only the two 2025 pleading rulings (which eo-14330 inherits).
    # The statute's SECURE 2.0 mandate for new plans comes into force with the 2025 plan year.
    scenario = load_scenario("status-quo")
    assert {c.lever for c in scenario.changes} == {"litigation.dismissal.fees", "litigation.dismissal.alternatives",
                                                   "auto_enrollment.new_plan_mandate"}
    assert {c.effective for c in scenario.changes} == {dt.date(2025, 4, 17), dt.date(2025, 5, 22), dt.date(2025, 1, 1)}
    # Every lever at its baseline but the case law and the statute; the recordkeepers'
    # platforms (industry facts, not regulation; tests/model/test_platforms.py) aside.
    later = scenario.state_at(dt.date(2040, 1, 1))
    baseline = PolicyState.baseline()
    assert later.new_plan_mandate and not baseline.new_plan_mandate
    assert dataclasses.replace(later, platforms=None, dismissal_fee_claims=baseline.dismissal_fee_claims,
                               dismissal_alternative_claims=baseline.dismissal_alternative_claims,
                               new_plan_mandate=False) == baseline
    assert dataclasses.replace(scenario.state_at(dt.date(2025, 4, 1)), platforms=None,
                               new_plan_mandate=False) == baseline
    assert dataclasses.replace(scenario.state_at(dt.date(2024, 12, 1)), platforms=None) == baseline


def test_baseline_matches_end_2024_guidance() -> None:
    state = PolicyState.baseline()
    assert state.stance == {
        "crypto": -1.0,
        "private_equity": -0.5,
        "private_credit": -0.5,
        "infrastructure": -0.25,
        "gold": 0.0,
    }
    assert all(state.allowed[(ch, alt)] for ch in ALT_CHANNELS for alt in ALTERNATIVES)
    assert math.isinf(state.fee_cap_annual)
    assert state.gate_quarterly == 0.05
    assert state.qdia == "tdf"


# ----------------------------------------------------------------------------- boundaries


@pytest.mark.parametrize(
    ("lever_field", "key", "date", "before", "on"),
    [
        ("stance", "crypto", dt.date(2025, 5, 28), -1.0, 0.0),
        ("stance", "gold", dt.date(2025, 8, 7), 0.0, 0.5),
        ("stance", "private_equity", dt.date(2025, 8, 7), -0.5, 0.0),
        ("stance", "private_equity", dt.date(2025, 8, 12), 0.0, 0.5),
        ("safe_harbor", None, dt.date(2027, 1, 1), 0.0, 0.7),
    ],
)
def test_eo_14330_changes_take_effect_on_their_date(lever_field, key, date, before, on) -> None:
    scenario = load_scenario("eo-14330")

    def read(state: PolicyState) -> float:
        value = getattr(state, lever_field)
        return value[key] if key else value

    assert read(scenario.state_at(date - DAY)) == before
    assert read(scenario.state_at(date)) == on


def test_hist_ppa_qdia_boundary() -> None:
    scenario = load_scenario("hist-ppa-2006")
    assert scenario.state_at(dt.date(2007, 12, 23)).qdia == "none"
    assert scenario.state_at(dt.date(2007, 12, 24)).qdia == "tdf"
    # The PPA adds no push of its own: auto-enrollment spreads by the sponsors' fitted rule
    # (ODD §7.8), which the 2006-2013 data cannot split into a PPA part and the rest.
    assert scenario.state_at(dt.date(2006, 8, 17)).auto_enrollment_boost == 0.0
    assert load_scenario("hist-pre-qdia").state_at(dt.date(2020, 1, 1)).qdia == "none"


# ----------------------------------------------------------------------------- merging


def test_based_on_merges_base_changes_and_drop_removes_safe_harbor() -> None:
    eo = load_scenario("eo-14330")
    no_sh = load_scenario("eo-no-safe-harbor")
    assert no_sh.based_on == ("status-quo", "eo-14330")  # the whole chain, base first
    assert {c.lever for c in eo.changes} - {c.lever for c in no_sh.changes} == {
        "safe_harbor.strength"
    }
    late = dt.date(2030, 1, 1)
    assert no_sh.state_at(late).safe_harbor == 0.0
    assert no_sh.state_at(late).stance == eo.state_at(late).stance

    fee = load_scenario("fee-cap").state_at(late)
    assert fee.fee_cap_annual == 0.0075
    assert fee.safe_harbor == 0.7  # inherited from eo-14330


def test_derived_change_on_same_date_overrides_base(tmp_path: Path) -> None:
    write(tmp_path, HEADER + change('"cap.account"', "0.5"), "base.toml")
    derived = write(
        tmp_path,
        HEADER + 'based_on = "base.toml"\n' + change('"cap.account"', "0.2"),
        "derived.toml",
    )
    scenario = load_scenario(derived)
    assert scenario.state_at(dt.date(2026, 1, 1)).account_cap == 0.2
    assert [c.origin for c in scenario.changes] == ["base", "derived"]


def test_wildcard_expands_over_registered_levers() -> None:
    state = load_scenario("sleeve-only").state_at(dt.date(2026, 1, 1))
    for alt in ALTERNATIVES:
        assert state.allowed[("default_fund", alt)]
        assert not state.allowed[("standalone", alt)]
        assert not state.allowed[("window", alt)]
    assert state.sleeve_cap["private_equity"] == 0.15
    assert levers.expand("allow.window.*") == tuple(f"allow.window.{a}" for a in ALTERNATIVES)


def test_parameter_override_moves_safe_harbor_date() -> None:
    moved = load_scenario("eo-14330", parameters={"safe_harbor_effective": "2028-07-01"})
    assert moved.parameters["safe_harbor_effective"] == dt.date(2028, 7, 1)
    assert moved.state_at(dt.date(2028, 6, 30)).safe_harbor == 0.0
    assert moved.state_at(dt.date(2028, 7, 1)).safe_harbor == 0.7
    # a parameter of the base file can be overridden through a derived one
    fee = load_scenario("fee-cap", parameters={"safe_harbor_effective": dt.date(2029, 1, 1)})
    assert fee.state_at(dt.date(2028, 12, 31)).safe_harbor == 0.0


def test_unknown_override_parameter_raises() -> None:
    with pytest.raises(InputError) as info:
        load_scenario("eo-14330", parameters={"nope": "2028-01-01"})
    assert info.value.field == "parameters.nope"


def test_offers_allowed_combines_channel_and_plan_size(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        HEADER
        + change('"eligibility.min_participants"', "100")
        + change('"allow.window.crypto"', "false"),
    )
    state = load_scenario(path).state_at(dt.date(2026, 1, 1))
    assert state.offers_allowed("default_fund", "crypto", 100)
    assert not state.offers_allowed("default_fund", "crypto", 99)
    assert not state.offers_allowed("window", "crypto", 10_000)


# ----------------------------------------------------------------------------- bad files

BAD_FILES = [
    ("unknown top-level key", HEADER + 'refrence = "x"\n', "refrence"),
    (
        "unknown change key",
        HEADER + change('"cap.account"', "0.5") + 'note = "x"\n',
        "changes[0].note",
    ),
    ("unknown lever", HEADER + change('"cap.acount"', "0.5"), "changes[0].lever"),
    ("bad wildcard", HEADER + change('"allow.web.*"', "true"), "changes[0].lever"),
    ("wrong type", HEADER + change('"allow.window.crypto"', '"yes"'), "changes[0].value"),
    (
        "int lever given float",
        HEADER + change('"eligibility.min_participants"', "1.5"),
        "changes[0].value",
    ),
    ("cap 1.5", HEADER + change('"cap.sleeve.crypto"', "1.5"), "changes[0].value"),
    ("negative fee cap", HEADER + change('"fee_cap.annual"', "-0.01"), "changes[0].value"),
    ("NaN", HEADER + change('"cap.account"', "nan"), "changes[0].value"),
    ("inf where not allowed", HEADER + change('"stance.gold"', "inf"), "changes[0].value"),
    ("bad choice", HEADER + change('"qdia.designation"', '"stable_value"'), "changes[0].value"),
    (
        "missing source",
        HEADER + '[[changes]]\nlever = "cap.account"\nvalue = 0.5\neffective = 2026-01-01\n',
        "changes[0].source",
    ),
    ("empty source", HEADER + change('"cap.account"', "0.5", source='""'), "changes[0].source"),
    (
        "quoted date",
        HEADER + change('"cap.account"', "0.5", effective='"2026-01-01"'),
        "changes[0].effective",
    ),
    (
        "unknown @parameter",
        HEADER + change('"cap.account"', "0.5", effective='"@later"'),
        "changes[0].effective",
    ),
    (
        "second change bad",
        HEADER + change('"cap.account"', "0.5") + change('"cap.account"', "2"),
        "changes[1].value",
    ),
    ("missing title", 'description = "d"\n', "title"),
    ("invalid TOML", HEADER + "changes = [\n", ""),
    ("unknown based_on", HEADER + 'based_on = "no-such-scenario"\n', "based_on"),
    ("bad drop", HEADER + 'drop = ["cap.nothing"]\n', "drop[0]"),
]


@pytest.mark.parametrize(("label", "text", "field"), BAD_FILES, ids=[b[0] for b in BAD_FILES])
def test_bad_file_raises_input_error_naming_file_and_field(
    tmp_path: Path, label: str, text: str, field: str
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(InputError) as info:
        load_scenario(path)
    assert info.value.source == str(path), label
    assert info.value.field == field, str(info.value)


def test_unknown_based_on_lists_bundled_names(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER + 'based_on = "eo-1433"\n')
    with pytest.raises(InputError, match="eo-14330"):
        load_scenario(path)


def test_unreadable_file_raises(tmp_path: Path) -> None:
    with pytest.raises(InputError) as info:
        load_scenario(tmp_path / "missing.toml")
    assert info.value.source == str(tmp_path / "missing.toml")
    assert "cannot read" in info.value.message


def test_unknown_bundled_name_lists_bundled_names() -> None:
    with pytest.raises(InputError, match="status-quo"):
        load_scenario("eo-9999")


def test_cyclic_based_on_raises(tmp_path: Path) -> None:
    write(tmp_path, HEADER + 'based_on = "b.toml"\n', "a.toml")
    write(tmp_path, HEADER + 'based_on = "a.toml"\n', "b.toml")
    with pytest.raises(InputError, match="cyclic") as info:
        load_scenario(tmp_path / "a.toml")
    assert info.value.field == "based_on"


def test_error_in_base_file_names_the_base(tmp_path: Path) -> None:
    base = write(tmp_path, HEADER + change('"cap.account"', "7"), "base.toml")
    derived = write(tmp_path, HEADER + 'based_on = "base.toml"\n', "derived.toml")
    with pytest.raises(InputError) as info:
        load_scenario(derived)
    assert info.value.source == str(base)
    assert info.value.field == "changes[0].value"


# ----------------------------------------------------------------------------- warnings


@pytest.mark.parametrize(
    ("lever", "value"), [('"litigation.climate"', "5.0"), ('"fee_cap.annual"', "0.08")]
)
def test_warn_range_value_only_warns(tmp_path: Path, lever: str, value: str) -> None:
    path = write(tmp_path, HEADER + change(lever, value))
    with pytest.warns(levers.LeverWarning, match=r"outside the usual range") as record:
        scenario = load_scenario(path)
    assert "changes[0].value" in str(record[0].message)
    assert scenario.changes[0].value == float(value)


def test_usual_value_and_no_fee_cap_do_not_warn(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        HEADER + change('"litigation.climate"', "2.0") + change('"fee_cap.annual"', "inf"),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        state = load_scenario(path).state_at(dt.date(2026, 1, 1))
    assert math.isinf(state.fee_cap_annual)


def test_every_lever_has_description_unit_and_source() -> None:
    for name, lever in levers.LEVERS.items():
        assert lever.name == name
        assert lever.description and lever.unit and lever.source
        assert lever.check(lever.baseline) == lever.baseline
    # stances, channels, sleeve caps, totals, others (with the two dismissal shares and the
    # SECURE 2.0 mandate), and the safe harbor's factors (4 + 5 benchmarks + 1)
    assert len(levers.LEVERS) == 5 + 15 + 5 + 2 + 11 + 10


# ----------------------------------------------------------------------------- properties


@settings(max_examples=50, deadline=None, derandomize=True)
@given(
    value=st.floats(min_value=0.0, max_value=1.0, allow_nan=False),
    offset_days=st.integers(min_value=-400, max_value=400),
)
def test_in_range_value_round_trips_and_state_is_a_fold(
    tmp_path_factory: pytest.TempPathFactory, value: float, offset_days: int
) -> None:
    tmp_path = tmp_path_factory.mktemp("prop")
    path = write(
        tmp_path,
        HEADER
        + 'based_on = "eo-14330"\n'
        + change('"cap.sleeve_total"', repr(value), effective="2026-06-30"),
    )
    scenario: Scenario = load_scenario(path)
    date = dt.date(2026, 6, 30) + dt.timedelta(days=offset_days)
    state = scenario.state_at(date)
    expected = 1.0 if offset_days < 0 else value
    assert state.sleeve_cap_total == expected
    # state_at equals folding the changes in force over the baseline, by hand
    values = levers.baseline_values()
    for c in scenario.changes:
        if c.effective <= date:
            values[c.lever] = c.value
    # and the platform entries dated on or before it
    platforms = tuple(p for p in scenario.platforms if p.effective <= date)
    assert state == PolicyState.from_values(values, platforms)


# ----------------------------------------------------------------------------- dates outside the run


def test_dates_outside_the_run_are_named_by_file_field_and_month(tmp_path: Path) -> None:
    from alt401k.model.policy import dates_outside_run

    path = write(
        tmp_path,
        HEADER
        + change('"stance.crypto"', "0.5", "2099-01-01")
        + change('"allow.window.*"', "false", "1990-01-01")
        + change('"stance.gold"', "0.5", "2026-12-01")  # the first day of the last month: applies
        + change('"stance.gold"', "0.0", "2025-01-01"),  # the first month: applies
    )
    found = dates_outside_run(load_scenario(path), dt.date(2025, 1, 1), 24)
    assert len(found) == 2, found
    early, late = found  # in date order, as the scenario's changes
    assert early.startswith(f"{path}: changes[1].effective: levers allow.window.")
    assert "1990-01-01 is before the run starts (2025-01)" in early
    assert late.startswith(f"{path}: changes[0].effective: lever stance.crypto effective 2099-01-01")
    assert "after the run's last month (2026-12)" in late


def test_a_parameter_date_outside_the_run_names_the_parameter() -> None:
    from alt401k.model.policy import dates_outside_run, warn_dates_outside_run

    scenario = load_scenario("eo-14330", {"safe_harbor_effective": "2099-01-01"})
    # The strength and the six factors' criteria all take effect on that date.
    sentences = dates_outside_run(scenario, scenario.changes[0].effective, 12)
    assert sentences and all("(@safe_harbor_effective = 2099-01-01)" in s for s in sentences)
    assert all("eo-14330.toml: changes[" in s for s in sentences)
    (found,) = [s for s in sentences if "safe_harbor.strength" in s]
    with pytest.warns(UserWarning, match="never takes effect"):
        warn_dates_outside_run(scenario, scenario.changes[0].effective, 12)


def test_the_run_start_comes_from_the_caller_not_a_fixed_year(tmp_path: Path) -> None:
    from alt401k.model.policy import dates_outside_run

    path = write(tmp_path, HEADER + change('"stance.crypto"', "0.5", "2031-06-01"))
    scenario = load_scenario(path)
    assert dates_outside_run(scenario, dt.date(2030, 1, 1), 24) == []
    assert len(dates_outside_run(scenario, dt.date(2032, 1, 1), 24)) == 1
