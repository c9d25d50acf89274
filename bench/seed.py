"""Seed a PostgreSQL database for the load benchmark: 2 stores × 10,000 products × 3 variants.

Usage: python bench/seed.py  (env: BENCH_ADMIN_URL, default postgresql://postgres@127.0.0.1:5432/postgres;
BENCH_DB, default pyc_bench). Drops and recreates the database, migrates it as the owner, grants
the app role (pyc_bench_app, owns nothing, so row-level security applies as in production), bulk
inserts the catalog, builds the search index, and writes bench/results/targets.json with the
store slugs, a staff bearer token per store, and sample product ids and search words.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import sys
import time
from pathlib import Path

from sqlalchemy import create_engine, text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kernel import migrate  # noqa: E402
from kernel.catalog import search  # noqa: E402
from kernel.db import create_engine_for, make_sessionmaker, store_session, sync_url  # noqa: E402

ADMIN_URL = os.environ.get("BENCH_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
DB = os.environ.get("BENCH_DB", "pyc_bench")
APP_ROLE = "pyc_bench_app"
PRODUCTS, VARIANTS = 10_000, 3
RESULTS = Path(__file__).resolve().parent / "results"
ADJECTIVES = ["organic", "classic", "vintage", "striped", "linen", "woollen", "ceramic", "enamel", "travel",
              "graphic", "basic", "premium", "recycled", "slim", "relaxed", "heavy", "light", "soft"]
NOUNS = ["tee", "shirt", "hoodie", "mug", "sweater", "cap", "scarf", "sock", "bag", "bottle", "jacket", "apron"]
SIZES = ["S", "M", "L"]


def urls() -> tuple[str, str]:
    from sqlalchemy.engine import make_url

    admin = make_url(sync_url(ADMIN_URL))
    owner = admin.set(database=DB).render_as_string(hide_password=False)
    # A plain postgresql:// URL: the app picks its own driver, as in production.
    app = admin.set(drivername="postgresql", database=DB, username=APP_ROLE, password=None).render_as_string(hide_password=False)
    return owner, app


def recreate() -> None:
    engine = create_engine(sync_url(ADMIN_URL), isolation_level="AUTOCOMMIT")
    with engine.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{DB}" WITH (FORCE)'))
        c.execute(text(f'CREATE DATABASE "{DB}"'))
        if not c.execute(text("select 1 from pg_roles where rolname = :r"), {"r": APP_ROLE}).first():
            c.execute(text(f"CREATE ROLE {APP_ROLE} LOGIN NOSUPERUSER NOBYPASSRLS"))
    engine.dispose()


async def people(app_url: str, slugs: list[str]) -> dict[str, str]:
    """An owner per store through the real services; returns slug → bearer token."""
    from kernel.accounts.models import StaffRole
    from kernel.accounts.service import create_user, grant_role, start_session
    from kernel.stores.schemas import StoreCreate
    from kernel.stores.service import create_store

    engine = create_engine_for(app_url)
    factory = make_sessionmaker(engine)
    tokens = {}
    for slug in slugs:
        async with store_session(factory, None) as s:
            store = await create_store(s, StoreCreate(slug=slug, name=slug.title(), currency="USD"))
            user = await create_user(s, f"owner@{slug}.example", "bench-password-1")
            tokens[slug] = await start_session(s, user=user)
        async with store_session(factory, store.id) as s:
            await grant_role(s, user, StaffRole.owner)
    await engine.dispose()
    return tokens


def bulk_catalog(owner_url: str, slugs: list[str]) -> dict[str, list[int]]:
    rng = random.Random(42)
    engine = create_engine(sync_url(owner_url))
    ids: dict[str, list[int]] = {}
    with engine.begin() as c:
        for slug in slugs:
            store_id = c.execute(text("select id from stores where slug = :s"), {"s": slug}).scalar_one()
            rows = []
            for i in range(PRODUCTS):
                name = f"{rng.choice(ADJECTIVES).title()} {rng.choice(NOUNS).title()} {i}"
                rows.append({"store_id": store_id, "name": name, "slug": f"p-{i}",
                             "description": f"A {name.lower()} from the {slug} collection.",
                             "options": '[{"name": "Size", "values": ["S", "M", "L"]}]'})
            c.execute(text(
                "INSERT INTO products (store_id, name, slug, description, status, tax_class, options, price_min,"
                " price_max, created_at, updated_at) VALUES (:store_id, :name, :slug, :description, 'active',"
                " 'standard', CAST(:options AS json), 0, 0, now(), now())"), rows)
            product_ids = c.execute(text("select id from products where store_id = :s order by id"),
                                    {"s": store_id}).scalars().all()
            ids[slug] = list(product_ids)
            variants = []
            for pid in product_ids:
                base = rng.randrange(500, 20000)
                for v, size in enumerate(SIZES[:VARIANTS]):
                    variants.append({"store_id": store_id, "product_id": pid, "sku": f"{slug.upper()}-{pid}-{size}",
                                     "title": size, "position": v, "price": base + 100 * v,
                                     "stock": rng.randrange(0, 50), "option1": size})
            c.execute(text(
                "INSERT INTO product_variants (store_id, product_id, sku, title, position, price, weight_grams,"
                " track_inventory, allow_backorder, stock_on_hand, option1, created_at, updated_at) VALUES"
                " (:store_id, :product_id, :sku, :title, :position, :price, 200, true, false, :stock, :option1,"
                " now(), now())"), variants)
            c.execute(text(  # two photos a product, as a catalog has: the list's image URLs are part of its work
                "INSERT INTO product_images (store_id, product_id, position, alt, storage_key, thumbnail_key,"
                " content_type, width, height, size_bytes, created_at, updated_at)"
                " SELECT p.store_id, p.id, n, p.name, 'products/' || p.id || '-' || n || '.jpg',"
                " 'products/' || p.id || '-' || n || '-thumb.jpg', 'image/jpeg', 1200, 1200, 180000, now(), now()"
                " FROM products p CROSS JOIN generate_series(0, 1) AS n WHERE p.store_id = :s"), {"s": store_id})
            c.execute(text(
                "INSERT INTO stock_movements (store_id, variant_id, quantity, reason, note, actor, created_at)"
                " SELECT store_id, id, stock_on_hand, 'initial', '', 'bench', now() FROM product_variants"
                " WHERE store_id = :s AND stock_on_hand <> 0"), {"s": store_id})
        c.execute(text(
            "UPDATE products p SET price_min = v.lo, price_max = v.hi FROM (SELECT product_id, min(price) lo,"
            " max(price) hi FROM product_variants GROUP BY product_id) v WHERE v.product_id = p.id"))
        c.execute(text(
            "INSERT INTO product_search (product_id, store_id, document) SELECT p.id, p.store_id, "
            + search.postgres_document("p", "v.skus") +
            " FROM products p JOIN (SELECT product_id, string_agg(sku, ' ') skus FROM product_variants"
            " GROUP BY product_id) v ON v.product_id = p.id"
            " ON CONFLICT (product_id) DO UPDATE SET document = excluded.document"))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
        c.execute(text("VACUUM ANALYZE"))
    engine.dispose()
    return ids


def main() -> None:
    started = time.monotonic()
    owner_url, app_url = urls()
    recreate()
    migrate.upgrade(owner_url)
    migrate.grant_app_role(owner_url, APP_ROLE)
    slugs = ["bench-a", "bench-b"]
    tokens = asyncio.run(people(app_url, slugs))
    ids = bulk_catalog(owner_url, slugs)
    RESULTS.mkdir(exist_ok=True)
    rng = random.Random(7)
    targets = {"app_url": app_url, "stores": [
        {"slug": s, "token": tokens[s], "product_ids": rng.sample(ids[s], 200),
         "words": [f"{a} {n[:3]}" for a, n in zip(rng.choices(ADJECTIVES, k=50), rng.choices(NOUNS, k=50))]}
        for s in slugs]}
    (RESULTS / "targets.json").write_text(json.dumps(targets))
    print(f"seeded {len(slugs)} stores × {PRODUCTS} products × {VARIANTS} variants in "
          f"{time.monotonic() - started:.0f}s")


if __name__ == "__main__":
    main()
