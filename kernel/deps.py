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

from kernel.accounts.apikeys import API_KEY_PREFIX, api_key_for_token
from kernel.accounts.csrf import SESSION_COOKIE, verify_csrf
from kernel.accounts.models import Customer, StaffMembership, StaffRole, StoreSecuritySettings, TotpCredential, User
from kernel.accounts.service import staff_sign_in_for_token, user_for_token
from kernel.accounts.signins import SignInCache, StaffSignIn
from kernel.aftercommit import discard_after_commit, run_after_commit
from kernel.db import cross_store_session
from kernel.errors import NotAuthenticated, NotFound, PermissionDenied
from kernel.observability import store_slug_var
from kernel.security import token_digest
from kernel.tenancy import StoreContext, resolve_store

__all__ = ["SESSION_COOKIE", "SessionDep", "PlatformSessionDep", "StoreDep", "CurrentPrincipal", "CurrentUser", "CurrentCustomer",
           "PlatformAdmin", "StoreStaff", "StoreManager", "StoreOwner", "Principal", "require_staff"]


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """The request's session and transaction, opened once the request's turn at the database's
    connections has come (:func:`kernel.db.connection_turns`: in arrival order)."""
    factory = request.app.state.sessionmaker
    async with request.app.state.connection_turns, factory() as session:
        session.info["store_id"] = None
        try:
            async with session.begin():
                yield session
        except BaseException:
            discard_after_commit(session)
            raise
        run_after_commit(session)  # e.g. send the mail this request queued, now that it is committed


# scope="function": the transaction commits when the endpoint returns, before the response is sent, so a
# client never sees success for a change that then failed to commit.
SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]


async def get_platform_session(request: Request) -> AsyncIterator[AsyncSession]:
    """Platform administration's unit of work across stores, on the platform's own login
    (:func:`kernel.db.cross_store_session`): a second connection beside the request's own, which
    authenticated the caller. Only routes guarded by :data:`PlatformAdmin` take it."""
    async with cross_store_session(request.app.state.sessionmaker) as session:
        yield session


PlatformSessionDep = Annotated[AsyncSession, Depends(get_platform_session, scope="function")]


async def get_store(request: Request, session: SessionDep,
                    store_slug: Annotated[str, Path(description="The store's slug.", examples=["acme"],
                                                    max_length=63)]) -> StoreContext:
    context = await resolve_store(session, slug=store_slug)
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
    # The sign-in session behind a person's request, and whether it came by cookie (CSRF applies).
    auth_session_id: int | None = None
    via_cookie: bool = False
    # Store memberships already looked up in this request: store id → (role or None, store requires 2FA).
    memberships: dict[int, tuple[StaffRole | None, bool]] = field(default_factory=dict)

    @property
    def is_platform_admin(self) -> bool:
        return bool(self.user and self.user.is_platform_admin)


