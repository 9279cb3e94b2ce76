"""Savers' monthly uniforms: numpy's numbers, made faster where numba is installed.

ODD §4.9. Every saver draw of a month comes from one PCG64 stream (`saver_rng`), drawn in
a fixed order whatever the policy (common random numbers), and the per-saver reference
engine draws the same arrays serially with numpy. With numba, numpy's PCG64 (XSL-RR
128/64) is stepped in compiled code: a float32 uniform uses 32 bits of one 64-bit output
(low half first), so float number k from an aligned position sits in output k // 2, and the
state can be jumped there in logarithmic time (numpy's `pcg_advance_lcg_128`). Arrays are
filled in parts on numba's threads, each part by four interleaved streams over its
quarters (`fill_uniforms`), and of a matrix only the kept rows are made (`kept_rows`);
jumps use a table of the 2^b-step maps. The numbers, and the stream's state afterwards (buffered half
included), are exactly numpy's (tests/model/test_draws.py). Without numba numpy draws them.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import numpy.typing as npt

from ..agents.compiled import HAVE_NUMBA, prange

if HAVE_NUMBA:
    from numba import njit

F32 = npt.NDArray[np.float32]

PLAN_LIFECYCLE_STREAM = 11
"""Index of the plan-lifecycle stream among the streams the model spawns from the run's
SeedSequence (`model.model.N_STREAMS`; ODD §4.9): which plans terminate each month and
the features, sponsors' ages and workers of the plans formed in their rows
(`model.plan_lifecycle`). A new child, so the eleven streams before it are unchanged."""


def _compiled(rng: np.random.Generator) -> bool:
    """Whether the compiled PCG64 can stand in for `rng`'s own draws."""
    return HAVE_NUMBA and isinstance(rng.bit_generator, np.random.PCG64)


def uniforms_into(rng: np.random.Generator, out: F32, threads: int) -> F32:
    """Fill `out` (float32, C-contiguous) with ``rng.random(out=out, dtype=np.float32)``'s
    numbers and leave `rng` as that call would: `fill_uniforms` on `threads` threads with
    numba, numpy itself without."""
    if _compiled(rng):
        return fill_uniforms(rng, out, threads)
    return rng.random(out=out, dtype=np.float32)


def uniform_rows(rng: np.random.Generator, n_rows: int, width: int, keep: npt.NDArray[np.intp],
                 buffer: Callable[[], F32]) -> F32:
    """Rows `keep` (ascending) of ``rng.random((n_rows, width), dtype=np.float32)``, `rng`
    left as that call would leave it.

    With numba only the kept rows are made (`kept_rows`). Without, the whole matrix is drawn
    by numpy block by block into `buffer()` (shape (block, width), kept by the caller) and
    only the kept rows are stored, sparing (n_rows x width) floats of memory."""
    if _compiled(rng):
        return kept_rows(rng, n_rows, width, keep)
    out = np.empty((keep.size, width), dtype=np.float32)
    buf = buffer()
    block = buf.shape[0]
    for start in range(0, n_rows, block):
        stop = min(start + block, n_rows)
        rng.random(out=buf[: stop - start], dtype=np.float32)
        lo, hi = np.searchsorted(keep, (start, stop))
        out[lo:hi] = buf[keep[lo:hi] - start]
    return out


# ----------------------------------------------------------------------------- kept rows only
# numpy's PCG64 (XSL-RR 128/64) stepped in numba: the 128-bit state as (high, low) uint64
# words, so that a chooser's row of uniforms can be drawn without drawing everyone's.

_M32 = np.uint64(0xFFFFFFFF)
_MULT_HI, _MULT_LO = np.uint64(2549297995355413924), np.uint64(4865540595714422341)
"""PCG_DEFAULT_MULTIPLIER_128 of numpy's pcg64.h."""


def _mulhi(x, y):  # pragma: no cover - compiled
    """High 64 bits of the 128-bit product of two uint64."""
    x0, x1, y0, y1 = x & _M32, x >> np.uint64(32), y & _M32, y >> np.uint64(32)
    p00, p01, p10, p11 = x0 * y0, x0 * y1, x1 * y0, x1 * y1
    middle = (p00 >> np.uint64(32)) + (p01 & _M32) + (p10 & _M32)
    return p11 + (p01 >> np.uint64(32)) + (p10 >> np.uint64(32)) + (middle >> np.uint64(32))


def _mul128(a_hi, a_lo, b_hi, b_lo):  # pragma: no cover - compiled
    """(a x b) mod 2^128."""
    return _mulhi(a_lo, b_lo) + a_lo * b_hi + a_hi * b_lo, a_lo * b_lo


def _add128(a_hi, a_lo, b_hi, b_lo):  # pragma: no cover - compiled
    lo = a_lo + b_lo
    return a_hi + b_hi + (np.uint64(1) if lo < a_lo else np.uint64(0)), lo


