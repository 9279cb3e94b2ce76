"""What is on a saver's menu, and whether it holds or directs money to an option that is not.

ODD §7.3 (choice), §7.7 (menu changes) and §7.14 (managed accounts). Each rule is one
function of one saver's numbers, written once: compiled and inlined into the passes over
the savers (`agents.rule_kernels.visible_options`, `stranded`), and called as it is by the
per-saver Mesa engine (`model.saver_agents`). The menu is the plan's offerings and the
scenario's channel permissions (`model.policy`); nothing in it is calibrated.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from ..base.compiled import row_helper
from .savers import (
    MANAGED,
    N_ALT,
    N_DF,
    N_OPTIONS,
    STANDALONE_OPTIONS,
    WINDOW,
    WINDOW_ALT_OPTIONS,
    WINDOW_EQUITY_OPTION,
)

B = npt.NDArray[np.bool_]
_FIRST_STANDALONE, _FIRST_WINDOW_ALT = int(STANDALONE_OPTIONS[0]), int(WINDOW_ALT_OPTIONS[0])


@row_helper
def menu_of(style: int, standalone: B, offers_window: bool, window_allowed: B, size_ok: bool, managed: B,
            out: B) -> None:
    """Options on the menu of a saver of investment `style`, into `out` (N_OPTIONS,).

    The default fund and the core funds always; the standalone alternatives its plan offers
    (`standalone`, (N_ALT,)); for a window user at a plan with a brokerage window, window
    equity and each alternative the regime lets into windows (`window_allowed`) if the plan
    is large enough (`size_ok`: the regime's minimum plan size); for a managed saver, also
    the standalone vehicles of the classes its plan's managed-account service holds
    (`managed`, ODD §7.14)."""
    window = offers_window and style == WINDOW
    is_managed = style == MANAGED
    for k in range(_FIRST_STANDALONE):
        out[k] = True
    for k in range(N_ALT):
        out[_FIRST_STANDALONE + k] = standalone[k] or (is_managed and managed[k])
    out[WINDOW_EQUITY_OPTION] = window
    window_alt = window and size_ok
    for k in range(N_ALT):
        out[_FIRST_WINDOW_ALT + k] = window_alt and window_allowed[k]


@row_helper
def is_stranded(balance: npt.NDArray[np.float64], allocation: npt.NDArray[np.float64], visible: B) -> bool:
    """Whether a saver holds money in, or directs contributions to, an option off its menu
    `visible` (ODD §7.7: such money is moved to the default fund, gated vehicles at the
    gate's pace). Option k >= 1 is holding column N_DF + k - 1 of `balance`."""
    hit = False
    for k in range(1, N_OPTIONS):
        off = not visible[k]
        hit = hit | ((balance[N_DF + k - 1] > 0) & off) | ((allocation[k] > 0) & off)
    return hit
