"""Emitting events. Callers pass their own session: the event commits or rolls back with their change."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.db import utcnow
from kernel.events.models import OutboxEvent


async def emit_event(session: AsyncSession, name: str, payload: dict[str, Any]) -> OutboxEvent:
    """Record a domain event (e.g. ``order.placed``) for the session's store.

    Nothing is delivered here: the job worker picks committed events up and
    delivers them, at least once, to every plugin enabled for the store. The row is
    written with the caller's next flush or commit, batched with the change it
    describes (``event_id`` is known at once; ``id`` after that flush).
    """
    event = OutboxEvent(event_id=str(uuid.uuid4()), name=name, payload=payload)
    session.add(event)
    return event


async def write_events(session: AsyncSession, events: Iterable[tuple[str, dict[str, Any]]]) -> None:
    """Record several events (``(name, payload)`` pairs) for the session's store, as
    :func:`emit_event` does, but written now in one INSERT instead of at the next flush.

    For the busiest writers (placing an order): there the ORM's unit of work cost more CPU than
    the rows it wrote (docs/decisions/placement-core-statements.md). Same rows, same transaction.
    """
    store_id, now = session.info["store_id"], utcnow()
    rows = [{"store_id": store_id, "event_id": str(uuid.uuid4()), "name": name, "payload": payload,
             "occurred_at": now} for name, payload in events]
    if rows:
        await session.execute(insert(OutboxEvent.__table__), rows)
