"""Output files: permissions follow the umask, and every column of every table is in the data
dictionary (stored in each Parquet file and in docs/outputs.md), on a real tiny run and sweep."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from alt401k.experiments import sweep
from alt401k.model import dictionary
from alt401k.model.config import RunConfig
from alt401k.model.model import Alt401kModel
from alt401k.model.outputs import write_atomic, write_run
from alt401k.model.policy import load_scenario

ROOT = Path(__file__).resolve().parents[2]
SPEC = """
title = "tiny"
description = "two lever values, one uncertainty, every output"
scenarios = ["eo-14330"]
design = "grid"
replications = 1
master_seed = 3
years = 1
n_savers = 600
n_sponsors = 40

[levers]
"fee_cap.annual" = [0.01, 0.02]

[uncertainties]
"saver.panic_sale_prob" = [0.05]

[outputs]
every = 6
monthly = ["assets_usd__alternatives", "share_plans_offering_any_alt", "fees_usd2025"]
horizon_table = true

[outputs.horizon]
assets_usd__alternatives = "last"
fees_usd = "sum"
share_plans_offering_any_alt = "mean"
"""


@contextmanager
def umask(mask: int) -> Iterator[None]:
    old = os.umask(mask)
    try:
        yield
    finally:
        os.umask(old)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    """A one-year run of 2,000 savers written by `write_run` under umask 022."""
    model = Alt401kModel(load_scenario("eo-14330"), RunConfig(n_savers=2000, n_sponsors=80, years=1, seed=5))
    model.run()
    out = tmp_path_factory.mktemp("run") / "out"
    with umask(0o022):
        write_run(model, out, model.recorder.initial)
    return out


@pytest.fixture(scope="module")
def sweep_dir(tmp_path_factory) -> Path:
    """A two-run grid sweep (every table written) under umask 022."""
    base = tmp_path_factory.mktemp("sweep")
    spec = base / "tiny.toml"
    spec.write_text(SPEC)
    with umask(0o022):
        result = sweep.run_sweep(spec, base / "out", n_jobs=1, progress=False)
    assert result.failed == [] and result.n_done == 2
    return base / "out"


@pytest.mark.parametrize("mask", [0o022, 0o027, 0o077])
def test_write_atomic_respects_the_umask(tmp_path, mask):
    with umask(mask):
        write_atomic(tmp_path / "a" / "file.bin", b"x")
    assert _mode(tmp_path / "a" / "file.bin") == 0o666 & ~mask
    assert [p.name for p in (tmp_path / "a").iterdir()] == ["file.bin"], "no temporary file left"


def test_run_outputs_are_readable_by_the_group_and_others(run_dir):
    names = sorted(p.name for p in run_dir.iterdir())
    assert names == ["horizon.parquet", "manifest.json", "series.parquet"]
    assert {n: _mode(run_dir / n) for n in names} == dict.fromkeys(names, 0o644)


def test_sweep_outputs_are_readable_by_the_group_and_others(sweep_dir):
    files = [p for p in sweep_dir.rglob("*") if p.is_file()]
    assert {p.relative_to(sweep_dir).parts[0] for p in files} >= {"spec.toml", "sweep.json", "parts", "horizon", "tables"}
    assert {str(p.relative_to(sweep_dir)): _mode(p) for p in files} == {str(p.relative_to(sweep_dir)): 0o644 for p in files}


def _check_documented(path: Path) -> list[str]:
    """Columns of the Parquet file at `path` without their dictionary entry in the file."""
    missing = []
    for field in pq.read_schema(path):
        entry = dictionary.describe(field.name)
        meta = {k.decode(): v.decode() for k, v in (field.metadata or {}).items()}
        stored = entry is not None and meta == {**meta, **entry.metadata()}
        if not stored or not (entry.unit and entry.kind and entry.definition):
            missing.append(field.name)
    return missing


@pytest.mark.parametrize("name", ["series.parquet", "horizon.parquet"])
def test_every_run_column_is_documented_in_the_file(run_dir, name):
    assert _check_documented(run_dir / name) == []


@pytest.mark.parametrize("table", ["parts", "horizon", "tables"])
def test_every_sweep_column_is_documented_in_the_file(sweep_dir, table):
    files = sorted((sweep_dir / table).glob("run-*.parquet"))
    assert len(files) == 2
    assert _check_documented(files[0]) == []


def test_money_columns_say_nominal_or_real(run_dir):
    schema = pq.read_schema(run_dir / "series.parquet")
    for field in schema:
        meta = {k.decode(): v.decode() for k, v in field.metadata.items()}
        if "_usd2025" in field.name:
            assert meta["dollars"] == dictionary.REAL, field.name
        elif "_usd" in field.name:
            assert meta["dollars"] == dictionary.NOMINAL, field.name
        else:
            assert meta["dollars"] == "", field.name
    assert pq.read_schema(run_dir / "series.parquet").field("fees_usd").metadata[b"kind"] == dictionary.FLOW.encode()
    assert pq.read_schema(run_dir / "series.parquet").field("assets_usd").metadata[b"kind"] == dictionary.STOCK.encode()


def test_swept_lever_column_carries_the_lever_registry_text(sweep_dir):
    from alt401k.model.levers import LEVERS

    field = pq.read_schema(next((sweep_dir / "parts").glob("run-*.parquet"))).field("fee_cap.annual")
    assert field.metadata[b"unit"].decode() == LEVERS["fee_cap.annual"].unit
    assert LEVERS["fee_cap.annual"].description in field.metadata[b"description"].decode()


def test_docs_outputs_md_is_the_generated_dictionary():
    committed = (ROOT / "docs" / "outputs.md").read_text()
    assert committed == dictionary.render_markdown(), (
        "docs/outputs.md is out of date: python -m alt401k.model.dictionary > docs/outputs.md"
    )


def test_every_dictionary_entry_names_a_recorded_column(run_dir, sweep_dir):
    """No stale entry: each pattern's names occur in a real run's or sweep's tables."""
    seen = set(pq.read_schema(run_dir / "series.parquet").names) | set(pq.read_schema(run_dir / "horizon.parquet").names)
    for table in ("parts", "horizon", "tables"):
        seen |= set(pq.read_schema(next((sweep_dir / table).glob("run-*.parquet"))).names)
    for entry in dictionary.SERIES + dictionary.HORIZON + dictionary.SWEEP:
        assert set(entry.names()) <= seen, entry.pattern
