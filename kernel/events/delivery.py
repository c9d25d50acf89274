"""From the outbox to consumers: the relay turns committed events into jobs; a job delivers each one.

The relay runs inside every worker. In one transaction it takes a batch of
undispatched outbox rows (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so relays
in several workers never block each other), queues one ``event.deliver`` job
per event (dedupe key ``event:<event id>``, so even a relay racing another
cannot queue an event twice) and stamps the rows as dispatched. Only committed
events are visible to it, so a rolled-back change never emits anything.

The delivery job carries the event itself (name, payload, time), so it does not
depend on the outbox row any more: dispatched outbox rows can be purged
(``pycommerce jobs purge``) while deliveries are still retrying or parked.
"""

from __future__ import annotations

import inspect

from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kernel.db import as_utc, cross_store_session, utcnow
from kernel.events.dispatch import event_consumers
from kernel.events.models import OutboxEvent
from kernel.jobs.queue import JobContext, enqueue_many
from kernel.jobs.registry import job_handler
from plugin_sdk.types import Event

DELIVER_KIND = "event.deliver"


async def relay_outbox(factory: async_sessionmaker[AsyncSession], *, batch: int = 200,
                       max_attempts: int | None = None) -> int:
    """Queue delivery jobs for up to ``batch`` committed, undispatched events; returns how many."""
    async with cross_store_session(factory) as session:
        rows = (await session.execute(
            select(OutboxEvent.id, OutboxEvent.event_id, OutboxEvent.store_id, OutboxEvent.name,
                   OutboxEvent.payload, OutboxEvent.occurred_at)
            .where(OutboxEvent.dispatched_at.is_(None))
            .order_by(OutboxEvent.id).limit(batch)
            .with_for_update(skip_locked=True)
        )).all()
        if not rows:
            return 0
        await enqueue_many(session, [{
            "kind": DELIVER_KIND, "store_id": r.store_id, "dedupe_key": f"event:{r.event_id}",
            "max_attempts": max_attempts,
            "payload": {"outbox_id": r.id, "event": {"id": r.event_id, "name": r.name, "payload": r.payload or {},
                                                     "occurred_at": as_utc(r.occurred_at).isoformat()}},
        } for r in rows])
        await session.execute(update(OutboxEvent).where(OutboxEvent.id.in_([r.id for r in rows]))
                              .values(dispatched_at=utcnow()).execution_options(synchronize_session=False))
        return len(rows)




@job_handler(DELIVER_KIND)
async def deliver(session: AsyncSession, job: JobContext) -> None:
    """Hand one event to every registered consumer, in the job's store-bound unit of work."""
    data = job.payload["event"]
    event = Event(id=data["id"], name=data["name"], store_id=job.store_id, payload=data["payload"],
                  occurred_at=datetime.fromisoformat(data["occurred_at"]))
    for consumer in event_consumers():
        result = consumer(session, job.store, event)
        if inspect.isawaitable(result):
            await result


async def purge_dispatched_events(factory: async_sessionmaker[AsyncSession], before: datetime) -> int:
    """Delete outbox rows handed to the queue before ``before`` (their delivery jobs carry the event)."""
    async with cross_store_session(factory) as session:
        result = await session.execute(delete(OutboxEvent).where(OutboxEvent.dispatched_at < before)
                                       .execution_options(synchronize_session=False))
        return result.rowcount
