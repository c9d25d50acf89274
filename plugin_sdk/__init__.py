"""Everything a PyCommerce plugin imports, and the only thing: the SDK never imports the kernel.

    from plugin_sdk import hookimpl, PluginSettings, Secret, PluginContext
    from plugin_sdk.types import CartView, ShippingRate
    from plugin_sdk.db import Base, TenantMixin          # your own tables
    from plugin_sdk import deps                          # your routes' dependencies

See docs/plugins.md for the guide and every hook's signature.
"""

from __future__ import annotations

import pluggy

from plugin_sdk.blocking import run_blocking
from plugin_sdk.context import PluginContext
from plugin_sdk.info import PluginInfo
from plugin_sdk.settings import PluginSettings, Secret
from plugin_sdk.types import (Address, CartLineView, CartView, CustomerRef, Event, Money, OrderLineView, OrderTotals,
                              OrderView, PaymentMethod, PaymentResult, PaymentView, ShippingRate, StoreInfo, TaxLine)

hookimpl = pluggy.HookimplMarker("pycommerce")
"""Mark a function as a hook implementation: ``@hookimpl`` or ``@hookimpl(specname="pyc_...", trylast=True)``."""

__all__ = [
    "Address", "CartLineView", "CartView", "CustomerRef", "Event", "Money", "OrderLineView", "OrderTotals", "OrderView",
    "PaymentMethod", "PaymentResult",
    "PaymentView", "PluginContext", "PluginInfo", "PluginSettings", "Secret", "ShippingRate", "StoreInfo", "TaxLine",
    "hookimpl", "run_blocking",
]
