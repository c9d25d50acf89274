"""Wall 1: every request resolves exactly one store, or none (the platform level).

* API and admin: the store is explicit in the path (``/api/v1/stores/{store}/…``).
* Storefront: the request's host, either a custom domain (a ``store_domains``
  row) or ``<slug>.<platform domain>`` (``<slug>.localhost`` works locally).

Unknown stores answer 404; suspended stores answer 404 on the API and a clear
"suspended" page on the storefront. The store row is read on every request (one
indexed lookup): it is what carries suspension and the plugin-set version to
every process at once, with the sign-in epoch (:mod:`kernel.accounts.signins`).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from sqlalchemy import String, bindparam, cast, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.accounts.models import AuthEpoch
from kernel.db import dialect_of
from kernel.errors import NotFound
from kernel.stores.models import Store, StoreDomain, StoreStatus


@dataclass(frozen=True, slots=True)
class StoreContext:
    """The resolved store of a request: what every store-scoped layer needs, detached from the ORM."""

    id: int
    slug: str
    name: str
    currency: str
    locale: str
    timezone: str
    plugins_version: int
    is_active: bool
    # The sign-in epoch read with the store (see kernel.accounts.models.AuthEpoch); None when the
    # context was made from a Store entity, which means "unknown": no cached sign-in is trusted.
    auth_epoch: int | None = None
    checkout_hold_minutes: int = 0  # see kernel.checkout.holds

    @classmethod
    def of(cls, store: Store) -> "StoreContext":
        return cls(store.id, store.slug, store.name, store.currency, store.locale, store.timezone,
                   store.plugins_version, store.is_active, checkout_hold_minutes=store.checkout_hold_minutes or 0)


class StoreSuspended(NotFound):
    title = "Not Found"
    code = "store-suspended"


async def bind_store(session: AsyncSession, store_id: int) -> None:
    """Bind an open session (and, on PostgreSQL, its current transaction) to one store."""
    session.info["store_id"] = store_id
    if session.in_transaction() and dialect_of(session) == "postgresql":
        await session.execute(text("select set_config('app.store_id', :sid, true)"), {"sid": str(store_id)})


# The columns of a StoreContext; stores are read on every request, by a statement of table columns:
# with ORM attributes in it, its one row would go through the ORM's loading on every request. The sign-in
# epoch rides along: read before the request's sign-in, in the same round trip as the store.
_stores, _epochs = Store.__table__.c, AuthEpoch.__table__.c
_CONTEXT_COLUMNS = (_stores.id, _stores.slug, _stores.name, _stores.currency, _stores.locale, _stores.timezone,
                    _stores.plugins_version, _stores.status, _stores.checkout_hold_minutes,
                    select(_epochs.value).where(_epochs.id == 1).scalar_subquery().label("auth_epoch"))


def _context(row) -> StoreContext:
    return StoreContext(row.id, row.slug, row.name, row.currency, row.locale, row.timezone, row.plugins_version,
                        row.status == StoreStatus.active, row.auth_epoch, row.checkout_hold_minutes)


@functools.cache
def _by_slug(binding: bool):
    """Built once: the store by ``slug``; with ``binding``, PostgreSQL also sets the transaction's
    store in the same round trip (``set_config`` evaluated on the found row)."""
    stmt = select(*_CONTEXT_COLUMNS).where(_stores.slug == bindparam("slug", type_=String))
    if binding:
        stmt = stmt.add_columns(func.set_config("app.store_id", cast(_stores.id, String), True))
    return stmt


async def store_by_slug(session: AsyncSession, slug: str) -> StoreContext | None:
    row = (await session.execute(_by_slug(False), {"slug": slug})).first()
    return None if row is None else _context(row)


def slug_from_host(host: str, platform_domain: str) -> str | None:
    host = host.split(":", 1)[0].lower().rstrip(".")
    suffix = "." + platform_domain.lower()
    if host.endswith(suffix):
        label = host[: -len(suffix)]
        if label and "." not in label:
            return label
    return None


async def store_by_host(session: AsyncSession, host: str, platform_domain: str) -> StoreContext | None:
    hostname = host.split(":", 1)[0].lower().rstrip(".")
    row = (await session.execute(
        select(*_CONTEXT_COLUMNS).join(StoreDomain).where(StoreDomain.hostname == hostname))).first()
    if row is not None:
        return _context(row)
    slug = slug_from_host(hostname, platform_domain)
    return await store_by_slug(session, slug) if slug else None


async def _store_by_slug_binding(session: AsyncSession, slug: str) -> StoreContext | None:
    """On PostgreSQL, find the store and set the transaction's store in the same round trip."""
    row = (await session.execute(_by_slug(True), {"slug": slug})).first()
    if row is None:
        return None
    session.info["store_id"] = row.id
    return _context(row)


async def resolve_store(session: AsyncSession, *, slug: str | None = None, host: str | None = None,
                        platform_domain: str = "localhost", allow_suspended: bool = False) -> StoreContext:
    """Find the request's store and bind the session to it; 404 for unknown or suspended stores."""
    postgres = dialect_of(session) == "postgresql"
    if slug is not None and postgres and session.in_transaction():
        store = await _store_by_slug_binding(session, slug)
    elif slug is not None:
        store = await store_by_slug(session, slug)
    else:
        store = await store_by_host(session, host or "", platform_domain)
    if store is None:
        raise NotFound("No such store.")
    if not store.is_active and not allow_suspended:
        raise StoreSuspended("This store is suspended.")
    if session.info.get("store_id") != store.id:
        await bind_store(session, store.id)
    return store
