"""The alt401k dashboard page (Solara): build a regulatory variant, run it against status quo.

ODD §1.1 (policy teams: a dashboard a non-programmer can use). Serve it with
``alt401k dashboard`` (or ``solara run alt401k.experiments.dashboard.app``). The page:

1. starts from a bundled scenario, or a scenario file uploaded and checked by the same
   loader as ``alt401k run`` (a bad file shows the loader's one-line message);
2. sets the main levers (classes allowed per channel, caps, safe harbor, litigation climate,
   fee cap), an imposed market episode, and the sample (savers, replications, years, seed);
3. runs the variant and status quo with common random numbers in a background thread,
   redrawing the charts every few months, then shows the paired comparison and the
   distributional table by income quintile;
4. exports the settings as a scenario TOML file and the results as CSV.

All model logic is in `levers_ui`, `runner` and `charts`; this module only lays out widgets.
"""

from __future__ import annotations

import datetime as dt
import html
import re
import tempfile
import threading
from pathlib import Path
from typing import Any

import pandas as pd
import solara
import solara.lab
from alt401k.base.assets import ALT_CHANNELS, ALTERNATIVES
from alt401k.model.errors import InputError
from alt401k.model.policy import Scenario, list_scenarios, load_scenario

from . import levers_ui, runner
from .charts import dashboard_figure
from .serve import PAGE_TITLE

DEFAULT_SCENARIO = "eo-14330"
START_DATE = dt.date(2025, 1, 1)  # RunConfig's default start: the dashboard's changes apply from it
MAX_UPLOAD_BYTES = 256 * 1024
UPDATE_EVERY_MONTHS = 6

SCENARIO_NAMES = [name for name, _ in list_scenarios()]

# Per-session state (Solara scopes module-level reactives to each browser session).
base_scenario = solara.reactive(load_scenario(DEFAULT_SCENARIO))
lever_values: solara.Reactive[dict[str, Any]] = solara.reactive(
    levers_ui.settled_values(load_scenario(DEFAULT_SCENARIO))
)
scenario_message = solara.reactive("")
scenario_error = solara.reactive("")
settings = solara.reactive(runner.RunSettings())
run_error = solara.reactive("")
progress = solara.reactive(0.0)
progress_text = solara.reactive("")
live_series: solara.Reactive[pd.DataFrame | None] = solara.reactive(None)
results: solara.Reactive[runner.PairedResults | None] = solara.reactive(None)
cancel_event = solara.reactive(threading.Event())


# ----------------------------------------------------------------------------- actions


def choose_scenario(name: str) -> None:
    """Switch the base to a bundled scenario and reset the levers to its settled values."""
    scenario = load_scenario(name)
    _set_base(scenario, f"Base scenario: {name} — {scenario.description}")


def _set_base(scenario: Scenario, message: str) -> None:
    base_scenario.set(scenario)
    lever_values.set(levers_ui.settled_values(scenario))
    scenario_error.set("")
    scenario_message.set(message)


def load_uploaded(name: str, text: str | None, size: int = 0) -> None:
    """Validate an uploaded scenario file with `load_scenario`; show its error, never a traceback."""
    if text is None:
        scenario_error.set(f"{name}: file too large ({size:,} bytes; at most {MAX_UPLOAD_BYTES:,})")
        return
    stem = re.sub(r"[^A-Za-z0-9_.-]", "_", Path(name).stem) or "uploaded"
    path = Path(tempfile.mkdtemp(prefix="alt401k-upload-")) / f"{stem}.toml"
    path.write_text(text, encoding="utf-8")
    try:
        scenario = load_scenario(path)
    except InputError as err:
        scenario_error.set(
            f"Cannot use {name}: {err.field + ': ' if err.field else ''}{err.message}"
        )
        return
    except Exception as err:  # noqa: BLE001 - any loader failure is shown as a message
        scenario_error.set(f"Cannot use {name}: {type(err).__name__}: {err}")
        return
    _set_base(scenario, f"Uploaded scenario: {name} — {scenario.description}")


def set_lever(name: str, value: Any) -> None:
    lever_values.set({**lever_values.value, name: value})


