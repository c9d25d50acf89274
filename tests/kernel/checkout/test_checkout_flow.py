"""A shopper fills a cart and checks out through the API alone; the merchant sees the order."""

from __future__ import annotations

from sqlalchemy import func, select

from kernel.catalog.models import ProductVariant
from kernel.events.models import OutboxEvent
from kernel.inventory.models import StockMovement
from kernel.security import hash_password
from tests.support import shop
from tests.support.plugins import registered


async def test_guest_checkout_end_to_end(client, factory):
    store = await factory.store()
    await shop.standard_plugins(factory, store, tax={"rates": [{"country": "US", "region": "CA", "rate_bp": 725,
                                                                "name": "CA sales tax"}]})
    v = await shop.variant(factory, store, price=2000, cost=800, stock=5)
    cart = await shop.new_cart(factory, store)
    state = await shop.fill_checkout(client, store, cart, variant_id=v.id, quantity=2)
    assert state["ready"], state["problems"]
    assert {r["id"] for r in state["shipping_rates"]} == {
        "shipping_methods:standard", "shipping_methods:express", "shipping_methods:premium"}
    assert {m["id"] for m in state["payment_methods"]} == {
        "manual_payments:bank_transfer", "manual_payments:cash_on_delivery"}
    totals = state["totals"]
    # 2 x 20.00 + 5.00 shipping; 7.25 % on 40.00 = 2.90, on shipping 5.00 = 0.3625 -> 0.36
    assert totals == {"currency": "USD", "currency_exponent": 2, "subtotal": 4000, "discount_total": 0,
                      "shipping_total": 500, "tax_total": 290 + 36, "total": 4000 + 500 + 326,
                      "prices_include_tax": False}

    r = await shop.place(client, store, cart, key="guest-1", body={"expected_total": 4826})
    assert r.status_code == 201, r.text
    order = r.json()
    assert order["number"] == 1 and order["status"] == "pending_payment" and order["total"] == 4826
    assert order["payment"]["status"] == "pending"
    assert "$48.26" in order["payment"]["instructions"] and "order number 1." in order["payment"]["instructions"]

    owner = await factory.staff(store, "owner")
    detail = (await client.get(f"{shop.base(store)}/orders/{order['id']}", headers=owner.headers)).json()
    assert detail["lines"][0]["unit_cost"] == 800 and detail["lines"][0]["quantity"] == 2
    assert detail["cost_total"] == 1600 and detail["gross_profit"] == 4000 - 1600
    assert [t["kind"] for t in detail["timeline"]] == ["placed", "payment"]
    assert detail["tax_lines"] and sum(t["amount"] for t in detail["tax_lines"]) == 326
    async with factory.session(store) as session:
        assert (await session.get(ProductVariant, v.id)).stock_on_hand == 3
        moves = (await session.execute(select(StockMovement).where(StockMovement.variant_id == v.id)
                                       .order_by(StockMovement.id))).scalars().all()
        assert [(m.quantity, m.reason, m.order_id) for m in moves] == [(5, "received", None), (-2, "sold", order["id"])]
        events = (await session.execute(select(OutboxEvent.name))).scalars().all()
        assert events == ["order.placed"]

    # The cart is closed now: changes are refused clearly.
    r = await client.post(f"{shop.base(store)}/carts/current/lines", json={"variant_id": v.id}, headers=cart)
    assert r.status_code == 409 and "already been ordered" in r.json()["detail"]
    # Staff take the bank transfer, then ship.
    r = await client.post(f"{shop.base(store)}/orders/{order['id']}/mark-paid", headers=owner.headers)
    assert r.status_code == 200 and r.json()["status"] == "paid" and r.json()["paid_total"] == 4826
    r = await client.post(f"{shop.base(store)}/orders/{order['id']}/fulfilments", headers=owner.headers,
                          json={"carrier": "UPS", "tracking_number": "1Z999"})
    assert r.status_code == 201 and r.json()["tracking_number"] == "1Z999"
    detail = (await client.get(f"{shop.base(store)}/orders/{order['id']}", headers=owner.headers)).json()
    assert detail["status"] == "fulfilled" and detail["fulfilments"][0]["carrier"] == "UPS"
    async with factory.session(store) as session:
        names = (await session.execute(select(OutboxEvent.name).order_by(OutboxEvent.id))).scalars().all()
        assert names == ["order.placed", "order.paid", "payment.captured", "order.fulfilled"]


