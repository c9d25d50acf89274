"""One place that imports every model, so metadata is complete for Alembic and the schema tests."""

from __future__ import annotations

import importlib

from sqlalchemy import MetaData

from kernel.db import Base

KERNEL_MODEL_MODULES = (
    "kernel.stores.models",
    "kernel.accounts.models",
    "kernel.events.models",
    "kernel.catalog.models",
    "kernel.inventory.models",
    "kernel.carts.models",
    "kernel.checkout.models",
    "kernel.orders.models",
    "kernel.mail.models",
    "kernel.audit.models",
    "kernel.plugins.models",
    "kernel.jobs.models",
)


def load_all_models() -> MetaData:
    for module in KERNEL_MODEL_MODULES:
        importlib.import_module(module)
    from kernel.plugins_loader import import_plugin_modules

    import_plugin_modules()
    return Base.metadata
