"""Which plugins each store uses, and their settings (secrets encrypted inside the JSON)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kernel.db import Base, TenantMixin, TimestampMixin


class StorePlugin(TenantMixin, TimestampMixin, Base):
    """One row per (store, plugin) the store ever enabled or configured.

    ``settings`` holds the validated settings as JSON; secret fields are stored
    as ``{"__secret__": "<Fernet token>"}`` so key rotation can find and
    re-encrypt them even when the plugin that declared them is not installed.
    ``version`` counts changes of this row (optimistic concurrency, audit).
    """

    __tablename__ = "store_plugins"
    __table_args__ = (UniqueConstraint("store_id", "plugin_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plugin_id: Mapped[str] = mapped_column(String(100))
    enabled: Mapped[bool] = mapped_column(default=True)
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    version: Mapped[int] = mapped_column(Integer, default=1)
