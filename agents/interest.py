"""A saver's interest in each alternative asset class: the probability that it would take up
the class if its menu offered it.

ODD §7.3 (saver interest). The rule is one function of one saver's numbers, written once:
compiled and inlined into the pass over the reviewing savers
(`agents.rule_kernels.alt_interest`), and called as it is by the per-saver Mesa engine
(`model.saver_agents`).
"""

from __future__ import annotations

from typing import Final

import numpy as np
import numpy.typing as npt

from ..base.assets import ALTERNATIVES
from ..base.compiled import count_at_or_below, numpy_clip, row_helper

F64 = npt.NDArray[np.float64]

CRYPTO_AGE_EDGES: Final[F64] = np.array([30.0, 45.0, 60.0])
"""Lower edges of the age bands of crypto interest (Fed SHED 2022: 18-29, 30-44, 45-59, 60+)."""
DISCLOSURE_INTEREST_FACTOR: Final[float] = 0.7
"""Interest in alternatives under enhanced disclosure, relative to without (-30%; assumption
after the survey evidence that interest drops on learning of fees, docs/calibration.md)."""
CRYPTO: Final[int] = ALTERNATIVES.index("crypto")


@row_helper
def interest_in_alternatives(literacy: float, age: float, salary: float, peer_sensitivity: float,
                             coworker_share: F64, base: float, crypto_by_age: F64, income_slope: float,
                             peer_weight: float, quintile_edges: F64, crash_factor: float, disclosure: bool,
                             out: F64) -> None:
    """Probability of taking up each alternative if offered, into `out` (N_ALT,).

    ODD §7.3, saver interest. Crypto by age band (Fed SHED 2022 use: 18-29 14%, 30-44 15%,
    45-59 10%, 60+ 3%; `crypto_interest_by_age`) scaled by income quintile (1 +
    `crypto_interest_income_slope` x (quintile - 2) / 2: higher among richer households;
    `quintile_edges` are this year's) and cut by `crash_factor` after a deep crypto drawdown
    (`crash_interest_drop`), within [0, 1]. Other classes by financial literacy,
    `alt_base_interest` x (0.5 + literacy). Each is raised by coworkers' holdings of the
    class, x (1 + `peer_weight` x the saver's peer sensitivity x the plan's share of savers
    holding it), and cut by `DISCLOSURE_INTEREST_FACTOR` under enhanced disclosure; the
    result is clipped to [0, 1]."""
    b = base * (0.5 + literacy)
    income = 1.0 + income_slope * (count_at_or_below(quintile_edges, salary) - 2) / 2.0
    c = numpy_clip(crypto_by_age[count_at_or_below(CRYPTO_AGE_EDGES, age)] * income * crash_factor, 0.0, 1.0)
    p = peer_weight * peer_sensitivity
    for k in range(out.shape[0]):
        v = (c if k == CRYPTO else b) * (1.0 + p * coworker_share[k])
        if disclosure:
            v *= DISCLOSURE_INTEREST_FACTOR
        out[k] = numpy_clip(v, 0.0, 1.0)
