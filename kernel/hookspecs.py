"""The whole contract between the kernel and plugins.

Every hook is keyword-only and append-only: the kernel always calls with
keywords, an implementation may accept any subset of the arguments, and
arguments are never renamed or removed without a deprecation cycle.
Implementations may be plain functions or ``async def``; the kernel awaits
awaitable results through one call path (:mod:`kernel.plugins.calling`). No
hook uses pluggy's ``firstresult`` (a coroutine is not ``None``); hooks marked
"First non-None result wins." are resolved by the kernel's ``first_result``,
which awaits implementations in order and stops at the first non-``None``.

Store-scoped hooks receive ``store`` (a :class:`plugin_sdk.types.StoreInfo`)
and ``settings`` (a :class:`plugin_sdk.StoreSettings`: call
``settings.get("<your plugin id>")`` for your validated settings model), and
run only for plugins enabled for that store. Hooks without ``store`` run at
start-up, once per process, for every installed plugin; the kernel then
filters what they contributed per store.

The plugin author's guide (docs/plugins.md) has one section per hook headed by
the exact signature below; a test keeps the two in step.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:  # annotations only: plugins never need these imports at run time
    from pathlib import Path

    from fastapi import APIRouter

    from plugin_sdk.settings import PluginSettings, StoreSettings
    from plugin_sdk.types import (CartView, Event, OrderView, PaymentMethod, PaymentResult, ShippingRate,
                                  StoreInfo, TaxLine)

hookspec = pluggy.HookspecMarker("pycommerce")

# ---------------------------------------------------------------------------------------------
# Start-up and registration
# ---------------------------------------------------------------------------------------------


@hookspec
def pyc_plugin_settings() -> type[PluginSettings] | None:
    """Return the pydantic model class of this plugin's per-store settings.

    Called once per process when the kernel first needs the settings models
    (validation, the admin form's JSON schema, building a store's hooks).
    Fields typed ``plugin_sdk.Secret`` are encrypted at rest, write-only through
    the API (always shown masked) and never logged.

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


@hookspec
def pyc_api_routers() -> APIRouter | list[APIRouter] | None:
    """Return FastAPI routers to mount in the JSON API.

    Called once at start-up. Routes under ``/api/v1/stores/{store_slug}/…``
    answer 404 for stores where the plugin is disabled (the kernel guards them);
    other routes are always reachable, so protect them yourself.

    :return: an ``APIRouter`` or a list of them; ``None`` mounts nothing.

    .. versionadded:: 0.1

    Example::

        router = APIRouter(prefix="/api/v1/stores/{store_slug}/hello")

        @router.get("", summary="Say hello")
        async def hello(store_slug: str) -> dict[str, str]:
            return {"hello": store_slug}

        @hookimpl
        def pyc_api_routers():
            return router
    """


# ---------------------------------------------------------------------------------------------
# Storefront
# ---------------------------------------------------------------------------------------------


@hookspec
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


@hookspec
def pyc_static_dirs() -> dict[str, str | Path] | None:
    """Return ``{"name": path}`` static folders to serve.

    Called once at start-up; each folder is served under
    ``/static/plugins/<plugin id>/<name>/``.

    :return: a mapping of folder names to existing directories; ``None`` serves nothing.

    .. versionadded:: 0.1

    Example::

        @hookimpl
        def pyc_static_dirs():
            return {"assets": Path(__file__).parent / "static"}
    """


# ---------------------------------------------------------------------------------------------
# Checkout and payment
# ---------------------------------------------------------------------------------------------


@hookspec
def pyc_shipping_rates(store: StoreInfo, cart: CartView, settings: StoreSettings) -> list[ShippingRate] | None:
    """Return the shipping rates this plugin offers for ``cart``.

    Called at checkout whenever the cart or its shipping address changes. Every
    enabled shipping plugin contributes; the shopper picks one rate.

    :param store: the store checking out.
    :param cart: the cart, with ``shipping_address`` when known.
    :param settings: the store's plugin settings; ``settings.get("<plugin id>")`` is yours.
    :return: a list of ``ShippingRate``; an empty list or ``None`` offers nothing.

    .. versionadded:: 0.1

    Example::

        @hookimpl
        def pyc_shipping_rates(store, cart, settings):
            return [ShippingRate(code="flat", name="Flat rate", amount=500, currency=cart.currency)]
    """


