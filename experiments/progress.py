"""Progress for long commands: a bar on a terminal, silence in pipes, logs and CI.

Every command that can take more than a few seconds says up front, in one line on standard
error, what it will do and roughly how long (`plan`, `run_seconds`, `duration`), then shows a tqdm bar (phase, steps
done, rate, ETA) while it works (`bar`). The bar is drawn only when standard error is a
terminal, so redirected output and CI logs stay free of carriage-return noise; the plan line
is printed either way, so a log still says what was started.
"""

from __future__ import annotations

import sys
from typing import Any, TextIO


def is_terminal(stream: TextIO | None = None) -> bool:
    """Whether `stream` (default: standard error) is an interactive terminal."""
    stream = sys.stderr if stream is None else stream
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # replaced by an object without isatty, or closed
        return False


def bar(total: int, desc: str, unit: str, *, initial: int = 0, enabled: bool = True) -> Any:
    """A tqdm progress bar on standard error, disabled unless it is a terminal.

    Parameters
    ----------
    total
        Steps in all (months, runs, replications...).
    desc
        The phase shown before the bar, e.g. ``"months"`` or ``"sweep runs"``.
    unit
        Name of one step, for the rate (``"month"`` gives ``month/s``).
    initial
        Steps already done (a resumed sweep).
    enabled
        False turns the bar off whatever the stream (a caller's own ``progress=False``).

    Returns
    -------
    tqdm.tqdm
        Use as a context manager, or call ``close()``; ``update(n)`` after each step, and
        ``write(text)`` to print a line without breaking the bar.
    """
    from tqdm import tqdm

    return tqdm(total=total, initial=initial, desc=desc, unit=unit, file=sys.stderr,
                disable=not (enabled and is_terminal()), dynamic_ncols=True, leave=False)


def plan(text: str) -> None:
    """Print the one-line plan of a long command on standard error (always)."""
    print(text, file=sys.stderr, flush=True)


# Rough speed of one model run on the 2-core test machine with the passes compiled: start-up,
# then a fixed cost per month (sponsors, managers, observation) plus savers and plans at these
# rates (the default run, 100k savers and 1,200 plans over 360 months, took 16 s plus 3 s of
# start-up; 2,000 savers over 24 months about 2 s plus start-up). Only for plan lines; the
# bar shows the real rate and ETA.
STARTUP_S = 3.0
SECONDS_PER_MONTH = 0.03
SAVER_MONTHS_PER_SECOND = 1e7
PLAN_MONTHS_PER_SECOND = 2e5
FIRST_COMPILE_S = 60
"""numba's first compile of the model's passes: 45-70 s measured on the 2-core test machine."""


def run_seconds(n_savers: int, n_sponsors: int, n_months: int, *, startup: bool = True) -> float:
    """Rough wall time of one model run, once compiled, from its size (see the rates above);
    without `startup` (imports, first calls), as one of many runs in a worker."""
    per_month = SECONDS_PER_MONTH + n_savers / SAVER_MONTHS_PER_SECOND + n_sponsors / PLAN_MONTHS_PER_SECOND
    return (STARTUP_S if startup else 0.0) + n_months * per_month


def duration(seconds: float) -> str:
    """A rough, readable duration: ``"40 s"``, ``"3 min"``, ``"1.5 h"``."""
    if seconds < 90:
        return f"{max(1, round(seconds))} s"
    if seconds < 90 * 60:
        return f"{round(seconds / 60)} min"
    return f"{seconds / 3600:.1f} h"


__all__ = ["FIRST_COMPILE_S", "bar", "duration", "is_terminal", "plan", "run_seconds"]
