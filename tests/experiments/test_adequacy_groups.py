"""Adequacy by group (ODD §7.13): hand-worked metrics, grouping, pairing and the small-cell flag."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from alt401k.base.strata import SIZE_CLASSES
from alt401k.experiments import adequacy_groups as g
from alt401k.experiments import compare

T_95_1DF = 6.313751514675  # Student-t 0.95 quantile, 1 degree of freedom (statistical tables)


def _retirees() -> pd.DataFrame:
    """Two retirees with round numbers: pay 100k each; balances 500k and 0; benefits 20k and
    30k; weights 1 and 3; retired at price levels 1 and 2."""
    return pd.DataFrame({
        "weight": [1.0, 3.0], "balance_usd": [500_000.0, 0.0], "salary_usd_annual": [100_000.0, 100_000.0],
        "income_quintile": [0, 4], "social_security_usd_annual": [20_000.0, 30_000.0],
        "birth_year": [1959.5, 1960.0], "size_class": [0, 3], "price_index": [1.0, 2.0]})


def test_cell_metrics_by_hand() -> None:
    m = g.cell_metrics(_retirees(), gamma=3.0, targets=(0.70, 0.35))
    # replacement rates: (0.04 x 500k + 20k) / 100k = 0.4 and 30k / 100k = 0.3; weights 1 and 3
    assert m["median_replacement_rate_with_ss"] == pytest.approx(0.3)  # 3 of 4 people at 0.3
    assert m["share_below_70"] == pytest.approx(1.0)
    assert m["share_below_35"] == pytest.approx(0.75)
    # wealth: 500k + 20k / 0.04 = 1m and 30k / 0.04 = 750k nominal; 1m and 375k in 2025 dollars
    assert m["ce_wealth_usd"] == pytest.approx((0.25 * 1e6 ** -2 + 0.75 * 750e3 ** -2) ** -0.5)
    assert m["ce_wealth_usd2025"] == pytest.approx((0.25 * 1e6 ** -2 + 0.75 * 375e3 ** -2) ** -0.5)
    assert m["retirees"] == 2 and m["people"] == 4
    # risk neutral: the weighted mean of wealth
    assert g.cell_metrics(_retirees(), gamma=0.0)["ce_wealth_usd"] == pytest.approx(0.25 * 1e6 + 0.75 * 750e3)


def test_cells_group_each_dimension_and_partition_people() -> None:
    cells = g.adequacy_cells(_retirees())
    assert list(cells.columns) == list(g.CELL_COLUMNS)
    by = {d: dict(zip(t["group"], t["people"], strict=True)) for d, t in cells.groupby("dimension")}
    assert by["all"] == {"all retirees": 4.0}
    assert by["income quintile"] == {"Q1": 1.0, "Q5": 3.0}
    assert by["birth cohort"] == {"born 1950-1959": 1.0, "born 1960-1969": 3.0}
    assert by["plan size"] == {f"plan size {SIZE_CLASSES[0]}": 1.0, f"plan size {SIZE_CLASSES[3]}": 3.0}
    for d in g.DIMENSIONS:  # every dimension covers everyone once
        assert cells.loc[cells["dimension"] == d, "people"].sum() == 4.0
    q5 = cells[cells["group"] == "Q5"].iloc[0]
    assert q5["median_replacement_rate_with_ss"] == pytest.approx(0.3)
    assert q5["ce_wealth_usd2025"] == pytest.approx(375e3)  # one outcome: its own certainty equivalent
    assert g.adequacy_cells(g.retiree_frame([])).empty


def test_cohort_bands_start_at_decades() -> None:
    assert g.cohort_label([1959.999, 1960.0, 1975.3]).tolist() == ["born 1950-1959", "born 1960-1969",
                                                                   "born 1970-1979"]


def test_the_model_records_each_retiree_s_birth_year_plan_size_and_prices() -> None:
    # ODD §7.11: a retiree's record carries what the adequacy groups need. Birth year is
    # the date less the age, so within a month's record it falls as age rises; the size
    # class is its employer's; the price level is the month's.
    from alt401k.model.config import RunConfig
    from alt401k.model.model import Alt401kModel
    from alt401k.model.policy import load_scenario

    model = Alt401kModel(load_scenario("status-quo"), RunConfig(n_savers=3000, n_sponsors=100, years=2, seed=4))
    model.run()
    assert model.retirees, "someone retires in two years"
    frame = g.retiree_frame(model.retirees)
    assert frame["birth_year"].between(1940, 1975).all()  # retirement ages 55-75 in 2025-2027
    assert set(frame["size_class"]) <= set(range(len(g.SIZE_CLASSES)))
    assert frame["price_index"].between(1.0, 1.1).all()  # two years of about 2.4% inflation
    for record in model.retirees:
        assert len({len(v) for v in record.values()}) == 1  # one entry per retiree in every field


def _outcomes(values: dict[tuple[str, int, str, str], float]) -> pd.DataFrame:
    rows = [{"run_id": i, "scenario": s, "replication": r, "section": "adequacy", "metric": metric, "group": grp,
             "when": "retired during run", "unit": "count" if metric == compare.RETIREES_METRIC else "ratio",
             "value": v} for i, ((s, r, metric, grp), v) in enumerate(values.items())]
    return pd.DataFrame(rows)


def test_pairing_two_replications_by_hand_and_small_cells() -> None:
    med, n = "median replacement rate with Social Security", compare.RETIREES_METRIC
    values = {("sq", 0, med, "Q1"): 0.50, ("sq", 1, med, "Q1"): 0.60,
              ("eo", 0, med, "Q1"): 0.55, ("eo", 1, med, "Q1"): 0.70,
              ("sq", 0, n, "Q1"): 120.0, ("sq", 1, n, "Q1"): 150.0,
              ("eo", 0, n, "Q1"): 90.0, ("eo", 1, n, "Q1"): 130.0,
              ("sq", 0, med, "Q2"): 0.40, ("sq", 1, med, "Q2"): 0.40,
              ("eo", 0, med, "Q2"): 0.50, ("eo", 1, med, "Q2"): 0.50,
              ("sq", 0, n, "Q2"): 300.0, ("sq", 1, n, "Q2"): 300.0,
              ("eo", 0, n, "Q2"): 300.0, ("eo", 1, n, "Q2"): 300.0,
              ("sq", 0, med, "born 1990-1999"): 0.9, ("eo", 0, med, "born 1990-1999"): 0.8,
              ("sq", 0, n, "born 1990-1999"): 500.0, ("eo", 0, n, "born 1990-1999"): 500.0}
    outcomes = _outcomes(values)
    table = compare.flag_small_cells(compare.paired_table(outcomes, "sq"), outcomes, minimum=100)
    q1 = table[(table["metric"] == med) & (table["group"] == "Q1")].iloc[0]
    # differences 0.05 and 0.10: mean 0.075, s.d. 0.05 / sqrt(2), half-width t x s.d. / sqrt(2)
    half = T_95_1DF * (0.05 / np.sqrt(2)) / np.sqrt(2)
    assert q1["diff_mean"] == pytest.approx(0.075)
    assert q1["diff_low"] == pytest.approx(0.075 - half) and q1["diff_high"] == pytest.approx(0.075 + half)
    assert q1["baseline_mean"] == pytest.approx(0.55) and q1["variant_mean"] == pytest.approx(0.625)
    assert q1["n_pairs"] == 2
    assert q1["min_retirees"] == 90 and q1["small_cell"]  # one run of the pair had 90 < 100
    q2 = table[(table["metric"] == med) & (table["group"] == "Q2")].iloc[0]
    assert q2["diff_mean"] == pytest.approx(0.1) and q2["diff_low"] == pytest.approx(0.1)  # no spread
    assert q2["min_retirees"] == 300 and not q2["small_cell"]
    young = table[(table["metric"] == med) & (table["group"] == "born 1990-1999")].iloc[0]
    assert young["min_retirees"] == 0 and young["small_cell"]  # absent in replication 1
    assert young["n_pairs"] == 1 and np.isnan(young["diff_low"])


def test_adequacy_outcomes_name_each_metric_once_per_group() -> None:
    cells = g.adequacy_cells(_retirees())
    rows = compare.adequacy_outcomes(cells)
    assert len(rows) == len(cells) * len(compare.ADEQUACY_METRICS)
    real = {r[2]: r[5] for r in rows if r[4] == "USD, 2025 dollars"}
    assert real["Q5"] == pytest.approx(375e3)
    assert {r[0] for r in rows} == {"adequacy"}


def test_adequacy_rows_read_in_order() -> None:
    med, ce = compare.ADEQUACY_METRICS[0], compare.ADEQUACY_METRICS[3]
    rows = [("eo", ce[1], ce[2], "Q2"), ("eo", med[1], med[2], f"plan size {SIZE_CLASSES[-1]}"),
            ("eo", med[1], med[2], "born 1960-1969"), ("eo", med[1], med[2], f"plan size {SIZE_CLASSES[0]}"),
            ("eo", med[1], med[2], "Q1"), ("eo", med[1], med[2], "all retirees")]
    table = pd.DataFrame(rows, columns=["variant", "metric", "unit", "group"])
    ordered = compare.adequacy_order(table)
    assert list(ordered["group"]) == ["all retirees", "Q1", "born 1960-1969", f"plan size {SIZE_CLASSES[0]}",
                                      f"plan size {SIZE_CLASSES[-1]}", "Q2"]
