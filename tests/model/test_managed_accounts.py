"""The managed-account channel in the model (model/managed_accounts.py, ODD §7.14): the
sleeve only where and from when the platform holds it, money conservation with the advisory
fee, the fee output, reproducibility, and bad inputs."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest
from alt401k.agents import savers as sv
from alt401k.experiments.cli import main
from alt401k.model.config import ManagedAccountParams, RunConfig, with_overrides
from alt401k.model.errors import InputError
from alt401k.model.model import Alt401kModel
from alt401k.model.policy import load_scenario

HEAVY = ManagedAccountParams(plan_offer_share=1.0, usage_share=0.5, qdia_share=0.2, leave_prob_annual=0.3)
"""The channel used far more than calibrated, so that a small sample meets it often."""
EMPOWER_SLEEVE = dt.date(2025, 10, 1)
"""The status-quo platforms: a sleeve in managed accounts at rank 2 from October 2025."""
GENERAL = dt.date(2026, 7, 1)
"""`platforms_general` set for these runs: every platform's managed accounts hold one from then."""


def build(seed: int = 4, years: int = 2, managed: ManagedAccountParams = HEAVY) -> Alt401kModel:
    config = RunConfig(n_savers=2000, n_sponsors=80, years=years, seed=seed, managed_account=managed)
    return Alt401kModel(load_scenario("eo-14330", {"platforms_general": GENERAL.isoformat()}), config)


def sleeve_held(model: Alt401kModel) -> np.ndarray:
    """Managed savers directing money to a standalone private-market vehicle their plan does not offer."""
    pop = model.savers
    managed = pop.style == sv.MANAGED
    alloc = pop.allocation[:, sv.STANDALONE_OPTIONS] > 0
    return managed[:, None] & alloc & ~model.plans.standalone[pop.sponsor]


def test_sleeve_only_where_the_platform_holds_it_and_only_from_its_date() -> None:
    model = build()
    seen_before_general = seen_after_general = False
    for _ in range(model.config.n_months):
        model.step()
        rank = model.plans.recordkeeper[model.savers.sponsor] + 1  # plans change recordkeeper
        month_start = model.date - dt.timedelta(days=1)  # the month just simulated
        held = sleeve_held(model).any(axis=1)
        if month_start < EMPOWER_SLEEVE:
            assert not held.any(), model.date
        elif month_start < GENERAL:
            assert (rank[held] == 2).all(), model.date
            seen_before_general |= bool(held.any())
        else:
            seen_after_general |= bool((held & (rank != 2)).any())
        # Wherever held, the plan's service holds it this month.
        rows = np.flatnonzero(held)
        sleeve = model.managed_sleeve()[model.savers.sponsor[rows]]
        ok = sleeve | model.plans.standalone[model.savers.sponsor[rows]]
        assert (ok | ~(model.savers.allocation[rows][:, sv.STANDALONE_OPTIONS] > 0)).all()
    assert seen_before_general and seen_after_general


def test_managed_allocations_sum_to_one_and_fees_are_reported_and_leave_the_system() -> None:
    model = build(seed=9)
    previous = model.recorder.current["assets_usd"]
    paid = 0.0
    for _ in range(model.config.n_months):
        model.step()
        f = model.flows
        now = model.recorder.current["assets_usd"]
        assert now - previous == pytest.approx(f.net_flow_usd, rel=0, abs=1e-9 * now), model.date
        previous = now
        # No balance below zero, and none -0.0 (the balance pass's shortcuts rely on it):
        # leavers' and managed trades' weights that sum to one within rounding are clipped.
        assert model.savers.balance_usd.min() >= 0.0 and not np.signbit(model.savers.balance_usd).any()
        managed = model.savers.style == sv.MANAGED
        np.testing.assert_allclose(model.savers.allocation[managed].sum(axis=1), 1.0, atol=1e-12)
        assert model.recorder.current["managed_account_fees_usd"] == f.managed_account_fees_usd
        paid += f.managed_account_fees_usd
    # The fee is of the order of the managed assets times fee_annual / 12 (returns and
    # enrolments move the base within the month, so only the order is checked here; the exact
    # arithmetic is tests/agents/test_managed_accounts.py).
    assets = model.recorder.current["managed_account_assets_usd"]
    assert assets > 0 and paid > 0
    assert f.managed_account_fees_usd == pytest.approx(assets * HEAVY.fee_annual / 12, rel=0.1)


def test_without_the_service_no_saver_is_managed_and_the_others_are_untouched() -> None:
    # No plan offers it: no managed saver, no fee, and the rest of the run is the run
    # without the channel (its draws come from a stream of its own, ODD §4.9).
    off = build(seed=2, years=1, managed=ManagedAccountParams(plan_offer_share=0.0))
    for _ in range(off.config.n_months):
        off.step()
        assert not (off.savers.style == sv.MANAGED).any()
        assert off.flows.managed_account_fees_usd == 0.0


def test_same_seed_same_managed_accounts() -> None:
    a, b = build(seed=6, years=1), build(seed=6, years=1)
    for _ in range(a.config.n_months):
        a.step()
        b.step()
    np.testing.assert_array_equal(a.savers.style, b.savers.style)
    np.testing.assert_array_equal(a.savers.balance_usd, b.savers.balance_usd)
    assert a.recorder.current == b.recorder.current


HEADER = 'title = "t"\ndescription = "d"\n'


def platform(channels: str, classes: str) -> str:
    return (f'[[platforms]]\nrecordkeepers = "all"\nchannels = {channels}\nclasses = {classes}\n'
            f'effective = 2026-01-01\nsource = "s"\n')


@pytest.mark.parametrize(("channels", "classes"), [
    ('["managed_account"]', '["crypto"]'),  # a sleeve of private markets only
    ('["managed_account", "standalone"]', "[]"),  # no classes only for the service alone
    ('["managed"]', "[]"),  # unknown channel
])
def test_bad_managed_account_platform_entries_name_file_and_field(tmp_path: Path, channels: str, classes: str) -> None:
    path = tmp_path / "v.toml"
    path.write_text(HEADER + platform(channels, classes), encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_scenario(path)
    assert info.value.source == str(path)
    assert info.value.field.startswith("platforms[0].")


def test_a_managed_account_service_entry_without_classes_loads() -> None:
    scenario = load_scenario("status-quo")
    state = scenario.state_at(dt.date(2026, 1, 1))
    rk = np.array([0, 1, 2], dtype=np.int32)
    assert state.managed_service(rk).all()
    sleeve = state.managed_sleeve(rk)
    assert not sleeve[0].any() and not sleeve[2].any()
    assert sleeve[1].sum() == 3  # Empower (rank 2): private equity, private credit, infrastructure
    assert not scenario.state_at(dt.date(2025, 9, 1)).managed_sleeve(rk).any()


@pytest.mark.parametrize(("key", "value"), [
    ("managed_account.fee_annual", 0.5),
    ("managed_account.usage_share", 1.5),
    ("managed_account.sleeve_share", {"crypto": 0.1}),
])
def test_bad_managed_account_parameters_name_the_field(key: str, value: object) -> None:
    with pytest.raises(InputError) as info:
        with_overrides(RunConfig(), {key: value}, "settings.toml")
    assert key in str(info.value)


def test_a_bad_managed_account_entry_exits_2_in_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "v.toml"
    path.write_text(HEADER + platform('["managed_account"]', '["gold"]'), encoding="utf-8")
    out = tmp_path / "out"
    assert main(["run", "--scenario", str(path), "--savers", "400", "--sponsors", "8", "--years", "1",
                 "--out", str(out)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and "platforms[0].classes" in err[0] and str(path) in err[0]
