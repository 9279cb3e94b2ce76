"""What the compiled passes share: numba's compiler, and scalar helpers that reproduce
numpy's own arithmetic bit for bit.

ODD §2.7; benchmarks/RESULTS.md. numba is a required dependency (without it the model ran
25-100x slower, silently). The interpreted mode is numba's own: with
``NUMBA_DISABLE_JIT=1`` every pass runs as plain Python, the same code doing the same IEEE
operations in the same order, so a run gives the same bytes (tests/model/test_jit_equivalence.py).
The helpers here follow numpy's conventions where they differ from the obvious loop:
pairwise sums (`row_total`, `row_dot`), sums over gathered columns in column order
(`in_order`), `numpy.interp`'s slopes and formula (`interp_slopes`,
`interp_sloped`) and `numpy.clip`'s signed zeros (`numpy_clip`), each tested against numpy
(tests/agents/test_kernels.py, tests/agents/test_rule_kernels.py).
"""

from __future__ import annotations

import numba
import numpy as np
import numpy.typing as npt
from numba import njit, prange

F64 = npt.NDArray[np.float64]

__all__ = ["add_rows_in_order", "count_at_or_below", "in_order", "interp_known", "interp_sloped", "interp_slopes", "jit_enabled", "njit",
           "numpy_clip", "numpy_minimum", "on_segment", "prange", "row_dot", "row_helper", "row_total", "row_total_n"]


def jit_enabled() -> bool:
    """Whether the passes run compiled (False under ``NUMBA_DISABLE_JIT=1``); run manifests
    record it (`model.outputs`)."""
    return not numba.config.DISABLE_JIT


def row_helper(f):  # noqa: ANN001, ANN201 - a decorator for compiled helpers
    """Compile `f`, a helper the passes call once a row (or once a plan), to be inlined into
    each pass that calls it (numba's ``inline="always"``: its IR is copied into the caller,
    the same operations in the same order, so the same bits); `f` itself under
    ``NUMBA_DISABLE_JIT=1``.

    A call to a separately compiled function costs far more than its arithmetic where it
    takes arrays (numba passes each array's structure and counts its references): the
    glide path's two interpolations (`fund_mix.glide_weights`) took ~17-29 ns a row called,
    ~1.2 ns inlined, ~45% of the balance pass (benchmarks/RESULTS.md, the seventh round).
    Not every helper gains: inlined, the PCG64 steps of `base.draws` (which take no
    arrays; LLVM inlines them already) ran ~1.5x slower, and `numpy_clip` and
    `count_at_or_below` slowed `alt_interest`'s pass (~0.05 -> ~0.07 ms for
    8,300 rows), so those stay separately compiled. Which way a helper goes is measured.
    numba's cache of a pass does not notice a change to a helper from another file, inlined
    or not: after editing one, `make clean-cache`."""
    return njit(cache=True, nogil=True, inline="always")(f)


def row_total(row):  # pragma: no cover - compiled
    """Sum of a row in numpy's pairwise order for rows of up to 128 values (eight partial
    sums combined as a tree, then the tail), so that it equals `ndarray.sum(axis=1)` bit
    for bit (tested); balance rows have N_HOLDINGS = 22."""
    return row_total_n(row, row.shape[0])


def row_total_n(row, n):  # pragma: no cover - compiled
    """`row_total` of row[:n]. Given a compile-time constant n (a module constant of the
    calling pass), numba unrolls the sum (the same additions, so the same bits)."""
    if n < 8:
        t = 0.0
        for j in range(n):
            t += row[j]
        return t
    r0, r1, r2, r3, r4, r5, r6, r7 = row[0], row[1], row[2], row[3], row[4], row[5], row[6], row[7]
    i = 8
    while i + 8 <= n:
        r0 += row[i]
        r1 += row[i + 1]
        r2 += row[i + 2]
        r3 += row[i + 3]
        r4 += row[i + 4]
        r5 += row[i + 5]
        r6 += row[i + 6]
        r7 += row[i + 7]
        i += 8
    t = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    while i < n:
        t += row[i]
        i += 1
    return t


def add_rows_in_order(parts: F64) -> F64:  # pragma: no cover - compiled
    """parts[0] + parts[1] + ... + parts[m-1], in that order (fixed, whatever the threads)."""
    total = parts[0].copy()
    for c in range(1, parts.shape[0]):
        for j in range(parts.shape[1]):
            total[j] += parts[c, j]
    return total


def in_order(x, n):  # pragma: no cover - compiled
    """x[0] + x[1] + ... + x[n-1] in that order: how numpy sums the rows of a gather of
    columns (`a[:, cols].sum(axis=1)`; the gather is laid out column by column)."""
    t = x[0]
    for j in range(1, n):
        t += x[j]
    return t


def interp_slopes(xp: F64, fp: F64) -> F64:
    """Slopes of the segments of a piecewise-linear function, as `numpy.interp` computes
    them (the same division, so the same bits), for `interp_sloped`."""
    return (fp[1:] - fp[:-1]) / (xp[1:] - xp[:-1])


