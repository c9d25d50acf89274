"""API shapes for plugins. Settings travel as plain objects validated by each plugin's own model."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


# What a plugin's settings form looks like: the JSON schema pydantic derives from its settings model.
SETTINGS_SCHEMA_EXAMPLE: dict[str, Any] = {
    "title": "FlatRateSettings", "type": "object",
    "properties": {
        "rate": {"title": "Rate", "type": "integer", "minimum": 0, "description": "Minor units."},
        "api_key": {"title": "Api Key", "type": "string", "format": "password", "writeOnly": True},
    },
    "required": ["rate"],
}


class PluginInfoRead(BaseModel):
    """An installed plugin, as platform administrators see it."""

    id: str = Field(examples=["flat_rate_shipping"])
    distribution: str | None = Field(examples=["pycommerce-flat-rate"])
    version: str | None = Field(examples=["1.2.0"])
    hooks: list[str] = Field(examples=[["pyc_plugin_settings", "pyc_shipping_rates"]])
    always_on: bool = Field(description="A platform plugin: on for every store, cannot be disabled.",
                            examples=[False])
    enabled_in: list[str] = Field(description="Slugs of the stores where it is enabled.", examples=[["acme"]])
    description: str = Field(examples=["Weight-based shipping rates."])
    category: str = Field(examples=["shipping"])
    homepage: str | None = Field(examples=["https://example.com/acme-post"])
    kernel_requirement: str = Field(description="Kernel versions it supports (PEP 440); empty: any.",
                                    examples=[">=0.1,<0.2"])
    settings_schema: dict[str, Any] | None = Field(description="JSON schema of its settings, or null for none.",
                                                   examples=[SETTINGS_SCHEMA_EXAMPLE])
    platform_settings: dict[str, Any] | None = Field(
        description="Platform-wide values set by administrators or the environment (secrets masked).",
        examples=[{"rate": 495}])


class PlatformPluginFailureRead(BaseModel):
    """An installed plugin left out at start-up: it failed to import or does not support this kernel."""

    id: str = Field(examples=["acme_post"])
    distribution: str = Field(examples=["acme-post"])
    error: str = Field(examples=["plugin 'acme_post' (distribution acme-post) requires kernel >=0.2, but this "
                                 "kernel is 0.1.0; it is not loaded"])


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
    settings_schema: dict[str, Any] | None = Field(description="JSON schema of the settings form.",
                                                   examples=[SETTINGS_SCHEMA_EXAMPLE])
    needs_attention: str | None = Field(
        default=None, description="Why the plugin is not running in this store although enabled: its settings "
                                  "no longer validate (after an upgrade, say). Fix them to bring it back.",
        examples=[None, "api_url: Field required"])


class StorePluginEnable(BaseModel):
    """Enable a plugin; ``settings`` replaces its settings (secrets not sent again keep their value)."""

    model_config = ConfigDict(extra="forbid")

    settings: dict[str, Any] | None = Field(default=None, max_length=200,
                                            examples=[{"rate": 495, "api_key": "sk_live_…"}])


class SettingsSchemaRead(BaseModel):
    id: str = Field(examples=["flat_rate_shipping"])
    settings_schema: dict[str, Any] | None = Field(description="JSON schema of the settings, or null for none.",
                                                   examples=[SETTINGS_SCHEMA_EXAMPLE])
