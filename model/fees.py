"""Fees: what each plan's holdings cost, and who earns what savers pay.

ODD §7 (balances, fees) and §6 (observation: fee revenue of TDF providers, private-market
partners and specialists). Expense ratios live on products (`agents.managers.ProductBook`);
this module turns them into a plan-by-holding matrix (which the balance kernel reads by
each saver's plan) and credits the month's fees to the managers who earn them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from ..agents.managers import AssetManager, Product, ProductBook
from ..agents.sponsors import PlanTable
from ..base.assets import ALTERNATIVES, ASSET_CLASSES, N_HOLDINGS, holding_index
from ..base.compiled import njit, row_helper, row_total_n
from .config import ManagerBehaviour

F64 = npt.NDArray[np.float64]
WINDOW_EQUITY_FEE_ANNUAL = 0.0010
"""Expense ratio of public equity bought through a brokerage window (index ETF level;
assumption)."""
ALT_OUTSIDE_COLUMNS = np.array([holding_index(c, a) for c in ("standalone", "window") for a in ALTERNATIVES])


def standalone_products(managers: Sequence[AssetManager]) -> dict[str, int]:
    """Product id of the standalone vehicle of each alternative class."""
    out: dict[str, int] = {}
    for m in managers:
        out.update(m.standalone)
    return out


def fee_tables(book: ProductBook, managers: Sequence[AssetManager], behaviour: ManagerBehaviour) -> tuple[F64, F64]:
    """What every plan's fees are made of: the default-fund columns' annual fee by product,
    shape (n_products, 8), and the row of the other columns, the same in every plan,
    shape (N_HOLDINGS,) (its default-fund entries are zero and unused).

    Default-fund columns pay the product's TDF base fee plus, on sleeve classes, the sleeve
    fee; core funds `core_fee_annual`; standalone and window alternatives the standalone
    vehicle's (possibly fee-capped) fee; window equity WINDOW_EQUITY_FEE_ANNUAL.
    """
    products = book.products
    df_fee = np.zeros((len(products), len(ASSET_CLASSES)))
    for p in products:
        if p.kind == "tdf":
            df_fee[p.product_id] = p.fee_annual
            for a, f in p.sleeve_fee_annual.items():
                df_fee[p.product_id, ASSET_CLASSES.index(a)] += f
    row = np.zeros(N_HOLDINGS)
    for a, f in behaviour.core_fee_annual.items():
        row[holding_index("core_menu", a)] = f
    standalone = standalone_products(managers)
    for a in ALTERNATIVES:
        f = book[standalone[a]].fee_annual
        row[holding_index("standalone", a)] = f
        row[holding_index("window", a)] = f
    row[holding_index("window", "equity")] = WINDOW_EQUITY_FEE_ANNUAL
    return df_fee, row


CORE_CLASSES = ("equity", "bonds", "cash")
"""The core menu's classes, in `PlanTable.core_funds` column order."""
CORE_COLUMNS = np.array([holding_index("core_menu", a) for a in CORE_CLASSES])


def core_fees(core_funds: npt.NDArray[np.integer], core_index_funds: npt.NDArray[np.integer],
              behaviour: ManagerBehaviour) -> F64:
    """Each plan's annual core fee by class, shape (n, 3): the mean over the menu's funds of
    the class, (index funds x `core_index_fee_annual` + the others x `core_active_fee_annual`)
    / funds (ODD §7.5, menus; every core fund of a class costs the same in the model, so a
    class's holding pays the mean). Cash funds are all `core_fee_annual["cash"]`."""
    idx = np.array([behaviour.core_index_fee_annual.get(a, behaviour.core_fee_annual[a]) for a in CORE_CLASSES])
    act = np.array([behaviour.core_active_fee_annual.get(a, behaviour.core_fee_annual[a]) for a in CORE_CLASSES])
    funds = np.asarray(core_funds, dtype=np.float64)
    index = np.asarray(core_index_funds, dtype=np.float64)
    return (index * idx + (funds - index) * act) / funds


