"""The local PayPal, driven through plain httpx as the PayPal plugin will drive it: OAuth, Orders v2,
buyer approval, capture, authorizations, refunds, ``PayPal-Request-Id`` and webhook verification."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.support.payments.server import ImitationServer, Response


def token_for(client: httpx.Client, account) -> str:
    answer = client.post("/v1/oauth2/token", auth=(account.client_id, account.client_secret),
                         data={"grant_type": "client_credentials"})
    assert answer.status_code == 200, answer.text
    return answer.json()["access_token"]


def api_for(transport, imitation, account, *, timeout: float = 5) -> httpx.Client:
    """A client for ``account``'s REST app, with a fresh token, asking for full representations."""
    client = httpx.Client(transport=transport, base_url=imitation.url, timeout=timeout,
                          headers={"Prefer": "return=representation"})
    client.headers["Authorization"] = f"Bearer {token_for(client, account)}"
    return client


@pytest.fixture
def api(http_transport, paypal_imitation, paypal_account) -> httpx.Client:
    # Not closed: closing a client closes the shared transport.
    return api_for(http_transport, paypal_imitation, paypal_account)


def order_body(value="19.99", currency="EUR", intent="CAPTURE", **unit):
    return {"intent": intent, "purchase_units": [{"amount": {"currency_code": currency, "value": value}, **unit}]}


def create_order(api, **kwargs) -> dict:
    answer = api.post("/v2/checkout/orders", json=order_body(**kwargs))
    assert answer.status_code == 201, answer.text
    return answer.json()


def captured_order(paypal_imitation, api, value="30.00") -> dict:
    """An approved and captured order's capture."""
    order = create_order(api, value=value)
    paypal_imitation.approve(order["id"])
    answer = api.post(f"/v2/checkout/orders/{order['id']}/capture", json={})
    assert answer.status_code == 201, answer.text
    return answer.json()["purchase_units"][0]["payments"]["captures"][0]


def issue(answer: httpx.Response) -> tuple[int, str]:
    return answer.status_code, answer.json()["details"][0]["issue"]


def verification(headers: Mapping[str, str], event: dict, webhook_id: str) -> dict:
    """The verify-webhook-signature request for a delivery's headers and event, as the plugin builds it."""
    sent = {name.upper(): value for name, value in headers.items()}
    return {"auth_algo": sent["PAYPAL-AUTH-ALGO"], "cert_url": sent["PAYPAL-CERT-URL"],
            "transmission_id": sent["PAYPAL-TRANSMISSION-ID"], "transmission_sig": sent["PAYPAL-TRANSMISSION-SIG"],
            "transmission_time": sent["PAYPAL-TRANSMISSION-TIME"], "webhook_id": webhook_id, "webhook_event": event}


def test_a_token_needs_the_client_secret_and_stops_working_when_it_expires(http, paypal_imitation, paypal_account):
    wrong = http.post(f"{paypal_imitation.url}/v1/oauth2/token", auth=(paypal_account.client_id, "not-the-secret"),
                       data={"grant_type": "client_credentials"})
    assert (wrong.status_code, wrong.json()["error"]) == (401, "invalid_client")
    issued = http.post(f"{paypal_imitation.url}/v1/oauth2/token",
                        auth=(paypal_account.client_id, paypal_account.client_secret),
                        data={"grant_type": "client_credentials"}).json()
    assert issued["token_type"] == "Bearer" and issued["expires_in"] == paypal_imitation.token_lifetime
    headers = {"Authorization": f"Bearer {issued['access_token']}"}
    order = http.post(f"{paypal_imitation.url}/v2/checkout/orders", json=order_body(), headers=headers)
    assert order.status_code == 201

    paypal_imitation.expire_tokens()
    expired = http.get(f"{paypal_imitation.url}/v2/checkout/orders/{order.json()['id']}", headers=headers)
    assert (expired.status_code, expired.json()["error"]) == (401, "invalid_token")
    assert paypal_imitation.count("token_issued", paypal_account.client_id) == 1


