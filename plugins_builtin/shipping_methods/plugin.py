"""Hook implementations only; the logic is in :mod:`plugins_builtin.shipping_methods.service`."""

from __future__ import annotations

from plugin_sdk import hookimpl
from plugins_builtin.shipping_methods import service
from plugins_builtin.shipping_methods.settings import ShippingMethodsSettings


@hookimpl
def pyc_plugin_settings():
    return ShippingMethodsSettings


@hookimpl
def pyc_shipping_rates(cart, settings):
    return service.shipping_rates(cart, settings.get(service.PLUGIN_ID) or ShippingMethodsSettings())
