"""Store lifecycle: create, update, suspend, resume. Platform-level; callers own the transaction."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import selectinload
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.config import get_settings
from kernel.db import utcnow
from kernel.errors import Conflict, NotFound
from kernel.stores.domains import check_claims, is_own_platform_address
from kernel.stores.models import Store, StoreDomain, StoreStatus
from kernel.stores.schemas import StoreCreate, StoreUpdate
from kernel.stores.verification import new_token


def _new_domain(hostname: str, slug: str, platform_domain: str) -> StoreDomain:
    """A claim: proven from the start only when it is the store's own platform address."""
    own = is_own_platform_address(hostname, slug, platform_domain)
    return StoreDomain(hostname=hostname, verification_token=None if own else new_token(),
                       verified_at=utcnow() if own else None)


async def create_store(session: AsyncSession, data: StoreCreate, *, platform_domain: str | None = None) -> Store:
    platform_domain = platform_domain or get_settings().platform_domain
    if (await session.execute(select(Store.id).where(Store.slug == data.slug))).first():
        raise Conflict(f"A store with slug {data.slug!r} already exists.")
    await check_claims(session, data.domains, slug=data.slug, store_id=None, platform_domain=platform_domain)
    domains = [_new_domain(h, data.slug, platform_domain) for h in data.domains]
    for i, domain in enumerate(domains):
        domain.is_primary = i == 0
    store = Store(slug=data.slug, name=data.name, currency=data.currency, locale=data.locale,
                  timezone=data.timezone, checkout_hold_minutes=data.checkout_hold_minutes, domains=domains)
    session.add(store)
    await session.flush()
    return store


async def get_store(session: AsyncSession, slug: str) -> Store:
    store = (await session.execute(
        select(Store).where(Store.slug == slug).options(selectinload(Store.domains)))).scalar_one_or_none()
    if store is None:
        raise NotFound("No such store.")
    return store


async def list_stores(session: AsyncSession, *, after: int | None = None, limit: int = 50) -> list[Store]:
    query = select(Store).order_by(Store.id).limit(limit).options(selectinload(Store.domains))
    if after is not None:
        query = query.where(Store.id > after)
    return list((await session.execute(query)).scalars())


async def update_store(session: AsyncSession, store: Store, data: StoreUpdate, *,
                       platform_domain: str | None = None) -> Store:
    platform_domain = platform_domain or get_settings().platform_domain
    changes = data.model_dump(exclude_unset=True, exclude={"domains"})
    for key, value in changes.items():
        if value is not None:
            setattr(store, key, value)
    if data.domains is not None:
        await check_claims(session, data.domains, slug=store.slug, store_id=store.id,
                           platform_domain=platform_domain)
        existing = {d.hostname: d for d in store.domains}
        store.domains = [existing.get(h) or _new_domain(h, store.slug, platform_domain) for h in data.domains]
        for i, domain in enumerate(store.domains):
            domain.is_primary = i == 0
    await session.flush()
    return store


async def store_domain(session: AsyncSession, store_id: int, hostname: str) -> StoreDomain:
    """One of the store's listed domains (``hostname`` normalised by the caller); 404 otherwise."""
    domain = (await session.execute(select(StoreDomain).where(
        StoreDomain.store_id == store_id, StoreDomain.hostname == hostname))).scalar_one_or_none()
    if domain is None:
        raise NotFound(f"{hostname} is not one of this store's domains; add it to the store's domains first.")
    return domain


async def mark_verified(session: AsyncSession, domain: StoreDomain) -> StoreDomain:
    """The store proved it controls the name: it serves from now on. Another store verifying the same
    name first makes this a 409 (the verified-name index, through the request's conflict handling)."""
    if domain.verified_at is None:
        domain.verified_at = utcnow()
        await session.flush()
    return domain


async def set_status(session: AsyncSession, store: Store, status: StoreStatus) -> Store:
    store.status = status
    await session.flush()
    return store


async def bump_plugins_version(session: AsyncSession, store_id: int) -> None:
    """Tell every process that this store's plugin set or settings changed."""
    from sqlalchemy import update

    await session.execute(update(Store).where(Store.id == store_id).values(plugins_version=Store.plugins_version + 1))


async def storefront_origin(session: AsyncSession, store_id: int, slug: str, platform_domain: str, *,
                            scheme: str = "https", port: int | None = None) -> str:
    """Where the store's shoppers find it (for links in its mails): its primary custom domain,
    else any of its domains, else ``<slug>.<platform domain>``; ``port`` only when not the default."""
    hostname = (await session.execute(
        select(StoreDomain.hostname).where(StoreDomain.store_id == store_id)
        .order_by(StoreDomain.is_primary.desc(), StoreDomain.id).limit(1))).scalar()
    hostname = hostname or f"{slug}.{platform_domain}"
    default_port = {"http": 80, "https": 443}.get(scheme)
    return f"{scheme}://{hostname}" + (f":{port}" if port and port != default_port else "")
