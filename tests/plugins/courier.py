"""Fixture plugin: nested settings (an object, a list of objects with a list inside) and a secret,
as a carrier integration would have; for the dashboard's generated settings form."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from plugin_sdk import PluginSettings, Secret, hookimpl


class Account(BaseModel):
    model_config = ConfigDict(extra="forbid")

    number: str = Field(min_length=4, max_length=20, description="Your customer number with the carrier.")
    sandbox: bool = False


class Depot(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100)
    countries: list[str] = Field(default_factory=list, max_length=50)
    pickup_fee: int = Field(default=0, ge=0, description="Minor units.")


class CourierSettings(PluginSettings):
    api_key: Secret | None = None
    account: Account = Field(default_factory=lambda: Account(number="0000"))
    depots: list[Depot] = Field(default_factory=list, max_length=10)


@hookimpl
def pyc_plugin_settings():
    return CourierSettings
