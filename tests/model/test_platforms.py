"""Recordkeepers' platforms in scenario files (ODD §7.8): dated entries, inheritance, bad values."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import numpy as np
import pytest
from alt401k.agents.sponsors import N_ALT, ReviewContext, draw_plans, review_plans
from alt401k.base.assets import ALTERNATIVES
from alt401k.experiments.cli import main
from alt401k.model.config import InitialState, SponsorBehaviour
from alt401k.model.errors import InputError
from alt401k.model.policy import PolicyState, load_scenario

HEADER = 'title = "t"\ndescription = "d"\n'
PE = ALTERNATIVES.index("private_equity")


def platform(recordkeepers: str = "[2]", channels: str = '["standalone"]', classes: str = '["private_equity"]',
             effective: str = "2026-01-01", source: str = '"s"') -> str:
    return (f"[[platforms]]\nrecordkeepers = {recordkeepers}\nchannels = {channels}\nclasses = {classes}\n"
            f"effective = {effective}\nsource = {source}\n")


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "variant.toml"
    path.write_text(HEADER + text, encoding="utf-8")
    return path


def test_a_platform_carries_its_classes_for_its_ranks_from_its_date(tmp_path: Path) -> None:
    scenario = load_scenario(write(tmp_path, platform()))
    rk = np.array([0, 1, 2], dtype=np.int32)  # ranks 1, 2, 3
    before = scenario.state_at(dt.date(2025, 12, 1)).platform_carries(rk, "standalone")
    after = scenario.state_at(dt.date(2026, 1, 1)).platform_carries(rk, "standalone")
    assert not before.any()
    expected = np.zeros((3, N_ALT), dtype=bool)
    expected[1, PE] = True
    np.testing.assert_array_equal(after, expected)
    # Not in the default fund (not listed), and windows are not governed by platforms.
    assert not scenario.state_at(dt.date(2030, 1, 1)).platform_carries(rk, "default_fund").any()
    assert scenario.state_at(dt.date(2030, 1, 1)).platform_carries(rk, "window").all()


def test_without_platform_data_every_platform_carries_everything() -> None:
    state = load_scenario("hist-ppa-2006").state_at(dt.date(2010, 1, 1))
    assert state.platforms is None
    assert state.platform_carries(np.arange(27, dtype=np.int32), "standalone").all()


def test_platforms_are_inherited_and_the_same_in_every_bundled_regime() -> None:
    eo, sq, variant = (load_scenario(n) for n in ("eo-14330", "status-quo", "eo-no-safe-harbor"))
    strip = [dataclasses.replace(p, origin="") for p in eo.platforms]
    assert strip == [dataclasses.replace(p, origin="") for p in sq.platforms]
    assert list(variant.platforms) == list(eo.platforms)
    # The general date is a parameter: moving it moves the entry.
    later = load_scenario("eo-14330", {"platforms_general": "2029-01-01"})
    assert max(p.effective for p in later.platforms) == dt.date(2029, 1, 1)


BAD = [
    ("rank 0", platform(recordkeepers="[0]"), "platforms[0].recordkeepers"),
    ("window channel", platform(channels='["window"]'), "platforms[0].channels[0]"),
    ("unknown class", platform(classes='["bitcoin"]'), "platforms[0].classes"),
    ("no classes", platform(classes="[]"), "platforms[0].classes"),
    ("quoted date", platform(effective='"2026-01-01"'), "platforms[0].effective"),
    ("unknown parameter", platform(effective='"@later"'), "platforms[0].effective"),
    ("TODO source", platform(source='"TODO"'), "platforms[0].source"),
    ("unknown key", platform() + "extra = 1\n", "platforms[0].extra"),
]


@pytest.mark.parametrize(("label", "text", "field"), BAD, ids=[b[0] for b in BAD])
def test_bad_platform_entries_name_file_and_field(tmp_path: Path, label: str, text: str, field: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(InputError) as info:
        load_scenario(path)
    assert info.value.source == str(path), label
    assert info.value.field == field, str(info.value)


def test_a_bad_platform_entry_exits_2_in_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, platform(classes='["bitcoin"]'))
    out = tmp_path / "out"
    assert main(["run", "--scenario", str(path), "--savers", "400", "--sponsors", "8", "--years", "1",
                 "--out", str(out)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and "platforms[0].classes" in err[0] and str(path) in err[0]
    assert not out.exists()


def test_plans_add_only_what_their_recordkeepers_platform_carries(tmp_path: Path) -> None:
    behaviour = SponsorBehaviour()
    plans = draw_plans(400, InitialState(), behaviour, np.random.default_rng(2))
    base = PolicyState.baseline()
    allowed = {k: True for k in base.allowed}
    scenario = load_scenario(write(tmp_path, platform(channels='["default_fund", "standalone"]')))
    policy = dataclasses.replace(base, allowed=allowed, min_plan_participants=0,
                                 platforms=scenario.state_at(dt.date(2026, 1, 1)).platforms)
    n = plans.n
    ctx = ReviewContext(
        policy=policy, benefit_reported=np.full(N_ALT, 0.1), benefit_true=np.full(N_ALT, 0.1),
        demand=np.zeros((n, N_ALT)), peer_share=np.zeros(n), consultant_share=np.zeros(n),
        recordkeeper_share=np.zeros(n), recent_suits=0.0, alt_tdf_available=np.zeros(6, dtype=bool),
        alt_tdf_product=np.full(6, -1, dtype=np.int32), plain_tdf_product=np.arange(6, dtype=np.int32),
        standalone_open=np.ones(N_ALT, dtype=bool), uniform=np.full((n, 4), 1e-6), month=0,
    )
    review_plans(np.arange(n), ctx, plans, behaviour)
    on_rank_2 = plans.recordkeeper == 1
    assert on_rank_2.any() and (~on_rank_2).any()
    # Utility high, uniforms tiny: every plan on rank 2 adds private equity, no other plan adds anything.
    assert plans.standalone[on_rank_2, PE].all()
    assert not plans.standalone[~on_rank_2].any()
    # A plan moving to a platform that does not carry it loses the option at that review.
    moved = np.flatnonzero(on_rank_2)[:5]
    plans.recordkeeper[moved] = 0
    plans.last_provider_change_month[moved] = 12
    review_plans(moved, dataclasses.replace(ctx, month=12), plans, behaviour)
    assert not plans.standalone[moved].any()
