"""Dashboard lever settings <-> scenario changes <-> scenario TOML text (no web framework).

The page shows a few policy levers (`UI_LEVERS`) at the values a base scenario settles on
once all its changes are in force (`settled_values`). A value the user moves becomes one
`Change` effective at the run's start date (`changes_from_ui`), checked by the lever
registry, so an invalid value fails with the registry's own message. The variant replaces
the base's whole timeline for the levers it sets (`with_changes`) — in a file that is
``drop = [those levers]`` plus ``[[changes]]`` — so the user's value holds for the entire
run instead of being overridden by a later dated change of the base (e.g. eo-14330's safe
harbor of 2027). `scenario_toml` writes a file that `load_scenario` (and so
``alt401k run --scenario FILE``) reads back to the same timeline.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Final

import tomli_w
from alt401k.base.assets import ALT_CHANNELS, ALTERNATIVES
from alt401k.model.levers import LEVERS, LeverValue, baseline_values
from alt401k.model.policy import Change, Scenario

ALLOW_LEVERS: Final[tuple[str, ...]] = tuple(
    f"allow.{ch}.{alt}" for ch in ALT_CHANNELS for alt in ALTERNATIVES
)
"""One switch per (channel, alternative class): may the class be offered that way."""

NUMBER_LEVERS: Final[tuple[str, ...]] = (
    "cap.sleeve_total",
    "cap.account",
    "safe_harbor.strength",
    "litigation.climate",
    "fee_cap.annual",
)
"""Sliders: caps, safe-harbor strength, litigation climate, fee cap (inf = no cap)."""

UI_LEVERS: Final[tuple[str, ...]] = ALLOW_LEVERS + NUMBER_LEVERS
"""Every lever the dashboard lets a user set, in display order."""

DASHBOARD_SOURCE: Final[str] = "dashboard setting (alt401k dashboard), held for the whole run"
"""`source` written on every change the dashboard makes (the loader requires one)."""


class LeverSettingsError(ValueError):
    """One or more dashboard lever values were rejected; `messages` holds each reason."""

    def __init__(self, messages: Sequence[str]) -> None:
        self.messages = list(messages)
        super().__init__("; ".join(self.messages))


def is_bundled(scenario: Scenario) -> bool:
    """Whether `scenario` was loaded from a bundled file (so `based_on` can name it)."""
    bundled = _bundled_dir() / f"{scenario.name}.toml"
    return bundled.is_file() and Path(scenario.source_path).resolve() == bundled.resolve()


def _bundled_dir() -> Path:
    import importlib.resources

    return Path(str(importlib.resources.files("alt401k.experiments") / "scenarios"))


def settled_values(scenario: Scenario) -> dict[str, LeverValue]:
    """Value of every UI lever once all of `scenario`'s changes are in force.

    Returns
    -------
    dict
        Lever name -> value, for the names in `UI_LEVERS` (baseline where never changed).
    """
    values = baseline_values()
    for change in scenario.changes:  # sorted by date: the last change of a lever wins
        values[change.lever] = change.value
    return {name: values[name] for name in UI_LEVERS}


def check_values(values: Mapping[str, Any]) -> dict[str, LeverValue]:
    """Check UI values against the lever registry; return them normalised.

    Raises
    ------
    LeverSettingsError
        Naming every unknown lever and carrying the registry's message for every bad value.
    """
    out: dict[str, LeverValue] = {}
    errors: list[str] = []
    for name, value in values.items():
        if name not in UI_LEVERS:
            errors.append(f"unknown dashboard lever {name!r}; allowed: {list(UI_LEVERS)}")
            continue
        try:
            out[name] = LEVERS[name].check(value, "dashboard")
        except ValueError as err:
            errors.append(str(err))
    if errors:
        raise LeverSettingsError(errors)
    return out


def changes_from_ui(
    base: Scenario, values: Mapping[str, Any], effective: dt.date, origin: str = "dashboard"
) -> list[Change]:
    """The changes that turn `base` into the variant the UI shows.

    Parameters
    ----------
    base
        The scenario the user started from.
    values
        Lever name -> value as set in the page (any subset of `UI_LEVERS`).
    effective
        Date the settings take effect: the run's start date.
    origin
        Recorded on each change (scenario name for manifests).

    Returns
    -------
    list of Change
        One per lever whose value differs from `settled_values(base)`, in `UI_LEVERS` order.
    """
    checked = check_values(values)
    settled = settled_values(base)
    return [
        Change(name, checked[name], effective, DASHBOARD_SOURCE, origin)
        for name in UI_LEVERS
        if name in checked and not _same(checked[name], settled[name])
    ]


def _same(a: LeverValue, b: LeverValue) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return a == b or (math.isinf(a) and math.isinf(b) and a > 0 and b > 0)
    return a == b and type(a) is type(b)


def with_changes(base: Scenario, changes: Sequence[Change], name: str | None = None) -> Scenario:
    """The variant scenario: `base` without its own timeline for the changed levers, plus `changes`.

    Mirrors what `load_scenario` does with the file from `scenario_toml` (the base chain
    minus the dropped levers, then this file's changes, stably sorted by date).
    """
    dropped = {c.lever for c in changes}
    kept = [c for c in base.changes if c.lever not in dropped]
    timeline = tuple(sorted([*kept, *changes], key=lambda c: c.effective))
    return dataclasses.replace(
        base,
        name=name or f"{base.name}-dashboard",
        title=f"{base.title} (dashboard variant)",
        changes=timeline,
        based_on=(*base.based_on, base.name),
    )


def scenario_toml(base: Scenario, changes: Sequence[Change], title: str | None = None) -> str:
    """A scenario file for the variant, readable by `load_scenario` unchanged.

    A bundled base is named in ``based_on`` and the changed levers are listed in ``drop``;
    any other base (an uploaded file) is written out in full, so the file stands alone.
    """
    levers_set = [c.lever for c in changes]
    doc: dict[str, Any] = {
        "title": title or f"{base.title} — dashboard variant",
        "description": _description(base, changes),
        "author": "alt401k dashboard",
    }
    provisions = [
        f"{i + 1}. From {c.effective.isoformat()}: {c.lever} = {_show(c.value)}."
        for i, c in enumerate(changes)
    ]
    if is_bundled(base):
        doc["based_on"] = base.name
        if levers_set:
            doc["drop"] = levers_set
        doc["references"] = list(base.references)
        doc["provisions"] = [
            f"0. All changes of {base.name}, except the levers below.",
            *provisions,
        ]
        listed = list(changes)
    else:
        doc["references"] = list(base.references)
        doc["provisions"] = [f"0. The changes of {base.name} (written out in full).", *provisions]
        listed = list(with_changes(base, changes).changes)
    doc["changes"] = [
        {"lever": c.lever, "value": c.value, "effective": c.effective, "source": c.source}
        for c in listed
    ]
    header = (
        f"# Written by `alt401k dashboard` from scenario {base.name!r}.\n"
        "# Run it with: alt401k run --scenario THIS_FILE\n"
    )
    return header + tomli_w.dumps(doc)


def _description(base: Scenario, changes: Sequence[Change]) -> str:
    if not changes:
        return f"{base.name} unchanged (exported from the dashboard)"
    shown = ", ".join(f"{c.lever}={_show(c.value)}" for c in changes[:4])
    more = f" and {len(changes) - 4} more" if len(changes) > 4 else ""
    return f"{base.name} with {shown}{more}"


def _show(value: LeverValue) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and math.isinf(value):
        return "no cap"
    return str(value)


__all__ = [
    "ALLOW_LEVERS",
    "DASHBOARD_SOURCE",
    "LeverSettingsError",
    "NUMBER_LEVERS",
    "UI_LEVERS",
    "changes_from_ui",
    "check_values",
    "is_bundled",
    "scenario_toml",
    "settled_values",
    "with_changes",
]
