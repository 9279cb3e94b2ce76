"""Packaging: what `pip install .` brings (issue #24: numba is required, not an extra)."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_numba_is_a_required_dependency() -> None:
    # Without numba the saver passes fall back to numpy, 25-100x slower and silently; a
    # plain `pip install .` must therefore bring it, not only the `fast` extra.
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    required = [d.split(">")[0].split("=")[0].split("[")[0].strip().lower() for d in project["dependencies"]]
    assert "numba" in required
    assert project["optional-dependencies"]["fast"] == []
