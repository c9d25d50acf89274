"""The platform area (platform administrators): stores, failed jobs, system health; and the landing
page every signed-in person reaches first, which sends staff of one store straight to it."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import Path, Request
from pydantic import ValidationError
from sqlalchemy import text

from kernel import migrate
from kernel.accounts import staff
from kernel.accounts.models import StaffRole
from kernel.admin.changes import refusable
from kernel.admin.guards import ADMIN_PATH, PlatformAdminPage, PlatformHost, SignedIn
from kernel.admin.layout import platform_page, switchable_stores
from kernel.admin.rendering import field_errors, redirect
from kernel.deps import PlatformSessionDep, SessionDep
from kernel.errors import DomainError
from kernel.jobs import queue
from kernel.jobs.api import retry_job
from kernel.routing import KernelRouter
from kernel.stores import service as stores
from kernel.stores.api import resume_store, suspend_store
from kernel.stores.schemas import StoreCreate
from kernel.tenancy import bind_store

router = KernelRouter(prefix=ADMIN_PATH, include_in_schema=False, dependencies=[PlatformHost])

Slug = Annotated[str, Path(max_length=63)]
JobId = Annotated[int, Path(ge=1, le=2**62)]
STORE_FIELDS = ("slug", "name", "currency", "locale", "timezone")


@router.get("")
async def landing(request: Request, session: SessionDep, principal: SignedIn):
    """Staff of exactly one store go to it; everyone else picks (platform administrators see the platform)."""
    choices = await switchable_stores(request, session, principal)
    if len(choices) == 1 and not principal.is_platform_admin:
        return redirect(request, f"{ADMIN_PATH}/stores/{choices[0][0]}")
    return await platform_page(request, session, principal, "landing", "platform/landing.html", {})


async def _stores_page(request, session, principal, status_code=200, **context):
    listed = await stores.list_stores(session, limit=200)
    return await platform_page(request, session, principal, "stores", "platform/stores.html",
                               {"listed": listed, **context}, status_code)


@router.get("/platform/stores")
async def stores_page(request: Request, session: SessionDep, principal: SignedIn, admin: PlatformAdminPage):
    return await _stores_page(request, session, principal)


@router.post("/platform/stores")
async def create_store(request: Request, session: SessionDep, principal: SignedIn, admin: PlatformAdminPage):
    """A new store and its owner (an existing account, or an invitation: the owner sets a password
    through the reset link)."""
    form = await request.form()
    values = {name: str(form.get(name) or "").strip() for name in (*STORE_FIELDS, "owner_email")}
    try:
        data = StoreCreate(**{name: values[name] for name in STORE_FIELDS if values[name]})
        async with refusable(session):
            store = await stores.create_store(session, data)
            await bind_store(session, store.id)
            await staff.add_staff(session, values["owner_email"], StaffRole.owner)
    except ValidationError as invalid:
        return await _stores_page(request, session, principal, 422, values=values,
                                  errors=field_errors(invalid.errors()))
    except DomainError as refused:
        errors = field_errors(refused.errors) if refused.errors else {"owner_email" if "mail" in (
            refused.detail or "").lower() else "slug": refused.detail}
        return await _stores_page(request, session, principal, refused.status, values=values, errors=errors)
    return redirect(request, f"{ADMIN_PATH}/platform/stores", f"Store “{store.name}” created.")


@router.post("/platform/stores/{slug}/suspend")
async def suspend(slug: Slug, request: Request, platform: PlatformSessionDep, admin: PlatformAdminPage):
    await suspend_store(slug, admin=admin, session=platform)
    return redirect(request, f"{ADMIN_PATH}/platform/stores", f"Store {slug} is suspended.", "warning")


@router.post("/platform/stores/{slug}/resume")
async def resume(slug: Slug, request: Request, platform: PlatformSessionDep, admin: PlatformAdminPage):
    await resume_store(slug, admin=admin, session=platform)
    return redirect(request, f"{ADMIN_PATH}/platform/stores", f"Store {slug} is active again.")


@router.get("/platform/jobs")
async def jobs_page(request: Request, session: SessionDep, platform: PlatformSessionDep, principal: SignedIn,
                    admin: PlatformAdminPage):
    # Every store's jobs: read on the platform's own login, as the API's job routes read them.
    failed = await queue.list_jobs(platform, status="failed", kind=None, store_id=None, after=None, limit=100)
    counts = await queue.counts_by_status(platform)
    return await platform_page(request, session, principal, "jobs", "platform/jobs.html",
                               {"failed": failed, "counts": counts})


@router.post("/platform/jobs/{job_id}/retry")
async def retry(job_id: JobId, request: Request, platform: PlatformSessionDep, admin: PlatformAdminPage):
    await retry_job(job_id, admin=admin, session=platform)
    return redirect(request, f"{ADMIN_PATH}/platform/jobs", f"Job {job_id} is back in the queue.")


@router.get("/platform/health")
async def health_page(request: Request, session: SessionDep, platform: PlatformSessionDep, principal: SignedIn,
                      admin: PlatformAdminPage):
    settings = request.app.state.settings
    await session.execute(text("select 1"))  # reaching this line means the database answers
    pending = await asyncio.to_thread(migrate.pending_heads, settings.database_url)
    counts = await queue.counts_by_status(platform)
    worker = getattr(request.app.state, "worker", None)
    return await platform_page(request, session, principal, "health", "platform/health.html", {
        "pending": sorted(pending), "counts": counts, "embedded_worker": worker is not None})
