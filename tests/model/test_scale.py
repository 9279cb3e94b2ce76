"""Tests for model/scale.py: sample sizes as a share of the nation, and the memory check."""

from __future__ import annotations

from pathlib import Path

import pytest
from alt401k.model import scale
from alt401k.model.config import RunConfig
from alt401k.model.errors import InputError


def test_national_scale_is_one_row_per_participant_and_plan() -> None:
    # 1:1 means the calibration's national counts: ~70M participants (ICI), 604,400 plans (DOL).
    config = RunConfig()
    assert scale.parse_scale("national") == scale.parse_scale("1") == 1.0
    assert scale.scaled_sizes(config, 1.0) == {"n_savers": 70_000_000, "n_sponsors": 604_400}
    assert scale.scaled_sizes(config, 1e-9) == {"n_savers": 100, "n_sponsors": 4}  # floors of RunConfig


def test_memory_estimate_grows_with_savers_and_plans_and_gates_the_run() -> None:
    small, big = RunConfig(n_savers=1_000), RunConfig(n_savers=10_000_000, n_sponsors=600_000)
    assert scale.estimated_peak_bytes(1_000, 1_200) < scale.estimated_peak_bytes(10_000_000, 600_000)
    scale.check_memory(small, "--savers", "1000", available=2**30)
    with pytest.raises(InputError, match="--savers") as err:
        scale.check_memory(big, "--savers", "10000000", available=2**30)
    assert "GiB" in str(err.value)
    scale.check_memory(big, "--savers", "10000000", available=None)  # unknown: not checked


def test_available_memory_is_read_from_meminfo(tmp_path: Path) -> None:
    meminfo = tmp_path / "meminfo"
    meminfo.write_text("MemTotal: 100 kB\nMemAvailable:   2048 kB\n")
    assert scale.available_bytes(meminfo) == 2048 * 1024
    assert scale.available_bytes(tmp_path / "missing") is None


def test_allocator_tuning_can_be_turned_off(monkeypatch: pytest.MonkeyPatch) -> None:
    # Large runs ask glibc to keep freed memory (speed only, results unaffected); the
    # environment switch must win, and elsewhere the call must report what it did.
    monkeypatch.setenv("ALT401K_NO_MALLOC_TUNING", "1")
    assert scale.keep_freed_memory() is False
    monkeypatch.delenv("ALT401K_NO_MALLOC_TUNING")
    import platform
    import sys

    glibc = sys.platform.startswith("linux") and platform.libc_ver()[0] == "glibc"
    assert scale.keep_freed_memory() is glibc
