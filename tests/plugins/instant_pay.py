"""Fixture plugin: a gateway that charges at once, so a placement is paid as it is placed."""

from __future__ import annotations

from plugin_sdk import PaymentMethod, PaymentResult, hookimpl

PLUGIN_ID = "instant_pay"


@hookimpl
def pyc_payment_methods(store, cart):
    return [PaymentMethod(code="card", name="Instant card", plugin_id=PLUGIN_ID)]


@hookimpl
async def pyc_create_payment(order, method, amount):
    return PaymentResult(status="captured", reference=f"instant-{order.number}", amount=amount)
