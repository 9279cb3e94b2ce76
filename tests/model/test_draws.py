"""Tests for model/draws.py: uniforms drawn on several threads are the serial draw's numbers.

Common random numbers and the per-saver reference engine (which draws serially) depend on
the saver stream giving the same numbers, and being left in the same state, however many
threads drew them; so every comparison here is exact.
"""

from __future__ import annotations

import numpy as np
import pytest
from alt401k.agents.kernels import HAVE_NUMBA
from alt401k.model import draws
from hypothesis import given, settings
from hypothesis import strategies as st


@pytest.fixture(autouse=True)
def small_threshold(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(draws, "MIN_PARALLEL_FLOATS", 8)


def _state(rng: np.random.Generator) -> dict:
    return rng.bit_generator.state


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32), lead=st.integers(0, 3), n=st.integers(1, 5_000), threads=st.integers(1, 4),
       compiled=st.booleans())
def test_uniforms_into_equal_the_serial_draw(seed: int, lead: int, n: int, threads: int, compiled: bool) -> None:
    # `lead` draws first, so the stream may start with a buffered half output (odd lead).
    # Without numba the array is split among threads filling from numpy copies of the stream.
    serial, split = np.random.default_rng(seed), np.random.default_rng(seed)
    serial.random(lead, dtype=np.float32)
    split.random(lead, dtype=np.float32)
    expected = serial.random((3, n), dtype=np.float32)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(draws, "HAVE_NUMBA", draws.HAVE_NUMBA and compiled)
        got = draws.uniforms_into(split, np.empty((3, n), dtype=np.float32), threads)
    np.testing.assert_array_equal(got, expected)
    assert _state(split) == _state(serial)
    np.testing.assert_array_equal(split.random(5, dtype=np.float32), serial.random(5, dtype=np.float32))


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32), n_rows=st.integers(1, 900), width=st.sampled_from([2, 15, 16]),
       block=st.sampled_from([4, 64, 100]), threads=st.integers(1, 3), share=st.floats(0.0, 1.0))
def test_uniform_rows_are_the_kept_rows_of_the_serial_matrix(seed: int, n_rows: int, width: int, block: int,
                                                             threads: int, share: float) -> None:
    serial, split = np.random.default_rng(seed), np.random.default_rng(seed)
    matrix = serial.random((n_rows, width), dtype=np.float32)
    keep = np.flatnonzero(np.random.default_rng(seed + 1).random(n_rows) < share)
    buffers: dict[int, np.ndarray] = {}

    def buffer(i: int) -> np.ndarray:
        return buffers.setdefault(i, np.empty((block, width), dtype=np.float32))

    got = draws.uniform_rows(split, n_rows, width, keep, threads, buffer, block=block)
    np.testing.assert_array_equal(got, matrix[keep])
    assert _state(split) == _state(serial)


def test_the_split_really_uses_several_streams() -> None:
    # Guard against a change that silently falls back to one thread: with a large enough
    # array two copies are made, and their parts join up without a gap or overlap.
    rng = np.random.default_rng(3)
    copies = draws._copies_at(rng, [0, 10])
    first = copies[0].random(12, dtype=np.float32)
    second = copies[1].random(2, dtype=np.float32)
    np.testing.assert_array_equal(first[10:], second)


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
    # Any length (odd, even, empty), after a buffered half or not, any number of parts.
    serial, compiled = np.random.default_rng(seed), np.random.default_rng(seed)
    serial.random(lead, dtype=np.float32)
    compiled.random(lead, dtype=np.float32)
    expected = serial.random(n, dtype=np.float32)
    np.testing.assert_array_equal(draws.fill_uniforms(compiled, np.empty(n, dtype=np.float32), threads), expected)
    assert _state(compiled) == _state(serial)
    np.testing.assert_array_equal(compiled.random(3, dtype=np.float32), serial.random(3, dtype=np.float32))
