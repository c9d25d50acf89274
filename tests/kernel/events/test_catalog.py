"""The event catalog tells the truth: every event in it is emitted by a real action with exactly the
documented payload and version, and docs/events.md is what the models render."""

from __future__ import annotations

from sqlalchemy import select

from kernel.events.catalog_doc import DOC, kernel_events, with_catalog
from kernel.events.models import OutboxEvent
from plugin_sdk.events import (CustomerCreated, Event, OrderCancelled, OrderFulfilled, OrderPaid, OrderPlaced,
                               OrderRefunded, PaymentCaptured, PaymentFailed, PaymentRefunded, ProductCreated,
                               ProductDeleted, ProductUpdated, StockLow)
from tests.support import shop
from tests.support.plugins import registered


def test_the_catalog_page_is_generated_from_the_payload_models():
    text = DOC.read_text()
    assert text == with_catalog(text), "docs/events.md is stale: run python -m kernel.events.catalog_doc"
    for model in kernel_events():
        assert f"### `{model.event_name}` (version {model.event_version})" in text
        undocumented = [name for name, field in model.model_fields.items() if not field.description]
        assert not undocumented, f"{model.event_name}: fields without a description: {undocumented}"


def test_a_payload_is_exactly_its_model_and_the_envelope_names_it():
    from datetime import datetime, timezone

    import pytest
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="Extra inputs are not permitted"):
        StockLow.model_validate({**StockLow.example().model_dump(), "note": "not in the catalog"})
    with pytest.raises(ValidationError, match="number"):  # an order number is a string, never an int
        OrderPaid.model_validate({**OrderPaid.example().model_dump(), "number": 1001})
    with pytest.raises(ValidationError, match="data is a OrderPlaced, not event 'order.paid' v1"):
        Event(id="e1", name="order.paid", version=1, store_id=1, occurred_at=datetime.now(timezone.utc),
              data=OrderPlaced.example())


async def _events(factory, store) -> list[Event]:
    """The store's outbox, each row parsed as a consumer receives it (by the catalog's model of its version)."""
    async with factory.session(store) as session:
        rows = (await session.execute(select(OutboxEvent).order_by(OutboxEvent.id))).scalars().all()
    return [Event.parse(id=r.event_id, name=r.name, version=r.version, store_id=r.store_id,
                        occurred_at=r.occurred_at, data=r.payload) for r in rows]


