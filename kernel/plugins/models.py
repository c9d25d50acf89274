"""Which plugins each store uses, their settings, and the platform's defaults (secrets encrypted inside the JSON)."""

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
    # The plugin's ``settings_version`` the stored settings were written under (see PluginSettings).
    settings_version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")


class PlatformPluginSettings(TimestampMixin, Base):
    """A plugin's platform-wide settings: the default of every store that does not set a field itself.

    Not a tenant table: platform administrators write it, every store reads it.
    """

    __tablename__ = "platform_plugin_settings"

    plugin_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    settings_version: Mapped[int] = mapped_column(Integer, default=1)
