"""API shapes for plugins. Settings travel as plain objects validated by each plugin's own model."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class PluginInfoRead(BaseModel):
    """An installed plugin, as platform administrators see it."""

    id: str = Field(examples=["flat_rate_shipping"])
    distribution: str | None = Field(examples=["pycommerce-flat-rate"])
    version: str | None = Field(examples=["1.2.0"])
    hooks: list[str] = Field(examples=[["pyc_plugin_settings", "pyc_shipping_rates"]])
    always_on: bool = Field(description="A platform plugin: on for every store, cannot be disabled.",
                            examples=[False])
    enabled_in: list[str] = Field(description="Slugs of the stores where it is enabled.", examples=[["acme"]])


class StorePluginRead(BaseModel):
    """A plugin available to a store: whether it is on, its settings (secrets masked) and their form schema."""

    id: str = Field(examples=["flat_rate_shipping"])
    distribution: str | None = Field(examples=["pycommerce-flat-rate"])
    version: str | None = Field(examples=["1.2.0"])
    enabled: bool = Field(examples=[True])
    always_on: bool = Field(description="A platform plugin: always enabled.", examples=[False])
    settings: dict[str, Any] | None = Field(
        description="Current settings; secret fields show a mask, never their value.",
        examples=[{"rate": 495, "api_key": "••••••••"}])
    settings_schema: dict[str, Any] | None = Field(description="JSON schema of the settings form.")


class StorePluginEnable(BaseModel):
    """Enable a plugin; ``settings`` replaces its settings (secrets not sent again keep their value)."""

    model_config = ConfigDict(extra="forbid")

    settings: dict[str, Any] | None = Field(default=None, max_length=200,
                                            examples=[{"rate": 495, "api_key": "sk_live_…"}])


class SettingsSchemaRead(BaseModel):
    id: str = Field(examples=["flat_rate_shipping"])
    settings_schema: dict[str, Any] | None = Field(description="JSON schema of the settings, or null for none.")
