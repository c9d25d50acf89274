"""The frame around every page: the navigation a person's role allows, the store switcher, the user."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request
from fastapi.responses import HTMLResponse
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.accounts.models import StaffRole
from kernel.accounts.service import stores_of_user
from kernel.admin.guards import ADMIN_COOKIE
from kernel.admin.rendering import money_formatter, render
from kernel.deps import Principal
from kernel.stores.models import Store
from kernel.tenancy import StoreContext


@dataclass(frozen=True)
class NavEntry:
    key: str
    label: str
    path: str  # under /admin/stores/<slug>, or absolute for the platform area
    min_role: StaffRole = StaffRole.staff


STORE_NAV = (
    NavEntry("home", "Home", ""),
    NavEntry("products", "Products", "/products"),
    NavEntry("orders", "Orders", "/orders"),
    NavEntry("customers", "Customers", "/customers"),
    NavEntry("plugins", "Plugins", "/plugins", StaffRole.owner),
    NavEntry("staff", "Staff and API keys", "/staff", StaffRole.owner),
    NavEntry("audit", "Audit log", "/audit-log", StaffRole.manager),
    NavEntry("settings", "Settings", "/settings", StaffRole.owner),
)
PLATFORM_NAV = (
    NavEntry("stores", "Stores", "/admin/platform/stores"),
    NavEntry("jobs", "Jobs", "/admin/platform/jobs"),
    NavEntry("health", "Health", "/admin/platform/health"),
)
SWITCHER_LIMIT = 200


async def switchable_stores(request: Request, session: AsyncSession, principal: Principal) -> list[tuple[str, str]]:
    """(slug, name) of the stores the switcher offers: a platform administrator may open any; staff,
    the stores of the sign-in session whose cookie this request carries."""
    if principal.is_platform_admin:
        rows = await session.execute(select(Store.slug, Store.name).order_by(Store.name).limit(SWITCHER_LIMIT))
        return [tuple(row) for row in rows]
    return [(slug, name) for slug, name, _role in await stores_of_user(
        session, principal.user, request.cookies.get(ADMIN_COOKIE, ''))]


def role_in(principal: Principal, store: StoreContext) -> StaffRole:
    return StaffRole.owner if principal.is_platform_admin else principal.roles[store.id]


async def store_page(request: Request, session: AsyncSession, principal: Principal, store: StoreContext,
                     active: str, name: str, context: dict, status_code: int = 200) -> HTMLResponse:
    """A page of one store's area."""
    role = role_in(principal, store)
    base = f"/admin/stores/{store.slug}"
    nav = [(entry, base + entry.path) for entry in STORE_NAV if role.rank >= entry.min_role.rank]
    return render(request, name, {
        "user": principal.user, "store": store, "role": role, "nav": nav, "active": active, "base": base,
        "stores": await switchable_stores(request, session, principal), "money": money_formatter(store.currency, store.locale),
        **context}, status_code)


async def platform_page(request: Request, session: AsyncSession, principal: Principal, active: str, name: str,
                        context: dict, status_code: int = 200) -> HTMLResponse:
    """A page of the platform area (or the signed-in landing page, for people without it)."""
    nav = [(entry, entry.path) for entry in PLATFORM_NAV] if principal.is_platform_admin else []
    return render(request, name, {
        "user": principal.user, "store": None, "nav": nav, "active": active,
        "stores": await switchable_stores(request, session, principal), **context}, status_code)
