"""Sample size as a share of the national 401(k) system, and the memory a run will need.

ODD §2.7. A run simulates `n_savers` rows standing for the ~70 million participants and
`n_sponsors` plans standing for the 604,400 401(k) plans (model.config.InitialState);
`--scale F` draws F of each, and `--scale national` both at 1:1. Before a large run starts,
its peak memory is estimated from the measured cost per saver and per plan
(benchmarks/RESULTS.md) and a run that cannot fit is refused up front, naming the option,
instead of being killed by the operating system hours in.
"""

from __future__ import annotations

import math
from pathlib import Path

from .config import RunConfig
from .errors import InputError

BYTES_PER_SAVER = 640
"""Peak resident memory per simulated saver, bytes: a run of 10M savers peaks at 5.21 GiB
(about 500 bytes a saver once the base and plans are taken off: ~430 of saver state, ~50 of
buffers kept across months, the rest the month's temporaries; benchmarks/RESULTS.md,
2026-12-01); kept on the high side, since a refused run costs a second while a killed one
costs hours."""
BYTES_PER_PLAN = 3_200
"""Peak resident memory per simulated plan, bytes: about 2,950 measured at 604,400 plans
and 1M savers (2.52 GiB at the peak over 13 months, 2026-12-03; 2,660 before the per-plan
arrays and sums were kept across months, `model.plan_views`, `kernels.PlanBuffers`): plan
table, Sponsor agents, the peer network built with networkx, per-plan fee, sleeve and sum
arrays; rounded up."""
BASE_BYTES = 400 * 2**20
"""Interpreter, numpy, numba, Mesa and the market paths, bytes."""


LARGE_RUN_SAVERS = 1_000_000
"""From this many savers `keep_freed_memory` is applied by `alt401k run`."""


def keep_freed_memory() -> bool:
    """Ask glibc's allocator to keep freed memory for reuse instead of returning it.

    Every model month allocates and frees arrays of tens to hundreds of MB; glibc serves
    those with fresh mappings and unmaps them on free, so each month pays page faults on
    the whole of them again, which on large samples cost as much as the arithmetic (10M
    savers: about 25% of a month, benchmarks/RESULTS.md). With mmap disabled for the heap
    and trimming off, freed memory is reused in place. Results are unaffected. Returns
    whether the setting was applied (glibc on Linux only; ALT401K_NO_MALLOC_TUNING=1
    turns it off).
    """
    import ctypes
    import os
    import sys

    if not sys.platform.startswith("linux") or os.environ.get("ALT401K_NO_MALLOC_TUNING"):
        return False
    try:
        libc = ctypes.CDLL("libc.so.6")
        m_trim_threshold, m_mmap_max = -1, -4
        return bool(libc.mallopt(m_trim_threshold, 2**31 - 1) and libc.mallopt(m_mmap_max, 0))
    except (OSError, AttributeError):
        return False


def parse_scale(text: str) -> float:
    """The fraction of the national system a ``--scale`` value asks for.

    ``national`` (or ``1``) is 1:1; otherwise a number in (0, 1]. Raises `InputError`.
    """
    if text.strip().lower() == "national":
        return 1.0
    try:
        value = float(text)
    except ValueError:
        raise InputError("--scale", text, "expected 'national' or a fraction in (0, 1], e.g. 0.01") from None
    if not (math.isfinite(value) and 0.0 < value <= 1.0):
        raise InputError("--scale", text, "must be 'national' or a fraction in (0, 1]")
    return value


def scaled_sizes(config: RunConfig, fraction: float) -> dict[str, int]:
    """`n_savers` and `n_sponsors` for `fraction` of the national participants and plans."""
    initial = config.initial
    return {
        "n_savers": max(100, round(fraction * initial.participants)),
        "n_sponsors": max(4, round(fraction * initial.plans)),
    }


def estimated_peak_bytes(n_savers: int, n_sponsors: int) -> int:
    """Estimated peak resident memory of a run, bytes."""
    return BASE_BYTES + BYTES_PER_SAVER * n_savers + BYTES_PER_PLAN * n_sponsors


def available_bytes(meminfo: Path = Path("/proc/meminfo")) -> int | None:
    """Memory the kernel says is available to a new process (MemAvailable), or None."""
    try:
        for line in meminfo.read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def _round_down(x: float, digits: int = 3) -> float:
    """`x` cut (not rounded) to `digits` significant digits; 0 for x <= 0."""
    if x <= 0:
        return 0.0
    step = 10.0 ** (math.floor(math.log10(x)) - digits + 1)
    return math.floor(x / step) * step


def check_memory(config: RunConfig, option: str, value: str, available: int | None = None) -> None:
    """Refuse a run whose estimated peak memory exceeds what this machine has available.

    Raises `InputError` naming `option` (the command-line option that set the size).
    Nothing is checked where available memory cannot be read.
    """
    available = available_bytes() if available is None else available
    need = estimated_peak_bytes(config.n_savers, config.n_sponsors)
    if available is None or need <= available:
        return
    fits = _round_down((available - BASE_BYTES) / (BYTES_PER_SAVER * config.initial.participants
                                                   + BYTES_PER_PLAN * config.initial.plans))
    raise InputError(
        option, value,
        f"{config.n_savers:,} savers and {config.n_sponsors:,} plans need about {need / 2**30:.1f} GiB "
        f"of memory ({BYTES_PER_SAVER} bytes a saver); {available / 2**30:.1f} GiB is available here. "
        f"Use --scale {fits:.3g} or less (or --skip-memory-check to try anyway)",
    )
