"""Retirement adequacy by income quintile, birth cohort and plan size (ODD §7.13, issue #26).

The model keeps, for everyone who retires during a run, a record (`model.retirees`:
weight, balance at retirement, final pay, income quintile, Social Security benefit at the
claim, birth year, the employer's plan size class and the month's price level; ODD §7.11).

`adequacy_cells` turns one run's retirees into one row per group (all retirees, each
income quintile, each ten-year birth cohort, each plan size class) with the metrics of
`experiments.adequacy`: the median replacement rate with Social Security, the probability
of falling below 70% and 60% of final pay, and the CRRA certainty equivalent of
retirement wealth (γ = 3) in constant January-2025 dollars with the nominal value beside.
`experiments.compare` pairs the rows of each scenario with the baseline's, replication by
replication (common random numbers).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

from ..base.strata import SIZE_CLASSES
from ..model.weighted import weighted_quantiles
from . import adequacy

F64 = npt.NDArray[np.float64]

TARGETS = (0.70, 0.60)
"""Replacement-rate targets (with Social Security, share of final pay) for the probability
of falling short: 70%, a common planners' target (`model.reporters.REPLACEMENT_TARGET`, an
assumption), and 60%, the same target less ten points, the form of the Center for
Retirement Research's National Retirement Risk Index at-risk threshold (Munnell, Hou and
Sanzenbacher 2018, CRR Issue in Brief 18-1; `adequacy.shortfall_probability`)."""
CRRA_GAMMA = 3.0
"""Relative risk aversion of the certainty equivalent: 3, an assumption (a moderate value;
the life-cycle model of Cocco, Gomes and Maenhout 2005, Review of Financial Studies 18(2),
takes 10 in its baseline, so γ = 3 penalises bad outcomes less than it does). The CE
functions take γ as an argument for other values."""
COHORT_YEARS = 10
"""Width of the birth-cohort bands (decades: born 1950-1959, 1960-1969, ...)."""
MIN_CELL_RETIREES = 100
"""A group with fewer simulated retirees than this (in any scenario or replication) is
flagged small: the standard error of a share estimated from n people is at most 0.5/√n,
5 percentage points at n = 100 (an assumption on what is worth reading)."""
DIMENSIONS = ("all", "income quintile", "birth cohort", "plan size")

CELL_COLUMNS = ("dimension", "group", "retirees", "people", "median_replacement_rate_with_ss",
                *(f"share_below_{round(100 * t)}" for t in TARGETS), "ce_wealth_usd2025", "ce_wealth_usd")
"""Columns of `adequacy_cells`: group, simulated retirees (unweighted) and the people they
stand for (weighted), then the metrics."""


def retiree_frame(retirees: list[dict[str, F64]]) -> pd.DataFrame:
    """One row per simulated retiree, from `model.retirees` (empty frame if no one retired)."""
    if not retirees:
        return pd.DataFrame(columns=["weight", "balance_usd", "salary_usd_annual", "income_quintile",
                                     "social_security_usd_annual", "birth_year", "size_class", "price_index"])
    return pd.DataFrame({k: np.concatenate([r[k] for r in retirees]) for k in retirees[0]})


def cohort_label(birth_year: npt.ArrayLike, width: int = COHORT_YEARS) -> npt.NDArray[np.object_]:
    """'born 1960-1969' style bands of `width` years, starting at multiples of `width`.

    >>> cohort_label([1960.0, 1969.99, 1970.0]).tolist()
    ['born 1960-1969', 'born 1960-1969', 'born 1970-1979']
    """
    start = (np.floor(np.asarray(birth_year, dtype=np.float64) / width) * width).astype(int)
    return np.array([f"born {s}-{s + width - 1}" for s in start], dtype=object)


def group_labels(frame: pd.DataFrame) -> dict[str, npt.NDArray[np.object_]]:
    """Each retiree's group in every dimension of `DIMENSIONS`."""
    n = len(frame)
    return {
        "all": np.full(n, "all retirees", dtype=object),
        "income quintile": np.array([f"Q{int(q) + 1}" for q in frame["income_quintile"]], dtype=object),
        "birth cohort": cohort_label(frame["birth_year"].to_numpy(float)),
        "plan size": np.array([f"plan size {SIZE_CLASSES[int(c)]}" for c in frame["size_class"]], dtype=object),
    }


def cell_metrics(frame: pd.DataFrame, gamma: float = CRRA_GAMMA,
                 targets: tuple[float, ...] = TARGETS) -> dict[str, float]:
    """The adequacy metrics of one group of retirees (ODD §7.13).

    Replacement rate with Social Security: (4% × balance at retirement + the annual Social
    Security benefit) / final annual pay (`adequacy.replacement_rate`; retirees without pay
    are left out of it). Shortfall: `adequacy.shortfall_probability` at each target.
    Retirement wealth: the balance plus the benefit capitalised at the same 4% rule
    (benefit / 0.04), so that wealth × 4% is the income of the replacement rate; its CRRA
    certainty equivalent over the group's retirees (`adequacy.crra_certainty_equivalent`),
    in January-2025 dollars (each retiree deflated by the CPI of the retirement month) and
    nominal. All weighted by the people each simulated retiree stands for.
    """
    w = frame["weight"].to_numpy(float)
    bal = frame["balance_usd"].to_numpy(float)
    ss = frame["social_security_usd_annual"].to_numpy(float)
    rr = adequacy.replacement_rate(adequacy.annuity_income(bal) + ss, frame["salary_usd_annual"].to_numpy(float))
    ok = np.isfinite(rr)
    wealth = bal + ss / adequacy.ANNUITY_RATE
    real = wealth / frame["price_index"].to_numpy(float)
    out = {"retirees": float(len(frame)), "people": float(w.sum()),
           "median_replacement_rate_with_ss": float(weighted_quantiles(rr[ok], w[ok], (0.5,))[0])}
    for t in targets:
        out[f"share_below_{round(100 * t)}"] = (adequacy.shortfall_probability(rr[ok], w[ok], t)
                                                if ok.any() else float("nan"))
    positive = wealth > 0.0
    out["ce_wealth_usd2025"] = (adequacy.crra_certainty_equivalent(real[positive], w[positive], gamma)
                                if positive.any() else float("nan"))
    out["ce_wealth_usd"] = (adequacy.crra_certainty_equivalent(wealth[positive], w[positive], gamma)
                            if positive.any() else float("nan"))
    return out


def adequacy_cells(frame: pd.DataFrame, gamma: float = CRRA_GAMMA,
                   targets: tuple[float, ...] = TARGETS) -> pd.DataFrame:
    """One row per group of every dimension (`CELL_COLUMNS`); only groups with retirees."""
    if frame.empty:
        return pd.DataFrame(columns=list(CELL_COLUMNS))
    rows = []
    for dim, labels in group_labels(frame).items():
        for group in sorted(set(labels)):
            rows.append({"dimension": dim, "group": group,
                         **cell_metrics(frame[labels == group], gamma, targets)})
    return pd.DataFrame(rows, columns=list(CELL_COLUMNS))


__all__ = ["CELL_COLUMNS", "COHORT_YEARS", "CRRA_GAMMA", "DIMENSIONS", "MIN_CELL_RETIREES", "TARGETS",
           "adequacy_cells", "cell_metrics", "cohort_label", "group_labels",
           "retiree_frame"]
