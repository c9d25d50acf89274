"""The order state machine: every illegal transition refused (409), legal ones carry their effects."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from kernel.catalog.models import ProductVariant
from kernel.errors import Conflict
from kernel.events.models import OutboxEvent
from kernel.inventory.models import StockMovement
from kernel.orders.models import OrderStatus as S
from kernel.orders.states import TRANSITIONS, IllegalTransition, check_transition
from tests.support import shop


@pytest.mark.parametrize("current", list(S))
def test_machine_matrix(current):
    for target in S:
        if target in TRANSITIONS[current]:
            check_transition(current, target)
        else:
            with pytest.raises(IllegalTransition) as info:
                check_transition(current, target)
            assert isinstance(info.value, Conflict) and current.value in info.value.detail


async def order_in(client, factory, status: S):
    """A store with an order walked into ``status`` through the staff API."""
    store = await factory.store()
    await shop.standard_plugins(factory, store)
    v = await shop.variant(factory, store, price=1000, stock=5)
    order = await shop.buy(client, factory, store, variant_id=v.id, quantity=2)
    owner = await factory.staff(store, "owner")
    url, h = f"{shop.base(store)}/orders/{order['id']}", owner.headers
    total = order["total"]

    async def ok(r, code=200):
        assert r.status_code == code, r.text

    line_id = (await client.get(url, headers=h)).json()["lines"][0]["id"]
    if status in (S.paid, S.partially_fulfilled, S.fulfilled, S.completed, S.partially_refunded, S.refunded):
        await ok(await client.post(f"{url}/mark-paid", headers=h))
    if status == S.partially_fulfilled:
        await ok(await client.post(f"{url}/fulfilments", headers=h, json={"lines": [{"line_id": line_id, "quantity": 1}]}), 201)
    if status in (S.fulfilled, S.completed):
        await ok(await client.post(f"{url}/fulfilments", headers=h, json={}), 201)
    if status == S.completed:
        await ok(await client.post(f"{url}/transitions", headers=h, json={"to": "completed"}))
    if status == S.partially_refunded:
        await ok(await client.post(f"{url}/refunds", headers={**h, "Idempotency-Key": "r1"}, json={"amount": 100}), 201)
    if status == S.refunded:
        await ok(await client.post(f"{url}/refunds", headers={**h, "Idempotency-Key": "r1"}, json={"amount": total}), 201)
    if status == S.cancelled:
        await ok(await client.post(f"{url}/cancel", headers=h, json={"reason": "test"}))
    assert (await client.get(url, headers=h)).json()["status"] == status.value
    return store, v, url, h


@pytest.mark.parametrize("status", list(S))
async def test_illegal_transitions_refused_through_the_api(client, factory, status):
    store, v, url, h = await order_in(client, factory, status)
    before = (await client.get(url, headers=h)).json()
    for target in S:
        if target in TRANSITIONS[status]:
            continue
        r = await client.post(f"{url}/transitions", headers=h, json={"to": target.value})
        assert r.status_code == 409, (status, target, r.text)
        assert r.json()["type"].endswith("/illegal-transition")
        assert f"'{status.value}' cannot become '{target.value}'" in r.json()["detail"]
    after = (await client.get(url, headers=h)).json()
    assert after == before  # nothing changed, not even the timeline


async def test_cancellation_restocks_exactly(client, factory):
    store = await factory.store()
    await shop.standard_plugins(factory, store)
    a = await shop.variant(factory, store, stock=5)
    b = await shop.variant(factory, store, stock=7)
    cart = await shop.new_cart(factory, store)
    await client.post(f"{shop.base(store)}/carts/current/lines", json={"variant_id": b.id, "quantity": 3}, headers=cart)
    await shop.fill_checkout(client, store, cart, variant_id=a.id, quantity=2)
    order = (await shop.place(client, store, cart)).json()
    owner = await factory.staff(store, "owner")
    url = f"{shop.base(store)}/orders/{order['id']}"
    r = await client.post(f"{url}/cancel", headers=owner.headers, json={"reason": "Customer asked"})
    assert r.status_code == 200 and r.json()["status"] == "cancelled"
    assert r.json()["payments"][0]["status"] == "voided"
    async with factory.session(store) as session:
        for variant, start in ((a, 5), (b, 7)):
            assert (await session.get(ProductVariant, variant.id)).stock_on_hand == start
        moves = (await session.execute(select(StockMovement.variant_id, StockMovement.quantity, StockMovement.reason)
                                       .where(StockMovement.order_id == order["id"]).order_by(StockMovement.id))).all()
        assert sorted(moves) == sorted([(a.id, -2, "sold"), (b.id, -3, "sold"), (a.id, 2, "restock"), (b.id, 3, "restock")])
        names = (await session.execute(select(OutboxEvent.name).order_by(OutboxEvent.id))).scalars().all()
        assert names == ["order.placed", "order.cancelled"]
    # A second cancel is an illegal transition and restocks nothing more.
    r = await client.post(f"{url}/cancel", headers=owner.headers)
    assert r.status_code == 409
    async with factory.session(store) as session:
        assert (await session.get(ProductVariant, a.id)).stock_on_hand == 5


async def test_refunds_notes_and_idempotent_refund(client, factory):
    store, v, url, h = await order_in(client, factory, S.fulfilled)
    total = (await client.get(url, headers=h)).json()["total"]
    r = await client.post(f"{url}/notes", headers=h, json={"body": "Left at the door"})
    assert r.status_code == 201 and r.json()["kind"] == "note"
    first = await client.post(f"{url}/refunds", headers={**h, "Idempotency-Key": "ref-1"}, json={"amount": 300, "reason": "dent"})
    again = await client.post(f"{url}/refunds", headers={**h, "Idempotency-Key": "ref-1"}, json={"amount": 300, "reason": "dent"})
    assert first.status_code == again.status_code == 201 and first.json()["id"] == again.json()["id"]
    r = await client.post(f"{url}/refunds", headers={**h, "Idempotency-Key": "ref-2"}, json={"amount": total})
    assert r.status_code == 422  # more than what is left to refund
    r = await client.post(f"{url}/refunds", headers={**h, "Idempotency-Key": "ref-2"}, json={"amount": total - 300})
    assert r.status_code == 201
    detail = (await client.get(url, headers=h)).json()
    assert detail["status"] == "refunded" and detail["refunded_total"] == total
    assert [p["status"] for p in detail["payments"]] == ["refunded"]
    assert [x["amount"] for x in detail["refunds"]] == [300, total - 300]
    assert "note" in [t["kind"] for t in detail["timeline"]]


async def test_staff_roles_and_strangers(client, factory):
    store, v, url, h = await order_in(client, factory, S.pending_payment)
    staff = await factory.staff(store, "staff")
    assert (await client.get(url, headers=staff.headers)).status_code == 200
    stranger = await factory.user()
    assert (await client.get(url, headers=stranger.headers)).status_code == 404
    assert (await client.get(url)).status_code == 401
    listing = await client.get(f"{shop.base(store)}/orders", headers=h)
    assert [o["number"] for o in listing.json()] == [1]
    r = await client.post(f"{url}/fulfilments", headers=h, json={})
    assert r.status_code == 409 and "paid first" in r.json()["detail"]
