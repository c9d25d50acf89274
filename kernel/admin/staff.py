"""Staff and API keys (owners, as the API's staff and key endpoints): add someone by email with a
role, change a role, remove; create a key with its scopes (shown once, on the page that made it)
and revoke one. Every change is the API endpoint's, audit entry and mail included."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Request
from pydantic import ValidationError

from kernel.accounts.apikeys import API_SCOPES
from kernel.accounts.models import StaffRole
from kernel.accounts.schemas import ApiKeyCreate, StaffCreate, StaffUpdate
from kernel.accounts.staff import membership
from kernel.accounts.store_api import (add_staff, create_api_key, list_api_keys, list_staff, remove_staff,
                                       revoke_api_key, update_staff)
from kernel.admin.changes import refusable
from kernel.admin.guards import ADMIN_PATH, OwnerPage, PlatformHost
from kernel.admin.layout import store_page
from kernel.admin.rendering import field_errors, redirect
from kernel.deps import SessionDep, StoreDep
from kernel.errors import DomainError
from kernel.routing import KernelRouter

router = KernelRouter(prefix=ADMIN_PATH + "/stores/{store_slug}", include_in_schema=False,
                      dependencies=[PlatformHost])
UserId = Annotated[int, Path(ge=1, le=2**31 - 1)]
KeyId = Annotated[int, Path(ge=1, le=2**31 - 1)]


async def _page(request, session, principal, store, *, errors=None, values=None, new_key=None, status_code=200):
    return await store_page(request, session, principal, store, "staff", "store/staff.html", {
        "members": await list_staff(store, principal, session), "keys": await list_api_keys(store, principal, session),
        "roles": list(StaffRole), "scopes": API_SCOPES, "errors": errors or {}, "values": values or {},
        "new_key": new_key, "me": principal.user.id}, status_code)


def _refusal(refused, prefix: str) -> dict[str, str]:
    if isinstance(refused, ValidationError):
        return {f"{prefix}.{k}": v for k, v in field_errors(refused.errors()).items()}
    return {prefix: refused.detail}


@router.get("/staff")
async def staff_page(request: Request, store: StoreDep, session: SessionDep, principal: OwnerPage):
    return await _page(request, session, principal, store)


@router.post("/staff")
async def add_member(request: Request, store: StoreDep, session: SessionDep, principal: OwnerPage):
    form = await request.form()
    values = {"email": str(form.get("email") or "").strip(), "role": str(form.get("role") or "staff")}
    try:
        data = StaffCreate(email=values["email"], role=values["role"], full_name=str(form.get("full_name") or ""))
        async with refusable(session):
            member = await add_staff(data, store, principal, request, session)
    except (ValidationError, DomainError) as refused:
        return await _page(request, session, principal, store, errors=_refusal(refused, "member"), values=values,
                           status_code=422 if isinstance(refused, ValidationError) else refused.status)
    note = " An invitation to set a password is on its way." if member.invited else ""
    return redirect(request, f"{ADMIN_PATH}/stores/{store.slug}/staff", f"{member.email} is {member.role.value}.{note}")


@router.post("/staff/{user_id}/role")
async def change_role(user_id: UserId, request: Request, store: StoreDep, session: SessionDep, principal: OwnerPage):
    await membership(session, user_id)  # someone else's staff: 404 before reading the form
    form = await request.form()
    try:
        data = StaffUpdate(role=str(form.get("role") or ""))
        async with refusable(session):
            member = await update_staff(user_id, data, store, principal, request, session)
    except (ValidationError, DomainError) as refused:
        return await _page(request, session, principal, store, errors=_refusal(refused, f"role.{user_id}"),
                           status_code=422 if isinstance(refused, ValidationError) else refused.status)
    return redirect(request, f"{ADMIN_PATH}/stores/{store.slug}/staff", f"{member.email} is now {member.role.value}.")


@router.post("/staff/{user_id}/remove")
async def remove_member(user_id: UserId, request: Request, store: StoreDep, session: SessionDep,
                        principal: OwnerPage):
    try:
        async with refusable(session):
            await remove_staff(user_id, store, principal, request, session)
    except DomainError as refused:
        return await _page(request, session, principal, store, errors={f"role.{user_id}": refused.detail},
                           status_code=refused.status)
    return redirect(request, f"{ADMIN_PATH}/stores/{store.slug}/staff", "Removed from the store.", "info")


@router.post("/api-keys")
async def new_key(request: Request, store: StoreDep, session: SessionDep, principal: OwnerPage):
    form = await request.form()
    values = {"name": str(form.get("name") or "").strip(), "scopes": form.getlist("scopes")}
    try:
        data = ApiKeyCreate(name=values["name"], scopes=values["scopes"])
        async with refusable(session):
            created = await create_api_key(data, store, principal, request, session)
    except (ValidationError, DomainError) as refused:
        return await _page(request, session, principal, store, errors=_refusal(refused, "key"), values=values,
                           status_code=422 if isinstance(refused, ValidationError) else refused.status)
    # Shown on this response only: the page is not cached (no-store) and the key is never stored in clear.
    return await _page(request, session, principal, store, new_key=created)


@router.post("/api-keys/{api_key_id}/revoke")
async def revoke_key(api_key_id: KeyId, request: Request, store: StoreDep, session: SessionDep, principal: OwnerPage):
    await revoke_api_key(api_key_id, store, principal, request, session)
    return redirect(request, f"{ADMIN_PATH}/stores/{store.slug}/staff", "The key is revoked.", "info")
