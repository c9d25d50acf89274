"""Everything a PyCommerce plugin imports, and the only thing.

    from plugin_sdk import hookimpl, PluginSettings, Secret
    from plugin_sdk.types import CartView, ShippingRate

See docs/plugins.md for the guide and every hook's signature.
"""

from __future__ import annotations

import pluggy

from plugin_sdk.settings import PluginSettings, Secret, StoreSettings
from plugin_sdk.types import (Address, CartLineView, CartView, Event, Money, OrderView, PaymentMethod, PaymentResult,
                              ShippingRate, StoreInfo, TaxLine)

hookimpl = pluggy.HookimplMarker("pycommerce")
"""Mark a function as a hook implementation: ``@hookimpl`` or ``@hookimpl(specname="pyc_...", trylast=True)``."""


def __getattr__(name: str):
    # Imported lazily: the ORM base pulls in SQLAlchemy, which settings-only plugins do not need.
    if name in ("TenantModel", "Base", "TenantMixin", "TimestampMixin"):
        from kernel import db

        return {"TenantModel": db.TenantMixin, "TenantMixin": db.TenantMixin, "Base": db.Base,
                "TimestampMixin": db.TimestampMixin}[name]
    if name in ("enqueue", "emit_event"):  # background work and domain events, in the caller's transaction
        from kernel.events import emit_event
        from kernel.jobs.queue import enqueue

        return {"enqueue": enqueue, "emit_event": emit_event}[name]
    if name == "StoreHooksDep":  # for plugin routes: the request store's hooks and settings
        from kernel.plugins.deps import StoreHooksDep

        return StoreHooksDep
    if name == "enable_tenant_rls":
        from kernel.db import enable_tenant_rls

        return enable_tenant_rls
    if name == "disable_tenant_rls":
        from kernel.db import disable_tenant_rls

        return disable_tenant_rls
    raise AttributeError(f"module 'plugin_sdk' has no attribute {name!r}")


__all__ = [
    "Address", "Base", "CartLineView", "CartView", "Event", "Money", "OrderView", "PaymentMethod", "PaymentResult",
    "PluginSettings", "Secret", "ShippingRate", "StoreHooksDep", "StoreInfo", "StoreSettings", "TaxLine", "TenantMixin",
    "TenantModel", "TimestampMixin", "disable_tenant_rls", "emit_event", "enable_tenant_rls", "enqueue", "hookimpl",
]
