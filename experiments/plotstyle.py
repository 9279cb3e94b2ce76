"""One plotting style for every alt401k figure: Okabe-Ito colours, readable fonts, captions.

The Okabe-Ito palette (Okabe & Ito 2008, "Color Universal Design") stays distinguishable
under the common colour-vision deficiencies; each asset class, channel and scenario keeps
one colour across figures. Rendering settings that change bytes between runs (SVG ids,
PNG metadata, font subsetting) are pinned so rebuilt images differ only when data differ.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

OKABE_ITO = {
    "black": "#000000", "orange": "#E69F00", "sky_blue": "#56B4E9", "bluish_green": "#009E73",
    "yellow": "#F0E442", "blue": "#0072B2", "vermillion": "#D55E00", "reddish_purple": "#CC79A7",
}
CYCLE = [OKABE_ITO[k] for k in ("blue", "orange", "bluish_green", "vermillion", "reddish_purple",
                                "sky_blue", "black", "yellow")]
ASSET_COLOURS = {"crypto": OKABE_ITO["orange"], "private_equity": OKABE_ITO["blue"],
                 "private_credit": OKABE_ITO["bluish_green"], "infrastructure": OKABE_ITO["reddish_purple"],
                 "gold": OKABE_ITO["yellow"], "equity": OKABE_ITO["black"], "bonds": OKABE_ITO["sky_blue"],
                 "cash": "#999999"}
CHANNEL_COLOURS = {"default_fund": OKABE_ITO["blue"], "standalone": OKABE_ITO["orange"],
                   "window": OKABE_ITO["bluish_green"], "core_menu": OKABE_ITO["sky_blue"]}
SIZE_STYLES = {"lt100": ":", "100to999": "-.", "1000to9999": "--", "10000plus": "-"}
LABELS = {
    "crypto": "Crypto", "private_equity": "Private equity", "private_credit": "Private credit",
    "infrastructure": "Infrastructure", "gold": "Gold", "default_fund": "Default fund (TDF)",
    "standalone": "Standalone option", "window": "Brokerage window", "core_menu": "Core menu",
    "lt100": "< 100 participants", "100to999": "100-999", "1000to9999": "1,000-9,999",
    "10000plus": "10,000+",
}

RC = {
    "figure.figsize": (9.0, 5.4), "figure.dpi": 100, "savefig.dpi": 110,
    "font.size": 11, "axes.titlesize": 13, "axes.labelsize": 11, "legend.fontsize": 9.5,
    "xtick.labelsize": 10, "ytick.labelsize": 10, "axes.spines.top": False,
    "axes.spines.right": False, "axes.grid": True, "grid.alpha": 0.3,
    "axes.prop_cycle": matplotlib.cycler(color=CYCLE), "legend.frameon": False,
    "svg.hashsalt": "alt401k", "svg.fonttype": "none", "path.simplify": True,
}


def apply() -> None:
    """Set the house style on matplotlib's global rcParams."""
    matplotlib.rcParams.update(RC)


def label(name: str) -> str:
    """Reader-facing label of an asset class, channel or size class."""
    return LABELS.get(name, name.replace("_", " "))


def colour(name: str, index: int = 0) -> str:
    """The fixed colour of an asset class or channel, else the cycle's `index`-th colour."""
    return ASSET_COLOURS.get(name) or CHANNEL_COLOURS.get(name) or CYCLE[index % len(CYCLE)]


BASELINE_COLOUR = "#999999"
"""The baseline scenario of a comparison, in every panel: a neutral grey."""


def scenario_colours(baseline: str, scenarios: Iterable[str]) -> dict[str, str]:
    """One colour per scenario for every panel of a figure: the baseline grey, the others the
    cycle's colours in the order given (so a variant keeps its colour in panels that omit the
    baseline, such as paired differences)."""
    others = [s for s in dict.fromkeys(scenarios) if s != baseline]
    return {baseline: BASELINE_COLOUR, **{s: CYCLE[i % len(CYCLE)] for i, s in enumerate(others)}}


def year_axis(ax: Any) -> None:
    """Whole calendar years as x ticks (data x values are fractional years, 2025 + month/12)."""
    from matplotlib.ticker import FormatStrFormatter, MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.xaxis.set_major_formatter(FormatStrFormatter("%d"))


def caption(fig: Any, text: str) -> None:
    """A caption line under the axes (scenario, sample size, replications)."""
    fig.text(0.01, 0.01, text, ha="left", va="bottom", fontsize=8.5, color="#444444", wrap=True)


def subplots(*args: Any, **kwargs: Any) -> tuple[Any, Any]:
    """`plt.subplots` under the house style, with room for a caption line."""
    apply()
    fig, ax = plt.subplots(*args, **kwargs)
    fig.subplots_adjust(bottom=0.2)
    return fig, ax


def save(fig: Any, stem: Path, formats: Iterable[str] = ("png", "svg")) -> list[Path]:
    """Write `stem`.png / .svg without timestamps or software tags; close the figure."""
    paths = []
    for fmt in formats:
        path = stem.with_suffix(f".{fmt}")
        meta = {"Software": None} if fmt == "png" else {"Date": None, "Creator": None}
        fig.savefig(path, format=fmt, metadata=meta, bbox_inches="tight")
        paths.append(path)
    plt.close(fig)
    return paths


def png_bytes(fig: Any) -> bytes:
    """The figure as PNG bytes (for inlining in HTML); closes the figure."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", metadata={"Software": None}, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


__all__ = ["BASELINE_COLOUR", "CYCLE", "OKABE_ITO", "apply", "caption", "colour", "label", "png_bytes", "save", "scenario_colours", "subplots", "year_axis"]
