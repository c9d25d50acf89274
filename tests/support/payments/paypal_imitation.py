"""A stateful local PayPal REST API: OAuth client credentials, Orders v2 (create, buyer approval,
capture or authorize), captures, authorizations, refunds, ``PayPal-Request-Id`` idempotency, webhooks
checked through verify-webhook-signature, faults, counters and a stand-in for the JS SDK's buttons.

    with PayPalImitation().running() as paypal_fake:
        account = paypal_fake.add_account()
        token = httpx.post(f"{paypal_fake.url}/v1/oauth2/token", auth=(account.client_id, account.client_secret),
                           data={"grant_type": "client_credentials"}).json()["access_token"]
"""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import json
import re
import secrets
import string
import time
import uuid
import zlib
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from importlib import resources
from urllib.parse import urlencode

from tests.support.payments import forms
from tests.support.payments.idempotency import fingerprint
from tests.support.payments.provider import ProviderImitation
from tests.support.payments.server import Fault, Request, Response
from tests.support.payments.webhooks import BackgroundDeliveries, SignedDelivery

ZERO_DECIMAL_CURRENCIES = {"HUF", "JPY", "TWD"}
_VALUE = re.compile(r"^\d{1,10}(\.\d+)?$")
TRANSMISSION_HEADERS = ("PAYPAL-TRANSMISSION-ID", "PAYPAL-TRANSMISSION-TIME", "PAYPAL-TRANSMISSION-SIG",
                        "PAYPAL-CERT-URL", "PAYPAL-AUTH-ALGO")
BUYER = {"name": {"given_name": "Test", "surname": "Buyer"}, "email_address": "buyer@example.com",
         "address": {"country_code": "US"}}


def new_id(length: int = 17) -> str:
    return "".join(secrets.choice(string.ascii_uppercase + string.digits) for _ in range(length))


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def to_minor(value: str, currency: str) -> int:
    whole, _, fraction = value.partition(".")
    digits = 0 if currency in ZERO_DECIMAL_CURRENCIES else 2
    return int(whole) * 10 ** digits + int((fraction or "0").ljust(digits, "0")[:digits] or 0)


def to_value(minor: int, currency: str) -> str:
    if currency in ZERO_DECIMAL_CURRENCIES:
        return str(minor)
    return f"{minor // 100}.{minor % 100:02d}"


def problem(status: int, name: str, message: str, issue: str | None = None, description: str | None = None, *,
            field_: str | None = None, replayable: bool = True) -> Response:
    """PayPal's error body: a name, a message, a debug id and the details' issues."""
    body: dict = {"name": name, "message": message, "debug_id": new_id(13).lower()}
    if issue:
        detail = {"issue": issue, "description": description or issue}
        if field_:
            detail.update(field=field_, location="body")
        body["details"] = [detail]
        body["links"] = [{"href": f"https://developer.paypal.com/docs/api/orders/v2/#error-{issue}",
                          "rel": "information_link", "method": "GET"}]
    return replace(Response.json(status, body), replayable=replayable)


def unprocessable(issue: str, description: str) -> Response:
    return problem(422, "UNPROCESSABLE_ENTITY", "The requested action could not be performed, semantically "
                   "incorrect, or failed business validation.", issue, description)


def malformed(issue: str, description: str, field_: str) -> Response:
    return problem(400, "INVALID_REQUEST", "Request is not well-formed, syntactically incorrect, or violates schema.",
                   issue, description, field_=field_, replayable=False)


def not_found(resource: str) -> Response:
    return problem(404, "RESOURCE_NOT_FOUND", "The specified resource does not exist.", "INVALID_RESOURCE_ID",
                   f"Specified resource ID does not exist. Please check the resource ID and try again. ({resource})")


def _raise_amount(event: dict) -> None:
    amount = event["resource"].get("amount")
    if amount:
        amount["value"] = to_value(to_minor(amount["value"], amount["currency_code"]) + 100, amount["currency_code"])


@dataclass
class Transmission:
    """What the imitation sent for one webhook delivery: verify-webhook-signature checks against it."""
    client_id: str  # the app whose webhook it was sent to; only that app's token may verify it
    webhook_id: str
    headers: dict[str, str]
    event: dict


