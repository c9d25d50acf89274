"""Fixture plugin: settings with a secret, a store-scoped route, shipping rates and events."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import Field

from plugin_sdk import PluginSettings, Secret, ShippingRate, deps, hookimpl

PLUGIN_ID = "greeter"
received_events: list[tuple[int, str]] = []


class GreeterSettings(PluginSettings):
    greeting: str = "hello"
    rate: int = Field(default=500, ge=0)
    api_key: Secret | None = None


router = APIRouter(prefix="/api/v1/stores/{store_slug}/greeter")


@router.get("/ping", summary="Greeter ping")
async def ping(store_slug: str) -> dict[str, str]:
    return {"store": store_slug, "pong": "yes"}


@router.get("/greeting", summary="The store's greeting")
async def greeting(context: deps.ContextDep) -> dict[str, str]:
    return {"greeting": context.settings.greeting}


@hookimpl
def pyc_plugin_settings():
    return GreeterSettings


@hookimpl
def pyc_api_routers():
    return router


@hookimpl
async def pyc_shipping_rates(store, cart, settings):
    if cart.email == "explode@example.com":
        raise RuntimeError("greeter exploded on purpose")
    return [ShippingRate(code="greet", name=settings.greeting, amount=settings.rate, currency=store.currency,
                         plugin_id=PLUGIN_ID)]


@hookimpl
def pyc_on_event(store, event):
    received_events.append((store.id, event.name))
