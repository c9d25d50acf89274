"""The ``jobs`` table: one row per unit of background work, shared by every worker on every host.

It is a platform table, not a tenant table: a worker claims jobs across all
stores. ``store_id`` (nullable) says which store a job runs for; the worker
binds the job's unit of work to that store, so both isolation walls hold
inside handlers exactly as in a request.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from kernel.db import Base, utcnow


class JobStatus(str, enum.Enum):
    queued = "queued"    # waiting for run_at
    running = "running"  # claimed by locked_by, heartbeating
    done = "done"
    failed = "failed"    # parked after max_attempts; retried only by an operator


class Job(Base):
    __tablename__ = "jobs"
    __table_args__ = (
        # The claim query: due queued jobs in run_at order, and running jobs by heartbeat (stale reclaim).
        Index("ix_jobs_status_run_at", "status", "run_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(100), index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    store_id: Mapped[int | None] = mapped_column(Integer, ForeignKey("stores.id", ondelete="CASCADE"), index=True)
    # A plain string, not a database enum: new states never need a type migration.
    status: Mapped[str] = mapped_column(String(16), default=JobStatus.queued.value)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=12)
    run_at: Mapped[datetime] = mapped_column(default=utcnow)
    locked_by: Mapped[str | None] = mapped_column(String(200))
    locked_at: Mapped[datetime | None]
    heartbeat_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    # Optional idempotency key: enqueueing a key that exists already is a no-op (e.g. one delivery per event).
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
