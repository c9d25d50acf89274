"""The plugin contract, version 1: own settings only, calling rules, wrappers, units of work, settings
layers and versions, compatibility, audit.

Each test names the promise of docs/plugins.md it checks.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import types
import uuid
from datetime import datetime, timezone

import pytest
import sqlalchemy as sa

from kernel import __version__ as KERNEL_VERSION
from kernel import hookspecs, migrate
from kernel.db import sync_url, tenant_rls_sql
from kernel.plugins import (IncompatiblePlugin, PluginStartupError, PluginTimedOut, build_plugin_manager,
                            deliver_event, enable_plugin, get_plugin_manager, register_plugin, store_hooks)
from kernel.plugins.discovery import PluginSource
from kernel.plugins.manager import PyCommercePluginManager
from kernel.plugins.settings import settings_models
from plugin_sdk import PluginInfo, hookimpl
from plugin_sdk.events import OrderPlaced
from plugin_sdk.types import Event, OrderView
from tests.kernel.plugins.helpers import app_client, cart, hooks_of, store_with
from tests.kernel.plugins.helpers import context as store_context
from tests.support import shop
from tests.support.databases import APP_ROLE, PLATFORM_LOGIN
from tests.support.plugins import registered

SECRET = "sk-greeter-not-for-spies-8d1f"


@pytest.fixture
def spy():
    with registered("spy") as module:
        module.seen.clear()
        yield module


@pytest.fixture
def unreliable():
    with registered("unreliable") as module:
        yield module


def faster(monkeypatch, hook: str, seconds: float) -> None:
    """The hook's time limit shortened, so a hanging plugin is cut quickly."""
    monkeypatch.setitem(hookspecs.RULES, hook, dataclasses.replace(hookspecs.RULES[hook], timeout=seconds))


# --- 1. Own settings only ---------------------------------------------------------------------


async def test_a_plugin_sees_its_own_secret_and_nobody_elses(factory, greeter, spy):
    store = await factory.store()
    async with factory.session(store) as session:
        await enable_plugin(session, "greeter", {"api_key": SECRET})
        await enable_plugin(session, "spy", {"own_secret": "spy-own-secret-1"})
    view, order = cart(), OrderView(id=1, number="1", status="pending_payment", currency="USD", total=1)
    ctx = await store_context(factory, store)
    async with factory.session(store) as session:
        hooks = await store_hooks(session, ctx)
        await hooks.shipping_rates(cart=view)
        await hooks.tax_lines(cart=view, shipping=None)
        await hooks.payment_methods(cart=view)
        await hooks.create_payment("spy", order=order, method="spy", amount=1, idempotency_key="k")
    async with factory.session(store) as session:
        await deliver_event(session, ctx, Event(id=str(uuid.uuid4()), name="order.placed", version=1,
                                                store_id=store.id, occurred_at=datetime.now(timezone.utc),
                                                data=OrderPlaced.example()))
    hooks_called = {hook for hook, _, _ in spy.seen}
    assert hooks_called == {"pyc_shipping_rates", "pyc_tax_lines", "pyc_payment_methods", "pyc_create_payment",
                            "pyc_on_event"}
    text = spy.everything_seen()
    assert "spy-own-secret-1" in text  # its own secret, decrypted
    assert SECRET not in text and "greeter" not in text.replace("greeter_", "")  # nothing of the other plugin
    contexts = [value for _, name, value in spy.seen if name == "context"]
    assert {c.plugin_id for c in contexts} == {"spy"} and all(c.settings.own_secret for c in contexts)


# --- 3. The calling rule lives in the contract ---------------------------------------------------------


@pytest.mark.parametrize("mode", ["raise", "hang"])
async def test_a_broken_shipping_plugin_leaves_checkout_working(client, factory, unreliable, mode, monkeypatch,
                                                                caplog):
    faster(monkeypatch, "pyc_shipping_rates", 0.3)
    store = await factory.store()
    await shop.standard_plugins(factory, store)
    await shop.enable(factory, store, "unreliable", {"mode": mode, "where": ["shipping"]})
    variant = await shop.variant(factory, store, price=1000)
    cart_headers = await shop.new_cart(factory, store)
    state = await shop.fill_checkout(client, store, cart_headers, variant_id=variant.id)
    assert [r["id"] for r in state["shipping_rates"]] and all(
        r["id"].startswith("shipping_methods:") for r in state["shipping_rates"])
    placed = await shop.place(client, store, cart_headers)
    assert placed.status_code == 201, placed.text
    failure = next(r for r in caplog.records if r.name == "pycommerce.plugins" and "unreliable failed" in r.getMessage())
    assert failure.plugin == "unreliable" and failure.store == store.slug
    if mode == "hang":
        assert "PluginTimedOut" in failure.getMessage()