def set_setting(**changes: Any) -> None:
    import dataclasses

    settings.set(dataclasses.replace(settings.value, **changes))


def current_variant() -> tuple[Scenario, list[Any]]:
    """The variant the page shows, and its changes (raises LeverSettingsError if invalid)."""
    base = base_scenario.value
    changes = levers_ui.changes_from_ui(base, lever_values.value, START_DATE)
    return levers_ui.with_changes(base, changes), changes


def export_toml() -> str:
    base = base_scenario.value
    try:
        changes = levers_ui.changes_from_ui(base, lever_values.value, START_DATE)
    except levers_ui.LeverSettingsError as err:
        return f"# Settings not valid, nothing to export: {err}\n"
    return levers_ui.scenario_toml(base, changes)


@solara.lab.task(prefer_threaded=True)
def run_task() -> None:
    """Run variant and status quo in this thread, updating progress and live series."""
    run_error.set("")
    results.set(None)
    live_series.set(None)
    progress.set(0.0)
    event = threading.Event()
    cancel_event.set(event)
    try:
        run_settings = settings.value.check()
        variant, _ = current_variant()
    except ValueError as err:
        run_error.set(str(err))
        return

    def on_progress(p: runner.Progress) -> None:
        progress.set(100 * p.fraction)
        progress_text.set(
            f"{p.phase}, replication {p.replication + 1}/{run_settings.replications}: "
            f"month {p.months_done}/{run_settings.n_months}"
        )
        if p.phase == "variant":
            live_series.set(p.series)

    try:
        done = runner.run_paired(variant, run_settings, on_progress, event, UPDATE_EVERY_MONTHS)
    except runner.RunCancelledError:
        progress_text.set("Run cancelled.")
        return
    except Exception as err:  # noqa: BLE001 - shown in the page, not as a traceback
        run_error.set(f"The run failed: {type(err).__name__}: {err}")
        return
    progress.set(100.0)
    progress_text.set(
        f"Done: {run_settings.replications} replication(s) of {variant.name} and status quo, "
        f"{run_settings.n_savers:,} savers, {run_settings.years} years."
    )
    results.set(done)


# ----------------------------------------------------------------------------- widgets

LEVER_SLIDERS: tuple[tuple[str, str, float, float], ...] = (
    ("cap.sleeve_total", "Cap: alternatives share of a TDF: {:.0%}", 1.0, 0.01),
    ("cap.account", "Cap: alternatives share of an account: {:.0%}", 1.0, 0.01),
    ("safe_harbor.strength", "Safe-harbor strength: {:.2f}", 1.0, 0.05),
    ("litigation.climate", "Litigation climate: {:.1f} x 2016-24 average", 5.0, 0.1),
)
"""Slider levers: registry name, label (formatted with the value), maximum, step (minimum 0)."""


@solara.component_vue("scenario_upload.vue")
def ScenarioUpload(label: str, max_bytes: int, event_upload: Any) -> None:  # noqa: N802
    """A plain file input; sends the chosen file's name and text to `event_upload`."""


def _table_html(df: pd.DataFrame, css_class: str, formats: dict[str, str] | None = None) -> str:
    def fmt(value: Any) -> str:
        if isinstance(value, float):
            if value != value:  # NaN
                return "–"
            return f"{value:,.3f}" if abs(value) < 10 else f"{value:,.1f}"
        return html.escape(str(value))

    head = "".join(
        f"<th style='text-align:right;padding:2px 8px'>{html.escape(str(c))}</th>"
        for c in df.columns
    )
    rows = "".join(
        "<tr>"
        + "".join(f"<td style='text-align:right;padding:2px 8px'>{fmt(v)}</td>" for v in row)
        + "</tr>"
        for row in df.itertuples(index=False)
    )
    return (
        f"<table class='{css_class}' style='border-collapse:collapse;font-size:0.9em'>"
        f"<thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"
    )


