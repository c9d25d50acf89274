"""Reading a store's audit log (owners and managers)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query

from kernel.accounts.models import StaffRole
from kernel.audit import service
from kernel.audit.schemas import AuditEntryRead, AuditPage
from kernel.deps import Principal, SessionDep, StoreDep, require_staff
from kernel.errors import ERROR_RESPONSES
from kernel.routing import KernelRouter

router = KernelRouter(prefix="/api/v1/stores/{store_slug}/audit-log", tags=["audit"], responses=ERROR_RESPONSES)

AuditReader = Annotated[Principal, Depends(require_staff(StaffRole.manager, "audit:read"))]


@router.get("", summary="List the store's audit log, newest first")
async def list_audit_log(store: StoreDep, who: AuditReader, session: SessionDep,
                         after: Annotated[int | None, Query(ge=1, le=2**31 - 1, description="Cursor: `next_after` of the previous page.",
                                                              examples=[17])] = None,
                         limit: Annotated[int, Query(ge=1, le=200, description="Page size.", examples=[50])] = 50,
                         action: Annotated[str | None, Query(max_length=100, pattern=r"^[a-z0-9_.:-]+$", examples=["staff.role_change"])] = None,
                         ) -> AuditPage:
    """Who (user or API key) did what to which object, when and from where. Keyset-paginated."""
    rows = await service.list_entries(session, after=after, limit=limit, action=action)
    return AuditPage(items=[AuditEntryRead.model_validate(r) for r in rows],
                     next_after=rows[-1].id if len(rows) == limit else None)
