"""Hook implementations only; the logic is in :mod:`plugins_builtin.shipping_methods.service`."""

from __future__ import annotations

from plugin_sdk import PluginInfo, hookimpl
from plugins_builtin.shipping_methods import service
from plugins_builtin.shipping_methods.settings import ShippingMethodsSettings

pyc_plugin_info = PluginInfo(description="Standard, express and premium shipping priced per zone and weight.",
                             category="shipping", kernel=">=0.1")


@hookimpl
def pyc_plugin_settings():
    return ShippingMethodsSettings


@hookimpl
def pyc_shipping_rates(cart, settings):
    return service.shipping_rates(cart, settings)