def plan_core_fees(plans: PlanTable, behaviour: ManagerBehaviour) -> F64 | None:
    """`core_fees` of every plan, or None where the menus' funds are not told apart
    (`PlanTable.core_index_funds` None: each class costs `core_fee_annual`)."""
    if plans.core_index_funds is None:
        return None
    return core_fees(plans.core_funds, plans.core_index_funds, behaviour)


def fee_matrix_from_tables(tables: tuple[F64, F64], default_product: npt.NDArray[np.int32],
                           core_fee: F64 | None = None) -> F64:
    """The fee matrix of plans with these default products, (len(default_product), N_HOLDINGS),
    from `fee_tables`: the outside row broadcast, the default-fund columns by product, the
    core columns the plans' `core_fees` when given (one row each)."""
    df_fee, row = tables
    out = np.empty((default_product.shape[0], N_HOLDINGS))
    out[:] = row
    out[:, : len(ASSET_CLASSES)] = df_fee[default_product]
    if core_fee is not None:
        out[:, CORE_COLUMNS] = core_fee
    return out


def plan_fee_matrix(plans: PlanTable, book: ProductBook, managers: Sequence[AssetManager],
                    behaviour: ManagerBehaviour) -> F64:
    """Annual expense ratio by plan and holding column, shape (n_plans, N_HOLDINGS)
    (`fee_tables` laid out by each plan's default product and core menu; the model keeps it
    from month to month, `model.plan_views.PlanViews`)."""
    return fee_matrix_from_tables(fee_tables(book, managers, behaviour), plans.default_product,
                                  plan_core_fees(plans, behaviour))


class FeeSums(NamedTuple):
    """The month's fee totals that `credit_revenue` books (USD over every plan)."""

    by_provider: F64
    """TDF base fees of the plans of each TDF provider, in provider order."""
    tdf_total: float
    """TDF base fees of all plans."""
    sleeve: F64
    """Sleeve fees by default-fund asset class, shape (len(ASSET_CLASSES),)."""
    outside: F64
    """Each column of ALT_OUTSIDE_COLUMNS summed over plans."""
    beyond_default: float
    """Every fee outside the default fund (columns len(ASSET_CLASSES) onward)."""


def fee_sums_numpy(fees: F64, fee_matrix: F64, base_fee: F64, default_product: npt.NDArray[np.int32],
                   tdf_manager: npt.NDArray[np.int32], n_providers: int) -> FeeSums:
    """`FeeSums` of a month (ODD §7 fees) in numpy: the definition `fee_sums` reproduces.

    A default-fund column's fee splits between the provider's base fee and the sleeve fee in
    the ratio of the plan's product base fee (`base_fee` by product id) to its total rate
    (`fee_matrix`; all base where the rate is zero).
    """
    df = fees[:, : len(ASSET_CLASSES)]
    base_rate = base_fee[default_product]
    total_rate = fee_matrix[:, : len(ASSET_CLASSES)]
    base_share = np.divide(base_rate[:, None], total_rate, out=np.ones_like(total_rate), where=total_rate > 0)
    tdf_fee_by_plan = (df * base_share).sum(axis=1)
    sleeve_fee = (df * (1.0 - base_share)).sum(axis=0)
    by_provider = np.array([tdf_fee_by_plan[tdf_manager == i].sum() for i in range(n_providers)])
    # Each needed holding's total over plans, summed down its column in place (numpy's
    # pairwise sum: the same bits as from a transposed copy, which at 600k plans would take
    # longer to make than the ten sums).
    column = fees.T
    outside = np.array([column[h].sum() for h in ALT_OUTSIDE_COLUMNS])
    return FeeSums(by_provider, float(tdf_fee_by_plan.sum()), sleeve_fee, outside,
                   float(fees[:, len(ASSET_CLASSES) :].sum()))


_DF = len(ASSET_CLASSES)  # the default fund's columns, 0.._DF-1 of a fee matrix
_BEYOND = N_HOLDINGS - _DF  # the columns after them
_PW_LEAF = 128  # numpy's pairwise block (PW_BLOCKSIZE)


