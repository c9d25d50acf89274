"""Outbox → queue → consumers: committed events are delivered at least once, rolled-back ones never."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from kernel.events import emit_event
from kernel.events.delivery import DELIVER_KIND, FAN_OUT_KIND, relay_outbox
from kernel.events.dispatch import register_event_consumer, unregister_event_consumer
from kernel.events.models import OutboxEvent
from kernel.jobs.models import Job
from plugin_sdk.events import Event, OrderPaid, OrderPlaced, PaymentRefunded, StockLow

RECORDER = "kernel:test-recorder"


class Rollback(Exception):
    pass


@pytest.fixture
def consumed():
    """A consumer recording what it receives (store slug, event), unregistered after the test."""
    received: list[tuple[str, Event, int | None]] = []

    async def consumer(session, store, event):
        received.append((store.slug, event, session.info.get("store_id")))

    register_event_consumer(consumer, name="test-recorder")
    yield received
    unregister_event_consumer(consumer)


async def _job(factory, dedupe_key: str) -> Job | None:
    async with factory.session(None) as s:
        return (await s.execute(select(Job).where(Job.dedupe_key == dedupe_key))).scalar_one_or_none()


async def _delivery_job(factory, event_id: str, consumer: str) -> Job | None:
    """The job delivering ``event_id`` to ``consumer`` alone."""
    return await _job(factory, f"event:{event_id}:{consumer}")


async def test_committed_event_is_delivered_to_consumers(factory, make_worker, consumed):
    store = await factory.store()
    async with factory.session(store) as s:
        emitted = await emit_event(s, OrderPlaced.example())
    await make_worker().run_until_idle()
    mine = [(slug, event, bound) for slug, event, bound in consumed if event.store_id == store.id]
    assert len(mine) == 1
    slug, event, bound = mine[0]
    assert slug == store.slug and bound == store.id
    assert (event.id, event.name, event.version, event.data) == (emitted.event_id, "order.placed", 1,
                                                                 OrderPlaced.example())
    fan_out = await _job(factory, f"event:{emitted.event_id}")
    assert (fan_out.kind, fan_out.status, fan_out.store_id) == (FAN_OUT_KIND, "done", store.id)
    job = await _delivery_job(factory, emitted.event_id, RECORDER)
    assert (job.kind, job.status, job.store_id, job.attempts) == (DELIVER_KIND, "done", store.id, 1)
    async with factory.session(store) as s:
        assert (await s.get(OutboxEvent, emitted.id)).dispatched_at is not None
    await make_worker().run_until_idle()
    assert len([e for _s, e, _b in consumed if e.store_id == store.id]) == 1  # delivered once, not per run


async def test_rolled_back_transaction_emits_nothing(factory, make_worker, consumed):
    store = await factory.store()
    with pytest.raises(Rollback):
        async with factory.session(store) as s:
            await emit_event(s, OrderPlaced.example())
            raise Rollback
    await make_worker().run_until_idle()
    assert [e for _s, e, _b in consumed if e.store_id == store.id] == []
    async with factory.session(store) as s:
        assert (await s.execute(select(OutboxEvent))).scalars().all() == []


async def test_failing_consumer_is_retried_with_backoff_then_parked(factory, jobs, make_worker):
    store = await factory.store()
    calls: list[str] = []

    async def flaky(session, store_ctx, event):
        if event.store_id == store.id:
            calls.append(event.id)
            raise ConnectionError("webhook endpoint unreachable")

    register_event_consumer(flaky, name="flaky")
    try:
        async with factory.session(store) as s:
            emitted = await emit_event(s, OrderPaid.example())
        worker = make_worker(backoff_base=30.0, backoff_max=600.0, event_max_attempts=3)
        await worker.run_until_idle()
        job = await _delivery_job(factory, emitted.event_id, "kernel:flaky")
        assert (job.status, job.attempts, len(calls)) == ("queued", 1, 1)
        assert job.last_error == "ConnectionError: webhook endpoint unreachable"
        await worker.run_until_idle()
        assert len(calls) == 1  # waiting out its backoff
        for attempt in (2, 3):
            await jobs.make_due(job.id)
            await worker.run_until_idle()
            assert len(calls) == attempt
        job = await jobs.get(job.id)
        assert (job.status, job.attempts, job.max_attempts) == ("failed", 3, 3)
        assert job.last_error == "ConnectionError: webhook endpoint unreachable"
    finally:
        unregister_event_consumer(flaky)


async def test_relay_is_idempotent(factory, sessionmaker):
    store = await factory.store()
    async with factory.session(store) as s:
        emitted = await emit_event(s, StockLow.example())
    await relay_outbox(sessionmaker)
    async with factory.session(store) as s:  # as if a crash lost the "dispatched" stamp
        row = await s.get(OutboxEvent, emitted.id)
        row.dispatched_at = None
    await relay_outbox(sessionmaker)
    async with factory.session(None) as s:
        count = len((await s.execute(select(Job).where(Job.dedupe_key == f"event:{emitted.event_id}"))).all())
    assert count == 1


async def test_parked_delivery_can_be_retried_through_the_api(factory, client, jobs, make_worker):
    store = await factory.store()

    async def always_fails(session, store_ctx, event):
        if event.store_id == store.id:
            raise ValueError("nope")

    register_event_consumer(always_fails, name="always-fails")
    try:
        async with factory.session(store) as s:
            emitted = await emit_event(s, OrderPlaced.example())
        await make_worker(event_max_attempts=1).run_until_idle()
    finally:
        unregister_event_consumer(always_fails)
    job = await _delivery_job(factory, emitted.event_id, "kernel:always-fails")
    admin = await factory.admin()
    listed = await client.get("/api/v1/platform/jobs", params={"status": "failed", "store_id": store.id},
                              headers=admin.headers)
    assert listed.status_code == 200
    assert [(j["id"], j["last_error"]) for j in listed.json()] == [(job.id, "ValueError: nope")]
    stats = await client.get("/api/v1/platform/jobs/stats", headers=admin.headers)
    assert stats.status_code == 200 and stats.json()["failed"] >= 1
    owner = await factory.staff(store, "owner")
    assert (await client.get("/api/v1/platform/jobs/stats", headers=owner.headers)).status_code == 403
    assert (await client.post(f"/api/v1/platform/jobs/{job.id}/retry", headers=owner.headers)).status_code == 403
    retried = await client.post(f"/api/v1/platform/jobs/{job.id}/retry", headers=admin.headers)
    assert retried.status_code == 200
    assert (retried.json()["status"], retried.json()["attempts"]) == ("queued", 0)
    again = await client.post(f"/api/v1/platform/jobs/{job.id}/retry", headers=admin.headers)
    assert again.status_code == 409
    await make_worker().run_until_idle()  # the consumer is gone now: its delivery finishes, skipped
    assert (await jobs.get(job.id)).status == "done"
    missing = await client.get("/api/v1/platform/jobs/999999999", headers=admin.headers)
    assert missing.status_code == 404


async def test_delivery_survives_purging_the_outbox(factory, sessionmaker, make_worker, consumed):
    """The delivery job carries the event: purging dispatched outbox rows loses no delivery."""
    from datetime import timedelta

    from kernel.db import utcnow
    from kernel.events.delivery import purge_dispatched_events

    store = await factory.store()
    async with factory.session(store) as s:
        emitted = await emit_event(s, PaymentRefunded.example())
    await relay_outbox(sessionmaker)
    async with factory.session(store) as s:
        (await s.get(OutboxEvent, emitted.id)).dispatched_at = utcnow() - timedelta(days=400)
    assert await purge_dispatched_events(sessionmaker, utcnow() - timedelta(days=399)) >= 1
    async with factory.session(store) as s:
        assert await s.get(OutboxEvent, emitted.id) is None
    await make_worker().run_until_idle()
    [event] = [e for _s, e, _b in consumed if e.store_id == store.id]
    assert (event.id, event.name, event.data) == (emitted.event_id, "payment.refunded", PaymentRefunded.example())
    assert event.occurred_at.tzinfo is not None


async def test_an_event_the_catalog_does_not_know_is_parked_not_dropped(factory, make_worker, consumed):
    """A row no payload model describes (say, of a plugin since uninstalled) is never handed out as
    something else: its fan-out fails, naming the event, and is parked for an operator."""
    store = await factory.store()
    async with factory.session(store) as s:
        row = OutboxEvent(event_id="0b7c2e4a-5d1f-4e8a-9c3b-6a2d1f0e9b8c", name="acme.gone", version=1,
                          payload={"x": 1})
        s.add(row)
    await make_worker(event_max_attempts=1).run_until_idle()
    fan_out = await _job(factory, f"event:{row.event_id}")
    assert (fan_out.kind, fan_out.status) == (FAN_OUT_KIND, "failed")
    assert fan_out.last_error == "UnknownEvent: no event 'acme.gone' version 1 in the catalog"
    assert [e for _s, e, _b in consumed if e.store_id == store.id] == []


async def test_a_delivery_queued_for_every_consumer_at_once_is_fanned_out(factory, make_worker, consumed):
    """A delivery job of the older shape (one job for all consumers, no consumer named) still reaches
    each consumer once, through per-consumer deliveries."""
    from kernel.jobs.queue import enqueue

    store = await factory.store()
    data = OrderPaid.example().model_dump(mode="json")
    async with factory.session(store) as s:
        await enqueue(s, DELIVER_KIND, {"event": {"id": "4c9e1b7a-2f3d-4a6e-8b5c-1d0e9f8a7b6c", "name": "order.paid",
                                                  "payload": data, "occurred_at": "2026-11-25T14:03:00+00:00"}},
                      dedupe_key="event:4c9e1b7a-2f3d-4a6e-8b5c-1d0e9f8a7b6c")
    await make_worker().run_until_idle()
    [(slug, event, _bound)] = [c for c in consumed if c[1].store_id == store.id]
    assert (slug, event.name, event.version, event.data) == (store.slug, "order.paid", 1, OrderPaid.example())
    job = await _delivery_job(factory, "4c9e1b7a-2f3d-4a6e-8b5c-1d0e9f8a7b6c", RECORDER)
    assert job.status == "done"