async def test_a_healthy_plugin_is_called_as_before(factory, unreliable):
    store = await store_with(factory, "unreliable")
    [(plugin_id, [rate])] = await (await hooks_of(factory, store)).shipping_rates(cart=cart())
    assert (plugin_id, rate.code) == ("unreliable", "shaky")


async def test_tax_falls_back_to_the_next_engine_but_never_to_none(factory, unreliable, probe, monkeypatch):
    faster(monkeypatch, "pyc_tax_lines", 0.3)
    store = await store_with(factory, "unreliable", {"mode": "hang"})
    async with factory.session(store) as session:
        await enable_plugin(session, "probe")
    plugin_id, _ = await (await hooks_of(factory, store)).tax_lines(cart=cart(), shipping=None)
    assert plugin_id == "probe"  # the first engine hung; the next one answered
    alone = await store_with(factory, "unreliable", {"mode": "raise"})
    with pytest.raises(RuntimeError, match="on purpose"):
        await (await hooks_of(factory, alone)).tax_lines(cart=cart(), shipping=None)


async def test_a_fatal_hook_that_hangs_fails_with_its_limit(factory, unreliable, monkeypatch):
    faster(monkeypatch, "pyc_create_payment", 0.2)
    store = await store_with(factory, "unreliable", {"mode": "hang"})
    order = OrderView(id=1, number="1", status="pending_payment", currency="USD", total=1)
    started = asyncio.get_running_loop().time()
    with pytest.raises(PluginTimedOut) as caught:
        await (await hooks_of(factory, store)).create_payment("unreliable", order=order, method="x", amount=1,
                                                              idempotency_key="k")
    assert asyncio.get_running_loop().time() - started < 2
    assert caught.value.status == 504 and "unreliable" in str(caught.value) and "0.2 s" in str(caught.value)


def test_every_store_scoped_hook_has_a_facade_method_and_a_rule():
    from kernel.plugins.relay import Hooks

    for name, rule in hookspecs.RULES.items():
        if not rule.startup:
            assert callable(getattr(Hooks, name.removeprefix("pyc_"), None)), name
            assert rule.timeout, name
    shopper_facing = ["pyc_shipping_rates", "pyc_payment_methods", "pyc_template_dirs"]
    assert all(hookspecs.RULES[n].failure == "isolate" for n in shopper_facing)
    assert hookspecs.RULES["pyc_tax_lines"].failure == "fallback" and hookspecs.RULES["pyc_tax_lines"].results == "first"
    assert hookspecs.RULES["pyc_create_payment"].failure == "fail" and hookspecs.RULES["pyc_create_payment"].addressed


def test_a_wrapper_implementation_is_refused_naming_the_plugin():
    import tests.plugins.wrapping as wrapping

    pm = PyCommercePluginManager()
    with pytest.raises(PluginStartupError, match=r"plugin 'wrapping' .*pyc_shipping_rates as a wrapper"):
        register_plugin(pm, wrapping, "wrapping", distribution="acme-wrap")
    assert pm.get_plugin("wrapping") is None


# --- 4. A unit of work for plugins ---------------------------------------------------------------


@pytest.fixture
async def notes_app(settings, database):
    """The notes plugin installed, its table created as a migration would (row-level security on PostgreSQL)."""
    from tests.plugins import notes as notes_module

    engine = sa.create_engine(sync_url(database.owner_url))
    with engine.begin() as connection:
        notes_module.notes.create(connection, checkfirst=True)
        if connection.dialect.name == "postgresql":
            for statement in tenant_rls_sql("contract_notes"):
                connection.execute(sa.text(statement))
    engine.dispose()
    if database.backend == "postgresql":
        migrate.grant_app_role(database.owner_url, APP_ROLE, PLATFORM_LOGIN)
    try:
        with registered("notes"):
            async with app_client(settings) as client:
                yield client
    finally:  # the suite's database is shared: leave no table behind that no migration made
        engine = sa.create_engine(sync_url(database.owner_url))
        with engine.begin() as connection:
            notes_module.notes.drop(connection, checkfirst=True)
        engine.dispose()


