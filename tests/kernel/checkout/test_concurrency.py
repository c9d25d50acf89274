"""No oversell and no duplicate orders under concurrency (PostgreSQL: real row locks)."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select

from kernel.catalog.models import ProductVariant
from kernel.inventory.models import StockMovement
from kernel.orders.models import Order, OrderLine
from tests.support import shop


async def ledger_invariants(factory, store, variant_id: int) -> tuple[int, int]:
    """Stock never negative and equal to the ledger's sum; returns (stock, units sold per ledger)."""
    async with factory.session(store) as session:
        stock = (await session.get(ProductVariant, variant_id)).stock_on_hand
        ledger = (await session.execute(select(func.coalesce(func.sum(StockMovement.quantity), 0))
                                        .where(StockMovement.variant_id == variant_id))).scalar_one()
        sold = (await session.execute(select(func.coalesce(func.sum(StockMovement.quantity), 0))
                                      .where(StockMovement.variant_id == variant_id,
                                             StockMovement.reason == "sold"))).scalar_one()
    assert stock >= 0 and stock == ledger
    return stock, -sold


async def shoppers_ready_to_place(client, factory, *, shoppers: int, stock: int, name: str):
    """A store with the standard plugins, one variant with ``stock``, and ``shoppers`` carts holding
    one unit each with a complete checkout; returns (store, variant, cart headers)."""
    store = await factory.store()
    await shop.standard_plugins(factory, store)
    v = await shop.variant(factory, store, stock=stock, name=name)
    carts = []
    for _ in range(shoppers):
        cart = await shop.new_cart(factory, store)
        await shop.fill_checkout(client, store, cart, variant_id=v.id)
        carts.append(cart)
    return store, v, carts


@pytest.mark.postgres_only
async def test_forty_shoppers_ten_units(client, factory):
    store, v, carts = await shoppers_ready_to_place(client, factory, shoppers=40, stock=10, name="Popular mug")
    responses = await asyncio.gather(*(shop.place(client, store, cart, key=f"k{i}") for i, cart in enumerate(carts)))
    codes = sorted(r.status_code for r in responses)
    assert codes == [201] * 10 + [409] * 30, codes
    refusals = [r.json() for r in responses if r.status_code == 409]
    assert all(p["type"].endswith("/out-of-stock") and ("sold out" in p["detail"] or "out of stock" in p["detail"])
               for p in refusals), refusals
    stock, sold = await ledger_invariants(factory, store, v.id)
    assert stock == 0 and sold == 10
    async with factory.session(store) as session:
        numbers = sorted((await session.execute(select(Order.number))).scalars().all())
    assert numbers == list(range(1, 11))  # refused for stock before numbering: 30 refusals skip no number


async def test_replayed_placement_makes_one_order(client, factory):
    store = await factory.store()
    await shop.standard_plugins(factory, store)
    v = await shop.variant(factory, store, stock=10)
    cart = await shop.new_cart(factory, store)
    await shop.fill_checkout(client, store, cart, variant_id=v.id, quantity=2)
    responses = [await shop.place(client, store, cart, key="same-key") for _ in range(5)]
    assert [r.status_code for r in responses] == [201] * 5
    assert len({r.json()["id"] for r in responses}) == 1
    assert [r.json() for r in responses[1:]] == [responses[0].json()] * 4
    assert responses[1].headers.get("idempotent-replayed") == "true"
    # Same key, different body: refused, and nothing changes.
    r = await shop.place(client, store, cart, key="same-key", body={"expected_total": 1})
    assert r.status_code == 422 and r.json()["type"].endswith("/idempotency-key-reused")
    # Without the key, the ordered cart cannot be ordered a second time either.
    r = await shop.place(client, store, cart)
    assert r.status_code == 409
    async with factory.session(store) as session:
        assert (await session.execute(select(func.count()).select_from(Order))).scalar_one() == 1
    assert await ledger_invariants(factory, store, v.id) == (8, 2)


@pytest.mark.postgres_only
async def test_concurrent_replays_make_one_order(client, factory):
    store = await factory.store()
    await shop.standard_plugins(factory, store)
    v = await shop.variant(factory, store, stock=10)
    cart = await shop.new_cart(factory, store)
    await shop.fill_checkout(client, store, cart, variant_id=v.id)
    responses = await asyncio.gather(*(shop.place(client, store, cart, key="burst") for _ in range(5)))
    assert [r.status_code for r in responses] == [201] * 5, [r.text for r in responses]
    assert len({r.json()["id"] for r in responses}) == 1
    async with factory.session(store) as session:
        assert (await session.execute(select(func.count()).select_from(Order))).scalar_one() == 1
    assert await ledger_invariants(factory, store, v.id) == (9, 1)


@pytest.mark.postgres_only
async def test_a_line_added_while_placing_waits_for_the_cart_is_in_the_order(client, factory):
    """Placing locks the cart, then works from the cart as it is under that lock: a change that
    committed while the placement waited is ordered (and charged), not silently dropped."""
    from sqlalchemy import update

    from kernel.carts.models import Cart, CartLine
    from kernel.security import token_digest

    store = await factory.store()
    await shop.standard_plugins(factory, store)
    first = await shop.variant(factory, store, stock=10, name="Mug")
    second = await shop.variant(factory, store, stock=10, name="Saucer", price=700)
    cart_headers = await shop.new_cart(factory, store)
    await shop.fill_checkout(client, store, cart_headers, variant_id=first.id)
    async with factory.session(store) as session:  # another writer holds the cart's row lock…
        cart_id = (await session.execute(select(Cart.id).where(
            Cart.token_digest == token_digest(cart_headers["X-Cart-Token"])))).scalar_one()
        await session.execute(update(Cart).where(Cart.id == cart_id).values(email="shopper@example.com"))
        placing = asyncio.create_task(shop.place(client, store, cart_headers, key="racing"))
        await asyncio.sleep(0.5)  # …while the placement has read the cart and waits for that lock
        assert not placing.done()
        session.add(CartLine(cart_id=cart_id, variant_id=second.id, quantity=1))
    response = await placing
    assert response.status_code == 201, response.text
    async with factory.session(store) as session:
        order = (await session.execute(select(Order).where(Order.id == response.json()["id"]))).scalar_one()
        skus = sorted(line.sku for line in (await session.execute(
            select(OrderLine).where(OrderLine.order_id == order.id))).scalars())
    assert len(skus) == 2
    assert response.json()["subtotal"] == 1000 + 700


async def test_placements_beyond_the_process_slots_wait_their_turn_and_all_succeed(app, client, factory):
    """``placement_concurrency`` queues placements instead of refusing them: with one slot, ten
    shoppers checking out at once all get their order, numbered without gaps."""
    store, v, carts = await shoppers_ready_to_place(client, factory, shoppers=10, stock=50, name="Queued mug")
    previous = app.state.settings.placement_concurrency, getattr(app.state, "placement_slots", None)
    app.state.settings.placement_concurrency, app.state.placement_slots = 1, None
    try:
        responses = await asyncio.gather(*(shop.place(client, store, c, key=f"q{i}") for i, c in enumerate(carts)))
    finally:
        app.state.settings.placement_concurrency, app.state.placement_slots = previous
    assert [r.status_code for r in responses] == [201] * 10
    assert sorted(r.json()["number"] for r in responses) == list(range(1, 11))
    stock, sold = await ledger_invariants(factory, store, v.id)
    assert (stock, sold) == (40, 10)
