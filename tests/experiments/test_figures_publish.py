"""`alt401k figures` builds outside the published set; only `--publish` writes it, from a
clean tree, recording the commit.

The source checkout is stood in for by a temporary git repository (`figures.SOURCE_ROOT`),
and one small figure is built at a tiny size (`figures.SIZE_OVERRIDE`).
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from alt401k.experiments import cli, figures

TINY = {"n_savers": 200, "n_sponsors": 20, "years": 3, "replications": 2, "n_samples": 2}
ONE = ["--only", "fee_transfer", "--n-jobs", "1"]
STALE = b'{"git_commit": "5def765+dirty"}\n'


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.org", *args],
                          capture_output=True, text=True, check=True).stdout.strip()


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A committed checkout with a published figure set (a stale manifest), the working directory."""
    root = tmp_path / "checkout"
    (root / "results" / "figures").mkdir(parents=True)
    (root / "results" / "figures" / "MANIFEST.json").write_bytes(STALE)
    (root / "results" / "figures" / ".gitignore").write_text(".cache/\n")
    (root / ".gitignore").write_text("results/figures-build/\n")
    (root / "model.py").write_text("x = 1\n")
    git(root, "init", "-q")
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "initial")
    monkeypatch.setattr(figures, "SOURCE_ROOT", root, raising=False)
    monkeypatch.setattr(figures, "SIZE_OVERRIDE", dict(TINY))
    monkeypatch.chdir(root)
    return root


def test_figures_builds_outside_the_published_set(repo: Path) -> None:
    assert cli.main(["figures", *ONE]) == 0
    assert (repo / "results" / "figures" / "MANIFEST.json").read_bytes() == STALE
    assert not (repo / "results" / "figures" / "fee_transfer.csv").exists()
    assert (repo / "results" / "figures-build" / "fee_transfer.csv").stat().st_size > 0
    assert git(repo, "status", "--porcelain") == ""


def test_out_may_not_name_the_published_set(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["figures", *ONE, "--out", "results/figures"]) == 2
    assert "--publish" in capsys.readouterr().err
    assert (repo / "results" / "figures" / "MANIFEST.json").read_bytes() == STALE


def test_publish_refuses_a_dirty_tree(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (repo / "model.py").write_text("x = 2\n")
    assert cli.main(["figures", "--publish", *ONE]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith("alt401k: error: --publish") and "model.py" in err
    assert (repo / "results" / "figures" / "MANIFEST.json").read_bytes() == STALE
    assert sorted(p.name for p in (repo / "results" / "figures").iterdir()) == [".gitignore", "MANIFEST.json"]


def test_publish_refuses_an_untracked_file(repo: Path) -> None:
    (repo / "new_scenario.toml").write_text("title = 'not committed'\n")
    assert cli.main(["figures", "--publish", *ONE]) == 2
    assert (repo / "results" / "figures" / "MANIFEST.json").read_bytes() == STALE


def test_publish_from_a_clean_tree_records_the_commit(repo: Path) -> None:
    head = git(repo, "rev-parse", "HEAD")
    assert cli.main(["figures", "--publish", *ONE]) == 0
    manifest = json.loads((repo / "results" / "figures" / "MANIFEST.json").read_text())
    assert manifest["git_commit"] == head
    assert manifest["figures"]["fee_transfer"]["git_commit"] == head
    assert (repo / "results" / "figures" / "fee_transfer.csv").stat().st_size > 0
    assert not (repo / "results" / "figures-build").exists()
