"""Recording and reading audit entries. Written in the caller's transaction: the entry commits with the
change it describes, or not at all."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.audit.models import AccountAuditEntry, AuditEntry
from kernel.observability import mask_secrets

_MAX_CHANGES_CHARS = 4000


def _summary(changes: dict[str, Any] | None) -> dict[str, Any]:
    """Mask anything that looks like a secret (passwords, tokens, keys) and keep the entry small."""
    cleaned = mask_secrets(dict(changes or {}))
    if len(repr(cleaned)) > _MAX_CHANGES_CHARS:
        return {"truncated": True, "fields": sorted(cleaned)[:50]}
    return cleaned


def _origin(request: Request | None) -> tuple[str | None, str | None]:
    if request is None:
        return None, None
    ip = request.client.host if request.client else None
    return (ip[:45] if ip else None), (request.headers.get("user-agent") or "")[:300] or None


async def audit(session: AsyncSession, principal: Any, request: Request | None, action: str,
                target_type: str, target_id: Any = None, changes: dict[str, Any] | None = None,
                *, subject_user_id: int | None = None) -> None:
    """Record an action by ``principal`` (a :class:`kernel.deps.Principal`, a ``User`` or ``None``).

    In a store-bound session the entry goes to that store's audit log; otherwise to the account log of
    ``subject_user_id`` (default: the acting user). ``changes`` is a summary: secrets are masked.
    """
    user = getattr(principal, "user", principal if hasattr(principal, "email") else None)
    user_id = getattr(user, "id", None)
    api_key_id = getattr(principal, "api_key_id", None)
    ip, user_agent = _origin(request)
    common = dict(user_id=user_id, api_key_id=api_key_id, action=action[:100], target_type=target_type[:50],
                  target_id=None if target_id is None else str(target_id)[:100], changes=_summary(changes),
                  ip=ip, user_agent=user_agent)
    if session.info.get("store_id") is not None:
        session.add(AuditEntry(**common))
    else:
        session.add(AccountAuditEntry(subject_user_id=subject_user_id or user_id, **common))
    await session.flush()


async def list_entries(session: AsyncSession, *, after: int | None, limit: int,
                       action: str | None = None) -> list[AuditEntry]:
    """The session's store's entries, newest first; ``after`` is the last id of the previous page."""
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if after is not None:
        query = query.where(AuditEntry.id < after)
    if action is not None:
        query = query.where(AuditEntry.action == action)
    return list((await session.execute(query)).scalars())