def _walk(n):  # pragma: no cover - compiled
    """numpy's pairwise tree over n values (it depends on n alone: leaves of up to 128 values,
    longer runs halved at a multiple of 8) in post-order: a row (first, size) per leaf,
    (-1, -1) where the last two partial sums are added. A loop, not a recursion: numba's
    cache mishandles recursive functions (a cached recursive `_pairwise` crashed when
    loaded)."""
    ops = np.empty((2 * (n // 64) + 1, 2), np.int64)  # leaves of 64 values or more, unless n <= 128
    right = np.empty(64, np.int64)  # per level, the size of the right half still to walk; -1 once in it
    k, d, lo = 0, 0, 0
    while True:
        while n > _PW_LEAF:
            h = n // 2 - (n // 2) % 8
            right[d] = n - h
            d += 1
            n = h
        ops[k, 0], ops[k, 1] = lo, n
        k += 1
        lo += n
        while d > 0 and right[d - 1] < 0:  # a right half done: its parent is
            d -= 1
            ops[k, 0], ops[k, 1] = -1, -1
            k += 1
        if d == 0:
            return ops[:k]
        n = right[d - 1]
        right[d - 1] = -1


def _pairwise(x, lo, n):  # pragma: no cover - compiled
    """x[lo:lo + n].sum() without the final 0.0 +: numpy's pairwise sum (`_walk`'s tree,
    each leaf in eight lanes, `row_total_n`)."""
    if n <= _PW_LEAF:
        return row_total_n(x[lo:lo + n], n)
    walk = _walk(n)
    sums = np.empty(64)
    top = 0
    for s in range(walk.shape[0]):
        first, size = walk[s, 0], walk[s, 1]
        if first < 0:
            top -= 1
            sums[top - 1] += sums[top]
        else:
            sums[top] = row_total_n(x[lo + first:lo + first + size], size)
            top += 1
    return sums[0]


def _plan_fee(fees, fee_matrix, base_fee, default_product, p, sleeve, part):  # pragma: no cover - compiled
    """Plan p's TDF base fee, `fee_sums_numpy`'s row (df * base_share).sum(axis=1); adds its
    sleeve fees to `sleeve` (the column sums, in plan order). `part`: scratch of 8."""
    b = base_fee[default_product[p]]
    for j in range(_DF):
        t = fee_matrix[p, j]
        share = b / t if t > 0 else 1.0
        f = fees[p, j]
        part[j] = f * share
        sleeve[j] += f * (1.0 - share)
    return 0.0 + row_total_n(part, _DF)


def _plan_leaf(fees, fee_matrix, base_fee, default_product, tdf_manager, lo, size, lanes, out, sleeve, part,
               gathered, fill):  # pragma: no cover - compiled
    """Plans lo..lo+size-1, one leaf of numpy's pairwise tree over the plans: out[c] gets
    the leaf's pairwise sum of fees[:, _DF + c] (c < _BEYOND) and of the plans' TDF base
    fees (c = _BEYOND); each plan's TDF fee goes to its provider's run of `gathered`."""
    m = size - size % 8 if size >= 8 else 0
    lanes[:] = -0.0  # -0.0 + x is x: each lane starts at its first value, as numpy's do
    for i in range(m):
        p = lo + i
        fee = _plan_fee(fees, fee_matrix, base_fee, default_product, p, sleeve, part)
        _gather(fee, tdf_manager[p], gathered, fill)
        q = i % 8
        for c in range(_BEYOND):
            lanes[q, c] += fees[p, _DF + c]
        lanes[q, _BEYOND] += fee
    for c in range(_BEYOND + 1):  # the lanes' tree, then the rest in order
        out[c] = row_total_n(lanes[:, c], 8) if m > 0 else 0.0
    for p in range(lo + m, lo + size):
        fee = _plan_fee(fees, fee_matrix, base_fee, default_product, p, sleeve, part)
        _gather(fee, tdf_manager[p], gathered, fill)
        for c in range(_BEYOND):
            out[c] += fees[p, _DF + c]
        out[_BEYOND] += fee


def _gather(fee, k, gathered, fill):  # pragma: no cover - compiled
    """Append a plan's TDF fee to its provider k's run of `gathered` (none outside 0..len(fill)-1)."""
    if 0 <= k < fill.shape[0]:
        gathered[fill[k]] = fee
        fill[k] += 1


def _beyond_default(fees, start, stop, buf):  # pragma: no cover - compiled
    """Rows start..stop-1 of fees[:, _DF:] as numpy's buffered reduction of that block sums
    them: copied row after row into one buffer (as many whole rows as fit in
    numpy.getbufsize() values), summed pairwise."""
    for p in range(start, stop):
        row = (p - start) * _BEYOND
        for c in range(_BEYOND):
            buf[row + c] = fees[p, _DF + c]
    return _pairwise(buf, 0, (stop - start) * _BEYOND)


def _fee_sums_pass(fees, fee_matrix, base_fee, default_product, tdf_manager, n_providers,
                   buffer_rows):  # pragma: no cover - compiled
    """`fee_sums_numpy` in one pass over the plans (the leaves of numpy's pairwise tree over
    them, in order), bit for bit. `buffer_rows`: rows of fees[:, _DF:] per numpy buffer."""
    n = fees.shape[0]
    walk = _walk(n)
    count = np.zeros(n_providers + 1, np.int64)
    for p in range(n):
        if 0 <= tdf_manager[p] < n_providers:
            count[tdf_manager[p] + 1] += 1
    first = np.cumsum(count)
    fill = first[:-1].copy()
    gathered = np.empty(first[-1])  # each provider's plans' TDF fees, in plan order
    sleeve = np.zeros(_DF)
    part = np.empty(_DF)
    lanes = np.empty((8, _BEYOND + 1))
    stack = np.empty((64, _BEYOND + 1))  # partial sums awaiting their right sibling, a level each
    buf = np.empty(buffer_rows * _BEYOND)
    top, done, beyond = 0, 0, 0.0
    for s in range(walk.shape[0]):
        lo, size = walk[s, 0], walk[s, 1]
        if lo < 0:
            top -= 1
            for c in range(_BEYOND + 1):
                stack[top - 1, c] += stack[top, c]
            continue
        _plan_leaf(fees, fee_matrix, base_fee, default_product, tdf_manager, lo, size, lanes, stack[top], sleeve,
                   part, gathered, fill)
        top += 1
        # numpy's buffers of fees[:, _DF:], each once its rows are done (still in cache).
        while done + buffer_rows <= lo + size:
            beyond += _beyond_default(fees, done, done + buffer_rows, buf)
            done += buffer_rows
    if done < n:
        beyond += _beyond_default(fees, done, n, buf)
    by_provider = np.empty(n_providers)
    for k in range(n_providers):
        by_provider[k] = 0.0 + _pairwise(gathered, first[k], count[k + 1])
    totals = 0.0 + stack[0]
    return by_provider, totals[_BEYOND], sleeve, totals[:_BEYOND], beyond


_walk = njit(cache=True, nogil=True)(_walk)
_pairwise = njit(cache=True, nogil=True)(_pairwise)
_plan_fee = row_helper(_plan_fee)
_gather = row_helper(_gather)
_plan_leaf = row_helper(_plan_leaf)
_beyond_default = njit(cache=True, nogil=True)(_beyond_default)
_fee_sums_kernel = njit(cache=True, nogil=True)(_fee_sums_pass)


def fee_sums(fees: F64, fee_matrix: F64, base_fee: F64, default_product: npt.NDArray[np.int32],
             tdf_manager: npt.NDArray[np.int32], n_providers: int) -> FeeSums:
    """`fee_sums_numpy` (ODD §7 fees, §6 fee revenue), bit for bit (tested), in one compiled
    pass over the plans (benchmarks/RESULTS.md) instead of a dozen whole-matrix numpy passes
    (benchmarks/RESULTS.md has the times). Every sum keeps numpy's own order:
    pairwise down the columns and over each provider's plans in plan order, rows of 8
    pairwise, the sleeve columns plan by plan, the block after the default fund pairwise
    in numpy's buffers (for C-ordered float64 fee matrices, which the model passes; others are
    copied to that layout first)."""
    fees = np.ascontiguousarray(fees, dtype=np.float64)
    fee_matrix = np.ascontiguousarray(fee_matrix, dtype=np.float64)
    by_provider, tdf_total, sleeve, beyond_columns, beyond = _fee_sums_kernel(
        fees, fee_matrix, base_fee, default_product, tdf_manager, n_providers, max(np.getbufsize() // _BEYOND, 1))
    return FeeSums(by_provider, tdf_total, sleeve, beyond_columns[ALT_OUTSIDE_COLUMNS - _DF], beyond)


def _c_ordered_like(fees: F64, fee_matrix: F64) -> bool:
    """Whether both are C-ordered float64 (n_plans, N_HOLDINGS) matrices: the layout whose
    numpy summation order `_fee_sums_pass` follows."""
    return all(a.dtype == np.float64 and a.flags.c_contiguous and a.ndim == 2 and a.shape == (fees.shape[0], N_HOLDINGS)
               for a in (fees, fee_matrix))


def _book(sums: FeeSums, carry_usd: float, products: Sequence[Product], managers: Sequence[AssetManager],
          tdf_providers: Sequence[AssetManager]) -> dict[str, float]:
    """Add the month's fees to the managers who earn them; the national split (see
    `credit_revenue`)."""
    by_id = {m.unique_id: m for m in managers}
    for m, fee in zip(tdf_providers, sums.by_provider.tolist(), strict=True):
        m.revenue_usd += fee
    sleeve = sums.sleeve.tolist()
    outside = sums.outside.tolist()  # standalone, then window, each in ALTERNATIVES order
    standalone = standalone_products(managers)
    for k, a in enumerate(ALTERNATIVES):
        owner = by_id[products[standalone[a]].manager_id]
        owner.revenue_usd += sleeve[ASSET_CLASSES.index(a)]
        owner.revenue_usd += outside[k] + outside[len(ALTERNATIVES) + k]
        if a == "private_equity":
            owner.revenue_usd += carry_usd
    outside_alt = 0.0
    for x in outside:  # in order (Python's sum may compensate floats)
        outside_alt += x
    return {
        "tdf_managers": float(sums.tdf_total),
        "partners": float(sums.sleeve.sum()) + carry_usd + outside_alt,
        "core_and_window": float(sums.beyond_default - outside_alt),
    }


def credit_revenue(fees_by_plan_holding: F64, fee_matrix: F64, carry_usd: float, plans: PlanTable,
                   book: ProductBook, managers: Sequence[AssetManager],
                   tdf_providers: Sequence[AssetManager]) -> dict[str, float]:
    """Book this month's fees to the managers who earn them; return the national split.

    The TDF base fee goes to the plan's TDF provider; sleeve fees, standalone and window
    alternative fees and all carry go to the vehicle's partner or specialist; core funds and
    window equity are counted apart. Returns USD by recipient group. The totals come from
    `fee_sums` (one compiled pass; the same bits as `credit_revenue_numpy`, tested).
    """
    sums = fee_sums(fees_by_plan_holding, fee_matrix, _base_fee(book), plans.default_product, plans.tdf_manager,
                    len(tdf_providers))
    return _book(sums, carry_usd, book.products, managers, tdf_providers)


def credit_revenue_numpy(fees_by_plan_holding: F64, fee_matrix: F64, carry_usd: float, plans: PlanTable,
                         book: ProductBook, managers: Sequence[AssetManager],
                         tdf_providers: Sequence[AssetManager]) -> dict[str, float]:
    """`credit_revenue` with the totals from `fee_sums_numpy`: the definition."""
    sums = fee_sums_numpy(fees_by_plan_holding, fee_matrix, _base_fee(book), plans.default_product,
                          plans.tdf_manager, len(tdf_providers))
    return _book(sums, carry_usd, book.products, managers, tdf_providers)


def _base_fee(book: ProductBook) -> F64:
    """Each product's base expense ratio (its TDF base fee), by product id."""
    return np.array([p.fee_annual for p in book.products])
