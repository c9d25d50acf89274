"""Offline payments: nothing is charged here. A payment starts 'pending' with instructions for the
shopper, and becomes 'captured' when staff mark the money as received."""

from __future__ import annotations

import re

from plugin_sdk.money import format_money
from plugin_sdk.types import CartView, OrderView, PaymentMethod, PaymentResult
from plugins_builtin.manual_payments.settings import ManualPaymentsSettings

PLUGIN_ID = "manual_payments"
BANK_TRANSFER = "bank_transfer"
CASH_ON_DELIVERY = "cash_on_delivery"


def _instructions(settings: ManualPaymentsSettings, method: str) -> str:
    return settings.bank_transfer_instructions if method == BANK_TRANSFER else settings.cash_on_delivery_instructions


def _preview(text: str) -> str:
    """Instructions as shown before the order exists (no number, total not final yet)."""
    text = text.replace("{order_number}", "").replace("{amount}", "the order total")
    return re.sub(r"\s+([.,;:])", r"\1", re.sub(r"  +", " ", text)).strip()


def payment_methods(cart: CartView, settings: ManualPaymentsSettings) -> list[PaymentMethod]:
    methods = []
    if settings.bank_transfer_enabled:
        methods.append(PaymentMethod(code=BANK_TRANSFER, name=settings.bank_transfer_name, plugin_id=PLUGIN_ID,
                                     instructions=_preview(_instructions(settings, BANK_TRANSFER))))
    country = cart.shipping_address.country.upper() if cart.shipping_address else ""
    if settings.cash_on_delivery_enabled and (
            not settings.cash_on_delivery_countries or country in settings.cash_on_delivery_countries):
        methods.append(PaymentMethod(code=CASH_ON_DELIVERY, name=settings.cash_on_delivery_name, plugin_id=PLUGIN_ID,
                                     instructions=_preview(_instructions(settings, CASH_ON_DELIVERY))))
    return methods


def create_payment(order: OrderView, method: str, amount: int, settings: ManualPaymentsSettings,
                   locale: str = "en_US") -> PaymentResult | None:
    if method not in (BANK_TRANSFER, CASH_ON_DELIVERY):
        return None
    text = _instructions(settings, method).replace("{order_number}", order.number).replace(
        "{amount}", format_money(amount, order.currency, locale))
    return PaymentResult(status="pending", reference=f"manual-{order.number}", amount=amount, instructions=text)


def capture_payment(amount: int) -> PaymentResult:
    """Staff confirmed the money arrived."""
    return PaymentResult(status="captured", amount=amount)


def refund_payment(amount: int) -> PaymentResult:
    """Staff pay the money back by hand; the record is what matters here."""
    return PaymentResult(status="refunded", amount=amount)
