"""The repository stands on its own: no tracked file cites a document that is not in it.

The model was designed from notes kept outside the repository (a design document cited as
"DESIGN §N", a style guide as "STYLE", a folder `shared/` with the calibration sources and
validation targets). A reader of the repository cannot open them, so references must be
to the original sources or to the repository's own docs (docs/ODD.md, docs/calibration.md,
docs/validation.md, docs/sweeps.md, benchmarks/RESULTS.md).
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
OUTSIDE = re.compile(r"shared/|\bSTYLE\b|\bDESIGN\b( ?§|\.md)|calibration-sources|validation-targets")
"""What a reference to the outside notes looks like."""
SKIPPED = (".ci/", "tests/test_self_contained.py")


def _tracked_text_files() -> list[Path]:
    done = subprocess.run(["git", "-C", str(ROOT), "ls-files", "-z"], capture_output=True, check=False)
    if done.returncode != 0:
        pytest.skip("not a git checkout")
    names = [n for n in done.stdout.decode().split("\0") if n and not n.startswith(SKIPPED)]
    return [ROOT / n for n in names if (ROOT / n).is_file()]


def test_no_tracked_file_refers_to_notes_outside_the_repository():
    found = []
    for path in _tracked_text_files():
        try:
            text = path.read_text()
        except UnicodeDecodeError:
            continue
        for number, line in enumerate(text.splitlines(), 1):
            if OUTSIDE.search(line):
                found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()[:100]}")
    assert found == [], "references to files outside the repository:\n" + "\n".join(found)
