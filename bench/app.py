"""The benchmark's app: the real application plus three bare endpoints, the in-run "limits".

All three go through the same stack (uvicorn, middleware, the request's session and transaction,
store resolution with row-level security) with typed models, and do the least their scenario
can be done with, as a bare FastAPI + SQLAlchemy service would do it:

* ``bare`` returns 20 rows from one indexed query (the product list's default order), skipping
  authentication and the catalog's joins: the limit for a 20-row list;
* ``bare add`` adds a unit to a cart with one ``INSERT … ON CONFLICT DO UPDATE`` and the commit,
  skipping the cart's checks (open, sellable, stock, quantity caps) and its priced answer: the
  limit for a write of one cart line.
"""

from __future__ import annotations

from fastapi import Header, Query
from pydantic import BaseModel, Field
from sqlalchemy import Integer, String, bindparam, func, literal_column, select
from sqlalchemy.dialects.postgresql import insert

from kernel.app import create_app
from kernel.carts.models import Cart, CartLine
from kernel.catalog import search
from kernel.catalog.models import Product
from kernel.db import bound_store_id, dialect_of
from kernel.deps import SessionDep, StoreDep
from kernel.errors import NotFound
from kernel.routing import KernelRouter
from kernel.security import token_digest


class BareRow(BaseModel):
    id: int
    name: str
    slug: str
    price_min: int


router = KernelRouter()


# Built once, as the hot statements of the app are: the limit is the stack at its best. Its LIMIT
# is written into the SQL, as the product list's is (kernel.catalog.queries._page_statement): with
# LIMIT $n PostgreSQL re-plans the prepared statement on every execution, PostgreSQL CPU that the
# list does not spend, so the limit would be slower than the stack at its best.
_NEWEST_20 = (select(Product.id, Product.name, Product.slug, Product.price_min)
              .order_by(Product.created_at.desc(), Product.id.desc())
              .limit(literal_column("20")))


@router.get("/bench/stores/{store_slug}/bare")
async def bare(store: StoreDep, session: SessionDep) -> list[BareRow]:
    rows = (await session.execute(_NEWEST_20)).all()
    return [BareRow(id=r.id, name=r.name, slug=r.slug, price_min=r.price_min) for r in rows]


_NEWEST_20_MATCHING = {dialect: _NEWEST_20.where(search.matching(dialect)) for dialect in ("postgresql", "sqlite")}


@router.get("/bench/stores/{store_slug}/bare-search")
async def bare_search(store: StoreDep, session: SessionDep, q: str = Query(max_length=200)) -> list[BareRow]:
    dialect = dialect_of(session)
    words = search.query_expression(dialect, q)
    if words is None:
        return []
    rows = (await session.execute(_NEWEST_20_MATCHING[dialect], {"fts": words, "fts_sid": store.id})).all()
    return [BareRow(id=r.id, name=r.name, slug=r.slug, price_min=r.price_min) for r in rows]


class BareAdd(BaseModel):
    variant_id: int = Field(ge=1)
    quantity: int = Field(ge=1, le=999)


class BareLine(BaseModel):
    id: int
    variant_id: int
    quantity: int


def _upsert_line():
    """One statement: the cart found by its token's digest gets ``quantity`` more of the variant."""
    carts, lines = Cart.__table__, CartLine.__table__
    now = func.now()
    found = select(carts.c.store_id, carts.c.id, bindparam("variant_id", type_=Integer),
                   bindparam("quantity", type_=Integer), now, now).where(
        carts.c.token_digest == bindparam("digest", type_=String), carts.c.store_id == bound_store_id())
    stmt = insert(lines).from_select(["store_id", "cart_id", "variant_id", "quantity", "created_at", "updated_at"],
                                     found)
    return stmt.on_conflict_do_update(
        index_elements=[lines.c.cart_id, lines.c.variant_id],
        set_={"quantity": lines.c.quantity + stmt.excluded.quantity, "updated_at": stmt.excluded.updated_at},
    ).returning(lines.c.id, lines.c.variant_id, lines.c.quantity)


_UPSERT_LINE = _upsert_line()


@router.post("/bench/stores/{store_slug}/bare-add")
async def bare_add(data: BareAdd, store: StoreDep, session: SessionDep,
                   x_cart_token: str = Header()) -> BareLine:
    row = (await session.execute(_UPSERT_LINE, {"digest": token_digest(x_cart_token), "variant_id": data.variant_id,
                                                "quantity": data.quantity})).one_or_none()
    if row is None:
        raise NotFound("No cart with this token in this store.")
    return BareLine(id=row.id, variant_id=row.variant_id, quantity=row.quantity)


def create_bench_app(settings=None):
    app = create_app(settings)
    app.include_router(router)
    return app
