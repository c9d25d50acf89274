"""API shapes for the catalog: products, variants, option axes, categories, attributes, images.

Every input model forbids unknown fields, bounds its strings and numbers (integers
fit PostgreSQL's ``integer``), rejects NUL bytes, and takes money as integers in
minor units of the store's currency (``ge=0``).
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, model_validator

from kernel.catalog.models import MAX_OPTIONS, ProductStatus

MAX_INT = 2_147_483_647
SLUG_RE = r"^[a-z0-9](?:[a-z0-9-]{0,198}[a-z0-9])?$"


def no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("NUL bytes are not allowed")
    return value


def Text(max_length: int, min_length: int = 0):  # noqa: N802 - reads like a type
    """A bounded, stripped string that refuses NUL bytes."""
    return Annotated[str, StringConstraints(strip_whitespace=True, min_length=min_length, max_length=max_length),
                     AfterValidator(no_nul)]


# SQLite hands back naive datetimes (stored in UTC); RFC 3339 needs the offset.
UtcDatetime = Annotated[datetime, AfterValidator(lambda d: d if d.tzinfo else d.replace(tzinfo=timezone.utc))]
Money = Annotated[int, Field(ge=0, le=MAX_INT, description="Minor units of the store's currency (cents).")]
Slug = Annotated[str, StringConstraints(pattern=SLUG_RE, max_length=200)]
Sku = Text(100, 1)


class Input(BaseModel):
    model_config = ConfigDict(extra="forbid")


def update_schema(*not_null: str, examples: list[dict]):
    """``json_schema_extra`` for an update shape whose ``not_null`` fields may be left out but not
    sent as null (the service refuses null for them: a variant always has a SKU): the document says
    so, rather than offering a null the server then refuses."""

    def extra(schema: dict, _model) -> None:
        schema["examples"] = examples
        for name in not_null:
            prop = schema["properties"][name]
            branches = [b for b in prop.pop("anyOf", ()) if b.get("type") != "null"]
            if len(branches) == 1:
                prop.update(branches[0])
            prop.pop("default", None)

    return extra


# --- options and attributes -----------------------------------------------------------------------

class OptionAxis(Input):
    name: Text(100, 1) = Field(examples=["Size"])
    values: list[Text(100, 1)] = Field(min_length=1, max_length=100, examples=[["S", "M", "L"]])

    @model_validator(mode="after")
    def _unique_values(self) -> "OptionAxis":
        if len(set(self.values)) != len(self.values):
            raise ValueError(f"option {self.name!r} lists a value twice")
        return self


def _check_axes(axes: list[OptionAxis] | None) -> None:
    if axes and len({a.name.lower() for a in axes}) != len(axes):
        raise ValueError("option names must be unique")


class Attribute(Input):
    key: Text(100, 1) = Field(examples=["material"])
    value: Text(500) = Field(examples=["cotton"])


def _check_attributes(attributes: list[Attribute] | None) -> None:
    if attributes and len({a.key for a in attributes}) != len(attributes):
        raise ValueError("attribute keys must be unique")


# --- variants -----------------------------------------------------------------------------------

class VariantFields(Input):
    title: Text(255) | None = Field(default=None, examples=["Small / Red"])
    position: int | None = Field(default=None, ge=0, le=10_000)
    price: Money | None = Field(default=None, examples=[1999])
    compare_at_price: Money | None = Field(default=None, examples=[2499])
    cost: Money | None = Field(default=None, examples=[800])
    weight_grams: int | None = Field(default=None, ge=0, le=10_000_000, examples=[250])
    barcode: Text(64) | None = Field(default=None, examples=["4006381333931"])
    track_inventory: bool | None = Field(default=None, description="Off: unlimited goods, stock never checked.")
    allow_backorder: bool | None = Field(default=None, description="On: stock may go below zero.")
    low_stock_threshold: int | None = Field(default=None, ge=0, le=1_000_000, examples=[5],
                                            description="Emit `stock.low` when stock falls to or below this.")
    options: list[Text(100, 1)] | None = Field(
        default=None, max_length=MAX_OPTIONS, examples=[["S", "Red"]],
        description="One value per product option axis, in the axes' order.")


class VariantCreate(VariantFields):
    sku: Sku = Field(examples=["TSHIRT-S-RED"])
    price: Money = Field(examples=[1999])
    initial_stock: int = Field(default=0, ge=0, le=1_000_000, examples=[10],
                               description="Recorded in the ledger as a 'received' movement.")

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"sku": "TSHIRT-S-RED", "price": 1999, "options": ["S", "Red"], "initial_stock": 10}]})


class VariantUpdate(VariantFields):
    sku: Sku | None = Field(default=None, examples=["TSHIRT-S-RED"])

    model_config = ConfigDict(extra="forbid", json_schema_extra=update_schema(
        "sku", "price", "title", "position", "weight_grams", "track_inventory", "allow_backorder",
        examples=[{"price": 1799, "barcode": None}]))


class VariantRead(BaseModel):
    model_config = ConfigDict(from_attributes=True, json_schema_extra={"examples": [{
        "id": 7, "product_id": 3, "sku": "TSHIRT-S-RED", "title": "S / Red", "position": 0, "price": 1999,
        "compare_at_price": None, "cost": 800, "weight_grams": 250, "barcode": None, "track_inventory": True,
        "allow_backorder": False, "stock_on_hand": 10, "available": 8, "low_stock_threshold": 2,
        "options": ["S", "Red"]}]})

    id: int
    product_id: int
    sku: str
    title: str
    position: int
    price: int
    compare_at_price: int | None
    cost: int | None
    weight_grams: int
    barcode: str | None
    track_inventory: bool
    allow_backorder: bool
    stock_on_hand: int
    available: int | None = Field(description="On hand minus active reservations; null when not tracked.")
    low_stock_threshold: int | None
    options: list[str]


# --- products -----------------------------------------------------------------------------------

class ProductFields(Input):
    description: Text(100_000) | None = Field(default=None, examples=["Soft organic cotton."])
    status: ProductStatus | None = Field(default=None, examples=["active"])
    tax_class: Text(50, 1) | None = Field(default=None, examples=["standard"])
    meta_title: Text(255) | None = Field(default=None, examples=["Organic T-shirt | Acme"])
    meta_description: Text(500) | None = Field(default=None, examples=["Our softest tee."])
    options: list[OptionAxis] | None = Field(default=None, max_length=MAX_OPTIONS)
    attributes: list[Attribute] | None = Field(default=None, max_length=100)
    category_ids: list[Annotated[int, Field(ge=1, le=MAX_INT)]] | None = Field(default=None, max_length=100,
                                                                              examples=[[1, 4]])

    @model_validator(mode="after")
    def _unique(self):
        _check_axes(self.options)
        _check_attributes(self.attributes)
        return self


class ProductCreate(ProductFields):
    name: Text(255, 1) = Field(examples=["Organic T-shirt"])
    slug: Slug | None = Field(default=None, description="Defaults to one made from the name.",
                              examples=["organic-t-shirt"])
    variants: list[VariantCreate] = Field(default_factory=list, max_length=100)

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "name": "Organic T-shirt", "status": "active", "description": "Soft organic cotton.",
        "options": [{"name": "Size", "values": ["S", "M"]}],
        "attributes": [{"key": "material", "value": "cotton"}],
        "variants": [{"sku": "TEE-S", "price": 1999, "options": ["S"], "initial_stock": 10},
                     {"sku": "TEE-M", "price": 1999, "options": ["M"], "initial_stock": 5}]}]})


class ProductUpdate(ProductFields):
    name: Text(255, 1) | None = Field(default=None, examples=["Organic T-shirt"])
    slug: Slug | None = Field(default=None, examples=["organic-t-shirt"])

    model_config = ConfigDict(extra="forbid", json_schema_extra=update_schema(
        "name", "slug", "status", "tax_class", "description",
        examples=[{"status": "archived"}, {"name": "Organic Tee", "meta_title": "Organic Tee"}]))


class ImageRead(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "id": 2, "product_id": 3, "position": 0, "alt": "Front", "url": "/media/1/products/3/ab12.jpg",
        "thumbnail_url": "/media/1/products/3/ab12.thumb.jpg", "content_type": "image/jpeg", "width": 1200,
        "height": 800, "size_bytes": 183211}]})

    id: int
    product_id: int
    position: int
    alt: str
    url: str
    thumbnail_url: str
    content_type: str
    width: int
    height: int
    size_bytes: int


class ImageUpdate(Input):
    alt: Text(255) | None = Field(default=None, examples=["Front view"])
    position: int | None = Field(default=None, ge=0, le=10_000, examples=[0])


class ProductSummary(BaseModel):
    """A product as a list or search result shows it: with its variants and images."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "id": 3, "name": "Organic T-shirt", "slug": "organic-t-shirt", "status": "active", "price_min": 1999,
        "price_max": 1999, "created_at": "2026-11-25T12:00:00Z", "variants": [], "images": []}]})

    id: int
    name: str
    slug: str
    status: ProductStatus
    price_min: int | None
    price_max: int | None
    created_at: UtcDatetime
    variants: list[VariantRead]
    images: list[ImageRead]


