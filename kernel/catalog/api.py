"""Catalog API: products, variants, listing and search (staff and API keys; see kernel.catalog.deps)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Response, status
from pydantic import AfterValidator

from kernel.catalog import queries, service
from kernel.catalog.deps import API_ERRORS, CatalogReader, CatalogWriter, Media, ProductId, VariantId, actor_of
from kernel.catalog.models import ProductStatus
from kernel.catalog.queries import ProductFilters, Sort
from kernel.catalog.schemas import (MAX_INT, ProductCreate, ProductPage, ProductRead, ProductUpdate, VariantCreate,
                                    VariantRead, VariantUpdate, no_nul)
from kernel.deps import SessionDep
from kernel.errors import InvalidInput
from kernel.routing import KernelRouter

router = KernelRouter(prefix="/api/v1/stores/{store_slug}", tags=["catalog"], responses=API_ERRORS)

Q = Annotated[str, Query(min_length=1, max_length=200, description="Words to find (see docs/catalog.md).",
                         examples=["organic tee"]), AfterValidator(no_nul)]
After = Annotated[str | None, Query(max_length=500, description="Opaque cursor: `next_cursor` of the previous page.",
                                    examples=["WyJuZXdlc3QiLCIyMDI2LTExLTI1VDEyOjAwOjAwIiw0Ml0"]),
                  AfterValidator(lambda v: v if v is None else no_nul(v))]
Limit = Annotated[int, Query(ge=1, le=100, description="Page size.", examples=[20])]
SortQ = Annotated[Sort, Query(description="Order of results; ties are broken by id.", examples=["price"])]
Price = Annotated[int | None, Query(ge=0, le=MAX_INT, description="Minor units.", examples=[1000])]
Attr = Annotated[list[Annotated[str, AfterValidator(no_nul)]], Query(
    max_length=10, description="`key:value`; repeat for several (all must match).", examples=[["material:cotton"]])]


def _json(body: bytes) -> Response:
    """A body already serialized in the route's documented ``response_model``."""
    return Response(content=body, media_type="application/json")


def _filters(q: str | None, status_: ProductStatus | None, category_id: int | None, min_price: int | None,
             max_price: int | None, attr: list[str], in_stock: bool | None) -> ProductFilters:
    pairs = []
    for i, item in enumerate(attr):
        key, sep, value = item.partition(":")
        if not sep or not key or len(key) > 100 or len(value) > 500:
            raise InvalidInput("Attribute filters look like `key:value`.",
                               errors=[{"loc": ["query", "attr", i], "msg": "expected key:value", "type": "value_error"}])
        pairs.append((key, value))
    return ProductFilters(q=q, status=status_, category_id=category_id, min_price=min_price, max_price=max_price,
                          attributes=pairs, in_stock=in_stock)


@router.get("/products", summary="List products (filtered, sorted, keyset-paginated)", response_model=ProductPage)
async def list_products(
        session: SessionDep, staff: CatalogReader, media: Media,
        q: Annotated[str | None, Query(max_length=200, description="Full-text words (optional).",
                                       examples=["tee"]), AfterValidator(lambda v: v if v is None else no_nul(v))] = None,
        status_: Annotated[ProductStatus | None, Query(alias="status", examples=["active"])] = None,
        category_id: Annotated[int | None, Query(ge=1, le=MAX_INT, description="Includes subcategories.",
                                                 examples=[1])] = None,
        min_price: Price = None, max_price: Price = None, attr: Attr = [],  # noqa: B006 - FastAPI copies it
        in_stock: Annotated[bool | None, Query(description="Only products with (or without) a sellable variant.",
                                               examples=[True])] = None,
        sort: SortQ = Sort.newest, after: After = None, limit: Limit = 20) -> Response:
    """A page of products with their variants (price, stock, availability) and image URLs.

    Pass the returned `next_cursor` as `after` (with the same filters and sort) for the next page.
    """
    return _json(await queries.list_products_json(
        session, _filters(q, status_, category_id, min_price, max_price, attr, in_stock),
        sort=sort, after=after, limit=limit, media_url=media.url))


@router.get("/search", summary="Search products by words", response_model=ProductPage)
async def search_products(
        session: SessionDep, staff: CatalogReader, media: Media, q: Q,
        status_: Annotated[ProductStatus | None, Query(alias="status", examples=["active"])] = None,
        category_id: Annotated[int | None, Query(ge=1, le=MAX_INT, examples=[1])] = None,
        min_price: Price = None, max_price: Price = None, attr: Attr = [],  # noqa: B006
        in_stock: Annotated[bool | None, Query(examples=[True])] = None,
        sort: SortQ = Sort.newest, after: After = None, limit: Limit = 20) -> Response:
    """Products whose name, description or SKUs contain every word of `q` (as prefixes)."""
    return _json(await queries.list_products_json(
        session, _filters(q, status_, category_id, min_price, max_price, attr, in_stock),
        sort=sort, after=after, limit=limit, media_url=media.url))


@router.post("/products", status_code=status.HTTP_201_CREATED, summary="Create a product with its variants")
async def create_product(data: ProductCreate, session: SessionDep, manager: CatalogWriter,
                         media: Media) -> ProductRead:
    """The slug defaults to one made from the name; SKUs and slugs are unique per store (409 on a clash)."""
    product = await service.create_product(session, data, actor=actor_of(manager))
    return await queries.product_detail(session, product.id, media_url=media.url)


@router.get("/products/{product_id}", summary="Get a product")
async def get_product(product_id: ProductId, session: SessionDep, staff: CatalogReader, media: Media) -> ProductRead:
    return await queries.product_detail(session, product_id, media_url=media.url)


@router.patch("/products/{product_id}", summary="Update a product")
async def update_product(product_id: ProductId, data: ProductUpdate, session: SessionDep, manager: CatalogWriter,
                         media: Media) -> ProductRead:
    """Only the fields sent change. `attributes` and `category_ids`, when sent, replace the old lists."""
    await service.update_product(session, product_id, data)
    return await queries.product_detail(session, product_id, media_url=media.url)


@router.delete("/products/{product_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Delete a product")
async def delete_product(product_id: ProductId, session: SessionDep, manager: CatalogWriter) -> Response:
    """Deletes its variants, images and stock ledger too; archive it instead to keep its history."""
    await service.delete_product(session, product_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/products/{product_id}/variants", status_code=status.HTTP_201_CREATED, summary="Add a variant")
async def add_variant(product_id: ProductId, data: VariantCreate, session: SessionDep,
                      manager: CatalogWriter) -> VariantRead:
    variant = await service.add_variant(session, product_id, data, actor=actor_of(manager))
    return await queries.variant_detail(session, variant.id)


@router.get("/variants/{variant_id}", summary="Get a variant")
async def get_variant(variant_id: VariantId, session: SessionDep, staff: CatalogReader) -> VariantRead:
    return await queries.variant_detail(session, variant_id)


@router.patch("/variants/{variant_id}", summary="Update a variant")
async def update_variant(variant_id: VariantId, data: VariantUpdate, session: SessionDep,
                         manager: CatalogWriter) -> VariantRead:
    """Stock is not set here: use the inventory adjustments, which keep the ledger."""
    await service.update_variant(session, variant_id, data)
    return await queries.variant_detail(session, variant_id)


@router.delete("/variants/{variant_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Delete a variant")
async def delete_variant(variant_id: VariantId, session: SessionDep, manager: CatalogWriter) -> Response:
    await service.delete_variant(session, variant_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
