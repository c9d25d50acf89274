"""The hot read paths: product listing, search and detail.

A page of products is ONE statement whatever its size (no N+1): a keyset-paginated
SELECT of exactly the product columns shown, whose variants (with their reserved
quantities) and images come along as JSON arrays built by the database in correlated
subqueries. Each statement is a round trip through SQLAlchemy and the driver, and on this
stack a round trip costs more than the rows (docs/decisions/listing-json.md).
On PostgreSQL each product, variant and image row keeps the JSON it is listed as, written by
triggers whenever a listed column changes (migration ``catalog_0003``), and each product the array
of its images' (``catalog_0004``); a page joins those texts
and adds what changes too often to store or depends on the moment of the read (a variant's stock
and units available, the media store's URL prefix).
A listed product comes written whole: the staff listing and search join its bytes (no parsing,
no models: :func:`list_products_json`); other readers parse it in Rust (pydantic-core).
SQLite builds the children with ``json_group_array``/``json_object`` and Python finishes them.
Core selects of ORM columns keep the tenant scoping (kernel.db), and the children are
also joined on the product's ``store_id``, so no wall depends on how criteria reach a
subquery.
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import Any

from pydantic_core import from_json, to_json
from sqlalchemy import (DateTime, Integer, LargeBinary, String, Text, bindparam, case, cast, exists, func,
                        literal_column, null, or_, select, tuple_, type_coerce)
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.catalog import search
from kernel.catalog.models import (Category, Product, ProductAttribute, ProductCategory, ProductImage, ProductStatus,
                                   ProductVariant)
from kernel.catalog.schemas import ImageRead, ProductPage, ProductRead, VariantRead
from kernel.db import as_utc, dialect_of, utcnow
from kernel.errors import InvalidInput, NotFound
from kernel.inventory.service import held_quantity


class Sort(str, Enum):
    newest = "newest"
    oldest = "oldest"
    name = "name"
    name_desc = "name_desc"
    price = "price"
    price_desc = "price_desc"


# sort → (column, descending)
_SORTS = {
    Sort.newest: (Product.created_at, True), Sort.oldest: (Product.created_at, False),
    Sort.name: (Product.name, False), Sort.name_desc: (Product.name, True),
    Sort.price: (Product.price_min, False), Sort.price_desc: (Product.price_min, True),
}


@dataclass
class ProductFilters:
    q: str | None = None
    status: ProductStatus | None = None
    category_id: int | None = None
    min_price: int | None = None
    max_price: int | None = None
    attributes: list[tuple[str, str]] = field(default_factory=list)
    in_stock: bool | None = None


def encode_cursor(sort: Sort, value: Any, row_id: int) -> str:
    if isinstance(value, datetime):
        value = value.isoformat()
    raw = json.dumps([sort.value, value, row_id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, sort: Sort) -> tuple[Any, int]:
    """The (sort value, id) a cursor points after; 422 for a forged, stale or other-sort cursor."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        sort_name, value, row_id = json.loads(raw)
        if sort_name != sort.value or not isinstance(row_id, int):
            raise ValueError
        if sort in (Sort.newest, Sort.oldest):
            value = datetime.fromisoformat(value)
        elif sort in (Sort.price, Sort.price_desc):
            if not isinstance(value, int):
                raise ValueError
        elif not isinstance(value, str):
            raise ValueError
        return value, row_id
    except (ValueError, TypeError, binascii.Error, json.JSONDecodeError, UnicodeDecodeError):
        raise InvalidInput("The cursor is not valid for this listing; start again without `after`.",
                           errors=[{"loc": ["query", "after"], "msg": "invalid cursor", "type": "value_error"}])


def _available_expression(now=None):
    """on hand − unexpired reservations, per variant row."""
    return ProductVariant.stock_on_hand - held_quantity(utcnow() if now is None else now)


def _category_tree(category_id: int):
    tree = select(Category.id).where(Category.id == category_id).cte("category_tree", recursive=True)
    return tree.union_all(select(Category.id).where(Category.parent_id == tree.c.id))


