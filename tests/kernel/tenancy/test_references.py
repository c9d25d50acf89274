"""References stay inside their store: a request body naming another store's object is refused
with nothing written, and on PostgreSQL no row of one store can point at a row of another."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.exc import IntegrityError

from kernel.catalog.models import Category, Product
from kernel.db import sync_url
from kernel.inventory.models import StockMovement
from kernel.migrate import PLAIN_ID_COLUMNS
from kernel.orders.models import Fulfilment, Order, OrderStatus, OrderTimelineEntry
from tests.support import makers_catalog, makers_orders, shop

REFUSED = {404, 422}


async def _two_stores(factory):
    a, b = await factory.store(), await factory.store()
    return a, b, (await factory.staff(a)).headers


async def _count(factory, store, model) -> int:
    async with factory.session(store) as session:
        return (await session.execute(select(func.count()).select_from(model))).scalar_one()


async def test_a_stock_adjustment_naming_another_stores_order_is_refused(client, factory):
    a, b, owner = await _two_stores(factory)
    variant = await shop.variant(factory, a, stock=5)
    b_order = int(await makers_orders._order(factory, b))
    before = await _count(factory, a, StockMovement)
    r = await client.post(f"/api/v1/stores/{a.slug}/inventory/{variant.id}/adjustments", headers=owner,
                          json={"delta": 2, "reason": "correction", "order_id": b_order})
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0]["loc"] == ["body", "order_id"]
    assert await _count(factory, a, StockMovement) == before
    r = await client.get(f"/api/v1/stores/{a.slug}/inventory/{variant.id}", headers=owner)
    assert r.json()["stock_on_hand"] == 5
    a_order = int(await makers_orders._order(factory, a))  # its own order is fine
    r = await client.post(f"/api/v1/stores/{a.slug}/inventory/{variant.id}/adjustments", headers=owner,
                          json={"delta": 2, "reason": "correction", "order_id": a_order})
    assert r.status_code == 200, r.text


async def test_a_fulfilment_naming_another_stores_order_line_is_refused(client, factory):
    a, b, owner = await _two_stores(factory)
    a_order = int(await makers_orders._order(factory, a))
    b_order = int(await makers_orders._order(factory, b))
    r = await client.get(f"/api/v1/stores/{b.slug}/orders/{b_order}", headers=(await factory.staff(b)).headers)
    b_line = r.json()["lines"][0]["id"]
    async with factory.session(a) as session:  # a paid order of A's: only the line it names is wrong
        (await session.get(Order, a_order)).status = OrderStatus.paid
    r = await client.post(f"/api/v1/stores/{a.slug}/orders/{a_order}/fulfilments", headers=owner,
                          json={"lines": [{"line_id": b_line, "quantity": 1}]})
    assert r.status_code in REFUSED, r.text
    assert await _count(factory, a, Fulfilment) == 0
    assert await _count(factory, b, Fulfilment) == 0


async def test_a_note_on_another_stores_order_is_refused(client, factory):
    a, b, owner = await _two_stores(factory)
    b_order = int(await makers_orders._order(factory, b))
    timeline_before = await _count(factory, b, OrderTimelineEntry)
    r = await client.post(f"/api/v1/stores/{a.slug}/orders/{b_order}/notes", headers=owner, json={"body": "mine now"})
    assert r.status_code == 404, r.text
    assert await _count(factory, b, OrderTimelineEntry) == timeline_before


async def test_a_product_naming_another_stores_category_is_refused(client, factory):
    a, b, owner = await _two_stores(factory)
    b_category = int(await makers_catalog._category(factory, b))
    r = await client.post(f"/api/v1/stores/{a.slug}/products", headers=owner,
                          json={"name": "Borrowed", "category_ids": [b_category]})
    assert r.status_code in REFUSED, r.text
    assert await _count(factory, a, Product) == 0


async def test_a_category_under_another_stores_category_is_refused(client, factory):
    a, b, owner = await _two_stores(factory)
    b_category = int(await makers_catalog._category(factory, b))
    r = await client.post(f"/api/v1/stores/{a.slug}/categories", headers=owner,
                          json={"name": "Stray", "parent_id": b_category})
    assert r.status_code in REFUSED, r.text
    assert await _count(factory, a, Category) == 0


async def test_adding_another_stores_variant_to_a_cart_is_refused(client, factory):
    a, b, _owner = await _two_stores(factory)
    b_variant = await shop.variant(factory, b)
    r = await client.post(f"/api/v1/stores/{a.slug}/carts", json={"lines": [{"variant_id": b_variant.id,
                                                                           "quantity": 1}]})
    assert r.status_code in REFUSED, r.text


# --- The database keeps references inside their store (PostgreSQL) --------------------------------

_REFERENCES = """select cl.relname, a.attname, con.contype, rf.relname,
       (select array_agg(x.attname order by x.attname) from pg_attribute x
         where x.attrelid = con.conrelid and x.attnum = any(con.conkey))
from pg_class cl
join pg_attribute a on a.attrelid = cl.oid and a.attnum > 0 and not a.attisdropped and a.attname like '%\\_id'
left join pg_constraint con on con.conrelid = cl.oid and con.contype = 'f' and a.attnum = any(con.conkey)
left join pg_class rf on rf.oid = con.confrelid
where cl.relnamespace = 'public'::regnamespace and cl.relkind = 'r' and a.attname <> 'store_id'
  and exists (select from pg_attribute s where s.attrelid = cl.oid and s.attname = 'store_id')"""


@pytest.mark.postgres_only
def test_every_reference_between_store_tables_carries_store_id(database):
    engine = create_engine(sync_url(database.owner_url))
    try:
        with engine.connect() as c:
            rows = c.execute(text(_REFERENCES)).all()
            store_tables = set(c.execute(text(
                "select attrelid::regclass::text from pg_attribute where attname = 'store_id'")).scalars())
    finally:
        engine.dispose()
    keys: dict[tuple[str, str], list[tuple[str, list[str]]]] = {}
    for table, column, kind, target, columns in rows:
        keys.setdefault((table, column), [])
        if kind == "f":
            keys[(table, column)].append((target, columns))
    plain = {ref for ref, fks in keys.items() if not fks}
    assert plain == set(PLAIN_ID_COLUMNS), "ids without a foreign key must be listed, with their reason"
    unscoped = sorted(ref for ref, fks in keys.items()
                      if any(target in store_tables for target, _ in fks)
                      and not any(target in store_tables and "store_id" in columns for target, columns in fks))
    assert not unscoped, f"references between store tables without store_id in their key: {unscoped}"


@pytest.mark.postgres_only
async def test_a_stock_movement_cannot_point_at_another_stores_order(factory, database):
    """Even written by the platform, past both other walls: the composite key refuses it."""
    from kernel.db import platform_factory, store_session

    a, b = await factory.store(), await factory.store()
    variant = await shop.variant(factory, a)
    b_order = int(await makers_orders._order(factory, b))
    with pytest.raises(IntegrityError, match="same_store_stock_movements_order_id"):
        async with store_session(platform_factory(factory.sessionmaker), a.id) as session:
            session.add(StockMovement(variant_id=variant.id, quantity=1, reason="correction", order_id=b_order))
