"""Who receives domain events: a registry of consumers, called for every delivered event.

``register_event_consumer(fn)`` with ``async def fn(session, store, event)``:
``session`` is the delivery job's unit of work, bound to the event's store;
``store`` a :class:`kernel.tenancy.StoreContext`; ``event`` a
:class:`plugin_sdk.types.Event`. The plugin manager registers one consumer that
fans events out to every plugin enabled for the store; merchant webhooks can be
another. Delivery is at least once: when any consumer raises, the whole
delivery is retried with backoff (consumers that succeeded see the event again),
so consumers dedupe on ``event.id``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

Consumer = Callable[[Any, Any, Any], Awaitable[None]]
_CONSUMERS: list[Consumer] = []


def register_event_consumer(consumer: Consumer) -> Consumer:
    """Add a consumer (idempotent: registering the same function twice keeps one). Usable as a decorator."""
    if consumer not in _CONSUMERS:
        _CONSUMERS.append(consumer)
    return consumer


def unregister_event_consumer(consumer: Consumer) -> None:
    if consumer in _CONSUMERS:
        _CONSUMERS.remove(consumer)


def event_consumers() -> list[Consumer]:
    return list(_CONSUMERS)
