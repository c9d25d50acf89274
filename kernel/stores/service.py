"""Store lifecycle: create, update, suspend, resume. Platform-level; callers own the transaction."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import selectinload
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.errors import Conflict, NotFound
from kernel.stores.models import Store, StoreDomain, StoreStatus
from kernel.stores.schemas import StoreCreate, StoreUpdate


async def _ensure_domains_free(session: AsyncSession, hostnames: list[str], store_id: int | None = None) -> None:
    if not hostnames:
        return
    taken = (await session.execute(
        select(StoreDomain.hostname).where(StoreDomain.hostname.in_(hostnames),
                                           StoreDomain.store_id != (store_id or 0))
    )).scalars().all()
    if taken:
        raise Conflict(f"Domain already used by another store: {', '.join(sorted(taken))}.")


async def create_store(session: AsyncSession, data: StoreCreate) -> Store:
    if (await session.execute(select(Store.id).where(Store.slug == data.slug))).first():
        raise Conflict(f"A store with slug {data.slug!r} already exists.")
    await _ensure_domains_free(session, data.domains)
    store = Store(slug=data.slug, name=data.name, currency=data.currency, locale=data.locale,
                  timezone=data.timezone, checkout_hold_minutes=data.checkout_hold_minutes,
                  domains=[StoreDomain(hostname=h, is_primary=i == 0) for i, h in enumerate(data.domains)])
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


async def update_store(session: AsyncSession, store: Store, data: StoreUpdate) -> Store:
    changes = data.model_dump(exclude_unset=True, exclude={"domains"})
    for key, value in changes.items():
        if value is not None:
            setattr(store, key, value)
    if data.domains is not None:
        await _ensure_domains_free(session, data.domains, store.id)
        existing = {d.hostname: d for d in store.domains}
        store.domains = [existing.get(h) or StoreDomain(hostname=h) for h in data.domains]
        for i, domain in enumerate(store.domains):
            domain.is_primary = i == 0
    await session.flush()
    return store


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