def _jump_table(inc_hi, inc_lo):  # pragma: no cover - compiled
    """The affine maps of 2^b steps, b = 0..63: row b holds (multiplier high, low,
    increment high, low), squared from one step as numpy's pcg_advance_lcg_128 squares them."""
    table = np.empty((64, 4), dtype=np.uint64)
    m_hi, m_lo, p_hi, p_lo = _MULT_HI, _MULT_LO, inc_hi, inc_lo
    for b in range(64):
        table[b, 0], table[b, 1], table[b, 2], table[b, 3] = m_hi, m_lo, p_hi, p_lo
        m1_hi, m1_lo = _add128(m_hi, m_lo, np.uint64(0), np.uint64(1))
        p_hi, p_lo = _mul128(m1_hi, m1_lo, p_hi, p_lo)
        m_hi, m_lo = _mul128(m_hi, m_lo, m_hi, m_lo)
    return table


def _jump(s_hi, s_lo, table, delta):  # pragma: no cover - compiled
    """The state `delta` steps on, by the 2^b-step maps of `table` for the bits of delta:
    numpy's pcg_advance_lcg_128's state (the maps are powers of one map, so they commute,
    and the arithmetic is exact mod 2^128). A matrix's kept rows share one table, so a
    row's jump costs a multiply a set bit instead of four a bit."""
    d = np.uint64(delta)
    b = 0
    while d > np.uint64(0):
        if d & np.uint64(1):
            t_hi, t_lo = _mul128(s_hi, s_lo, table[b, 0], table[b, 1])
            s_hi, s_lo = _add128(t_hi, t_lo, table[b, 2], table[b, 3])
        d >>= np.uint64(1)
        b += 1
    return s_hi, s_lo


def _output(s_hi, s_lo):  # pragma: no cover - compiled
    """XSL-RR output of a state."""
    v = s_hi ^ s_lo
    r = s_hi >> np.uint64(58)
    return (v >> r) | (v << ((np.uint64(64) - r) & np.uint64(63)))


def _step(s_hi, s_lo, inc_hi, inc_lo):  # pragma: no cover - compiled
    """The next state: state x multiplier + increment (mod 2^128)."""
    t_hi, t_lo = _mul128(s_hi, s_lo, _MULT_HI, _MULT_LO)
    return _add128(t_hi, t_lo, inc_hi, inc_lo)


def _put_pair(out, k, word, scale):  # pragma: no cover - compiled
    """The two float32 uniforms of one output, low half first, into out[k] and out[k + 1]."""
    out[k] = np.float32((word & _M32) >> np.uint64(8)) * scale
    out[k + 1] = np.float32((word >> np.uint64(32)) >> np.uint64(8)) * scale


