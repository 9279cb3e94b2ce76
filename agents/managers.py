"""Asset managers and the products they offer to plans.

ODD §2 (entities) and §7 (manager submodels). A concentrated target-date market (the top
five providers hold ~80%, Morningstar) plus private-market partners who run the sleeves
and specialists who run standalone vehicles (a crypto account, a gold fund). Managers are
few, so each is an ordinary Mesa agent; products are rows of a small `ProductBook`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

import mesa
import numpy as np
import numpy.typing as npt

from ..base.assets import ALTERNATIVES, ASSET_CLASSES, ILLIQUID

if TYPE_CHECKING:
    from ..model.config import ManagerBehaviour
    from ..model.policy import PolicyState

ManagerKind = Literal["tdf_provider", "partner", "specialist"]
ProductKind = Literal["tdf", "standalone"]

PARTNER_OF: dict[str, str] = {
    "private_equity": "Private-equity partner",
    "private_credit": "Private-credit partner",
    "infrastructure": "Infrastructure partner",
    "crypto": "Digital-asset specialist",
    "gold": "Commodity specialist",
}
"""Which non-TDF manager runs a sleeve or standalone vehicle of each alternative class."""


@dataclass
class Product:
    """One investable product: a target-date series or a standalone alternative option.

    `sleeve` gives the alternative share of a TDF by class (zeros for a plain TDF);
    `fee_annual` is the base expense ratio, `sleeve_fee_annual` the extra fee charged on
    each sleeve class (paid to the partner), `standalone_class` the class of a standalone.
    """

    product_id: int
    manager_id: int
    kind: ProductKind
    fee_annual: float
    sleeve: dict[str, float] = field(default_factory=dict)
    sleeve_fee_annual: dict[str, float] = field(default_factory=dict)
    standalone_class: str | None = None
    is_open: bool = True

    @property
    def sleeve_total(self) -> float:
        """Share of the fund in alternatives."""
        return float(sum(self.sleeve.values()))

    def total_expense_ratio(self) -> float:
        """Annual expense ratio the holder pays, sleeve fees weighted by sleeve shares."""
        return self.fee_annual + sum(
            share * self.sleeve_fee_annual.get(a, 0.0) for a, share in self.sleeve.items()
        )


class ProductBook:
    """All products, indexed by id; the one place fees and sleeves are looked up."""

    def __init__(self) -> None:
        self.products: list[Product] = []

    def add(self, **kwargs: object) -> Product:
        """Create a product with the next id and return it."""
        product = Product(product_id=len(self.products), **kwargs)  # type: ignore[arg-type]
        self.products.append(product)
        return product

    def __getitem__(self, product_id: int) -> Product:
        return self.products[product_id]

    def state(self) -> tuple[object, ...]:
        """What the per-plan views of the book read of its products (`model.plan_views`):
        each product's kind, fee, sleeve and sleeve fees, as one value that is cheap to
        compare (a product changed since an earlier call iff the two differ)."""
        return tuple((p.kind, p.fee_annual, tuple(p.sleeve.items()), tuple(p.sleeve_fee_annual.items()))
                     for p in self.products)

    def sleeve_matrix(self) -> npt.NDArray[np.float64]:
        """Sleeve weights by product and asset class, shape (n_products, 8)."""
        out = np.zeros((len(self.products), len(ASSET_CLASSES)))
        for p in self.products:
            for a, s in p.sleeve.items():
                out[p.product_id, ASSET_CLASSES.index(a)] = s
        return out


class AssetManager(mesa.Agent):
    """A fund manager: a TDF provider, a private-market partner or a specialist.

    State: kind, name, market share (TDF providers), its products and revenue to date.
    """

    def __init__(self, model: mesa.Model, kind: ManagerKind, name: str, market_share: float):
        super().__init__(model)
        self.kind: ManagerKind = kind
        self.name = name
        self.market_share = market_share
        self.plain_tdf: int | None = None
        self.alt_tdf: int | None = None
        self.standalone: dict[str, int] = {}
        self.revenue_usd = 0.0

    def review_products(
        self,
        policy: PolicyState,
        behaviour: ManagerBehaviour,
        book: ProductBook,
        uniform: float,
    ) -> None:
        """Quarterly product decision of a TDF provider.

        ODD §7, manager launch rule. A provider launches a TDF with a private-market sleeve
        once the regime allows sleeves in allocation funds and the average signalled stance
        on the sleeve classes exceeds `launch_threshold` (calibration: `launch_threshold`,
        `launch_prob_quarterly`; BlackRock announced such a TDF for 2026 within a year of the
        policy turn). The sleeve is sized to `target_sleeve_share` within the legal caps and
        repriced to fit a fee cap; a product that cannot fit is closed.
        """
        if self.kind != "tdf_provider":
            return
        sleeve = design_sleeve(policy, behaviour)
        if self.alt_tdf is None:
            stance = np.mean([policy.stance[a] for a in ILLIQUID])
            if not sleeve or stance < behaviour.launch_threshold:
                return
            if uniform >= behaviour.launch_prob_quarterly:
                return
            base = book[self.plain_tdf].fee_annual if self.plain_tdf is not None else 0.004
            product = book.add(
                manager_id=self.unique_id,
                kind="tdf",
                fee_annual=base,
                sleeve=sleeve,
                sleeve_fee_annual={a: behaviour.sleeve_fee_annual[a] for a in sleeve},
            )
            self.alt_tdf = product.product_id
        product = book[self.alt_tdf]
        product.sleeve = sleeve
        product.sleeve_fee_annual = {a: behaviour.sleeve_fee_annual[a] for a in sleeve}
        product.is_open = bool(sleeve) and fit_fee_cap(product, policy.fee_cap_annual)


def design_sleeve(policy: PolicyState, behaviour: ManagerBehaviour) -> dict[str, float]:
    """Sleeve weights an alternative-bearing TDF may hold under `policy`.

    ODD §7. Target shares (`target_sleeve_share`) clipped to each class's legal sleeve cap,
    scaled to the total cap and to the per-account cap (a TDF is the whole account of a
    defaulted saver), and dropped where the default-fund channel is closed.
    """
    sleeve = {
        a: min(share, policy.sleeve_cap[a])
        for a, share in behaviour.target_sleeve_share.items()
        if share > 0 and policy.allowed[("default_fund", a)]
    }
    sleeve = {a: s for a, s in sleeve.items() if s > 0}
    total = sum(sleeve.values())
    limit = min(policy.sleeve_cap_total, policy.account_cap)
    if total > limit > 0:
        sleeve = {a: s * limit / total for a, s in sleeve.items()}
    elif limit <= 0:
        sleeve = {}
    return sleeve


def fit_fee_cap(product: Product, fee_cap_annual: float, floor_share: float = 0.5) -> bool:
    """Reprice a product's sleeve or standalone fee to meet a fee cap, if it can.

    ODD §7, manager pricing under a fee cap. A manager cuts fees down to the cap but no
    further than `floor_share` of its standard fee (below that the product does not pay);
    returns False when the cap cannot be met and the product must close.
    """
    if product.total_expense_ratio() <= fee_cap_annual:
        return True
    if product.kind == "standalone":
        if fee_cap_annual >= floor_share * product.fee_annual:
            product.fee_annual = fee_cap_annual
            return True
        return False
    sleeve_fees = product.total_expense_ratio() - product.fee_annual
    room = fee_cap_annual - product.fee_annual
    if sleeve_fees <= 0 or room < floor_share * sleeve_fees:
        return False
    scale = room / sleeve_fees
    product.sleeve_fee_annual = {a: f * scale for a, f in product.sleeve_fee_annual.items()}
    return True


def create_managers(model: mesa.Model, behaviour: ManagerBehaviour, book: ProductBook) -> list[AssetManager]:
    """Create TDF providers with their plain TDFs, partners and standalone vehicles.

    The last TDF 'provider' stands for all others (~20% of the market). Standalone vehicles
    exist from t0 (crypto accounts since 2022, gold funds long before); whether a plan may
    offer them is the regime's and the sponsor's decision.
    """
    managers: list[AssetManager] = []
    n_tdf = len(behaviour.tdf_market_shares)
    for i, (share, fee) in enumerate(zip(behaviour.tdf_market_shares, behaviour.tdf_fee_annual, strict=True)):
        name = f"TDF provider {i + 1}" if i < n_tdf - 1 else "Other TDF providers"
        m = AssetManager(model, "tdf_provider", name, share)
        m.plain_tdf = book.add(manager_id=m.unique_id, kind="tdf", fee_annual=fee).product_id
        managers.append(m)
    by_name: dict[str, AssetManager] = {}
    for alt in ALTERNATIVES:
        name = PARTNER_OF[alt]
        if name not in by_name:
            kind: ManagerKind = "partner" if alt in ILLIQUID else "specialist"
            by_name[name] = AssetManager(model, kind, name, 0.0)
            managers.append(by_name[name])
        m = by_name[name]
        m.standalone[alt] = book.add(
            manager_id=m.unique_id,
            kind="standalone",
            fee_annual=behaviour.standalone_fee_annual[alt],
            standalone_class=alt,
        ).product_id
    return managers
