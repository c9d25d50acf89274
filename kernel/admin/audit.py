"""The store's audit log (managers and owners, as the API's): who did what, when, from where;
filtered by action, newest first."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Request

from kernel.admin.guards import ADMIN_PATH, ManagerPage, PlatformHost
from kernel.admin.layout import store_page
from kernel.audit.api import list_audit_log
from kernel.deps import SessionDep, StoreDep
from kernel.routing import KernelRouter

router = KernelRouter(prefix=ADMIN_PATH + "/stores/{store_slug}", include_in_schema=False,
                      dependencies=[PlatformHost])
PAGE = 50


@router.get("/audit-log")
async def audit_page(request: Request, store: StoreDep, session: SessionDep, principal: ManagerPage,
                     action: Annotated[str | None, Query(max_length=100)] = None,
                     after: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None):
    wanted = (action or "").strip().lower() or None
    if wanted is not None and not all(c.isalnum() or c in "_.:-" for c in wanted):
        wanted = None  # the API's pattern: anything else matches no action
    page = await list_audit_log(store, principal, session, after=after, limit=PAGE, action=wanted)
    return await store_page(request, session, principal, store, "audit", "store/audit.html",
                            {"page": page, "action": action or ""})
