"""The worker: claims jobs, runs each in its own store-bound unit of work, heartbeats, retries, stops cleanly.

One :class:`Worker` runs up to ``concurrency`` jobs at once on one event loop.
Run as many worker processes as you like, on as many hosts: they coordinate
only through the ``jobs`` table (see :mod:`kernel.jobs.queue`).

* **Units of work.** Each job gets a fresh session bound to the job's store
  (``kernel.db.store_session``), never a previous job's. The job is marked done
  in that same transaction, so a job's database effects and its "done" commit
  together or not at all, and a worker whose claim was taken over (it was
  presumed dead) cannot commit a second time. Claims, heartbeats and failure
  records span stores and run on the platform's login
  (``kernel.db.cross_store_session``); a job itself runs as the application,
  behind its store's row-level security (a job of no store sees no store's
  rows: its queue row is a platform row).
* **Failures** roll the handler's work back, then a separate transaction
  records the error and requeues the job after an exponential, jittered
  backoff, or parks it as ``failed`` after ``max_attempts``.
* **Heartbeats** every ``heartbeat_interval`` seconds; a job whose heartbeat is
  older than ``stale_after`` is reclaimed by any worker's next claim.
* **Stopping** (:meth:`Worker.stop`, SIGTERM/SIGINT in ``pycommerce worker``):
  no new claims; jobs in flight get ``shutdown_grace`` seconds to finish, then
  are cancelled (rolled back) and given back to the queue.
* **Database outages** (restart, terminated backends) are logged and retried
  with a capped delay; the pool reconnects (idle connections are pinged, see
  :func:`kernel.db.ping_connections_idle_longer_than`).
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import os
import socket
import uuid
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kernel.db import cross_store_session, store_session
from kernel.jobs import queue
from kernel.jobs.registry import get_handler
from kernel.tenancy import StoreContext

log = logging.getLogger("pycommerce.jobs")


@dataclass
class WorkerOptions:
    concurrency: int = 4
    poll_interval: float = 1.0
    heartbeat_interval: float = 10.0
    stale_after: float = 30.0
    backoff_base: float = 10.0
    backoff_max: float = 3600.0
    shutdown_grace: float = 25.0
    relay_events: bool = True  # also move committed outbox events into the queue
    event_max_attempts: int = 12

    def __post_init__(self) -> None:
        if self.heartbeat_interval >= self.stale_after:
            raise ValueError(f"job heartbeat interval ({self.heartbeat_interval}s) must be shorter than the stale "
                             f"timeout ({self.stale_after}s), or live jobs would be taken from their workers")
        if self.concurrency < 1:
            raise ValueError("job concurrency must be at least 1")

    @classmethod
    def from_settings(cls, settings, **overrides) -> "WorkerOptions":
        values = dict(concurrency=settings.job_concurrency, poll_interval=settings.job_poll_interval,
                      heartbeat_interval=settings.job_heartbeat_interval, stale_after=settings.job_stale_after,
                      backoff_base=settings.job_backoff_base, backoff_max=settings.job_backoff_max,
                      shutdown_grace=settings.job_shutdown_grace, event_max_attempts=settings.job_max_attempts)
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)


def default_worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class JobCancelled(Exception):
    pass


class Worker:
    """``concurrency`` slots, each claiming and running one job at a time, plus a relay and a heartbeat loop.

    Slots claim in parallel (claims are short transactions), so throughput grows
    with concurrency instead of queueing behind one claim loop.
    """

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], options: WorkerOptions | None = None,
                 *, name: str | None = None):
        self.sessionmaker = sessionmaker
        self.options = options or WorkerOptions()
        self.name = name or default_worker_name()
        self._stopping = asyncio.Event()
        self._abort = asyncio.Event()
        self._inflight: dict[int, queue.JobContext] = {}
        self._slots: list[asyncio.Task] = []
        self.processed = 0

    # --- running -------------------------------------------------------------------------------

    async def run(self) -> None:
        """Claim and run jobs until :meth:`stop`; then drain or give back the jobs in flight."""
        log.info("worker started", extra={"worker": self.name, "concurrency": self.options.concurrency})
        helpers = [asyncio.create_task(self._heartbeat_loop(), name="job-heartbeat")]
        if self.options.relay_events:
            helpers.append(asyncio.create_task(self._relay_loop(), name="outbox-relay"))
        self._slots = [asyncio.create_task(self._slot_loop(), name=f"job-slot-{n}")
                       for n in range(self.options.concurrency)]
        try:
            await self._stopping.wait()
        finally:
            self._stopping.set()
            await self._drain()
            for task in helpers:
                task.cancel()
            await asyncio.gather(*helpers, return_exceptions=True)
            log.info("worker stopped", extra={"worker": self.name, "processed": self.processed})

    def stop(self) -> None:
        """Ask the worker to stop (safe from a signal handler): no new claims, in-flight jobs drain."""
        self._stopping.set()

    def abort(self) -> None:
        """Stop now: jobs in flight are cancelled, rolled back and given back to the queue."""
        self._abort.set()
        self._stopping.set()

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    async def run_until_idle(self, max_rounds: int = 1000) -> int:
        """Relay events and run every due job until none is left (tests, one-off maintenance).

        No heartbeats here: meant for short jobs while no other worker is racing for them.
        """
        total = 0
        for _ in range(max_rounds):
            if self.options.relay_events:
                await self._relay()
            jobs = await self._claim(self.options.concurrency)
            if not jobs:
                return total
            await asyncio.gather(*(self._execute(job) for job in jobs))
            total += len(jobs)
        return total

    # --- internals -----------------------------------------------------------------------------

    async def _pause(self, seconds: float) -> None:
        """Sleep, but wake at once when the worker is asked to stop."""
        try:
            await asyncio.wait_for(self._stopping.wait(), timeout=seconds)
        except asyncio.TimeoutError:
            pass

    async def _slot_loop(self) -> None:
        failures = 0
        while not self._stopping.is_set():
            try:
                jobs = await self._claim(1)
                failures = 0
            except Exception as exc:  # database down or restarting: wait, then reconnect through the pool
                failures += 1
                await self._pause(self._outage_delay(failures, exc))
                continue
            if not jobs:
                await self._pause(self.options.poll_interval)
                continue
            job = jobs[0]
            self._inflight[job.id] = job
            try:
                await self._execute(job)
            finally:
                self._inflight.pop(job.id, None)

    def _outage_delay(self, failures: int, exc: Exception) -> float:
        delay = min(30.0, self.options.poll_interval * 2 ** min(failures, 5))
        log.warning("worker cannot reach the database; retrying", extra={
            "worker": self.name, "error": repr(exc), "retry_in": delay})
        return delay

    async def _relay_loop(self) -> None:
        failures = 0
        while not self._stopping.is_set():
            try:
                await self._relay()
                failures = 0
            except Exception as exc:
                failures += 1
                await self._pause(self._outage_delay(failures, exc))
                continue
            await self._pause(self.options.poll_interval)

    async def _relay(self) -> None:
        from kernel.events.delivery import relay_outbox

        while await relay_outbox(self.sessionmaker, max_attempts=self.options.event_max_attempts) and \
                not self._stopping.is_set():
            pass

    async def _claim(self, limit: int) -> list[queue.JobContext]:
        if limit <= 0:
            return []
        async with cross_store_session(self.sessionmaker) as session:
            return await queue.claim(session, self.name, limit, stale_after=self.options.stale_after)

    async def _execute(self, job: queue.JobContext) -> None:
        """Run one job; never raises (except cancellation, after giving the job back)."""
        try:
            if job.attempts > job.max_attempts:  # reclaimed from a dead worker with no attempts left
                await self._record_failure(job, "out of attempts (its last worker died while running it)")
                return
            async with store_session(self.sessionmaker, job.store_id) as session:
                if job.store_id is not None:
                    job.store = await _load_store(session, job.store_id)
                handler = get_handler(job.kind)
                result = handler(session, job)
                if inspect.isawaitable(result):
                    await result
                if not await queue.mark_done(session, job):
                    raise JobCancelled(f"job {job.id} was taken over by another worker; rolled back")
            self.processed += 1
            log.info("job done", extra={"worker": self.name, "job_id": job.id, "kind": job.kind,
                                        "attempt": job.attempts})
        except asyncio.CancelledError:
            await asyncio.shield(self._give_back(job))
            raise
        except JobCancelled as exc:
            log.warning(str(exc), extra={"worker": self.name, "job_id": job.id})
        except Exception as exc:
            await self._record_failure(job, f"{type(exc).__name__}: {exc}")

    async def _record_failure(self, job: queue.JobContext, error: str) -> None:
        try:
            async with cross_store_session(self.sessionmaker) as session:
                status = await queue.mark_failed(session, job, error, backoff_base=self.options.backoff_base,
                                                 backoff_max=self.options.backoff_max)
        except Exception as exc:  # the job stays "running"; heartbeats stop, so it is reclaimed later
            log.error("could not record a job failure", extra={"worker": self.name, "job_id": job.id,
                                                               "error": repr(exc)})
            return
        level = logging.ERROR if status == "failed" else logging.WARNING
        log.log(level, "job parked as failed" if status == "failed" else "job failed; will retry", extra={
            "worker": self.name, "job_id": job.id, "kind": job.kind, "attempt": job.attempts, "error": error})

    async def _give_back(self, job: queue.JobContext) -> None:
        try:
            async with cross_store_session(self.sessionmaker) as session:
                await queue.release(session, job)
            log.info("job given back to the queue", extra={"worker": self.name, "job_id": job.id})
        except Exception as exc:  # it will be reclaimed once its heartbeat is stale
            log.warning("could not give a job back", extra={"worker": self.name, "job_id": job.id,
                                                           "error": repr(exc)})

    async def _heartbeat_loop(self) -> None:
        while True:
            await asyncio.sleep(self.options.heartbeat_interval)
            ids = list(self._inflight)
            if not ids:
                continue
            try:
                async with cross_store_session(self.sessionmaker) as session:
                    await queue.heartbeat(session, self.name, ids)
            except Exception as exc:
                log.warning("heartbeat failed", extra={"worker": self.name, "error": repr(exc)})

    async def _drain(self) -> None:
        """Let the slots finish their jobs for up to ``shutdown_grace`` seconds (or until :meth:`abort`)."""
        slots = [task for task in self._slots if not task.done()]
        if slots:
            finished = asyncio.ensure_future(asyncio.gather(*slots, return_exceptions=True))
            aborted = asyncio.create_task(self._abort.wait())
            await asyncio.wait([finished, aborted], timeout=self.options.shutdown_grace,
                               return_when=asyncio.FIRST_COMPLETED)
            aborted.cancel()
            for task in slots:
                task.cancel()  # a slot still running a job gives it back to the queue
            await asyncio.gather(finished, aborted, return_exceptions=True)


async def _load_store(session: AsyncSession, store_id: int) -> StoreContext | None:
    from kernel.stores.models import Store

    store = await session.get(Store, store_id)
    return StoreContext.of(store) if store is not None else None


async def run_worker(settings, *, concurrency: int | None = None, name: str | None = None,
                     install_signal_handlers: bool = True) -> None:
    """``pycommerce worker``: one worker process, stopped gracefully by SIGTERM or SIGINT.

    A second signal cancels the jobs in flight at once (they go back to the queue).
    """
    import signal

    from kernel.db import create_engine_for, make_sessionmaker
    from kernel.jobs.registry import load_job_handlers
    from kernel.observability import configure_logging

    configure_logging(settings.log_level, settings.log_json)
    kinds = await load_job_handlers(settings.job_modules)
    log.info("job handlers loaded", extra={"kinds": kinds})
    options = WorkerOptions.from_settings(settings, concurrency=concurrency)
    name = name or default_worker_name()
    engine = create_engine_for(settings.database_url, pool_size=max(2, options.concurrency + 2),
                               max_overflow=settings.db_max_overflow, pool_timeout=settings.db_pool_timeout,
                               application_name=f"pycommerce-worker:{name}"[:63])
    platform_engine = engine if settings.platform_database_url == settings.database_url else create_engine_for(
        settings.platform_database_url, pool_size=max(2, options.concurrency + 2), pool_timeout=settings.db_pool_timeout,
        application_name=f"pycommerce-worker:{name} (platform)"[:63])
    worker = Worker(make_sessionmaker(engine, platform_engine), options, name=name)
    if install_signal_handlers:
        loop = asyncio.get_running_loop()

        def on_signal() -> None:
            if worker.stopping:
                worker.abort()
            worker.stop()

        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, on_signal)
    try:
        await worker.run()
    finally:
        await engine.dispose()
        if platform_engine is not engine:
            await platform_engine.dispose()