@hookspec
def pyc_tax_lines(store: StoreInfo, cart: CartView, shipping: ShippingRate | None,
                  settings: StoreSettings) -> list[TaxLine] | None:
    """Return the tax lines for ``cart`` and the chosen ``shipping`` rate.

    Called at checkout after a shipping rate is chosen (and again when the cart
    changes). A store uses one tax engine: First non-None result wins.

    :param store: the store checking out.
    :param cart: the cart, with its addresses.
    :param shipping: the chosen shipping rate, or ``None`` before one is chosen.
    :param settings: the store's plugin settings; ``settings.get("<plugin id>")`` is yours.
    :return: a list of ``TaxLine`` (empty: no tax); ``None`` leaves the decision to the next plugin.

    .. versionadded:: 0.1

    Example::

        @hookimpl
        def pyc_tax_lines(store, cart, shipping, settings):
            return [TaxLine(name="VAT", rate_bp=1900, amount=line.total * 19 // 100, line_index=i)
                    for i, line in enumerate(cart.lines)]
    """


@hookspec
def pyc_payment_methods(store: StoreInfo, cart: CartView, settings: StoreSettings) -> list[PaymentMethod] | None:
    """Return the payment methods this gateway offers for ``cart``.

    Called at checkout to list the ways to pay; every enabled gateway contributes.

    :param store: the store checking out.
    :param cart: the cart being paid for.
    :param settings: the store's plugin settings; ``settings.get("<plugin id>")`` is yours.
    :return: a list of ``PaymentMethod``; ``None`` or an empty list offers nothing.

    .. versionadded:: 0.1

    Example::

        @hookimpl
        def pyc_payment_methods(store, cart, settings):
            return [PaymentMethod(code="invoice", name="Pay by invoice")]
    """


@hookspec
def pyc_create_payment(store: StoreInfo, order: OrderView, method: str, amount: int,
                       settings: StoreSettings) -> PaymentResult | None:
    """Return the result of starting a payment of ``amount`` for ``order`` when ``method`` is one of yours.

    Called when an order is placed. First non-None result wins.

    :param store: the order's store.
    :param order: the order just placed.
    :param method: the ``PaymentMethod.code`` the shopper chose.
    :param amount: minor units, in ``order.currency``.
    :param settings: the store's plugin settings; ``settings.get("<plugin id>")`` is yours.
    :return: a ``PaymentResult``; ``None`` means "not my method".

    .. versionadded:: 0.1

    Example::

        @hookimpl
        def pyc_create_payment(store, order, method, amount, settings):
            if method != "invoice":
                return None
            return PaymentResult(status="pending", amount=amount, instructions="Pay within 14 days.")
    """


@hookspec
def pyc_capture_payment(store: StoreInfo, order: OrderView, payment: Any, amount: int,
                        settings: StoreSettings) -> PaymentResult | None:
    """Return the result of capturing ``amount`` of an authorized ``payment`` that you created.

    Called when the merchant captures a payment. First non-None result wins.

    :param store: the order's store.
    :param order: the order the payment belongs to.
    :param payment: the kernel's payment record (``.reference`` is your gateway's id).
    :param amount: minor units to capture.
    :param settings: the store's plugin settings; ``settings.get("<plugin id>")`` is yours.
    :return: a ``PaymentResult``; ``None`` means "not my payment".

    .. versionadded:: 0.1

    Example::

        @hookimpl
        def pyc_capture_payment(store, order, payment, amount, settings):
            return PaymentResult(status="captured", reference=payment.reference, amount=amount)
    """


@hookspec
def pyc_refund_payment(store: StoreInfo, order: OrderView, payment: Any, amount: int,
                       settings: StoreSettings) -> PaymentResult | None:
    """Return the result of refunding ``amount`` of a ``payment`` that you created.

    Called when the merchant refunds. First non-None result wins.

    :param store: the order's store.
    :param order: the order the payment belongs to.
    :param payment: the kernel's payment record (``.reference`` is your gateway's id).
    :param amount: minor units to refund.
    :param settings: the store's plugin settings; ``settings.get("<plugin id>")`` is yours.
    :return: a ``PaymentResult``; ``None`` means "not my payment".

    .. versionadded:: 0.1

    Example::

        @hookimpl
        def pyc_refund_payment(store, order, payment, amount, settings):
            return PaymentResult(status="refunded", reference=payment.reference, amount=amount)
    """


