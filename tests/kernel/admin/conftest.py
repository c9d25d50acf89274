"""One dashboard server and one Chromium for every admin browser test (per backend): the server is a
real uvicorn process on 127.0.0.1 whose mail goes to a real SMTP server (aiosmtpd) in this process.

Screenshots land in ``<pytest basetemp>/admin-screenshots`` (or ``$PYCOMMERCE_SCREENSHOTS``)."""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from tests.support.mail import Capture, free_port
from tests.support.plugin_server import plugin_server

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]
AXE = Path(__file__).resolve().parents[2] / "support" / "vendor" / "axe-core" / "axe.min.js"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}


@dataclass
class Dashboard:
    base: str
    mail: Capture
    screenshots: Path


@pytest.fixture(scope="session")
def dashboard(settings, database, tmp_path_factory):
    capture = Capture()
    port = free_port()
    controller = Controller(capture, hostname="127.0.0.1", port=port)
    controller.start()
    shots = Path(os.environ.get("PYCOMMERCE_SCREENSHOTS") or tmp_path_factory.mktemp("admin-screenshots"))
    try:
        # No job worker in the server: it lives for the whole session and must not take other tests' jobs.
        with plugin_server(settings, database.url, ["tests.plugins.courier:courier"], env={
                "PYCOMMERCE_RUN_WORKER_IN_PROCESS": "false", "PYCOMMERCE_MAIL_BACKEND": "smtp",
                "PYCOMMERCE_SMTP_HOST": "127.0.0.1", "PYCOMMERCE_SMTP_PORT": str(port)}) as base:
            yield Dashboard(base, capture, shots / database.backend)
    finally:
        controller.stop()


@pytest.fixture(scope="session")
async def chromium():
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        await browser.close()


@pytest.fixture
async def page(chromium, dashboard):
    """A fresh browser profile (no cookies) on the dashboard; nothing leaves 127.0.0.1."""
    context = await chromium.new_context(viewport=DESKTOP)
    await context.route(re.compile(r"^(?!http://127\.0\.0\.1:\d+/).*"), lambda route: route.abort())
    page = await context.new_page()
    yield page
    await context.close()


async def sign_in(page, dashboard: Dashboard, email: str, password: str = "correct-horse-9") -> None:
    await page.goto(f"{dashboard.base}/admin/login")
    await page.fill("#email", email)
    await page.fill("#password", password)
    await page.click("#sign-in")
    await page.wait_for_load_state()


async def serious_violations(page) -> list[str]:
    """axe-core's serious and critical findings on the page as it stands."""
    await page.add_script_tag(path=str(AXE))
    result = await page.evaluate("async () => JSON.stringify(await axe.run(document))")
    return [f"{v['id']}: {v['help']} ({len(v['nodes'])}×, e.g. {v['nodes'][0]['html'][:120]})"
            for v in json.loads(result)["violations"] if v["impact"] in ("serious", "critical")]


async def screenshots(page, dashboard: Dashboard, name: str) -> None:
    """The page at desktop width and at a phone's 390 px, full length; the phone view must not
    scroll sideways."""
    dashboard.screenshots.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(dashboard.screenshots / f"{name}-desktop.png"), full_page=True)
    await page.set_viewport_size(PHONE)
    await page.screenshot(path=str(dashboard.screenshots / f"{name}-390.png"), full_page=True)
    overflow = await page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    culprits = await page.evaluate("""() => [...document.querySelectorAll('body *')]
        .filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
        .slice(0, 5).map(e => e.tagName + '#' + e.id + '.' + e.className)""")
    await page.set_viewport_size(DESKTOP)
    assert overflow <= 0, f"{name} scrolls sideways at 390 px by {overflow} px: {culprits}"
