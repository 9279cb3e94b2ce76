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
from ..base.compiled import njit
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


_DF = len(ASSET_CLASSES)  # the default fund's columns, 0.._DF-1 of a fee matrix
_BEYOND = N_HOLDINGS - _DF  # the columns after them


def _fee_sums_pass(fees, fee_matrix, base_fee, default_product, tdf_manager, n_providers):  # pragma: no cover - compiled
    """`FeeSums`' fields in one pass over the plans, each total summed in plan order.

    A default-fund column's fee splits between the provider's base fee and the sleeve fee in
    the ratio of the plan's product base fee (`base_fee` by product id) to its total rate
    (`fee_matrix`; all base where the rate is zero). A plan whose `tdf_manager` is outside
    0..n_providers-1 counts in no provider's total (but in `tdf_total`)."""
    by_provider = np.zeros(n_providers)
    sleeve = np.zeros(_DF)
    columns = np.zeros(_BEYOND)
    tdf_total = 0.0
    beyond = 0.0
    for p in range(fees.shape[0]):
        b = base_fee[default_product[p]]
        tdf_fee = 0.0
        for j in range(_DF):
            t = fee_matrix[p, j]
            share = b / t if t > 0 else 1.0
            f = fees[p, j]
            tdf_fee += f * share
            sleeve[j] += f * (1.0 - share)
        tdf_total += tdf_fee
        k = tdf_manager[p]
        if 0 <= k < n_providers:
            by_provider[k] += tdf_fee
        for c in range(_BEYOND):
            f = fees[p, _DF + c]
            columns[c] += f
            beyond += f
    return by_provider, tdf_total, sleeve, columns, beyond


_fee_sums_kernel = njit(cache=True, nogil=True)(_fee_sums_pass)


def fee_sums(fees: F64, fee_matrix: F64, base_fee: F64, default_product: npt.NDArray[np.int32],
             tdf_manager: npt.NDArray[np.int32], n_providers: int) -> FeeSums:
    """The month's `FeeSums` (ODD §7 fees, §6 fee revenue), in one compiled pass over the plans
    (`fees` and `fee_matrix` are (n_plans, N_HOLDINGS); `base_fee` by product id)."""
    by_provider, tdf_total, sleeve, columns, beyond = _fee_sums_kernel(
        np.ascontiguousarray(fees, dtype=np.float64), np.ascontiguousarray(fee_matrix, dtype=np.float64),
        np.ascontiguousarray(base_fee, dtype=np.float64), np.ascontiguousarray(default_product, dtype=np.int64),
        np.ascontiguousarray(tdf_manager, dtype=np.int64), n_providers)
    return FeeSums(by_provider, tdf_total, sleeve, columns[ALT_OUTSIDE_COLUMNS - _DF], beyond)


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
    `fee_sums` (one compiled pass).
    """
    sums = fee_sums(fees_by_plan_holding, fee_matrix, _base_fee(book), plans.default_product, plans.tdf_manager,
                    len(tdf_providers))
    return _book(sums, carry_usd, book.products, managers, tdf_providers)


def _base_fee(book: ProductBook) -> F64:
    """Each product's base expense ratio (its TDF base fee), by product id."""
    return np.array([p.fee_annual for p in book.products])
