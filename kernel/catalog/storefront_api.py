"""The public, read-only storefront catalog: active products only, no costs or stock counts.

Anyone may call it (it is what the shop window shows), so it lives outside the staff
prefix: ``/api/v1/storefront/{store_slug}/…``. Variants say whether they can be sold
(``in_stock``) rather than how many are on the shelf.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path
from pydantic import BaseModel, ConfigDict

from kernel.catalog import queries, service
from kernel.catalog.listing_params import ProductBrowsing
from kernel.catalog.deps import API_ERRORS, Media
from kernel.catalog.models import ProductStatus
from kernel.catalog.schemas import SLUG_RE, CategoryRead, ImageRead, VariantRead
from kernel.deps import SessionDep, StoreDep
from kernel.errors import NotFound
from kernel.query_models import query_parameters, read_query
from kernel.routing import KernelRouter

router = KernelRouter(prefix="/api/v1/storefront/{store_slug}", tags=["storefront catalog (public)"],
                   responses={k: v for k, v in API_ERRORS.items() if k in (400, 404, 422)})


class PublicVariant(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "id": 7, "sku": "TEE-S", "title": "S", "price": 1999, "compare_at_price": None, "weight_grams": 180,
        "options": ["S"], "in_stock": True}]})

    id: int
    sku: str
    title: str
    price: int
    compare_at_price: int | None
    weight_grams: int
    options: list[str]
    in_stock: bool


class PublicProduct(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "id": 3, "name": "Organic T-shirt", "slug": "organic-t-shirt", "price_min": 1999, "price_max": 1999,
        "variants": [], "images": []}]})

    id: int
    name: str
    slug: str
    price_min: int
    price_max: int
    variants: list[PublicVariant]
    images: list[ImageRead]


class PublicProductDetail(PublicProduct):
    description: str
    meta_title: str | None
    meta_description: str | None
    options: list[dict]
    attributes: list[dict]
    category_ids: list[int]


class PublicPage(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"items": [], "next_cursor": None}]})

    items: list[PublicProduct]
    next_cursor: str | None


def _variant(v: VariantRead) -> PublicVariant:
    sellable = not v.track_inventory or v.allow_backorder or (v.available or 0) > 0
    return PublicVariant(id=v.id, sku=v.sku, title=v.title, price=v.price, compare_at_price=v.compare_at_price,
                         weight_grams=v.weight_grams, options=v.options, in_stock=sellable)


@router.get("/products", summary="Browse the store's active products (public)",
            openapi_extra=query_parameters(ProductBrowsing))
async def browse(store: StoreDep, session: SessionDep, media: Media,
                 browsing: Annotated[ProductBrowsing, Depends(read_query(ProductBrowsing))]) -> PublicPage:
    """The same filters, sorting and cursors as the staff listing, limited to active products."""
    page = await queries.list_products(session, browsing.filters(ProductStatus.active), sort=browsing.sort,
                                       after=browsing.after, limit=browsing.limit, media_url=media.url)
    return PublicPage(items=[PublicProduct(id=p.id, name=p.name, slug=p.slug, price_min=p.price_min,
                                           price_max=p.price_max, variants=[_variant(v) for v in p.variants],
                                           images=p.images) for p in page.items], next_cursor=page.next_cursor)


@router.get("/products/{product_slug}", summary="An active product by its slug (public)")
async def product_page(store: StoreDep, session: SessionDep, media: Media,
                       product_slug: Annotated[str, Path(pattern=SLUG_RE, max_length=200,
                                                         examples=["organic-t-shirt"])]) -> PublicProductDetail:
    p = await queries.product_detail_by_slug(session, product_slug, media_url=media.url,
                                             only_status=ProductStatus.active)
    if p is None:
        raise NotFound("No such product.")
    return PublicProductDetail(id=p.id, name=p.name, slug=p.slug, price_min=p.price_min, price_max=p.price_max,
                               variants=[_variant(v) for v in p.variants], images=p.images,
                               description=p.description, meta_title=p.meta_title,
                               meta_description=p.meta_description, options=p.options, attributes=p.attributes,
                               category_ids=p.category_ids)


@router.get("/categories", summary="The store's category tree (public)", responses={200: {"content": {
    "application/json": {"example": [{"id": 1, "parent_id": None, "name": "Clothing", "slug": "clothing",
                                      "description": "", "position": 0}]}}}})
async def categories(store: StoreDep, session: SessionDep) -> list[CategoryRead]:
    return [CategoryRead.model_validate(c) for c in await service.list_categories(session)]