async def test_a_plugin_route_writes_its_own_table_in_the_requests_transaction(notes_app, factory, database):
    a = await store_with(factory, "notes")
    b = await store_with(factory, "notes")
    owner_a, owner_b = (await factory.staff(a)).headers, (await factory.staff(b)).headers
    url_a, url_b = f"/api/v1/stores/{a.slug}/notes", f"/api/v1/stores/{b.slug}/notes"

    assert (await notes_app.post(url_a, json={"text": "kept in A"}, headers=owner_a)).status_code == 201
    failed = await notes_app.post(url_a, json={"text": "rolled back", "fail_after_writing": True}, headers=owner_a)
    assert failed.status_code == 409
    assert (await notes_app.post(url_b, json={"text": "kept in B"}, headers=owner_b)).status_code == 201
    assert (await notes_app.get(url_a, headers=owner_a)).json() == (
        ["kept in A"] if database.backend == "postgresql" else ["kept in A", "kept in B"])
    if database.backend == "postgresql":  # the database's wall: B's rows are invisible to A's request
        assert (await notes_app.get(url_b, headers=owner_b)).json() == ["kept in B"]
        with pytest.raises(Exception):  # and A's request cannot write a row into B
            await notes_app.post(url_a, json={"text": "forged", "store_id": b.id}, headers=owner_a)
    # Staff of B cannot use A's route at all; nor can anonymous callers.
    assert (await notes_app.post(url_a, json={"text": "x"}, headers=owner_b)).status_code == 404
    assert (await notes_app.post(url_a, json={"text": "x"})).status_code == 401


# --- 2. Platform and store settings -----------------------------------------------------------------


async def test_platform_default_store_override_and_environment(client, factory, greeter, monkeypatch):
    admin = (await factory.admin()).headers
    monkeypatch.setenv("PYCOMMERCE_PLUGIN_GREETER_RATE", "333")
    plain, own = await store_with(factory, "greeter"), await store_with(factory, "greeter", {"rate": 999})
    assert (await hooks_of(factory, plain)).settings_of("greeter").rate == 333  # the environment
    response = await client.patch("/api/v1/platform/plugins/greeter/settings", headers=admin,
                                  json={"greeting": "hello from the platform", "rate": 444})
    assert response.status_code == 200, response.text
    assert response.json()["platform_settings"]["rate"] == 444
    plain_settings = (await hooks_of(factory, plain)).settings_of("greeter")
    assert (plain_settings.greeting, plain_settings.rate) == ("hello from the platform", 444)
    own_settings = (await hooks_of(factory, own)).settings_of("greeter")
    assert (own_settings.greeting, own_settings.rate) == ("hello from the platform", 999)  # its own rate wins
    bad = await client.patch("/api/v1/platform/plugins/greeter/settings", headers=admin, json={"rate": -1})
    assert bad.status_code == 422 and bad.json()["errors"][0]["loc"][-1] == "rate"
    owner = (await factory.staff(plain)).headers
    assert (await client.patch("/api/v1/platform/plugins/greeter/settings", headers=owner,
                               json={"rate": 1})).status_code == 403
    async with factory.session(None) as session:  # leave the platform as other tests expect it
        from kernel.plugins.models import PlatformPluginSettings

        await session.execute(sa.delete(PlatformPluginSettings))


def _greeter_v2(monkeypatch, greeter):
    """The greeter "upgraded": settings version 2 requires ``endpoint``; version 1 stored ``url`` instead."""
    from pydantic import Field

    from plugin_sdk import PluginSettings

    class GreeterV2(PluginSettings):
        settings_version = 2
        greeting: str = "hello"
        rate: int = Field(default=500, ge=0)
        api_key: str | None = None
        endpoint: str

        @classmethod
        def migrate_settings(cls, values, from_version):
            if from_version < 2 and "url" in values:
                values = dict(values)
                values["endpoint"] = values.pop("url")
            return values

    pm = get_plugin_manager()
    monkeypatch.setattr(pm, "_pyc_settings_models", (pm.generation, {**settings_models(pm), "greeter": GreeterV2}))
    return GreeterV2


async def _store_row(factory, store, values, version):
    from kernel.plugins.models import StorePlugin
    from kernel.stores.service import bump_plugins_version

    async with factory.session(store) as session:
        row = (await session.execute(sa.select(StorePlugin).where(StorePlugin.plugin_id == "greeter"))).scalar_one()
        row.settings, row.settings_version = values, version
        await session.flush()
        await bump_plugins_version(session, store.id)


