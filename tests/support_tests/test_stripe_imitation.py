"""The local Stripe, driven by the official ``stripe`` library (sync and async through ``HTTPXClient``), as
the Stripe plugin will drive it: what each call answers, what state it leaves, what it refuses."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import stripe

from tests.support.payments.server import ImitationServer, Response


def client_for(imitation, key: str, *, timeout: float = 5) -> stripe.StripeClient:
    return stripe.StripeClient(key, base_addresses={"api": imitation.url}, max_network_retries=0,
                               http_client=stripe.HTTPXClient(timeout=timeout, allow_sync_methods=True))


@pytest.fixture
def client(stripe_imitation, stripe_account) -> stripe.StripeClient:
    return client_for(stripe_imitation, stripe_account.secret_key)


def local(url: str, imitation) -> str:
    """A browser URL of the imitation (``stripe.localhost``) as a server-side client reaches it."""
    parts = urlsplit(url)
    return f"{imitation.url}{parts.path}?{parts.query}"


def verifies(body: bytes, header: str | None, secret: str) -> bool:
    try:
        stripe.Webhook.construct_event(body, header, secret)
    except stripe.SignatureVerificationError:
        return False
    return True


def held_intent(client, amount=2000, **params):
    """A payment intent authorised for ``amount`` with manual capture, waiting to be captured."""
    pi = client.v1.payment_intents.create(params={"amount": amount, "currency": "eur", "capture_method": "manual",
                                                  **params})
    return client.v1.payment_intents.confirm(pi.id, params={"payment_method": "pm_card_visa"})


def paid_intent(client, amount=2000):
    pi = client.v1.payment_intents.create(params={"amount": amount, "currency": "eur"})
    return client.v1.payment_intents.confirm(pi.id, params={"payment_method": "pm_card_visa"})


def test_a_payment_needing_3d_secure_succeeds_once_the_shopper_authenticates(stripe_imitation, client):
    pi = client.v1.payment_intents.create(params={
        "amount": 1999, "currency": "EUR", "metadata": {"order": "42", "store": "7"},
        "statement_descriptor_suffix": "ORDER 42", "automatic_payment_methods": {"enabled": True}})
    assert (pi.status, pi.amount, pi.currency, pi.capture_method) == (
        "requires_payment_method", 1999, "eur", "automatic_async")
    assert pi.metadata.to_dict() == {"order": "42", "store": "7"} and pi.automatic_payment_methods.enabled
    assert pi.client_secret.startswith(f"{pi.id}_secret_")

    pi = client.v1.payment_intents.confirm(pi.id, params={"payment_method": "pm_card_authenticationRequired",
                                                          "return_url": "https://shop.example/paid"})
    assert pi.status == "requires_action" and pi.next_action.type == "redirect_to_url"
    assert pi.next_action.redirect_to_url.return_url == "https://shop.example/paid"

    bank_page = httpx.get(local(pi.next_action.redirect_to_url.url, stripe_imitation))
    assert bank_page.status_code == 200 and "Complete authentication" in bank_page.text
    done = httpx.post(f"{stripe_imitation.url}/3ds/{pi.id}/complete",
                      data={"client_secret": pi.client_secret, "outcome": "complete"})
    assert done.status_code == 303
    back = urlsplit(done.headers["Location"])
    assert back.netloc == "shop.example" and parse_qs(back.query) == {
        "payment_intent": [pi.id], "payment_intent_client_secret": [pi.client_secret],
        "redirect_status": ["succeeded"]}

    pi = client.v1.payment_intents.retrieve(pi.id, params={"expand": ["latest_charge"]})
    assert (pi.status, pi.amount_received, pi.latest_charge.amount_captured) == ("succeeded", 1999, 1999)
    assert pi.metadata.to_dict() == {"order": "42", "store": "7"}
    assert stripe_imitation.count("captured", pi.id) == 1


async def test_a_manual_capture_takes_part_of_the_authorisation_and_releases_the_rest(stripe_imitation,
                                                                                      stripe_account):
    client = stripe.StripeClient(stripe_account.secret_key, base_addresses={"api": stripe_imitation.url},
                                 http_client=stripe.HTTPXClient(), max_network_retries=0)
    pi = await client.v1.payment_intents.create_async(params={"amount": 5000, "currency": "usd",
                                                              "capture_method": "manual"})
    pi = await client.v1.payment_intents.confirm_async(pi.id, params={"payment_method": "pm_card_visa"})
    assert (pi.status, pi.amount_capturable, pi.amount_received) == ("requires_capture", 5000, 0)

    pi = await client.v1.payment_intents.capture_async(pi.id, params={"amount_to_capture": 3000})
    assert (pi.status, pi.amount_received, pi.amount_capturable) == ("succeeded", 3000, 0)
    with pytest.raises(stripe.InvalidRequestError) as refused:
        await client.v1.payment_intents.capture_async(pi.id)
    assert (refused.value.http_status, refused.value.code) == (400, "payment_intent_unexpected_state")
    assert stripe_imitation.count("captured", pi.id) == 1


def test_capturing_more_than_was_authorised_is_refused(client):
    pi = held_intent(client, 2000)
    with pytest.raises(stripe.InvalidRequestError) as refused:
        client.v1.payment_intents.capture(pi.id, params={"amount_to_capture": 2001})
    assert (refused.value.code, refused.value.param) == ("amount_too_large", "amount_to_capture")
    assert client.v1.payment_intents.retrieve(pi.id).status == "requires_capture"


def test_a_declined_card_and_a_failed_3d_secure_leave_the_intent_waiting_for_another_method(stripe_imitation,
                                                                                           client):
    pi = client.v1.payment_intents.create(params={"amount": 1000, "currency": "eur"})
    with pytest.raises(stripe.CardError) as declined:
        client.v1.payment_intents.confirm(pi.id, params={"payment_method": "pm_card_chargeDeclinedInsufficientFunds"})
    assert (declined.value.http_status, declined.value.code) == (402, "card_declined")
    assert declined.value.error.decline_code == "insufficient_funds"
    pi = client.v1.payment_intents.retrieve(pi.id)
    assert pi.status == "requires_payment_method" and pi.last_payment_error.code == "card_declined"

    pi = client.v1.payment_intents.confirm(pi.id, params={"payment_method": "pm_card_threeDSecure2Required"})
    assert stripe_imitation.authenticate(pi.id, succeed=False)["status"] == "requires_payment_method"
    pi = client.v1.payment_intents.retrieve(pi.id)
    assert pi.last_payment_error.code == "payment_intent_authentication_failure"
    assert stripe_imitation.count("captured", pi.id) == 0


def test_an_idempotency_key_replays_the_first_answer_and_refuses_other_parameters(stripe_imitation, client):
    params = {"amount": 1500, "currency": "eur", "metadata": {"payment": "p-1"}}
    first = client.v1.payment_intents.create(params=params, options={"idempotency_key": "payment-p-1"})
    again = client.v1.payment_intents.create(params=params, options={"idempotency_key": "payment-p-1"})
    assert again.id == first.id and again.last_response.headers["Idempotent-Replayed"] == "true"
    assert stripe_imitation.count("created", first.id) == 1

    with pytest.raises(stripe.IdempotencyError) as refused:
        client.v1.payment_intents.create(params={**params, "amount": 1600}, options={"idempotency_key": "payment-p-1"})
    assert refused.value.http_status == 400 and "same parameters" in refused.value.user_message

    declined = client.v1.payment_intents.create(params={"amount": 100, "currency": "eur"})
    for _ in range(2):  # a decline is an answer like any other: replayed, not charged again
        with pytest.raises(stripe.CardError):
            client.v1.payment_intents.confirm(declined.id, params={"payment_method": "pm_card_chargeDeclined"},
                                              options={"idempotency_key": "confirm-1"})
    assert stripe_imitation.count("declined", declined.id) == 1


def test_keys_are_scoped_to_their_account(stripe_imitation, client):
    other = client_for(stripe_imitation, stripe_imitation.add_account().secret_key)
    mine = client.v1.payment_intents.create(params={"amount": 700, "currency": "eur"},
                                            options={"idempotency_key": "same-key"})
    theirs = other.v1.payment_intents.create(params={"amount": 700, "currency": "eur"},
                                             options={"idempotency_key": "same-key"})
    assert theirs.id != mine.id
    with pytest.raises(stripe.InvalidRequestError) as missing:
        other.v1.payment_intents.retrieve(mine.id)
    assert (missing.value.http_status, missing.value.code) == (404, "resource_missing")
    with pytest.raises(stripe.InvalidRequestError):
        other.v1.refunds.create(params={"payment_intent": paid_intent(client).id})


def test_a_wrong_secret_key_is_refused_by_a_cheap_call_and_the_key_is_not_echoed(stripe_imitation, client,
                                                                                stripe_account):
    assert client.v1.balance.retrieve().object == "balance"
    with pytest.raises(stripe.AuthenticationError) as refused:
        client_for(stripe_imitation, "sk_test_this_key_is_not_known_4321").v1.balance.retrieve()
    assert refused.value.http_status == 401 and "sk_test_this_key_is_not_known" not in str(refused.value)
    with pytest.raises(stripe.AuthenticationError):  # the browser's key cannot refund
        client_for(stripe_imitation, stripe_account.publishable_key).v1.refunds.create(
            params={"payment_intent": "pi_x"})


def test_partial_refunds_add_up_to_the_capture_and_no_further(stripe_imitation, client):
    pi = held_intent(client, 3000)
    client.v1.payment_intents.capture(pi.id, params={"amount_to_capture": 2500})
    first = client.v1.refunds.create(params={"payment_intent": pi.id, "amount": 1000, "metadata": {"refund": "r1"}})
    second = client.v1.refunds.create(params={"payment_intent": pi.id, "amount": 1500})
    assert (first.status, first.amount, first.payment_intent, second.amount) == ("succeeded", 1000, pi.id, 1500)
    assert client.v1.refunds.retrieve(first.id).metadata.to_dict() == {"refund": "r1"}
    with pytest.raises(stripe.InvalidRequestError) as refused:
        client.v1.refunds.create(params={"payment_intent": pi.id, "amount": 1})
    assert (refused.value.http_status, refused.value.code) == (400, "charge_already_refunded")
    charge = stripe_imitation.object(client.v1.payment_intents.retrieve(pi.id).latest_charge)
    assert (charge["amount_refunded"], charge["refunded"]) == (2500, True)
    assert stripe_imitation.count("refunded", pi.id) == 2


def test_a_refund_beyond_what_is_left_is_refused_with_stripes_error(stripe_imitation, client):
    pi = paid_intent(client, 2000)
    client.v1.refunds.create(params={"payment_intent": pi.id, "amount": 1500})
    with pytest.raises(stripe.InvalidRequestError) as refused:
        client.v1.refunds.create(params={"payment_intent": pi.id, "amount": 501})
    assert (refused.value.code, refused.value.param) == ("amount_too_large", "amount")
    assert "greater than unrefunded amount" in refused.value.user_message
    with pytest.raises(stripe.InvalidRequestError) as not_paid:
        client.v1.refunds.create(params={"payment_intent": held_intent(client).id})
    assert not_paid.value.code == "charge_not_refundable"


def test_updating_merges_metadata_and_cancelling_releases_a_hold(stripe_imitation, client):
    pi = client.v1.payment_intents.create(params={"amount": 900, "currency": "eur", "metadata": {"a": "1", "b": "2"}})
    pi = client.v1.payment_intents.update(pi.id, params={"amount": 950, "metadata": {"b": "", "c": "3"}})
    assert (pi.amount, pi.metadata.to_dict()) == (950, {"a": "1", "c": "3"})

    held = held_intent(client)
    held = client.v1.payment_intents.cancel(held.id, params={"cancellation_reason": "abandoned"})
    assert (held.status, held.amount_capturable, held.cancellation_reason) == ("canceled", 0, "abandoned")
    with pytest.raises(stripe.InvalidRequestError) as refused:
        client.v1.payment_intents.cancel(paid_intent(client).id)
    assert refused.value.code == "payment_intent_unexpected_state"
    assert stripe_imitation.count("canceled", held.id) == 1


def test_a_capture_that_times_out_then_is_retried_with_its_key_captures_once(stripe_imitation, stripe_account,
                                                                            client):
    impatient = client_for(stripe_imitation, stripe_account.secret_key, timeout=0.5)
    pi = held_intent(client)
    stripe_imitation.faults.inject("POST /v1/payment_intents/*/capture", "slow_reply", seconds=2)
    with pytest.raises(stripe.APIConnectionError):
        impatient.v1.payment_intents.capture(pi.id, options={"idempotency_key": "capture-p-9"})
    retried = client.v1.payment_intents.capture(pi.id, options={"idempotency_key": "capture-p-9"})
    assert retried.status == "succeeded" and retried.last_response.headers["Idempotent-Replayed"] == "true"
    assert stripe_imitation.count("captured", pi.id) == 1
    calls = stripe_imitation.requests_to("POST", f"/v1/payment_intents/{pi.id}/capture")
    assert [(call.idempotency_key, call.replayed) for call in calls] == [("capture-p-9", False), ("capture-p-9", True)]


def test_a_500_changes_nothing_and_a_retry_with_the_same_key_runs(stripe_imitation, client):
    pi = held_intent(client)
    stripe_imitation.faults.inject("POST /v1/payment_intents/*/capture", "error_500")
    with pytest.raises(stripe.APIError) as failed:
        client.v1.payment_intents.capture(pi.id, options={"idempotency_key": "capture-p-10"})
    assert failed.value.http_status == 500
    assert client.v1.payment_intents.retrieve(pi.id).status == "requires_capture"
    assert client.v1.payment_intents.capture(pi.id, options={"idempotency_key": "capture-p-10"}).status == "succeeded"
    assert stripe_imitation.count("captured", pi.id) == 1


def test_an_injected_decline_and_a_hang_reach_the_client(stripe_imitation, stripe_account, client):
    pi = client.v1.payment_intents.create(params={"amount": 100, "currency": "eur"})
    stripe_imitation.faults.inject("POST /v1/payment_intents/*/confirm", "decline")
    with pytest.raises(stripe.CardError):
        client.v1.payment_intents.confirm(pi.id, params={"payment_method": "pm_card_visa"})
    assert stripe_imitation.object(pi.id)["status"] == "requires_payment_method"
    stripe_imitation.faults.inject("GET /v1/balance", "hang", seconds=2)
    started = time.monotonic()
    with pytest.raises(stripe.APIConnectionError):
        client_for(stripe_imitation, stripe_account.secret_key, timeout=0.5).v1.balance.retrieve()
    assert time.monotonic() - started < 2
    assert client.v1.balance.retrieve().object == "balance"  # the fault was used up


def test_events_are_signed_as_stripe_signs_them(stripe_imitation, client, stripe_account):
    pi = paid_intent(client)
    delivery = stripe_imitation.webhook(stripe_account, "payment_intent.succeeded", pi.id)
    event = stripe.Webhook.construct_event(delivery.body, delivery.headers["Stripe-Signature"],
                                           stripe_account.webhook_secret)
    assert (event.type, event.data.object.id, event.data.object.status) == ("payment_intent.succeeded", pi.id,
                                                                             "succeeded")
    assert event.api_version == stripe.api_version and event.id.startswith("evt_")

    refusals = {
        "tampered": (delivery.tampered().body, delivery.headers["Stripe-Signature"], stripe_account.webhook_secret),
        "wrong secret": (delivery.body, delivery.headers["Stripe-Signature"],
                         stripe_imitation.add_account().webhook_secret),
        "too old": (delivery.body, stripe_imitation.signed(delivery.event, stripe_account.webhook_secret,
                                                           timestamp=int(time.time()) - 301
                                                           ).headers["Stripe-Signature"],
                    stripe_account.webhook_secret),
        "missing": (delivery.body, delivery.without_signature().headers.get("Stripe-Signature"),
                    stripe_account.webhook_secret)}
    assert [name for name, delivered in refusals.items() if verifies(*delivered)] == []


def test_each_state_change_records_its_event_with_the_object(stripe_imitation, client, stripe_account):
    pi = paid_intent(client, 1200)
    refund = client.v1.refunds.create(params={"payment_intent": pi.id, "amount": 200})
    stripe_imitation.settle_refund(refund.id, "failed")
    stripe_imitation.open_dispute(pi.id)
    declined = client.v1.payment_intents.create(params={"amount": 100, "currency": "eur"})
    with pytest.raises(stripe.CardError):
        client.v1.payment_intents.confirm(declined.id, params={"payment_method": "pm_card_chargeDeclined"})

    kinds = {e["type"]: e["data"]["object"]["object"] for e in stripe_imitation.events(stripe_account)}
    assert {k: kinds[k] for k in ("payment_intent.succeeded", "payment_intent.payment_failed", "charge.refunded",
                                  "refund.updated", "charge.dispute.created")} == {
        "payment_intent.succeeded": "payment_intent", "payment_intent.payment_failed": "payment_intent",
        "charge.refunded": "charge", "refund.updated": "refund", "charge.dispute.created": "dispute"}
    updated = stripe_imitation.events(stripe_account, "refund.updated")[-1]
    assert updated["data"]["object"]["status"] == "failed" and updated["data"]["previous_attributes"] == {
        "status": "succeeded"}
    assert stripe_imitation.object(pi.latest_charge)["amount_refunded"] == 0  # the failed refund came back
    assert stripe_imitation.events(stripe_account, "charge.refunded")[-1]["request"]["id"].startswith("req_")


def test_an_account_with_a_webhook_url_gets_every_event_posted_signed(stripe_imitation, client, stripe_account):
    received: list[tuple[bytes, str]] = []
    receiver = ImitationServer()

    def record(request, fault):
        received.append((request.body, request.headers["Stripe-Signature"]))
        return Response.json(200, {})

    receiver.router.add("POST", "/hooks/stripe", record)
    with receiver.running():
        stripe_account.webhook_url = f"{receiver.url}/hooks/stripe"
        pi = paid_intent(client)
        deadline = time.monotonic() + 5
        while len(stripe_account.deliveries.outcomes) < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
    types = [stripe.Webhook.construct_event(body, header, stripe_account.webhook_secret).type
             for body, header in received]
    assert sorted(types) == ["payment_intent.created", "payment_intent.succeeded"]
    assert {outcome for _, outcome in stripe_account.deliveries.outcomes} == {200}
    assert pi.id in received[-1][0].decode()


def test_stripe_js_stand_in_is_served_for_the_page_host(stripe_imitation):
    script = httpx.get(f"{stripe_imitation.url}/v3/", headers={"Host": "stripe.localhost:1234"})
    assert script.status_code == 200 and script.headers["content-type"].startswith("application/javascript")
    assert '"http://stripe.localhost:1234"' in script.text and "confirmPayment" in script.text


def test_the_browser_key_reads_and_confirms_only_with_the_client_secret_and_sees_no_metadata(
        stripe_imitation, client, stripe_account, http):
    pi = client.v1.payment_intents.create(params={"amount": 800, "currency": "eur", "metadata": {"order": "9"}})
    as_browser = {"key": stripe_account.publishable_key}
    wrong = http.get(f"{stripe_imitation.url}/v1/payment_intents/{pi.id}",
                     params={**as_browser, "client_secret": f"{pi.id}_secret_guessed"})
    assert (wrong.status_code, wrong.json()["error"]["param"]) == (400, "client_secret")
    seen = http.get(f"{stripe_imitation.url}/v1/payment_intents/{pi.id}",
                    params={**as_browser, "client_secret": pi.client_secret}).json()
    assert seen["status"] == "requires_payment_method" and "metadata" not in seen
    refused = http.post(f"{stripe_imitation.url}/v1/payment_intents/{pi.id}/confirm",
                        data={**as_browser, "client_secret": "nope", "payment_method": "pm_card_visa"})
    assert refused.status_code == 400 and stripe_imitation.count("confirmed", pi.id) == 0
    confirmed = http.post(f"{stripe_imitation.url}/v1/payment_intents/{pi.id}/confirm",
                          data={**as_browser, "client_secret": pi.client_secret, "payment_method": "pm_card_visa"})
    assert confirmed.json()["status"] == "succeeded" and "latest_charge" not in confirmed.json()
