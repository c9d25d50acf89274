"""Emitting events. Callers pass their own session: the event commits or rolls back with their change.

Every event is a payload model of the catalog (:mod:`plugin_sdk.events`); the outbox row keeps its
name, version and JSON, so what is delivered is exactly what the catalog documents.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.db import utcnow
from kernel.events.models import OutboxEvent
from plugin_sdk.events import EventPayload


def outbox_values(payload: EventPayload) -> dict[str, Any]:
    """The outbox columns that describe ``payload`` (its catalog entry and JSON)."""
    if not isinstance(payload, EventPayload) or not hasattr(type(payload), "event_name"):
        raise TypeError(f"an event is a payload model of the event catalog, not {type(payload).__name__}")
    return {"event_id": str(uuid.uuid4()), "name": payload.event_name, "version": payload.event_version,
            "payload": payload.model_dump(mode="json")}


async def emit_event(session: AsyncSession, payload: EventPayload) -> OutboxEvent:
    """Record a domain event (e.g. :class:`plugin_sdk.events.OrderPaid`) for the session's store.

    Nothing is delivered here: the job worker picks committed events up and
    delivers them, at least once, to each consumer (every plugin enabled for the store) on its
    own. The row is written with the caller's next flush or commit, batched with the change it
    describes (``event_id`` is known at once; ``id`` after that flush).
    """
    event = OutboxEvent(**outbox_values(payload))
    session.add(event)
    return event


async def write_events(session: AsyncSession, payloads: Iterable[EventPayload]) -> None:
    """Record several events for the session's store, as :func:`emit_event` does, but written now
    in one INSERT instead of at the next flush.

    For the busiest writers (placing an order) and for bulk changes (a CSV import's products):
    there the ORM's unit of work cost more CPU than the rows it wrote
    (docs/decisions/placement-core-statements.md). Same rows, same transaction.
    """
    store_id, now = session.info["store_id"], utcnow()
    rows = [{**outbox_values(payload), "store_id": store_id, "occurred_at": now} for payload in payloads]
    if rows:
        await session.execute(insert(OutboxEvent.__table__), rows)