async def test_settings_saved_under_version_1_are_migrated_to_2(factory, greeter, monkeypatch):
    store = await store_with(factory, "greeter")
    await _store_row(factory, store, {"greeting": "old", "url": "https://old.example"}, 1)
    _greeter_v2(monkeypatch, greeter)
    hooks = await hooks_of(factory, store)
    assert hooks.attention == {}
    migrated = hooks.settings_of("greeter")
    assert (migrated.greeting, migrated.endpoint) == ("old", "https://old.example")


async def test_settings_that_no_longer_validate_need_attention_never_none(client, factory, greeter, monkeypatch,
                                                                          caplog):
    store = await store_with(factory, "greeter", {"greeting": "before the upgrade"})
    _greeter_v2(monkeypatch, greeter)
    await _store_row(factory, store, {"greeting": "before the upgrade"}, 2)  # nothing to migrate: endpoint missing
    caplog.set_level(logging.WARNING, "pycommerce.plugins")
    hooks = await hooks_of(factory, store)
    assert "greeter" not in hooks.enabled and "endpoint" in hooks.attention["greeter"]
    assert await hooks.shipping_rates(cart=cart()) == []  # not called at all, rather than with None
    await hooks_of(factory, store)
    warnings = [r for r in caplog.records if "needs attention" in r.getMessage() and r.plugin == "greeter"]
    assert len(warnings) == 1 and store.slug in warnings[0].getMessage()  # logged once
    owner = (await factory.staff(store)).headers
    shown = (await client.get(f"/api/v1/stores/{store.slug}/plugins/greeter", headers=owner)).json()
    assert shown["enabled"] is True and shown["needs_attention"] == "endpoint: Field required"
    fixed = await client.patch(f"/api/v1/stores/{store.slug}/plugins/greeter/settings", headers=owner,
                               json={"endpoint": "https://new.example"})
    assert fixed.status_code == 200 and fixed.json()["needs_attention"] is None
    assert [pid for pid, _ in await (await hooks_of(factory, store)).shipping_rates(cart=cart())] == ["greeter"]


# --- 7. Metadata and compatibility ---------------------------------------------------------------


def _plugin_requiring(spec: str) -> types.ModuleType:
    module = types.ModuleType("acme_future")

    @hookimpl
    def pyc_shipping_rates(cart):
        return []

    module.pyc_shipping_rates = pyc_shipping_rates
    module.pyc_plugin_info = PluginInfo(description="From the future.", category="shipping", kernel=spec)
    return module


def test_an_incompatible_plugin_is_refused_naming_plugin_requirement_and_kernel():
    with pytest.raises(IncompatiblePlugin) as caught:
        register_plugin(PyCommercePluginManager(), _plugin_requiring(">=99.0"), "acme_future",
                        distribution="acme-future")
    assert str(caught.value) == (f"plugin 'acme_future' (distribution acme-future) requires kernel >=99.0, but this "
                                 f"kernel is {KERNEL_VERSION}; it is not loaded")


def test_at_start_up_an_incompatible_plugin_is_left_out_and_reported():
    module = _plugin_requiring(">=99.0")
    ok = _plugin_requiring(f"=={KERNEL_VERSION}")
    pm = build_plugin_manager(sources=[
        PluginSource("acme_future", "acme_future", "acme-future", "1.0", lambda: module),
        PluginSource("acme_now", "acme_now", "acme-now", "1.0", lambda: ok)])
    assert pm.plugin_ids() == ["acme_now"] and pm.meta["acme_now"].info.description == "From the future."
    [failure] = pm.failures
    assert failure.id == "acme_future" and "requires kernel >=99.0" in failure.error


async def test_the_platform_api_shows_each_plugins_metadata(client, factory):
    admin = (await factory.admin()).headers
    listed = {p["id"]: p for p in (await client.get("/api/v1/platform/plugins", headers=admin)).json()}
    assert (listed["shipping_methods"]["category"], listed["shipping_methods"]["kernel_requirement"]) == (
        "shipping", ">=0.1")
    assert listed["manual_payments"]["description"].startswith("Bank transfer")
    assert (await client.get("/api/v1/platform/plugins/failures", headers=admin)).json() == []


# --- 8. Honest observability ---------------------------------------------------------------------