@hookspec
def pyc_gateway_webhook(store: StoreInfo, plugin_id: str, headers: dict[str, str], body: bytes,
                        settings: StoreSettings) -> Any:
    """Called when a gateway's webhook is delivered to ``/api/v1/stores/{slug}/webhooks/{plugin_id}``.

    Called only for the plugin named by ``plugin_id`` (and only when it is
    enabled for ``store``). Verify the signature on the raw ``body`` bytes with
    a ``Secret`` from your settings before trusting anything in it.

    :param store: the store the webhook is addressed to.
    :param plugin_id: your plugin id (from the URL).
    :param headers: the request headers, lower-cased names.
    :param body: the raw request body.
    :param settings: the store's plugin settings; ``settings.get("<plugin id>")`` is yours.
    :return: a JSON-able acknowledgement; ``None`` answers an empty 200.

    .. versionadded:: 0.1

    Example::

        @hookimpl
        def pyc_gateway_webhook(store, headers, body, settings):
            secret = settings.get("my_gateway").webhook_secret.get_secret_value()
            expected = hmac.new(secret.encode(), body, "sha256").hexdigest()
            if not hmac.compare_digest(expected, headers.get("x-signature", "")):
                raise ValueError("bad signature")
            return {"received": True}
    """


# ---------------------------------------------------------------------------------------------
# Documents and AI
# ---------------------------------------------------------------------------------------------


@hookspec
def pyc_document_renderers() -> dict[str, Any] | None:
    """Return ``{"kind": renderer}`` for documents this plugin renders (invoices, packing slips…).

    Called once at start-up; a store uses the renderers of its enabled plugins.
    A renderer follows ``plugin_sdk.protocols.DocumentRenderer``.

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


@hookspec
def pyc_ai_providers() -> dict[str, Any] | None:
    """Return ``{"provider id": provider}`` AI providers (text and image generation) this plugin offers.

    Called once at start-up; a store uses the providers of its enabled plugins.
    A provider follows ``plugin_sdk.protocols.AIProvider``.

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


# ---------------------------------------------------------------------------------------------
# Orders and events
# ---------------------------------------------------------------------------------------------


@hookspec
def pyc_on_event(store: StoreInfo, event: Event, settings: StoreSettings) -> None:
    """Called for each domain ``event`` of ``store`` (``order.placed``, ``order.paid``, ``stock.low``…).

    Delivered by the job worker after the change that caused the event
    committed, at least once: dedupe on ``event.id``. Each plugin gets each
    event in a delivery of its own: raising retries this plugin's delivery
    alone, with exponential backoff, and parks it as failed after a bounded
    number of attempts; other plugins' handlers are not run again. Events are
    not guaranteed to arrive in order. The catalog of events and their
    payloads is ``plugin_sdk.events`` (``docs/events.md``).

    :param store: the event's store.
    :param event: the envelope (``id``, ``name``, ``version``, ``store_id``,
        ``occurred_at``); ``event.data`` is the event's typed payload model.
    :param settings: the store's plugin settings; ``settings.get("<plugin id>")`` is yours.
    :return: ignored (return ``None``).

    .. versionadded:: 0.1

    Example::

        from plugin_sdk.events import OrderPlaced

        @hookimpl
        async def pyc_on_event(store, event, settings):
            if isinstance(event.data, OrderPlaced):
                print(f"{store.slug}: order {event.data.number} placed")
    """


# ---------------------------------------------------------------------------------------------
# Admin UI
# ---------------------------------------------------------------------------------------------


@hookspec
def pyc_admin_nav(store: StoreInfo) -> list[dict[str, str]] | None:
    """Return admin navigation entries for ``store``.

    Called when the admin of ``store`` renders its navigation; only enabled
    plugins contribute, so a disabled plugin's pages vanish from the menu.

    :param store: the store whose admin is shown.
    :return: a list of ``{"label": ..., "url": ...}``; ``None`` adds nothing.

    .. versionadded:: 0.1

    Example::

        @hookimpl
        def pyc_admin_nav(store):
            return [{"label": "Hello", "url": f"/admin/{store.slug}/hello"}]
    """


# ---------------------------------------------------------------------------------------------
# Jobs
# ---------------------------------------------------------------------------------------------


@hookspec
def pyc_job_handlers() -> dict[str, Any] | None:
    """Return ``{"kind": handler}``: the background job kinds this plugin runs.

    Called once when a job worker starts (every ``pycommerce worker`` process and the
    app's embedded worker), for every installed plugin: job kinds are platform-wide,
    whichever store a job belongs to. Every result is collected (no first-result rule).
    Prefix kinds with your plugin id (``"acme_erp.sync"``); a kind claimed by two
    plugins stops the worker with an error naming both.

    A handler is ``async def handler(session, job)`` (a plain function works too, but
    blocking work belongs in ``asyncio.to_thread``: a blocked event loop stops the
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
                await push_stock_levels(job.store, job.payload["variant_ids"])

            return {"acme_erp.sync_stock": sync_stock}
    """
