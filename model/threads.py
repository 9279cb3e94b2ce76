"""Threads: the compiled saver passes run on numba's threads, BLAS on one.

ODD §4.9. The compiled passes in `agents.kernels` share the rows out among numba's
threads in fixed chunks (`kernels.row_chunks`), so their results do not depend on how many
threads there are. A threaded BLAS is another matter: OpenBLAS may split a reduction such
as ``weight @ balance`` differently with its thread count, and its idle threads spin on
the cores the model's passes would use (measured here: a 2-thread pass right after a BLAS
call ran no faster than on one thread). So the model pins BLAS to one thread, and a sweep
gives each worker process its share of the cores for numba (`set_kernel_threads`).
"""

from __future__ import annotations

import ctypes
import functools
from pathlib import Path

BLAS_THREAD_SYMBOLS = ("scipy_openblas_set_num_threads64_", "openblas_set_num_threads64_",
                       "scipy_openblas_set_num_threads", "openblas_set_num_threads")


@functools.cache
def single_thread_blas() -> None:
    """Pin OpenBLAS to one thread in this process (best effort, Linux; once per process).

    Why: one BLAS thread everywhere keeps results bit-identical between an in-process run
    and a worker's, and leaves the cores to the compiled passes. Nothing is done where no
    OpenBLAS is loaded or /proc is unreadable.
    """
    try:
        maps = Path("/proc/self/maps").read_text()
    except OSError:
        return
    libs = {line.split()[-1] for line in maps.splitlines() if "openblas" in line.lower() and ".so" in line}
    for lib in libs:
        try:
            handle = ctypes.CDLL(lib)
        except OSError:
            continue
        for symbol in BLAS_THREAD_SYMBOLS:
            if hasattr(handle, symbol):
                getattr(handle, symbol)(1)
                break


def set_kernel_threads(n: int | None) -> int:
    """Use `n` threads (at most numba's maximum; None: all) for the compiled passes.

    Results do not depend on it. Returns the number now in use (1 under ``NUMBA_DISABLE_JIT=1``).
    """
    import numba

    if numba.config.DISABLE_JIT:
        return 1

    top = numba.config.NUMBA_NUM_THREADS
    numba.set_num_threads(top if n is None else max(1, min(int(n), top)))
    return kernel_threads()


def kernel_threads() -> int:
    """Threads the compiled passes use now (1 under ``NUMBA_DISABLE_JIT=1``)."""
    import numba

    if numba.config.DISABLE_JIT:
        return 1

    return numba.get_num_threads()
