"""The kernel's implementations of :mod:`plugin_sdk.deps`, installed as the app's dependency overrides.

A plugin route asking for ``plugin_sdk.deps.SessionDep`` gets exactly the kernel's request
session (the same object FastAPI hands the kernel's own dependencies in that request), so
the plugin's writes share the request's one transaction.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.accounts.csrf import SESSION_COOKIE, verify_csrf
from kernel.accounts.models import StaffRole
from kernel.deps import CurrentCustomer, SessionDep, StoreDep, require_staff
from kernel.errors import NotFound
from kernel.plugins.context import KernelPluginContext
from kernel.plugins.relay import cached_store_hooks, store_info
from kernel.storefront.forms import check_form
from kernel.storefront.pages import storefront_store
from plugin_sdk import deps as sdk
from plugin_sdk.types import StoreInfo


async def plugin_session(session: SessionDep) -> AsyncSession:
    # A sub-dependency, not an override by the same function: FastAPI caches a dependency per callable
    # it was declared with, so this is what makes the plugin's session the very one of the request.
    return session


async def plugin_store(store: StoreDep) -> StoreInfo:
    return store_info(store)


async def plugin_storefront_store(request: Request, session: SessionDep) -> StoreInfo:
    store = await storefront_store(request, session)
    if isinstance(store, HTMLResponse):
        raise NotFound("No such store.")
    return store_info(store)


async def plugin_context(request: Request, store: StoreDep, session: SessionDep) -> KernelPluginContext:
    """The calling plugin's context: its id comes from the guard on its own routers, never from the plugin."""
    plugin_id = getattr(request.state, "plugin_id", None)
    if plugin_id is None:
        raise RuntimeError("plugin_sdk.deps.ContextDep only works on routes a plugin mounts (pyc_api_routers)")
    relay = await cached_store_hooks(session, store)
    return KernelPluginContext(plugin_id, relay.info, session, relay.settings.get(plugin_id))


async def plugin_customer(customer: CurrentCustomer) -> sdk.CustomerView:
    return sdk.CustomerView(id=customer.id, email=customer.email, name=getattr(customer, "name", "") or "")


async def plugin_csrf(request: Request) -> None:
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    if request.headers.get("authorization", "").lower().startswith("bearer "):
        return  # a bearer token is not sent by a browser on its own: no forgery to fear
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        await verify_csrf(request, cookie)
    else:
        check_form(request, await request.form())


async def plugin_staff_checker(request: Request, store: StoreDep, session: SessionDep):
    async def check(role: sdk.Role, scope: str | None) -> sdk.StaffView:
        principal = await require_staff(StaffRole(role), scope)(request, store, session)
        held = principal.roles.get(store.id)
        user = principal.user
        return sdk.StaffView(user_id=user.id if user else None, email=user.email if user else None,
                             role=held.value if held is not None and principal.scopes is None else None,
                             is_platform_admin=principal.is_platform_admin, api_key_id=principal.api_key_id,
                             scopes=principal.scopes)

    return check


def install_sdk_dependencies(app: FastAPI) -> None:
    app.dependency_overrides.update({
        sdk.get_context: plugin_context, sdk.get_session: plugin_session, sdk.get_store: plugin_store, sdk.get_storefront_store: plugin_storefront_store,
        sdk.get_customer: plugin_customer, sdk.check_csrf: plugin_csrf, sdk.staff_checker: plugin_staff_checker,
    })