@solara.component
def ScenarioPanel() -> None:  # noqa: N802
    base = base_scenario.value
    bundled = base.name if levers_ui.is_bundled(base) else None
    solara.Select(
        label="Base scenario",
        values=SCENARIO_NAMES,
        value=bundled,
        on_value=lambda name: name and choose_scenario(name),
    )
    ScenarioUpload(
        label="…or upload a scenario file (.toml)",
        max_bytes=MAX_UPLOAD_BYTES,
        event_upload=lambda d: load_uploaded(
            d.get("name", "file"), d.get("text"), d.get("size", 0)
        ),
    )
    if scenario_error.value:
        solara.Error(scenario_error.value, classes=["alt401k-scenario-error"])
    elif scenario_message.value:
        solara.Info(scenario_message.value, dense=True)


@solara.component
def LeverPanel() -> None:  # noqa: N802
    values = lever_values.value
    solara.Markdown("**Alternatives allowed, by channel** (held from the start of the run)")
    cell = {"width": "92px", "text-align": "center", "font-size": "0.85em"}
    with solara.Row(gap="0px"):
        solara.Text("", style={"width": "110px"})
        for ch in ALT_CHANNELS:
            solara.Text(ch.replace("_", " "), style={**cell, "font-weight": "bold"})
    for alt in ALTERNATIVES:
        with solara.Row(gap="0px", style={"align-items": "center", "height": "34px"}):
            solara.Text(alt.replace("_", " "), style={"width": "110px", "font-size": "0.9em"})
            for ch in ALT_CHANNELS:
                name = f"allow.{ch}.{alt}"
                with solara.Div(
                    style={**cell, "display": "flex", "justify-content": "center"},
                    classes=[f"lever-{ch}-{alt}"],
                ):
                    solara.Checkbox(
                        value=bool(values[name]), on_value=lambda v, n=name: set_lever(n, v)
                    )
    for name, label, top, step in LEVER_SLIDERS:
        solara.SliderFloat(
            label.format(float(values[name])),
            value=float(values[name]),
            min=0.0,
            max=top,
            step=step,
            on_value=lambda v, n=name: set_lever(n, v),
        )
    fee = float(values["fee_cap.annual"])
    capped = fee != float("inf")
    solara.Switch(
        label="Fee cap on alternative-bearing options",
        value=capped,
        on_value=lambda on: set_lever("fee_cap.annual", 0.0075 if on else float("inf")),
    )
    if capped:
        solara.SliderFloat(
            f"Fee cap: {100 * fee:.2f}% per year",
            value=round(100 * fee, 3),
            min=0.1,
            max=3.0,
            step=0.05,
            on_value=lambda v: set_lever("fee_cap.annual", round(v / 100, 6)),
        )
    solara.Button(
        "Reset levers to the base scenario",
        text=True,
        on_click=lambda: lever_values.set(levers_ui.settled_values(base_scenario.value)),
    )
    try:
        _, changes = current_variant()
    except levers_ui.LeverSettingsError as err:
        for message in err.messages:
            solara.Error(message)
        return
    if changes:
        shown = "; ".join(f"{c.lever} = {c.value}" for c in changes)
        solara.Text(f"Changed from base: {shown}", style={"font-size": "0.8em"})


@solara.component
def RunPanel() -> None:  # noqa: N802
    s = settings.value
    lo, hi = runner.SAVERS_RANGE
    solara.SliderInt(
        f"Savers simulated: {s.n_savers:,}",
        value=s.n_savers,
        min=lo,
        max=hi,
        step=1000,
        on_value=lambda v: set_setting(n_savers=v),
    )
    solara.SliderInt(
        f"Replications: {s.replications}",
        value=s.replications,
        min=runner.REPLICATIONS_RANGE[0],
        max=runner.REPLICATIONS_RANGE[1],
        on_value=lambda v: set_setting(replications=v),
    )
    solara.SliderInt(
        f"Years: {s.years}",
        value=s.years,
        min=runner.YEARS_RANGE[0],
        max=runner.YEARS_RANGE[1],
        on_value=lambda v: set_setting(years=v, episode_month=min(s.episode_month, 12 * v - 1)),
    )
    solara.InputInt("Seed", value=s.seed, on_value=lambda v: set_setting(seed=v))
    solara.Select(
        label="Market episode",
        values=list(runner.EPISODES),
        value=s.episode,
        on_value=lambda v: set_setting(episode=v),
    )
    if s.episode != "none":
        solara.SliderInt(
            f"Episode starts in month {s.episode_month}",
            value=s.episode_month,
            min=0,
            max=12 * s.years - 1,
            on_value=lambda v: set_setting(episode_month=v),
        )
    solara.Text(
        f"{s.n_sponsors:,} plans; {2 * s.replications} runs (variant and status quo, same seeds)",
        style={"font-size": "0.8em"},
    )
    with solara.Row():
        solara.Button(
            "Run",
            color="primary",
            on_click=run_task,
            disabled=run_task.pending,
            classes=["alt401k-run"],
        )
        solara.Button(
            "Cancel", on_click=lambda: cancel_event.value.set(), disabled=not run_task.pending
        )


