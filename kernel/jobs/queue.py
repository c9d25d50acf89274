"""The queue's SQL: enqueue in the caller's transaction, claim, heartbeat, finish, retry, park.

Every state change is one conditional statement, so any number of workers (on
any number of hosts) can share the table:

* **Claim** is ``UPDATE … WHERE id IN (SELECT … FOR UPDATE SKIP LOCKED)``: on
  PostgreSQL concurrent claimers skip each other's rows instead of waiting or
  double-claiming; on SQLite the single UPDATE runs under the database's write
  lock, which gives the same guarantee for the one host SQLite serves. The same
  statement reclaims *running* jobs whose worker stopped heartbeating.
* **Finish, fail, release** only touch a job still held by the same claim
  (``locked_by`` and ``attempts`` match). A worker that was presumed dead and
  whose job was reclaimed cannot overwrite the new owner's state.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, delete, func, insert, literal, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.db import dialect_of, utcnow
from kernel.jobs.models import Job, JobStatus

DEFAULT_MAX_ATTEMPTS = 12
MAX_ERROR_LENGTH = 4000


@dataclass
class JobContext:
    """What a handler learns about the job it runs (detached from the ORM)."""

    id: int
    kind: str
    payload: dict[str, Any]
    store_id: int | None
    attempts: int  # this run's attempt number, starting at 1
    max_attempts: int
    worker: str
    store: Any = field(default=None)  # kernel.tenancy.StoreContext when store_id is set


def _insert_ignoring_duplicates(session: AsyncSession):
    """``INSERT … ON CONFLICT (dedupe_key) DO NOTHING`` for the session's dialect.

    A plain INSERT hitting the unique key would abort the caller's whole
    PostgreSQL transaction; this keeps enqueue safe inside any unit of work.
    """
    if dialect_of(session) == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    else:
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    return dialect_insert(Job.__table__).on_conflict_do_nothing(index_elements=["dedupe_key"])


def _job_values(kind: str, payload: dict[str, Any] | None, store_id: int | None, run_at: datetime | None,
                max_attempts: int | None, dedupe_key: str | None) -> dict[str, Any]:
    now = utcnow()
    return {"kind": kind, "payload": payload or {}, "store_id": store_id, "status": JobStatus.queued.value,
            "attempts": 0, "max_attempts": max_attempts or DEFAULT_MAX_ATTEMPTS, "run_at": run_at or now,
            "dedupe_key": dedupe_key, "created_at": now}


async def enqueue(session: AsyncSession, kind: str, payload: dict[str, Any] | None = None, *,
                  store_id: int | None = None, run_at: datetime | None = None, max_attempts: int | None = None,
                  dedupe_key: str | None = None) -> int | None:
    """Queue a job in the caller's transaction: it exists only if the caller commits.

    ``store_id`` defaults to the store the session is bound to, so work queued
    while serving a store runs for that store. Returns the new job's id, or
    ``None`` when ``dedupe_key`` was queued before (nothing is added).
    The payload must be JSON; never put secrets in it (it is shown to platform admins).
    """
    if store_id is None:
        store_id = session.info.get("store_id")
    values = _job_values(kind, payload, store_id, run_at, max_attempts, dedupe_key)
    if dedupe_key is None:
        result = await session.execute(insert(Job.__table__).values(**values).returning(Job.__table__.c.id))
    else:
        result = await session.execute(_insert_ignoring_duplicates(session).values(**values)
                                       .returning(Job.__table__.c.id))
    return result.scalar_one_or_none()


async def enqueue_many(session: AsyncSession, jobs: Sequence[dict[str, Any]]) -> None:
    """Queue several jobs in one statement; each dict takes :func:`enqueue`'s arguments.

    Duplicate ``dedupe_key`` values are skipped silently.
    """
    if not jobs:
        return
    rows = [_job_values(j["kind"], j.get("payload"), j.get("store_id"), j.get("run_at"), j.get("max_attempts"),
                        j.get("dedupe_key")) for j in jobs]
    await session.execute(_insert_ignoring_duplicates(session), rows)


def backoff_delay(attempts: int, base: float, maximum: float, rng: random.Random | None = None) -> float:
    """Seconds before retry number ``attempts`` (1 = the first failure): exponential, capped, jittered.

    The jitter (between 75% and 100% of the exponential delay) spreads retries of
    many jobs that failed together, e.g. while a downstream service was down.
    """
    exponential = min(maximum, base * (2 ** max(0, attempts - 1)))
    return exponential * (rng or random).uniform(0.75, 1.0)


def _mine(job: JobContext):
    table = Job.__table__.c
    return and_(table.id == job.id, table.locked_by == job.worker, table.attempts == job.attempts,
                table.status == JobStatus.running.value)


async def claim(session: AsyncSession, worker: str, limit: int, *, stale_after: float) -> list[JobContext]:
    """Claim up to ``limit`` due jobs (and jobs abandoned by a dead worker) for ``worker``."""
    now = utcnow()
    c = Job.__table__.c
    due = or_(
        and_(c.status == JobStatus.queued.value, c.run_at <= now),
        and_(c.status == JobStatus.running.value, c.heartbeat_at < now - timedelta(seconds=stale_after)),
    )
    candidates = (select(c.id).where(due).order_by(c.run_at, c.id).limit(limit)
                  .with_for_update(skip_locked=True).scalar_subquery())
    statement = (
        update(Job.__table__)
        .where(c.id.in_(candidates))
        .values(
            status=JobStatus.running.value, locked_by=worker, locked_at=now, heartbeat_at=now,
            attempts=c.attempts + 1,
            last_error=case((c.status == JobStatus.running.value,
                             literal("abandoned: worker ") + func.coalesce(c.locked_by, "?")
                             + literal(" stopped heartbeating")),
                            else_=c.last_error),
        )
        .returning(c.id, c.kind, c.payload, c.store_id, c.attempts, c.max_attempts)
    )
    rows = (await session.execute(statement)).all()
    return [JobContext(r.id, r.kind, r.payload or {}, r.store_id, r.attempts, r.max_attempts, worker)
            for r in sorted(rows, key=lambda r: r.id)]


async def heartbeat(session: AsyncSession, worker: str, job_ids: Sequence[int]) -> None:
    if not job_ids:
        return
    c = Job.__table__.c
    await session.execute(update(Job.__table__)
                          .where(c.id.in_(list(job_ids)), c.locked_by == worker, c.status == JobStatus.running.value)
                          .values(heartbeat_at=utcnow()))


async def mark_done(session: AsyncSession, job: JobContext) -> bool:
    """Mark the job done, in the handler's own transaction; False if this claim no longer holds it."""
    result = await session.execute(update(Job.__table__).where(_mine(job)).values(
        status=JobStatus.done.value, finished_at=utcnow(), locked_by=None, heartbeat_at=None))
    return result.rowcount == 1


