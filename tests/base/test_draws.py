"""Tests for base/draws.py: the savers' keyed draws (ODD §4.9).

A draw is SplitMix64's output at a position given by (month, rule, draw, row): checked
against the generator's published first outputs, against a plain statement of it in
Python integers, for uniformity and independence, and for being the same number however
it is made (all rows, some rows, one saver; compiled or not).
"""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
from alt401k.base import draws
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

M64 = 2**64 - 1
GAMMA = 0x9E3779B97F4A7C15


def _splitmix(key: int, position: int) -> int:
    """SplitMix64's output number `position` (0-based) from seed `key`, in Python integers."""
    z = (key + (position + 1) * GAMMA) & M64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
    return z ^ (z >> 31)


def _float(word: int) -> float:
    return (word >> 40) * 2.0**-24


def test_the_first_outputs_are_splitmix64s_published_ones() -> None:
    # SplitMix64 seeded with 0 (Vigna's splitmix64.c): 0xe220a8397b1dcdaf, 0x6e789e6aa1b965f4,
    # 0x06c45d188009454f. Month 0, rule 0, draw 0, rows 0-2 are positions 0-2.
    published = (0xE220A8397B1DCDAF, 0x6E789E6AA1B965F4, 0x06C45D188009454F)
    assert [_splitmix(0, p) for p in range(3)] == list(published)
    out = draws.keyed_uniforms(np.uint64(0), 0, 0, np.empty((1, 3), dtype=np.float32))
    assert out[0].tolist() == [_float(w) for w in published]


@settings(max_examples=40, deadline=None)
@given(key=st.integers(0, 2**63 - 1), month=st.integers(0, 800), rule=st.integers(0, draws.N_RULES - 1),
       width=st.integers(1, 16), n=st.integers(1, 300))
def test_every_way_of_drawing_gives_the_same_numbers(key: int, month: int, rule: int, width: int, n: int) -> None:
    k = np.uint64(key)
    full = draws.keyed_uniforms(k, month, rule, np.empty((width, n), dtype=np.float32))
    rows = np.unique(np.random.default_rng(key % 1000).integers(0, n, max(1, n // 3)))
    np.testing.assert_array_equal(draws.keyed_rows(k, month, rule, width, rows), full[:, rows].T)
    j, r = width - 1, int(rows[-1])
    assert draws.keyed_uniform(k, month, rule, j, r) == full[j, r]
    assert full[j, r] == np.float32(_float(_splitmix(key, int(draws.index(month, rule, j, r)))))


def test_compiled_and_interpreted_draws_are_the_same_numbers(tmp_path) -> None:
    # Interpreted (numba's NUMBA_DISABLE_JIT), the same code runs as plain Python.
    script = ("import numpy as np; from alt401k.base import draws; "
              "o = draws.keyed_uniforms(np.uint64(987654321), 17, 2, np.empty((3, 5000), dtype=np.float32)); "
              f"np.save({str(tmp_path / 'u.npy')!r}, o)")
    env = {**os.environ, "NUMBA_DISABLE_JIT": "1"}
    subprocess.run([sys.executable, "-c", script], check=True, env=env)
    here = draws.keyed_uniforms(np.uint64(987654321), 17, 2, np.empty((3, 5000), dtype=np.float32))
    np.testing.assert_array_equal(np.load(tmp_path / "u.npy"), here)


def test_draws_are_uniform_and_independent_across_rows_rules_and_months() -> None:
    key = np.uint64(20250807)
    n = 200_000
    a = draws.keyed_uniforms(key, 3, draws.REVIEWS, np.empty((2, n), dtype=np.float32))
    b = draws.keyed_uniforms(key, 3, draws.LIFE_EVENTS, np.empty((1, n), dtype=np.float32))
    c = draws.keyed_uniforms(key, 4, draws.REVIEWS, np.empty((1, n), dtype=np.float32))
    for x in (a[0], a[1], b[0], c[0]):
        assert x.min() >= 0.0 and x.max() < 1.0
        assert stats.kstest(x, "uniform").pvalue > 1e-3
    # Correlations between draws, rules, months and neighbouring rows: 0 within 5 standard errors.
    bound = 5.0 / np.sqrt(n)
    for x, y in ((a[0], a[1]), (a[0], b[0]), (a[0], c[0]), (a[0][:-1], a[0][1:])):
        assert abs(np.corrcoef(x, y)[0, 1]) < bound


def test_a_savers_draw_does_not_depend_on_how_many_savers_or_other_draws_there_are() -> None:
    # Common random numbers: the first 100 savers' numbers are the same in a run of 100 or
    # of 10,000, and a rule drawing more numbers leaves the first ones as they were.
    key = np.uint64(7)
    small = draws.keyed_uniforms(key, 12, draws.REVIEWS, np.empty((6, 100), dtype=np.float32))
    large = draws.keyed_uniforms(key, 12, draws.REVIEWS, np.empty((8, 10_000), dtype=np.float32))
    np.testing.assert_array_equal(small, large[:6, :100])


def test_the_runs_key_comes_from_its_seed() -> None:
    assert draws.saver_key(np.random.default_rng(1)) == draws.saver_key(np.random.default_rng(1))
    assert draws.saver_key(np.random.default_rng(1)) != draws.saver_key(np.random.default_rng(2))


def test_positions_are_distinct_for_distinct_draws() -> None:
    seen = {int(draws.index(m, r, j, row)) for m in (0, 1, 359) for r in range(draws.N_RULES)
            for j in (0, 1, draws.MAX_DRAWS - 1) for row in (0, 1, 2**32 - 1)}
    assert len(seen) == 3 * draws.N_RULES * 3 * 3
