"""The Stripe.js and PayPal JS SDK stand-ins in headless Chromium, on a small merchant page of the
kind the payment plugins will render: card form, 3-D Secure page, redirect back; PayPal buttons,
buyer approval, server-side capture."""

from __future__ import annotations

import json
import re

import httpx
import pytest
import stripe

from tests.support.browser import chromium, local_page
from tests.support.payments.server import ImitationServer, Request, Response

pytestmark = pytest.mark.slow

STRIPE_PAGE = """<!doctype html><html><head><script src="{stripe_js}"></script></head><body>
<form id="payment-form"><div id="payment-element"></div><button id="pay" type="submit">Pay</button></form>
<script>
  const stripe = Stripe({publishable_key});
  const elements = stripe.elements({{clientSecret: {client_secret}}});
  elements.create("payment").mount("#payment-element");
  document.querySelector("#payment-form").addEventListener("submit", async (event) => {{
    event.preventDefault();
    await stripe.confirmPayment({{elements, confirmParams: {{return_url: {return_url}}}}});
  }});
</script></body></html>"""

PAYPAL_PAGE = """<!doctype html><html><head><script src="{sdk}"></script></head><body>
<div id="paypal-buttons"></div><p id="status"></p>
<script>
  paypal.Buttons({{
    createOrder: () => fetch("/paypal/orders", {{method: "POST"}}).then((r) => r.json()).then((o) => o.id),
    onApprove: (data) => fetch(`/paypal/orders/${{data.orderID}}/capture`, {{method: "POST"}})
      .then((r) => r.json()).then((o) => {{ document.querySelector("#status").textContent = o.status; }}),
  }}).render("#paypal-buttons");
</script></body></html>"""


class Shop(ImitationServer):
    """The merchant's side: pages that load the providers' scripts, and the PayPal server calls."""
    browser_host = "shop"

    def __init__(self, stripe_imitation, paypal_imitation, paypal_account) -> None:
        super().__init__()
        self.stripe, self.paypal, self.paypal_account = stripe_imitation, paypal_imitation, paypal_account
        self.stripe_page: dict[str, str] = {}
        self._paypal_api: httpx.Client | None = None
        self.paypal_orders: list[str] = []  # the ids of the orders the shop created
        self.router.add("GET", "/stripe", lambda request, fault: Response.html(STRIPE_PAGE.format(**{
            name: json.dumps(value) if name != "stripe_js" else value for name, value in self.stripe_page.items()})))
        self.router.add("GET", "/stripe/return", lambda request, fault: Response.html(
            f"<p id='redirect-status'>{request.query.get('redirect_status')}</p>"))
        self.router.add("GET", "/paypal", lambda request, fault: Response.html(PAYPAL_PAGE.format(
            sdk=f"{paypal_imitation.browser_url}/sdk/js?client-id={paypal_account.client_id}&currency=EUR")))
        self.router.add("POST", "/paypal/orders", self._create_order)
        self.router.add("POST", "/paypal/orders/{id}/capture", self._capture_order)

    def stop(self) -> None:
        super().stop()
        if self._paypal_api is not None:
            self._paypal_api.close()

    def _api(self) -> httpx.Client:
        """One client and one token for the shop, as the plugin caches them per store."""
        if self._paypal_api is None:
            self._paypal_api = httpx.Client(base_url=self.paypal.url)
            token = self._paypal_api.post("/v1/oauth2/token", data={"grant_type": "client_credentials"},
                                          auth=(self.paypal_account.client_id, self.paypal_account.client_secret))
            self._paypal_api.headers["Authorization"] = f"Bearer {token.json()['access_token']}"
        return self._paypal_api

    def _create_order(self, request: Request, fault) -> Response:
        order = self._api().post("/v2/checkout/orders", json={"intent": "CAPTURE", "purchase_units": [
            {"amount": {"currency_code": "EUR", "value": "24.50"}, "custom_id": "payment-1"}]})
        self.paypal_orders.append(order.json()["id"])
        return Response.json(order.status_code, order.json())

    def _capture_order(self, request: Request, fault) -> Response:
        captured = self._api().post(f"/v2/checkout/orders/{request.params['id']}/capture", json={},
                                    headers={"PayPal-Request-Id": f"capture-{request.params['id']}"})
        return Response.json(captured.status_code, captured.json())


@pytest.fixture(scope="module")
async def browser():
    async with chromium() as launched:
        yield launched


@pytest.fixture
async def shop_and_page(browser, stripe_imitation, paypal_imitation, paypal_account):
    shop = Shop(stripe_imitation, paypal_imitation, paypal_account)
    with shop.running():
        page = await local_page(browser)
        yield shop, page
        await page.context.close()


async def test_a_card_is_declined_then_a_3d_secure_card_pays_through_the_bank_page(shop_and_page, stripe_imitation,
                                                                                   stripe_account):
    shop, page = shop_and_page
    client = stripe.StripeClient(stripe_account.secret_key, base_addresses={"api": stripe_imitation.url},
                                 http_client=stripe.HTTPXClient(), max_network_retries=0)
    pi = await client.v1.payment_intents.create_async(params={"amount": 4200, "currency": "eur"})
    shop.stripe_page.update(stripe_js=f"{stripe_imitation.browser_url}/v3/",
                            publishable_key=stripe_account.publishable_key, client_secret=pi.client_secret,
                            return_url=f"{shop.browser_url}/stripe/return")
    await page.goto(f"{shop.browser_url}/stripe")

    await page.fill("#stripe-card-number", "4000 0000 0000 0002")
    await page.click("#pay")
    await page.wait_for_function("document.querySelector('#stripe-card-error').textContent !== ''")
    assert await page.inner_text("#stripe-card-error") == "Your card was declined."
    assert stripe_imitation.object(pi.id)["status"] == "requires_payment_method"

    await page.fill("#stripe-card-number", "4000 0027 6000 3184")
    await page.click("#pay")
    await page.wait_for_url(re.compile(r"/3ds/pi_"))
    await page.click("#three-ds-complete")
    await page.wait_for_url(re.compile(r"/stripe/return\?"))
    assert await page.inner_text("#redirect-status") == "succeeded"
    assert f"payment_intent={pi.id}" in page.url
    assert stripe_imitation.object(pi.id)["status"] == "succeeded"
    assert (stripe_imitation.count("declined", pi.id), stripe_imitation.count("captured", pi.id)) == (1, 1)


async def test_the_paypal_buttons_create_approve_and_capture_an_order(shop_and_page, paypal_imitation):
    shop, page = shop_and_page
    await page.goto(f"{shop.browser_url}/paypal")
    await page.click("#paypal-button")
    await page.click("#paypal-popup-approve")
    await page.wait_for_function("document.querySelector('#status').textContent !== ''")
    assert await page.inner_text("#status") == "COMPLETED"
    [order_id] = shop.paypal_orders
    assert paypal_imitation.object(order_id)["status"] == "COMPLETED"
    assert (paypal_imitation.count("approved", order_id), paypal_imitation.count("captured", order_id)) == (1, 1)
