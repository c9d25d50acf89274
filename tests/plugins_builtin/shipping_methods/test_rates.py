"""Shipping rates: zones by country, weight brackets, free-shipping thresholds."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from plugin_sdk.types import Address, CartLineView, CartView
from plugins_builtin.shipping_methods.service import shipping_rates
from plugins_builtin.shipping_methods.settings import ShippingMethodsSettings

SETTINGS = ShippingMethodsSettings.model_validate({"zones": [
    {"name": "Germany", "countries": ["de"], "methods": [
        {"code": "standard", "name": "DHL Paket", "price": 490, "delivery_time": "2-3 days",
         "free_shipping_threshold": 5000},
        {"code": "express", "name": "DHL Express", "delivery_time": "next day",
         "weight_brackets": [{"max_grams": 5000, "price": 1990}, {"max_grams": 1000, "price": 990}]},
        {"code": "premium", "name": "Courier", "price": 4900, "enabled": False}]},
    {"name": "World", "countries": ["*"], "methods": [{"code": "standard", "name": "Intl", "price": 1500}]},
]})


def cart(country: str | None, *, subtotal: int = 1000, weight: int = 500) -> CartView:
    return CartView(currency="EUR", subtotal=subtotal,
                    shipping_address=Address(country=country) if country else None,
                    lines=[CartLineView(variant_id=1, product_id=1, sku="A", name="A", quantity=1,
                                        unit_price=subtotal, total=subtotal, weight_grams=weight)])


def offered(view: CartView) -> dict[str, int]:
    return {r.code: r.amount for r in shipping_rates(view, SETTINGS)}


def test_zone_and_brackets():
    assert offered(cart("DE", weight=800)) == {"standard": 490, "express": 990}
    assert offered(cart("DE", weight=3000)) == {"standard": 490, "express": 1990}
    assert offered(cart("DE", weight=9000)) == {"standard": 490}  # too heavy for every express bracket
    assert offered(cart("FR")) == {"standard": 1500}  # the rest-of-world zone
    rate = shipping_rates(cart("DE"), SETTINGS)[0]
    assert rate.plugin_id == "shipping_methods" and rate.delivery_estimate == "2-3 days" and rate.currency == "EUR"


def test_free_shipping_threshold():
    assert offered(cart("DE", subtotal=4999))["standard"] == 490
    assert offered(cart("DE", subtotal=5000))["standard"] == 0


def test_no_address_no_rates():
    assert offered(cart(None)) == {}


def test_settings_are_validated():
    with pytest.raises(ValidationError):
        ShippingMethodsSettings.model_validate({"zones": [{"name": "X", "countries": ["DE"], "methods": [
            {"code": "standard", "name": "A"}, {"code": "standard", "name": "B"}]}]})
    with pytest.raises(ValidationError):
        ShippingMethodsSettings.model_validate({"zones": [{"name": "X", "countries": ["DE"], "methods": [
            {"code": "teleport", "name": "A"}]}]})
    with pytest.raises(ValidationError):
        ShippingMethodsSettings.model_validate({"zones": [{"name": "X", "countries": ["DE"], "methods": [
            {"code": "standard", "name": "A", "price": -1}]}]})
