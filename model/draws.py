"""Savers' monthly uniforms drawn on several threads, the same numbers as one serial draw.

DESIGN §7. Every saver draw of a month comes from one PCG64 stream (`saver_rng`), drawn in
a fixed order whatever the policy (common random numbers), and the per-saver reference
engine draws the same arrays serially. A float32 uniform uses 32 bits of one 64-bit PCG64
output (low half first), so float number k from an aligned position sits in output k // 2:
a copy of the generator advanced by k / 2 outputs (`PCG64.advance`, logarithmic time)
draws the same numbers from k on. Splitting an array into parts that start at even
positions and filling each part from its own copy on its own thread (numpy releases the
GIL while filling) gives exactly the serial numbers; the stream then continues from where
the last part's copy stopped, buffered half included, as it would after the serial draw.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import numpy.typing as npt

F32 = npt.NDArray[np.float32]
MIN_PARALLEL_FLOATS = 1 << 20
"""Below this many numbers a draw is serial (threads would cost more than they save)."""


def _copies_at(rng: np.random.Generator, offsets: list[int]) -> list[np.random.Generator]:
    """Generators positioned `offsets` float32 draws (even numbers) after `rng`'s position.

    `rng` must hold no buffered half output (`has_uint32` 0), so that float k is half of
    output k // 2."""
    state = rng.bit_generator.state
    copies = []
    for offset in offsets:
        bit_generator = np.random.PCG64()
        bit_generator.state = state
        bit_generator.advance(offset // 2)
        copies.append(np.random.Generator(bit_generator))
    return copies


def _can_split(rng: np.random.Generator, n_floats: int, threads: int) -> bool:
    return (threads > 1 and n_floats >= MIN_PARALLEL_FLOATS and isinstance(rng.bit_generator, np.random.PCG64)
            and not rng.bit_generator.state["has_uint32"])


@functools.cache
def _pool(threads: int) -> ThreadPoolExecutor:
    """A pool of `threads` threads kept for the process (starting threads costs milliseconds
    here, several times a month)."""
    return ThreadPoolExecutor(max_workers=threads, thread_name_prefix="alt401k-draws")


def _run_parts(rng: np.random.Generator, offsets: list[int], work: Callable[[np.random.Generator, int], None]) -> None:
    """Call work(copy_i, i) for each part on its own thread; `rng` ends where the last part ends."""
    copies = _copies_at(rng, offsets)
    pool = _pool(len(copies))
    for future in [pool.submit(work, g, i) for i, g in enumerate(copies)]:
        future.result()
    rng.bit_generator.state = copies[-1].bit_generator.state


def uniforms_into(rng: np.random.Generator, out: F32, threads: int) -> F32:
    """Fill `out` (float32, C-contiguous) with ``rng.random(out=out, dtype=np.float32)``'s
    numbers, on up to `threads` threads; `rng` is left as that call would leave it."""
    flat = out.reshape(-1)
    if not _can_split(rng, flat.size, threads):
        return rng.random(out=out, dtype=np.float32)
    step = (flat.size // threads) & ~1
    starts = [t * step for t in range(threads)]
    stops = starts[1:] + [flat.size]

    def fill(g: np.random.Generator, i: int) -> None:
        g.random(out=flat[starts[i] : stops[i]], dtype=np.float32)

    _run_parts(rng, starts, fill)
    return out


def uniform_rows(rng: np.random.Generator, n_rows: int, width: int, keep: npt.NDArray[np.intp], threads: int,
                 buffer: Callable[[int], F32], block: int = 65_536) -> F32:
    """Rows `keep` (ascending) of ``rng.random((n_rows, width), dtype=np.float32)``.

    The whole matrix is drawn, block by block, so the stream moves on exactly as if it had
    been drawn at once; only the kept rows are stored, sparing (n_rows x width) floats of
    memory. Blocks are shared out among up to `threads` threads, each drawing into its own
    `buffer(i)` (shape (block, width)) from a copy of the stream positioned at its first
    block. `block * width` must be even for the split (else one thread draws)."""
    out = np.empty((keep.size, width), dtype=np.float32)
    n_blocks = -(-n_rows // block)
    if (block * width) % 2 or n_blocks < 2 or not _can_split(rng, n_rows * width, threads):
        threads = 1
    first = [t * n_blocks // threads for t in range(threads)] + [n_blocks]

    def draw(g: np.random.Generator, i: int) -> None:
        buf = buffer(i)
        for b in range(first[i], first[i + 1]):
            start, stop = b * block, min((b + 1) * block, n_rows)
            g.random(out=buf[: stop - start], dtype=np.float32)
            lo, hi = np.searchsorted(keep, (start, stop))
            out[lo:hi] = buf[keep[lo:hi] - start]

    if threads == 1:
        draw(rng, 0)
    else:
        _run_parts(rng, [first[t] * block * width for t in range(threads)], draw)
    return out
