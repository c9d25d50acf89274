"""Fixture plugin: a pluggy wrapper implementation, which the kernel refuses at registration."""

from __future__ import annotations

from plugin_sdk import hookimpl

PLUGIN_ID = "wrapping"


@hookimpl(wrapper=True)
def pyc_shipping_rates(cart):
    rates = yield
    return rates