def _filter_clauses(session: AsyncSession, f: ProductFilters) -> list:
    clauses = []
    if f.q:
        clauses.append(search.match(session, f.q))
    if f.status is not None:
        clauses.append(Product.status == f.status)
    if f.category_id is not None:
        tree = _category_tree(f.category_id)
        clauses.append(Product.id.in_(select(ProductCategory.product_id).where(
            ProductCategory.category_id.in_(select(tree.c.id)))))
    if f.min_price is not None or f.max_price is not None:
        price = [ProductVariant.product_id == Product.id]
        if f.min_price is not None:
            price.append(ProductVariant.price >= f.min_price)
        if f.max_price is not None:
            price.append(ProductVariant.price <= f.max_price)
        clauses.append(exists().where(*price))
    for key, value in f.attributes:
        clauses.append(exists().where(ProductAttribute.product_id == Product.id, ProductAttribute.key == key,
                                      ProductAttribute.value == value))
    if f.in_stock is not None:
        sellable = exists().where(ProductVariant.product_id == Product.id, or_(
            ProductVariant.track_inventory.is_(False), ProductVariant.allow_backorder.is_(True),
            _available_expression() > 0))
        clauses.append(sellable if f.in_stock else ~sellable)
    return clauses


async def list_products(session: AsyncSession, filters: ProductFilters, *, sort: Sort = Sort.newest,
                        after: str | None = None, limit: int = 20, media_url=lambda key: key) -> ProductPage:
    """A page of products, validated (:func:`product_page_data` says what it holds)."""
    return ProductPage.model_validate(await product_page_data(session, filters, sort=sort, after=after, limit=limit,
                                                              media_url=media_url))


async def list_products_json(session: AsyncSession, filters: ProductFilters, *, sort: Sort = Sort.newest,
                             after: str | None = None, limit: int = 20, media_url=lambda key: key) -> bytes:
    """The same page as :func:`list_products`, serialized straight from the rows as
    :class:`ProductPage` JSON, for the staff listing and search.

    Validating a page of twenty products (a thousand fields) into models and serializing them
    again was a fifth of a listing's CPU, and parsing the variants' JSON only to write it out
    again most of the rest. Every value here already has its schema type, built from typed
    columns, and the tests check that every field is exactly what ``ProductPage`` would write.
    """
    dialect = dialect_of(session)
    rows, next_cursor = await _page_rows(session, filters, sort=sort, after=after, limit=limit, media_url=media_url)
    if dialect == "postgresql":
        items = [r.item_json for r in rows]  # each product already written whole (_listed_item_pg)
    else:
        items = [to_json(_product_head(r))[:-1] + b',"images":' + to_json(_image_dicts(r.images_json, media_url))
                 + b',"variants":' + to_json(_variant_dicts(from_json(r.variants_json))) + b"}" for r in rows]
    return b'{"items":[' + b",".join(items) + b'],"next_cursor":' + to_json(next_cursor) + b"}"


async def product_page_data(session: AsyncSession, filters: ProductFilters, *, sort: Sort = Sort.newest,
                            after: str | None = None, limit: int = 20, media_url=lambda key: key) -> dict:
    """A page as plain data in :class:`ProductPage`'s shape: ``items`` (products with their
    variants and images) and ``next_cursor``; one statement."""
    dialect = dialect_of(session)
    rows, next_cursor = await _page_rows(session, filters, sort=sort, after=after, limit=limit, media_url=media_url)
    if dialect == "postgresql":
        return {"items": [from_json(r.item_json) for r in rows], "next_cursor": next_cursor}
    return {"items": [{**_product_head(r), "images": _image_dicts(r.images_json, media_url),
                       "variants": _variant_dicts(from_json(r.variants_json))} for r in rows],
            "next_cursor": next_cursor}


def _product_head(r) -> dict:
    """A listed product's own fields (not its children), in their schema types."""
    return {"id": r.id, "name": r.name, "slug": r.slug, "status": r.status.value, "price_min": r.price_min,
            "price_max": r.price_max, "created_at": as_utc(r.created_at)}


