"""Rate computation, pure: which zone a country falls in, then each enabled method's price there."""

from __future__ import annotations

from plugin_sdk.types import CartView, ShippingRate
from plugins_builtin.shipping_methods.settings import ShippingMethod, ShippingMethodsSettings, Zone

PLUGIN_ID = "shipping_methods"


def zone_for(settings: ShippingMethodsSettings, country: str) -> Zone | None:
    country = country.upper()
    for zone in settings.zones:
        if country in zone.countries:
            return zone
    for zone in settings.zones:
        if "*" in zone.countries:
            return zone
    return None


def method_price(method: ShippingMethod, *, subtotal: int, weight_grams: int) -> int | None:
    """The method's price for this cart, or ``None`` when the cart is too heavy for every bracket."""
    if method.weight_brackets:
        price = next((b.price for b in method.weight_brackets if weight_grams <= b.max_grams), None)
        if price is None:
            return None
    else:
        price = method.price
    if method.free_shipping_threshold is not None and subtotal >= method.free_shipping_threshold:
        return 0
    return price


def shipping_rates(cart: CartView, settings: ShippingMethodsSettings) -> list[ShippingRate]:
    """Rates for the cart's shipping address; none until the shopper has given a country."""
    address = cart.shipping_address
    if address is None or not address.country:
        return []
    zone = zone_for(settings, address.country)
    if zone is None:
        return []
    rates = []
    for method in zone.methods:
        if not method.enabled:
            continue
        price = method_price(method, subtotal=cart.subtotal, weight_grams=cart.total_weight_grams)
        if price is not None:
            rates.append(ShippingRate(code=method.code, name=method.name, amount=price, currency=cart.currency,
                                      delivery_estimate=method.delivery_time, plugin_id=PLUGIN_ID))
    return rates
