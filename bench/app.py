"""The benchmark's app: the real application plus one bare endpoint, the in-run "limit".

The bare endpoint goes through the same stack (uvicorn, middleware, the request's
session and transaction, store resolution with row-level security) and returns 20 rows
from one indexed query (the product list's default order) with a typed response model, but skips authentication and the
catalog's joins: what the machine can do for a 20-row list, measured in the same run.
"""

from __future__ import annotations

from pydantic import BaseModel
from sqlalchemy import select

from kernel.app import create_app
from kernel.catalog.models import Product
from kernel.deps import SessionDep, StoreDep
from kernel.routing import KernelRouter


class BareRow(BaseModel):
    id: int
    name: str
    slug: str
    price_min: int


router = KernelRouter()


# Built once, as the hot statements of the app are: the limit is the stack at its best.
_NEWEST_20 = (select(Product.id, Product.name, Product.slug, Product.price_min)
              .order_by(Product.created_at.desc(), Product.id.desc()).limit(20))


@router.get("/bench/stores/{store_slug}/bare")
async def bare(store: StoreDep, session: SessionDep) -> list[BareRow]:
    rows = (await session.execute(_NEWEST_20)).all()
    return [BareRow(id=r.id, name=r.name, slug=r.slug, price_min=r.price_min) for r in rows]


def create_bench_app(settings=None):
    app = create_app(settings)
    app.include_router(router)
    return app