def _bearer_or_cookie(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip() or None
    return request.cookies.get(SESSION_COOKIE)


def authenticates(dependency):
    """Mark a dependency that resolves the caller: routes depending on one can answer 401/403
    (the OpenAPI test requires those answers documented on exactly such routes)."""
    dependency.authenticates = True
    return dependency


@authenticates
async def get_principal(request: Request, session: SessionDep) -> Principal:
    """Authenticate the request: a bearer session token, a bearer API key (``pck_…``), or the cookie.

    A bad bearer token answers 401; a stale cookie just means "signed out". Cookie-authenticated,
    state-changing requests must carry the CSRF token (:mod:`kernel.accounts.csrf`).
    """
    return await authenticate(request, session)


async def authenticate(request: Request, session: AsyncSession, store: StoreContext | None = None, *,
                       cookie_name: str = SESSION_COOKIE, bearer_allowed: bool = True) -> Principal:
    """:func:`get_principal`'s work, once per request. Given the request's ``store`` (the session bound
    to it), a person's membership there is read in the same statement as their sign-in.

    The admin dashboard authenticates by its own cookie only (``cookie_name``, no bearer tokens), so a
    customer's or an API client's credentials never open one of its pages."""
    cached = getattr(request.state, "principal", None)
    if cached is not None:
        return cached
    principal = Principal()
    header = request.headers.get("authorization", "") if bearer_allowed else ""
    bearer = header[7:].strip() if header.lower().startswith("bearer ") else None
    cookie = None if bearer else request.cookies.get(cookie_name)
    if bearer and bearer.startswith(API_KEY_PREFIX):
        key = await api_key_for_token(session, bearer)
        if key is None:
            raise NotAuthenticated("The API key is invalid or has been revoked.",
                                   headers={"WWW-Authenticate": "Bearer"})
        principal.scopes = frozenset(key.scopes)
        principal.api_key_id = key.id
        principal.roles = {key.store_id: StaffRole.manager}
    elif (bearer or cookie) and (cached := _cached_sign_in(request, store, bearer or cookie)) is not None:
        if cookie:
            await verify_csrf(request, cookie)
            principal.via_cookie = True
        principal.auth_session_id = cached.auth_session_id
        principal.user = await cached.user_in(session)
        principal.memberships[store.id] = (cached.role, cached.store_requires_2fa)
    elif bearer or cookie:
        if store is None:
            found = await user_for_token(session, bearer or cookie)  # session and user in one statement
        else:
            found = await staff_sign_in_for_token(session, bearer or cookie, store.id)
            if found is not None:
                _sign_ins(request).put(token_digest(bearer or cookie), store, *found)
                principal.memberships[store.id] = found[2:]
                found = found[:2]
        if found is None and bearer:
            raise NotAuthenticated("The token is invalid or has expired.", headers={"WWW-Authenticate": "Bearer"})
        if found is not None and cookie:
            await verify_csrf(request, cookie)
            principal.via_cookie = True
        auth, user = found if found is not None else (None, None)
        if auth is not None:
            principal.auth_session_id = auth.id
            principal.user = user
        if auth is not None and auth.customer_id is not None:
            # A customer's session is a row of the customer's store: found only when the request is
            # bound to that store, where the customer is visible too.
            principal.customer = await session.get(Customer, auth.customer_id)
            if principal.customer is not None:
                session.expunge(principal.customer)  # the principal is a read: nothing about it is flushed from here
    request.state.principal = principal
    return principal


def _sign_ins(request: Request) -> SignInCache:
    return request.app.state.sign_ins


def _cached_sign_in(request: Request, store: StoreContext | None, token: str) -> StaffSignIn | None:
    """A staff sign-in this process already read for ``store``, still current (see
    :mod:`kernel.accounts.signins`); store-less requests are always read (API keys never get here)."""
    return None if store is None else _sign_ins(request).get(token_digest(token), store)


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


def require_staff(min_role: StaffRole, scope: str | None = None, *, cookie_name: str = SESSION_COOKIE,
                  bearer_allowed: bool = True):
    """A dependency admitting the store's staff of at least ``min_role`` (platform admins too).

    API keys (``principal.scopes`` is not None) are admitted by ``scope`` instead of by role, and
    only in their own store; with ``scope=None`` the route is for people only. Callers with no
    standing in the store get 404, as for an unknown store. When the store requires two-factor
    authentication for staff, members without it get 403 until they enrol (admins and keys exempt).
    """

    @authenticates
    async def dependency(request: Request, store: StoreDep, session: SessionDep) -> Principal:
        principal = await authenticate(request, session, store, cookie_name=cookie_name,
                                       bearer_allowed=bearer_allowed)
        if principal.scopes is not None:
            if store.id not in principal.roles:
                raise NotFound("No such store.")
            if scope is None or scope not in principal.scopes:
                raise PermissionDenied(f"This API key lacks the {scope or 'staff'} scope.")
            return principal
        if principal.user is None or not principal.user.is_active:
            raise NotAuthenticated("Sign in first.", headers={"WWW-Authenticate": "Bearer"})
        if principal.is_platform_admin:
            return principal
        role = principal.roles.get(store.id)
        if role is None:
            if store.id not in principal.memberships:  # signed in earlier in this request, without the store
                row = (await session.execute(
                    select(StaffMembership.role, StoreSecuritySettings.require_staff_2fa)
                    .outerjoin(StoreSecuritySettings, StoreSecuritySettings.store_id == StaffMembership.store_id)
                    .where(StaffMembership.user_id == principal.user.id)
                )).one_or_none()
                principal.memberships[store.id] = (row[0], bool(row[1])) if row is not None else (None, False)
            role, require_2fa = principal.memberships[store.id]
            if role is None:
                # Same answer as an unknown store: staff of store A learn nothing about store B.
                raise NotFound("No such store.")
            if require_2fa and not await _has_confirmed_2fa(session, principal.user.id):
                raise PermissionDenied(
                    "This store requires two-factor authentication for its staff. Enrol first "
                    "(POST /api/v1/auth/2fa/enroll, then POST /api/v1/auth/2fa/confirm), then sign in again.")
            principal.roles[store.id] = role
        if role.rank < min_role.rank:
            raise PermissionDenied(f"This needs the {min_role.value} role or higher.")
        return principal

    return dependency


async def _has_confirmed_2fa(session: AsyncSession, user_id: int) -> bool:
    return (await session.execute(select(TotpCredential.id).where(
        TotpCredential.user_id == user_id, TotpCredential.confirmed_at.is_not(None)))).first() is not None


async def require_customer(store: StoreDep, principal: CurrentPrincipal) -> Customer:
    """A signed-in customer of *this* store: a customer session of another store does not count."""
    customer = principal.customer
    if customer is None or customer.store_id != store.id or not customer.is_active:
        raise NotAuthenticated("Sign in as a customer of this store.", headers={"WWW-Authenticate": "Bearer"})
    return customer


CurrentCustomer = Annotated[Customer, Depends(require_customer)]

StoreStaff = Annotated[Principal, Depends(require_staff(StaffRole.staff))]
StoreManager = Annotated[Principal, Depends(require_staff(StaffRole.manager))]
StoreOwner = Annotated[Principal, Depends(require_staff(StaffRole.owner))]