async def _page_rows(session: AsyncSession, filters: ProductFilters, *, sort: Sort, after: str | None,
                     limit: int, media_url) -> tuple[list, str | None]:
    """The page's rows (one statement) and the cursor of the page after it (``None``: the last)."""
    column, _ = _SORTS[sort]
    dialect = dialect_of(session)
    params: dict[str, Any] = {RESERVATIONS_NOW: utcnow(), MEDIA_PREFIX: media_prefix(media_url)}
    if after is not None:
        params["after_value"], params["after_id"] = decode_cursor(after, sort)
    if filters == ProductFilters(q=filters.q) and filters.q:  # plain search: a statement built once too
        params["fts"], params["fts_sid"] = search.query_expression(dialect, filters.q), session.info["store_id"]
        if params["fts"] is None:
            return [], None  # no words, no match
        stmt = _page_statement(dialect, sort, after is not None, True, limit + 1)
    else:
        stmt = _page_statement(dialect, sort, after is not None, False, limit + 1)
        clauses = _filter_clauses(session, filters)
        if clauses:
            stmt = stmt.where(*clauses)
    rows = (await session.execute(stmt, params)).all()
    if len(rows) <= limit:
        return rows, None
    last = rows[limit - 1]
    return rows[:limit], encode_cursor(sort, getattr(last, column.key), last.id)


# --- children as JSON arrays, one correlated subquery each ----------------------------------------

_VARIANT_JSON_FIELDS = ("id", "product_id", "sku", "title", "position", "price", "compare_at_price", "cost",
                        "weight_grams", "barcode", "track_inventory", "allow_backorder", "stock_on_hand",
                        "low_stock_threshold", "option1", "option2", "option3")
_IMAGE_JSON_FIELDS = ("id", "product_id", "position", "alt", "storage_key", "thumbnail_key", "content_type", "width",
                      "height", "size_bytes")


def _json_array_of(dialect: str, model, names: tuple[str, ...], extra: dict | None = None):
    """A correlated scalar subquery: the JSON array of ``model``'s rows of the outer product."""
    pairs = []
    for name in names:
        pairs += [literal_column(f"'{name}'"), getattr(model, name)]
    for name, expression in (extra or {}).items():
        pairs += [literal_column(f"'{name}'"), expression]
    if dialect == "postgresql":
        aggregate = func.json_agg(func.json_build_object(*pairs))
    else:
        aggregate = func.json_group_array(func.json_object(*pairs))
    return (select(aggregate).where(model.product_id == Product.id, model.store_id == Product.store_id)
            .correlate(Product).scalar_subquery())


RESERVATIONS_NOW = "reservations_now"  # the bind parameter the children's availability is computed at
MEDIA_PREFIX = "media_prefix"  # the bind parameter PostgreSQL makes image URLs with (see media_prefix)


def media_prefix(media_url) -> str:
    """What the media store puts before a key to make its URL, as JSON string content (escaped, no
    quotes). Both stores make ``<base>/<key>`` (:mod:`kernel.catalog.media`), so PostgreSQL can write
    the URLs itself, into the JSON text it keeps of each image (:func:`_images_as_shown_pg`)."""
    prefix = media_url("")
    if media_url("key") != prefix + "key":
        raise RuntimeError("the media store's URLs must be a prefix followed by the key")
    return _json_string_content(prefix)


@functools.lru_cache(maxsize=16)
def _json_string_content(text: str) -> str:
    return to_json(text).decode()[1:-1]


@functools.lru_cache(maxsize=256)  # a client pages with one or two sizes: a handful of shapes in use
def _page_statement(dialect: str, sort: Sort, with_cursor: bool, searching: bool, rows: int):
    """A page of at most ``rows`` products in ``sort`` order with their children, built once per shape.

    Executions pass :data:`RESERVATIONS_NOW`, with a cursor ``after_value``/``after_id``, and when
    ``searching`` ``fts``/``fts_sid`` (:func:`search.matching`); other filters are added per
    request (see :func:`_filter_clauses`).
    """
    column, descending = _SORTS[sort]
    if dialect == "postgresql":  # the sort key (for the next cursor) and the product written whole
        stmt = select(Product.id, column, _listed_item_pg())
    else:
        stmt = select(Product.id, Product.name, Product.slug, Product.status, Product.price_min, Product.price_max,
                      Product.created_at, *_children_json(dialect))
    if searching:
        stmt = stmt.where(search.matching(dialect))
    if with_cursor:
        key, after = tuple_(column, Product.id), tuple_(bindparam("after_value", type_=column.type),
                                                        bindparam("after_id", type_=Integer))
        stmt = stmt.where(key < after if descending else key > after)
    order = (column.desc(), Product.id.desc()) if descending else (column.asc(), Product.id.asc())
    # The limit is written into the SQL: with LIMIT $n PostgreSQL cannot cost a generic plan and
    # re-plans a prepared statement on every execution. It is part of the statement built, not a
    # literal_execute parameter: SQLAlchemy would render that into the page's long SQL text again
    # on every execution.
    return stmt.order_by(*order).limit(literal_column(str(int(rows))))


