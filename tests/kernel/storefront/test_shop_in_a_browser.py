"""The storefront in a real browser: headless Chromium (Debian's ``chromium``, driven by Playwright)
against the app served by uvicorn in its own process, on the store's own host name."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from kernel.catalog.models import ProductVariant
from kernel.orders.models import Order
from tests.support import shop
from tests.support.plugin_server import plugin_server

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]

pytestmark = pytest.mark.slow


async def settle_on(page, url: re.Pattern) -> None:
    """Wait until the page has loaded ``url`` after a form went twice: Chromium aborts the first
    submission's navigation for the second's, and a wait caught on the first reports that abort
    (net::ERR_ABORTED) while the second is still on its way."""
    from playwright.async_api import Error as PlaywrightError

    for _ in range(3):
        try:
            await page.wait_for_url(url)
            return
        except PlaywrightError as error:
            if "ERR_ABORTED" not in str(error):
                raise
    await page.wait_for_url(url)


@pytest.fixture(scope="module")
def server(settings, database):
    with plugin_server(settings, database.url, []) as base:
        yield int(base.rsplit(":", 1)[1])


@pytest.fixture
async def page():
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        context = await browser.new_context()
        # Nothing leaves this machine: only the app's own hosts are reachable.
        await context.route(re.compile(r"^(?!http://[a-z0-9-]+\.localhost:\d+/).*"), lambda route: route.abort())
        yield await context.new_page()
        await browser.close()


async def test_a_shopper_buys_in_the_browser_and_a_double_click_orders_once(server, page, factory):
    store = await factory.store(name="Browser Shop")
    await shop.standard_plugins(factory, store, tax={"rates": [{"country": "US", "region": "CA", "rate_bp": 725,
                                                                "name": "CA sales tax"}]})
    v = await shop.variant(factory, store, price=2000, stock=5, name="Blue mug")
    await page.goto(f"http://{store.slug}.localhost:{server}/")
    await page.get_by_role("link", name="Blue mug").click()
    await page.fill("#quantity", "9")
    await page.click("#add-to-cart")
    assert "only 5" in (await page.get_by_role("alert").inner_text()).lower()  # refused, said on the page

    await page.fill("#quantity", "2")
    await page.click("#add-to-cart")
    assert page.url.endswith("/cart") and await page.inner_text("#subtotal") == "$40.00"
    assert await page.inner_text("#cart-link") == "Cart (2)"

    await page.click("#checkout")
    await page.fill("#email", "ada@example.com")
    for field, value in shop.US_ADDRESS.items():
        await page.fill(f"#{field}", value)
    await page.click("#save")
    await page.check("input[value='shipping_methods:express']")
    await page.check("input[value='manual_payments:bank_transfer']")
    await page.click("#save")
    total = await page.inner_text("#total")
    assert total.startswith("$") and total != "$40.00"

    await page.dblclick("#place-order")  # an impatient shopper: the form goes twice
    await settle_on(page, re.compile(r"/checkout/complete$"))
    assert await page.inner_text("#order-number") == "1"
    assert await page.inner_text("#order-total") == total
    assert "Please transfer " + total in await page.inner_text("#payment-instructions")
    await page.goto(f"http://{store.slug}.localhost:{server}/checkout")  # the cart was ordered: nothing to check out
    assert page.url.endswith("/cart") and "Your cart is empty." in await page.inner_text("main")

    async with factory.session(store) as session:
        orders = (await session.execute(select(Order))).scalars().all()
        assert [(o.number, o.email, o.shipping_code) for o in orders] == [(1, "ada@example.com", "express")]
        assert (await session.get(ProductVariant, v.id)).stock_on_hand == 3
