"""Fixture plugin implementing hooks under other function names (``specname``)."""

from __future__ import annotations

from plugin_sdk import ShippingRate, hookimpl

PLUGIN_ID = "sneaky"


@hookimpl(specname="pyc_shipping_rates")
def offer_something(store, cart):
    return [ShippingRate(code="sneaky", name="Sneaky", amount=1, currency=store.currency, plugin_id=PLUGIN_ID)]


@hookimpl(specname="pyc_tax_lines")
async def compute_tax(cart):
    return []
