"""A shopper's browser for storefront page tests: an HTTP client on the store's own host that keeps
its cookies and reads the forms' hidden fields out of the pages, as a browser would."""

from __future__ import annotations

import re

import httpx

_HIDDEN = re.compile(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)">')


def hidden_fields(html: str, form_id: str | None = None) -> dict[str, str]:
    """The hidden inputs of the page's first form that posts (or of the form with ``id=form_id``)."""
    start = html.index(f'id="{form_id}"' if form_id is not None else '<form method="post"')
    return dict(_HIDDEN.findall(html[start:html.index("</form>", start)]))


def shopper(app, store) -> httpx.AsyncClient:
    """A client whose requests go to ``store``'s storefront host (``<slug>.localhost``)."""
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=f"http://{store.slug}.localhost",
                             follow_redirects=False)


async def form_page(browser: httpx.AsyncClient, path: str, form_id: str | None = None) -> dict[str, str]:
    """GET a page and return its form's hidden fields (the CSRF token, a form token…)."""
    page = await browser.get(path)
    assert page.status_code == 200, page.text
    return hidden_fields(page.text, form_id)


async def add_to_cart(browser: httpx.AsyncClient, product_slug: str, variant_id: int, quantity: int = 1):
    fields = await form_page(browser, f"/products/{product_slug}")
    return await browser.post("/cart/add", data={**fields, "variant_id": str(variant_id), "quantity": str(quantity)})


async def fill_checkout(browser: httpx.AsyncClient, address: dict, *, email: str = "shopper@example.com",
                        rate: str | None = None, method: str | None = None):
    fields = await form_page(browser, "/checkout", "details")
    data = {**fields, "email": email, **address}
    if rate:
        data["shipping_rate_id"] = rate
    if method:
        data["payment_method_id"] = method
    return await browser.post("/checkout", data=data)