def interp_sloped(x, xp, fp, slope):  # pragma: no cover - compiled
    """`numpy.interp(x, xp, fp)` for one finite x, the segments' `interp_slopes` given (no
    division per call): the same formula, the same bits (tested)."""
    n = xp.shape[0]
    if x <= xp[0]:
        return fp[0]
    if x >= xp[n - 1]:
        return fp[n - 1]
    j = 0
    while x >= xp[j + 1]:
        j += 1
    return on_segment(x, xp, fp, slope, j)


def on_segment(x, xp, fp, slope, j):  # pragma: no cover - compiled
    """numpy.interp on the segment j <= x < j + 1 (x inside the knots): fp[j] at the knot
    itself, else slope x (x - xp[j]) + fp[j], and, where that is NaN (an infinite slope
    between knots a subnormal apart), the same from the segment's other end, as numpy does."""
    if x == xp[j]:
        return fp[j]
    v = slope[j] * (x - xp[j]) + fp[j]
    if v != v:
        v = slope[j] * (x - xp[j + 1]) + fp[j + 1]
        if v != v and fp[j] == fp[j + 1]:
            v = fp[j]
    return v


def interp_known(x, xp, fp, slope):  # pragma: no cover - compiled
    """`interp_sloped` (numpy.interp, the same formula, the same bits) for knots that are
    module constants numba compiles in (`fund_mix.glide_weights`): the segment and the
    flat ends are chosen by selects, not branches, which values mixed at random (savers'
    ages) mispredict. With knots passed at run time the selects are slower than
    `interp_sloped`'s branches (benchmarks/RESULTS.md)."""
    n = xp.shape[0]
    if n == 1:
        return fp[0]
    j = 0
    for q in range(1, n - 1):
        j = q if x >= xp[q] else j
    v = slope[j] * (x - xp[j]) + fp[j]
    v = fp[j] if x == xp[j] else v
    if v != v:  # rare (infinite slopes): numpy.interp's other end of the segment
        v = on_segment(x, xp, fp, slope, j)
    v = fp[0] if x <= xp[0] else v
    return fp[n - 1] if x >= xp[n - 1] else v


def numpy_clip(x, lo, hi):  # pragma: no cover - compiled
    """`numpy.clip` of one float as numpy computes it (lo if x < lo, then hi if x > hi, else
    x itself: numpy.clip(-0.0, 0.0, 1.0) is -0.0), signed zeros included."""
    x = lo if x < lo else x
    return hi if x > hi else x


def numpy_minimum(a, b):  # pragma: no cover - compiled
    """`numpy.minimum` of two floats as numpy computes it: a NaN in either is the result,
    and of two equal values (0.0 and -0.0) the second."""
    if a != a:
        return a
    return a if a < b else b


def numpy_maximum(a, b):  # pragma: no cover - compiled
    """`numpy.maximum` of two floats: a NaN in either is the result, else the larger (of two
    equal values the first; callers never compare 0.0 with -0.0)."""
    if a != a:
        return a
    return a if a >= b else b


def row_dot(x, y):  # pragma: no cover - compiled
    """Sum of x * y over a row in numpy's pairwise order, as `row_total` of the product:
    `(a * b).sum(axis=1)` of two C-ordered matrices, bit for bit, without the product
    matrix (tested)."""
    n = x.shape[0]
    if n < 8:
        t = 0.0
        for j in range(n):
            t += x[j] * y[j]
        return t
    r0, r1, r2, r3 = x[0] * y[0], x[1] * y[1], x[2] * y[2], x[3] * y[3]
    r4, r5, r6, r7 = x[4] * y[4], x[5] * y[5], x[6] * y[6], x[7] * y[7]
    i = 8
    while i + 8 <= n:
        r0 += x[i] * y[i]
        r1 += x[i + 1] * y[i + 1]
        r2 += x[i + 2] * y[i + 2]
        r3 += x[i + 3] * y[i + 3]
        r4 += x[i + 4] * y[i + 4]
        r5 += x[i + 5] * y[i + 5]
        r6 += x[i + 6] * y[i + 6]
        r7 += x[i + 7] * y[i + 7]
        i += 8
    t = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    while i < n:
        t += x[i] * y[i]
        i += 1
    return t


def count_at_or_below(edges, x):  # pragma: no cover - compiled
    """`numpy.searchsorted(edges, x, side="right")` for one x and ascending `edges`: how
    many edges are <= x, counted over every edge (no early exit: a branch on where x falls
    among a few edges is mispredicted for savers' ages and pay, which look random). A NaN
    x counts every edge, as numpy orders NaN last."""
    if x != x:
        return edges.shape[0]
    k = 0
    for j in range(edges.shape[0]):
        k += edges[j] <= x
    return k


row_total_n = row_helper(row_total_n)
row_total = row_helper(row_total)
row_dot = row_helper(row_dot)
add_rows_in_order = njit(cache=True, nogil=True)(add_rows_in_order)
in_order = row_helper(in_order)
on_segment = row_helper(on_segment)
interp_sloped = row_helper(interp_sloped)
interp_known = row_helper(interp_known)
numpy_clip = njit(cache=True, nogil=True)(numpy_clip)  # inlined, alt_interest ran slower (row_helper)
numpy_minimum = row_helper(numpy_minimum)
numpy_maximum = row_helper(numpy_maximum)
count_at_or_below = njit(cache=True, nogil=True)(count_at_or_below)  # inlined, alt_interest ran slower (row_helper)
