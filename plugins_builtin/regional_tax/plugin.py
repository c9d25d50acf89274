"""Hook implementations only; the logic is in :mod:`plugins_builtin.regional_tax.service`."""

from __future__ import annotations

from plugin_sdk import hookimpl
from plugins_builtin.regional_tax import service
from plugins_builtin.regional_tax.settings import RegionalTaxSettings

PLUGIN_ID = "regional_tax"


@hookimpl
def pyc_plugin_settings():
    return RegionalTaxSettings


@hookimpl
def pyc_tax_lines(cart, shipping, settings):
    return service.tax_lines(cart, shipping, settings.get(PLUGIN_ID) or RegionalTaxSettings())
