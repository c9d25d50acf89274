"""Audit entries. Store actions live in a tenant table (behind both isolation walls); a person's own
account actions (sign-in, password, two-factor) happen outside any store and go to a platform table."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from kernel.db import Base, TenantMixin, utcnow


class _AuditColumns:
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Who: plain ids, no foreign keys, so the trail outlives deleted users and revoked keys.
    user_id: Mapped[int | None] = mapped_column(Integer, index=True)
    api_key_id: Mapped[int | None] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(100), index=True)
    target_type: Mapped[str] = mapped_column(String(50))
    target_id: Mapped[str | None] = mapped_column(String(100))
    changes: Mapped[dict] = mapped_column(JSON, default=dict)
    ip: Mapped[str | None] = mapped_column(String(45))
    user_agent: Mapped[str | None] = mapped_column(String(300))


class AuditEntry(_AuditColumns, TenantMixin, Base):
    """An action of a store's staff member or API key, in that store."""

    __tablename__ = "audit_log"


class AccountAuditEntry(_AuditColumns, Base):
    """An action on a person's own account (sign-in, password change, two-factor), store-independent."""

    __tablename__ = "account_audit_log"

    subject_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
