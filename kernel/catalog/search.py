"""Full-text search, per dialect, and the denormalised product fields it and the listings rely on.

The index is kept from the service layer: every write that changes a product's name,
description, variants or prices calls :func:`refresh_products` in the same transaction,
so the index commits or rolls back with the change.

* SQLite: the FTS5 table ``product_search`` (rowid = product id), created in catalog_0002.
* PostgreSQL: the table ``product_search`` (tsvector ``document``, GIN-indexed), created in
  catalog_0002 (why a side table: see that migration). Its lexemes carry their store's id, and
  searches read it through the function ``pyc_product_search_matches``, which asks for the
  store's lexemes only (catalog_0006: why both).

Query syntax (documented in docs/catalog.md): the words of ``q`` (letters and digits;
everything else separates words) must all match in the name, description or a variant
SKU; the last word also matches as a prefix (search as you type: "organic te" finds
"Organic Tee"). No operators are interpreted, so user input can never
be a syntax error.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable

from sqlalchemy import Integer, bindparam, column, false, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from kernel.catalog.models import Product, ProductVariant
from kernel.db import dialect_of

MAX_TERMS = 10
_WORD = re.compile(r"[^\W_]+", re.UNICODE)


def terms(q: str) -> list[str]:
    return [t.lower() for t in _WORD.findall(q)][:MAX_TERMS]


def postgres_document(product: str, skus: str) -> str:
    """PostgreSQL: the SQL of a product's search entry: its name and its variants' SKUs (weight A)
    and its description (weight C), every lexeme carrying the store's id (migration catalog_0006).
    ``product`` names the ``products`` row, ``skus`` an SQL expression of the SKUs, space-separated."""
    return (f"pyc_store_lexemes({product}.store_id, setweight(to_tsvector('simple', {product}.name), 'A') || "
            f"setweight(to_tsvector('simple', coalesce({skus}, '')), 'A') || "
            f"setweight(to_tsvector('simple', {product}.description), 'C'))")


_DOCUMENT_OF_P = postgres_document("p", "(SELECT string_agg(v.sku, ' ') FROM product_variants v "
                                        "WHERE v.product_id = p.id AND v.store_id = p.store_id)")


async def refresh_products(session: AsyncSession, product_ids: Iterable[int]) -> None:
    """Recompute price_min/price_max and the full-text entry of these products (one batch)."""
    ids = sorted(set(product_ids))
    if not ids:
        return
    store_id = session.info["store_id"]
    prices = select(func.min(ProductVariant.price), func.max(ProductVariant.price)).where(
        ProductVariant.product_id == Product.id)
    await session.execute(
        update(Product).where(Product.id.in_(ids)).values(
            price_min=func.coalesce(prices.with_only_columns(func.min(ProductVariant.price)).scalar_subquery(), 0),
            price_max=func.coalesce(prices.with_only_columns(func.max(ProductVariant.price)).scalar_subquery(), 0),
        ).execution_options(synchronize_session=False))
    dialect = dialect_of(session)
    if dialect == "postgresql":
        await session.execute(text(
            "INSERT INTO product_search (product_id, store_id, document) "
            f"SELECT p.id, p.store_id, {_DOCUMENT_OF_P} "
            "FROM products p WHERE p.store_id = :sid AND p.id IN :ids "
            "ON CONFLICT (product_id) DO UPDATE SET document = excluded.document, store_id = excluded.store_id")
            .bindparams(bindparam("ids", expanding=True)), {"sid": store_id, "ids": ids})
    elif dialect == "sqlite":
        await forget_products(session, ids)
        await session.execute(text(
            "INSERT INTO product_search (rowid, name, description, skus, store_id) "
            "SELECT p.id, p.name, p.description, coalesce((SELECT group_concat(v.sku, ' ') "
            "  FROM product_variants v WHERE v.product_id = p.id AND v.store_id = p.store_id), ''), p.store_id "
            "FROM products p WHERE p.store_id = :sid AND p.id IN :ids").bindparams(bindparam("ids", expanding=True)),
            {"sid": store_id, "ids": ids})


async def forget_products(session: AsyncSession, product_ids: Iterable[int]) -> None:
    """Drop deleted products from the SQLite index (PostgreSQL's rows go by ON DELETE CASCADE)."""
    ids = sorted(set(product_ids))
    if ids and dialect_of(session) == "sqlite":
        await session.execute(text("DELETE FROM product_search WHERE rowid IN :ids AND store_id = :sid")
                              .bindparams(bindparam("ids", expanding=True)),
                              {"ids": ids, "sid": session.info["store_id"]})


def query_expression(dialect: str, q: str) -> str | None:
    """``q`` as the dialect's full-text query (a tsquery, or an FTS5 expression); None without words."""
    words = terms(q)
    if not words:
        return None
    if dialect == "postgresql":
        return " & ".join([*words[:-1], f"{words[-1]}:*"])
    return " AND ".join([*(f'"{w}"' for w in words[:-1]), f'"{words[-1]}"*'])


# PostgreSQL matches in a function of migration catalog_0006: it looks among the store's own
# lexemes, and keeps one plan for every search (so the page statement around it keeps one too)
# without a statement of its own.
_MATCHING_IDS = {
    "postgresql": ("SELECT id FROM pyc_product_search_matches(:fts_sid, :fts) AS matched (id)", "id"),
    "sqlite": ("SELECT rowid FROM product_search WHERE product_search MATCH :fts AND store_id = :fts_sid", "rowid"),
}


def _matching(dialect: str, **values) -> ColumnElement[bool]:
    sql, id_column = _MATCHING_IDS["postgresql" if dialect == "postgresql" else "sqlite"]
    ids = text(sql)
    if values:
        ids = ids.bindparams(**values)
    return Product.id.in_(ids.columns(column(id_column, Integer)))


@functools.cache
def matching(dialect: str) -> ColumnElement[bool]:
    """A WHERE clause on ``products``: the products matching bind parameters ``fts`` (a
    :func:`query_expression`) and ``fts_sid`` (the store), built once per dialect."""
    return _matching(dialect)


def match(session: AsyncSession, q: str) -> ColumnElement[bool]:
    """A WHERE clause on ``products`` selecting the products that match ``q``."""
    dialect = dialect_of(session)
    expression = query_expression(dialect, q)
    if expression is None:
        return false()
    return _matching(dialect, fts=expression, fts_sid=session.info["store_id"])