class ProductRead(ProductSummary):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "id": 3, "name": "Organic T-shirt", "slug": "organic-t-shirt", "status": "active", "price_min": 1999,
        "price_max": 1999, "created_at": "2026-11-25T12:00:00Z", "updated_at": "2026-11-25T12:00:00Z",
        "description": "Soft organic cotton.", "tax_class": "standard", "meta_title": None,
        "meta_description": None, "options": [{"name": "Size", "values": ["S", "M"]}],
        "attributes": [{"key": "material", "value": "cotton"}], "category_ids": [1], "variants": [],
        "images": []}]})

    description: str
    tax_class: str
    meta_title: str | None
    meta_description: str | None
    updated_at: UtcDatetime
    options: list[dict]
    attributes: list[dict]
    category_ids: list[int]


class ProductPage(BaseModel):
    """One page of a keyset-paginated listing: pass ``next_cursor`` as ``after`` for the next."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"items": [], "next_cursor": "WzE5OTksIDQyXQ"}]})

    items: list[ProductSummary]
    next_cursor: str | None = Field(description="Null on the last page.")


# --- categories ---------------------------------------------------------------------------------

class CategoryCreate(Input):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"name": "T-shirts", "parent_id": 1, "description": "Tees for every day.", "position": 0}]})

    name: Text(200, 1) = Field(examples=["T-shirts"])
    slug: Slug | None = Field(default=None, examples=["t-shirts"])
    parent_id: int | None = Field(default=None, ge=1, le=MAX_INT, examples=[1])
    description: Text(10_000) = Field(default="", examples=["Tees for every day."])
    position: int = Field(default=0, ge=0, le=10_000)


class CategoryUpdate(Input):
    model_config = ConfigDict(extra="forbid", json_schema_extra=update_schema(
        "name", "slug", "description", "position",
        examples=[{"name": "Tees"}, {"parent_id": 4}, {"make_root": True}]))

    name: Text(200, 1) | None = Field(default=None, examples=["Tees"])
    slug: Slug | None = Field(default=None, examples=["tees"])
    parent_id: int | None = Field(default=None, ge=1, le=MAX_INT,
                                  description="Move under another category (0 is not a category: omit to keep).")
    description: Text(10_000) | None = None
    position: int | None = Field(default=None, ge=0, le=10_000)
    make_root: bool = Field(default=False, description="Move to the top of the tree.")


class CategoryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True, json_schema_extra={"examples": [{
        "id": 1, "parent_id": None, "name": "T-shirts", "slug": "t-shirts", "description": "", "position": 0}]})

    id: int
    parent_id: int | None
    name: str
    slug: str
    description: str
    position: int


def slugify(text: str) -> str:
    """A URL slug from a name: lower-case ASCII letters, digits and hyphens."""
    import unicodedata

    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:180].strip("-")
    return slug or "item"