async def test_enable_disable_and_settings_changes_are_audited_without_secret_values(client, factory, greeter):
    store = await factory.store()
    owner = (await factory.staff(store)).headers
    base = f"/api/v1/stores/{store.slug}/plugins/greeter"
    assert (await client.put(base, headers=owner, json={"settings": {"api_key": SECRET}})).status_code == 200
    assert (await client.patch(f"{base}/settings", headers=owner,
                               json={"greeting": "hi", "api_key": SECRET + "2"})).status_code == 200
    assert (await client.delete(base, headers=owner)).status_code == 200
    log = (await client.get(f"/api/v1/stores/{store.slug}/audit-log", headers=owner)).json()["items"]
    entries = {e["action"]: e for e in log if e["target_id"] == "greeter"}
    assert set(entries) == {"plugin.enable", "plugin.settings_change", "plugin.disable"}
    assert entries["plugin.enable"]["changes"] == {"hidden_changed": ["api_key"]}
    assert entries["plugin.settings_change"]["changes"] == {"settings": {"greeting": [None, "hi"]},
                                                            "hidden_changed": ["api_key"]}
    assert SECRET not in json.dumps(log)


async def test_a_platform_settings_change_is_audited_in_the_administrators_log(client, factory, greeter):
    from kernel.audit.models import AccountAuditEntry
    from kernel.db import cross_store_session
    from kernel.plugins.models import PlatformPluginSettings

    admin = await factory.admin()
    response = await client.patch("/api/v1/platform/plugins/greeter/settings", headers=admin.headers,
                                  json={"greeting": "hello", "api_key": SECRET})
    assert response.status_code == 200, response.text
    async with cross_store_session(factory.sessionmaker) as session:
        entry = (await session.execute(sa.select(AccountAuditEntry).where(
            AccountAuditEntry.action == "plugin.platform_settings_change",
            AccountAuditEntry.user_id == admin.user.id))).scalars().one()
        await session.execute(sa.delete(PlatformPluginSettings))  # leave the platform as other tests expect it
    assert (entry.user_id, entry.subject_user_id, entry.target_id) == (admin.user.id, admin.user.id, "greeter")
    assert entry.changes == {"settings": {"greeting": [None, "hello"]}, "hidden_changed": ["api_key"]}
    assert SECRET not in json.dumps(entry.changes)


async def test_a_plugins_own_logger_reaches_the_json_log_with_plugin_and_store(factory, capsys):
    """Its ``logging.getLogger(__name__)`` lines, logged while its hook runs, carry its id and the store."""
    import tests.plugins.chatty as chatty

    from kernel.observability import JsonFormatter, adopt_loggers, store_slug_var

    with registered("chatty"):
        adopt_loggers({"tests"})
        store = await store_with(factory, "chatty")
        token = store_slug_var.set(store.slug)
        handler = logging.StreamHandler()
        handler.setFormatter(JsonFormatter())
        lines: list[str] = []
        handler.emit = lambda record: lines.append(handler.format(record))
        logging.getLogger(chatty.__name__).addHandler(handler)
        try:
            await (await hooks_of(factory, store)).shipping_rates(cart=cart())
        finally:
            logging.getLogger(chatty.__name__).removeHandler(handler)
            store_slug_var.reset(token)
    [line] = [json.loads(line) for line in lines]
    assert (line["msg"], line["plugin"], line["store"], line["logger"]) == (
        "quoting a cart", "chatty", store.slug, "tests.plugins.chatty")


# --- 5. Typed views and plugin data ---------------------------------------------------------------


async def test_a_gateway_is_told_the_whole_order_it_is_paid_for(client, factory, spy):
    store = await factory.store()
    await shop.standard_plugins(factory, store)
    await shop.enable(factory, store, "spy")
    variant = await shop.variant(factory, store, price=1250)
    placed = await shop.buy(client, factory, store, variant_id=variant.id, quantity=2, method="spy:spy")
    [order] = [value for hook, name, value in spy.seen if hook == "pyc_create_payment" and name == "order"]
    assert order.number == str(placed["number"]) and order.customer.email == "shopper@example.com"
    [line] = order.lines
    assert (line.variant_id, line.quantity, line.unit_price, line.subtotal) == (variant.id, 2, 1250, 2500)
    assert line.sku == variant.sku and order.shipping_address.country == shop.US_ADDRESS["country"]
    assert order.totals.total == placed["total"] == order.total and order.shipping_method
    [store_info] = {value for hook, name, value in spy.seen if name == "store"}
    assert store_info.storefront_url == f"http://{store.slug}.localhost:8000/"


