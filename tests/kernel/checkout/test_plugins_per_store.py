"""Each store sees only what its own enabled plugins offer."""

from __future__ import annotations

from tests.support import shop

ONLY_STANDARD = {"zones": [{"name": "All", "countries": ["*"], "methods": [
    {"code": "standard", "name": "Standard", "price": 700, "delivery_time": "5 days"}]}]}
WITH_EXPRESS = {"zones": [{"name": "All", "countries": ["*"], "methods": [
    {"code": "standard", "name": "Standard", "price": 500},
    {"code": "express", "name": "Express", "price": 1500, "delivery_time": "tomorrow"}]}]}


async def test_store_a_express_and_tax_store_b_neither(client, factory):
    a = await factory.store()
    b = await factory.store()
    await shop.standard_plugins(factory, a, shipping=WITH_EXPRESS,
                                tax={"rates": [{"country": "US", "region": "CA", "rate_bp": 1000}]})
    await shop.enable(factory, b, "manual_payments", {"cash_on_delivery_enabled": False})
    await shop.enable(factory, b, "shipping_methods", ONLY_STANDARD)
    va = await shop.variant(factory, a, price=1000)
    vb = await shop.variant(factory, b, price=1000)

    cart_a = await shop.new_cart(factory, a)
    state_a = await shop.fill_checkout(client, a, cart_a, variant_id=va.id, rate="shipping_methods:express")
    assert [(r["id"], r["amount"]) for r in state_a["shipping_rates"]] == [
        ("shipping_methods:standard", 500), ("shipping_methods:express", 1500)]
    assert state_a["totals"]["tax_total"] == 100 + 150 and state_a["totals"]["total"] == 1000 + 1500 + 250

    cart_b = await shop.new_cart(factory, b)
    state_b = await shop.fill_checkout(client, b, cart_b, variant_id=vb.id)
    assert [(r["id"], r["amount"]) for r in state_b["shipping_rates"]] == [("shipping_methods:standard", 700)]
    assert [m["id"] for m in state_b["payment_methods"]] == ["manual_payments:bank_transfer"]
    assert state_b["tax_lines"] == [] and state_b["totals"]["total"] == 1700
    # B cannot pick A's express rate, nor a payment method it does not offer.
    for body in ({"shipping_rate_id": "shipping_methods:express"},
                 {"payment_method_id": "manual_payments:cash_on_delivery"}):
        r = await client.patch(f"{shop.base(b)}/carts/current/checkout", json=body, headers=cart_b)
        assert r.status_code == 422, r.text
    # A's cart token means nothing in B.
    r = await client.get(f"{shop.base(b)}/carts/current", headers=cart_a)
    assert r.status_code == 404


async def test_no_plugins_no_checkout(client, factory):
    store = await factory.store()
    v = await shop.variant(factory, store)
    cart = await shop.new_cart(factory, store)
    await client.post(f"{shop.base(store)}/carts/current/lines", json={"variant_id": v.id}, headers=cart)
    r = await client.patch(f"{shop.base(store)}/carts/current/checkout", headers=cart,
                           json={"email": "a@example.com", "shipping_address": shop.US_ADDRESS})
    state = r.json()
    assert not state["ready"]
    assert "No shipping method is available for this address." in state["problems"]
    assert "No payment method is available." in state["problems"]
    r = await shop.place(client, store, cart)
    assert r.status_code == 422 and r.json()["type"].endswith("/checkout-incomplete")
