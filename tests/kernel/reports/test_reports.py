"""Reports: profit figures for a seeded set of orders match a hand computation."""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import update

from kernel.catalog.models import ProductVariant
from kernel.orders.models import Order
from tests.support import shop

TAX = {"rates": [{"country": "DE", "rate_bp": 1900, "name": "MwSt"}]}


async def order_of(client, factory, store, lines, placed_at, staff, *, paid=True, cancel=False):
    cart = await shop.new_cart(factory, store)
    for variant, qty in lines[1:]:
        await client.post(f"{shop.base(store)}/carts/current/lines", json={"variant_id": variant.id, "quantity": qty},
                          headers=cart)
    await shop.fill_checkout(client, store, cart, variant_id=lines[0][0].id, quantity=lines[0][1],
                             address=shop.DE_ADDRESS)
    order = (await shop.place(client, store, cart)).json()
    url = f"{shop.base(store)}/orders/{order['id']}"
    if paid:
        assert (await client.post(f"{url}/mark-paid", headers=staff.headers)).status_code == 200
    if cancel:
        assert (await client.post(f"{url}/cancel", headers=staff.headers)).status_code == 200
    async with factory.session(store) as session:
        await session.execute(update(Order).where(Order.id == order["id"]).values(placed_at=placed_at))
    return order


async def test_profit_figures_match_hand_computation(client, factory):
    store = await factory.store(currency="EUR", timezone="Europe/Berlin")
    await shop.standard_plugins(factory, store, tax=TAX)
    staff = await factory.staff(store, "manager")
    a = await shop.variant(factory, store, name="A", price=1000, cost=400, stock=100)
    b = await shop.variant(factory, store, name="B", price=2600, cost=1500, stock=100)
    c = await shop.variant(factory, store, name="C", price=500, cost=None, stock=100)
    utc = timezone.utc
    await order_of(client, factory, store, [(a, 2), (b, 1)], datetime(2026, 3, 2, 10, 0, tzinfo=utc), staff)
    # 23:30 UTC on the 2nd is 00:30 on the 3rd in Berlin: it belongs to the 3rd.
    await order_of(client, factory, store, [(c, 1)], datetime(2026, 3, 2, 23, 30, tzinfo=utc), staff)
    await order_of(client, factory, store, [(a, 3)], datetime(2026, 3, 10, 9, 0, tzinfo=utc), staff)
    await order_of(client, factory, store, [(b, 1)], datetime(2026, 3, 3, 9, 0, tzinfo=utc), staff, paid=False)
    await order_of(client, factory, store, [(a, 1)], datetime(2026, 3, 4, 9, 0, tzinfo=utc), staff, paid=False, cancel=True)
    await order_of(client, factory, store, [(b, 1)], datetime(2026, 4, 1, 9, 0, tzinfo=utc), staff)
    # Later catalog changes do not move history.
    async with factory.session(store) as session:
        (await session.get(ProductVariant, a.id)).cost = 9999
        (await session.get(ProductVariant, b.id)).price = 1

    url = f"{shop.base(store)}/reports"
    r = await client.get(f"{url}/sales", params={"start": "2026-03-01", "end": "2026-04-30", "bucket": "month"},
                         headers=staff.headers)
    assert r.status_code == 200, r.text
    body = r.json()
    # Hand computation (pending and cancelled orders excluded):
    # revenue 4600 + 500 + 3000 + 2600 = 10700; cogs 2300 + 0 + 1200 + 1500 = 5000; profit 5700; 53.27 %
    # paid: 6069 + 1190 + 4165 + 3689 = 15113 (lines + 5.00 shipping + 19 % on both); AOV 15113 / 4 = 3778.25
    assert body["totals"] == {"orders": 4, "gross_sales": 15113, "revenue": 10700, "shipping": 2000,
                              "tax": 969 + 190 + 665 + 589, "refunds": 0, "cogs": 5000, "gross_profit": 5700,
                              "margin_bp": 5327, "average_order_value": 3778}
    assert [(b_["start"], b_["orders"], b_["revenue"], b_["gross_profit"]) for b_ in body["buckets"]] == [
        ("2026-03-01", 3, 8100, 4600), ("2026-04-01", 1, 2600, 1100)]
    days = (await client.get(f"{url}/sales", params={"start": "2026-03-01", "end": "2026-04-30"},
                             headers=staff.headers)).json()["buckets"]
    assert [(d["start"], d["revenue"]) for d in days] == [
        ("2026-03-02", 4600), ("2026-03-03", 500), ("2026-03-10", 3000), ("2026-04-01", 2600)]
    weeks = (await client.get(f"{url}/sales", params={"start": "2026-03-01", "end": "2026-04-30", "bucket": "week"},
                              headers=staff.headers)).json()["buckets"]
    assert [(w["start"], w["orders"]) for w in weeks] == [("2026-03-02", 2), ("2026-03-09", 1), ("2026-03-30", 1)]
    march = (await client.get(f"{url}/sales", params={"start": "2026-03-03", "end": "2026-03-31"},
                              headers=staff.headers)).json()["totals"]
    assert (march["orders"], march["revenue"]) == (2, 3500)

    top = (await client.get(f"{url}/top-products", params={"start": "2026-03-01", "end": "2026-04-30"},
                            headers=staff.headers)).json()
    assert [(p["name"], p["units"], p["revenue"], p["cogs"], p["gross_profit"]) for p in top] == [
        ("B", 2, 5200, 3000, 2200), ("A", 5, 5000, 2000, 3000), ("C", 1, 500, 0, 500)]
    top = (await client.get(f"{url}/top-products", params={"start": "2026-03-01", "end": "2026-04-30", "by": "profit",
                                                           "limit": 2}, headers=staff.headers)).json()
    assert [p["name"] for p in top] == ["A", "B"] and top[0]["margin_bp"] == 6000

    r = await client.get(f"{url}/sales", params={"start": "2026-03-10", "end": "2026-03-01"}, headers=staff.headers)
    assert r.status_code == 422
