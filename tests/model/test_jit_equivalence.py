"""A run gives the same bytes with and without the JIT, and with any number of threads
(issue #6: results must not depend on the kernel path). Without numba the row kernel runs
in the Python interpreter, doing the same IEEE operations in the same order as the compiled
one; with numba the rows are shared out among threads in chunks, and national sums are
added plan by plan, so neither the threads nor the chunks change a bit. Chunks of 64 rows
make the 300-saver run use several (the default is 4,096)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

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
scenario, n, years, path = sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), sys.argv[6]
config = RunConfig(n_savers=n, n_sponsors=max(40, n // 50), years=years, seed=11)
market_path = None
if path:
    from alt401k.model import market_paths
    name, month = path.split("@")
    market_path = market_paths.stylised(name, int(month))
m = Alt401kModel(load_scenario(scenario), config, market_path=market_path)
m.run()
write_run(m, sys.argv[1], m.recorder.initial)
"""


def _run(out: Path, no_jit: bool, threads: int = 2, scenario: str = "broad-access", n: int = 300, years: int = 2,
         path: str = "", timeout: int = 300) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("NUMBA_DISABLE_JIT", None)
    if no_jit:
        env["NUMBA_DISABLE_JIT"] = "1"
    subprocess.run([sys.executable, "-c", SCRIPT, str(out), str(threads), scenario, str(n), str(years), path],
                   check=True, env=env, timeout=timeout)
    return json.loads((out / "manifest.json").read_text())


def test_same_bytes_with_and_without_jit(tmp_path: Path) -> None:
    jit = _run(tmp_path / "jit", no_jit=False)
    interpreted = _run(tmp_path / "nojit", no_jit=True)
    one_thread = _run(tmp_path / "jit1", no_jit=False, threads=1)
    assert jit["kernel"] == "numba" and interpreted["kernel"] == "interpreted"
    assert jit["files"] == interpreted["files"] == one_thread["files"]


@pytest.mark.slow
@pytest.mark.parametrize(("scenario", "path"), [("account-cap-5pct", "equity-crash-2008@12"),
                                                ("sleeve-only", "crypto-winter@6")])
def test_same_bytes_with_and_without_jit_over_thirty_years(tmp_path: Path, scenario: str, path: str) -> None:
    # A last-bit difference between the kernel paths may show only after years (a saver
    # crossing a threshold, a gate or the cap binding late): 30 years, crashes included.
    kw = dict(scenario=scenario, n=1_000, years=30, path=path, timeout=1_500)
    jit = _run(tmp_path / "jit", no_jit=False, **kw)
    interpreted = _run(tmp_path / "nojit", no_jit=True, **kw)
    one_thread = _run(tmp_path / "jit1", no_jit=False, threads=1, **kw)
    assert jit["files"] == interpreted["files"] == one_thread["files"]
