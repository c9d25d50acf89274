"""Real worker processes (``pycommerce worker``) sharing one PostgreSQL queue, killed and stopped.

PostgreSQL only: several processes on one SQLite file is not a supported deployment.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text

from kernel.jobs import enqueue
from kernel.jobs.queue import enqueue_many

pytestmark = [pytest.mark.postgres_only, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[3]
PYCOMMERCE = Path(sys.executable).with_name("pycommerce")


class Workers:
    """Starts ``pycommerce worker`` subprocesses against the test database; stops them all at the end."""

    def __init__(self, database, tmp_path):
        self.database, self.tmp_path, self.procs = database, tmp_path, {}

    def start(self, name: str, *, concurrency: int = 4, **env_overrides: str) -> subprocess.Popen:
        env = {**os.environ, "PYTHONPATH": str(ROOT), "PYCOMMERCE_ENV": "test",
               "PYCOMMERCE_DATABASE_URL": self.database.url, "PYCOMMERCE_VAR_DIR": str(self.tmp_path / "var"),
               "PYCOMMERCE_SECRET_KEY": "test-secret-key-not-for-production",
               "PYCOMMERCE_JOB_MODULES": "tests.kernel.jobs.handlers",
               "PYCOMMERCE_JOB_POLL_INTERVAL": "0.1", "PYCOMMERCE_JOB_HEARTBEAT_INTERVAL": "0.5",
               "PYCOMMERCE_JOB_STALE_AFTER": "3", "PYCOMMERCE_JOB_BACKOFF_BASE": "0.1",
               **env_overrides}
        log = open(self.tmp_path / f"{name}.log", "wb")
        proc = subprocess.Popen([str(PYCOMMERCE), "worker", "--name", name, "--concurrency", str(concurrency)],
                                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        self.procs[name] = proc
        return proc

    def log(self, name: str) -> str:
        return (self.tmp_path / f"{name}.log").read_text(errors="replace")

    async def started(self, jobs, *names: str) -> None:
        async def ready():
            for name in names:
                if self.procs[name].poll() is not None:
                    raise AssertionError(f"worker {name} exited: {self.log(name)}")
            return all("worker started" in self.log(name) for name in names)
        await jobs.wait_for(ready, what=f"workers {names} to start")

    def stop_all(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.kill()
            proc.wait(timeout=30)


@pytest.fixture
def workers(database, tmp_path):
    pool = Workers(database, tmp_path)
    yield pool
    pool.stop_all()


async def _statuses(factory, job_ids) -> dict[str, int]:
    async with factory.session(None) as s:
        rows = await s.execute(text("select status, count(*) from jobs where id = any(:ids) group by status"),
                               {"ids": list(job_ids)})
        return dict(rows.all())


async def test_two_worker_processes_do_500_jobs_exactly_once(factory, jobs, workers, effects_table):
    # A generous stale timeout: on a loaded machine a late heartbeat must not hand a live job to the other worker.
    workers.start("w1", concurrency=8, PYCOMMERCE_JOB_STALE_AFTER="60")
    workers.start("w2", concurrency=8, PYCOMMERCE_JOB_STALE_AFTER="60")
    await workers.started(jobs, "w1", "w2")
    marker = f"bulk-{os.getpid()}-{id(workers)}"
    async with factory.session(None) as s:
        await enqueue_many(s, [{"kind": "test.record", "payload": {"sleep": 0.005}, "dedupe_key": f"{marker}:{n}"}
                               for n in range(500)])
    async with factory.session(None) as s:
        job_ids = list((await s.execute(text("select id from jobs where dedupe_key like :m"),
                                        {"m": f"{marker}:%"})).scalars())
    assert len(job_ids) == 500

    async def all_done():
        return (await _statuses(factory, job_ids)).get("done", 0) == 500
    await jobs.wait_for(all_done, deadline=180, what="500 jobs to be done")

    effects = await jobs.effects(*job_ids)
    assert len(effects) == 500
    assert sorted(job_id for job_id, _w, _n in effects) == sorted(job_ids)  # each job exactly once
    assert {worker for _j, worker, _n in effects} == {"w1", "w2"}  # and the two processes shared the work
    async with factory.session(None) as s:
        attempts = (await s.execute(text("select max(attempts) from jobs where id = any(:ids)"),
                                    {"ids": job_ids})).scalar()
    assert attempts == 1
    for name in ("w1", "w2"):
        workers.procs[name].send_signal(signal.SIGTERM)
        assert workers.procs[name].wait(timeout=60) == 0


async def test_worker_killed_mid_job_loses_nothing(factory, jobs, workers, effects_table):
    async with factory.session(None) as s:
        job_id = await enqueue(s, "test.block_in", {"worker": "victim"})
    victim = workers.start("victim")

    async def held_by_victim():
        job = await jobs.get(job_id)
        return job.status == "running" and job.locked_by == "victim"
    await jobs.wait_for(held_by_victim, what="the victim to start the job")
    victim.send_signal(signal.SIGKILL)
    victim.wait(timeout=30)
    workers.start("rescuer")

    async def done():
        return (await jobs.get(job_id)).status == "done"
    await jobs.wait_for(done, deadline=60, what="the job to be reclaimed and completed within a minute")
    job = await jobs.get(job_id)
    assert job.attempts == 2
    assert "abandoned: worker victim" in job.last_error
    assert await jobs.effects(job_id) == [(job_id, "rescuer", "before-block")]  # the killed run left nothing


async def test_sigterm_gives_the_job_in_flight_back(factory, jobs, workers, effects_table):
    async with factory.session(None) as s:
        job_id = await enqueue(s, "test.block_in", {"worker": "stopping"})
    proc = workers.start("stopping", PYCOMMERCE_JOB_SHUTDOWN_GRACE="0.5")

    async def running():
        job = await jobs.get(job_id)
        return job.status == "running" and job.locked_by == "stopping"
    await jobs.wait_for(running, what="the job to start")
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=60) == 0
    job = await jobs.get(job_id)
    assert (job.status, job.attempts, job.locked_by) == ("queued", 0, None)
    assert await jobs.effects(job_id) == []
    assert "job given back to the queue" in workers.log("stopping")
    workers.start("next")  # and another worker completes it

    async def done():
        return (await jobs.get(job_id)).status == "done"
    await jobs.wait_for(done, what="another worker to complete the job")
    assert await jobs.effects(job_id) == [(job_id, "next", "before-block")]


async def test_sigterm_lets_a_short_job_finish(factory, jobs, workers, effects_table):
    proc = workers.start("finisher", PYCOMMERCE_JOB_SHUTDOWN_GRACE="60")
    await workers.started(jobs, "finisher")
    async with factory.session(None) as s:
        job_id = await enqueue(s, "test.record", {"sleep": 1.5})

    async def running():
        return (await jobs.get(job_id)).locked_by == "finisher"
    await jobs.wait_for(running, what="the job to start")
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=60) == 0
    assert (await jobs.get(job_id)).status == "done"
    assert len(await jobs.effects(job_id)) == 1


async def test_worker_reconnects_after_its_connections_are_terminated(factory, jobs, workers, database,
                                                                     effects_table):
    from sqlalchemy import create_engine

    from kernel.db import sync_url
    from kernel.events import emit_event
    from plugin_sdk.events import OrderPlaced

    workers.start("survivor")
    await workers.started(jobs, "survivor")
    async with factory.session(None) as s:
        first = await enqueue(s, "test.record", {})

    async def done(job_id):
        return (await jobs.get(job_id)).status == "done"
    await jobs.wait_for(lambda: done(first), what="the first job")

    owner = create_engine(sync_url(database.owner_url))
    with owner.connect() as connection:  # as if PostgreSQL restarted under the worker
        terminated = connection.execute(text(
            "select count(pg_terminate_backend(pid)) from pg_stat_activity "
            "where datname = current_database() and application_name like 'pycommerce-worker:%'")).scalar()
    owner.dispose()
    assert terminated >= 1
    store = await factory.store()
    async with factory.session(store) as s:
        event = await emit_event(s, OrderPlaced.example())
        second = await enqueue(s, "test.record", {})
    await jobs.wait_for(lambda: done(second), what="a job after the reconnect")

    async def delivered():
        async with factory.session(None) as s:
            return (await s.execute(text("select status from jobs where dedupe_key = :k"),
                                    {"k": f"event:{event.event_id}"})).scalar() == "done"
    await jobs.wait_for(delivered, what="the event committed after the outage to be delivered")
