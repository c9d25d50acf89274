"""Who may open a dashboard page: the platform host only, the staff cookie only, the API's roles.

* The dashboard answers on the platform host, never on a store's: a request whose host is a
  store's subdomain (``<slug>.<platform domain>``) or one of its custom domains gets 404, so a
  store's theme or scripts never share an origin with the dashboard.
* Staff sign in with their own cookie (``pyc_admin``, path ``/admin``), never the customers' and
  API's ``pyc_session``; bearer tokens and API keys do not open pages. Roles are checked by the
  API's own :func:`kernel.deps.require_staff`, so a page asks for exactly what its API asks for
  (staff of another store: 404, too low a role: 403). CSRF is that cookie's token
  (:mod:`kernel.accounts.csrf`), checked on every state-changing request by the authentication.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from kernel.accounts.models import StaffRole, User
from kernel.deps import Principal, SessionDep, authenticate, require_staff
from kernel.errors import NotAuthenticated, NotFound, PermissionDenied
from kernel.tenancy import host_name, slug_from_host, store_for_domain

ADMIN_COOKIE = "pyc_admin"
ADMIN_PATH = "/admin"


async def on_platform_host(request: Request, session: SessionDep) -> None:
    """404 on a store's host: the dashboard is not part of any storefront."""
    host = host_name(request.headers.get("host", ""))
    if slug_from_host(host, request.app.state.settings.platform_domain) is not None:
        raise NotFound("Not found.")
    if await store_for_domain(session, host) is not None:
        raise NotFound("Not found.")


PlatformHost = Depends(on_platform_host)


def staff_page(min_role: StaffRole):
    """A store page for staff of at least ``min_role``, by the dashboard's cookie."""
    return require_staff(min_role, cookie_name=ADMIN_COOKIE, bearer_allowed=False)


StaffPage = Annotated[Principal, Depends(staff_page(StaffRole.staff))]
ManagerPage = Annotated[Principal, Depends(staff_page(StaffRole.manager))]
OwnerPage = Annotated[Principal, Depends(staff_page(StaffRole.owner))]


async def signed_in(request: Request, session: SessionDep) -> Principal:
    principal = await authenticate(request, session, cookie_name=ADMIN_COOKIE, bearer_allowed=False)
    if principal.user is None or not principal.user.is_active:
        raise NotAuthenticated("Sign in first.")
    return principal


SignedIn = Annotated[Principal, Depends(signed_in)]


async def platform_admin(principal: SignedIn) -> User:
    if not principal.is_platform_admin:
        raise PermissionDenied("Only platform administrators may open this page.")
    return principal.user


PlatformAdminPage = Annotated[User, Depends(platform_admin)]

