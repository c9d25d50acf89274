"""Store settings (owners only, as the API's ``PATCH /stores/{slug}`` and security settings): name,
currency, locale, time zone, custom domains and whether staff must use two-factor authentication."""

from __future__ import annotations

from fastapi import Request
from pydantic import ValidationError

from kernel.accounts import staff
from kernel.accounts.schemas import SecuritySettingsUpdate
from kernel.accounts.store_api import update_security_settings
from kernel.admin.changes import refusable
from kernel.admin.guards import ADMIN_PATH, OwnerPage, PlatformHost
from kernel.admin.layout import store_page
from kernel.admin.rendering import field_errors, redirect
from kernel.deps import SessionDep, StoreDep
from kernel.errors import DomainError
from kernel.routing import KernelRouter
from kernel.stores import service as stores
from kernel.stores.api import update_current_store
from kernel.stores.schemas import StoreUpdate

router = KernelRouter(prefix=ADMIN_PATH + "/stores/{store_slug}", include_in_schema=False,
                      dependencies=[PlatformHost])
FIELDS = ("name", "currency", "locale", "timezone")


async def _page(request, session, principal, store, values, errors=None, status_code=200):
    return await store_page(request, session, principal, store, "settings", "store/settings.html",
                            {"values": values, "errors": errors or {}}, status_code)


@router.get("/settings")
async def settings_page(request: Request, store: StoreDep, session: SessionDep, principal: OwnerPage):
    row = await stores.get_store(session, store.slug)
    security = await staff.security_settings(session)
    values = {name: getattr(row, name) for name in FIELDS}
    values.update(domains="\n".join(d.hostname for d in row.domains), require_staff_2fa=security.require_staff_2fa)
    return await _page(request, session, principal, store, values)


@router.post("/settings")
async def save_settings(request: Request, store: StoreDep, session: SessionDep, principal: OwnerPage):
    form = await request.form()
    values = {name: str(form.get(name) or "").strip() for name in (*FIELDS, "domains")}
    values["require_staff_2fa"] = form.get("require_staff_2fa") == "on"
    try:
        data = StoreUpdate(**{name: values[name] for name in FIELDS},
                           domains=[h.strip() for h in values["domains"].split() if h.strip()])
        async with refusable(session):
            await update_current_store(data, request, store, principal, session)
            await update_security_settings(SecuritySettingsUpdate(require_staff_2fa=values["require_staff_2fa"]),
                                           store, principal, request, session)
    except ValidationError as invalid:
        return await _page(request, session, principal, store, values, field_errors(invalid.errors()), 422)
    except DomainError as refused:
        errors = field_errors(refused.errors) if refused.errors else {"domains": refused.detail}
        return await _page(request, session, principal, store, values, errors, refused.status)
    return redirect(request, f"{ADMIN_PATH}/stores/{store.slug}/settings", "Settings saved.")