async def test_every_event_in_the_catalog_is_emitted_by_a_real_action(client, factory):
    store = await factory.store()
    owner = (await factory.staff(store, "owner")).headers
    url = shop.base(store)
    await shop.standard_plugins(factory, store)

    # The catalog: a product with a variant that warns at 3 units left, renamed, and (at the end) deleted.
    r = await client.post(f"{url}/products", headers=owner, json={
        "name": "Black tee", "status": "active",
        "variants": [{"sku": "TEE-BLK", "price": 2000, "initial_stock": 10, "low_stock_threshold": 3}]})
    assert r.status_code == 201, r.text
    product = r.json()
    variant_id = product["variants"][0]["id"]
    assert (await client.patch(f"{url}/products/{product['id']}", headers=owner,
                               json={"name": "Black tee, organic"})).status_code == 200

    # A shopper signs up.
    r = await client.post(f"{url}/customers/register", json={"email": "Ada@Example.com", "password": "pw-12345678x",
                                                             "full_name": "Ada"})
    assert r.status_code == 201, r.text
    customer_id = r.json()["customer"]["id"]

    # An order that takes stock below the threshold, is paid, shipped and partly refunded.
    placed = await shop.buy(client, factory, store, variant_id=variant_id, quantity=8)
    order_url = f"{url}/orders/{placed['id']}"
    assert (await client.post(f"{order_url}/mark-paid", headers=owner)).status_code == 200
    assert (await client.post(f"{order_url}/fulfilments", headers=owner,
                              json={"carrier": "UPS", "tracking_number": "1Z999"})).status_code == 201
    r = await client.post(f"{order_url}/refunds", headers={**owner, "Idempotency-Key": "catalog-refund"},
                          json={"amount": 500, "reason": "dent"})
    assert r.status_code == 201, r.text
    refund_id, refund_reference = r.json()["id"], r.json()["reference"]
    payment_reference = (await client.get(order_url, headers=owner)).json()["payments"][0]["reference"]

    # A second order is cancelled; a third's gateway declines the capture.
    cancelled = await shop.buy(client, factory, store, variant_id=variant_id)
    assert (await client.post(f"{url}/orders/{cancelled['id']}/cancel", headers=owner,
                              json={"reason": "Asked by phone"})).status_code == 200
    with registered("declining_pay"):
        await shop.enable(factory, store, "declining_pay")
        declined = await shop.buy(client, factory, store, variant_id=variant_id, method="declining_pay:card")
        r = await client.post(f"{url}/orders/{declined['id']}/mark-paid", headers=owner)
    assert r.status_code == 409 and r.json()["detail"] == "The payment gateway declined the capture: card_declined."
    detail = (await client.get(f"{url}/orders/{declined['id']}", headers=owner)).json()
    assert (detail["status"], detail["payments"][0]["status"]) == ("pending_payment", "failed")  # recorded

    assert (await client.delete(f"{url}/products/{product['id']}", headers=owner)).status_code == 204

    events = await _events(factory, store)
    assert {e.name for e in events} == {model.event_name for model in kernel_events()}
    assert all(e.version == 1 and e.store_id == store.id for e in events)
    by_name: dict[str, list] = {}
    for e in events:
        by_name.setdefault(e.name, []).append(e.data)

    total, number = placed["total"], str(placed["number"])
    payment_id = placed["payment"]["id"]
    assert by_name["product.created"] == [ProductCreated(product_id=product["id"], slug=product["slug"],
                                                         name="Black tee", status="active")]
    assert by_name["product.updated"] == [ProductUpdated(product_id=product["id"], slug=product["slug"],
                                                         name="Black tee, organic", status="active")]
    assert by_name["product.deleted"] == [ProductDeleted(product_id=product["id"], slug=product["slug"],
                                                         name="Black tee, organic")]
    assert by_name["customer.created"] == [CustomerCreated(customer_id=customer_id, email="ada@example.com",
                                                           full_name="Ada")]
    assert by_name["stock.low"] == [StockLow(variant_id=variant_id, product_id=product["id"], sku="TEE-BLK",
                                             stock_on_hand=2, threshold=3)]
    first_placed = by_name["order.placed"][0]
    assert first_placed == OrderPlaced(
        order_id=placed["id"], number=number, status="pending_payment", total=total, currency="USD",
        email="shopper@example.com", customer_id=None, subtotal=16000, discount_total=0,
        shipping_total=total - 16000, tax_total=0)
    assert len(by_name["order.placed"]) == 3
    assert by_name["order.paid"] == [OrderPaid(order_id=placed["id"], number=number, status="paid", total=total,
                                               currency="USD", payment_id=payment_id, amount=total)]
    assert by_name["payment.captured"] == [PaymentCaptured(
        payment_id=payment_id, order_id=placed["id"], order_number=number, plugin_id="manual_payments",
        method="bank_transfer", amount=total, currency="USD", reference=payment_reference)]
    assert by_name["order.fulfilled"] == [OrderFulfilled(order_id=placed["id"], number=number, status="fulfilled",
                                                         total=total, currency="USD", carrier="UPS",
                                                         tracking_number="1Z999")]
    assert by_name["order.refunded"] == [OrderRefunded(
        order_id=placed["id"], number=number, status="partially_refunded", total=total, currency="USD",
        refund_id=refund_id, amount=500, refunded_total=500, reason="dent")]
    assert by_name["payment.refunded"] == [PaymentRefunded(
        payment_id=payment_id, order_id=placed["id"], order_number=number, plugin_id="manual_payments",
        method="bank_transfer", amount=500, currency="USD", refund_id=refund_id, refunded_amount=500,
        reference=refund_reference)]
    assert by_name["order.cancelled"] == [OrderCancelled(
        order_id=cancelled["id"], number=str(cancelled["number"]), status="cancelled", total=cancelled["total"],
        currency="USD", reason="Asked by phone")]
    assert by_name["payment.failed"] == [PaymentFailed(
        payment_id=declined["payment"]["id"], order_id=declined["id"], order_number=str(declined["number"]),
        plugin_id="declining_pay", method="card", amount=declined["total"], currency="USD", error="card_declined")]


async def test_a_csv_import_writes_one_event_per_product_in_one_statement(client, factory):
    from sqlalchemy import event as sa_event
    from sqlalchemy.engine import Engine

    from tests.kernel.catalog.test_csv import catalog_rows, to_csv, upload

    store = await factory.store()
    manager = (await factory.staff(store, "manager")).headers
    outbox_inserts = []

    def count(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("INSERT INTO OUTBOX_EVENTS"):
            outbox_inserts.append(statement)

    rows = catalog_rows(40, "ev")  # 40 products, 100 variants
    sa_event.listen(Engine, "before_cursor_execute", count)
    try:
        assert (await upload(client, store, manager, to_csv(rows))).status_code == 200
        assert len(outbox_inserts) == 1
        for row in rows:
            row["Variant Price"] = "1.00"
        assert (await upload(client, store, manager, to_csv(rows))).status_code == 200
        assert len(outbox_inserts) == 2
    finally:
        sa_event.remove(Engine, "before_cursor_execute", count)
    events = await _events(factory, store)
    assert [e.name for e in events] == ["product.created"] * 40 + ["product.updated"] * 40
    assert sorted(e.data.slug for e in events[:40]) == sorted({r["Handle"] for r in rows})
