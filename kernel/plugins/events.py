"""Handing one domain event to the store's enabled plugins (the job worker's delivery step)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from kernel.plugins.manager import PyCommercePluginManager
from kernel.plugins.relay import store_hooks
from kernel.tenancy import StoreContext
from plugin_sdk.types import Event


async def deliver_event(session: AsyncSession, store: StoreContext, event: Event,
                        pm: PyCommercePluginManager | None = None) -> list[str]:
    """Call ``pyc_on_event`` of every plugin enabled for ``store``; return the ids of those that answered.

    Exceptions propagate unchanged: the job worker records the error and retries
    the whole delivery with backoff (handlers dedupe on ``event.id``). The session
    is the delivery job's (bound to the store): handlers write through ``context.session``.
    """
    if event.store_id != store.id:
        raise ValueError(f"event {event.id} belongs to store {event.store_id}, not {store.id}")
    hooks = await store_hooks(session, store, pm)
    return await hooks.on_event(event=event)
