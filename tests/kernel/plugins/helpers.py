"""Shared helpers for plugin tests: store contexts and per-store hooks through the real services."""

from __future__ import annotations

from contextlib import asynccontextmanager

import httpx
from asgi_lifespan import LifespanManager

from kernel.app import create_app

from kernel.plugins import enable_plugin, store_hooks
from kernel.stores.service import get_store
from kernel.tenancy import StoreContext
from plugin_sdk.types import CartLineView, CartView


async def context(factory, store) -> StoreContext:
    async with factory.session(None) as session:
        return StoreContext.of(await get_store(session, store.slug))


async def hooks_of(factory, store):
    ctx = await context(factory, store)
    async with factory.session(store) as session:
        return await store_hooks(session, ctx)


async def store_with(factory, plugin_id: str, settings: dict | None = None):
    store = await factory.store()
    async with factory.session(store) as session:
        await enable_plugin(session, plugin_id, settings)
    return store


def cart(subtotal: int = 1000, currency: str = "USD") -> CartView:
    line = CartLineView(variant_id=1, product_id=1, sku="SKU-1", name="Thing", quantity=1, unit_price=subtotal,
                        total=subtotal)
    return CartView(currency=currency, lines=[line], subtotal=subtotal)


@asynccontextmanager
async def app_client(settings):
    """A client of an application built now, so the plugins registered at this moment are mounted."""
    application = create_app(settings)
    async with LifespanManager(application), httpx.AsyncClient(
            transport=httpx.ASGITransport(app=application), base_url="http://testserver") as client:
        yield client
