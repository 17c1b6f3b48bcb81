"""The page and the report in a real browser (headless Chromium through Playwright), with every
request that leaves the loopback address blocked: ``cxsim dashboard`` draws its charts, a changed
control and a step change what a chart shows, the side-by-side view states its headline — all
without the internet — and a report of a comparison shows its headline and loads every image.

Screenshots go to ``results/screenshots/``. Without a Chromium binary (``make test`` installs
Debian's where apt is available) the tests are skipped, with the reason shown.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from urllib.parse import urlparse

import pytest
from conftest import REPO_ROOT, write_small_scenario

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="no chromium on PATH: browser tests skipped (make test installs it where apt exists)"
)
playwright = pytest.importorskip("playwright.sync_api", reason="playwright is missing (pip install 'cxsim[test]')")

SHOTS = REPO_ROOT / "results" / "screenshots"
LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}
#: seconds the server may take to answer (it imports Solara and Mesa; the machine may be busy)
START_TIMEOUT = 90


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``cxsim dashboard`` on a small scenario, on a free loopback port, in its own process."""
    folder = tmp_path_factory.mktemp("dashboard")
    scenario = write_small_scenario(folder)
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    # the server must not reach out either: a proxy that is nowhere catches any attempt
    env.update({"HTTP_PROXY": "http://127.0.0.1:9", "HTTPS_PROXY": "http://127.0.0.1:9", "NO_PROXY": "127.0.0.1"})
    proc = subprocess.Popen(
        [sys.executable, "-m", "sim.cli", "dashboard", str(scenario), "--port", str(port)],
        cwd=folder,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + START_TIMEOUT
    try:
        while True:
            try:
                with urllib.request.urlopen(url, timeout=2) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail(f"cxsim dashboard did not start: {proc.communicate()[0]}")
            time.sleep(0.25)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


class Offline:
    """A headless Chromium page that aborts (and records) every request leaving the loopback address."""

    def __init__(self, browser) -> None:  # type: ignore[no-untyped-def]
        self.attempts: list[str] = []
        self.failures: list[str] = []
        self.page = browser.new_page(viewport={"width": 1400, "height": 1000})
        self.page.route("**/*", self._route)
        self.page.on("response", lambda r: self.failures.append(f"{r.status} {r.url}") if r.status >= 400 else None)

    def _route(self, route) -> None:  # type: ignore[no-untyped-def]
        url = route.request.url
        host = urlparse(url).hostname
        if url.startswith(("data:", "blob:", "file:")) or host in LOOPBACK:
            route.continue_()
        else:
            self.attempts.append(url)
            route.abort()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with playwright.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"], headless=True)
        yield chromium
        chromium.close()


def kpi_text(page) -> str:  # type: ignore[no-untyped-def]
    return page.locator("#cx-kpis").inner_text()


def test_the_page_works_offline_and_the_controls_and_steps_change_the_charts(server, browser):
    SHOTS.mkdir(parents=True, exist_ok=True)
    tab = Offline(browser)
    page = tab.page
    page.goto(server)
    page.locator(".cx-chart-journey_funnel canvas").wait_for(timeout=60_000)
    assert "0 of 30" in kpi_text(page)

    # a control: the transfer meeting, then Reset builds the company it describes
    page.locator("label", has_text="Transfer meeting at handoff").click()  # Vuetify's box sits under its ripple
    assert page.get_by_role("checkbox", name="Transfer meeting at handoff").is_checked()
    page.get_by_role("button", name="Reset").click()
    step = page.get_by_role("button", name="Step")
    for week in (1, 2, 3):
        step.click()
        page.wait_for_function(f"document.querySelector('#cx-kpis').innerText.includes('{week} of 30')")
    chart = page.locator(".cx-chart-nps")
    chart.locator("canvas").wait_for()
    time.sleep(0.5)  # Vega redraws after a short debounce
    before = chart.screenshot()
    text_before = kpi_text(page)
    for week in (4, 5, 6, 7, 8):
        step.click()
        page.wait_for_function(f"document.querySelector('#cx-kpis').innerText.includes('{week} of 30')")
    time.sleep(0.8)
    after = chart.screenshot(path=str(SHOTS / "dashboard_nps_chart.png"))
    assert after != before, "the NPS chart looks the same after five more weeks"
    assert kpi_text(page) != text_before
    page.screenshot(path=str(SHOTS / "dashboard_live.png"))

    # the side-by-side view: two policies, their difference with a band, the headline in words
    page.get_by_role("tab", name="Side by side").click()
    reps = page.get_by_label("Replications (2 to 30)")
    reps.fill("2")
    reps.press("Enter")
    page.get_by_role("button", name="Run both policies").click()
    headline = page.locator("#cx-headline")
    headline.wait_for(timeout=120_000)
    text = headline.inner_text()
    assert text.startswith("With the transfer meeting at handoff and user stories, annual churn is ")
    assert "95 % CI" in text and "(2 paired replications)" in text
    page.locator(".vega-embed canvas").nth(7).wait_for()
    time.sleep(0.5)
    page.screenshot(path=str(SHOTS / "dashboard_side_by_side.png"))

    assert tab.attempts == [], f"the page tried to leave this machine: {tab.attempts}"
    assert tab.failures == [], f"requests the server could not answer: {tab.failures}"


def test_a_comparison_report_reads_and_loads_in_the_browser(tmp_path, browser):
    from test_report import small_comparison

    from sim.report.build import write_report

    folder, _ = small_comparison(tmp_path)
    path, answer = write_report(folder)
    tab = Offline(browser)
    page = tab.page
    page.goto(path.as_uri())
    page.wait_for_load_state("load")
    assert page.locator("#headline").inner_text() == answer
    widths = page.evaluate("Array.from(document.images).map(i => i.complete ? i.naturalWidth : 0)")
    assert len(widths) == 2 and all(w > 0 for w in widths), widths
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "report_comparison.png"), full_page=True)
    assert tab.attempts == []
