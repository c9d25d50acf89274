"""Hook implementations only; the logic is in :mod:`plugins_builtin.regional_tax.service`."""

from __future__ import annotations

from plugin_sdk import PluginInfo, hookimpl
from plugins_builtin.regional_tax import service
from plugins_builtin.regional_tax.settings import RegionalTaxSettings

pyc_plugin_info = PluginInfo(description="Tax rates per country, region and tax class.", category="tax",
                             kernel=">=0.1")


@hookimpl
def pyc_plugin_settings():
    return RegionalTaxSettings


@hookimpl
def pyc_tax_lines(cart, shipping, settings):
    return service.tax_lines(cart, shipping, settings)
