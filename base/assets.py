"""Asset classes, channels and the saver holding layout shared by every module.

ODD §2 (entities, state variables). A saver's account is a vector of balances, one per
*holding*; a holding is an (asset class, channel) pair, so that assets by asset class and by
channel — the headline observation (ODD §4.11) — are plain column sums.
"""

from __future__ import annotations

from typing import Final, Literal

import numpy as np

AssetClass = Literal[
    "equity", "bonds", "cash", "crypto", "private_equity", "private_credit", "infrastructure", "gold"
]
Channel = Literal["default_fund", "core_menu", "standalone", "window"]

ASSET_CLASSES: Final[tuple[str, ...]] = (
    "equity",
    "bonds",
    "cash",
    "crypto",
    "private_equity",
    "private_credit",
    "infrastructure",
    "gold",
)
"""Every asset class with its own monthly return process (ODD §7.2)."""

PUBLIC_CLASSES: Final[tuple[str, ...]] = ("equity", "bonds", "cash")
"""Classes every plan already offers; not 'alternatives' in the sense of EO 14330."""

ALTERNATIVES: Final[tuple[str, ...]] = (
    "crypto",
    "private_equity",
    "private_credit",
    "infrastructure",
    "gold",
)
"""The alternative classes EO 14330 §2 names (real estate and lifetime income left out)."""

ILLIQUID: Final[tuple[str, ...]] = ("private_equity", "private_credit", "infrastructure")
"""Classes held through semi-liquid vehicles with gated redemptions (ODD §7.2)."""

CHANNELS: Final[tuple[str, ...]] = ("default_fund", "core_menu", "standalone", "window")
"""How money reaches an asset class: inside the plan's professionally managed allocation
fund (the QDIA, usually a target-date fund), the core menu's public funds, a standalone
alternative option on the menu, or a self-directed brokerage window."""

DEFAULT_FUND_KINDS: Final[tuple[str, ...]] = ("money_market", "balanced", "tdf")
"""Kinds of fund a plan may make its default: the choices of the `qdia.designation` lever
besides `NO_SANCTIONED_KIND` (ODD §7.5); stable value counts as money market (ODD §5.1). A money-market or balanced default holds a fixed public mix (`DEFAULT_FUND_MIX`),
a target-date fund its glide path."""
NO_SANCTIONED_KIND: Final[str] = "none"
"""`qdia.designation`'s value for a regime that sanctions no kind of default fund (before the
2007 QDIA regulation): plans keep the kind they have (ODD §5.1, §7.8)."""

DEFAULT_FUND_MIX: Final[dict[str, tuple[float, float, float]]] = {
    "money_market": (0.0, 0.0, 1.0),
    "balanced": (0.6, 0.4, 0.0),
}
"""Equity, bonds and cash of the default kinds with a fixed mix."""

ALT_CHANNELS: Final[tuple[str, ...]] = ("default_fund", "standalone", "window")
"""Channels through which alternatives can enter a plan; the policy levers use these."""


def _holdings() -> tuple[tuple[str, str], ...]:
    default_fund = tuple(("default_fund", a) for a in ASSET_CLASSES)
    core = tuple(("core_menu", a) for a in PUBLIC_CLASSES)
    standalone = tuple(("standalone", a) for a in ALTERNATIVES)
    window = (("window", "equity"),) + tuple(("window", a) for a in ALTERNATIVES)
    return default_fund + core + standalone + window


HOLDINGS: Final[tuple[tuple[str, str], ...]] = _holdings()
"""Column layout of a saver's balance matrix: (channel, asset class) per column."""

N_HOLDINGS: Final[int] = len(HOLDINGS)
HOLDING_ASSET: Final[np.ndarray] = np.array([ASSET_CLASSES.index(a) for _, a in HOLDINGS])
"""For each holding column, the index of its asset class in ASSET_CLASSES."""
HOLDING_CHANNEL: Final[np.ndarray] = np.array([CHANNELS.index(c) for c, _ in HOLDINGS])
"""For each holding column, the index of its channel in CHANNELS."""
ALT_CLASS_INDEX: Final[np.ndarray] = np.array([ASSET_CLASSES.index(a) for a in ALTERNATIVES])
"""Index in ASSET_CLASSES of each alternative, in ALTERNATIVES order (a default-fund mix's sleeve columns)."""
IS_ALT_HOLDING: Final[np.ndarray] = np.isin(HOLDING_ASSET, ALT_CLASS_INDEX)
IS_ILLIQUID_HOLDING: Final[np.ndarray] = np.isin(
    HOLDING_ASSET, [ASSET_CLASSES.index(a) for a in ILLIQUID]
)


def holding_index(channel: str, asset: str) -> int:
    """Column of the (channel, asset) holding; raises KeyError if that pair is not held."""
    try:
        return HOLDINGS.index((channel, asset))
    except ValueError:
        raise KeyError(f"no holding for channel {channel!r} and asset class {asset!r}") from None


def columns_of_channel(channel: str) -> np.ndarray:
    """Indices of the holding columns in one channel, in HOLDINGS order."""
    return np.flatnonzero(CHANNELS.index(channel) == HOLDING_CHANNEL)
