"""The outbox: one row per domain event, committed (or rolled back) with the change that caused it."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from kernel.db import Base, TenantMixin, utcnow


class OutboxEvent(TenantMixin, Base):
    __tablename__ = "outbox_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[str] = mapped_column(String(36), unique=True, default=lambda: str(uuid.uuid4()))
    name: Mapped[str] = mapped_column(String(100), index=True)
    # The payload's version in the event catalog (plugin_sdk.events): delivery parses it with that model.
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Set once the event has been handed to the job queue for delivery (see kernel.jobs).
    dispatched_at: Mapped[datetime | None] = mapped_column(index=True)