def test_an_order_is_created_approved_by_the_buyer_and_captured(http, paypal_imitation, api):
    minimal = api.post("/v2/checkout/orders", json=order_body(custom_id="payment-5", invoice_id="S1-1005"),
                       headers={"Prefer": "return=minimal"}).json()
    assert set(minimal) == {"id", "status", "links"} and minimal["status"] == "CREATED"
    links = {link["rel"]: link["href"] for link in minimal["links"]}
    assert links["approve"].startswith(paypal_imitation.browser_url) and links["capture"].endswith("/capture")

    early = api.post(f"/v2/checkout/orders/{minimal['id']}/capture", json={})
    assert issue(early) == (422, "ORDER_NOT_APPROVED")

    page = http.get(f"{paypal_imitation.url}/checkoutnow", params={"token": minimal["id"]})
    assert page.status_code == 200 and "19.99 EUR" in page.text
    assert api.get(f"/v2/checkout/orders/{minimal['id']}").json()["status"] == "CREATED"
    paypal_imitation.approve(minimal["id"])
    assert api.get(f"/v2/checkout/orders/{minimal['id']}").json()["status"] == "APPROVED"

    captured = api.post(f"/v2/checkout/orders/{minimal['id']}/capture", json={})
    assert captured.status_code == 201 and captured.json()["status"] == "COMPLETED"
    capture = captured.json()["purchase_units"][0]["payments"]["captures"][0]
    assert (capture["status"], capture["amount"], capture["custom_id"], capture["invoice_id"]) == (
        "COMPLETED", {"currency_code": "EUR", "value": "19.99"}, "payment-5", "S1-1005")
    assert issue(api.post(f"/v2/checkout/orders/{minimal['id']}/capture", json={})) == (422, "ORDER_ALREADY_CAPTURED")
    assert paypal_imitation.count("captured", minimal["id"]) == 1


def test_the_approval_page_sends_the_buyer_back_to_the_shop(http, paypal_imitation, api):
    body = {**order_body(), "payment_source": {"paypal": {"experience_context": {
        "return_url": "https://shop.example/paypal/return", "cancel_url": "https://shop.example/paypal/cancel"}}}}
    order = api.post("/v2/checkout/orders", json=body).json()
    back = http.post(f"{paypal_imitation.url}/checkoutnow/{order['id']}", data={"answer": "approve"})
    assert back.status_code == 303
    location = urlsplit(back.headers["Location"])
    assert location.path == "/paypal/return" and parse_qs(location.query)["token"] == [order["id"]]
    approved = api.get(f"/v2/checkout/orders/{order['id']}").json()
    assert approved["status"] == "APPROVED" and parse_qs(location.query)["PayerID"] == [approved["payer"]["payer_id"]]

    other = api.post("/v2/checkout/orders", json=body).json()
    cancelled = http.post(f"{paypal_imitation.url}/checkoutnow/{other['id']}", data={"answer": "cancel"})
    assert urlsplit(cancelled.headers["Location"]).path == "/paypal/cancel"
    assert api.get(f"/v2/checkout/orders/{other['id']}").json()["status"] == "CREATED"


def test_amounts_are_decimal_strings_in_the_currencys_precision(api):
    assert issue(api.post("/v2/checkout/orders", json=order_body("1000.5", "JPY"))) == (422, "DECIMAL_PRECISION")
    assert issue(api.post("/v2/checkout/orders", json=order_body("19.999"))) == (422, "DECIMAL_PRECISION")
    assert api.post("/v2/checkout/orders", json=order_body(19.99)).status_code == 400
    assert api.post("/v2/checkout/orders", json={"intent": "SALE", "purchase_units": []}).status_code == 400
    assert create_order(api, value="1000", currency="JPY")["purchase_units"][0]["amount"]["value"] == "1000"


def test_partial_refunds_add_up_to_the_capture_and_no_further(paypal_imitation, api):
    capture = captured_order(paypal_imitation, api, "30.00")
    first = api.post(f"/v2/payments/captures/{capture['id']}/refund",
                     json={"amount": {"currency_code": "EUR", "value": "10.00"}, "note_to_payer": "Scarf returned"})
    assert first.status_code == 201 and first.json()["status"] == "COMPLETED"
    assert api.get(f"/v2/payments/captures/{capture['id']}").json()["status"] == "PARTIALLY_REFUNDED"

    beyond = api.post(f"/v2/payments/captures/{capture['id']}/refund",
                      json={"amount": {"currency_code": "EUR", "value": "20.01"}})
    assert issue(beyond) == (422, "REFUND_AMOUNT_EXCEEDED")
    other_currency = api.post(f"/v2/payments/captures/{capture['id']}/refund",
                              json={"amount": {"currency_code": "USD", "value": "1.00"}})
    assert issue(other_currency) == (422, "REFUND_CURRENCY_MISMATCH")
    rest = api.post(f"/v2/payments/captures/{capture['id']}/refund", json={}).json()  # no amount: all that is left
    assert rest["amount"] == {"currency_code": "EUR", "value": "20.00"}
    assert api.get(f"/v2/payments/refunds/{first.json()['id']}").json()["note_to_payer"] == "Scarf returned"
    assert api.get(f"/v2/payments/captures/{capture['id']}").json()["status"] == "REFUNDED"
    assert issue(api.post(f"/v2/payments/captures/{capture['id']}/refund", json={})) == (422, "CAPTURE_FULLY_REFUNDED")
    assert paypal_imitation.count("refunded", capture["id"]) == 2