@functools.cache
def _children_json(dialect: str) -> tuple:
    """The ``variants_json`` and ``images_json`` columns (JSON text), built once per dialect.

    Building these expressions (about seventy elements) and computing their cache key
    cost more than the round trip they save; built once, SQLAlchemy memoizes their key.
    Executions pass :data:`RESERVATIONS_NOW` and :data:`MEDIA_PREFIX`. On PostgreSQL the
    children come exactly as the API shows them (in position order, variants' ``options`` as an
    array, images with their URLs), joined from the texts the database keeps (:func:`_stored_json`);
    SQLite's aggregates cannot be ordered (before 3.44), so there :func:`_variant_dicts` and
    :func:`_image_dicts` finish them.
    """
    if dialect == "postgresql":
        variants, images = _children_pg()
        return variants.label("variants_json"), images.label("images_json")
    variants = _json_array_of(dialect, ProductVariant, _VARIANT_JSON_FIELDS, {"available": _available_now()})
    images = _json_array_of(dialect, ProductImage, _IMAGE_JSON_FIELDS)
    return type_coerce(variants, String).label("variants_json"), type_coerce(images, String).label("images_json")


def _available_now():
    """A variant's units for sale at :data:`RESERVATIONS_NOW` (NULL when not tracked)."""
    now = bindparam(RESERVATIONS_NOW, type_=DateTime(timezone=True))
    return case((ProductVariant.track_inventory.is_(True), _available_expression(now)), else_=null())


@functools.cache
def _children_pg() -> tuple:
    """PostgreSQL: the outer product's variants and images as JSON text, exactly as the API shows them."""
    return _variants_as_shown_pg(_available_now()), _images_as_shown_pg()


def _stored_json(model):
    """PostgreSQL: a catalog row's listed JSON, which triggers keep written (migration catalog_0003).
    Not in the models: it is the database's copy of what the row shows, not a fact about it."""
    return literal_column(f"{model.__tablename__}.listed_json", Text)


def _sql_string(value: str):
    """A constant piece of JSON text, written into the statement (not a bind parameter)."""
    return literal_column("'" + value.replace("'", "''") + "'", Text)


@functools.cache
def _listed_item_pg():
    """PostgreSQL: the outer product as :class:`ProductSummary` writes it, one JSON object as
    UTF-8 bytes (``bytea``, so the driver hands them over without decoding them).

    The product's own fields and each child come already written (:func:`_stored_json`); the page
    only joins texts, and Python only joins the page's products: writing the rows as JSON on
    every read was most of a page's PostgreSQL CPU (docs/decisions/listing-json.md).
    ``tests/kernel/catalog/test_listing_and_search.py`` compares every field with what the
    model writes, a whole-second time included.
    """
    variants, images = _children_pg()
    written = (_stored_json(Product) + _sql_string(',"variants":') + variants + _sql_string(',"images":') + images
               + _sql_string("}"))
    return type_coerce(func.convert_to(written, literal_column("'UTF8'")), LargeBinary).label("item_json")


def _variants_as_shown_pg(available):
    """PostgreSQL: a product's variants as the API lists them, in position order; each stored text
    is finished with its ``stock_on_hand`` (not stored: it changes with every sale) and its units
    ``available`` at :data:`RESERVATIONS_NOW`."""
    v = ProductVariant
    shown = (_stored_json(v) + _sql_string(',"stock_on_hand":') + cast(v.stock_on_hand, Text)
             + _sql_string(',"available":') + func.coalesce(cast(available, Text), _sql_string("null"))
             + _sql_string("}"))
    return _json_array_pg(shown, v)


