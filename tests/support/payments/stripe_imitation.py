"""A stateful local Stripe: the parts of the API a Payment Intents + Payment Element integration
uses, per secret key, with Stripe's error shapes, idempotency, webhook signing, faults, counters and a
stand-in for Stripe.js. Point the real library at it:

    with StripeImitation().running() as stripe_fake:
        account = stripe_fake.add_account()
        client = stripe.StripeClient(account.secret_key, base_addresses={"api": stripe_fake.url},
                                     http_client=stripe.HTTPXClient(allow_sync_methods=True),
                                     max_network_retries=0)
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
import secrets
import string
import time
from collections import Counter
from dataclasses import dataclass, field, replace
from importlib import resources
from urllib.parse import urlencode

from tests.support.payments import forms
from tests.support.payments.idempotency import fingerprint
from tests.support.payments.provider import ProviderImitation
from tests.support.payments.server import Fault, Request, Response
from tests.support.payments.webhooks import BackgroundDeliveries, SignedDelivery

# The version the stripe 16 library pins; Stripe stamps it on every event it sends.
API_VERSION = "2026-10-28.endive"

# Stripe's documented test payment methods and what confirming with each does.
SUCCEEDS, THREE_D_SECURE = "succeeds", "three_d_secure"
TEST_PAYMENT_METHODS: dict[str, str | tuple[str, str]] = {
    "pm_card_visa": SUCCEEDS,
    "pm_card_mastercard": SUCCEEDS,
    "pm_card_chargeDeclined": ("card_declined", "generic_decline"),
    "pm_card_chargeDeclinedInsufficientFunds": ("card_declined", "insufficient_funds"),
    "pm_card_authenticationRequired": THREE_D_SECURE,
    "pm_card_threeDSecure2Required": THREE_D_SECURE,
}
# Stripe's test card numbers, as a shopper types them into the Payment Element stand-in.
TEST_CARD_NUMBERS = {
    "4242424242424242": "pm_card_visa",
    "5555555555554444": "pm_card_mastercard",
    "4000000000000002": "pm_card_chargeDeclined",
    "4000000000009995": "pm_card_chargeDeclinedInsufficientFunds",
    "4000002760003184": "pm_card_authenticationRequired",
    "4000000000003220": "pm_card_threeDSecure2Required",
}

CANCELABLE = ("requires_payment_method", "requires_capture", "requires_confirmation", "requires_action",
              "processing")
CONFIRMABLE = ("requires_payment_method", "requires_confirmation")
# What a publishable key (the browser) may read of a payment intent: no metadata, no charge.
PUBLISHABLE_FIELDS = ("id", "object", "amount", "automatic_payment_methods", "canceled_at", "cancellation_reason",
                      "capture_method", "client_secret", "confirmation_method", "created", "currency", "description",
                      "last_payment_error", "livemode", "next_action", "payment_method", "payment_method_types",
                      "status")


def new_id(prefix: str, length: int = 24) -> str:
    alphabet = string.ascii_letters + string.digits
    return f"{prefix}_" + "".join(secrets.choice(alphabet) for _ in range(length))


@dataclass
class StripeAccount:
    """One Stripe account, as one store has: its keys, its objects, its events."""
    id: str
    secret_key: str
    publishable_key: str
    webhook_secret: str
    webhook_url: str | None = None  # set it and every event is POSTed there, signed, as Stripe would
    objects: dict[str, dict] = field(default_factory=dict)  # every object by id (pi_, ch_, re_, dp_)
    events: list[dict] = field(default_factory=list)
    deliveries: BackgroundDeliveries = field(default_factory=BackgroundDeliveries)
    # (action, object id) -> how many times it happened at the provider; replays do not count.
    effects: Counter = field(default_factory=Counter)


def signature_header(payload: bytes, secret: str, timestamp: int | None = None) -> str:
    """``t=…,v1=…``: HMAC-SHA256 keyed with the endpoint secret over ``"{t}." + raw body``."""
    t = int(time.time()) if timestamp is None else timestamp
    v1 = hmac.new(secret.encode(), f"{t}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={t},v1={v1}"


def _raise_amount(event: dict) -> None:
    obj = event["data"]["object"]
    obj["amount"] = obj.get("amount", 0) + 100


def error(status: int, type_: str, message: str, *, code: str | None = None, param: str | None = None,
          replayable: bool = True, **extra) -> Response:
    body = {"type": type_, "message": message, **extra}
    if code:
        body["code"] = code
        body["doc_url"] = f"https://stripe.com/docs/error-codes/{code.replace('_', '-')}"
    if param:
        body["param"] = param
    return replace(Response.json(status, {"error": body}), replayable=replayable)


def invalid(message: str, *, code: str | None = None, param: str | None = None) -> Response:
    """A parameter refused before Stripe did anything: answered 400, never stored for replays."""
    return error(400, "invalid_request_error", message, code=code, param=param, replayable=False)


def unexpected_state(pi: dict, action: str, allowed: tuple[str, ...]) -> Response:
    return error(400, "invalid_request_error",
                 f"You cannot {action} this PaymentIntent because it has a status of {pi['status']}. It must "
                 f"have one of the following statuses: {', '.join(allowed)}.",
                 code="payment_intent_unexpected_state", payment_intent=ProviderImitation._public(pi))


def _integer(params: dict, name: str, *, required: bool) -> int | Response | None:
    value = params.get(name)
    if value is None:
        return invalid(f"Missing required param: {name}.", code="parameter_missing", param=name) if required else None
    if not str(value).isdigit() or int(value) < 1:
        return invalid(f"Invalid positive integer: {name}.", code="parameter_invalid_integer", param=name)
    return int(value)


def wrong_client_secret(params: dict, pi: dict) -> Response | None:
    if hmac.compare_digest(params.get("client_secret", "").encode(), pi["client_secret"].encode()):
        return None
    return invalid("The client_secret provided does not match the client_secret associated with the PaymentIntent.",
                   param="client_secret")


def publishable_view(pi: dict) -> dict:
    return {name: copy.deepcopy(pi[name]) for name in PUBLISHABLE_FIELDS}


def _masked(key: str) -> str:
    return f"{key[:8]}{'*' * 12}{key[-4:]}" if len(key) > 12 else "*" * len(key)


class StripeImitation(ProviderImitation[StripeAccount]):
    """Counted actions: created, confirmed, declined, authenticated, captured, canceled, refunded."""
    browser_host = "stripe"

    def __init__(self) -> None:
        super().__init__()
        self._request_context: dict = {}
        self._routes()

    # ---- accounts and what tests read ----------------------------------------------------------

    def add_account(self, *, secret_key: str | None = None, publishable_key: str | None = None,
                    webhook_secret: str | None = None) -> StripeAccount:
        return self._register(StripeAccount(new_id("acct", 16), secret_key or new_id("sk_test", 32),
                                            publishable_key or new_id("pk_test", 32),
                                            webhook_secret or new_id("whsec", 32)))

    # ---- what a shopper's browser does ---------------------------------------------------------

    def authenticate(self, payment_intent_id: str, *, succeed: bool = True) -> dict:
        """Complete (or fail) the 3-D Secure step of a payment intent in ``requires_action``, as the
        shopper does on the bank's page; returns the payment intent."""
        with self._lock:
            account, pi = self._owner(payment_intent_id)
            outcome = self._finish_authentication(account, pi, succeed)
            if isinstance(outcome, Response):
                raise ValueError(json.loads(outcome.body)["error"]["message"])
            return self._public(pi)

    def open_dispute(self, payment_intent_id: str, *, reason: str = "fraudulent") -> dict:
        """The cardholder disputes the charge: a dispute object and ``charge.dispute.created``."""
        with self._lock:
            account, pi = self._owner(payment_intent_id)
            charge = account.objects[pi["latest_charge"]]
            dispute = {"id": new_id("dp"), "object": "dispute", "amount": charge["amount_captured"],
                       "charge": charge["id"], "created": int(time.time()), "currency": charge["currency"],
                       "livemode": False, "metadata": {}, "payment_intent": pi["id"], "reason": reason,
                       "status": "needs_response"}
            account.objects[dispute["id"]] = dispute
            charge["disputed"] = True
            self._emit(account, "charge.dispute.created", dispute)
            return self._public(dispute)

    def settle_refund(self, refund_id: str, status: str) -> dict:
        """Move a refund to ``succeeded``, ``failed`` or ``canceled`` later, as banks do: ``refund.updated``
        (and on failure the amount goes back on the charge)."""
        with self._lock:
            account, refund = self._owner(refund_id)
            previous = refund["status"]
            refund["status"] = status
            if status in ("failed", "canceled") and previous not in ("failed", "canceled"):
                charge = account.objects[refund["charge"]]
                charge["amount_refunded"] -= refund["amount"]
                charge["refunded"] = False
                if status == "failed":
                    refund["failure_reason"] = "lost_or_stolen_card"
            self._emit(account, "refund.updated", refund, previous_attributes={"status": previous})
            return self._public(refund)

    # ---- webhooks ------------------------------------------------------------------------------

    def events(self, account: StripeAccount, type_: str | None = None) -> list[dict]:
        return [e for e in account.events if type_ is None or e["type"] == type_]

    def event_for(self, account: StripeAccount, type_: str, object_id: str) -> dict:
        """A new event of ``type_`` carrying the object's current state, recorded on the account."""
        with self._lock:
            owner, obj = self._owner(object_id)
            if owner is not account:
                raise KeyError(object_id)
            if type_ == "charge.refunded" and obj["object"] == "payment_intent":
                obj = account.objects[obj["latest_charge"]]
            return self._emit(account, type_, obj, deliver=False)

    @staticmethod
    def signed(event: dict, secret: str, *, timestamp: int | None = None) -> SignedDelivery:
        """The event's delivery, signed with ``secret`` at ``timestamp`` (now by default; pass an old one
        to test the tolerance)."""
        body = json.dumps(event, indent=2).encode()
        return SignedDelivery(body, {"Content-Type": "application/json; charset=utf-8",
                                     "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
                                     "Stripe-Signature": signature_header(body, secret, timestamp)},
                              ("Stripe-Signature",), _raise_amount)

    def webhook(self, account: StripeAccount, type_: str, object_id: str, *,
                timestamp: int | None = None) -> SignedDelivery:
        """Build, record and sign an event with the account's own webhook secret."""
        return self.signed(self.event_for(account, type_, object_id), account.webhook_secret, timestamp=timestamp)

    # ---- state changes -------------------------------------------------------------------------

    def _emit(self, account: StripeAccount, type_: str, obj: dict, *, previous_attributes: dict | None = None,
              deliver: bool = True) -> dict:
        data: dict = {"object": self._public(obj)}
        if previous_attributes:
            data["previous_attributes"] = previous_attributes
        event = {"id": new_id("evt"), "object": "event", "api_version": API_VERSION, "created": int(time.time()),
                 "data": data, "livemode": False, "pending_webhooks": 1 if account.webhook_url else 0,
                 "request": {"id": self._request_context.get("id"),
                             "idempotency_key": self._request_context.get("idempotency_key")},
                 "type": type_}
        account.events.append(event)
        if deliver and account.webhook_url:
            account.deliveries.send(event["id"], self.signed(event, account.webhook_secret), account.webhook_url)
        return copy.deepcopy(event)

    def _charge(self, account: StripeAccount, pi: dict, *, captured: bool, failure: tuple[str, str] | None) -> dict:
        charge = {"id": new_id("ch"), "object": "charge", "amount": pi["amount"],
                  "amount_captured": pi["amount"] if captured else 0, "amount_refunded": 0, "captured": captured,
                  "created": int(time.time()), "currency": pi["currency"], "disputed": False,
                  "failure_code": failure[0] if failure else None,
                  "failure_message": "Your card was declined." if failure else None,
                  "livemode": False, "metadata": dict(pi["metadata"]), "paid": failure is None,
                  "payment_intent": pi["id"], "payment_method": pi["payment_method"], "refunded": False,
                  "status": "failed" if failure else "succeeded",
                  "outcome": {"type": "issuer_declined" if failure else "authorized",
                              "seller_message": "The bank did not return any further details with this decline."
                              if failure else "Payment complete."}}
        account.objects[charge["id"]] = charge
        pi["latest_charge"] = charge["id"]
        return charge

    def _succeed(self, account: StripeAccount, pi: dict) -> None:
        """The card was authorised: charged now (automatic capture) or held (manual)."""
        manual = pi["capture_method"] == "manual"
        self._charge(account, pi, captured=not manual, failure=None)
        pi["next_action"] = None
        pi["last_payment_error"] = None
        if manual:
            pi.update(status="requires_capture", amount_capturable=pi["amount"])
            self._emit(account, "payment_intent.amount_capturable_updated", pi)
        else:
            pi.update(status="succeeded", amount_received=pi["amount"])
            account.effects[("captured", pi["id"])] += 1
            self._emit(account, "payment_intent.succeeded", pi)

    def _decline(self, account: StripeAccount, pi: dict, code: str, decline_code: str) -> Response:
        payment_method = pi["payment_method"]
        charge = self._charge(account, pi, captured=False, failure=(code, decline_code))
        last_error = {"type": "card_error", "code": code, "decline_code": decline_code,
                      "message": "Your card was declined." if decline_code == "generic_decline"
                      else "Your card has insufficient funds.",
                      "charge": charge["id"], "payment_method": {"id": payment_method, "object": "payment_method",
                                                                 "type": "card"}}
        pi.update(status="requires_payment_method", payment_method=None, last_payment_error=last_error)
        account.effects[("declined", pi["id"])] += 1
        self._emit(account, "payment_intent.payment_failed", pi)
        return error(402, "card_error", last_error["message"], code=code, decline_code=decline_code,
                     charge=charge["id"], payment_intent=self._public(pi))

    def _finish_authentication(self, account: StripeAccount, pi: dict, succeed: bool) -> Response | None:
        if pi["status"] != "requires_action":
            return unexpected_state(pi, "authenticate", ("requires_action",))
        account.effects[("authenticated", pi["id"])] += 1
        if succeed:
            self._succeed(account, pi)
            return None
        pi.update(status="requires_payment_method", payment_method=None, next_action=None, last_payment_error={
            "type": "invalid_request_error", "code": "payment_intent_authentication_failure",
            "message": "The provided PaymentMethod has failed authentication. You can provide payment_method_data "
                       "or a new PaymentMethod to attempt to fulfill this PaymentIntent again."})
        self._emit(account, "payment_intent.payment_failed", pi)
        return None

    # ---- the HTTP API --------------------------------------------------------------------------

    def not_found(self, request: Request) -> Response:
        return invalid(f"Unrecognized request URL ({request.method}: {request.path}).")

    def server_error(self, request: Request) -> Response:
        return error(500, "api_error", "An unknown error occurred while processing your request.",
                     replayable=False)

    def idempotency_key(self, request: Request) -> str | None:
        return request.headers.get("Idempotency-Key")

    def _routes(self) -> None:
        add = self.router.add
        add("GET", "/v1/balance", self._api(self._balance))
        add("POST", "/v1/payment_intents", self._api(self._create_intent))
        add("GET", "/v1/payment_intents/{id}", self._api(self._retrieve_intent, publishable=True))
        add("POST", "/v1/payment_intents/{id}", self._api(self._update_intent))
        add("POST", "/v1/payment_intents/{id}/confirm", self._api(self._confirm_intent, publishable=True))
        add("POST", "/v1/payment_intents/{id}/capture", self._api(self._capture_intent))
        add("POST", "/v1/payment_intents/{id}/cancel", self._api(self._cancel_intent))
        add("POST", "/v1/refunds", self._api(self._create_refund))
        add("GET", "/v1/refunds/{id}", self._api(self._retrieve("refund")))
        add("GET", "/v1/charges/{id}", self._api(self._retrieve("charge")))
        add("GET", "/3ds/{id}", self._three_d_secure_page)
        add("POST", "/3ds/{id}/complete", self._three_d_secure_complete)
        add("GET", "/v3", self._stripe_js)
        add("GET", "/v3/", self._stripe_js)

    def _authenticate(self, request: Request, params: dict) -> tuple[StripeAccount, bool] | Response:
        """The account and whether the caller holds only its publishable key (the browser)."""
        authorization = request.headers.get("Authorization") or ""
        key = authorization.removeprefix("Bearer ").strip() if authorization.startswith("Bearer ") else ""
        key = key or params.get("key", "")
        if not key:
            return error(401, "invalid_request_error",
                         "You did not provide an API key. You need to provide your API key in the Authorization "
                         "header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY').")
        for account in self.accounts:
            if hmac.compare_digest(key.encode(), account.secret_key.encode()):
                return account, False
            if hmac.compare_digest(key.encode(), account.publishable_key.encode()):
                return account, True
        return error(401, "invalid_request_error", f"Invalid API Key provided: {_masked(key)}")

    def _api(self, handler, *, publishable: bool = False):
        """Authentication, parameters, idempotency and the Stripe response headers around a handler
        ``handler(account, params, request, fault, publishable) -> Response``."""
        def serve(request: Request, fault: Fault | None) -> Response:
            params = forms.decode(request.body.decode() if request.method == "POST" else request.query_string)
            with self._lock:
                authenticated = self._authenticate(request, params)
                if isinstance(authenticated, Response):
                    return authenticated
                account, by_publishable_key = authenticated
                if by_publishable_key and not publishable:
                    return error(401, "invalid_request_error", "This API call cannot be made with a publishable "
                                 "API key. Please use a secret API key.")
                key = self.idempotency_key(request) if request.method == "POST" else None
                self._request_context = {"id": new_id("req", 14), "idempotency_key": key}
                params.pop("key", None)
                response = self._idempotency.run(
                    account.id, key, fingerprint(request.method, request.path, sorted(params.items(), key=str)),
                    lambda: handler(account, params, request, fault, by_publishable_key),
                    replay=lambda first: lambda: replace(first, headers={**first.headers,
                                                                         "Idempotent-Replayed": "true"}),
                    mismatch=lambda: error(400, "idempotency_error",
                                           "Keys for idempotent requests can only be used with the same parameters "
                                           f"they were first used with. Try using a key other than '{key}' if you "
                                           "meant to execute a different request.", replayable=False))
                headers = {"Request-Id": self._request_context["id"], "Stripe-Version": API_VERSION}
                if key:
                    headers["Idempotency-Key"] = key
                return replace(response, headers={**headers, **response.headers})
        return serve

    def _expanded(self, account: StripeAccount, obj: dict, params: dict) -> dict:
        view = self._public(obj)
        for name in params.get("expand", []) or []:
            if isinstance(view.get(name), str) and view[name] in account.objects:
                view[name] = self._public(account.objects[view[name]])
        return view

    def _object(self, account: StripeAccount, object_id: str, kind: str) -> dict | Response:
        obj = account.objects.get(object_id)  # another account's ids are as unknown as made-up ones
        if obj is None or obj["object"] != kind:
            return error(404, "invalid_request_error", f"No such {kind}: '{object_id}'", code="resource_missing",
                         param="intent" if kind == "payment_intent" else "id")
        return obj

    def _balance(self, account, params, request, fault, publishable) -> Response:
        totals: Counter = Counter()
        for obj in account.objects.values():
            if obj["object"] == "charge":
                totals[obj["currency"]] += obj["amount_captured"] - obj["amount_refunded"]
        available = [{"amount": amount, "currency": currency, "source_types": {"card": amount}}
                     for currency, amount in sorted(totals.items())] or [
            {"amount": 0, "currency": "usd", "source_types": {"card": 0}}]
        return Response.json(200, {"object": "balance", "available": available, "livemode": False,
                                   "pending": [{**entry, "amount": 0} for entry in available]})

    def _create_intent(self, account, params, request, fault, publishable) -> Response:
        amount = _integer(params, "amount", required=True)
        if isinstance(amount, Response):
            return amount
        currency = str(params.get("currency", "")).lower()
        if len(currency) != 3 or not currency.isalpha():
            return invalid("Missing required param: currency.", code="parameter_missing", param="currency")
        capture_method = params.get("capture_method", "automatic_async")
        if capture_method not in ("automatic", "automatic_async", "manual"):
            return invalid("Invalid capture_method: must be one of automatic, automatic_async, or manual",
                           code="parameter_invalid_empty", param="capture_method")
        refused = self._refused_descriptor(params) or self._refused_metadata(params)
        if refused:
            return refused
        automatic = params.get("automatic_payment_methods")
        pi_id = new_id("pi")
        pi = {"id": pi_id, "object": "payment_intent", "amount": amount, "amount_capturable": 0,
              "amount_received": 0,
              "automatic_payment_methods": {"allow_redirects": "always", "enabled": True}
              if isinstance(automatic, dict) and automatic.get("enabled") == "true" else None,
              "canceled_at": None, "cancellation_reason": None, "capture_method": capture_method,
              "client_secret": f"{pi_id}_secret_{new_id('s', 25)[2:]}", "confirmation_method": "automatic",
              "created": int(time.time()), "currency": currency, "customer": params.get("customer"),
              "description": params.get("description"), "last_payment_error": None, "latest_charge": None,
              "livemode": False, "metadata": dict(params.get("metadata") or {}), "next_action": None,
              "payment_method": params.get("payment_method"), "payment_method_types": ["card"],
              "receipt_email": params.get("receipt_email"), "_return_url": params.get("return_url"),
              "statement_descriptor": params.get("statement_descriptor"),
              "statement_descriptor_suffix": params.get("statement_descriptor_suffix"),
              "status": "requires_payment_method"}
        account.objects[pi_id] = pi
        account.effects[("created", pi_id)] += 1
        self._emit(account, "payment_intent.created", pi)
        if params.get("confirm") == "true":
            return self._confirm(account, pi, params, fault, publishable=False)
        return Response.json(200, self._expanded(account, pi, params))

    @staticmethod
    def _refused_descriptor(params: dict) -> Response | None:
        for name, limit in (("statement_descriptor", 22), ("statement_descriptor_suffix", 22)):
            value = params.get(name)
            if value is None:
                continue
            if len(value) > limit or not any(c.isalpha() for c in value) or set(value) & set("<>\\'\"*"):
                return invalid(f"The {name} must be at most {limit} characters, contain at least one letter and "
                               "none of < > \\ ' \" *.", code="parameter_invalid_string_blank", param=name)
        return None

    @staticmethod
    def _refused_metadata(params: dict) -> Response | None:
        metadata = params.get("metadata")
        if metadata in (None, ""):
            return None
        if not isinstance(metadata, dict) or len(metadata) > 50 or any(len(k) > 40 or len(v) > 500
                                                                     for k, v in metadata.items()):
            return invalid("Invalid metadata: up to 50 keys of at most 40 characters, values of at most 500.",
                           param="metadata")
        return None

    def _retrieve_intent(self, account, params, request, fault, publishable) -> Response:
        pi = self._object(account, request.params["id"], "payment_intent")
        if isinstance(pi, Response):
            return pi
        refused = wrong_client_secret(params, pi) if publishable else None
        return refused or self._intent_view(account, pi, params, publishable)

    def _update_intent(self, account, params, request, fault, publishable) -> Response:
        pi = self._object(account, request.params["id"], "payment_intent")
        if isinstance(pi, Response):
            return pi
        if pi["status"] in ("succeeded", "canceled"):
            return unexpected_state(pi, "update", ("requires_payment_method", "requires_confirmation",
                                                   "requires_action", "requires_capture"))
        if "amount" in params:
            amount = _integer(params, "amount", required=True)
            if isinstance(amount, Response):
                return amount
            if pi["status"] == "requires_capture":
                return unexpected_state(pi, "update the amount of", CONFIRMABLE)
            pi["amount"] = amount
        refused = self._refused_descriptor(params) or self._refused_metadata(params)
        if refused:
            return refused
        if "metadata" in params:
            # Stripe merges metadata; an empty value unsets a key, an empty metadata unsets them all.
            metadata = params["metadata"]
            if metadata == "":
                pi["metadata"] = {}
            else:
                for name, value in metadata.items():
                    if value == "":
                        pi["metadata"].pop(name, None)
                    else:
                        pi["metadata"][name] = value
        for name in ("currency", "description", "statement_descriptor", "statement_descriptor_suffix",
                     "payment_method", "receipt_email", "capture_method"):
            if name in params:
                pi[name] = params[name].lower() if name == "currency" else params[name]
        return Response.json(200, self._expanded(account, pi, params))

    def _confirm_intent(self, account, params, request, fault, publishable) -> Response:
        pi = self._object(account, request.params["id"], "payment_intent")
        if isinstance(pi, Response):
            return pi
        refused = wrong_client_secret(params, pi) if publishable else None
        return refused or self._confirm(account, pi, params, fault, publishable=publishable)

    def _confirm(self, account: StripeAccount, pi: dict, params: dict, fault: Fault | None, *,
                 publishable: bool) -> Response:
        if pi["status"] not in CONFIRMABLE:
            return unexpected_state(pi, "confirm", CONFIRMABLE)
        payment_method = params.get("payment_method") or pi["payment_method"]
        if not payment_method:
            return invalid("You cannot confirm this PaymentIntent because it's missing a payment method. To confirm "
                           "the PaymentIntent with a payment method, pass payment_method.",
                           code="payment_intent_unexpected_state", param="payment_method")
        behaviour = TEST_PAYMENT_METHODS.get(payment_method)
        if behaviour is None:
            return invalid(f"No such PaymentMethod: '{payment_method}'", code="resource_missing",
                           param="payment_method")
        pi["payment_method"] = payment_method
        if params.get("return_url"):
            pi["_return_url"] = params["return_url"]
        account.effects[("confirmed", pi["id"])] += 1
        if fault and fault.kind == "decline":
            behaviour = ("card_declined", "generic_decline")
        if isinstance(behaviour, tuple):
            return self._decline(account, pi, *behaviour)
        if behaviour == THREE_D_SECURE:
            query = urlencode({"client_secret": pi["client_secret"]})
            pi.update(status="requires_action", next_action={
                "type": "redirect_to_url",
                "redirect_to_url": {"url": f"{self.browser_url}/3ds/{pi['id']}?{query}",
                                    "return_url": pi["_return_url"]}})
            self._emit(account, "payment_intent.requires_action", pi)
        else:
            self._succeed(account, pi)
        return self._intent_view(account, pi, params, publishable)

    def _intent_view(self, account: StripeAccount, pi: dict, params: dict, publishable: bool) -> Response:
        """The browser (publishable key) sees the payment intent without metadata or charges."""
        return Response.json(200, publishable_view(pi) if publishable else self._expanded(account, pi, params))

    def _capture_intent(self, account, params, request, fault, publishable) -> Response:
        pi = self._object(account, request.params["id"], "payment_intent")
        if isinstance(pi, Response):
            return pi
        if fault and fault.kind == "decline":
            return error(402, "card_error", "Your card was declined.", code="card_declined",
                         decline_code="generic_decline", payment_intent=self._public(pi))
        if pi["status"] != "requires_capture":
            return unexpected_state(pi, "capture", ("requires_capture",))
        amount = _integer(params, "amount_to_capture", required=False)
        if isinstance(amount, Response):
            return amount
        amount = pi["amount_capturable"] if amount is None else amount
        if amount > pi["amount_capturable"]:
            return invalid(f"The amount to capture ({amount}) must be less than or equal to the amount capturable "
                           f"({pi['amount_capturable']}).", code="amount_too_large", param="amount_to_capture")
        charge = account.objects[pi["latest_charge"]]
        charge.update(amount_captured=amount, captured=True)
        # A partial capture releases the rest of the authorisation: nothing more can be captured.
        pi.update(status="succeeded", amount_received=amount, amount_capturable=0)
        account.effects[("captured", pi["id"])] += 1
        self._emit(account, "payment_intent.succeeded", pi)
        return Response.json(200, self._expanded(account, pi, params))

    def _cancel_intent(self, account, params, request, fault, publishable) -> Response:
        pi = self._object(account, request.params["id"], "payment_intent")
        if isinstance(pi, Response):
            return pi
        if pi["status"] not in CANCELABLE:
            return unexpected_state(pi, "cancel", CANCELABLE)
        reason = params.get("cancellation_reason")
        if reason not in (None, "duplicate", "fraudulent", "requested_by_customer", "abandoned"):
            return invalid("Invalid cancellation_reason.", param="cancellation_reason")
        pi.update(status="canceled", amount_capturable=0, canceled_at=int(time.time()), next_action=None,
                  cancellation_reason=reason)
        account.effects[("canceled", pi["id"])] += 1
        self._emit(account, "payment_intent.canceled", pi)
        return Response.json(200, self._expanded(account, pi, params))

    def _create_refund(self, account, params, request, fault, publishable) -> Response:
        if params.get("payment_intent"):
            pi = self._object(account, params["payment_intent"], "payment_intent")
            if isinstance(pi, Response):
                return pi
            charge = account.objects.get(pi["latest_charge"] or "")
        elif params.get("charge"):
            charge = self._object(account, params["charge"], "charge")
            if isinstance(charge, Response):
                return charge
        else:
            return invalid("One of the following params should be provided for this request: payment_intent or "
                           "charge.", code="parameter_missing", param="payment_intent")
        if charge is None or charge["status"] != "succeeded" or not charge["captured"]:
            return invalid(f"This PaymentIntent ({params.get('payment_intent')}) does not have a successful "
                           "charge to refund.", code="charge_not_refundable")
        remaining = charge["amount_captured"] - charge["amount_refunded"]
        if remaining == 0:
            return invalid(f"Charge {charge['id']} has already been refunded.", code="charge_already_refunded")
        amount = _integer(params, "amount", required=False)
        if isinstance(amount, Response):
            return amount
        amount = remaining if amount is None else amount
        if amount > remaining:
            return invalid(f"Refund amount ({amount}) is greater than unrefunded amount on charge ({remaining}).",
                           code="amount_too_large", param="amount")
        refund = {"id": new_id("re"), "object": "refund", "amount": amount, "balance_transaction": None,
                  "charge": charge["id"], "created": int(time.time()), "currency": charge["currency"],
                  "destination_details": {"type": "card"}, "metadata": dict(params.get("metadata") or {}),
                  "payment_intent": charge["payment_intent"], "reason": params.get("reason"),
                  "receipt_number": None, "status": "succeeded"}
        account.objects[refund["id"]] = refund
        charge["amount_refunded"] += amount
        charge["refunded"] = charge["amount_refunded"] == charge["amount_captured"]
        account.effects[("created", refund["id"])] += 1
        account.effects[("refunded", charge["payment_intent"])] += 1
        self._emit(account, "refund.created", refund)
        self._emit(account, "charge.refunded", charge)
        return Response.json(200, self._expanded(account, refund, params))

    def _retrieve(self, kind: str):
        def retrieve(account, params, request, fault, publishable) -> Response:
            obj = self._object(account, request.params["id"], kind)
            return obj if isinstance(obj, Response) else Response.json(200, self._expanded(account, obj, params))
        return retrieve

    # ---- the bank's 3-D Secure page and Stripe.js ----------------------------------------------

    def _intent_for_page(self, request: Request, client_secret: str) -> tuple[StripeAccount, dict] | Response:
        try:
            account, pi = self._owner(request.params["id"])
        except KeyError:
            return Response.html("<p>Unknown payment.</p>", 404)
        if pi.get("object") != "payment_intent" or wrong_client_secret({"client_secret": client_secret}, pi):
            return Response.html("<p>Unknown payment.</p>", 404)
        return account, pi

    def _three_d_secure_page(self, request: Request, fault: Fault | None) -> Response:
        with self._lock:
            found = self._intent_for_page(request, request.query.get("client_secret", ""))
            if isinstance(found, Response):
                return found
            _, pi = found
            amount = f"{pi['amount']} {pi['currency'].upper()} (minor units)"
        secret = pi["client_secret"]
        button = ('<form method="post" action="/3ds/{id}/complete"><input type="hidden" name="client_secret" '
                  'value="{secret}"><input type="hidden" name="outcome" value="{outcome}">'
                  '<button id="three-ds-{outcome}" type="submit">{label}</button></form>')
        return Response.html(
            "<!doctype html><html><head><title>3-D Secure</title></head><body><h1>Confirm your payment</h1>"
            f"<p id='three-ds-amount'>{amount}</p>"
            + button.format(id=pi["id"], secret=secret, outcome="complete", label="Complete authentication")
            + button.format(id=pi["id"], secret=secret, outcome="fail", label="Fail authentication")
            + "</body></html>")

    def _three_d_secure_complete(self, request: Request, fault: Fault | None) -> Response:
        form = forms.decode(request.body.decode())
        with self._lock:
            found = self._intent_for_page(request, form.get("client_secret", ""))
            if isinstance(found, Response):
                return found
            account, pi = found
            refused = self._finish_authentication(account, pi, form.get("outcome") == "complete")
            if refused is not None:
                return Response.html("<p>This payment needs no authentication.</p>", 400)
            return_url = pi["_return_url"]
            succeeded = pi["status"] in ("succeeded", "requires_capture")
            query = urlencode({"payment_intent": pi["id"], "payment_intent_client_secret": pi["client_secret"],
                               "redirect_status": "succeeded" if succeeded else "failed"})
        if return_url:
            return Response.redirect(f"{return_url}{'&' if '?' in return_url else '?'}{query}")
        return Response.html("<p id='three-ds-done'>Authentication finished. You can close this window.</p>")

    def _stripe_js(self, request: Request, fault: Fault | None) -> Response:
        script = resources.files(__package__).joinpath("stripe_js.js").read_text()
        script = script.replace("__API_BASE__", json.dumps(f"http://{request.headers.get('Host')}"))
        script = script.replace("__TEST_CARDS__", json.dumps(TEST_CARD_NUMBERS))
        return Response(200, script.encode(), "application/javascript; charset=utf-8")