async def test_plugin_data_is_namespaced_per_plugin_and_per_store(client, factory):
    from kernel.errors import NotFound
    from kernel.plugins.context import KernelPluginContext
    from kernel.plugins.relay import store_info

    store, other = await factory.store(), await factory.store()
    await shop.standard_plugins(factory, store)
    variant = await shop.variant(factory, store)
    order_id = (await shop.buy(client, factory, store, variant_id=variant.id))["id"]
    info = store_info(await store_context(factory, store))
    async with factory.session(store) as session:
        mine, theirs = (KernelPluginContext(pid, info, session, None) for pid in ("acme_erp", "acme_crm"))
        await mine.set_plugin_data("order", order_id, {"erp_id": "SO-1"})
        await theirs.set_plugin_data("order", order_id, {"crm_score": 7})
    async with factory.session(store) as session:
        mine, theirs = (KernelPluginContext(pid, info, session, None) for pid in ("acme_erp", "acme_crm"))
        assert await mine.get_plugin_data("order", order_id) == {"erp_id": "SO-1"}
        assert await theirs.get_plugin_data("order", order_id) == {"crm_score": 7}
        assert await KernelPluginContext("nobody", info, session, None).get_plugin_data("order", order_id) == {}
    async with factory.session(other) as session:  # another store's context cannot reach the order at all
        with pytest.raises(NotFound):
            await KernelPluginContext("acme_erp", store_info(await store_context(factory, other)), session,
                                      None).get_plugin_data("order", order_id)


async def test_blocking_work_in_run_blocking_is_cut_at_the_time_limit(factory, monkeypatch):
    """The documented rule for blocking SDK calls: a thread, which the hook's time limit still cuts."""
    import time

    from plugin_sdk import run_blocking

    module = types.ModuleType("sleepy")

    @hookimpl
    async def pyc_shipping_rates(cart):
        await run_blocking(time.sleep, 5)
        return []

    module.pyc_shipping_rates = pyc_shipping_rates
    faster(monkeypatch, "pyc_shipping_rates", 0.2)
    pm = get_plugin_manager()
    register_plugin(pm, module, "sleepy")
    try:
        store = await store_with(factory, "sleepy")
        hooks = await hooks_of(factory, store)
        started = time.monotonic()
        assert await hooks.shipping_rates(cart=cart()) == []  # isolated: cut, logged, skipped
        assert time.monotonic() - started < 2
    finally:
        pm.unregister(name="sleepy")


def test_the_sdk_imports_nothing_of_the_kernel():
    import subprocess
    import sys

    code = ("import sys, plugin_sdk, plugin_sdk.deps, plugin_sdk.db, plugin_sdk.types, plugin_sdk.protocols, "
            "plugin_sdk.money, plugin_sdk.context, plugin_sdk.settings; "
            "print(sorted(m for m in sys.modules if m == 'kernel' or m.startswith('kernel.')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "[]"


async def test_route_dependencies_for_customers_storefront_hosts_and_csrf(settings, factory, probe):
    store = await store_with(factory, "probe")
    other = await store_with(factory, "probe")
    _, customer = await shop.signed_in_customer(factory, store, "buyer@example.com")
    staff = await factory.staff(store, "staff")
    async with app_client(settings) as client:
        base = f"/api/v1/stores/{store.slug}/probe"
        assert (await client.get(f"{base}/me", headers=customer)).json() == {"email": "buyer@example.com"}
        assert (await client.get(f"/api/v1/stores/{other.slug}/probe/me", headers=customer)).status_code == 401
        assert (await client.get("/api/v1/probe/shop", headers={"host": f"{store.slug}.localhost"})).json() == {
            "store": store.slug, "url": f"http://{store.slug}.localhost:8000/"}
        assert (await client.get("/api/v1/probe/shop", headers={"host": "nowhere.localhost"})).status_code == 404
        assert (await client.post(f"{base}/poke", headers=staff.headers)).json() == {"poked": True}  # bearer
        client.cookies.set("pyc_session", staff.token)
        refused = await client.post(f"{base}/poke")  # the same session by cookie, without its CSRF token
        assert refused.status_code == 403 and "CSRF" in refused.json()["detail"]
