"""Tests for model/draws.py: the saver uniforms are numpy's numbers however they are made.

Common random numbers and the per-saver reference engine (which draws with numpy) depend on
the saver stream giving the same numbers, and being left in the same state, whether numba
made them on several threads, jumped to the kept rows only, or numpy drew them block by
block; so every comparison here is exact.
"""

from __future__ import annotations

import numpy as np
import pytest
from alt401k.agents.compiled import HAVE_NUMBA
from alt401k.model import draws
from hypothesis import given, settings
from hypothesis import strategies as st


def _state(rng: np.random.Generator) -> dict:
    return rng.bit_generator.state


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32), n_rows=st.integers(1, 900), width=st.sampled_from([2, 15, 16]),
       block=st.sampled_from([4, 64, 100]), share=st.floats(0.0, 1.0))
def test_block_draw_keeps_the_rows_of_the_serial_matrix(seed: int, n_rows: int, width: int, block: int,
                                                        share: float) -> None:
    # Without numba the matrix is drawn block by block and only the kept rows are stored.
    serial, blocked = np.random.default_rng(seed), np.random.default_rng(seed)
    matrix = serial.random((n_rows, width), dtype=np.float32)
    keep = np.flatnonzero(np.random.default_rng(seed + 1).random(n_rows) < share)
    buf = np.empty((block, width), dtype=np.float32)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(draws, "HAVE_NUMBA", False)
        got = draws.uniform_rows(blocked, n_rows, width, keep, lambda: buf)
    np.testing.assert_array_equal(got, matrix[keep])
    assert _state(blocked) == _state(serial)


@pytest.mark.skipif(not HAVE_NUMBA, reason="the jump to kept rows is compiled")
@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32), lead=st.integers(0, 3), n_rows=st.integers(1, 900),
       width=st.sampled_from([1, 2, 15, 16]), share=st.floats(0.0, 1.0))
def test_kept_rows_are_the_serial_matrix_rows_and_leave_the_same_stream(seed: int, lead: int, n_rows: int,
                                                                         width: int, share: float) -> None:
    # Drawing only the kept rows (PCG64 stepped in numba) must give the serial matrix's rows
    # and leave the stream, buffered half included, where the full draw leaves it.
    serial, jumped = np.random.default_rng(seed), np.random.default_rng(seed)
    serial.random(lead, dtype=np.float32)
    jumped.random(lead, dtype=np.float32)
    matrix = serial.random((n_rows, width), dtype=np.float32)
    keep = np.flatnonzero(np.random.default_rng(seed + 1).random(n_rows) < share)
    np.testing.assert_array_equal(draws.kept_rows(jumped, n_rows, width, keep), matrix[keep])
    assert _state(jumped) == _state(serial)
    np.testing.assert_array_equal(jumped.random(3, dtype=np.float32), serial.random(3, dtype=np.float32))


@pytest.mark.skipif(not HAVE_NUMBA, reason="the jump to kept rows is compiled")
def test_kept_rows_far_into_a_large_matrix() -> None:
    # Rows millions of numbers in (the model's n x 15 matrix at 1M savers), where a wrong
    # 128-bit carry would show.
    serial, jumped = np.random.default_rng(99), np.random.default_rng(99)
    n_rows, width = 1_000_000, 15
    keep = np.array([0, 1, 77_777, 499_999, 999_998, 999_999])
    matrix = serial.random((n_rows, width), dtype=np.float32)
    np.testing.assert_array_equal(draws.kept_rows(jumped, n_rows, width, keep), matrix[keep])
    assert _state(jumped) == _state(serial)


@pytest.mark.skipif(not HAVE_NUMBA, reason="the compiled fill needs numba")
@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32), lead=st.integers(0, 3), n=st.integers(0, 3_000), threads=st.integers(1, 5))
def test_compiled_fill_equals_numpys(seed: int, lead: int, n: int, threads: int) -> None:
    # Any length (odd, even, empty), after a buffered half (odd `lead`) or not, any number
    # of parts, a 2-D array as the model's (k, n) draws.
    serial, compiled = np.random.default_rng(seed), np.random.default_rng(seed)
    serial.random(lead, dtype=np.float32)
    compiled.random(lead, dtype=np.float32)
    expected = serial.random((2, n), dtype=np.float32)
    got = draws.uniforms_into(compiled, np.empty((2, n), dtype=np.float32), threads)
    np.testing.assert_array_equal(got, expected)
    assert _state(compiled) == _state(serial)
    np.testing.assert_array_equal(compiled.random(3, dtype=np.float32), serial.random(3, dtype=np.float32))
