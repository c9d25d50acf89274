"""Headless Chromium for page tests: Debian's ``chromium`` driven by Playwright (never a downloaded
browser), in a context that can reach only ``*.localhost`` hosts, so nothing leaves this machine."""

from __future__ import annotations

import contextlib
import re
from collections.abc import AsyncIterator

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]
LOCAL_HOSTS_ONLY = re.compile(r"^(?!http://[a-z0-9-]+\.localhost:\d+/).*")


@contextlib.asynccontextmanager
async def chromium() -> AsyncIterator:
    """A launched browser; launching costs seconds, so share one across a module's tests."""
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            await browser.close()


async def local_page(browser):
    """A page in a fresh context (its own cookies) that can reach only ``*.localhost`` hosts."""
    context = await browser.new_context()
    await context.route(LOCAL_HOSTS_ONLY, lambda route: route.abort())
    return await context.new_page()