def _images_as_shown_pg():
    """PostgreSQL: a product's images as the API lists them, in position order, with their URLs.
    The product keeps the array of its images' texts (``products.images_json``, written by a
    trigger on ``product_images``: migration ``catalog_0004``); the media store's prefix, bound as
    :data:`MEDIA_PREFIX` already written as JSON string content (:func:`media_prefix`), replaces
    the U+0001 stored before each key."""
    return func.replace(literal_column("products.images_json", Text), literal_column("chr(1)"),
                        bindparam(MEDIA_PREFIX, type_=String))


def _json_array_pg(shown, model):
    """PostgreSQL: the outer product's ``model`` rows, each written as ``shown``, as one JSON array
    text in position order (``[]`` when there are none)."""
    from sqlalchemy.dialects.postgresql import aggregate_order_by

    joined = func.string_agg(shown, aggregate_order_by(_sql_string(","), model.position, model.id))
    rows = (select(joined).select_from(model)
            .where(model.product_id == Product.id, model.store_id == Product.store_id)
            .correlate(Product).scalar_subquery())
    return _sql_string("[") + func.coalesce(rows, _sql_string("")) + _sql_string("]")


def images_data(dialect: str, raw: str | None, media_url) -> list[dict]:
    """A product's ``images_json`` as data in the API's shape."""
    return from_json(raw) if dialect == "postgresql" else _image_dicts(raw, media_url)


def variants_data(dialect: str, raw: str) -> list[dict]:
    """A product's ``variants_json`` as data in the API's shape."""
    return from_json(raw) if dialect == "postgresql" else _variant_dicts(from_json(raw))


def _by_position(items: list[dict] | None) -> list[dict]:
    """The aggregates promise no order (and SQLite's cannot take one): a product's few children are
    sorted here, as the API lists them."""
    return sorted(items or (), key=lambda item: (item["position"], item["id"]))


def _variant_dicts(items: list[dict] | None) -> list[dict]:
    variants = _by_position(items)
    for v in variants:
        v["options"] = [o for o in (v.pop("option1"), v.pop("option2"), v.pop("option3")) if o is not None]
        # SQLite's JSON has no booleans: its 0/1 become the schema's false/true.
        v["track_inventory"], v["allow_backorder"] = bool(v["track_inventory"]), bool(v["allow_backorder"])
    return variants


def _image_dicts(raw: str | None, media_url) -> list[dict]:
    """SQLite: a product's ``images_json`` (``None`` when it has none) in the API's shape."""
    images = _by_position(from_json(raw) if raw else None)
    for i in images:
        i["url"], i["thumbnail_url"] = media_url(i.pop("storage_key")), media_url(i.pop("thumbnail_key"))
    return images


_VARIANT_COLUMNS = (ProductVariant.id, ProductVariant.product_id, ProductVariant.sku, ProductVariant.title,
                    ProductVariant.position, ProductVariant.price, ProductVariant.compare_at_price,
                    ProductVariant.cost, ProductVariant.weight_grams, ProductVariant.barcode,
                    ProductVariant.track_inventory, ProductVariant.allow_backorder, ProductVariant.stock_on_hand,
                    ProductVariant.low_stock_threshold, ProductVariant.option1, ProductVariant.option2,
                    ProductVariant.option3)


def variant_read(row, available: int | None) -> VariantRead:
    options = [o for o in (row.option1, row.option2, row.option3) if o is not None]
    return VariantRead(id=row.id, product_id=row.product_id, sku=row.sku, title=row.title, position=row.position,
                       price=row.price, compare_at_price=row.compare_at_price, cost=row.cost,
                       weight_grams=row.weight_grams, barcode=row.barcode, track_inventory=row.track_inventory,
                       allow_backorder=row.allow_backorder, stock_on_hand=row.stock_on_hand,
                       available=available if row.track_inventory else None,
                       low_stock_threshold=row.low_stock_threshold, options=options)


def image_read(row, media_url) -> ImageRead:
    return ImageRead(id=row.id, product_id=row.product_id, position=row.position, alt=row.alt,
                     url=media_url(row.storage_key), thumbnail_url=media_url(row.thumbnail_key),
                     content_type=row.content_type, width=row.width, height=row.height, size_bytes=row.size_bytes)


