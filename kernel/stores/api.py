"""Store endpoints: platform administrators manage stores; staff read their own store."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query, status

from kernel.deps import PlatformAdmin, PlatformSessionDep, SessionDep, StoreDep, StoreOwner, StoreStaff
from kernel.errors import ERROR_RESPONSES
from kernel.routing import KernelRouter
from kernel.stores import service
from kernel.stores.models import StoreStatus
from kernel.stores.schemas import StoreCreate, StoreRead, StoreUpdate

platform_router = KernelRouter(prefix="/api/v1/platform/stores", tags=["platform: stores"], responses=ERROR_RESPONSES)
store_router = KernelRouter(prefix="/api/v1/stores/{store_slug}", tags=["store"], responses=ERROR_RESPONSES)

Slug = Annotated[str, Path(description="The store's slug.", examples=["acme"])]


@platform_router.post("", status_code=status.HTTP_201_CREATED, summary="Create a store")
async def create_store(data: StoreCreate, admin: PlatformAdmin, session: PlatformSessionDep) -> StoreRead:
    """Create a new tenant. Its slug is also its subdomain (`<slug>.<platform domain>`)."""
    return StoreRead.model_validate(await service.create_store(session, data))


@platform_router.get("", summary="List stores")
async def list_stores(admin: PlatformAdmin, session: PlatformSessionDep,
                      after: Annotated[int | None, Query(description="Cursor: the last id of the previous page.",
                                                        examples=[40])] = None,
                      limit: Annotated[int, Query(ge=1, le=200, description="Page size.", examples=[50])] = 50,
                      ) -> list[StoreRead]:
    return [StoreRead.model_validate(s) for s in await service.list_stores(session, after=after, limit=limit)]


@platform_router.get("/{slug}", summary="Get a store")
async def get_store(slug: Slug, admin: PlatformAdmin, session: PlatformSessionDep) -> StoreRead:
    return StoreRead.model_validate(await service.get_store(session, slug))


@platform_router.post("/{slug}/suspend", summary="Suspend a store")
async def suspend_store(slug: Slug, admin: PlatformAdmin, session: PlatformSessionDep) -> StoreRead:
    """A suspended store's storefront shows a suspended page and its API answers 404."""
    store = await service.get_store(session, slug)
    return StoreRead.model_validate(await service.set_status(session, store, StoreStatus.suspended))


@platform_router.post("/{slug}/resume", summary="Resume a suspended store")
async def resume_store(slug: Slug, admin: PlatformAdmin, session: PlatformSessionDep) -> StoreRead:
    store = await service.get_store(session, slug)
    return StoreRead.model_validate(await service.set_status(session, store, StoreStatus.active))


@store_router.get("", summary="Get the current store")
async def read_current_store(store: StoreDep, staff: StoreStaff, session: SessionDep) -> StoreRead:
    return StoreRead.model_validate(await service.get_store(session, store.slug))


@store_router.patch("", summary="Update the current store's settings")
async def update_current_store(data: StoreUpdate, store: StoreDep, owner: StoreOwner,
                               session: SessionDep) -> StoreRead:
    db_store = await service.get_store(session, store.slug)
    return StoreRead.model_validate(await service.update_store(session, db_store, data))
