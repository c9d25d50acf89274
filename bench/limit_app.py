"""The limit: a bare endpoint on the same stack (FastAPI + SQLAlchemy async + psycopg + uvicorn).

It returns 20 rows from one indexed keyset query on the same seeded table, with
no tenancy, no auth and no plugins: what this machine can do at best, so the
project's own endpoints are measured as a fraction of it in the same run.
"""

from __future__ import annotations

import os
from contextlib import asynccontextmanager

from fastapi import FastAPI
from pydantic import BaseModel
from sqlalchemy import text

from kernel.db import create_engine_for


class Row(BaseModel):
    id: int
    name: str
    slug: str


@asynccontextmanager
async def lifespan(app: FastAPI):
    app.state.engine = create_engine_for(os.environ["BENCH_LIMIT_DATABASE_URL"], pool_size=20, max_overflow=0)
    yield
    await app.state.engine.dispose()


app = FastAPI(lifespan=lifespan)
QUERY = text("select id, name, slug from products where store_id = :store and id > :after order by id limit 20")


@app.get("/limit")
async def limit(store: int = 1, after: int = 0) -> list[Row]:
    async with app.state.engine.connect() as connection:
        rows = (await connection.execute(QUERY, {"store": store, "after": after})).all()
    return [Row(id=r.id, name=r.name, slug=r.slug) for r in rows]
