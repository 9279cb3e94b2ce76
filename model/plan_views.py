"""Per-plan arrays derived from the product book, kept from month to month.

ODD §7.5 (fees, default fund) and §7.10 (litigation). Every plan's default-fund sleeve and
its fee by holding column are functions of two small things: the product table (a few
dozen products' sleeves and fees) and each plan's default product. At the national plan
count (604,400) building the (plans x 22) fee matrix and the (plans x 8) sleeve gather
afresh each month, several times, cost ~0.2 s a month (benchmarks/RESULTS.md). Here they
are rebuilt only where their inputs changed: the rows of plans whose default product
changed, or everything when a product's fee or sleeve changed. The values are the same
copies of the same table entries, so the arrays are bit for bit those of
`model.fees.plan_fee_matrix` and ``book.sleeve_matrix()[plans.default_product]``
(tests/model/test_plan_views.py).

The arrays are handed out read-only: the caller gets the cache itself, valid until the
next call.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from ..agents import fund_mix
from . import fees

if TYPE_CHECKING:
    from ..agents.managers import AssetManager, ProductBook
    from ..agents.sponsors import PlanTable
    from .config import ManagerBehaviour

F64 = npt.NDArray[np.float64]


class PlanViews:
    """Cached per-plan views of the product book: `sleeve` (n_plans, 8) with what it needs
    of the public classes (`sleeve_needs`), and `fee_matrix` (n_plans, N_HOLDINGS) with its
    monthly rate `fee_monthly` (fee / 12)."""

    def __init__(self, plans: PlanTable, book: ProductBook, managers: Sequence[AssetManager],
                 behaviour: ManagerBehaviour) -> None:
        self._plans, self._book, self._managers, self._behaviour = plans, book, managers, behaviour
        self._sleeve: tuple[F64, npt.NDArray[np.int32], F64, F64, F64] | None = None
        self._fees: tuple[tuple[F64, F64], npt.NDArray[np.int32], F64, F64] | None = None

    def sleeve(self) -> F64:
        """Sleeve weights of each plan's default product by asset class, (n_plans, 8)."""
        return self._sleeve_arrays()[0]

    def sleeve_needs(self) -> tuple[F64, F64]:
        """Each plan's sleeve share replacing bonds and whole sleeve share, (n_plans,) each
        (`agents.fund_mix.plan_sleeve_needs` of `sleeve`)."""
        _, need_bonds, total = self._sleeve_arrays()
        return need_bonds, total

    def _sleeve_arrays(self) -> tuple[F64, F64, F64]:
        table = self._book.sleeve_matrix()
        product = self._plans.default_product
        if self._sleeve is None or not np.array_equal(table, self._sleeve[0]):
            out = table[product]
            need_bonds, total = np.empty(product.shape[0]), np.empty(product.shape[0])
            fund_mix.plan_sleeve_needs(out, need_bonds, total)
        else:
            out, need_bonds, total = self._sleeve[2:]
            changed = np.flatnonzero(product != self._sleeve[1])
            if changed.size:
                for a in (out, need_bonds, total):
                    a.setflags(write=True)
                out[changed] = table[product[changed]]
                part_bonds, part_total = np.empty(changed.size), np.empty(changed.size)
                fund_mix.plan_sleeve_needs(out[changed], part_bonds, part_total)
                need_bonds[changed], total[changed] = part_bonds, part_total
        for a in (out, need_bonds, total):
            a.setflags(write=False)
        self._sleeve = (table, product.copy(), out, need_bonds, total)
        return out, need_bonds, total

    def fee_matrix(self) -> F64:
        """Annual expense ratio by plan and holding column, (n_plans, N_HOLDINGS)
        (`model.fees.plan_fee_matrix`)."""
        return self._fee_arrays()[0]

    def fee_monthly(self) -> F64:
        """`fee_matrix() / 12.0`, the monthly rate the balance pass charges."""
        return self._fee_arrays()[1]

    def _fee_arrays(self) -> tuple[F64, F64]:
        tables = fees.fee_tables(self._book, self._managers, self._behaviour)
        product = self._plans.default_product
        cached = self._fees
        if cached is None or not all(np.array_equal(a, b) for a, b in zip(tables, cached[0], strict=True)):
            annual = fees.fee_matrix_from_tables(tables, product)
            monthly = annual / 12.0
        else:
            annual, monthly = cached[2], cached[3]
            changed = np.flatnonzero(product != cached[1])
            if changed.size:
                annual.setflags(write=True)
                monthly.setflags(write=True)
                annual[changed] = fees.fee_matrix_from_tables(tables, product[changed])
                monthly[changed] = annual[changed] / 12.0
        annual.setflags(write=False)
        monthly.setflags(write=False)
        self._fees = (tables, product.copy(), annual, monthly)
        return annual, monthly