@solara.component
def ExportPanel() -> None:  # noqa: N802
    base = base_scenario.value
    solara.FileDownload(
        export_toml,
        filename=f"{base.name}-dashboard.toml",
        label="Export settings as scenario TOML",
    )
    done = results.value
    if done is not None:
        solara.FileDownload(
            lambda: runner.series_csv(done),
            filename="dashboard-series.csv",
            label="Download monthly series (CSV)",
        )
        solara.FileDownload(
            lambda: runner.paired_comparison(done).to_csv(index=False),
            filename="dashboard-comparison.csv",
            label="Download comparison (CSV)",
        )
        solara.FileDownload(
            lambda: runner.distribution_table(done).to_csv(index=False),
            filename="dashboard-distribution.csv",
            label="Download distribution (CSV)",
        )


@solara.component
def Results() -> None:  # noqa: N802
    if run_error.value:
        solara.Error(run_error.value, classes=["alt401k-run-error"])
    if run_task.pending or progress.value > 0:
        solara.ProgressLinear(value=progress.value if progress.value > 0 else True)
        solara.Text(progress_text.value, classes=["alt401k-progress"])
    done = results.value
    series = done.variant[0] if done is not None else live_series.value
    if series is None:
        solara.Markdown(
            "Set the levers on the left and press **Run**. The charts update every "
            f"{UPDATE_EVERY_MONTHS} months of simulated time."
        )
        return
    last = series.iloc[-1]
    alt_bn = sum(last[f"assets_usd__{a}"] for a in ALTERNATIVES) / 1e9
    solara.Text(
        f"{last['date']}: plans offering alternatives {100 * last['share_plans_offering_any_alt']:.1f}% · "
        f"assets in alternatives ${alt_bn:,.1f}B · savers exposed "
        f"{100 * last['share_savers_exposed_any_alt']:.1f}%",
        classes=["alt401k-live"],
    )
    baseline = done.baseline[0] if done is not None else None
    solara.Text(
        f"Charts: {base_scenario.value.name} variant"
        f"{' (solid) against status quo (dashed black)' if baseline is not None else ', live'}",
        style={"font-weight": "bold"},
    )
    solara.FigureMatplotlib(dashboard_figure(series, baseline), format="png")
    if done is None:
        return
    solara.Markdown(
        f"### Paired comparison against status quo ({len(done.variant)} replication(s), "
        "common random numbers; replication 1 charted)"
    )
    solara.HTML(
        tag="div",
        unsafe_innerHTML=_table_html(runner.paired_comparison(done), "alt401k-comparison"),
    )
    solara.Markdown("### By income quintile at the horizon (replication means)")
    solara.HTML(
        tag="div",
        unsafe_innerHTML=_table_html(runner.distribution_table(done), "alt401k-distribution"),
    )


@solara.component
def Page() -> None:  # noqa: N802
    solara.Title(PAGE_TITLE)
    with solara.Columns([4, 8], style={"align-items": "flex-start"}):
        with solara.Column():
            with solara.Card("Scenario"):
                ScenarioPanel()
            with solara.Card("Policy levers"):
                LeverPanel()
            with solara.Card("Market and sample"):
                RunPanel()
            with solara.Card("Export"):
                ExportPanel()
        with solara.Column():
            solara.Markdown(
                "## alt401k — regulatory variant vs status quo\n"
                f"Lever settings take effect on {START_DATE.isoformat()} and hold for the whole run; "
                "status quo is the bundled `status-quo` scenario run with the same random draws."
            )
            Results()


__all__ = ["Page"]
