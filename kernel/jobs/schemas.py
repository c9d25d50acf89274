"""What platform administrators see of the queue."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class JobRead(BaseModel):
    model_config = ConfigDict(from_attributes=True, json_schema_extra={"examples": [{
        "id": 42, "kind": "event.deliver", "store_id": 7, "status": "failed", "attempts": 12, "max_attempts": 12,
        "payload": {"consumer": "plugin:acme_erp",
                    "event": {"id": "3f1c…", "name": "order.paid", "version": 1, "payload": {"order_id": 5, "…": "…"},
                              "occurred_at": "2026-01-01T11:00:00+00:00"}},
        "run_at": "2026-01-01T12:00:00Z",
        "locked_by": None, "heartbeat_at": None, "last_error": "TimeoutError: gateway did not answer",
        "dedupe_key": "event:3f1c…:plugin:acme_erp", "created_at": "2026-01-01T11:00:00Z",
        "finished_at": "2026-01-01T15:00:00Z"}]})

    id: int
    kind: str = Field(examples=["event.deliver"])
    store_id: int | None
    status: str = Field(examples=["failed"])
    attempts: int
    max_attempts: int
    payload: dict[str, Any]
    run_at: datetime
    locked_by: str | None
    heartbeat_at: datetime | None
    last_error: str | None = Field(examples=["ValueError: no such order"])
    dedupe_key: str | None
    created_at: datetime
    finished_at: datetime | None


class JobCounts(BaseModel):
    """Jobs per state across the platform."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"queued": 3, "running": 2, "done": 1200, "failed": 1}]})

    queued: int = Field(examples=[3])
    running: int = Field(examples=[2])
    done: int = Field(examples=[1200])
    failed: int = Field(examples=[1])
