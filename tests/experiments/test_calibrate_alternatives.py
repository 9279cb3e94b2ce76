"""The alternatives-adoption fit (experiments/calibrate.py, `--problem alternatives`): the
moment it solves for moves the right way, and the 2024 experiment starts where it says."""

from __future__ import annotations

import numpy as np
from alt401k.experiments.calibrate import ALT_TARGET, alt_moments
from alt401k.experiments.validation import load_targets


def test_the_2024_target_is_in_sample_and_the_one_the_fit_uses() -> None:
    name, value = ALT_TARGET
    target = next(t for t in load_targets() if t.name == name)
    assert target.fitted and target.lo < value < target.hi


def test_the_2024_share_rises_with_the_intercept() -> None:
    # Common random numbers: the same replications at a low and a high intercept. A higher
    # status-quo pull lets more plans add an alternative in 2024 (Brent's method needs the
    # moment to be increasing); a very low one leaves the share near 2023's 2.2%, less drops.
    low, high = alt_moments(-8.0, replications=2), alt_moments(0.0, replications=2)
    assert np.all(high > low)
    assert np.all(low <= 0.022 + 0.002)
