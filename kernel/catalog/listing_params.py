"""The query parameters of the product listings: filters, sort and page.

Read in one validation (:mod:`kernel.query_models`): the listing and search are the catalog's
busiest routes, and FastAPI's reading of their ten parameters one by one was a large share of
what a listing costs beyond the bare limit (docs/decisions/query-models.md). The staff listing,
staff search and storefront browsing share them; docs/catalog.md describes them.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, Field

from kernel.catalog.models import ProductStatus
from kernel.catalog.queries import ProductFilters, Sort
from kernel.catalog.schemas import MAX_INT, no_nul
from kernel.errors import InvalidInput
from kernel.query_models import QueryModel


def _no_nul_unless_none(value: str | None) -> str | None:
    return value if value is None else no_nul(value)


Price = Annotated[int | None, Field(ge=0, le=MAX_INT, description="Minor units.", examples=[1000])]


class ProductBrowsing(QueryModel):
    """What a shopper may ask of the storefront's listing (active products only)."""

    q: Annotated[str | None, Field(max_length=200, description="Full-text words (optional).", examples=["tee"]),
                 AfterValidator(_no_nul_unless_none)] = None
    category_id: Annotated[int | None, Field(ge=1, le=MAX_INT, description="Includes subcategories.",
                                             examples=[1])] = None
    min_price: Price = None
    max_price: Price = None
    attr: Annotated[list[Annotated[str, AfterValidator(no_nul)]], Field(
        max_length=10, description="`key:value`; repeat for several (all must match).",
        examples=[["material:cotton"]])] = []
    in_stock: Annotated[bool | None, Field(description="Only products with (or without) a sellable variant.",
                                           examples=[True])] = None
    sort: Annotated[Sort, Field(description="Order of results; ties are broken by id.", examples=["price"])] = \
        Sort.newest
    after: Annotated[str | None, Field(max_length=500, description="Opaque cursor: `next_cursor` of the previous page.",
                                       examples=["WyJuZXdlc3QiLCIyMDI2LTExLTI1VDEyOjAwOjAwIiw0Ml0"]),
                     AfterValidator(_no_nul_unless_none)] = None
    limit: Annotated[int, Field(ge=1, le=100, description="Page size.", examples=[20])] = 20

    def filters(self, status: ProductStatus | None) -> ProductFilters:
        """The filters these parameters ask for, among products of ``status`` (``None``: any)."""
        pairs = []
        for i, item in enumerate(self.attr):
            key, sep, value = item.partition(":")
            if not sep or not key or len(key) > 100 or len(value) > 500:
                raise InvalidInput("Attribute filters look like `key:value`.", errors=[
                    {"loc": ["query", "attr", i], "msg": "expected key:value", "type": "value_error"}])
            pairs.append((key, value))
        return ProductFilters(q=self.q, status=status, category_id=self.category_id, min_price=self.min_price,
                              max_price=self.max_price, attributes=pairs, in_stock=self.in_stock)


class ProductListing(ProductBrowsing):
    """The staff listing's parameters: a shopper's, and products of any status."""

    status: Annotated[ProductStatus | None, Field(description="Only products of this status.",
                                                  examples=["active"])] = None


class ProductSearch(ProductListing):
    """The staff search's parameters: the listing's, with words required."""

    q: Annotated[str, Field(min_length=1, max_length=200, description="Words to find (see docs/catalog.md).",
                            examples=["organic tee"]), AfterValidator(no_nul)]
