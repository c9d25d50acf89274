"""The whole contract between the kernel and plugins.

Every hook is keyword-only and append-only: an implementation may accept any
subset of the arguments, and arguments are never renamed or removed without a
deprecation cycle. Implementations may be plain functions or ``async def``;
the kernel awaits awaitable results (see :mod:`kernel.plugins`). No hook uses
pluggy's ``firstresult`` (a coroutine is not ``None``); "first result wins"
hooks are resolved by the kernel's ``first_result`` helper instead.

Store-scoped hooks receive ``store`` (a :class:`plugin_sdk.types.StoreInfo`)
and ``settings`` (a :class:`plugin_sdk.settings.StoreSettings`: call
``settings.get("<your plugin id>")`` for your validated settings model), and
run only for plugins enabled for that store.
"""

from __future__ import annotations

from typing import Any

import pluggy

hookspec = pluggy.HookspecMarker("pycommerce")

# ---------------------------------------------------------------------------------------------
# Start-up and registration
# ---------------------------------------------------------------------------------------------


@hookspec
def pyc_plugin_settings() -> Any:
    """Return the pydantic model class of this plugin's per-store settings, or ``None`` for none.

    Fields typed ``plugin_sdk.Secret`` are encrypted at rest and never shown back.

    .. versionadded:: 0.1
    """


@hookspec
def pyc_api_routers() -> Any:
    """Return a FastAPI ``APIRouter`` (or a list of them) to mount in the JSON API.

    Routes under ``/api/v1/stores/{store_slug}/…`` answer 404 for stores where the plugin is disabled.

    .. versionadded:: 0.1
    """


# ---------------------------------------------------------------------------------------------
# Admin UI
# ---------------------------------------------------------------------------------------------


@hookspec
def pyc_admin_nav(store) -> Any:
    """Return admin navigation entries for ``store``: a list of ``{"label": ..., "url": ...}``.

    .. versionadded:: 0.1
    """


# ---------------------------------------------------------------------------------------------
# Storefront
# ---------------------------------------------------------------------------------------------


@hookspec
def pyc_template_dirs(store) -> Any:
    """Return template directories (paths) that override or extend the theme for ``store``.

    .. versionadded:: 0.1
    """


@hookspec
def pyc_static_dirs() -> Any:
    """Return ``{"name": path}`` static folders, served under ``/static/plugins/<plugin id>/<name>/``.

    .. versionadded:: 0.1
    """


# ---------------------------------------------------------------------------------------------
# Checkout and payment
# ---------------------------------------------------------------------------------------------


@hookspec
def pyc_shipping_rates(store, cart, settings) -> Any:
    """Return the ``ShippingRate`` list this plugin offers for ``cart`` (with its shipping address).

    Every enabled shipping plugin contributes; an empty list or ``None`` offers nothing.

    .. versionadded:: 0.1
    """


@hookspec
def pyc_tax_lines(store, cart, shipping, settings) -> Any:
    """Return ``TaxLine`` objects for ``cart`` and the chosen ``shipping`` rate (or ``None``).

    First non-None result wins: a store uses one tax engine.

    .. versionadded:: 0.1
    """


@hookspec
def pyc_payment_methods(store, cart, settings) -> Any:
    """Return the ``PaymentMethod`` list this gateway offers for ``cart``.

    .. versionadded:: 0.1
    """


@hookspec
def pyc_create_payment(store, order, method, amount, settings) -> Any:
    """Start a payment of ``amount`` for ``order`` when ``method`` is one of yours; else ``None``.

    Return a ``PaymentResult``. First non-None result wins.

    .. versionadded:: 0.1
    """


@hookspec
def pyc_capture_payment(store, order, payment, amount, settings) -> Any:
    """Capture ``amount`` of an authorized ``payment`` you created; else ``None``. First non-None wins.

    .. versionadded:: 0.1
    """


@hookspec
def pyc_refund_payment(store, order, payment, amount, settings) -> Any:
    """Refund ``amount`` of ``payment`` you created; else ``None``. First non-None wins.

    .. versionadded:: 0.1
    """


@hookspec
def pyc_gateway_webhook(store, plugin_id, headers, body, settings) -> Any:
    """Handle a gateway's webhook delivered to ``/api/v1/stores/{slug}/webhooks/{plugin_id}``.

    Only the plugin named by ``plugin_id`` is asked. Verify the signature on the raw ``body`` bytes.

    .. versionadded:: 0.1
    """


# ---------------------------------------------------------------------------------------------
# Documents and AI
# ---------------------------------------------------------------------------------------------


@hookspec
def pyc_document_renderers() -> Any:
    """Return ``{"kind": renderer}`` for documents this plugin renders (invoices, packing slips…).

    .. versionadded:: 0.1
    """


@hookspec
def pyc_ai_providers() -> Any:
    """Return ``{"provider id": provider}`` AI providers (text and image generation) this plugin offers.

    .. versionadded:: 0.1
    """


# ---------------------------------------------------------------------------------------------
# Orders, events and jobs
# ---------------------------------------------------------------------------------------------


@hookspec
def pyc_on_event(store, event, settings) -> Any:
    """Called for each domain ``event`` (``plugin_sdk.types.Event``) of ``store``, at least once.

    Dedupe on ``event.id``. Raising makes the kernel retry the delivery with backoff.

    .. versionadded:: 0.1
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
