"""Savers' monthly uniforms, keyed on (saver, month, rule): counter-based draws.

ODD §4.9. A saver's uniform for draw j of a rule in a month is a function of the run's key
and of (row, month, rule, j) alone, not of a stream's position: the SplitMix64 output
(Steele, Lea and Flood 2014, "Fast splittable pseudorandom number generators", OOPSLA;
the generator of Java's `SplittableRandom`, which passes BigCrush) at the position
`index(month, rule, j, row)` of the sequence seeded with the run's key, its top 24 bits
as a float32 in [0, 1). So a saver meets the same number under every scenario whatever the
other savers do or how many draws other rules make (common random numbers), any subset of
rows can be drawn without drawing the rest (a chooser's option draws), and the per-saver
reference engine computes its own (`keyed_uniform`). Compiled with numba, on
one core; the same integer arithmetic in numpy without it, so the same numbers.

The other streams (hires, deaths, loans, sponsors, market) stay numpy PCG64 generators
spawned from the run's seed (`model.model`).
"""

from __future__ import annotations

from typing import Final

import numpy as np
import numpy.typing as npt

from .compiled import njit

F32 = npt.NDArray[np.float32]

REVIEWS, OPTIONS, LIFE_EVENTS = 0, 1, 2
"""Rules that draw saver uniforms every month: reviews (6 draws a saver), choosers' option
draws (one a menu option) and life events (3)."""
N_RULES: Final[int] = 4
"""Room for rules in the index (one spare)."""
MAX_DRAWS: Final[int] = 32
"""Most draws a rule makes per saver and month."""
ROW_BITS: Final[int] = 32
"""Rows below 2^32: an index is ((month x N_RULES + rule) x MAX_DRAWS + j) x 2^32 + row."""

PLAN_LIFECYCLE_STREAM = 12
"""Index of the plan-lifecycle stream among the streams the model spawns from the run's
SeedSequence (`model.model.N_STREAMS`; ODD §4.9): which plans terminate each month and
the features, sponsors' ages and workers of the plans formed in their rows
(`model.plan_lifecycle`). A new child, so the twelve streams before it are unchanged."""

MENUS_STREAM = 13
"""Index of the menus stream (ODD §4.9): each plan's core funds at t0 and those of every plan
formed later (`agents.sponsors.draw_core_menus`). A new child, so the streams before it
are unchanged."""

DEFAULT_KINDS_STREAM = 14
"""Index of the stream that draws the kind of each plan's default fund from the record of
the start date, and of plans formed while no kind is sanctioned (ODD §5.1, §4.9). The last
child, so the streams before it are unchanged."""


_GAMMA = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
"""SplitMix64's increment (the golden ratio's 64-bit fraction) and its two mixing
multipliers (Stafford's Mix13, as in Steele, Lea and Flood 2014 and Vigna's splitmix64.c)."""
_S30, _S27, _S31, _S40 = np.uint64(30), np.uint64(27), np.uint64(31), np.uint64(40)
_TO_UNIT = np.float32(2.0**-24)


def index(month: int, rule: int, j: int, row: int | npt.NDArray[np.integer]) -> np.uint64 | npt.NDArray[np.uint64]:
    """Position of draw j of `rule` for `row` in `month` in the keyed sequence (distinct for
    every (month, rule, j, row) with row < 2^32, j < MAX_DRAWS, rule < N_RULES)."""
    high = np.uint64(((month * N_RULES + rule) * MAX_DRAWS + j) << ROW_BITS)
    return high + np.asarray(row, dtype=np.uint64)


def _mix(z):  # pragma: no cover - compiled
    """SplitMix64's output function (works on numpy uint64 scalars and arrays, and compiled)."""
    z = (z ^ (z >> _S30)) * _MIX1
    z = (z ^ (z >> _S27)) * _MIX2
    return z ^ (z >> _S31)


def _fill(key, first, out):  # pragma: no cover - compiled
    """out[j, i] = uniform at position first[j] + i (one rule's draws for rows 0..n-1)."""
    n = out.shape[1]
    for j in range(out.shape[0]):
        base = key + (first[j] + np.uint64(1)) * _GAMMA
        for i in range(n):
            z = _mix_k(base + np.uint64(i) * _GAMMA)
            out[j, i] = np.float32(np.int64(z >> _S40)) * _TO_UNIT


def _fill_rows(key, first, rows, out):  # pragma: no cover - compiled
    """out[r, j] = uniform at position first[j] + rows[r]."""
    for r in range(rows.shape[0]):
        row = np.uint64(rows[r])
        for j in range(out.shape[1]):
            z = _mix_k(key + (first[j] + row + np.uint64(1)) * _GAMMA)
            out[r, j] = np.float32(np.int64(z >> _S40)) * _TO_UNIT


_mix_k = njit(cache=True, nogil=True, inline="always")(_mix)
"""The mixing function as the compiled fills call it (inlined into them)."""
# Serial: the fill costs ~1.5 ns a number on one core, less than numba's threads cost to
# start on this 2-core machine (6 x 1M numbers: 9 ms serial, 65 ms with parallel=True).
_fill = njit(cache=True, nogil=True)(_fill)
_fill_rows = njit(cache=True, nogil=True)(_fill_rows)


def _firsts(month: int, rule: int, width: int) -> npt.NDArray[np.uint64]:
    return np.array([index(month, rule, j, 0) for j in range(width)], dtype=np.uint64)


def keyed_uniforms(key: np.uint64, month: int, rule: int, out: F32) -> F32:
    """Fill `out` (float32, shape (width, n)) with the draws j = 0..width-1 of `rule` for
    rows 0..n-1 in `month`."""
    width = out.shape[0]
    first = _firsts(month, rule, width)
    with np.errstate(over="ignore"):  # the wrap-around is the hash's (interpreted mode)
        _fill(np.uint64(key), first, out)
    return out


def keyed_rows(key: np.uint64, month: int, rule: int, width: int, rows: npt.NDArray[np.intp]) -> F32:
    """Draws j = 0..width-1 of `rule` in `month` for `rows` only, shape (len(rows), width):
    the same numbers as those rows of `keyed_uniforms(...)` transposed."""
    first = _firsts(month, rule, width)
    out = np.empty((rows.size, width), dtype=np.float32)
    if rows.size == 0:
        return out
    with np.errstate(over="ignore"):  # the wrap-around is the hash's (interpreted mode)
        _fill_rows(np.uint64(key), first, np.ascontiguousarray(rows, dtype=np.int64), out)
    return out


def keyed_uniform(key: np.uint64, month: int, rule: int, j: int, row: int) -> float:
    """One saver's draw j of `rule` in `month` (the per-saver engine's; the same number)."""
    with np.errstate(over="ignore"):
        z = _mix(np.uint64(key) + (index(month, rule, j, row) + np.uint64(1)) * _GAMMA)
    return float(np.float32(z >> _S40) * _TO_UNIT)


def saver_key(rng: np.random.Generator) -> np.uint64:
    """The run's key for the savers' keyed draws, from its saver stream (ODD §4.9)."""
    return np.uint64(rng.integers(0, 2**63, dtype=np.int64))
