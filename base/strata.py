"""Plan-size classes and the glide path, shared by sponsors, savers and reporters.

ODD §2. The size classes follow EBRI's "Workplace Retirement Plans: By the Numbers" (2020
Form 5500 data), the table the t0 calibration is weighted to.
"""

from __future__ import annotations

from typing import Final

import numpy as np
import numpy.typing as npt

SIZE_CLASSES: Final[tuple[str, ...]] = ("lt100", "100to999", "1000to9999", "10000plus")
"""Plan-size classes by active participants: <100, 100-999, 1,000-9,999, 10,000+."""

SIZE_CLASS_BOUNDS: Final[tuple[tuple[int, int], ...]] = (
    (2, 99),
    (100, 999),
    (1_000, 9_999),
    (10_000, 400_000),
)
"""Participant ranges of each class; 400,000 is about the largest U.S. 401(k) plan."""

AGE_GROUPS: Final[tuple[str, ...]] = ("under35", "35to44", "45to54", "55to64", "65plus")
AGE_GROUP_EDGES: Final[npt.NDArray[np.float64]] = np.array([35.0, 45.0, 55.0, 65.0])


def age_group(age_years: npt.NDArray[np.floating]) -> npt.NDArray[np.intp]:
    """Index into AGE_GROUPS for each age."""
    return np.searchsorted(AGE_GROUP_EDGES, age_years, side="right")


VINTAGES: Final[tuple[str, ...]] = tuple(str(y) for y in range(2025, 2075, 5))
"""Target-date vintages (the year a fund's holders turn 65, on a five-year grid), the
default-fund groups of the liquidity record (ODD §7.11); the first and last also hold
everyone earlier and later."""


def vintage(age_years: npt.NDArray[np.floating], year: int) -> npt.NDArray[np.intp]:
    """Index into VINTAGES of each saver's target-date vintage in calendar `year`: the year
    it turns 65, rounded to the nearest five, as target-date series are sold (a fund
    named for the year its holders expect to retire, in five-year steps)."""
    retire = year + 65.0 - np.asarray(age_years, dtype=np.float64)
    step = np.rint((retire - float(VINTAGES[0])) / 5.0)
    return np.clip(step, 0, len(VINTAGES) - 1).astype(np.intp)


GLIDE_EQUITY: Final[tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]] = (
    np.array([40.0, 65.0, 72.0]), np.array([0.90, 0.50, 0.30])
)
"""Knots (age, equity weight) of the glide path, linear between them and flat outside."""
GLIDE_CASH: Final[tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]] = (
    np.array([60.0, 65.0]), np.array([0.0, 0.05])
)
"""Knots (age, cash weight) of the glide path; bonds are the rest."""


def glide_path(age_years: npt.NDArray[np.floating]) -> npt.NDArray[np.float64]:
    """Equity, bond and cash weights of a plain target-date fund by the holder's age.

    ODD §7, default fund. A stylised industry glide path: 90% equity to age 40, falling
    linearly to 50% at 65 and 30% at 72; cash rises from 0 at 60 to 5% at 65
    (calibration: `glide_path` in docs/calibration.md, after Vanguard Target Retirement).

    Returns
    -------
    numpy.ndarray, shape (n, 3)
        Columns equity, bonds, cash; rows sum to 1.
    """
    age = np.asarray(age_years, dtype=np.float64)
    equity = np.interp(age, *GLIDE_EQUITY)
    cash = np.interp(age, *GLIDE_CASH)
    bonds = 1.0 - equity - cash
    return np.stack([equity, bonds, cash], axis=1)

