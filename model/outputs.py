"""Writing a run's outputs: Parquet tables and the manifest, atomically.

Every output directory holds `series.parquet` (monthly national series), `horizon.parquet`
(wealth by income quintile and age group) and `manifest.json` (code version, scenario, all
parameters, seeds, package versions, t0 calibration). Files are written to a temporary
name and renamed, so a crash never leaves a half-written file, and their bytes depend only
on the inputs (no timestamps inside). Each Parquet column carries its data-dictionary
entry (docs/outputs.md) in the file's schema; files get the usual permissions (0o666 less
the umask).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import platform
import secrets
import subprocess
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.parquet as pq

from .. import __version__

if TYPE_CHECKING:
    from .model import Alt401kModel

PACKAGES = ("mesa", "numpy", "networkx", "scipy", "pandas", "pyarrow", "pydantic", "joblib", "numba", "SALib")


def write_atomic(path: Path, data: bytes) -> None:
    """Write `data` to `path` through a temporary file in the same folder and a rename.

    The file is created with mode 0o666 less the process's umask, like any file the user
    creates (``tempfile.mkstemp`` would make it 0o600, unreadable to the user's group).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = _create_temporary(path)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _create_temporary(path: Path) -> tuple[int, Path]:
    """Open a new, unique temporary file beside `path` (mode 0o666, the umask applied by the
    system); retry on the rare name collision."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    while True:
        tmp = path.parent / f".{path.name}.{secrets.token_hex(8)}.tmp"
        try:
            return os.open(tmp, flags, 0o666), tmp
        except FileExistsError:
            continue


def parquet_bytes(table: pa.Table) -> bytes:
    """Serialise a table to Parquet with fixed options (same table -> same bytes), each
    column's unit, kind, dollars and description from the data dictionary in its field
    metadata (`model.dictionary.annotate`; docs/outputs.md)."""
    from .dictionary import annotate

    sink = pa.BufferOutputStream()
    pq.write_table(annotate(table), sink, compression="zstd", use_dictionary=False, write_statistics=True)
    return sink.getvalue().to_pybytes()


def git_commit() -> str:
    """Commit of the source tree the package runs from, '+dirty' if modified, or 'unknown'."""
    root = Path(__file__).resolve().parent.parent
    try:
        head = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=10)
        if head.returncode != 0:
            return "unknown"
        dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=10)
        return head.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def package_versions() -> dict[str, str | None]:
    """Installed versions of the packages that can change results."""
    out: dict[str, str | None] = {"python": platform.python_version(), "alt401k": __version__}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def t0_calibration(model: Alt401kModel, initial_record: dict[str, float]) -> dict[str, Any]:
    """The initial state's weighted totals beside their targets (docs/calibration.md §7)."""
    init = model.config.initial
    rows = {
        "assets_usd": (initial_record["assets_usd"], init.assets_usd, "ICI Q1 2025"),
        "participants": (initial_record["participants"], init.participants, "ICI 2026"),
        "plans": (initial_record["plans"], init.plans, "DOL Form 5500 2019"),
        "mutual_fund_assets_usd": (initial_record["mutual_fund_assets_usd"], 5.3e12, "ICI Q1 2025"),
        "mutual_fund_equity_usd": (initial_record["mutual_fund_equity_usd"], 3.2e12, "ICI Q1 2025"),
        "mutual_fund_hybrid_usd": (initial_record["mutual_fund_hybrid_usd"], 1.4e12, "ICI Q1 2025"),
        "default_fund_share_of_assets": (initial_record["default_fund_share_of_assets"], 0.38, "EBRI/ICI 2022"),
        "share_plans_offering_any_alt": (initial_record["share_plans_offering_any_alt"], 0.039, "PLANSPONSOR 2025"),
        "crypto_share_of_assets": (initial_record["assets_usd__crypto"] / initial_record["assets_usd"], 0.0, "GAO 2024: < 1%"),
    }
    return {k: {"model": v, "target": t, "source": src} for k, (v, t, src) in rows.items()}


def json_safe(value: Any) -> Any:
    """Replace non-finite floats (an uncapped fee is ``inf``) by strings; JSON has no Infinity."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    return value


def write_run(model: Alt401kModel, out_dir: Path, initial_record: dict[str, float], extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """Write series, horizon table and manifest of a finished run; return the manifest."""
    from .reporters import horizon_table

    out_dir = Path(out_dir)
    files = {
        "series.parquet": parquet_bytes(model.recorder.series_table()),
        "horizon.parquet": parquet_bytes(horizon_table(model)),
    }
    for name, data in files.items():
        write_atomic(out_dir / name, data)
    from ..base.compiled import jit_enabled
    from .threads import kernel_threads

    manifest = {
        "alt401k_version": __version__,
        "git_commit": git_commit(),
        "scenario": model.scenario.to_dict(),
        "config": model.config.model_dump(mode="json"),
        "seed": model.config.seed,
        "seed_entropy": str(model.seed_entropy),
        "kernel": "numba" if jit_enabled() else "interpreted",
        # Results do not depend on it (tests/model/test_jit_equivalence.py); recorded for timings.
        "kernel_threads": kernel_threads(),
        "packages": package_versions(),
        # The national targets mean nothing for a designed world (model.setting).
        "t0_calibration": t0_calibration(model, initial_record) if model.setting is None else None,
        "files": {name: hashlib.sha256(data).hexdigest() for name, data in files.items()},
        **(extra or {}),
    }
    write_atomic(out_dir / "manifest.json", (json.dumps(json_safe(manifest), indent=2, sort_keys=True, default=str, allow_nan=False) + "\n").encode())
    return manifest
