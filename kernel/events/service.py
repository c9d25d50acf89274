"""Emitting events. Callers pass their own session: the event commits or rolls back with their change."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from kernel.events.models import OutboxEvent


async def emit_event(session: AsyncSession, name: str, payload: dict[str, Any]) -> OutboxEvent:
    """Record a domain event (e.g. ``order.placed``) for the session's store.

    Nothing is delivered here: the job worker picks committed events up and
    delivers them, at least once, to every plugin enabled for the store.
    """
    event = OutboxEvent(name=name, payload=payload)
    session.add(event)
    await session.flush()
    return event