@dataclass
class PayPalAccount:
    """One PayPal REST app (client id and secret), as one store has, with its objects and webhooks."""
    client_id: str
    client_secret: str
    merchant_id: str
    objects: dict[str, dict] = field(default_factory=dict)  # orders, captures, authorizations, refunds by id
    webhooks: dict[str, str | None] = field(default_factory=dict)  # webhook id -> URL it is POSTed to (or None)
    events: list[dict] = field(default_factory=list)
    deliveries: BackgroundDeliveries = field(default_factory=BackgroundDeliveries)
    effects: Counter = field(default_factory=Counter)  # (action, object id) -> times at the provider
    hold_captures: bool = False  # new captures stay PENDING (review) until settle_capture()

    def add_webhook(self, url: str | None = None) -> str:
        webhook_id = new_id(17)
        self.webhooks[webhook_id] = url
        return webhook_id


class PayPalImitation(ProviderImitation[PayPalAccount]):
    """Counted actions: created, approved, captured, authorized, voided, refunded (by order, authorization
    or capture id) and token_issued (by client id)."""
    browser_host = "paypal"

    def __init__(self, *, token_lifetime: int = 32400) -> None:
        super().__init__()
        self.token_lifetime = token_lifetime
        self._tokens: dict[str, tuple[PayPalAccount, float]] = {}
        self._transmissions: dict[str, Transmission] = {}
        self._signing_key = secrets.token_bytes(32)
        self._routes()

    # ---- accounts and what tests read ----------------------------------------------------------

    def add_account(self, *, client_id: str | None = None, client_secret: str | None = None) -> PayPalAccount:
        return self._register(PayPalAccount(client_id or "A" + new_id(40), client_secret or "E" + new_id(40),
                                            new_id(13)))

    def expire_tokens(self) -> None:
        """Every access token issued so far expires now, as after ``expires_in`` seconds."""
        with self._lock:
            self._tokens = {token: (account, 0.0) for token, (account, _) in self._tokens.items()}

    def approve(self, order_id: str) -> dict:
        """The buyer logs in and approves the order, as on PayPal's page; returns the order."""
        with self._lock:
            account, order = self._owner(order_id)
            refused = self._approve(account, order)
            if refused is not None:
                raise ValueError(json.loads(refused.body)["details"][0]["description"])
            return self._public(order)

    def settle_capture(self, capture_id: str, status: str) -> dict:
        """A PENDING capture ends ``COMPLETED`` or ``DECLINED``: ``PAYMENT.CAPTURE.COMPLETED`` / ``…DENIED``."""
        with self._lock:
            account, capture = self._owner(capture_id)
            capture.update(status=status, update_time=now_iso())
            capture.pop("status_details", None)
            self._emit(account, "PAYMENT.CAPTURE.COMPLETED" if status == "COMPLETED" else "PAYMENT.CAPTURE.DENIED",
                       capture)
            return self._public(capture)

    # ---- webhooks ------------------------------------------------------------------------------

    def events(self, account: PayPalAccount, event_type: str | None = None) -> list[dict]:
        return [e for e in account.events if event_type is None or e["event_type"] == event_type]

    def webhook(self, account: PayPalAccount, event_type: str, resource_id: str, webhook_id: str, *,
                transmission_time: str | None = None) -> SignedDelivery:
        """A new event of ``event_type`` about the resource's current state, with the transmission
        headers PayPal sends to ``webhook_id`` (recorded, so verify-webhook-signature says SUCCESS)."""
        with self._lock:
            owner, resource = self._owner(resource_id)
            if owner is not account or webhook_id not in account.webhooks:
                raise KeyError(resource_id if owner is not account else webhook_id)
            event = self._event(account, event_type, resource)
            return self._transmit(account, event, webhook_id, transmission_time)

    def _event(self, account: PayPalAccount, event_type: str, resource: dict) -> dict:
        public = self._public(resource)
        kind = resource["_kind"]
        amount = public.get("amount") or {}
        event_id = f"WH-{new_id(17)}-{new_id(17)}"
        event = {"id": event_id, "event_version": "1.0", "create_time": now_iso(),
                 "resource_type": kind, "resource_version": "2.0", "event_type": event_type,
                 "summary": f"{event_type} for {amount.get('currency_code', '')} {amount.get('value', '')}".strip(),
                 "resource": public,
                 "links": [{"href": f"{self.url}/v1/notifications/webhooks-events/{event_id}", "rel": "self",
                            "method": "GET"}]}
        account.events.append(event)
        return copy.deepcopy(event)

    def _transmit(self, account: PayPalAccount, event: dict, webhook_id: str,
                  transmission_time: str | None) -> SignedDelivery:
        body = json.dumps(event, indent=2).encode()
        transmission_id = str(uuid.uuid4())
        sent_at = transmission_time or now_iso()
        signed = f"{transmission_id}|{sent_at}|{webhook_id}|{zlib.crc32(body)}".encode()
        headers = {"Content-Type": "application/json", "User-Agent": "PayPal/AUHD-214.0-58734046",
                   "PAYPAL-TRANSMISSION-ID": transmission_id, "PAYPAL-TRANSMISSION-TIME": sent_at,
                   "PAYPAL-TRANSMISSION-SIG": base64.b64encode(hmac.new(self._signing_key, signed,
                                                                        hashlib.sha256).digest()).decode(),
                   "PAYPAL-CERT-URL": f"{self.url}/v1/notifications/certs/CERT-imitation",
                   "PAYPAL-AUTH-ALGO": "SHA256withRSA", "PAYPAL-AUTH-VERSION": "v2"}
        self._transmissions[transmission_id] = Transmission(account.client_id, webhook_id, headers,
                                                            copy.deepcopy(event))
        return SignedDelivery(body, headers, TRANSMISSION_HEADERS, _raise_amount)

    def _emit(self, account: PayPalAccount, event_type: str, resource: dict) -> None:
        """An event from a state change, POSTed to every webhook of the account that has a URL."""
        event = self._event(account, event_type, resource)
        for webhook_id, url in account.webhooks.items():
            if url:
                account.deliveries.send(event["id"], self._transmit(account, event, webhook_id, None), url)

    # ---- state ---------------------------------------------------------------------------------

    def _links(self, kind: str, object_id: str, *extra: tuple[str, str, str]) -> list[dict]:
        path = {"order": "v2/checkout/orders", "capture": "v2/payments/captures",
                "authorization": "v2/payments/authorizations", "refund": "v2/payments/refunds"}[kind]
        links = [{"href": f"{self.url}/{path}/{object_id}", "rel": "self", "method": "GET"}]
        return links + [{"href": href, "rel": rel, "method": method} for href, rel, method in extra]

    def _approve(self, account: PayPalAccount, order: dict) -> Response | None:
        if order["status"] != "CREATED":
            return unprocessable("ORDER_ALREADY_APPROVED" if order["status"] == "APPROVED" else "ORDER_NOT_APPROVABLE",
                                 f"The order is {order['status']} and cannot be approved.")
        payer_id = new_id(13)
        order.update(status="APPROVED", update_time=now_iso(),
                     payer={**copy.deepcopy(BUYER), "payer_id": payer_id},
                     payment_source={"paypal": {"email_address": BUYER["email_address"], "account_id": payer_id,
                                                "account_status": "VERIFIED", "name": BUYER["name"]}})
        account.effects[("approved", order["id"])] += 1
        self._emit(account, "CHECKOUT.ORDER.APPROVED", order)
        return None

    def _new_capture(self, account: PayPalAccount, order: dict, unit: dict, minor: int, currency: str, *,
                     final: bool, authorization_id: str | None = None) -> dict:
        capture_id = new_id()
        pending = account.hold_captures
        capture = {"id": capture_id, "status": "PENDING" if pending else "COMPLETED",
                   "amount": {"currency_code": currency, "value": to_value(minor, currency)},
                   "final_capture": final, "seller_protection": {"status": "ELIGIBLE"},
                   "custom_id": unit.get("custom_id"), "invoice_id": unit.get("invoice_id"),
                   "create_time": now_iso(), "update_time": now_iso(),
                   "supplementary_data": {"related_ids": {"order_id": order["id"],
                                                          **({"authorization_id": authorization_id}
                                                             if authorization_id else {})}},
                   "links": self._links("capture", capture_id,
                                        (f"{self.url}/v2/payments/captures/{capture_id}/refund", "refund", "POST"),
                                        (f"{self.url}/v2/checkout/orders/{order['id']}", "up", "GET")),
                   "_kind": "capture", "_minor": minor, "_refunded": 0}
        if pending:
            capture["status_details"] = {"reason": "PENDING_REVIEW"}
        account.objects[capture_id] = capture
        unit.setdefault("payments", {}).setdefault("captures", []).append(self._public(capture))
        account.effects[("captured", order["id"])] += 1
        if authorization_id:
            account.effects[("captured", authorization_id)] += 1
        if not pending:
            self._emit(account, "PAYMENT.CAPTURE.COMPLETED", capture)
        return capture

    def _sync_order_payments(self, account: PayPalAccount, order_id: str) -> None:
        """Keep the copies of captures and authorizations inside the order current."""
        order = account.objects[order_id]
        for unit in order["purchase_units"]:
            for kind in ("captures", "authorizations"):
                items = unit.get("payments", {}).get(kind, [])
                unit.get("payments", {})[kind] = [self._public(account.objects[i["id"]]) for i in items] \
                    if items else items

    # ---- HTTP ----------------------------------------------------------------------------------

    def not_found(self, request: Request) -> Response:
        return problem(404, "RESOURCE_NOT_FOUND", "The specified resource does not exist.")

    def server_error(self, request: Request) -> Response:
        return problem(500, "INTERNAL_SERVER_ERROR", "An internal server error has occurred.", replayable=False)

    def idempotency_key(self, request: Request) -> str | None:
        return request.headers.get("PayPal-Request-Id")

    def _routes(self) -> None:
        add = self.router.add
        add("POST", "/v1/oauth2/token", self._token)
        add("POST", "/v2/checkout/orders", self._api(self._create_order))
        add("GET", "/v2/checkout/orders/{id}", self._api(self._get("order")))
        add("POST", "/v2/checkout/orders/{id}/capture", self._api(self._capture_order))
        add("POST", "/v2/checkout/orders/{id}/authorize", self._api(self._authorize_order))
        add("GET", "/v2/payments/authorizations/{id}", self._api(self._get("authorization")))
        add("POST", "/v2/payments/authorizations/{id}/capture", self._api(self._capture_authorization))
        add("POST", "/v2/payments/authorizations/{id}/void", self._api(self._void_authorization))
        add("GET", "/v2/payments/captures/{id}", self._api(self._get("capture")))
        add("POST", "/v2/payments/captures/{id}/refund", self._api(self._refund_capture))
        add("GET", "/v2/payments/refunds/{id}", self._api(self._get("refund")))
        add("POST", "/v1/notifications/verify-webhook-signature", self._api(self._verify_webhook))
        add("GET", "/checkoutnow", self._approval_page)
        add("POST", "/checkoutnow/{id}", self._approval_answer)
        add("POST", "/sdk/orders/{id}/approve", self._sdk_approve)
        add("GET", "/sdk/js", self._sdk_js)

    def _token(self, request: Request, fault: Fault | None) -> Response:
        refused = Response.json(401, {"error": "invalid_client", "error_description": "Client Authentication failed"})
        authorization = request.headers.get("Authorization") or ""
        if not authorization.startswith("Basic "):
            return refused
        try:
            client_id, _, secret = base64.b64decode(authorization[6:]).decode().partition(":")
        except ValueError:
            return refused
        if forms.decode(request.body.decode()).get("grant_type") != "client_credentials":
            return Response.json(400, {"error": "unsupported_grant_type",
                                       "error_description": "Grant Type is NULL or unsupported"})
        with self._lock:
            account = next((a for a in self.accounts if a.client_id == client_id), None)
            if account is None or not hmac.compare_digest(secret.encode(), account.client_secret.encode()):
                return refused
            token = "A21AA" + secrets.token_urlsafe(48)
            self._tokens[token] = (account, time.monotonic() + self.token_lifetime)
            account.effects[("token_issued", client_id)] += 1
        return Response.json(200, {"scope": "https://uri.paypal.com/services/payments/payment", "access_token": token,
                                   "token_type": "Bearer", "app_id": "APP-80W284485P519543T",
                                   "expires_in": self.token_lifetime, "nonce": f"{now_iso()}{new_id(20)}"})

    def _api(self, handler):
        """Bearer token, JSON body, ``PayPal-Request-Id`` and ``Prefer`` around
        ``handler(account, body, request, fault, full) -> Response``; ``full`` is true when the caller asked
        for ``Prefer: return=representation``."""
        def serve(request: Request, fault: Fault | None) -> Response:
            try:
                body = request.json() if request.method == "POST" else {}
            except ValueError:
                return malformed("MALFORMED_REQUEST_JSON", "The request JSON is not well formed.", "/")
            with self._lock:
                authorization = request.headers.get("Authorization") or ""
                held = self._tokens.get(authorization.removeprefix("Bearer "))
                if held is None or held[1] < time.monotonic():
                    return Response.json(401, {"error": "invalid_token",
                                               "error_description": "Token signature verification failed"})
                account = held[0]
                key = self.idempotency_key(request) if request.method == "POST" else None
                full = "return=representation" in (request.headers.get("Prefer") or "")
                return self._idempotency.run(
                    account.client_id, key, fingerprint(request.method, request.path, json.dumps(body, sort_keys=True)),
                    lambda: handler(account, body, request, fault, full),
                    replay=lambda first: lambda: first,
                    mismatch=lambda: unprocessable("PAYPAL_REQUEST_ID_PREVIOUSLY_USED",
                                                   "The PayPal-Request-ID has already been used for another request."))
        return serve

    @staticmethod
    def _shown(status: int, obj: dict, full: bool, *minimal_extra: str) -> Response:
        """``Prefer: return=minimal`` (PayPal's default) shows id, status and links only."""
        public = ProviderImitation._public(obj)
        if not full:
            public = {k: v for k, v in public.items() if k in ("id", "status", "links", *minimal_extra)}
        return Response.json(status, public)

    def _get(self, kind: str):
        def get(account, body, request, fault, full) -> Response:
            obj = account.objects.get(request.params["id"])
            if obj is None or obj["_kind"] != kind:
                return not_found(request.params["id"])
            if kind == "order":
                self._sync_order_payments(account, obj["id"])
            return Response.json(200, self._public(obj))
        return get

    def _create_order(self, account, body, request, fault, full) -> Response:
        intent = body.get("intent")
        if intent not in ("CAPTURE", "AUTHORIZE"):
            return malformed("INVALID_PARAMETER_VALUE" if intent else "MISSING_REQUIRED_PARAMETER",
                             "intent must be CAPTURE or AUTHORIZE.", "/intent")
        units = body.get("purchase_units")
        if not isinstance(units, list) or not units:
            return malformed("MISSING_REQUIRED_PARAMETER", "A required field / parameter is missing.",
                             "/purchase_units")
        stored_units = []
        for index, unit in enumerate(units):
            amount = unit.get("amount") or {}
            currency, value = str(amount.get("currency_code", "")), amount.get("value")
            if len(currency) != 3 or not isinstance(value, str) or not _VALUE.match(value):
                return malformed("MISSING_REQUIRED_PARAMETER" if value is None else "INVALID_PARAMETER_SYNTAX",
                                 "amount needs currency_code and value as a decimal string.",
                                 f"/purchase_units/@reference_id=='{unit.get('reference_id', 'default')}'/amount")
            digits = len(value.partition(".")[2])
            if digits > (0 if currency in ZERO_DECIMAL_CURRENCIES else 2):
                return unprocessable("DECIMAL_PRECISION", "If the currency supports decimals, only two decimal "
                                     "place precision is supported." if currency not in ZERO_DECIMAL_CURRENCIES
                                     else f"{currency} does not support decimals.")
            if to_minor(value, currency) <= 0:
                return unprocessable("AMOUNT_NOT_POSITIVE", "Must be greater than zero.")
            stored_units.append({"reference_id": unit.get("reference_id", "default" if index == 0 else str(index)),
                                 "amount": {"currency_code": currency, "value": value},
                                 **{k: unit[k] for k in ("custom_id", "invoice_id", "description", "soft_descriptor",
                                                         "items") if k in unit},
                                 "payee": {"merchant_id": account.merchant_id}})
        context = (body.get("payment_source", {}).get("paypal", {}).get("experience_context")
                   or body.get("application_context") or {})
        order_id = new_id()
        order = {"id": order_id, "intent": intent, "status": "CREATED", "purchase_units": stored_units,
                 "create_time": now_iso(),
                 "links": self._links("order", order_id,
                                      (f"{self.browser_url}/checkoutnow?token={order_id}", "approve", "GET"),
                                      (f"{self.url}/v2/checkout/orders/{order_id}", "update", "PATCH"),
                                      (f"{self.url}/v2/checkout/orders/{order_id}/{intent.lower()}",
                                       intent.lower(), "POST")),
                 "_kind": "order", "_return_url": context.get("return_url"), "_cancel_url": context.get("cancel_url")}
        account.objects[order_id] = order
        account.effects[("created", order_id)] += 1
        return self._shown(201, order, full)

    def _order_for_payment(self, account: PayPalAccount, order_id: str, intent: str,
                           fault: Fault | None) -> dict | Response:
        order = account.objects.get(order_id)
        if order is None or order["_kind"] != "order":
            return not_found(order_id)
        if order["intent"] != intent:
            return unprocessable("ACTION_DOES_NOT_MATCH_INTENT", f"Order was created with an intent to "
                                 f"'{order['intent']}'. Please use v2/checkout/orders/order_id/"
                                 f"{order['intent'].lower()} to complete the transaction.")
        if order["status"] == "COMPLETED":
            return unprocessable("ORDER_ALREADY_CAPTURED" if intent == "CAPTURE" else "ORDER_ALREADY_AUTHORIZED",
                                 "Order already captured. If 'intent=CAPTURE' only one capture per order is allowed."
                                 if intent == "CAPTURE" else "Order already authorized.")
        if order["status"] != "APPROVED":
            return unprocessable("ORDER_NOT_APPROVED", "Payer has not yet approved the Order for payment. Please "
                                 "redirect the payer to the 'rel':'approve' url returned as part of the HATEOAS "
                                 "links within the Create Order call or provide a valid payment_source in the "
                                 "request.")
        if fault and fault.kind == "decline":
            return unprocessable("INSTRUMENT_DECLINED", "The instrument presented has been declined. Please "
                                 "select another instrument or redirect the payer to the approval link.")
        return order

    def _capture_order(self, account, body, request, fault, full) -> Response:
        order = self._order_for_payment(account, request.params["id"], "CAPTURE", fault)
        if isinstance(order, Response):
            return order
        for unit in order["purchase_units"]:
            currency = unit["amount"]["currency_code"]
            self._new_capture(account, order, unit, to_minor(unit["amount"]["value"], currency), currency,
                              final=True)
        order.update(status="COMPLETED", update_time=now_iso())
        return self._shown(201, order, full, "payer", "payment_source", "purchase_units")

    def _authorize_order(self, account, body, request, fault, full) -> Response:
        order = self._order_for_payment(account, request.params["id"], "AUTHORIZE", fault)
        if isinstance(order, Response):
            return order
        for unit in order["purchase_units"]:
            authorization_id = new_id()
            currency = unit["amount"]["currency_code"]
            authorization = {
                "id": authorization_id, "status": "CREATED", "amount": dict(unit["amount"]),
                "custom_id": unit.get("custom_id"), "invoice_id": unit.get("invoice_id"),
                "seller_protection": {"status": "ELIGIBLE"}, "create_time": now_iso(),
                "expiration_time": datetime.fromtimestamp(time.time() + 29 * 86400, UTC).strftime(
                    "%Y-%m-%dT%H:%M:%SZ"),
                "supplementary_data": {"related_ids": {"order_id": order["id"]}},
                "links": self._links(
                    "authorization", authorization_id,
                    (f"{self.url}/v2/payments/authorizations/{authorization_id}/capture", "capture", "POST"),
                    (f"{self.url}/v2/payments/authorizations/{authorization_id}/void", "void", "POST"),
                    (f"{self.url}/v2/checkout/orders/{order['id']}", "up", "GET")),
                "_kind": "authorization", "_order": order["id"], "_unit": order["purchase_units"].index(unit),
                "_minor": to_minor(unit["amount"]["value"], currency), "_captured": 0}
            account.objects[authorization_id] = authorization
            unit.setdefault("payments", {}).setdefault("authorizations", []).append(self._public(authorization))
            account.effects[("authorized", order["id"])] += 1
            self._emit(account, "PAYMENT.AUTHORIZATION.CREATED", authorization)
        order.update(status="COMPLETED", update_time=now_iso())
        return self._shown(201, order, full, "payer", "payment_source", "purchase_units")

    def _authorization(self, account: PayPalAccount, authorization_id: str) -> dict | Response:
        authorization = account.objects.get(authorization_id)
        if authorization is None or authorization["_kind"] != "authorization":
            return not_found(authorization_id)
        if authorization["status"] == "VOIDED":
            return unprocessable("AUTHORIZATION_VOIDED", "A voided authorization cannot be captured or voided.")
        if authorization["status"] == "CAPTURED":
            return unprocessable("AUTHORIZATION_ALREADY_CAPTURED", "Authorization has been previously captured "
                                 "and hence cannot be voided or captured again.")
        return authorization

    def _capture_authorization(self, account, body, request, fault, full) -> Response:
        authorization = self._authorization(account, request.params["id"])
        if isinstance(authorization, Response):
            return authorization
        if fault and fault.kind == "decline":
            return unprocessable("INSTRUMENT_DECLINED", "The instrument presented has been declined.")
        currency = authorization["amount"]["currency_code"]
        remaining = authorization["_minor"] - authorization["_captured"]
        minor = remaining
        if body.get("amount"):
            amount = body["amount"]
            if amount.get("currency_code") != currency or not _VALUE.match(str(amount.get("value", ""))):
                return unprocessable("CURRENCY_MISMATCH" if amount.get("currency_code") != currency
                                     else "INVALID_PARAMETER_SYNTAX", "The capture amount is not valid.")
            minor = to_minor(amount["value"], currency)
        if minor > remaining:
            return unprocessable("MAX_CAPTURE_AMOUNT_EXCEEDED", "Capture amount exceeds the amount authorized and "
                                 "not yet captured.")
        final = bool(body.get("final_capture", True)) or minor == remaining
        order = account.objects[authorization["_order"]]
        capture = self._new_capture(account, order, order["purchase_units"][authorization["_unit"]], minor,
                                    currency, final=final, authorization_id=authorization["id"])
        authorization["_captured"] += minor
        authorization.update(status="CAPTURED" if final else "PARTIALLY_CAPTURED", update_time=now_iso())
        self._sync_order_payments(account, order["id"])
        return self._shown(201, capture, full)

    def _void_authorization(self, account, body, request, fault, full) -> Response:
        authorization = self._authorization(account, request.params["id"])
        if isinstance(authorization, Response):
            return authorization
        if authorization["status"] == "PARTIALLY_CAPTURED":
            return unprocessable("PREVIOUSLY_CAPTURED", "Authorization has been previously captured.")
        authorization.update(status="VOIDED", update_time=now_iso())
        account.effects[("voided", authorization["id"])] += 1
        self._emit(account, "PAYMENT.AUTHORIZATION.VOIDED", authorization)
        self._sync_order_payments(account, authorization["_order"])
        return self._shown(200, authorization, True) if full else Response(204)

    def _refund_capture(self, account, body, request, fault, full) -> Response:
        capture = account.objects.get(request.params["id"])
        if capture is None or capture["_kind"] != "capture":
            return not_found(request.params["id"])
        if capture["status"] not in ("COMPLETED", "PARTIALLY_REFUNDED"):
            if capture["status"] == "REFUNDED":
                return unprocessable("CAPTURE_FULLY_REFUNDED", "The capture has already been fully refunded.")
            return unprocessable("REFUND_NOT_ALLOWED", f"A {capture['status']} capture cannot be refunded.")
        currency = capture["amount"]["currency_code"]
        remaining = capture["_minor"] - capture["_refunded"]
        minor = remaining
        if body.get("amount"):
            amount = body["amount"]
            if amount.get("currency_code") != currency:
                return unprocessable("REFUND_CURRENCY_MISMATCH", "Refund must be in the same currency as the capture.")
            if not _VALUE.match(str(amount.get("value", ""))):
                return malformed("INVALID_PARAMETER_SYNTAX", "The value of a field does not conform to the expected "
                                 "format.", "/amount/value")
            minor = to_minor(amount["value"], currency)
            if minor <= 0:
                return unprocessable("AMOUNT_NOT_POSITIVE", "Must be greater than zero.")
        if minor > remaining:
            return unprocessable("REFUND_AMOUNT_EXCEEDED", "The refund amount must be less than or equal to the "
                                 "capture amount that has not yet been refunded.")
        refund_id = new_id()
        refund = {"id": refund_id, "status": "COMPLETED", "amount": {"currency_code": currency,
                                                                      "value": to_value(minor, currency)},
                  "invoice_id": body.get("invoice_id", capture.get("invoice_id")),
                  "custom_id": body.get("custom_id", capture.get("custom_id")),
                  "note_to_payer": body.get("note_to_payer"), "create_time": now_iso(), "update_time": now_iso(),
                  "links": self._links("refund", refund_id,
                                       (f"{self.url}/v2/payments/captures/{capture['id']}", "up", "GET")),
                  "_kind": "refund", "_capture": capture["id"]}
        account.objects[refund_id] = refund
        capture["_refunded"] += minor
        capture.update(status="REFUNDED" if capture["_refunded"] == capture["_minor"] else "PARTIALLY_REFUNDED",
                       update_time=now_iso())
        self._sync_order_payments(account, capture["supplementary_data"]["related_ids"]["order_id"])
        account.effects[("refunded", capture["id"])] += 1
        account.effects[("created", refund_id)] += 1
        self._emit(account, "PAYMENT.CAPTURE.REFUNDED", refund)
        return self._shown(201, refund, full)

    def _verify_webhook(self, account, body, request, fault, full) -> Response:
        required = ("auth_algo", "cert_url", "transmission_id", "transmission_sig", "transmission_time",
                    "webhook_id", "webhook_event")
        for name in required:
            if not body.get(name):
                return malformed("MISSING_REQUIRED_PARAMETER", "A required field / parameter is missing.", f"/{name}")
        sent = self._transmissions.get(body["transmission_id"])
        matches = (sent is not None and sent.client_id == account.client_id
                   and sent.webhook_id == body["webhook_id"] and sent.event == body["webhook_event"]
                   and all(hmac.compare_digest(str(body[name]).encode(), sent.headers[f"PAYPAL-{header}"].encode())
                           for name, header in (("auth_algo", "AUTH-ALGO"), ("cert_url", "CERT-URL"),
                                                ("transmission_sig", "TRANSMISSION-SIG"),
                                                ("transmission_time", "TRANSMISSION-TIME"))))
        return replace(Response.json(200, {"verification_status": "SUCCESS" if matches else "FAILURE"}),
                       replayable=False)

    # ---- the buyer's side: PayPal's approval page and the JS SDK's buttons -----------------------

    def _approval_page(self, request: Request, fault: Fault | None) -> Response:
        order_id = request.query.get("token", "")
        with self._lock:
            try:
                _, order = self._owner(order_id)
            except KeyError:
                return Response.html("<p>This checkout session has expired.</p>", 404)
            unit = order["purchase_units"][0]
        return Response.html(
            "<!doctype html><html><head><title>Log in to your PayPal account</title></head><body>"
            f"<h1>Pay with PayPal</h1><p id='paypal-amount'>{unit['amount']['value']} "
            f"{unit['amount']['currency_code']}</p>"
            f"<form method='post' action='/checkoutnow/{order_id}'>"
            "<button id='paypal-approve' name='answer' value='approve' type='submit'>Complete Purchase</button>"
            "<button id='paypal-cancel' name='answer' value='cancel' type='submit'>Cancel and return</button>"
            "</form></body></html>")

    def _approval_answer(self, request: Request, fault: Fault | None) -> Response:
        answer = forms.decode(request.body.decode()).get("answer")
        with self._lock:
            try:
                account, order = self._owner(request.params["id"])
            except KeyError:
                return Response.html("<p>This checkout session has expired.</p>", 404)
            if answer == "approve" and self._approve(account, order) is not None:
                return Response.html("<p>This order cannot be approved again.</p>", 422)
            target = order["_return_url"] if answer == "approve" else order["_cancel_url"]
            query = {"token": order["id"], **({"PayerID": order["payer"]["payer_id"]} if answer == "approve" else {})}
        if not target:
            return Response.html(f"<p id='paypal-done'>{'Approved' if answer == 'approve' else 'Cancelled'}.</p>")
        return Response.redirect(f"{target}{'&' if '?' in target else '?'}{urlencode(query)}")

    def _sdk_approve(self, request: Request, fault: Fault | None) -> Response:
        """What the buyer's click in the PayPal popup does, for the JS SDK stand-in: the order must belong
        to the client id the page loaded the SDK with."""
        client_id = (request.json() or {}).get("client_id", "")
        with self._lock:
            try:
                account, order = self._owner(request.params["id"])
            except KeyError:
                return not_found(request.params["id"])
            if account.client_id != client_id:
                return not_found(request.params["id"])
            refused = self._approve(account, order)
            if refused is not None:
                return refused
            return Response.json(200, {"orderID": order["id"], "payerID": order["payer"]["payer_id"]})

    def _sdk_js(self, request: Request, fault: Fault | None) -> Response:
        client_id = request.query.get("client-id", "")
        if not any(account.client_id == client_id for account in self.accounts):
            # The real SDK answers an unknown client id with a 400 and a script that throws.
            return Response(400, b'throw new Error("SDK Validation error: \'Invalid query value for client-id\'");',
                            "application/javascript")
        script = resources.files(__package__).joinpath("paypal_sdk.js").read_text()
        script = script.replace("__API_BASE__", json.dumps(f"http://{request.headers.get('Host')}"))
        script = script.replace("__CLIENT_ID__", json.dumps(client_id))
        return Response(200, script.encode(), "application/javascript; charset=utf-8")
