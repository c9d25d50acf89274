"""The ``plugin_data`` column of carts, orders, payments and customers: one JSON object per plugin id.

Deferred: the hot paths (add to cart, placement) never load it; a plugin reads and writes its
own namespace only, through its :class:`plugin_sdk.PluginContext` (:mod:`kernel.plugins.data`).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON
from sqlalchemy.orm import Mapped, mapped_column


def plugin_data_column() -> Mapped[dict[str, Any]]:
    return mapped_column(JSON, default=dict, server_default="{}", deferred=True)
