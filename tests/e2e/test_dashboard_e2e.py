"""End-to-end: the dashboard in real headless Chromium (issue #7).

Starts ``alt401k dashboard`` on a free loopback port, then drives the page: pick a scenario,
shrink the sample, run, switch every alternative off, run again, and check that the variant's
numbers move while the status-quo column (same seed) stays put; upload malformed scenario
files and see the loader's message; export the settings and load them back. Saves a
screenshot to results/dashboard/screenshot.png.

Needs Debian's ``chromium`` (/usr/bin/chromium), Python ``playwright`` and the ``dashboard``
extra; skipped with a reason when any is missing. Run with ``pytest -m e2e tests/e2e``.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("ALT401K_CHROMIUM", "/usr/bin/chromium")
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
ROOT = Path(__file__).resolve().parents[2]
SCREENSHOT = ROOT / "results" / "dashboard" / "screenshot.png"

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        not (Path(CHROMIUM).is_file() or shutil.which("chromium")),
        reason=f"chromium not found at {CHROMIUM} (apt-get install -y chromium)",
    ),
    pytest.mark.skipif(
        importlib.util.find_spec("playwright") is None,
        reason="python package playwright not installed (pip install playwright)",
    ),
    pytest.mark.skipif(
        importlib.util.find_spec("solara") is None,
        reason="dashboard extra not installed (pip install '.[dashboard]')",
    ),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server_url():
    port = _free_port()
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    log = open(SCREENSHOT.parent / "server.log", "w")  # noqa: SIM115 - closed after the server stops
    proc = subprocess.Popen(
        [sys.executable, "-m", "alt401k.experiments.cli", "dashboard", "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 90
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    break
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail(
                f"dashboard server did not start (exit {proc.poll()}); see results/dashboard/server.log"
            )
        time.sleep(0.5)
    yield url
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
    log.close()


@pytest.fixture(scope="module")
def page(server_url):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM if Path(CHROMIUM).is_file() else shutil.which("chromium"),
            args=LAUNCH_ARGS,
        )
        pg = browser.new_page(viewport={"width": 1600, "height": 2200}, accept_downloads=True)
        pg.set_default_timeout(60_000)
        pg.goto(server_url)
        pg.get_by_role("button", name="Run").wait_for()
        yield pg
        browser.close()


def test_the_tab_is_titled_alt401k(page):
    from alt401k.experiments.dashboard.serve import PAGE_TITLE

    assert page.title() == PAGE_TITLE


def _set_slider(page, label_start: str, presses: list[str]) -> None:
    slider = page.get_by_role("slider", name=label_start)
    slider.focus()
    for key in presses:
        slider.press(key)


def _comparison(page) -> dict[str, tuple[float, float]]:
    """Outcome -> (variant, status quo) from the comparison table."""
    table = page.locator("table.alt401k-comparison")
    table.wait_for(timeout=180_000)
    out = {}
    for row in table.locator("tbody tr").all():
        cells = [c.inner_text().replace(",", "") for c in row.locator("td").all()]
        out[cells[0]] = (float(cells[1]), float(cells[2]))
    return out


def _run(page) -> dict[str, tuple[float, float]]:
    page.get_by_role("button", name="Run").click()
    page.locator("table.alt401k-comparison").wait_for(state="detached", timeout=30_000)
    return _comparison(page)


def test_run_change_lever_and_compare(page, tmp_path):
    # Pick a scenario from the list.
    page.locator(".v-select", has_text="Base scenario").click()
    page.locator(".v-menu__content .v-list-item", has_text="broad-access").click()
    page.get_by_text("Base scenario: broad-access").wait_for()
    # Tiny sample: 1,000 savers, 2 years.
    _set_slider(page, "Savers simulated", ["Home"])
    _set_slider(page, "Years", ["Home", "ArrowRight"])
    page.get_by_text("Savers simulated: 1,000").wait_for()
    page.get_by_text("Years: 2").wait_for()

    first = _run(page)
    page.get_by_text("Done:").wait_for()
    page.locator(".alt401k-live").wait_for()
    page.screenshot(path=str(SCREENSHOT), full_page=True)
    alt_first = first["Assets in alternatives at horizon $B"]
    assert alt_first[0] > alt_first[1] > 0, first

    # Switch every alternative off in every channel and run again with the same seed.
    boxes = page.locator("[class*='lever-'] input[type=checkbox]")
    assert boxes.count() == 15
    for i in range(boxes.count()):
        page.locator("[class*='lever-'] input[type=checkbox]").nth(i).click(force=True)
    page.get_by_text("Changed from base:").wait_for()
    second = _run(page)
    alt_second = second["Assets in alternatives at horizon $B"]
    assert alt_second[1] == pytest.approx(alt_first[1]), "status quo must not change (same seed)"
    assert alt_second[0] < alt_first[0], (first, second)
    assert (
        second["Plans offering any alternative at horizon %"][0]
        < first["Plans offering any alternative at horizon %"][0]
    )

    # Export the settings and load them back with the model's loader.
    with page.expect_download() as download:
        page.get_by_role("button", name="Export settings as scenario TOML").click()
    exported = tmp_path / "variant.toml"
    download.value.save_as(exported)
    from alt401k.model.policy import load_scenario

    scenario = load_scenario(exported)
    state = scenario.state_at(scenario.changes[-1].effective)
    # broad-access builds on eo-14330, which builds on status-quo (its case law, ODD §7.10).
    assert scenario.based_on == ("status-quo", "eo-14330", "broad-access")
    assert not any(state.allowed.values())

    with page.expect_download() as download:
        page.get_by_role("button", name="Download monthly series (CSV)").click()
    csv = tmp_path / "series.csv"
    download.value.save_as(csv)
    assert csv.read_text().startswith("scenario,replication,date,month")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"title = \n", "invalid TOML"),
        (
            b'title = "x"\ndescription = "y"\n[[changes]]\nlever = "safe_harbor.strength"\n'
            b'value = 3.0\neffective = 2026-01-01\nsource = "test"\n',
            "safe_harbor.strength must lie in",
        ),
        (b'title = "x"\ndescription = "y"\nbogus = 1\n', "unknown key"),
    ],
)
def test_malformed_upload_shows_a_message(page, content, message):
    page.set_input_files(
        "[data-testid=scenario-upload]",
        files=[{"name": "bad.toml", "mimeType": "text/plain", "buffer": content}],
    )
    error = page.locator(".alt401k-scenario-error")
    error.wait_for()
    page.get_by_text(message, exact=False).first.wait_for()
    assert "Traceback" not in page.locator("body").inner_text()
    assert "Cannot use bad.toml" in error.inner_text()
