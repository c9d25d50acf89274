"""Stock: atomic adjustments with a ledger, reservations with expiry, low-stock events, concurrency."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from kernel.catalog.models import ProductVariant
from kernel.db import as_utc, store_session, utcnow
from kernel.events.models import OutboxEvent
from kernel.inventory.models import StockMovement, StockReservation
from kernel.inventory.service import OutOfStock, adjust_stock, available, release, reserve
from tests.support.makers_catalog import make_product


async def variant_of(factory, store, product) -> ProductVariant:
    async with factory.session(store) as session:
        return (await session.execute(select(ProductVariant).where(
            ProductVariant.product_id == product.id).order_by(ProductVariant.id))).scalars().first()


async def ledger_sum(factory, store, variant_id) -> int:
    async with factory.session(store) as session:
        return (await session.execute(select(func.coalesce(func.sum(StockMovement.quantity), 0)).where(
            StockMovement.variant_id == variant_id))).scalar_one()


async def test_adjustments_through_the_api_keep_the_ledger(client, factory):
    store = await factory.store()
    staff = await factory.staff(store, "staff")
    variant = await variant_of(factory, store, await make_product(factory, store, stock=5))
    url = f"/api/v1/stores/{store.slug}/inventory/{variant.id}"
    received = await client.post(f"{url}/adjustments", headers=staff.headers,
                                 json={"delta": 10, "reason": "received", "note": "PO 1"})
    assert received.status_code == 200, received.text
    assert received.json()["stock_on_hand"] == 15 and received.json()["available"] == 15
    refused = await client.post(f"{url}/adjustments", headers=staff.headers, json={"delta": -16, "reason": "lost"})
    assert refused.status_code == 409 and refused.json()["type"].endswith("/out-of-stock")
    for bad in ({"delta": 0, "reason": "lost"}, {"delta": 1, "reason": "stolen by aliens"},
                {"delta": 1, "reason": "received", "extra": 1}, {"delta": "many", "reason": "received"},
                {"delta": 1, "reason": "received", "note": "a\x00b"}):
        assert (await client.post(f"{url}/adjustments", headers=staff.headers, json=bad)).status_code == 422, bad
    moves = (await client.get(f"{url}/movements", headers=staff.headers, params={"limit": 1})).json()
    assert moves["items"][0]["quantity"] == 10 and moves["items"][0]["actor"] == f"user:{staff.user.id}"
    older = (await client.get(f"{url}/movements", headers=staff.headers,
                              params={"after": moves["next_cursor"]})).json()
    assert [m["reason"] for m in older["items"]] == ["initial"] and older["next_cursor"] is None
    assert await ledger_sum(factory, store, variant.id) == 15


async def test_untracked_and_backorder_variants(client, factory):
    store = await factory.store()
    manager = await factory.staff(store, "manager")
    variant = await variant_of(factory, store, await make_product(factory, store, stock=1))
    patch = await client.patch(f"/api/v1/stores/{store.slug}/variants/{variant.id}", headers=manager.headers,
                               json={"allow_backorder": True})
    assert patch.status_code == 200
    async with factory.session(store) as session:
        assert await adjust_stock(session, variant.id, -3, reason="sold") == -2
    await client.patch(f"/api/v1/stores/{store.slug}/variants/{variant.id}", headers=manager.headers,
                       json={"track_inventory": False})
    async with factory.session(store) as session:
        assert await adjust_stock(session, variant.id, -100, reason="sold") is None
        assert await available(session, variant.id) is None
    level = (await client.get(f"/api/v1/stores/{store.slug}/inventory/{variant.id}", headers=manager.headers)).json()
    assert level["available"] is None and level["track_inventory"] is False
    assert (await client.post(f"/api/v1/stores/{store.slug}/inventory/{variant.id}/adjustments",
                              headers=manager.headers, json={"delta": 1, "reason": "received"})).status_code == 409


async def test_low_stock_event_fires_when_crossing_the_threshold(factory):
    store = await factory.store()
    variant = await variant_of(factory, store, await make_product(factory, store, stock=10))
    async with factory.session(store) as session:
        (await session.get(ProductVariant, variant.id)).low_stock_threshold = 3
    async with factory.session(store) as session:
        await adjust_stock(session, variant.id, -5, reason="sold")  # 5: above
        await adjust_stock(session, variant.id, -2, reason="sold")  # 3: crosses
        await adjust_stock(session, variant.id, -1, reason="sold")  # 2: already below, no new event
        await adjust_stock(session, variant.id, 5, reason="received")  # 7: back above
        await adjust_stock(session, variant.id, -6, reason="sold")  # 1: crosses again
    async with factory.session(store) as session:
        events = (await session.execute(select(OutboxEvent).where(OutboxEvent.name == "stock.low")
                                        .order_by(OutboxEvent.id))).scalars().all()
    assert [e.payload["stock_on_hand"] for e in events] == [3, 1]
    assert events[0].payload["variant_id"] == variant.id and events[0].payload["threshold"] == 3


async def test_reservations_hold_stock_until_they_expire_or_are_released(factory):
    store = await factory.store()
    variant = await variant_of(factory, store, await make_product(factory, store, stock=5))
    async with factory.session(store) as session:
        await reserve(session, variant.id, 3, "cart-a", timedelta(minutes=10))
        assert await available(session, variant.id) == 2
        with pytest.raises(OutOfStock):
            await reserve(session, variant.id, 3, "cart-b", timedelta(minutes=10))
        await reserve(session, variant.id, 2, "cart-b", timedelta(minutes=10))
        assert await available(session, variant.id) == 0
        await reserve(session, variant.id, 1, "cart-a", timedelta(minutes=10))  # replaces cart-a's 3
        assert await available(session, variant.id) == 2
        await release(session, "cart-b")
        assert await available(session, variant.id) == 4
        await reserve(session, variant.id, 4, "cart-c", timedelta(microseconds=1))
    await asyncio.sleep(0.01)
    async with factory.session(store) as session:
        assert await available(session, variant.id) == 4, "expired reservations are ignored"
        await reserve(session, variant.id, 4, "cart-d")


async def test_every_hold_counts_however_it_is_written(factory):
    """Reads skip the hold lookup where a variant's ``reserved_until`` says none is live; the
    database keeps that bound, so a hold written past :func:`reserve` counts too."""
    store = await factory.store()
    variant = await variant_of(factory, store, await make_product(factory, store, stock=5))
    soon = utcnow() + timedelta(minutes=5)
    async with factory.session(store) as session:
        session.add(StockReservation(variant_id=variant.id, cart_ref="written-by-hand", quantity=2, expires_at=soon))
    async with factory.session(store) as session:
        assert await available(session, variant.id) == 3
        assert as_utc((await session.get(ProductVariant, variant.id)).reserved_until) == soon
        hold = (await session.execute(select(StockReservation))).scalar_one()
        hold.expires_at = soon + timedelta(minutes=10)  # moved later: the bound follows
    async with factory.session(store) as session:
        assert as_utc((await session.get(ProductVariant, variant.id)).reserved_until) == soon + timedelta(minutes=10)
        (await session.execute(select(StockReservation))).scalar_one().expires_at = utcnow() - timedelta(seconds=1)
    async with factory.session(store) as session:
        assert await available(session, variant.id) == 5, "an expired hold holds nothing"
        assert as_utc((await session.get(ProductVariant, variant.id)).reserved_until) == soon + timedelta(minutes=10), \
            "the bound never moves back"


@pytest.mark.postgres_only
async def test_fifty_concurrent_decrements_against_twenty(factory, sessionmaker):
    store = await factory.store()
    variant = await variant_of(factory, store, await make_product(factory, store, stock=20))

    async def buy(n: int) -> bool:
        try:
            async with store_session(sessionmaker, store.id) as session:
                await adjust_stock(session, variant.id, -1, reason="sold", note=f"buyer {n}")
            return True
        except OutOfStock:
            return False

    results = await asyncio.gather(*(buy(n) for n in range(50)))
    assert results.count(True) == 20 and results.count(False) == 30
    async with factory.session(store) as session:
        assert (await session.get(ProductVariant, variant.id)).stock_on_hand == 0
    assert await ledger_sum(factory, store, variant.id) == 0


@pytest.mark.postgres_only
async def test_concurrent_reservations_never_overbook(factory, sessionmaker):
    store = await factory.store()
    variant = await variant_of(factory, store, await make_product(factory, store, stock=10))

    async def hold(n: int) -> bool:
        try:
            async with store_session(sessionmaker, store.id) as session:
                await reserve(session, variant.id, 1, f"cart-{n}")
            return True
        except OutOfStock:
            return False

    results = await asyncio.gather(*(hold(n) for n in range(30)))
    assert results.count(True) == 10
    async with factory.session(store) as session:
        assert await available(session, variant.id) == 0


async def test_stock_cannot_overflow(factory):
    from kernel.errors import InvalidInput
    from kernel.inventory.service import MAX_STOCK

    store = await factory.store()
    variant = await variant_of(factory, store, await make_product(factory, store, stock=0))
    async with factory.session(store) as session:
        assert await adjust_stock(session, variant.id, MAX_STOCK, reason="received") == MAX_STOCK
    with pytest.raises(InvalidInput):
        async with factory.session(store) as session:
            await adjust_stock(session, variant.id, 1, reason="received")
