"""Imposed market paths: user-chosen monthly returns that replace the random draws.

ODD §7 Submodels, market (imposed paths). A policy team often wants to ask "what if 2008
happened in year 3?" rather than average over random markets, and validation needs the
model to reproduce known episodes. A `MarketPath` names some asset classes and gives their
monthly *true* simple returns from `start_month` on; every class it does not name, and every
month outside its window, keeps the `Market`'s own random draw (so common random numbers
still hold across variants, ODD §4.9).

Paths come from a CSV file (`load_path`) or from the two built-in stylised episodes
(`stylised`), whose numbers are documented on `stylised`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np
import numpy.typing as npt
from alt401k.base.assets import ASSET_CLASSES
from alt401k.model.errors import InputError

if TYPE_CHECKING:  # pandas is imported where a CSV is read: the command line starts faster
    import pandas as pd

StylisedName = Literal["equity-crash-2008", "crypto-winter"]


@dataclass(frozen=True)
class MarketPath:
    """Monthly true returns imposed on some asset classes from a given month.

    Parameters
    ----------
    returns
        Asset class name (one of ASSET_CLASSES) -> 1-D array of monthly simple returns,
        element k applying to run month ``start_month + k``. Arrays may differ in length;
        each is copied and made read-only.
    start_month
        First run month (0-based) the path applies to.

    Raises
    ------
    ValueError
        Unknown class, empty or non-1-D array, non-finite value, return <= -1, or a
        negative start month.
    """

    returns: dict[str, np.ndarray]
    start_month: int

    def __post_init__(self) -> None:
        if self.start_month < 0:
            raise ValueError(f"start_month must be >= 0 (got {self.start_month})")
        frozen: dict[str, np.ndarray] = {}
        for name, values in self.returns.items():
            if name not in ASSET_CLASSES:
                raise ValueError(f"unknown asset class {name!r}; allowed: {ASSET_CLASSES}")
            arr = np.array(values, dtype=float)
            _check_returns(name, arr)
            arr.flags.writeable = False
            frozen[name] = arr
        object.__setattr__(self, "returns", frozen)

    def apply(self, base: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        """Return a copy of `base` with the imposed months and classes replaced.

        Parameters
        ----------
        base
            Monthly true simple returns, shape (n_months, len(ASSET_CLASSES)), columns in
            ASSET_CLASSES order. Months past the end of the run are dropped from the path.

        Returns
        -------
        numpy.ndarray, shape (n_months, len(ASSET_CLASSES))
        """
        out = base.copy()
        for name, values in self.returns.items():
            col = ASSET_CLASSES.index(name)
            stop = min(self.start_month + len(values), out.shape[0])
            if stop > self.start_month:
                out[self.start_month : stop, col] = values[: stop - self.start_month]
        return out

    def mask(self, n_months: int) -> npt.NDArray[np.bool_]:
        """Which (month, class) cells the path imposes in a run of `n_months` months.

        Returns
        -------
        numpy.ndarray of bool, shape (n_months, len(ASSET_CLASSES))
        """
        imposed = np.zeros((n_months, len(ASSET_CLASSES)), dtype=bool)
        for name, values in self.returns.items():
            stop = min(self.start_month + len(values), n_months)
            imposed[self.start_month : stop, ASSET_CLASSES.index(name)] = True
        return imposed


def _check_returns(name: str, arr: np.ndarray) -> None:
    """Raise ValueError unless `arr` is a non-empty 1-D array of finite returns > -1."""
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"{name}: returns must be a non-empty 1-D array")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name}: returns must be finite")
    if np.any(arr <= -1.0):
        raise ValueError(f"{name}: a simple return <= -1 would wipe out the asset")


def load_path(path: str | Path, n_months: int | None = None) -> MarketPath:
    """Read an imposed market path from a CSV file.

    The file has a ``month`` column (0-based run months, consecutive, increasing) and one
    column per imposed asset class, named as in ASSET_CLASSES, holding monthly simple
    returns as fractions (-0.05 is a 5% loss). The first month listed is the path's start.

    Parameters
    ----------
    path
        The CSV file.
    n_months
        Length of the run the path is for, if known: a path starting at or after it would
        never apply, and is refused here, before the run is built, rather than by `Market`.

    Returns
    -------
    MarketPath

    Raises
    ------
    InputError
        Naming the file and the column: unreadable file, missing or non-consecutive
        ``month``, a first month at or after `n_months`, unknown class column, missing
        (NaN) value, non-numeric value, or a return <= -1.
    """
    table = _read_csv(path)
    start_month = _check_months(path, table)
    if n_months is not None and start_month >= n_months:
        raise InputError(path, "month", f"the path starts at run month {start_month}, after the run's "
                         f"last month ({n_months - 1}); months count from 0")
    returns: dict[str, np.ndarray] = {}
    for column in table.columns:
        if column == "month":
            continue
        returns[column] = _column_returns(path, table, column)
    if not returns:
        raise InputError(
            path, "", "no asset class columns; expected some of " + ", ".join(ASSET_CLASSES)
        )
    return MarketPath(returns=returns, start_month=start_month)


def _read_csv(path: str | Path) -> pd.DataFrame:
    import pandas as pd

    try:
        table = pd.read_csv(path)
    except (OSError, ValueError, pd.errors.ParserError) as err:
        raise InputError(path, "", f"cannot read CSV: {err}") from None
    table.columns = [str(c).strip() for c in table.columns]
    if table.empty:
        raise InputError(path, "", "no rows")
    return table


def _check_months(path: str | Path, table: pd.DataFrame) -> int:
    import pandas as pd

    if "month" not in table.columns:
        raise InputError(path, "month", "missing column (0-based run month)")
    months = pd.to_numeric(table["month"], errors="coerce").to_numpy(dtype=float)
    if not np.all(np.isfinite(months)) or np.any(months != np.round(months)) or months[0] < 0:
        raise InputError(path, "month", "months must be whole numbers >= 0")
    if np.any(np.diff(months) != 1):
        raise InputError(path, "month", "months must be consecutive and increasing")
    return int(months[0])


def _column_returns(path: str | Path, table: pd.DataFrame, column: str) -> np.ndarray:
    import pandas as pd

    if column not in ASSET_CLASSES:
        raise InputError(path, column, "unknown asset class; allowed: " + ", ".join(ASSET_CLASSES))
    values = pd.to_numeric(table[column], errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(values)
    if np.any(bad):
        month = table["month"].iloc[int(np.argmax(bad))]
        raise InputError(path, column, f"missing or non-numeric value at month {month}")
    if np.any(values <= -1.0):
        month = table["month"].iloc[int(np.argmax(values <= -1.0))]
        raise InputError(path, column, f"return <= -1 at month {month} (returns are fractions)")
    return values


# S&P 500 monthly total returns Nov 2007 .. Feb 2009 (peak at end-Oct 2007 to the trough
# at end-Feb 2009), approximate month-end values; the bundled monthly-average series
# (model/data/historical_returns.csv) has the same shape (sharpest in Oct 2008) and falls
# 46% over these months on averages. Only the shape is used: the log returns
# are rescaled so the fall is exactly CRASH_2008_DRAWDOWN.
_SP500_2007_2009_SHAPE = (
    -0.0418, -0.0069, -0.0600, -0.0325, -0.0043, 0.0487, 0.0130, -0.0843,
    -0.0084, 0.0145, -0.0891, -0.1679, -0.0718, 0.0106, -0.0843, -0.1065,
)  # fmt: skip
CRASH_2008_DRAWDOWN = -0.51
"""S&P 500 peak-to-trough with dividends, end-Oct 2007 to end-Feb 2009 (month-end data)."""
CRASH_2008_RECOVERY = 0.89
"""S&P 500 total return Mar 2009 .. Feb 2011 (index 735 -> 1327 plus ~2%/yr dividends)."""
CRASH_2008_BONDS_FALL = 0.08
"""US aggregate bond index total return over the 16 crash months (2008 calendar year about
+5.2%); approximate: an assumption between 10-year Treasuries (+20% over these months in
the bundled data) and corporate bonds (losses in 2008)."""
CRASH_2008_BONDS_RECOVERY = 0.12
"""US aggregate bonds over the 24 recovery months (2009 ~+5.9%, 2010 ~+6.5%); approximate."""
CRYPTO_WINTER_DRAWDOWN = -0.80
"""Between the 2017-18 (-83%) and 2021-22 (-77%) bitcoin falls."""
CRYPTO_WINTER_MONTHS = 12
CRYPTO_FLAT_MONTHS = 12


def _even(total: float, months: int) -> np.ndarray:
    """Constant monthly simple return compounding to `total` over `months` months."""
    return np.full(months, (1.0 + total) ** (1.0 / months) - 1.0)


def _crash_2008_equity() -> np.ndarray:
    log_shape = np.log1p(np.array(_SP500_2007_2009_SHAPE))
    scaled = log_shape * np.log1p(CRASH_2008_DRAWDOWN) / log_shape.sum()
    return np.concatenate([np.expm1(scaled), _even(CRASH_2008_RECOVERY, 24)])


def stylised(name: StylisedName, start_month: int) -> MarketPath:
    """A built-in historical-style episode imposed from `start_month`.

    ODD §7 Submodels, market (imposed paths); sources on the constants above.

    ``"equity-crash-2008"``: 40 months. Equity falls 51% over 16 months with the shape of
    the S&P 500 from end-Oct 2007 to end-Feb 2009 (sharpest in Sep-Nov 2008), then
    recovers +89% over 24 months (Mar 2009 - Feb 2011). Bonds earn +8% over the fall and
    +12% over the recovery (US aggregate index, approximate). Private equity is not
    imposed: its true return follows the imposed equity through its leverage, and private
    credit's default losses rise with the imposed equity fall (to about 5%/yr at the
    trough with default parameters, against a 1%/yr long-run average); so the episode
    also tests those rules.

    ``"crypto-winter"``: crypto falls 80% at a constant monthly rate over 12 months, then
    is flat for 12 months; other classes keep their random draws.

    Parameters
    ----------
    name
        Which episode.
    start_month
        First run month (0-based) of the episode.

    Returns
    -------
    MarketPath
    """
    if name == "equity-crash-2008":
        bonds = np.concatenate(
            [_even(CRASH_2008_BONDS_FALL, 16), _even(CRASH_2008_BONDS_RECOVERY, 24)]
        )
        return MarketPath({"equity": _crash_2008_equity(), "bonds": bonds}, start_month)
    if name == "crypto-winter":
        crypto = np.concatenate(
            [_even(CRYPTO_WINTER_DRAWDOWN, CRYPTO_WINTER_MONTHS), np.zeros(CRYPTO_FLAT_MONTHS)]
        )
        return MarketPath({"crypto": crypto}, start_month)
    raise ValueError(f"unknown stylised path {name!r}; allowed: equity-crash-2008, crypto-winter")
