"""From the outbox to consumers: the relay turns committed events into jobs; a fan-out job gives
each consumer a delivery job of its own.

The relay runs inside every worker. In one transaction it takes a batch of
undispatched outbox rows (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so relays
in several workers never block each other), queues one ``event.fan_out`` job
per event (dedupe key ``event:<event id>``, so even a relay racing another
cannot queue an event twice) and stamps the rows as dispatched. Only committed
events are visible to it, so a rolled-back change never emits anything.

The fan-out job asks :mod:`kernel.events.dispatch` who consumes the event *now*
(the kernel's consumers and the plugins enabled for the store) and queues one
``event.deliver`` job per consumer (dedupe key ``event:<event id>:<consumer id>``),
in its own transaction: the deliveries exist exactly when the fan-out is done. Each
delivery then runs, fails, backs off and is parked on its own, so a failing consumer
never makes another one see the event twice.

Every job carries the event itself (name, version, payload, time), so it does not
depend on the outbox row any more: dispatched outbox rows can be purged
(``pycommerce jobs purge``) while deliveries are still retrying or parked.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kernel.db import as_utc, cross_store_session, utcnow
from kernel.events.dispatch import consumers_of, deliver_to
from kernel.events.models import OutboxEvent
from kernel.jobs.queue import JobContext, enqueue_many
from kernel.jobs.registry import job_handler
from plugin_sdk.events import Event

FAN_OUT_KIND = "event.fan_out"
DELIVER_KIND = "event.deliver"

log = logging.getLogger("pycommerce.events")


async def relay_outbox(factory: async_sessionmaker[AsyncSession], *, batch: int = 200,
                       max_attempts: int | None = None) -> int:
    """Queue fan-out jobs for up to ``batch`` committed, undispatched events; returns how many.

    ``max_attempts`` bounds the fan-out and, after it, every delivery of the event.
    """
    async with cross_store_session(factory) as session:
        rows = (await session.execute(
            select(OutboxEvent.id, OutboxEvent.event_id, OutboxEvent.store_id, OutboxEvent.name,
                   OutboxEvent.version, OutboxEvent.payload, OutboxEvent.occurred_at)
            .where(OutboxEvent.dispatched_at.is_(None))
            .order_by(OutboxEvent.id).limit(batch)
            .with_for_update(skip_locked=True)
        )).all()
        if not rows:
            return 0
        await enqueue_many(session, [{
            "kind": FAN_OUT_KIND, "store_id": r.store_id, "dedupe_key": f"event:{r.event_id}",
            "max_attempts": max_attempts,
            "payload": {"outbox_id": r.id, "event": {"id": r.event_id, "name": r.name, "version": r.version,
                                                     "payload": r.payload or {},
                                                     "occurred_at": as_utc(r.occurred_at).isoformat()}},
        } for r in rows])
        await session.execute(update(OutboxEvent).where(OutboxEvent.id.in_([r.id for r in rows]))
                              .values(dispatched_at=utcnow()).execution_options(synchronize_session=False))
        return len(rows)


def event_of(job: JobContext) -> Event:
    """The event a fan-out or delivery job carries, its payload parsed by the catalog's model."""
    data: dict[str, Any] = job.payload["event"]
    # A job queued before events carried a version holds a version 1 payload: there was no other.
    return Event.parse(id=data["id"], name=data["name"], version=data.get("version", 1), store_id=job.store_id,
                       occurred_at=datetime.fromisoformat(data["occurred_at"]), data=data["payload"])


@job_handler(FAN_OUT_KIND)
async def fan_out(session: AsyncSession, job: JobContext) -> None:
    """Queue one delivery job per consumer of the event, as the consumers are now."""
    event = event_of(job)
    consumers = await consumers_of(session, job.store, event)
    await enqueue_many(session, [{
        "kind": DELIVER_KIND, "store_id": job.store_id, "max_attempts": job.max_attempts,
        "dedupe_key": f"event:{event.id}:{consumer}",
        "payload": {"event": job.payload["event"], "consumer": consumer},
    } for consumer in consumers])


@job_handler(DELIVER_KIND)
async def deliver(session: AsyncSession, job: JobContext) -> None:
    """Hand the event to the job's one consumer, in the job's store-bound unit of work."""
    consumer = job.payload.get("consumer")
    if consumer is None:  # queued when one delivery served every consumer: fan it out now, lose nothing
        await fan_out(session, job)
        return
    if not await deliver_to(session, job.store, event_of(job), consumer):
        log.info("event consumer gone before its delivery; skipped", extra={
            "job_id": job.id, "consumer": consumer, "store_id": job.store_id})


async def purge_dispatched_events(factory: async_sessionmaker[AsyncSession], before: datetime) -> int:
    """Delete outbox rows handed to the queue before ``before`` (their delivery jobs carry the event)."""
    async with cross_store_session(factory) as session:
        result = await session.execute(delete(OutboxEvent).where(OutboxEvent.dispatched_at < before)
                                       .execution_options(synchronize_session=False))
        return result.rowcount
