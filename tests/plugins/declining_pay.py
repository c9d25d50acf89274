"""Fixture plugin: a gateway that starts payments and then declines to capture them."""

from __future__ import annotations

from plugin_sdk import PaymentMethod, PaymentResult, hookimpl

PLUGIN_ID = "declining_pay"


@hookimpl
def pyc_payment_methods(store, cart):
    return [PaymentMethod(code="card", name="Card that bounces", plugin_id=PLUGIN_ID)]


@hookimpl
def pyc_create_payment(order, method, amount):
    return PaymentResult(status="authorized", reference=f"auth-{order.number}", amount=amount)


@hookimpl
def pyc_capture_payment(payment, amount):
    return PaymentResult(status="failed", reference=payment.reference, error="card_declined")