def _fill_kernel(s_hi, s_lo, inc_hi, inc_lo, offset, buffered, out, n_parts):  # pragma: no cover - compiled
    """out[:] = the stream's next out.size float32 uniforms; parts of the array (even
    lengths, each from the state jumped to its start) filled on numba's threads, each part
    by four interleaved streams over its quarters (four independent state chains keep the
    multiplier busy where one waits on the last step: ~20% faster here), then its rest."""
    scale = np.float32(1.0 / 16777216.0)
    c0 = 0
    if offset == 1 and out.shape[0] > 0:
        out[0] = np.float32(buffered >> np.uint64(8)) * scale
        c0 = 1
    m = out.shape[0] - c0
    step = (m // n_parts) // 2 * 2
    table = _jump_table(inc_hi, inc_lo)
    for p in prange(n_parts):
        a0 = p * step
        a1 = m if p == n_parts - 1 else (p + 1) * step
        if a1 <= a0:
            continue
        q = ((a1 - a0) // 4) // 2 * 2  # floats a lane: even, so each lane starts on a fresh output
        w_hi, w_lo = _jump(s_hi, s_lo, table, a0 // 2 + 1)
        x_hi, x_lo = _jump(w_hi, w_lo, table, q // 2)
        y_hi, y_lo = _jump(x_hi, x_lo, table, q // 2)
        z_hi, z_lo = _jump(y_hi, y_lo, table, q // 2)
        b = c0 + a0
        for a in range(0, q, 2):
            _put_pair(out, b + a, _output(w_hi, w_lo), scale)
            _put_pair(out, b + q + a, _output(x_hi, x_lo), scale)
            _put_pair(out, b + 2 * q + a, _output(y_hi, y_lo), scale)
            _put_pair(out, b + 3 * q + a, _output(z_hi, z_lo), scale)
            w_hi, w_lo = _step(w_hi, w_lo, inc_hi, inc_lo)
            x_hi, x_lo = _step(x_hi, x_lo, inc_hi, inc_lo)
            y_hi, y_lo = _step(y_hi, y_lo, inc_hi, inc_lo)
            z_hi, z_lo = _step(z_hi, z_lo, inc_hi, inc_lo)
        # The rest of the part (fewer than 8 floats, or all of a part shorter than 8)
        # follows the fourth lane's last output.
        t_hi, t_lo = (z_hi, z_lo) if q > 0 else (w_hi, w_lo)
        a = a0 + 4 * q
        while a < a1:
            word = _output(t_hi, t_lo)
            out[c0 + a] = np.float32((word & _M32) >> np.uint64(8)) * scale
            if a + 1 < a1:
                out[c0 + a + 1] = np.float32((word >> np.uint64(32)) >> np.uint64(8)) * scale
            a += 2
            t_hi, t_lo = _step(t_hi, t_lo, inc_hi, inc_lo)


def _rows_kernel(s_hi, s_lo, inc_hi, inc_lo, offset, buffered, rows, width, out):  # pragma: no cover - compiled
    """Row rows[r] of the (n_rows x width) float32 matrix into out[r]; float k of the matrix is
    the buffered half for k < offset, else half of output (k - offset) // 2 + 1 after the state."""
    scale = np.float32(1.0 / 16777216.0)
    table = _jump_table(inc_hi, inc_lo)
    for r in prange(rows.shape[0]):
        k = rows[r] * width
        c = 0
        if k < offset:  # only row 0 of a stream holding a buffered half
            out[r, 0] = np.float32(buffered >> np.uint64(8)) * scale
            c = 1
        a = k + c - offset  # aligned index of the next float
        t_hi, t_lo = _jump(s_hi, s_lo, table, a // 2 + 1)
        word = _output(t_hi, t_lo)
        high = a % 2 == 1
        while c < width:
            half = (word >> np.uint64(32)) if high else (word & _M32)
            out[r, c] = np.float32(half >> np.uint64(8)) * scale
            c += 1
            if high and c < width:
                t_hi, t_lo = _step(t_hi, t_lo, inc_hi, inc_lo)
                word = _output(t_hi, t_lo)
            high = not high


if HAVE_NUMBA:
    _mulhi, _mul128, _add128, _jump_table, _jump, _output, _step, _put_pair = (
        njit(cache=True, nogil=True)(f) for f in (_mulhi, _mul128, _add128, _jump_table, _jump, _output, _step,
                                                  _put_pair))
    _rows_kernel = njit(cache=True, nogil=True, parallel=True)(_rows_kernel)
    _fill_kernel = njit(cache=True, nogil=True, parallel=True)(_fill_kernel)


def _words(rng: np.random.Generator) -> tuple[dict, tuple[np.uint64, ...], int, np.uint64]:
    """The stream's state: numpy's dict, (state high, low, increment high, low) as uint64,
    whether a half output is buffered (0 or 1), and that half."""
    state = rng.bit_generator.state
    s, inc, mask = state["state"]["state"], state["state"]["inc"], (1 << 64) - 1
    words = (np.uint64(s >> 64), np.uint64(s & mask), np.uint64(inc >> 64), np.uint64(inc & mask))
    return state, words, int(state["has_uint32"]), np.uint64(state["uinteger"])


def _leave_after(rng: np.random.Generator, state: dict, n_floats: int) -> None:
    """Put `rng` where drawing `n_floats` float32 from `state` leaves it, buffered half
    included: numpy jumps to the last one or two and draws them itself."""
    aligned = n_floats - int(state["has_uint32"])  # floats drawn from fresh outputs
    if n_floats == 0:
        rng.bit_generator.state = state
    elif aligned > 0:
        tail = 2 - aligned % 2
        rng.bit_generator.state = {**state, "has_uint32": 0, "uinteger": 0}
        rng.bit_generator.advance((aligned - tail) // 2)
        rng.random(tail, dtype=np.float32)
    else:  # only the buffered half was drawn
        rng.bit_generator.state = {**state, "has_uint32": 0}


def fill_uniforms(rng: np.random.Generator, out: F32, threads: int) -> F32:
    """``rng.random(out=out, dtype=np.float32)``'s numbers, made by the compiled PCG64 on
    `threads` threads (numpy's own fill is about twice as slow here), `rng` left as
    that call would leave it. Needs numba and a PCG64 stream (tested exactly against numpy)."""
    flat = out.reshape(-1)
    state, words, offset, buffered = _words(rng)
    _fill_kernel(*words, offset, buffered, flat, max(1, threads))
    _leave_after(rng, state, flat.size)
    return out


def kept_rows(rng: np.random.Generator, n_rows: int, width: int, keep: npt.NDArray[np.intp]) -> F32:
    """Rows `keep` of ``rng.random((n_rows, width), dtype=np.float32)``, drawing only them.

    The compiled PCG64 steps jump to each kept row (`PCG64.advance`'s algorithm, O(log n)
    a row), so the cost is the kept rows', not the matrix's; the stream is then left exactly
    as the full draw would leave it, buffered half included (numpy draws the matrix's last
    one or two numbers to set it). Needs numba and a PCG64 stream (`uniform_rows` chooses).
    """
    state, words, offset, buffered = _words(rng)
    out = np.empty((keep.size, width), dtype=np.float32)
    if keep.size:
        _rows_kernel(*words, offset, buffered, np.ascontiguousarray(keep, dtype=np.int64), width, out)
    _leave_after(rng, state, n_rows * width)
    return out