async def test_customer_checkout_end_to_end(client, factory):
    store = await factory.store(currency="EUR")
    await shop.standard_plugins(factory, store, tax={"prices_include_tax": True,
                                                     "rates": [{"country": "DE", "rate_bp": 1900, "name": "MwSt"}]})
    v = await shop.variant(factory, store, price=1190, cost=500, stock=3)
    customer, auth = await shop.signed_in_customer(factory, store, "kim@example.com", full_name="Kim",
                                                   password_hash=hash_password("pw-123456"))
    # A guest cart started before signing in is merged into the customer's cart on the first signed-in call.
    guest = await shop.new_cart(factory, store)
    r = await client.post(f"{shop.base(store)}/carts/current/lines", json={"variant_id": v.id}, headers=guest)
    assert r.status_code == 200
    state = await shop.fill_checkout(client, store, {**guest, **auth}, variant_id=v.id, address=shop.DE_ADDRESS,
                                     email="kim@example.com")
    assert state["cart"]["lines"][0]["quantity"] == 2
    # Prices include 19 % VAT: 23.80 contains 3.80; shipping 5.00 contains 0.80. The total adds no tax.
    assert state["totals"]["tax_total"] == 380 + 80 and state["totals"]["total"] == 2380 + 500
    r = await shop.place(client, store, auth, key="cust-1")  # signed in: no token needed any more
    assert r.status_code == 201, r.text
    owner = await factory.staff(store, "owner")
    detail = (await client.get(f"{shop.base(store)}/orders/{r.json()['id']}", headers=owner.headers)).json()
    assert detail["customer_id"] is not None and detail["prices_include_tax"] is True
    assert detail["lines"][0]["net_revenue"] == 2000 and detail["gross_profit"] == 2000 - 1000
    async with factory.session(store) as session:
        assert (await session.get(ProductVariant, v.id)).stock_on_hand == 1
        count = (await session.execute(select(func.count()).select_from(StockMovement)
                                       .where(StockMovement.reason == "sold"))).scalar_one()
        assert count == 1


async def test_a_gateway_that_charges_at_once_leaves_the_order_paid(client, factory):
    store = await factory.store()
    with registered("instant_pay"):
        await shop.standard_plugins(factory, store)
        await shop.enable(factory, store, "instant_pay")
        v = await shop.variant(factory, store, price=1500, stock=4)
        cart = await shop.new_cart(factory, store)
        await shop.fill_checkout(client, store, cart, variant_id=v.id, quantity=2, method="instant_pay:card")
        r = await shop.place(client, store, cart, key="instant")
        assert r.status_code == 201, r.text
        order = r.json()
        assert order["status"] == "paid"
        assert (order["payment"]["status"], order["payment"]["reference"]) == ("captured", "instant-1")
        owner = await factory.staff(store, "owner")
        detail = (await client.get(f"{shop.base(store)}/orders/{order['id']}", headers=owner.headers)).json()
    assert detail["paid_total"] == order["total"] == 3500  # 2 × 15.00 + 5.00 standard shipping
    assert [t["kind"] for t in detail["timeline"]] == ["placed", "payment", "status"]
    payment = detail["payments"][0]
    assert (payment["status"], payment["captured_amount"], payment["amount"]) == ("captured", 3500, 3500)
    async with factory.session(store) as session:
        names = (await session.execute(select(OutboxEvent.name).order_by(OutboxEvent.id))).scalars().all()
    assert names == ["order.placed", "order.paid", "payment.captured"]
