"""FastAPI dependencies for the routes a plugin adds (``pyc_api_routers``), from the SDK alone.

::

    from plugin_sdk import deps

    @router.post("/notes")
    async def add_note(store: deps.StoreDep, session: deps.SessionDep,
                       staff: Annotated[deps.StaffView, Depends(deps.require_staff("manager", "acme:write"))]):
        session.add(Note(text="…"))      # the request's transaction: committed with the response

* :data:`ContextDep`: your :class:`~plugin_sdk.PluginContext` for the request's store (the
  request's session, your own settings for the store, ``enqueue``, ``emit_event``, a logger).
* :data:`SessionDep`: the request's session and transaction, bound to the request's store
  (row-level security applies); it commits when the endpoint returns and rolls back when it
  raises. Never commit it yourself.
* :data:`StoreDep`: the store named by the path's ``{store_slug}``;
  :data:`StorefrontStoreDep`: the store whose storefront host the request came to.
* :func:`require_staff`: signed-in staff of the store with at least ``role`` (``"staff"``,
  ``"manager"``, ``"owner"``), or an API key of the store holding ``scope``; others get 404/401/403.
* :data:`CustomerDep`: the signed-in customer of the store (401 otherwise).
* :data:`CsrfDep`: refuses a state-changing browser request (cookie or storefront form) without
  its CSRF token; requests with a bearer token need none.

These functions are placeholders the kernel replaces with its own when it mounts plugin
routes (FastAPI's ``dependency_overrides``): the SDK never imports the kernel.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Literal

from fastapi import Depends
from pydantic import BaseModel, ConfigDict
from sqlalchemy.ext.asyncio import AsyncSession

from plugin_sdk.context import PluginContext
from plugin_sdk.types import StoreInfo

Role = Literal["staff", "manager", "owner"]


class StaffView(BaseModel):
    """Who is calling a staff route: a person (``user_id``) or an API key (``api_key_id`` and its scopes)."""

    model_config = ConfigDict(frozen=True)

    user_id: int | None = None
    email: str | None = None
    role: Role | None = None
    is_platform_admin: bool = False
    api_key_id: int | None = None
    scopes: frozenset[str] | None = None


class CustomerView(BaseModel):
    """The signed-in customer of the request's store."""

    model_config = ConfigDict(frozen=True)

    id: int
    email: str
    name: str = ""


def _kernel_provides(name: str):
    async def placeholder():
        raise RuntimeError(f"plugin_sdk.deps.{name} is provided by the PyCommerce kernel: mount the route "
                           "through pyc_api_routers")

    placeholder.__name__ = placeholder.__qualname__ = name
    return placeholder


get_context = _kernel_provides("get_context")
get_session = _kernel_provides("get_session")
get_store = _kernel_provides("get_store")
get_storefront_store = _kernel_provides("get_storefront_store")
get_customer = _kernel_provides("get_customer")
check_csrf = _kernel_provides("check_csrf")
staff_checker = _kernel_provides("staff_checker")
"""Resolves to ``async (role, scope) -> StaffView`` for the request (see :func:`require_staff`)."""

ContextDep = Annotated[PluginContext, Depends(get_context)]
SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]
StoreDep = Annotated[StoreInfo, Depends(get_store)]
StorefrontStoreDep = Annotated[StoreInfo, Depends(get_storefront_store)]
CustomerDep = Annotated[CustomerView, Depends(get_customer)]
CsrfDep = Annotated[None, Depends(check_csrf)]


def require_staff(role: Role = "staff", scope: str | None = None) -> Callable[..., Awaitable[StaffView]]:
    """A dependency admitting the store's staff of at least ``role``, or its API keys holding ``scope``.

    ``scope=None``: people only. Declare your scopes with ``pyc_api_scopes`` so owners can grant them.
    """

    async def staff(check: Annotated[Callable[[Role, str | None], Awaitable[StaffView]], Depends(staff_checker)]
                    ) -> StaffView:
        return await check(role, scope)

    return staff
