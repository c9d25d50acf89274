"""Named dependencies, so every endpoint's signature says what it needs and who may call it.

    async def update_store(store: StoreDep, user: StoreManager, session: SessionDep): ...

The request's unit of work is :data:`SessionDep`: one session, one transaction,
committed when the endpoint returns normally and rolled back on any error, so
no request is ever half-written.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Path, Request
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.accounts.models import Customer, StaffMembership, StaffRole, User
from kernel.accounts.service import user_for_token
from kernel.db import across_stores
from kernel.errors import NotAuthenticated, NotFound, PermissionDenied
from kernel.observability import store_slug_var
from kernel.tenancy import StoreContext, resolve_store

SESSION_COOKIE = "pyc_session"


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    factory = request.app.state.sessionmaker
    async with factory() as session:
        session.info["store_id"] = None
        async with session.begin():
            yield session


SessionDep = Annotated[AsyncSession, Depends(get_session)]


async def get_store(request: Request, session: SessionDep,
                    store_slug: Annotated[str, Path(description="The store's slug.", examples=["acme"],
                                                    max_length=63)]) -> StoreContext:
    store = await resolve_store(session, slug=store_slug)
    context = StoreContext.of(store)
    request.state.store = context
    request.state.store_slug = context.slug
    store_slug_var.set(context.slug)
    return context


StoreDep = Annotated[StoreContext, Depends(get_store)]


@dataclass
class Principal:
    """Who is calling: a signed-in user (admin/staff), a customer, or nobody."""

    user: User | None = None
    customer: Customer | None = None
    # None: a person's session, limited by role. Otherwise an API key's scopes; the key's store is the
    # only key of ``roles`` (mapped to the role the key acts with, for audit purposes).
    scopes: frozenset[str] | None = None
    api_key_id: int | None = None
    roles: dict[int, StaffRole] = field(default_factory=dict)

    @property
    def is_platform_admin(self) -> bool:
        return bool(self.user and self.user.is_platform_admin)


def _bearer_or_cookie(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip() or None
    return request.cookies.get(SESSION_COOKIE)


async def get_principal(request: Request, session: SessionDep) -> Principal:
    cached = getattr(request.state, "principal", None)
    if cached is not None:
        return cached
    principal = Principal()
    token = _bearer_or_cookie(request)
    if token:
        found = await user_for_token(session, token)
        if found is None:
            raise NotAuthenticated("The token is invalid or has expired.", headers={"WWW-Authenticate": "Bearer"})
        auth, principal.user = found
        if auth.customer_id is not None:
            async with across_stores(session):  # resolved before the store is known
                principal.customer = await session.get(Customer, auth.customer_id)
    request.state.principal = principal
    return principal


CurrentPrincipal = Annotated[Principal, Depends(get_principal)]


async def require_user(principal: CurrentPrincipal) -> User:
    if principal.user is None or not principal.user.is_active:
        raise NotAuthenticated("Sign in first.", headers={"WWW-Authenticate": "Bearer"})
    return principal.user


CurrentUser = Annotated[User, Depends(require_user)]


async def require_platform_admin(user: CurrentUser) -> User:
    if not user.is_platform_admin:
        raise PermissionDenied("Only platform administrators may do this.")
    return user


PlatformAdmin = Annotated[User, Depends(require_platform_admin)]


def require_staff(min_role: StaffRole, scope: str | None = None):
    """A dependency admitting the store's staff of at least ``min_role`` (platform admins too).

    API keys (``principal.scopes`` is not None) are admitted by ``scope`` instead of by role, and
    only in their own store. Callers with no standing in the store get 404, as for an unknown store.
    """

    async def dependency(store: StoreDep, principal: CurrentPrincipal, session: SessionDep) -> Principal:
        if principal.scopes is not None:
            if store.id not in principal.roles:
                raise NotFound("No such store.")
            if scope is None or scope not in principal.scopes:
                raise PermissionDenied(f"This API key lacks the {scope or 'staff'} scope.")
            return principal
        if principal.user is None:
            raise NotAuthenticated("Sign in first.", headers={"WWW-Authenticate": "Bearer"})
        if principal.is_platform_admin:
            return principal
        role = principal.roles.get(store.id)
        if role is None:
            role = (await session.execute(
                select(StaffMembership.role).where(StaffMembership.user_id == principal.user.id)
            )).scalar_one_or_none()
            if role is None:
                # Same answer as an unknown store: staff of store A learn nothing about store B.
                raise NotFound("No such store.")
            principal.roles[store.id] = role
        if role.rank < min_role.rank:
            raise PermissionDenied(f"This needs the {min_role.value} role or higher.")
        return principal

    return dependency


StoreStaff = Annotated[Principal, Depends(require_staff(StaffRole.staff))]
StoreManager = Annotated[Principal, Depends(require_staff(StaffRole.manager))]
StoreOwner = Annotated[Principal, Depends(require_staff(StaffRole.owner))]