async def product_detail(session: AsyncSession, product_id: int, *, media_url=lambda key: key,
                         only_status: ProductStatus | None = None) -> ProductRead:
    """One product with everything about it, in one statement (a Core select, no ORM objects):
    its columns, and its variants, images, attributes and categories as JSON arrays."""
    product = await _detail(session, "id", product_id, media_url, only_status)
    if product is None:
        raise NotFound(f"No product with id {product_id} in this store.")
    return product


async def product_detail_by_slug(session: AsyncSession, slug: str, *, media_url=lambda key: key,
                                 only_status: ProductStatus | None = None) -> ProductRead | None:
    """:func:`product_detail` of the product whose slug is ``slug`` (``None``: no such product),
    for the storefront's product pages, whose addresses name products by slug: the same one
    statement, found by slug, rather than a statement for the id and then the detail."""
    return await _detail(session, "slug", slug, media_url, only_status)


async def _detail(session: AsyncSession, key: str, value: int | str, media_url,
                  only_status: ProductStatus | None) -> ProductRead | None:
    dialect = dialect_of(session)
    product = (await session.execute(_detail_statement(dialect, only_status, key),
                                     {DETAIL_KEY: value, RESERVATIONS_NOW: utcnow(),
                                      MEDIA_PREFIX: media_prefix(media_url)})).one_or_none()
    if product is None:
        return None
    return ProductRead.model_validate({
        "id": product.id, "name": product.name, "slug": product.slug, "status": product.status,
        "price_min": product.price_min, "price_max": product.price_max, "created_at": product.created_at,
        "updated_at": product.updated_at, "description": product.description, "tax_class": product.tax_class,
        "meta_title": product.meta_title, "meta_description": product.meta_description,
        "options": product.options or [],
        "attributes": sorted(_json_list(product.attributes_json), key=lambda a: a["key"]),
        "category_ids": sorted(c["category_id"] for c in _json_list(product.categories_json)),
        "variants": variants_data(dialect, product.variants_json),
        "images": images_data(dialect, product.images_json, media_url)})


def _json_list(raw: str | None) -> list[dict]:
    """A JSON array of objects aggregated by the database (:func:`_json_array_of`), which gives
    ``None`` when there was no row to aggregate."""
    return from_json(raw) if raw else []


DETAIL_KEY = "detail_key"  # the bind parameter a detail finds its product by (its id or its slug)
_DETAIL_KEYS = {"id": (Product.id, Integer), "slug": (Product.slug, String)}


@functools.lru_cache(maxsize=16)
def _detail_statement(dialect: str, only_status: ProductStatus | None, key: str):
    """One product by its ``key`` column (``id`` or ``slug``, bound as :data:`DETAIL_KEY`; of
    ``only_status``, if given) with its children, attributes and categories, built once per
    dialect, status and key (see :func:`_children_json`).

    Attributes and categories used to take a second statement, built anew on every request; as
    correlated subqueries here, the detail is one round trip of one statement built once. They
    are keyed by (store_id, product_id) and joined on the product's store, and the API sorts them
    (a product has few), so neither dialect's aggregate order matters.
    """
    attributes = _json_array_of(dialect, ProductAttribute, ("key", "value"))
    categories = _json_array_of(dialect, ProductCategory, ("category_id",))
    column, type_ = _DETAIL_KEYS[key]
    stmt = select(Product.id, Product.name, Product.slug, Product.status, Product.price_min, Product.price_max,
                  Product.created_at, Product.updated_at, Product.description, Product.tax_class,
                  Product.meta_title, Product.meta_description, Product.options, *_children_json(dialect),
                  cast(attributes, Text).label("attributes_json"), cast(categories, Text).label("categories_json"),
                  ).where(column == bindparam(DETAIL_KEY, type_=type_))
    return stmt if only_status is None else stmt.where(Product.status == only_status)


async def variant_detail(session: AsyncSession, variant_id: int) -> VariantRead:
    row = (await session.execute(select(*_VARIANT_COLUMNS, _available_expression().label("available"))
                                 .where(ProductVariant.id == variant_id))).one_or_none()
    if row is None:
        raise NotFound(f"No variant with id {variant_id} in this store.")
    return variant_read(row, row.available)