async def mark_failed(session: AsyncSession, job: JobContext, error: str, *, backoff_base: float,
                      backoff_max: float) -> str:
    """Record a failed attempt: back to the queue after a backoff, or parked as failed when out of attempts."""
    error = error[:MAX_ERROR_LENGTH]
    if job.attempts >= job.max_attempts:
        values = {"status": JobStatus.failed.value, "finished_at": utcnow()}
        if job.attempts > job.max_attempts:  # a reclaim past the last attempt: it never ran this time
            values["attempts"] = job.max_attempts
    else:
        delay = backoff_delay(job.attempts, backoff_base, backoff_max)
        values = {"status": JobStatus.queued.value, "run_at": utcnow() + timedelta(seconds=delay)}
    await session.execute(update(Job.__table__).where(_mine(job)).values(
        {"last_error": error, "locked_by": None, "heartbeat_at": None, **values}))
    return values["status"]


async def release(session: AsyncSession, job: JobContext) -> None:
    """Give an unfinished job back to the queue (graceful shutdown); the attempt does not count."""
    await session.execute(update(Job.__table__).where(_mine(job)).values(
        status=JobStatus.queued.value, attempts=Job.__table__.c.attempts - 1, run_at=utcnow(),
        locked_by=None, locked_at=None, heartbeat_at=None))


async def retry(session: AsyncSession, job_id: int) -> bool:
    """Put a parked (failed) job back in the queue with a fresh set of attempts; False if it is not parked.

    The last error is kept until the job next fails or succeeds, as a record of why it was parked.
    """
    c = Job.__table__.c
    result = await session.execute(update(Job.__table__)
                                   .where(c.id == job_id, c.status == JobStatus.failed.value)
                                   .values(status=JobStatus.queued.value, attempts=0, run_at=utcnow(),
                                           finished_at=None, locked_by=None, locked_at=None, heartbeat_at=None))
    return result.rowcount == 1


async def list_jobs(session: AsyncSession, *, status: str | None = None, kind: str | None = None,
                    store_id: int | None = None, after: int | None = None, limit: int = 50) -> list[Job]:
    """Jobs in id order, keyset-paginated (``after`` = the last id of the previous page)."""
    query = select(Job).order_by(Job.id).limit(limit)
    if status is not None:
        query = query.where(Job.status == status)
    if kind is not None:
        query = query.where(Job.kind == kind)
    if store_id is not None:
        query = query.where(Job.store_id == store_id)
    if after is not None:
        query = query.where(Job.id > after)
    return list((await session.execute(query)).scalars())


async def purge_finished(session: AsyncSession, before: datetime, *, include_failed: bool = False) -> int:
    """Delete jobs finished before ``before`` (``done`` ones; parked ones too with ``include_failed``)."""
    c = Job.__table__.c
    statuses = [JobStatus.done.value] + ([JobStatus.failed.value] if include_failed else [])
    result = await session.execute(delete(Job.__table__).where(c.status.in_(statuses), c.finished_at < before))
    return result.rowcount


async def counts_by_status(session: AsyncSession) -> dict[str, int]:
    """How many jobs are in each state (monitoring: alert on a growing ``failed`` or ``queued``)."""
    c = Job.__table__.c
    rows = await session.execute(select(c.status, func.count()).group_by(c.status))
    counts = {status.value: 0 for status in JobStatus}
    counts.update({status: count for status, count in rows.all()})
    return counts
