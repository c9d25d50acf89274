"""The queue's promises, on SQLite and PostgreSQL, driven by in-process workers."""

from __future__ import annotations

import asyncio
import random
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from kernel.db import utcnow
from kernel.jobs import enqueue
from kernel.jobs import queue
from kernel.jobs.models import Job
from kernel.jobs.worker import WorkerOptions
from tests.kernel.jobs import handlers


class Rollback(Exception):
    pass


async def test_enqueue_commits_with_the_callers_transaction(factory, jobs):
    store = await factory.store()
    async with factory.session(store) as s:
        kept = await enqueue(s, "test.record", {"n": 1})
    with pytest.raises(Rollback):
        async with factory.session(store) as s:
            lost = await enqueue(s, "test.record", {"n": 2})
            raise Rollback
    job = await jobs.get(kept)
    assert job.status == "queued" and job.store_id == store.id  # defaults to the session's store
    async with factory.session(None) as s:
        assert await s.get(Job, lost) is None


async def test_dedupe_key_enqueues_once_without_breaking_the_transaction(factory):
    key = f"test:{random.random()}"
    async with factory.session(None) as s:
        first = await enqueue(s, "test.record", dedupe_key=key)
        second = await enqueue(s, "test.record", dedupe_key=key)
        third = await enqueue(s, "test.record")  # the transaction is still usable
    assert first is not None and second is None and third is not None
    async with factory.session(None) as s:
        assert (await s.execute(select(func.count()).where(Job.dedupe_key == key))).scalar() == 1


def test_backoff_is_exponential_capped_and_jittered():
    rng = random.Random(7)
    delays = [queue.backoff_delay(n, 10, 3600, rng) for n in range(1, 12)]
    for n, delay in enumerate(delays, start=1):
        exponential = min(3600, 10 * 2 ** (n - 1))
        assert 0.75 * exponential <= delay <= exponential
    assert delays[5] > delays[0] * 8
    assert max(delays) <= 3600


async def test_failing_job_is_retried_with_backoff_then_parked_with_its_error(factory, jobs, make_worker,
                                                                               effects_table):
    async with factory.session(None) as s:
        job_id = await enqueue(s, "test.fail", {"message": "gateway said no"}, max_attempts=3)
    worker = make_worker(backoff_base=60.0, backoff_max=3600.0)
    for attempt in (1, 2):
        before = utcnow()
        await worker.run_until_idle()
        job = await jobs.get(job_id)
        assert (job.status, job.attempts) == ("queued", attempt)
        assert job.last_error == "RuntimeError: gateway said no"
        wait = (job.run_at.replace(tzinfo=None) - before.replace(tzinfo=None)).total_seconds()
        assert 0.75 * 60 * 2 ** (attempt - 1) - 1 <= wait <= 60 * 2 ** (attempt - 1) + 1
        await worker.run_until_idle()  # not due yet: nothing happens
        assert (await jobs.get(job_id)).attempts == attempt
        await jobs.make_due(job_id)
    await worker.run_until_idle()
    job = await jobs.get(job_id)
    assert (job.status, job.attempts, job.last_error) == ("failed", 3, "RuntimeError: gateway said no")
    assert job.finished_at is not None
    assert await jobs.effects(job_id) == []  # every failed attempt rolled its writes back
    await worker.run_until_idle()
    assert (await jobs.get(job_id)).attempts == 3  # parked jobs are never picked up again


async def test_unknown_kind_fails_like_any_error(factory, jobs, make_worker):
    async with factory.session(None) as s:
        job_id = await enqueue(s, "test.nobody-handles-this", max_attempts=1)
    await make_worker().run_until_idle()
    job = await jobs.get(job_id)
    assert job.status == "failed" and "no handler registered" in job.last_error


