"""Outcome metrics for comparisons and figures: paired differences, intervals, present values.

ODD §4.11 and §4.9. Small numerical functions with known-answer tests (in the QuantEcon
manner; tests/experiments/test_metrics.py). Every comparison of a regulatory variant with the
baseline is *paired*: replication k of both runs shares its random draws (common random
numbers, `SeedSequence(master_seed, spawn_key=(k,))`), so the difference of replication k
removes the market noise the two runs share, and the spread over replications measures
what is left.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ..model.weighted import weighted_quantiles

F64 = npt.NDArray[np.float64]

INTERVAL_METHOD = "t"
"""How intervals are computed by default: a Student-t interval for the mean over
replications (see `interval`)."""
INTERVAL_LEVEL = 0.90
PRECISE_HALF_WIDTH = 0.25
"""A difference is read as precise when its interval's half-width is at most this share
of its size (issue #26: a 90% interval under a quarter of the difference)."""
DISCOUNT_RATE_ANNUAL = 0.03
"""Default discount rate for present values: 3% a year (nominal), about the long-run
10-year Treasury yield, applied monthly as (1 + r)^(-month / 12)."""


@dataclass(frozen=True)
class Interval:
    """Mean of a sample with a two-sided interval; `n` observations."""

    mean: float
    low: float
    high: float
    n: int

    @property
    def includes_zero(self) -> bool:
        """True when the interval contains 0 (or is undefined)."""
        if not (np.isfinite(self.low) and np.isfinite(self.high)):
            return True
        return bool(self.low <= 0.0 <= self.high)

    @property
    def verdict(self) -> str:
        """How far a paired difference can be read (ODD §4.11; issue #26's precision rule):
        "indistinguishable from zero" when the interval contains 0 (or is undefined),
        "precise" when its half-width is at most `PRECISE_HALF_WIDTH` of the mean's size,
        else "imprecise" (the sign is known, the size only roughly).

        Examples
        --------
        >>> Interval(1.0, -0.5, 2.5, 5).verdict, Interval(1.0, 0.8, 1.2, 5).verdict
        ('indistinguishable from zero', 'precise')
        >>> Interval(-1.0, -1.5, -0.5, 5).verdict
        'imprecise'
        """
        if self.includes_zero:
            return "indistinguishable from zero"
        half = (self.high - self.low) / 2.0
        return "precise" if half <= PRECISE_HALF_WIDTH * abs(self.mean) else "imprecise"


def paired_differences(variant: npt.ArrayLike, baseline: npt.ArrayLike) -> F64:
    """Variant minus baseline, replication by replication.

    Parameters
    ----------
    variant, baseline
        Array-like, shape (R,): one outcome per replication, in replication order
        (replication k of both shares its random draws).

    Returns
    -------
    numpy.ndarray, shape (R,)
        ``variant[k] - baseline[k]``.

    Examples
    --------
    >>> paired_differences([3.0, 5.0], [1.0, 1.5]).tolist()
    [2.0, 3.5]
    """
    v = np.asarray(variant, dtype=float)
    b = np.asarray(baseline, dtype=float)
    if v.shape != b.shape:
        raise ValueError(f"paired samples differ in shape: {v.shape} vs {b.shape}")
    return v - b


def interval(x: npt.ArrayLike, level: float = INTERVAL_LEVEL, method: str = INTERVAL_METHOD) -> Interval:
    """Mean of `x` with a two-sided interval at `level`.

    ``method="t"``: the Student-t confidence interval for the mean,
    :math:`\\bar x \\pm t_{(1+\\ell)/2,\\,R-1}\\, s / \\sqrt{R}` (s the sample standard
    deviation with R - 1 degrees of freedom); undefined (NaN) for fewer than two values.
    ``method="percentile"``: the empirical ((1-level)/2, (1+level)/2) quantiles of `x`
    (linear interpolation), i.e. the spread over replications, not the uncertainty of the mean.
    NaN values are dropped.

    Parameters
    ----------
    x
        Array-like, shape (R,): one value per replication.
    level
        Coverage, in (0, 1).
    method
        "t" or "percentile".

    Examples
    --------
    >>> iv = interval([1.0, 2.0, 3.0], method="percentile")
    >>> round(iv.low, 2), iv.mean, round(iv.high, 2)
    (1.1, 2.0, 2.9)
    """
    from scipy import stats

    arr = np.asarray(x, dtype=float)
    arr = arr[np.isfinite(arr)]
    n = int(arr.size)
    if n == 0:
        return Interval(float("nan"), float("nan"), float("nan"), 0)
    mean = float(arr.mean())
    if method == "percentile":
        lo, hi = np.quantile(arr, [(1 - level) / 2, (1 + level) / 2])
        return Interval(mean, float(lo), float(hi), n)
    if method != "t":
        raise ValueError(f"unknown interval method {method!r}; use 't' or 'percentile'")
    if n < 2:
        return Interval(mean, float("nan"), float("nan"), n)
    half = float(stats.t.ppf((1 + level) / 2, n - 1) * arr.std(ddof=1) / np.sqrt(n))
    return Interval(mean, mean - half, mean + half, n)


def discount_factors(months: npt.ArrayLike, rate_annual: float = DISCOUNT_RATE_ANNUAL) -> F64:
    """Discount factors ``(1 + rate_annual) ** (-month / 12)`` for months after the start.

    Examples
    --------
    >>> discount_factors([0, 12], 0.05).round(6).tolist()
    [1.0, 0.952381]
    """
    m = np.asarray(months, dtype=float)
    return (1.0 + rate_annual) ** (-m / 12.0)


def present_value(flows: npt.ArrayLike, months: npt.ArrayLike,
                  rate_annual: float = DISCOUNT_RATE_ANNUAL) -> float:
    """Present value at month 0 of flows paid at the end of the given months.

    Parameters
    ----------
    flows
        Array-like, shape (T,): amount paid in each month (e.g. USD of fees).
    months
        Array-like, shape (T,): the month (counted from the run start) of each flow.
    rate_annual
        Annual discount rate, a fraction.

    Examples
    --------
    A level $100 a year for two years at 10%: 100/1.1 + 100/1.21.

    >>> round(present_value([100.0, 100.0], [12, 24], 0.10), 4)
    173.5537
    """
    return float(np.sum(np.asarray(flows, dtype=float) * discount_factors(months, rate_annual)))


def weighted_quantile(x: npt.ArrayLike, weights: npt.ArrayLike, q: float) -> float:
    """The `q` quantile of `x` with sampling weights: the smallest x whose cumulative
    weight reaches q times the total (the lower inverse of the weighted CDF): the model's
    one definition, `model.weighted.weighted_quantiles`, as the horizon tables use it.

    Parameters
    ----------
    x
        Array-like, shape (n,): values.
    weights
        Array-like, shape (n,): non-negative weights (e.g. people represented).
    q
        Quantile in [0, 1].

    Returns
    -------
    float
        NaN for an empty sample.

    Examples
    --------
    >>> weighted_quantile([1.0, 2.0, 3.0], [1.0, 1.0, 2.0], 0.5)
    2.0
    """
    xs = np.asarray(x, dtype=float)
    w = np.asarray(weights, dtype=float)
    if xs.size == 0:
        return float("nan")
    if not 0.0 <= q <= 1.0:
        raise ValueError(f"q must be in [0, 1] (got {q})")
    return float(weighted_quantiles(xs, w, (q,))[0])


def cumulative(flows: npt.ArrayLike) -> F64:
    """Running total of monthly flows (shape (T,) -> (T,)).

    Examples
    --------
    >>> cumulative([1.0, 2.0, -0.5]).tolist()
    [1.0, 3.0, 2.5]
    """
    return np.cumsum(np.asarray(flows, dtype=float))


def round_sig(x: npt.ArrayLike, digits: int = 6) -> F64:
    """Round to `digits` significant digits (NaN and inf unchanged).

    Used for the committed figure CSVs so that last-bit floating-point differences do not
    change their bytes.

    Examples
    --------
    >>> round_sig([123456789.0, 0.000123456789, 0.0]).tolist()
    [123457000.0, 0.000123457, 0.0]
    """
    arr = np.asarray(x, dtype=float)
    out = arr.copy()
    ok = np.isfinite(arr) & (arr != 0)
    mag = np.floor(np.log10(np.abs(arr[ok])))
    scale = 10.0 ** (digits - 1 - mag)
    out[ok] = np.round(arr[ok] * scale) / scale
    return out


__all__ = ["DISCOUNT_RATE_ANNUAL", "INTERVAL_LEVEL", "INTERVAL_METHOD", "Interval", "cumulative",
           "discount_factors", "interval", "paired_differences", "present_value", "round_sig",
           "weighted_quantile"]
