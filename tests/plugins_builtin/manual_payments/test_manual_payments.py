"""Manual payments: methods offered, instructions filled in, amounts formatted per currency."""

from __future__ import annotations

from plugin_sdk.types import Address, CartView, OrderView
from plugin_sdk.money import format_money
from plugins_builtin.manual_payments.service import create_payment, payment_methods
from plugins_builtin.manual_payments.settings import ManualPaymentsSettings


def cart(country: str) -> CartView:
    return CartView(currency="EUR", subtotal=0, lines=[], shipping_address=Address(country=country))


def test_methods_and_cod_countries():
    s = ManualPaymentsSettings(cash_on_delivery_countries=["de"])
    assert [m.code for m in payment_methods(cart("DE"), s)] == ["bank_transfer", "cash_on_delivery"]
    assert [m.code for m in payment_methods(cart("FR"), s)] == ["bank_transfer"]
    assert payment_methods(cart("DE"), ManualPaymentsSettings())[0].instructions == (
        "Please transfer the order total to our bank account, quoting your order number.")
    assert payment_methods(cart("DE"), ManualPaymentsSettings(bank_transfer_enabled=False,
                                                              cash_on_delivery_enabled=False)) == []


def test_instructions_carry_order_number_and_amount():
    s = ManualPaymentsSettings(bank_transfer_instructions="Pay {amount} ref {order_number}")
    order = OrderView(id=1, number="42", status="pending_payment", currency="KWD", total=12345)
    result = create_payment(order, "bank_transfer", 12345, s)
    assert result.status == "pending" and result.instructions == "Pay KWD12.345 ref 42"
    assert create_payment(order, "card", 1, s) is None


def test_amount_formatting_by_exponent():
    assert format_money(1234, "JPY") == "¥1,234"
    assert format_money(1234, "USD") == "$12.34"
    assert format_money(1234, "BHD") == "BHD1.234"
    assert format_money(1234, "EUR", "de_DE") == "12,34\xa0€"
