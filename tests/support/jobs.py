"""Helpers for tests that drive job workers: in-process workers and a view of the jobs table."""

from __future__ import annotations

import asyncio
import time

import pytest
from sqlalchemy import select, text, update

from kernel.jobs.models import Job
from kernel.jobs.worker import Worker, WorkerOptions
from tests.kernel.jobs import handlers


@pytest.fixture(scope="session")
def effects_table(database):
    handlers.ensure_effects_table(database)
    return handlers.EFFECTS_TABLE


@pytest.fixture
def make_worker(sessionmaker):
    """An in-process worker with test-friendly options (no waiting between polls)."""

    def make(**options) -> Worker:
        defaults = dict(concurrency=4, poll_interval=0.05, heartbeat_interval=0.2, stale_after=30.0,
                        backoff_base=0.0, backoff_max=0.0, shutdown_grace=5.0)
        return Worker(sessionmaker, WorkerOptions(**{**defaults, **options}))

    return make


class Jobs:
    """Read and nudge the jobs table from tests, as the platform does (the queue spans stores)."""

    def __init__(self, factory):
        self.factory = factory

    def _platform(self):
        from kernel.db import cross_store_session

        return cross_store_session(self.factory.sessionmaker)

    async def get(self, job_id: int) -> Job:
        async with self._platform() as s:
            return (await s.execute(select(Job).where(Job.id == job_id))).scalar_one()

    async def make_due(self, *job_ids: int) -> None:
        """Stand-in for the clock: a job waiting out its backoff becomes due now."""
        from kernel.db import utcnow

        async with self._platform() as s:
            await s.execute(update(Job).where(Job.id.in_(job_ids)).values(run_at=utcnow()))

    async def effects(self, *job_ids: int) -> list[tuple[int, str, str]]:
        async with self.factory.session(None) as s:
            rows = await s.execute(text(f"select job_id, worker, note from {handlers.EFFECTS_TABLE} "
                                        "where job_id in (" + ",".join(str(int(j)) for j in job_ids) + ")"))
            return [tuple(r) for r in rows]

    async def wait_for(self, predicate, *, deadline: float = 90.0, what: str = "condition"):
        """Poll ``predicate`` (async) until truthy; a deadline only guards against hanging forever."""
        end = time.monotonic() + deadline
        while True:
            result = await predicate()
            if result:
                return result
            if time.monotonic() > end:
                raise AssertionError(f"gave up waiting for {what}")
            await asyncio.sleep(0.1)


@pytest.fixture
def jobs(factory) -> Jobs:
    return Jobs(factory)
