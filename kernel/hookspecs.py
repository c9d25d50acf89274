"""The whole contract between the kernel and plugins.

Every hook is keyword-only and append-only: the kernel always calls with
keywords, an implementation may accept any subset of the arguments, and
arguments are never renamed or removed without a deprecation cycle.
Implementations may be plain functions or ``async def``; the kernel awaits
awaitable results through one call path (:mod:`kernel.plugins.calling`).

**How each hook is called is part of its specification**: the ``@hook(...)``
decorator on each spec records a :class:`CallingRule` in :data:`RULES`, and the
kernel's per-store facade (:class:`kernel.plugins.relay.Hooks`) follows it:

* ``results``: ``"all"`` collects every enabled implementation's non-``None``
  answer; ``"first"`` stops at the first non-``None`` one ("First non-None result wins.");
* ``failure``: ``"isolate"`` logs a failing (raising or timed-out) implementation
  with plugin and store, then skips it; ``"fallback"`` does so while a later
  implementation can still answer, and fails the request when the last one fails;
  ``"fail"`` fails the request (or, for events, the delivery, which is retried);
* ``timeout``: seconds each implementation may take before it counts as failed;
* ``addressed``: called for one named plugin only (the gateway that owns a payment).

No hook uses pluggy's ``firstresult`` (a coroutine is not ``None``), and wrapper
implementations (``wrapper=True`` / ``hookwrapper=True``) are refused at
registration: the kernel calls implementations one by one, so a wrapper would
never run.

Store-scoped hooks receive ``store`` (a :class:`plugin_sdk.types.StoreInfo`) and
``settings`` (an instance of *your own* plugin's settings model, validated, for
that store; ``None`` only when your plugin declares no settings), and run only for
plugins enabled for that store. A plugin whose stored settings no longer validate
"needs attention" in that store and is not called there at all. Hooks that run
inside a request or a job also receive ``context`` (a
:class:`plugin_sdk.PluginContext`: the transaction's session, the store, your
settings, ``enqueue``, ``emit_event`` and a logger). Hooks without ``store`` run at
start-up, once per process, for every installed plugin; the kernel then filters
what they contributed per store.

The plugin author's guide (docs/plugins.md) has one section per hook headed by
the exact signature below; a test keeps the two in step and runs every example
through the kernel's real call.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import pluggy

if TYPE_CHECKING:  # annotations only: plugins never need these imports at run time
    from pathlib import Path

    from fastapi import APIRouter

    from plugin_sdk.context import PluginContext
    from plugin_sdk.settings import PluginSettings
    from plugin_sdk.events import Event
    from plugin_sdk.types import (CartView, OrderView, PaymentMethod, PaymentResult, PaymentView, ShippingRate,
                                  StoreInfo, TaxLine)

hookspec = pluggy.HookspecMarker("pycommerce")


@dataclass(frozen=True)
class CallingRule:
    """How the kernel calls one hook (see the module docstring)."""

    results: Literal["all", "first"]
    failure: Literal["isolate", "fallback", "fail"]
    timeout: float | None
    addressed: bool = False
    startup: bool = False
    provisional: bool = False

    def describe(self) -> str:
        """One sentence for the guide."""
        if self.startup:
            return "Called once per process at start-up, for every installed plugin; an error stops start-up."
        who = "the one plugin it is addressed to" if self.addressed else "every enabled plugin"
        answer = "first non-None result wins" if self.results == "first" else "every result is collected"
        failing = {"isolate": "a failing implementation is logged with plugin and store, then skipped",
                   "fallback": "a failing implementation is logged and skipped while a later one can answer; "
                               "when the last one fails, so does the request",
                   "fail": "a failing implementation fails the request"}[self.failure]
        return f"Called for {who}; {answer}; {failing}; time limit {self.timeout:g} s."


RULES: dict[str, CallingRule] = {}


def hook(*, results: Literal["all", "first"] = "all", failure: Literal["isolate", "fallback", "fail"] = "fail",
         timeout: float | None = None, addressed: bool = False, startup: bool = False, provisional: bool = False):
    """Declare a hook specification together with its calling rule."""
    rule = CallingRule(results, failure, timeout, addressed, startup, provisional)

    def declare(spec):
        RULES[spec.__name__] = rule
        return hookspec(spec)

    return declare


# ---------------------------------------------------------------------------------------------
# Start-up and registration
# ---------------------------------------------------------------------------------------------


@hook(startup=True)
def pyc_plugin_settings() -> type[PluginSettings] | None:
    """Return the pydantic model class of this plugin's settings.

    Called once per process when the kernel first needs the settings models
    (validation, the settings form's JSON schema, building a store's hooks).
    Fields typed ``plugin_sdk.Secret`` are encrypted at rest, write-only through
    the API (always shown masked) and never logged. Every field may be set per
    store, or for the whole platform (a platform administrator, or the variable
    ``PYCOMMERCE_PLUGIN_<PLUGIN ID>_<FIELD>``); the store's value wins.

    :return: a subclass of ``plugin_sdk.PluginSettings``; ``None`` means the plugin has no settings.

    .. versionadded:: 0.1

    Example::

        class Settings(PluginSettings):
            rate: int = Field(default=500, ge=0)
            api_key: Secret | None = None

        @hookimpl
        def pyc_plugin_settings():
            return Settings
    """


@hook(startup=True)
def pyc_api_routers() -> APIRouter | list[APIRouter] | None:
    """Return FastAPI routers to mount in the JSON API.

    Called once at start-up. Routes under ``/api/v1/stores/{store_slug}/…``
    answer 404 for stores where the plugin is disabled (the kernel guards them);
    other routes are always reachable, so protect them yourself. Take the session,
    the store, the signed-in staff or customer and CSRF from ``plugin_sdk.deps``.

    :return: an ``APIRouter`` or a list of them; ``None`` mounts nothing.

    .. versionadded:: 0.1

    Example::

        router = APIRouter(prefix="/api/v1/stores/{store_slug}/hello")

        @router.get("", summary="Say hello")
        async def hello(store: deps.StoreDep) -> dict[str, str]:
            return {"hello": store.name}

        @hookimpl
        def pyc_api_routers():
            return router
    """


@hook(startup=True)
def pyc_api_scopes() -> dict[str, str] | None:
    """Return ``{"scope": "what it allows"}``: API-key scopes this plugin's routes check.

    Called once at start-up. Store owners may grant these scopes to API keys like
    the kernel's own; guard a route with ``plugin_sdk.deps.require_staff(role, scope)``.
    Prefix scopes with your plugin id (``"acme_erp:sync"``); a scope claimed twice stops start-up.

    :return: a mapping of scope names to descriptions; ``None`` declares none.

    .. versionadded:: 0.2

    Example::

        @hookimpl
        def pyc_api_scopes():
            return {"example:read": "Read the example plugin's records."}
    """


# ---------------------------------------------------------------------------------------------
# Storefront
# ---------------------------------------------------------------------------------------------


@hook(results="all", failure="isolate", timeout=2)
def pyc_template_dirs(store: StoreInfo) -> list[str | Path] | None:
    """Return template directories that override or extend the theme for ``store``.

    Called when a storefront page of ``store`` is rendered; the directories of
    every enabled plugin are searched before the theme's.

    :param store: the store whose storefront is being rendered.
    :return: a list of directory paths; ``None`` adds nothing.

    .. versionadded:: 0.1

    Example::

        @hookimpl
        def pyc_template_dirs(store):
            return [Path(__file__).parent / "templates"]
    """


@hook(startup=True)
def pyc_static_dirs() -> dict[str, str | Path] | None:
    """Return ``{"name": path}`` static folders to serve.

    Called once at start-up; each folder is served under
    ``/static/plugins/<plugin id>/<name>/``.

    :return: a mapping of folder names to existing directories; ``None`` serves nothing.

    .. versionadded:: 0.1

    Example::

        @hookimpl
        def pyc_static_dirs():
            return {"assets": Path(__file__).parent}
    """


# ---------------------------------------------------------------------------------------------
# Checkout and payment
# ---------------------------------------------------------------------------------------------


@hook(results="all", failure="isolate", timeout=5)
def pyc_shipping_rates(store: StoreInfo, cart: CartView, settings: PluginSettings | None,
                       context: PluginContext) -> list[ShippingRate] | None:
    """Return the shipping rates this plugin offers for ``cart``.

    Called at checkout whenever the cart or its shipping address changes. Every
    enabled shipping plugin contributes; the shopper picks one rate. A plugin that
    raises or runs past its limit is left out (logged with plugin and store) and
    the shopper chooses among the others' rates.

    :param store: the store checking out.
    :param cart: the cart, with ``shipping_address`` when known.
    :param settings: your settings for ``store``.
    :param context: the request's unit of work (session, store, settings, enqueue, emit_event, log).
    :return: a list of ``ShippingRate``; an empty list or ``None`` offers nothing.

    .. versionadded:: 0.1

    Example::

        @hookimpl
        def pyc_shipping_rates(store, cart, settings):
            return [ShippingRate(code="flat", name="Flat rate", amount=500, currency=cart.currency)]
    """


@hook(results="first", failure="fallback", timeout=5)
def pyc_tax_lines(store: StoreInfo, cart: CartView, shipping: ShippingRate | None,
                  settings: PluginSettings | None, context: PluginContext) -> list[TaxLine] | None:
    """Return the tax lines for ``cart`` and the chosen ``shipping`` rate.

    Called at checkout after a shipping rate is chosen (and again when the cart
    changes). A store uses one tax engine: First non-None result wins. A failing
    engine is skipped while another can answer; when none is left, checkout fails
    rather than charge no tax.

    :param store: the store checking out.
    :param cart: the cart, with its addresses.
    :param shipping: the chosen shipping rate, or ``None`` before one is chosen.
    :param settings: your settings for ``store``.
    :param context: the request's unit of work.
    :return: a list of ``TaxLine`` (empty: no tax); ``None`` leaves the decision to the next plugin.

    .. versionadded:: 0.1

    Example::

        @hookimpl
        def pyc_tax_lines(store, cart, shipping, settings):
            return [TaxLine(name="VAT", rate_bp=1900, amount=line.total * 19 // 100, line_index=i)
                    for i, line in enumerate(cart.lines)]
    """


@hook(results="all", failure="isolate", timeout=5)
def pyc_payment_methods(store: StoreInfo, cart: CartView, settings: PluginSettings | None,
                        context: PluginContext) -> list[PaymentMethod] | None:
    """Return the payment methods this gateway offers for ``cart``.

    Called at checkout to list the ways to pay; every enabled gateway contributes.
    A failing gateway is left out (logged) and the others' methods are offered.

    :param store: the store checking out.
    :param cart: the cart being paid for.
    :param settings: your settings for ``store``.
    :param context: the request's unit of work.
    :return: a list of ``PaymentMethod``; ``None`` or an empty list offers nothing.

    .. versionadded:: 0.1

    Example::

        @hookimpl
        def pyc_payment_methods(store, cart, settings):
            return [PaymentMethod(code="invoice", name="Pay by invoice")]
    """


@hook(results="first", failure="fail", timeout=30, addressed=True)
def pyc_create_payment(store: StoreInfo, order: OrderView, method: str, amount: int, idempotency_key: str,
                       settings: PluginSettings | None, context: PluginContext) -> PaymentResult | None:
    """Return the result of starting a payment of ``amount`` for ``order`` when ``method`` is one of yours.

    Called when an order is placed, for the plugin that offered ``method`` only,
    inside the placement's transaction: raising (or running past the limit) fails
    the placement and nothing is written.

    :param store: the order's store.
    :param order: the order just placed.
    :param method: the ``PaymentMethod.code`` the shopper chose.
    :param amount: minor units, in ``order.currency``.
    :param idempotency_key: unique per placement; send it to your gateway so a retried call charges once.
    :param settings: your settings for ``store``.
    :param context: the placement's unit of work.
    :return: a ``PaymentResult``; ``None`` means "not my method".

    .. versionadded:: 0.1

    Example::

        @hookimpl
        def pyc_create_payment(store, order, method, amount, settings):
            if method != "invoice":
                return None
            return PaymentResult(status="pending", amount=amount, instructions="Pay within 14 days.")
    """


@hook(results="first", failure="fail", timeout=30, addressed=True)
def pyc_capture_payment(store: StoreInfo, order: OrderView, payment: PaymentView, amount: int,
                        settings: PluginSettings | None, context: PluginContext) -> PaymentResult | None:
    """Return the result of capturing ``amount`` of an authorized ``payment`` that you created.

    Called when the merchant captures a payment (or marks it received), for the
    plugin that created the payment only.

    :param store: the order's store.
    :param order: the order the payment belongs to.
    :param payment: the kernel's payment record (``payment.reference`` is your gateway's id).
    :param amount: minor units to capture.
    :param settings: your settings for ``store``.
    :param context: the request's unit of work.
    :return: a ``PaymentResult``; ``None`` means "not my payment".

    .. versionadded:: 0.1

    Example::

        @hookimpl
        def pyc_capture_payment(store, order, payment, amount, settings):
            return PaymentResult(status="captured", reference=payment.reference, amount=amount)
    """


@hook(results="first", failure="fail", timeout=30, addressed=True)
def pyc_refund_payment(store: StoreInfo, order: OrderView, payment: PaymentView, amount: int,
                       settings: PluginSettings | None, context: PluginContext) -> PaymentResult | None:
    """Return the result of refunding ``amount`` of a ``payment`` that you created.

    Called when the merchant refunds, for the plugin that created the payment only.

    :param store: the order's store.
    :param order: the order the payment belongs to.
    :param payment: the kernel's payment record (``payment.reference`` is your gateway's id).
    :param amount: minor units to refund.
    :param settings: your settings for ``store``.
    :param context: the request's unit of work.
    :return: a ``PaymentResult``; ``None`` means "not my payment".

    .. versionadded:: 0.1

    Example::

        @hookimpl
        def pyc_refund_payment(store, order, payment, amount, settings):
            return PaymentResult(status="refunded", reference=payment.reference, amount=amount)
    """


@hook(results="first", failure="fail", timeout=10, addressed=True)
def pyc_gateway_webhook(store: StoreInfo, plugin_id: str, headers: dict[str, str], body: bytes,
                        settings: PluginSettings | None, context: PluginContext) -> Any:
    """Called when a gateway's webhook is delivered to ``/api/v1/stores/{slug}/webhooks/{plugin_id}``.

    Called only for the plugin named by ``plugin_id`` (and only when it is
    enabled for ``store``), inside the request's transaction: write your own rows,
    ``context.enqueue`` follow-up work or ``context.emit_event`` through ``context``.
    Verify the signature on the raw ``body`` bytes with a ``Secret`` from your
    settings before trusting anything in it; raising answers 400.

    :param store: the store the webhook is addressed to.
    :param plugin_id: your plugin id (from the URL).
    :param headers: the request headers, lower-cased names.
    :param body: the raw request body.
    :param settings: your settings for ``store``.
    :param context: the request's unit of work.
    :return: a JSON-able acknowledgement; ``None`` answers an empty 200.

    .. versionadded:: 0.1

    Example::

        class Settings(PluginSettings):
            webhook_secret: Secret

        @hookimpl
        def pyc_plugin_settings():
            return Settings

        @hookimpl
        def pyc_gateway_webhook(store, headers, body, settings):
            secret = settings.webhook_secret.get_secret_value()
            expected = hmac.new(secret.encode(), body, "sha256").hexdigest()
            if not hmac.compare_digest(expected, headers.get("x-signature", "")):
                raise ValueError("bad signature")
            return {"received": True}
    """


# ---------------------------------------------------------------------------------------------
# Orders and events
# ---------------------------------------------------------------------------------------------


@hook(results="all", failure="fail", timeout=60)
def pyc_on_event(store: StoreInfo, event: Event, settings: PluginSettings | None, context: PluginContext) -> None:
    """Called for each domain ``event`` of ``store`` (``order.placed``, ``order.paid``, ``stock.low``…).

    Delivered by the job worker after the change that caused the event
    committed, at least once: dedupe on ``event.id``. Each plugin gets each
    event in a delivery of its own: raising (or running past the limit) rolls back
    what the handler wrote through ``context.session`` and retries this plugin's
    delivery alone, with exponential backoff, parking it as failed after a bounded
    number of attempts; other plugins' handlers are not run again. Events are not
    guaranteed to arrive in order. The catalog of events and their payloads is
    ``plugin_sdk.events`` (``docs/events.md``).

    :param store: the event's store.
    :param event: the envelope (``id``, ``name``, ``version``, ``store_id``,
        ``occurred_at``); ``event.data`` is the event's typed payload model.
    :param settings: your settings for ``store``.
    :param context: the delivery job's unit of work (its session commits with the delivery).
    :return: ignored (return ``None``).

    .. versionadded:: 0.1

    Example::

        from plugin_sdk.events import OrderPlaced

        @hookimpl
        async def pyc_on_event(store, event, context):
            if isinstance(event.data, OrderPlaced):
                context.log.info("order %s placed", event.data.number)
    """


# ---------------------------------------------------------------------------------------------
# Jobs
# ---------------------------------------------------------------------------------------------


@hook(startup=True)
def pyc_job_handlers() -> dict[str, Any] | None:
    """Return ``{"kind": handler}``: the background job kinds this plugin runs.

    Called once when a job worker starts (every ``pycommerce worker`` process and the
    app's embedded worker), for every installed plugin: job kinds are platform-wide,
    whichever store a job belongs to. Every result is collected (no first-result rule).
    Prefix kinds with your plugin id (``"acme_erp.sync"``); a kind claimed by two
    plugins stops the worker with an error naming both.

    A handler is ``async def handler(session, job)`` (a plain function works too, but
    blocking work belongs in ``plugin_sdk.run_blocking``: a blocked event loop stops the
    worker's heartbeats and the job is handed to another worker):

    * ``session``: the job's own unit of work, bound to the job's store (tenant
      isolation and row-level security apply as in a request). It commits when the
      handler returns and rolls back when it raises; never commit it yourself.
    * ``job``: ``id``, ``kind``, ``payload`` (the JSON dict given when queued),
      ``store_id`` and ``store`` (the store's context, or ``None`` for platform
      jobs), ``attempts`` (1 on the first run) and ``max_attempts``.

    Raising retries the job with exponential backoff and jitter; after
    ``max_attempts`` it is parked as ``failed`` with its last error, for an operator
    to retry (``pycommerce jobs retry ID``). Delivery is at least once: make the
    handler idempotent (dedupe on ``job.id`` or on a key of your own).

    :return: a dict of job kind to handler; ``None`` (or ``{}``) means the plugin runs no jobs.

    .. versionadded:: 0.1

    Example::

        @hookimpl
        def pyc_job_handlers():
            async def sync_stock(session, job):
                job.payload["variant_ids"]

            return {"example.sync_stock": sync_stock}
    """


# ---------------------------------------------------------------------------------------------
# PROVISIONAL: declared so that plugins written for upcoming features can be registered, but no
# feature calls them yet. Their signatures and rules may still change; do not rely on them.
# ---------------------------------------------------------------------------------------------


@hook(results="all", failure="isolate", timeout=2, provisional=True)
def pyc_admin_nav(store: StoreInfo) -> list[dict[str, str]] | None:
    """Return admin navigation entries for ``store`` (provisional: the admin dashboard does not call it yet).

    To be called when the admin of ``store`` renders its navigation; only enabled
    plugins will contribute, so a disabled plugin's pages vanish from the menu.

    :param store: the store whose admin is shown.
    :return: a list of ``{"label": ..., "url": ...}``; ``None`` adds nothing.

    .. versionadded:: 0.1

    Example::

        @hookimpl
        def pyc_admin_nav(store):
            return [{"label": "Hello", "url": f"/admin/{store.slug}/hello"}]
    """


@hook(startup=True, provisional=True)
def pyc_document_renderers() -> dict[str, Any] | None:
    """Return ``{"kind": renderer}`` for documents this plugin renders (provisional: nothing renders documents yet).

    To be called once at start-up; a store will use the renderers of its enabled
    plugins. A renderer follows ``plugin_sdk.protocols.DocumentRenderer``.

    :return: a mapping of document kinds to renderers; ``None`` renders nothing.

    .. versionadded:: 0.1

    Example::

        class TextInvoice:
            content_type = "text/plain"

            async def render(self, *, store, kind, context):
                return f"Invoice {context['number']}".encode()

        @hookimpl
        def pyc_document_renderers():
            return {"invoice": TextInvoice()}
    """


@hook(startup=True, provisional=True)
def pyc_ai_providers() -> dict[str, Any] | None:
    """Return ``{"provider id": provider}`` AI providers (provisional: no feature uses AI providers yet).

    To be called once at start-up; a store will use the providers of its enabled
    plugins. A provider follows ``plugin_sdk.protocols.AIProvider``.

    :return: a mapping of provider ids to providers; ``None`` offers nothing.

    .. versionadded:: 0.1

    Example::

        class Echo:
            async def generate_text(self, *, prompt, settings=None):
                return prompt

        @hookimpl
        def pyc_ai_providers():
            return {"echo": Echo()}
    """
