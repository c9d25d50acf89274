"""Stock held for carts in checkout (a store's ``checkout_hold_minutes``): what other shoppers see,
hold, and can buy while a hold lasts, and how placing ends it."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select

from kernel.inventory.models import StockReservation
from tests.support import shop

CONTACT = {"email": "shopper@example.com", "shipping_address": shop.US_ADDRESS, "billing_same_as_shipping": True}
CHOICES = {"shipping_rate_id": "shipping_methods:standard", "payment_method_id": "manual_payments:bank_transfer"}


async def holding_store(factory, minutes: int = 15, *, stock: int = 3):
    store = await factory.store(checkout_hold_minutes=minutes)
    await shop.standard_plugins(factory, store)
    return store, await shop.variant(factory, store, stock=stock, name="Linen shirt")


async def cart_with(client, factory, store, variant_id: int, quantity: int) -> dict[str, str]:
    cart = await shop.new_cart(factory, store)
    r = await client.post(f"{shop.base(store)}/carts/current/lines", headers=cart,
                          json={"variant_id": variant_id, "quantity": quantity})
    assert r.status_code == 200, r.text
    return cart


async def checkout(client, store, cart, body=CONTACT):
    return await client.patch(f"{shop.base(store)}/carts/current/checkout", headers=cart, json=body)


async def stock_seen_by_staff(client, factory, store, variant_id: int) -> tuple[int, int]:
    """(on hand, available) as the staff product list and the inventory endpoint show them."""
    staff = await factory.staff(store, "staff")
    level = (await client.get(f"{shop.base(store)}/inventory/{variant_id}", headers=staff.headers)).json()
    page = (await client.get(f"{shop.base(store)}/products", headers=staff.headers)).json()
    listed = next(v for p in page["items"] for v in p["variants"] if v["id"] == variant_id)
    assert (listed["stock_on_hand"], listed["available"]) == (level["stock_on_hand"], level["available"])
    return level["stock_on_hand"], level["available"]


async def test_a_checkout_holds_its_lines_and_others_see_and_get_only_the_rest(client, factory):
    store, v = await holding_store(factory, stock=3)
    first = await cart_with(client, factory, store, v.id, 2)
    assert await stock_seen_by_staff(client, factory, store, v.id) == (3, 3), "a cart alone holds nothing"
    assert (await checkout(client, store, first)).status_code == 200
    assert await stock_seen_by_staff(client, factory, store, v.id) == (3, 1)

    second = await cart_with(client, factory, store, v.id, 2)  # the cart itself reads the stock on hand
    refused = await checkout(client, store, second)
    assert refused.status_code == 409 and refused.json()["type"].endswith("/out-of-stock")
    assert "Only 1 of 'Linen shirt' can be held" in refused.json()["detail"]
    unsaved = (await client.get(f"{shop.base(store)}/carts/current/checkout", headers=second)).json()
    assert unsaved["email"] is None, "a refused update saves nothing"

    line = (await client.get(f"{shop.base(store)}/carts/current", headers=second)).json()["lines"][0]["id"]
    await client.patch(f"{shop.base(store)}/carts/current/lines/{line}", headers=second, json={"quantity": 1})
    assert (await checkout(client, store, second)).status_code == 200
    assert await stock_seen_by_staff(client, factory, store, v.id) == (3, 0)

    assert (await checkout(client, store, first, CHOICES)).status_code == 200
    placed = await shop.place(client, store, first, key="first")
    assert placed.status_code == 201, placed.text
    assert await stock_seen_by_staff(client, factory, store, v.id) == (1, 0), "the order took its held units"
    async with factory.session(store) as session:
        holds = (await session.execute(select(StockReservation.cart_ref, StockReservation.quantity))).all()
    assert [h.quantity for h in holds] == [1], "placing ended the first cart's holds, not the second's"


async def test_a_placement_leaves_what_other_checkouts_hold(client, factory):
    store, v = await holding_store(factory, stock=3)
    late = await cart_with(client, factory, store, v.id, 1)
    assert (await checkout(client, store, late, {**CONTACT, **CHOICES})).status_code == 200  # holds 1
    early = await cart_with(client, factory, store, v.id, 2)
    assert (await checkout(client, store, early, {**CONTACT, **CHOICES})).status_code == 200  # holds 2
    line = (await client.get(f"{shop.base(store)}/carts/current", headers=late)).json()["lines"][0]["id"]
    raised = await client.patch(f"{shop.base(store)}/carts/current/lines/{line}", headers=late, json={"quantity": 2})
    assert raised.status_code == 200, "3 on hand: the cart allows 2"
    refused = await shop.place(client, store, late, key="late")
    assert refused.status_code == 409 and "other shoppers hold" in refused.json()["detail"]
    assert (await shop.place(client, store, early, key="early")).status_code == 201
    assert await stock_seen_by_staff(client, factory, store, v.id) == (1, 0)


async def test_a_guest_checkout_merged_at_sign_in_gives_its_holds_to_the_customer(client, factory):
    store, v = await holding_store(factory, stock=2)
    customer, auth = await shop.signed_in_customer(factory, store, "ada@example.com")
    mine = await shop.new_cart(factory, store, headers=auth, customer_id=customer.id)
    guest = await cart_with(client, factory, store, v.id, 2)
    assert (await checkout(client, store, guest)).status_code == 200  # the guest holds both
    merged = await client.get(f"{shop.base(store)}/carts/current", headers={**guest, **auth})
    assert merged.status_code == 200 and merged.json()["item_count"] == 2
    assert await stock_seen_by_staff(client, factory, store, v.id) == (2, 2), "the merged guest cart holds nothing"
    assert (await checkout(client, store, mine, {**CONTACT, **CHOICES})).status_code == 200
    assert (await shop.place(client, store, mine, key="signed-in")).status_code == 201


async def test_a_store_that_holds_nothing_sells_freely(client, factory):
    store, v = await holding_store(factory, minutes=0, stock=2)
    carts = [await cart_with(client, factory, store, v.id, 2) for _ in range(2)]
    for cart in carts:
        assert (await checkout(client, store, cart, {**CONTACT, **CHOICES})).status_code == 200
    assert await stock_seen_by_staff(client, factory, store, v.id) == (2, 2)
    assert (await shop.place(client, store, carts[1], key="b")).status_code == 201
    assert (await shop.place(client, store, carts[0], key="a")).status_code == 409


async def test_owners_set_the_hold_and_checkouts_follow_at_once(client, factory):
    store, v = await holding_store(factory, minutes=0, stock=3)
    cart = await cart_with(client, factory, store, v.id, 1)
    assert (await checkout(client, store, cart)).status_code == 200
    assert await stock_seen_by_staff(client, factory, store, v.id) == (3, 3)
    owner, manager = await factory.staff(store, "owner"), await factory.staff(store, "manager")
    url = f"/api/v1/stores/{store.slug}"
    for bad in (-1, 1441, "soon", 2.5):
        r = await client.patch(url, headers=owner.headers, json={"checkout_hold_minutes": bad})
        assert r.status_code == 422, (bad, r.text)
    assert (await client.patch(url, headers=manager.headers, json={"checkout_hold_minutes": 10})).status_code == 403
    r = await client.patch(url, headers=owner.headers, json={"checkout_hold_minutes": 20})
    assert r.status_code == 200 and r.json()["checkout_hold_minutes"] == 20
    assert (await client.get(url, headers=manager.headers)).json()["checkout_hold_minutes"] == 20
    assert (await checkout(client, store, cart)).status_code == 200
    assert await stock_seen_by_staff(client, factory, store, v.id) == (3, 2), "the next checkout update holds"


@pytest.mark.postgres_only
async def test_concurrent_checkouts_never_hold_more_than_there_is(client, factory):
    store, v = await holding_store(factory, stock=5)
    carts = [await cart_with(client, factory, store, v.id, 1) for _ in range(12)]
    answers = await asyncio.gather(*(checkout(client, store, cart) for cart in carts))
    assert sorted(a.status_code for a in answers) == [200] * 5 + [409] * 7
    async with factory.session(store) as session:
        held = (await session.execute(select(func.sum(StockReservation.quantity)))).scalar_one()
    assert held == 5
    assert await stock_seen_by_staff(client, factory, store, v.id) == (5, 0)


@pytest.mark.postgres_only
async def test_holders_placing_at_once_each_get_their_units_and_a_latecomer_none(client, factory):
    store, v = await holding_store(factory, stock=5)
    holders = [await cart_with(client, factory, store, v.id, 1) for _ in range(5)]
    for cart in holders:
        assert (await checkout(client, store, cart, {**CONTACT, **CHOICES})).status_code == 200
    store_now = f"/api/v1/stores/{store.slug}"
    owner = await factory.staff(store, "owner")
    assert (await client.patch(store_now, headers=owner.headers, json={"checkout_hold_minutes": 0})).status_code == 200
    latecomer = await cart_with(client, factory, store, v.id, 1)  # holds nothing now: the cart reads 5 on hand
    assert (await checkout(client, store, latecomer, {**CONTACT, **CHOICES})).status_code == 200
    assert (await client.patch(store_now, headers=owner.headers, json={"checkout_hold_minutes": 15})).status_code == 200
    placed = await asyncio.gather(*(shop.place(client, store, cart, key=f"k{i}")
                                    for i, cart in enumerate([latecomer, *holders])))
    assert [r.status_code for r in placed] == [409] + [201] * 5, [r.text for r in placed]
    assert await stock_seen_by_staff(client, factory, store, v.id) == (0, 0)
    async with factory.session(store) as session:
        assert (await session.execute(select(func.count()).select_from(StockReservation))).scalar_one() == 0
