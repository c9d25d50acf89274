"""Store endpoints: platform administrators manage stores; staff read their own store."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query, Request, status

from kernel.deps import PlatformAdmin, PlatformSessionDep, SessionDep, StoreDep, StoreOwner, StoreStaff
from kernel.errors import ERROR_RESPONSES, InvalidInput
from kernel.routing import KernelRouter
from kernel.stores import service
from kernel.stores.domains import check_claims
from kernel.stores.models import StoreStatus, normalise_hostname
from kernel.stores.schemas import (DnsTxtProof, DomainRead, DomainVerificationRead, HttpFileProof, StoreCreate,
                                   StoreRead, StoreUpdate)
from kernel.stores.verification import http_file_url, new_token, txt_record_name


class DomainNotVerified(InvalidInput):
    code = "domain-not-verified"


platform_router = KernelRouter(prefix="/api/v1/platform/stores", tags=["platform: stores"], responses=ERROR_RESPONSES)
store_router = KernelRouter(prefix="/api/v1/stores/{store_slug}", tags=["store"], responses=ERROR_RESPONSES)

Slug = Annotated[str, Path(description="The store's slug.", examples=["acme"])]


@platform_router.post("", status_code=status.HTTP_201_CREATED, summary="Create a store")
async def create_store(data: StoreCreate, request: Request, session: PlatformSessionDep,
                       admin: PlatformAdmin) -> StoreRead:
    """Create a new tenant. Its slug is also its subdomain (`<slug>.<platform domain>`); custom
    domains listed here serve once verified (`…/domains/{hostname}/verify`)."""
    return StoreRead.model_validate(await service.create_store(session, data, platform_domain=_platform(request)))


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
async def update_current_store(data: StoreUpdate, request: Request, store: StoreDep, owner: StoreOwner,
                               session: SessionDep) -> StoreRead:
    """`domains` replaces the list: a new custom domain serves once verified; names under the
    platform domain other than the store's own, and names another store has verified, are refused."""
    db_store = await service.get_store(session, store.slug)
    return StoreRead.model_validate(await service.update_store(session, db_store, data,
                                                               platform_domain=_platform(request)))


def _platform(request: Request) -> str:
    return request.app.state.settings.platform_domain


Hostname = Annotated[str, Path(description="One of the store's domains.", examples=["shop.acme.example"],
                               min_length=1, max_length=254)]


@store_router.get("/domains", summary="List the store's domains and whether each is verified")
async def list_domains(store: StoreDep, owner: StoreOwner, session: SessionDep) -> list[DomainRead]:
    db_store = await service.get_store(session, store.slug)
    return [DomainRead.model_validate(d) for d in db_store.domains]


def _verification(domain) -> DomainVerificationRead:
    return DomainVerificationRead(
        hostname=domain.hostname, verified=domain.is_verified, token=domain.verification_token,
        dns_txt=DnsTxtProof(name=txt_record_name(domain.hostname), value=domain.verification_token),
        http_file=HttpFileProof(url=http_file_url(domain.hostname, domain.verification_token),
                                body=domain.verification_token))


@store_router.post("/domains/{hostname}/verification", summary="Get the token that proves a domain is the store's")
async def request_domain_verification(hostname: Hostname, store: StoreDep, owner: StoreOwner,
                                      session: SessionDep) -> DomainVerificationRead:
    """Publish the token as a DNS TXT record or an HTTP file (either is enough), then call
    `…/verify`. The token stays the same for as long as the domain is listed."""
    domain = await service.store_domain(session, store.id, normalise_hostname(hostname))
    if domain.verification_token is None:  # the store's own platform address: verified without one
        domain.verification_token = new_token()
    return _verification(domain)


@store_router.post("/domains/{hostname}/verify", summary="Check a domain's proof; a verified domain serves the storefront")
async def verify_domain(hostname: Hostname, request: Request, store: StoreDep, owner: StoreOwner,
                        session: SessionDep) -> DomainRead:
    """Looks for the token in `_pycommerce-verify.<domain>` TXT, then at
    `http://<domain>/.well-known/pycommerce-verify/<token>`. 422 when neither holds it; 409 when
    another store verified the name first."""
    domain = await service.store_domain(session, store.id, normalise_hostname(hostname))
    if not domain.is_verified:
        await check_claims(session, [domain.hostname], slug=store.slug, store_id=store.id,
                           platform_domain=_platform(request))
        proof = await request.app.state.domain_verifier.proof(domain.hostname, domain.verification_token)
        if proof is None:
            raise DomainNotVerified(
                f"No proof for {domain.hostname} yet: publish the token as the TXT record "
                f"{txt_record_name(domain.hostname)} or at {http_file_url(domain.hostname, domain.verification_token)}, "
                "then try again (DNS changes may take a while to be seen).")
        await service.mark_verified(session, domain)
    return DomainRead.model_validate(domain)
