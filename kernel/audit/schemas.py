"""API shapes for the audit log."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from kernel.accounts.schemas import UtcDatetime


class AuditEntryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int = Field(examples=[42])
    occurred_at: UtcDatetime
    user_id: int | None = Field(examples=[7])
    api_key_id: int | None = Field(examples=[None])
    action: str = Field(examples=["api_key.create"])
    target_type: str = Field(examples=["api_key"])
    target_id: str | None = Field(examples=["3"])
    changes: dict[str, Any] = Field(examples=[{"scopes": ["catalog:read"]}])
    ip: str | None = Field(examples=["203.0.113.9"])
    user_agent: str | None = Field(examples=["curl/8.5"])


class AuditPage(BaseModel):
    items: list[AuditEntryRead]
    next_after: int | None = Field(description="Pass as `after` to get the next page; null on the last page.",
                                   examples=[17])
