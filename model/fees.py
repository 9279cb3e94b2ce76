"""Fees: what each plan's holdings cost, and who earns what savers pay.

ODD §7 (balances, fees) and §6 (observation: fee revenue of TDF providers, private-market
partners and specialists). Expense ratios live on products (`agents.managers.ProductBook`);
this module turns them into a plan-by-holding matrix (which the balance kernel reads by
each saver's plan) and credits the month's fees to the managers who earn them.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from ..agents.managers import AssetManager, ProductBook
from ..agents.sponsors import PlanTable
from .assets import ALTERNATIVES, ASSET_CLASSES, N_HOLDINGS, holding_index
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


def fee_matrix_from_tables(tables: tuple[F64, F64], default_product: npt.NDArray[np.int32]) -> F64:
    """The fee matrix of plans with these default products, (len(default_product), N_HOLDINGS),
    from `fee_tables`: the outside row broadcast, the default-fund columns by product."""
    df_fee, row = tables
    out = np.empty((default_product.shape[0], N_HOLDINGS))
    out[:] = row
    out[:, : len(ASSET_CLASSES)] = df_fee[default_product]
    return out


def plan_fee_matrix(plans: PlanTable, book: ProductBook, managers: Sequence[AssetManager],
                    behaviour: ManagerBehaviour) -> F64:
    """Annual expense ratio by plan and holding column, shape (n_plans, N_HOLDINGS)
    (`fee_tables` laid out by each plan's default product; the model keeps it from month
    to month, `model.plan_views.PlanViews`)."""
    return fee_matrix_from_tables(fee_tables(book, managers, behaviour), plans.default_product)


def credit_revenue(fees_by_plan_holding: F64, fee_matrix: F64, carry_usd: float, plans: PlanTable,
                   book: ProductBook, managers: Sequence[AssetManager],
                   tdf_providers: Sequence[AssetManager]) -> dict[str, float]:
    """Book this month's fees to the managers who earn them; return the national split.

    The TDF base fee goes to the plan's TDF provider; sleeve fees, standalone and window
    alternative fees and all carry go to the vehicle's partner or specialist; core funds and
    window equity are counted apart. Returns USD by recipient group.
    """
    fees = fees_by_plan_holding
    df = fees[:, : len(ASSET_CLASSES)]
    products = book.products
    base_rate = np.array([p.fee_annual for p in products])[plans.default_product]
    total_rate = fee_matrix[:, : len(ASSET_CLASSES)]
    base_share = np.divide(base_rate[:, None], total_rate, out=np.ones_like(total_rate), where=total_rate > 0)
    tdf_fee_by_plan = (df * base_share).sum(axis=1)
    sleeve_fee = (df * (1.0 - base_share)).sum(axis=0)
    by_id = {m.unique_id: m for m in managers}
    for i, m in enumerate(tdf_providers):
        m.revenue_usd += float(tdf_fee_by_plan[plans.tdf_manager == i].sum())
    # Each needed holding's total over plans, summed down its column in place (numpy's
    # pairwise sum: the same bits as from a transposed copy, which at 600k plans would take
    # longer to make than the ten sums).
    column = fees.T
    standalone = standalone_products(managers)
    for a in ALTERNATIVES:
        owner = by_id[products[standalone[a]].manager_id]
        owner.revenue_usd += float(sleeve_fee[ASSET_CLASSES.index(a)])
        owner.revenue_usd += float(column[holding_index("standalone", a)].sum() + column[holding_index("window", a)].sum())
        if a == "private_equity":
            owner.revenue_usd += carry_usd
    outside_alt = float(sum(column[h].sum() for h in ALT_OUTSIDE_COLUMNS))
    return {
        "tdf_managers": float(tdf_fee_by_plan.sum()),
        "partners": float(sleeve_fee.sum()) + carry_usd + outside_alt,
        "core_and_window": float(fees[:, len(ASSET_CLASSES) :].sum() - outside_alt),
    }
