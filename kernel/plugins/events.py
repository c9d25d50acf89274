"""Handing domain events to the store's enabled plugins: each plugin is a consumer of its own.

The job worker fans every event out to one delivery job per consumer
(:mod:`kernel.events.delivery`); :data:`PLUGIN_CONSUMERS` names the plugins enabled for
the event's store at that moment, and delivers to one of them.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from kernel.events.dispatch import ConsumerSource
from kernel.plugins.manager import PyCommercePluginManager
from kernel.plugins.relay import cached_store_hooks, store_hooks
from kernel.tenancy import StoreContext
from plugin_sdk.events import Event


async def event_consumers(session: AsyncSession, store: StoreContext, event: Event,
                          pm: PyCommercePluginManager | None = None) -> list[str]:
    """The ids of the plugins enabled for ``store`` that implement ``pyc_on_event``, in calling order."""
    relay = await cached_store_hooks(session, store, pm)
    return list(dict.fromkeys(impl.plugin_name for impl in relay.impls("pyc_on_event")))


async def deliver_event(session: AsyncSession, store: StoreContext, event: Event, *, plugin_id: str | None = None,
                        pm: PyCommercePluginManager | None = None) -> list[str]:
    """Call ``pyc_on_event`` of ``plugin_id`` (or of every plugin) enabled for ``store``; return the ids
    of those that were called (none when ``plugin_id`` is not enabled there any more).

    Exceptions propagate unchanged: the job worker records the error and retries that
    plugin's delivery with backoff (handlers dedupe on ``event.id``). The session is the
    delivery job's (bound to the store): handlers write through ``context.session``.
    """
    if event.store_id != store.id:
        raise ValueError(f"event {event.id} belongs to store {event.store_id}, not {store.id}")
    hooks = await store_hooks(session, store, pm)
    return await hooks.on_event(event=event, plugin_id=plugin_id)


async def _deliver_to_plugin(session: AsyncSession, store: StoreContext, event: Event, plugin_id: str) -> bool:
    return bool(await deliver_event(session, store, event, plugin_id=plugin_id))


PLUGIN_CONSUMERS = ConsumerSource(kind="plugin", names=event_consumers, deliver=_deliver_to_plugin)
