"""A run gives the same bytes with and without the JIT, and with any number of threads
(issue #6: results must not depend on the kernel path). Without numba the row kernel runs
in the Python interpreter, doing the same IEEE operations in the same order as the compiled
one; with numba the rows are shared out among threads in chunks fixed by the rows alone.
Chunks of 64 rows make the 300-saver run use several (the default is 32,768)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from alt401k.agents import kernels

SCRIPT = """
import sys
from alt401k.agents import kernels
from alt401k.model.config import RunConfig
from alt401k.model.threads import set_kernel_threads
kernels.CHUNK_ROWS = 64
set_kernel_threads(int(sys.argv[2]))
from alt401k.model.model import Alt401kModel
from alt401k.model.outputs import write_run
from alt401k.model.policy import load_scenario
m = Alt401kModel(load_scenario("broad-access"), RunConfig(n_savers=300, n_sponsors=40, years=2, seed=11))
m.run()
write_run(m, sys.argv[1], m.recorder.initial)
"""


def _run(out: Path, no_jit: bool, threads: int = 2) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("ALT401K_NO_JIT", None)
    if no_jit:
        env["ALT401K_NO_JIT"] = "1"
    subprocess.run([sys.executable, "-c", SCRIPT, str(out), str(threads)], check=True, env=env, timeout=300)
    return json.loads((out / "manifest.json").read_text())


@pytest.mark.skipif(not kernels.HAVE_NUMBA, reason="needs numba for the compiled side")
def test_same_bytes_with_and_without_jit(tmp_path: Path) -> None:
    jit = _run(tmp_path / "jit", no_jit=False)
    interpreted = _run(tmp_path / "nojit", no_jit=True)
    one_thread = _run(tmp_path / "jit1", no_jit=False, threads=1)
    assert jit["kernel"] == "numba" and interpreted["kernel"] == "interpreted"
    assert jit["files"] == interpreted["files"] == one_thread["files"]