def test_a_request_id_replays_the_first_answer_and_refuses_another_body(paypal_imitation, api):
    first = api.post("/v2/checkout/orders", json=order_body(), headers={"PayPal-Request-Id": "payment-8"})
    again = api.post("/v2/checkout/orders", json=order_body(), headers={"PayPal-Request-Id": "payment-8"})
    assert again.status_code == 201 and again.json()["id"] == first.json()["id"]
    assert paypal_imitation.count("created", first.json()["id"]) == 1
    other = api.post("/v2/checkout/orders", json=order_body("5.00"), headers={"PayPal-Request-Id": "payment-8"})
    assert issue(other) == (422, "PAYPAL_REQUEST_ID_PREVIOUSLY_USED")


def test_a_capture_that_times_out_then_is_retried_with_its_request_id_captures_once(paypal_imitation, api):
    order = create_order(api)
    paypal_imitation.approve(order["id"])
    paypal_imitation.faults.inject("POST /v2/checkout/orders/*/capture", "slow_reply", seconds=2)
    with pytest.raises(httpx.TimeoutException):
        api.post(f"/v2/checkout/orders/{order['id']}/capture", json={}, headers={"PayPal-Request-Id": "capture-8"},
                 timeout=0.5)
    retried = api.post(f"/v2/checkout/orders/{order['id']}/capture", json={},
                       headers={"PayPal-Request-Id": "capture-8"})
    assert retried.status_code == 201 and retried.json()["status"] == "COMPLETED"
    assert paypal_imitation.count("captured", order["id"]) == 1


def test_a_500_or_a_declined_instrument_captures_nothing(paypal_imitation, api):
    order = create_order(api)
    paypal_imitation.approve(order["id"])
    paypal_imitation.faults.inject("POST /v2/checkout/orders/*/capture", "error_500")
    failed = api.post(f"/v2/checkout/orders/{order['id']}/capture", json={}, headers={"PayPal-Request-Id": "c-9"})
    assert (failed.status_code, failed.json()["name"]) == (500, "INTERNAL_SERVER_ERROR")
    paypal_imitation.faults.inject("POST /v2/checkout/orders/*/capture", "decline")
    assert issue(api.post(f"/v2/checkout/orders/{order['id']}/capture", json={})) == (422, "INSTRUMENT_DECLINED")
    assert api.get(f"/v2/checkout/orders/{order['id']}").json()["status"] == "APPROVED"
    assert paypal_imitation.count("captured", order["id"]) == 0
    assert api.post(f"/v2/checkout/orders/{order['id']}/capture", json={},
                    headers={"PayPal-Request-Id": "c-9"}).status_code == 201  # the 500 was not kept for replay


def test_an_authorization_is_captured_in_part_or_voided(paypal_imitation, api):
    order = create_order(api, value="50.00", intent="AUTHORIZE")
    paypal_imitation.approve(order["id"])
    assert issue(api.post(f"/v2/checkout/orders/{order['id']}/capture", json={})) == (
        422, "ACTION_DOES_NOT_MATCH_INTENT")
    authorized = api.post(f"/v2/checkout/orders/{order['id']}/authorize", json={}).json()
    authorization = authorized["purchase_units"][0]["payments"]["authorizations"][0]
    assert authorization["status"] == "CREATED"
    too_much = api.post(f"/v2/payments/authorizations/{authorization['id']}/capture",
                        json={"amount": {"currency_code": "EUR", "value": "50.01"}})
    assert issue(too_much) == (422, "MAX_CAPTURE_AMOUNT_EXCEEDED")
    capture = api.post(f"/v2/payments/authorizations/{authorization['id']}/capture",
                       json={"amount": {"currency_code": "EUR", "value": "35.00"}, "final_capture": True}).json()
    assert (capture["status"], capture["amount"]["value"]) == ("COMPLETED", "35.00")
    assert api.get(f"/v2/payments/authorizations/{authorization['id']}").json()["status"] == "CAPTURED"

    held = create_order(api, intent="AUTHORIZE")
    paypal_imitation.approve(held["id"])
    held_authorization = api.post(f"/v2/checkout/orders/{held['id']}/authorize", json={}).json()[
        "purchase_units"][0]["payments"]["authorizations"][0]
    voided = api.post(f"/v2/payments/authorizations/{held_authorization['id']}/void", headers={"Prefer": ""})
    assert voided.status_code == 204
    assert api.get(f"/v2/payments/authorizations/{held_authorization['id']}").json()["status"] == "VOIDED"
    assert issue(api.post(f"/v2/payments/authorizations/{held_authorization['id']}/void")) == (
        422, "AUTHORIZATION_VOIDED")
    assert paypal_imitation.count("voided", held_authorization["id"]) == 1


