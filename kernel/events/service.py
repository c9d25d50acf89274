"""Emitting events. Callers pass their own session: the event commits or rolls back with their change."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

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
