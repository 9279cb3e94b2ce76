"""Golden summary outputs: a few headline numbers of every bundled scenario on a small,
fixed run, committed so that any change that moves results shows (tests/experiments/
test_golden.py) and is published on purpose, with a CHANGELOG entry saying why.

These are regression guards, not evidence that the numbers are right: that is the job of
`alt401k validate` (docs/validation.md) and of the hand-worked and property tests. The
runs are bit-for-bit reproducible on one platform (ODD §4.9); the tolerance band allows for
a different floating-point library elsewhere.

Publish after a change that moves results: ``python -m alt401k.experiments.golden --write``.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Final

import numpy as np

from ..base.assets import ALTERNATIVES
from ..model.config import RunConfig
from ..model.model import Alt401kModel
from ..model.policy import list_scenarios, load_scenario

GOLDEN_PATH: Final[Path] = Path(__file__).resolve().parents[1] / "results" / "golden" / "summaries.json"
RUN: Final[dict[str, int]] = {"n_savers": 1_000, "n_sponsors": 120, "years": 3, "seed": 20250807}
"""The small run every scenario is summarised on."""
RELATIVE_TOLERANCE: Final[float] = 1e-7
"""Band around each golden number (relative; platform floating-point differences only)."""
ABSOLUTE_TOLERANCE: Final[float] = 1e-6
"""... and absolute, for numbers that are zero (USD)."""
LAST: Final[tuple[str, ...]] = (
    "assets_usd", "participants", "assets_usd__default_fund", *(f"assets_usd__{a}" for a in ALTERNATIVES),
    "share_plans_offering_any_alt", "share_savers_exposed_any_alt", "gated_stock_usd",
)
"""Series summarised by their value at the horizon."""
SUMMED: Final[tuple[str, ...]] = (
    "contributions_usd", "fees_usd", "withdrawals_usd", "lawsuits", "illiquid_redemptions_usd",
    "stale_nav_transfer_usd",
)
"""Flows summarised by their sum over months 1 to the horizon."""


def summarise(scenario: str) -> dict[str, float]:
    """The golden numbers of one bundled scenario on the small run `RUN`."""
    model = Alt401kModel(load_scenario(scenario), RunConfig(**RUN))
    model.run()
    table = model.recorder.series_table()
    out = {f"{c}__last": float(np.asarray(table.column(c))[-1]) for c in LAST}
    out.update({f"{c}__sum": float(np.asarray(table.column(c))[1:].sum()) for c in SUMMED})
    return out


def all_summaries() -> dict[str, dict[str, float]]:
    """Every bundled scenario's golden numbers, by scenario name."""
    return {name: summarise(name) for name, _ in list_scenarios()}


def load() -> dict[str, dict[str, float]]:
    """The committed golden numbers."""
    return json.loads(GOLDEN_PATH.read_text())["scenarios"]


def main(argv: list[str] | None = None) -> int:
    """Print the golden numbers, or write them (`--write`) to the committed file."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help=f"publish to {GOLDEN_PATH.name}")
    args = parser.parse_args(argv)
    data = {"run": RUN, "scenarios": all_summaries()}
    text = json.dumps(data, indent=1, sort_keys=True) + "\n"
    if args.write:
        GOLDEN_PATH.parent.mkdir(parents=True, exist_ok=True)
        GOLDEN_PATH.write_text(text)
        print(f"wrote {GOLDEN_PATH}")
    else:
        print(text, end="")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