async def test_job_runs_bound_to_its_own_store_never_the_previous_one(factory, jobs, make_worker, backend):
    from kernel.events import emit_event
    from plugin_sdk.events import StockLow

    a, b = await factory.store(), await factory.store()
    for store in (a, b):
        async with factory.session(store) as s:
            await emit_event(s, StockLow.example())
    ids = []
    async with factory.session(None) as s:
        for store in (a, b, a, b, None, a):
            ids.append(await enqueue(s, "test.probe_store", store_id=None if store is None else store.id))
    handlers.PROBES.clear()
    await make_worker(concurrency=1, relay_events=False).run_until_idle()
    seen = {probe[0]: probe for probe in handlers.PROBES}
    for job_id, store in zip(ids, (a, b, a, b, None, a)):
        _job, bound, visible, setting, raw = seen[job_id]
        expected = None if store is None else store.id
        assert bound == expected
        assert visible == (set() if store is None else {store.id})  # the ORM wall
        if backend == "postgresql":
            assert setting == ("" if store is None else str(store.id))
            assert raw == (0 if store is None else 1)  # the database wall, for raw SQL


async def test_a_claim_taken_over_cannot_complete(factory, jobs, effects_table):
    async with factory.session(None) as s:
        job_id = await enqueue(s, "test.record", run_at=utcnow() - timedelta(days=365))
    async with factory.session(None) as s:
        first = [j for j in await queue.claim(s, "presumed-dead", 50, stale_after=30) if j.id == job_id]
    assert first, "the oldest due job is claimed first"
    async with factory.session(None) as s:  # its heartbeat is now old: another worker reclaims it
        await s.execute(update(Job).where(Job.id == job_id).values(heartbeat_at=utcnow() - timedelta(minutes=5)))
    async with factory.session(None) as s:
        second = [j for j in await queue.claim(s, "rescuer", 50, stale_after=30) if j.id == job_id]
    assert second and second[0].attempts == 2
    async with factory.session(None) as s:
        assert await queue.mark_done(s, first[0]) is False  # the old claim lost the job
        assert await queue.mark_done(s, second[0]) is True
    job = await jobs.get(job_id)
    assert job.status == "done" and "abandoned: worker presumed-dead" in job.last_error


async def test_stale_job_is_reclaimed_and_completed(factory, jobs, make_worker, effects_table):
    async with factory.session(None) as s:
        job_id = await enqueue(s, "test.record")
    async with factory.session(None) as s:  # a worker claims it and dies without a trace
        await s.execute(update(Job).where(Job.id == job_id).values(
            status="running", attempts=1, locked_by="dead-worker", heartbeat_at=utcnow() - timedelta(minutes=2)))
    await make_worker(stale_after=30).run_until_idle()
    job = await jobs.get(job_id)
    assert (job.status, job.attempts) == ("done", 2)
    assert len(await jobs.effects(job_id)) == 1


async def test_graceful_stop_lets_the_job_in_flight_finish(factory, jobs, make_worker, effects_table):
    async with factory.session(None) as s:
        job_id = await enqueue(s, "test.gate", {"gate": 1001})
    handlers.GATE[1001] = asyncio.Event()
    worker = make_worker(shutdown_grace=60)
    task = asyncio.create_task(worker.run())
    await jobs.wait_for(lambda: _status_is(jobs, job_id, "running"), what="the job to start")
    worker.stop()
    handlers.GATE[1001].set()
    await task
    assert (await jobs.get(job_id)).status == "done"
    assert len(await jobs.effects(job_id)) == 1


async def test_graceful_stop_gives_an_unfinished_job_back(factory, jobs, make_worker, effects_table):
    async with factory.session(None) as s:
        job_id = await enqueue(s, "test.gate", {"gate": 1002})
    handlers.GATE[1002] = asyncio.Event()  # never opened
    worker = make_worker(shutdown_grace=0)
    task = asyncio.create_task(worker.run())
    await jobs.wait_for(lambda: _status_is(jobs, job_id, "running"), what="the job to start")
    worker.stop()
    await task
    job = await jobs.get(job_id)
    assert (job.status, job.attempts, job.locked_by) == ("queued", 0, None)
    assert await jobs.effects(job_id) == []
    handlers.GATE[1002].set()  # a later worker finishes it
    await make_worker().run_until_idle()
    assert (await jobs.get(job_id)).status == "done"


