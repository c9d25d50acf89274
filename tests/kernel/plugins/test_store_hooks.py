"""Per-store hooks: enabled plugins answer, disabled ones stay silent, caches follow the store's version."""

from __future__ import annotations

from kernel.plugins import configure_plugin, disable_plugin, enable_plugin
from plugin_sdk.types import CartView
from tests.kernel.plugins.helpers import hooks_of


def cart() -> CartView:
    return CartView(currency="USD", lines=[], subtotal=0)


async def test_enabled_plugin_answers_only_in_its_store(factory, greeter):
    a, b = await factory.store(), await factory.store()
    async with factory.session(a) as session:
        await enable_plugin(session, "greeter", {"greeting": "hi A"})
    results_a = await (await hooks_of(factory, a)).shipping_rates(cart=cart())
    results_b = await (await hooks_of(factory, b)).shipping_rates(cart=cart())
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
    assert [pid for pid, _ in await hooks_a.shipping_rates(cart=cart())] == ["sneaky"]
    assert await hooks_a.tax_lines(cart=cart(), shipping=None) == ("sneaky", [])
    assert await hooks_b.shipping_rates(cart=cart()) == []
    assert await hooks_b.tax_lines(cart=cart(), shipping=None) is None
    assert hooks_b.relay.impls("pyc_shipping_rates") == []


async def test_relay_follows_the_store_plugins_version(factory, greeter):
    store = await factory.store()
    first = await hooks_of(factory, store)
    assert first.relay is (await hooks_of(factory, store)).relay  # cached while the version stays
    assert "greeter" not in first.enabled
    async with factory.session(store) as session:
        await enable_plugin(session, "greeter")
    second = await hooks_of(factory, store)
    assert "greeter" in second.enabled and second.settings_of("greeter").greeting == "hello"
    async with factory.session(store) as session:
        await configure_plugin(session, "greeter", {"greeting": "changed"})
    assert (await hooks_of(factory, store)).settings_of("greeter").greeting == "changed"


async def test_isolated_calls_skip_a_failing_plugin_and_say_which(factory, greeter, sneaky, caplog):
    store = await factory.store()
    async with factory.session(store) as session:
        await enable_plugin(session, "greeter")
        await enable_plugin(session, "sneaky")
    hooks = await hooks_of(factory, store)
    broken = CartView(currency="USD", lines=[], subtotal=0, email="explode@example.com")
    results = await hooks.shipping_rates(cart=broken)
    assert [pid for pid, _ in results] == ["sneaky"]
    assert "plugin greeter failed in pyc_shipping_rates for store " + store.slug in caplog.text


async def test_a_cached_relay_costs_no_query(factory, greeter):
    from sqlalchemy import event

    from kernel.plugins import store_hooks
    from tests.kernel.plugins.helpers import context

    store = await factory.store()
    ctx = await context(factory, store)
    engine = factory.sessionmaker.kw["bind"].sync_engine
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        if "store_plugins" in statement:
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        async with factory.session(store) as session:
            first = await store_hooks(session, ctx)
            assert len(statements) == 1  # the miss reads the store's rows once
            for _ in range(5):
                assert (await store_hooks(session, ctx)).relay is first.relay
        assert len(statements) == 1
    finally:
        event.remove(engine, "before_cursor_execute", count)
