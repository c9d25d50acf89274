"""Catalog API: products, variants, listing and search (staff and API keys; see kernel.catalog.deps)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Response, status

from kernel.catalog import queries, service
from kernel.catalog.deps import API_ERRORS, CatalogReader, CatalogWriter, Media, ProductId, VariantId, actor_of
from kernel.catalog.listing_params import ProductListing, ProductSearch
from kernel.catalog.schemas import (ProductCreate, ProductPage, ProductRead, ProductUpdate, VariantCreate, VariantRead,
                                    VariantUpdate)
from kernel.deps import SessionDep
from kernel.query_models import query_parameters, read_query
from kernel.routing import KernelRouter

router = KernelRouter(prefix="/api/v1/stores/{store_slug}", tags=["catalog"], responses=API_ERRORS)

def _json(body: bytes) -> Response:
    """A body already serialized in the route's documented ``response_model``."""
    return Response(content=body, media_type="application/json")


@router.get("/products", summary="List products (filtered, sorted, keyset-paginated)", response_model=ProductPage,
            openapi_extra=query_parameters(ProductListing))
async def list_products(session: SessionDep, staff: CatalogReader, media: Media,
                        listing: Annotated[ProductListing, Depends(read_query(ProductListing))]) -> Response:
    """A page of products with their variants (price, stock, availability) and image URLs.

    Pass the returned `next_cursor` as `after` (with the same filters and sort) for the next page.
    """
    return _json(await queries.list_products_json(session, listing.filters(listing.status), sort=listing.sort,
                                                  after=listing.after, limit=listing.limit, media_url=media.url))


@router.get("/search", summary="Search products by words", response_model=ProductPage,
            openapi_extra=query_parameters(ProductSearch))
async def search_products(session: SessionDep, staff: CatalogReader, media: Media,
                          search: Annotated[ProductSearch, Depends(read_query(ProductSearch))]) -> Response:
    """Products whose name, description or SKUs contain every word of `q` (as prefixes)."""
    return _json(await queries.list_products_json(session, search.filters(search.status), sort=search.sort,
                                                  after=search.after, limit=search.limit, media_url=media.url))


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
