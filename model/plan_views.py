"""Per-plan arrays derived from the product book, kept from month to month.

ODD §7.5 (fees, default fund) and §7.10 (litigation). Every plan's default-fund sleeve and
its fee by holding column are functions of two small things: the product table (a few
dozen products' sleeves and fees) and each plan's default product. At the national plan
count (604,400) building the (plans x 22) fee matrix and the (plans x 8) sleeve gather
afresh each month, several times, was a large part of the month (benchmarks/RESULTS.md,
the sixth round). Here they
are rebuilt only where their inputs changed: the rows of plans whose default product
changed, or everything when a product's fee or sleeve changed. The values are the same
copies of the same table entries, so the arrays are bit for bit those of
`model.fees.plan_fee_matrix` and ``book.sleeve_matrix()[plans.default_product]``
(tests/model/test_plan_views.py).

The arrays are handed out read-only: the caller gets the cache itself, valid until the
next call.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
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


class _ByProduct:
    """Per-plan arrays that are a function of a small product table and each plan's default
    product, kept between calls: `rows(table, products)` gives the arrays of plans with
    these products (one row each); only the rows of plans whose product changed are
    recomputed, and every row when the table changed. The table itself is rebuilt only
    when `state()` (what it is made of, `ProductBook.state`) differs from the last call's:
    most months no product changes, and building it was most of a call at 1,200 plans."""

    def __init__(self, state: Callable[[], object], table: Callable[[], tuple[F64, ...]],
                 rows: Callable[[tuple[F64, ...], npt.NDArray[np.int32], F64 | None], tuple[F64, ...]]) -> None:
        self._state, self._table, self._rows = state, table, rows
        self._kept: tuple[tuple[F64, ...], npt.NDArray[np.int32], tuple[F64, ...], object, F64 | None] | None = None

    def arrays(self, product: npt.NDArray[np.int32], extra: F64 | None = None) -> tuple[F64, ...]:
        """The arrays for the plans' default products `product` now, read-only. `extra`
        (one row per plan, or None) is a per-plan input besides the product (the core
        menus' fees): a plan's rows are recomputed when its product or its row changed."""
        state = self._state()
        kept = self._kept
        table = kept[0] if kept is not None and state == kept[3] else self._table()
        same_extra = kept is not None and ((extra is None) == (kept[4] is None))
        if not same_extra or kept is None or not (
                table is kept[0] or all(np.array_equal(a, b) for a, b in zip(table, kept[0], strict=True))):
            out = self._rows(table, product, extra)
        else:
            out = kept[2]
            moved = product != kept[1]
            if extra is not None:
                moved |= np.any(extra != kept[4], axis=1)
            changed = np.flatnonzero(moved)
            if changed.size:
                part_extra = None if extra is None else extra[changed]
                for whole, part in zip(out, self._rows(table, product[changed], part_extra), strict=True):
                    whole.setflags(write=True)
                    whole[changed] = part
        for a in out:
            a.setflags(write=False)
        self._kept = (table, product.copy(), out, state, None if extra is None else extra.copy())
        return out


def _sleeve_rows(table: tuple[F64, ...], product: npt.NDArray[np.int32], _extra: F64 | None) -> tuple[F64, F64, F64]:
    """Plans' sleeves (their products' rows of the sleeve table) and `fund_mix.plan_sleeve_needs`."""
    sleeve = table[0][product]
    need_bonds, total = np.empty(product.shape[0]), np.empty(product.shape[0])
    fund_mix.plan_sleeve_needs(sleeve, need_bonds, total)
    return sleeve, need_bonds, total


def _fee_rows(table: tuple[F64, ...], product: npt.NDArray[np.int32], core_fee: F64 | None) -> tuple[F64, F64]:
    """Plans' fee matrix rows (`fees.fee_matrix_from_tables`, with their core menus' fees)
    and their monthly rate."""
    annual = fees.fee_matrix_from_tables(table, product, core_fee)
    return annual, annual / 12.0


class PlanViews:
    """Cached per-plan views of the product book: `sleeve` (n_plans, 8) with what it needs
    of the public classes (`sleeve_needs`), and `fee_matrix` (n_plans, N_HOLDINGS) with its
    monthly rate `fee_monthly` (fee / 12)."""

    def __init__(self, plans: PlanTable, book: ProductBook, managers: Sequence[AssetManager],
                 behaviour: ManagerBehaviour) -> None:
        self._plans = plans
        self._behaviour = behaviour
        # The fee tables also read the managers' standalone vehicles and the behaviour's
        # core fees, which are fixed for a model's life.
        self._sleeve = _ByProduct(book.state, lambda: (book.sleeve_matrix(),), _sleeve_rows)
        self._fees = _ByProduct(book.state, lambda: fees.fee_tables(book, managers, behaviour), _fee_rows)

    def sleeve(self) -> F64:
        """Sleeve weights of each plan's default product by asset class, (n_plans, 8)."""
        return self._sleeve.arrays(self._plans.default_product)[0]

    def sleeve_needs(self) -> tuple[F64, F64]:
        """Each plan's sleeve share replacing bonds and whole sleeve share, (n_plans,) each
        (`agents.fund_mix.plan_sleeve_needs` of `sleeve`)."""
        _, need_bonds, total = self._sleeve.arrays(self._plans.default_product)
        return need_bonds, total

    def fee_matrix(self) -> F64:
        """Annual expense ratio by plan and holding column, (n_plans, N_HOLDINGS)
        (`model.fees.plan_fee_matrix`)."""
        return self._fee_arrays()[0]

    def fee_monthly(self) -> F64:
        """`fee_matrix() / 12.0`, the monthly rate the balance pass charges."""
        return self._fee_arrays()[1]

    def _fee_arrays(self) -> tuple[F64, ...]:
        """The fee arrays for the plans' default products and core menus now (the menus'
        fees, `fees.plan_core_fees`, are an (n_plans, 3) computation: a plan whose menu was
        redrawn, at a birth, gets its row recomputed)."""
        return self._fees.arrays(self._plans.default_product, fees.plan_core_fees(self._plans, self._behaviour))
