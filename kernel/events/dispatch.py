"""Who receives domain events: named consumers, each handed each event in a job of its own.

A consumer has an id, ``<kind>:<name>``, and that id is what a delivery job is for
(:mod:`kernel.events.delivery`): one consumer that fails is retried alone, and the
others are not run again. Two ways to be one:

* ``register_event_consumer(fn, name=...)``: kernel code that receives every event of
  every store (``kernel:<name>``); ``async def fn(session, store, event)``.
* ``register_consumer_source(source)``: consumers named per store when an event is
  fanned out, so the consumers are those present at delivery time. The plugin kernel
  registers the ``plugin`` source: every plugin enabled for the event's store that
  implements ``pyc_on_event`` (``plugin:<plugin id>``).

In both, ``session`` is the delivery job's unit of work, bound to the event's store;
``store`` a :class:`kernel.tenancy.StoreContext`; ``event`` a
:class:`plugin_sdk.events.Event`. Delivery is at least once (a worker can die after a
consumer's side effect and before its commit), so consumers dedupe on ``event.id``.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

Consumer = Callable[[Any, Any, Any], Awaitable[None] | None]
KERNEL = "kernel"


@dataclass(frozen=True)
class ConsumerSource:
    """Consumers of one kind, named per store at delivery time.

    ``names(session, store, event)`` lists the consumers of ``event`` (without the kind);
    ``deliver(session, store, event, name)`` hands it to one of them, and answers ``False``
    when that consumer is gone since the event was fanned out (say, the plugin was disabled).
    """

    kind: str
    names: Callable[[Any, Any, Any], Awaitable[list[str]]]
    deliver: Callable[[Any, Any, Any, str], Awaitable[bool]]


_CONSUMERS: dict[str, Consumer] = {}
_SOURCES: dict[str, ConsumerSource] = {}


def register_event_consumer(consumer: Consumer, *, name: str | None = None) -> Consumer:
    """Add a kernel consumer of every event, named ``name`` (its module and qualified name by default).

    Registering the same function again keeps one; another function under a taken name is refused.
    """
    name = name or f"{consumer.__module__}.{consumer.__qualname__}"
    existing = _CONSUMERS.get(name)
    if existing is not None and existing is not consumer:
        raise ValueError(f"event consumer {KERNEL}:{name} registered twice, by two functions")
    _CONSUMERS[name] = consumer
    return consumer


def unregister_event_consumer(consumer: Consumer) -> None:
    for name in [name for name, registered in _CONSUMERS.items() if registered is consumer]:
        del _CONSUMERS[name]


def register_consumer_source(source: ConsumerSource) -> ConsumerSource:
    """Add (or replace) the source of consumers of ``source.kind``."""
    if source.kind == KERNEL:
        raise ValueError(f"the consumer kind {KERNEL!r} is the kernel's own")
    _SOURCES[source.kind] = source
    return source


def unregister_consumer_source(kind: str) -> None:
    _SOURCES.pop(kind, None)


async def consumers_of(session, store, event) -> list[str]:
    """The ids of every consumer of ``event`` now: the kernel's, then each source's."""
    ids = [f"{KERNEL}:{name}" for name in _CONSUMERS]
    for kind, source in list(_SOURCES.items()):
        ids.extend(f"{kind}:{name}" for name in await source.names(session, store, event))
    return ids


async def deliver_to(session, store, event, consumer_id: str) -> bool:
    """Hand ``event`` to one consumer; ``False`` when it no longer exists. Its exceptions propagate."""
    kind, _, name = consumer_id.partition(":")
    if kind == KERNEL:
        consumer = _CONSUMERS.get(name)
        if consumer is None:
            return False
        result = consumer(session, store, event)
        if inspect.isawaitable(result):
            await result
        return True
    source = _SOURCES.get(kind)
    return source is not None and await source.deliver(session, store, event, name)
