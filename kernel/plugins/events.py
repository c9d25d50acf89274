"""Handing one domain event to the store's enabled plugins (the job worker's delivery step)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from kernel.plugins.calling import call_impl, call_order
from kernel.plugins.manager import PyCommercePluginManager
from kernel.plugins.relay import store_hooks
from kernel.tenancy import StoreContext
from plugin_sdk.types import Event


async def deliver_event(session: AsyncSession, store: StoreContext, event: Event,
                        pm: PyCommercePluginManager | None = None) -> list[str]:
    """Call ``pyc_on_event`` of every plugin enabled for ``store``; return the ids of those that answered.

    Exceptions propagate unchanged: the job worker records the error and retries
    the whole delivery with backoff (handlers dedupe on ``event.id``). The
    session only reads the store's plugin rows (bound to the store, or crossing stores).
    """
    if event.store_id != store.id:
        raise ValueError(f"event {event.id} belongs to store {event.store_id}, not {store.id}")
    hooks = await store_hooks(session, store, pm)
    caller = hooks.caller("pyc_on_event")
    called = []
    kwargs = {"store": hooks.info, "settings": hooks.settings, "event": event}
    for impl in call_order(caller.get_hookimpls()):
        await call_impl(impl, "pyc_on_event", kwargs, store.id)
        called.append(impl.plugin_name)
    return called