def test_clients_see_only_their_own_orders(http_transport, paypal_imitation, api):
    order = create_order(api)
    other = api_for(http_transport, paypal_imitation, paypal_imitation.add_account())
    assert issue(other.get(f"/v2/checkout/orders/{order['id']}")) == (404, "INVALID_RESOURCE_ID")
    paypal_imitation.approve(order["id"])
    assert other.post(f"/v2/checkout/orders/{order['id']}/capture", json={}).status_code == 404


def test_a_webhook_verifies_only_as_it_was_sent(http_transport, paypal_imitation, api, paypal_account):
    webhook_id, other_webhook_id = paypal_account.add_webhook(), paypal_account.add_webhook()
    capture = captured_order(paypal_imitation, api)
    delivery = paypal_imitation.webhook(paypal_account, "PAYMENT.CAPTURE.COMPLETED", capture["id"], webhook_id)
    assert delivery.event["resource"]["id"] == capture["id"] and delivery.event["resource_type"] == "capture"

    def status(body, client=api):
        return client.post("/v1/notifications/verify-webhook-signature", json=body).json()["verification_status"]

    assert status(verification(delivery.headers, delivery.event, webhook_id)) == "SUCCESS"
    assert status(verification(delivery.headers, delivery.tampered().event, webhook_id)) == "FAILURE"
    assert status(verification(delivery.headers, delivery.event, other_webhook_id)) == "FAILURE"
    forged = {**verification(delivery.headers, delivery.event, webhook_id), "transmission_sig": "forged"}
    assert status(forged) == "FAILURE"
    other = api_for(http_transport, paypal_imitation, paypal_imitation.add_account())  # another store's app
    assert status(verification(delivery.headers, delivery.event, webhook_id), other) == "FAILURE"
    unsigned = {k: v for k, v in verification(delivery.headers, delivery.event, webhook_id).items()
                if k != "transmission_sig"}
    missing = api.post("/v1/notifications/verify-webhook-signature", json=unsigned)
    assert missing.status_code == 400


def test_state_changes_post_their_events_to_the_accounts_webhooks(paypal_imitation, api, paypal_account):
    received: list[tuple[bytes, dict]] = []
    receiver = ImitationServer()

    def record(request, fault):
        received.append((request.body, dict(request.headers.items())))
        return Response.json(200, {})

    receiver.router.add("POST", "/hooks/paypal", record)
    expected = ["CHECKOUT.ORDER.APPROVED", "PAYMENT.CAPTURE.DENIED", "CHECKOUT.ORDER.APPROVED",
                "PAYMENT.CAPTURE.COMPLETED", "PAYMENT.CAPTURE.REFUNDED"]
    with receiver.running():
        webhook_id = paypal_account.add_webhook(f"{receiver.url}/hooks/paypal")
        paypal_account.hold_captures = True
        pending = captured_order(paypal_imitation, api, "12.00")
        assert pending["status"] == "PENDING"
        paypal_imitation.settle_capture(pending["id"], "DECLINED")
        paypal_account.hold_captures = False
        capture = captured_order(paypal_imitation, api, "8.00")
        api.post(f"/v2/payments/captures/{capture['id']}/refund", json={})
        deadline = time.monotonic() + 5
        while len(paypal_account.deliveries.outcomes) < len(expected) and time.monotonic() < deadline:
            time.sleep(0.02)
    events = [json.loads(body) for body, _ in received]
    assert sorted(e["event_type"] for e in events) == sorted(expected)
    refunded = next(e for e in events if e["event_type"] == "PAYMENT.CAPTURE.REFUNDED")
    assert refunded["resource_type"] == "refund" and refunded["resource"]["amount"]["value"] == "8.00"
    statuses = {api.post("/v1/notifications/verify-webhook-signature",
                         json=verification(headers, event, webhook_id)).json()["verification_status"]
                for (_, headers), event in zip(received, events, strict=True)}
    assert statuses == {"SUCCESS"}


def test_the_js_sdk_stand_in_needs_a_known_client_id(http, paypal_imitation, paypal_account):
    assert http.get(f"{paypal_imitation.url}/sdk/js", params={"client-id": "unknown"}).status_code == 400
    script = http.get(f"{paypal_imitation.url}/sdk/js", params={"client-id": paypal_account.client_id})
    assert script.status_code == 200 and "Buttons" in script.text and paypal_account.client_id in script.text