async def _status_is(jobs, job_id, status):
    return (await jobs.get(job_id)).status == status


def test_options_come_from_settings(settings):
    options = WorkerOptions.from_settings(settings, concurrency=9)
    assert options.concurrency == 9 and options.stale_after == settings.job_stale_after


async def test_purge_deletes_old_finished_jobs_only(factory, jobs):
    old = utcnow() - timedelta(days=400)
    async with factory.session(None) as s:
        done_id = await enqueue(s, "test.record")
        failed_id = await enqueue(s, "test.record")
        queued_id = await enqueue(s, "test.record", run_at=utcnow() + timedelta(days=1))
        await s.execute(update(Job).where(Job.id == done_id).values(status="done", finished_at=old))
        await s.execute(update(Job).where(Job.id == failed_id).values(status="failed", finished_at=old))
    cutoff = utcnow() - timedelta(days=399)
    async with factory.session(None) as s:
        assert await queue.purge_finished(s, cutoff) >= 1
    async with factory.session(None) as s:
        assert await s.get(Job, done_id) is None
        assert await s.get(Job, failed_id) is not None and await s.get(Job, queued_id) is not None
        await queue.purge_finished(s, cutoff, include_failed=True)
    async with factory.session(None) as s:
        assert await s.get(Job, failed_id) is None and await s.get(Job, queued_id) is not None


async def test_running_job_heartbeats_and_abort_gives_it_back(factory, jobs, make_worker, effects_table):
    async with factory.session(None) as s:
        job_id = await enqueue(s, "test.gate", {"gate": 1003})
    handlers.GATE[1003] = asyncio.Event()
    worker = make_worker(shutdown_grace=3600, heartbeat_interval=0.1)
    task = asyncio.create_task(worker.run())

    async def heartbeating():
        job = await jobs.get(job_id)
        return job.status == "running" and job.heartbeat_at > job.locked_at
    await jobs.wait_for(heartbeating, what="a heartbeat after the claim")
    worker.stop()
    worker.abort()  # a second signal: no waiting for the grace period
    await task
    job = await jobs.get(job_id)
    assert (job.status, job.attempts) == ("queued", 0)
    handlers.GATE[1003].set()
    await make_worker().run_until_idle()
    assert (await jobs.get(job_id)).status == "done"


async def test_job_abandoned_on_its_last_attempt_is_parked_not_rerun(factory, jobs, make_worker, effects_table):
    async with factory.session(None) as s:
        job_id = await enqueue(s, "test.record", max_attempts=2)
    async with factory.session(None) as s:  # its second (last) run's worker died
        await s.execute(update(Job).where(Job.id == job_id).values(
            status="running", attempts=2, locked_by="dead-worker", heartbeat_at=utcnow() - timedelta(minutes=2)))
    await make_worker().run_until_idle()
    job = await jobs.get(job_id)
    assert (job.status, job.attempts) == ("failed", 2)
    assert "out of attempts" in job.last_error
    assert await jobs.effects(job_id) == []


async def test_two_workers_racing_run_each_job_once(factory, jobs, make_worker, effects_table):
    """In one process on both backends (the multi-process proof is in test_worker_processes)."""
    marker = f"race-{random.random()}"
    async with factory.session(None) as s:
        await queue.enqueue_many(s, [{"kind": "test.record", "dedupe_key": f"{marker}:{n}"} for n in range(60)])
        ids = list((await s.execute(select(Job.id).where(Job.dedupe_key.like(f"{marker}:%")))).scalars())
    first, second = make_worker(concurrency=3), make_worker(concurrency=3)
    tasks = [asyncio.create_task(first.run()), asyncio.create_task(second.run())]

    async def all_done():
        async with factory.session(None) as s:
            return (await s.execute(select(func.count()).where(Job.id.in_(ids), Job.status == "done"))).scalar() == 60
    await jobs.wait_for(all_done, what="60 jobs to be done")
    first.stop(), second.stop()
    await asyncio.gather(*tasks)
    effects = await jobs.effects(*ids)
    assert sorted(job_id for job_id, _w, _n in effects) == sorted(ids)
