"""Per-store hooks: enabled plugins answer, disabled ones stay silent, caches follow the store's version."""

from __future__ import annotations

from kernel.plugins import configure_plugin, disable_plugin, enable_plugin, store_hooks
from kernel.stores.service import get_store
from kernel.tenancy import StoreContext
from plugin_sdk.types import CartView


async def context(factory, store) -> StoreContext:
    async with factory.session(None) as session:
        return StoreContext.of(await get_store(session, store.slug))


def cart(currency="USD") -> CartView:
    return CartView(currency=currency, lines=[], subtotal=0)


async def hooks_of(factory, store):
    ctx = await context(factory, store)
    async with factory.session(store) as session:
        return await store_hooks(session, ctx)


async def test_enabled_plugin_answers_only_in_its_store(factory, greeter):
    a, b = await factory.store(), await factory.store()
    async with factory.session(a) as session:
        await enable_plugin(session, "greeter", {"greeting": "hi A"})
    results_a = await (await hooks_of(factory, a)).call_all("pyc_shipping_rates", cart=cart())
    results_b = await (await hooks_of(factory, b)).call_all("pyc_shipping_rates", cart=cart())
    assert [(pid, [r.name for r in rates]) for pid, rates in results_a] == [("greeter", ["hi A"])]
    assert results_b == []


async def test_disabled_plugin_with_specname_impls_is_silent(factory, sneaky):
    a, b = await factory.store(), await factory.store()
    async with factory.session(a) as session:
        await enable_plugin(session, "sneaky")
    async with factory.session(b) as session:
        await enable_plugin(session, "sneaky")
        await disable_plugin(session, "sneaky")
    hooks_a, hooks_b = await hooks_of(factory, a), await hooks_of(factory, b)
    assert [pid for pid, _ in await hooks_a.call_all("pyc_shipping_rates", cart=cart())] == ["sneaky"]
    assert await hooks_a.first_result("pyc_tax_lines", cart=cart(), shipping=None) == ("sneaky", [])
    assert await hooks_b.call_all("pyc_shipping_rates", cart=cart()) == []
    assert await hooks_b.first_result("pyc_tax_lines", cart=cart(), shipping=None) is None
    assert hooks_b.pyc_shipping_rates.get_hookimpls() == []


async def test_relay_follows_the_store_plugins_version(factory, greeter):
    store = await factory.store()
    first = await hooks_of(factory, store)
    assert first is await hooks_of(factory, store)  # cached while the version stays
    assert "greeter" not in first.enabled
    async with factory.session(store) as session:
        await enable_plugin(session, "greeter")
    second = await hooks_of(factory, store)
    assert "greeter" in second.enabled and second.settings.get("greeter").greeting == "hello"
    async with factory.session(store) as session:
        await configure_plugin(session, "greeter", {"greeting": "changed"})
    assert (await hooks_of(factory, store)).settings.get("greeter").greeting == "changed"
