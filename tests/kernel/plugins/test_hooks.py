"""Every hook, called through the kernel's per-store path: enabled stores get answers, others nothing.

``test_every_hook_has_a_test`` walks ``pm.hook`` and fails when a hook has no
``test_hook_<name>`` here (Datasette's ``test_plugin_hooks_have_tests``).
"""

from __future__ import annotations

import uuid
from datetime import datetime, timezone

import pytest

from kernel import hookspecs
from kernel.plugins import PluginNotEnabled, build_plugin_manager, configure_plugin, deliver_event
from kernel.plugins import settings as plugin_settings
from plugin_sdk.events import OrderCancelled, OrderPlaced
from plugin_sdk.types import Event, OrderView, PaymentView, ShippingRate
from tests.kernel.plugins.helpers import app_client, cart, context, hooks_of, store_with
from tests.kernel.jobs.test_handlers_registry import test_hook_pyc_job_handlers  # noqa: F401 (its test_hook_…)


@pytest.fixture
async def probe_client(settings, probe):
    """An application built while the probe plugin is installed (routers and static folders are mounted)."""
    async with app_client(settings) as client:
        yield client


async def on_and_off(factory, **settings):
    """A store with the probe enabled, and one without."""
    return await store_with(factory, "probe", settings or None), await factory.store()


def order() -> OrderView:
    return OrderView(id=1, number="1001", status="placed", currency="USD", total=1000)


def test_every_hook_has_a_test():
    hooks = sorted(name for name in dir(hookspecs) if name.startswith("pyc_"))
    assert set(hooks) == set(vars(build_plugin_manager(sources=[]).hook))
    missing = [name for name in hooks if f"test_hook_{name}" not in globals()]
    assert not missing, f"hooks without a test_hook_<name>: {missing}"


async def test_hook_pyc_plugin_settings(factory, probe):
    assert plugin_settings.settings_models(probe_pm()).get("probe") is probe.ProbeSettings
    on, off = await on_and_off(factory, label="configured")
    assert (await hooks_of(factory, on)).settings_of("probe").label == "configured"
    assert (await hooks_of(factory, off)).settings_of("probe") is None


def probe_pm():
    from kernel.plugins import get_plugin_manager

    return get_plugin_manager()


async def test_hook_pyc_api_routers(factory, probe_client):
    on, off = await on_and_off(factory)
    assert (await probe_client.get(f"/api/v1/stores/{on.slug}/probe/where")).json() == {"store": on.slug}
    response = await probe_client.get(f"/api/v1/stores/{off.slug}/probe/where")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")
    assert (await probe_client.get("/api/v1/stores/no-such-store/probe/where")).status_code == 404
    assert (await probe_client.get("/api/v1/probe/alive")).json() == {"alive": True}


async def test_hook_pyc_admin_nav(factory, probe):
    on, off = await on_and_off(factory)
    assert await (await hooks_of(factory, on)).admin_nav() == [
        ("probe", [{"label": "Probe", "url": f"/admin/{on.slug}/probe"}])]
    assert await (await hooks_of(factory, off)).admin_nav() == []


async def test_hook_pyc_template_dirs(factory, probe):
    on, off = await on_and_off(factory)
    assert await (await hooks_of(factory, on)).template_dirs() == [
        ("probe", [probe.HERE / "templates"])]
    assert await (await hooks_of(factory, off)).template_dirs() == []
    # The storefront's environment: the plugin's template overrides the theme's where enabled only.
    from kernel.plugins.templates import store_templates
    from kernel.storefront.pages import THEMES_DIR

    theme = THEMES_DIR / "default" / "templates"
    for store, expected in ((on, f"probe home for {on.slug}"), (off, None)):
        templates = await store_templates(await hooks_of(factory, store), theme)
        html = templates.get_template("home.html").render(store=store)
        assert (expected in html) if expected else ("probe home" not in html)


async def test_hook_pyc_static_dirs(probe_client):
    response = await probe_client.get("/static/plugins/probe/assets/hello.txt")
    assert response.status_code == 200 and response.text.strip() == "probe asset"


async def test_hook_pyc_shipping_rates(factory, probe):
    on, off = await on_and_off(factory, label="Probe post")
    [(plugin_id, rates)] = await (await hooks_of(factory, on)).shipping_rates(cart=cart(2000))
    assert plugin_id == "probe" and [(r.name, r.amount) for r in rates] == [("Probe post", 200)]
    assert await (await hooks_of(factory, off)).shipping_rates(cart=cart()) == []


async def test_hook_pyc_tax_lines(factory, probe):
    on, off = await on_and_off(factory)
    shipping = ShippingRate(code="x", name="X", amount=50, currency="USD")
    plugin_id, lines = await (await hooks_of(factory, on)).tax_lines(cart=cart(1000), shipping=shipping)
    assert plugin_id == "probe" and [line.amount for line in lines] == [150]
    assert await (await hooks_of(factory, off)).tax_lines(cart=cart(), shipping=None) is None


async def test_hook_pyc_payment_methods(factory, probe):
    on, off = await on_and_off(factory)
    [(plugin_id, methods)] = await (await hooks_of(factory, on)).payment_methods(cart=cart())
    assert [m.code for m in methods] == ["probe-pay"]
    assert await (await hooks_of(factory, off)).payment_methods(cart=cart()) == []


async def test_hook_pyc_create_payment(factory, probe):
    on, off = await on_and_off(factory)
    hooks = await hooks_of(factory, on)
    result = await hooks.create_payment("probe", order=order(), method="probe-pay", amount=900, idempotency_key="k1")
    assert (result.status, result.reference, result.amount) == ("authorized", "probe-1001", 900)
    assert await hooks.create_payment("probe", order=order(), method="cash", amount=900, idempotency_key="k2") is None
    with pytest.raises(PluginNotEnabled):
        await (await hooks_of(factory, off)).create_payment("probe", order=order(), method="probe-pay", amount=900,
                                                            idempotency_key="k3")


def payment() -> PaymentView:
    return PaymentView(id=1, plugin_id="probe", method="probe-pay", amount=900, currency="USD", status="authorized",
                       reference="probe-1001")


async def test_hook_pyc_capture_payment(factory, probe):
    on, off = await on_and_off(factory)
    result = await (await hooks_of(factory, on)).capture_payment("probe", order=order(), payment=payment(), amount=900)
    assert (result.status, result.reference, result.amount) == ("captured", "probe-1001", 900)
    with pytest.raises(PluginNotEnabled):
        await (await hooks_of(factory, off)).capture_payment("probe", order=order(), payment=payment(), amount=900)


async def test_hook_pyc_refund_payment(factory, probe):
    on, off = await on_and_off(factory)
    result = await (await hooks_of(factory, on)).refund_payment("probe", order=order(), payment=payment(), amount=300)
    assert (result.status, result.reference, result.amount) == ("refunded", "probe-1001", 300)
    with pytest.raises(PluginNotEnabled):
        await (await hooks_of(factory, off)).refund_payment("probe", order=order(), payment=payment(), amount=300)


async def test_hook_pyc_gateway_webhook(factory, probe_client):
    on, off = await on_and_off(factory)
    async with factory.session(on) as session:
        await configure_plugin(session, "probe", {"webhook_secret": "whsec-probe-123"})
    hooks = await hooks_of(factory, on)
    good = await hooks.gateway_webhook("probe", headers={"x-probe-secret": "whsec-probe-123"}, body=b"{}")
    bad = await hooks.gateway_webhook("probe", headers={}, body=b"{}")
    assert good == {"plugin": "probe", "verified": True, "bytes": 2} and bad["verified"] is False
    with pytest.raises(PluginNotEnabled):
        await (await hooks_of(factory, off)).gateway_webhook("probe", headers={}, body=b"")
    # Through HTTP, as a gateway delivers it: no sign-in, raw body, only the named plugin is asked.
    response = await probe_client.post(f"/api/v1/stores/{on.slug}/webhooks/probe", content=b'{"id": 1}',
                                       headers={"X-Probe-Secret": "whsec-probe-123"})
    assert response.json() == {"plugin": "probe", "verified": True, "bytes": 9}
    assert (await probe_client.post(f"/api/v1/stores/{off.slug}/webhooks/probe", content=b"{}")).status_code == 404
    assert (await probe_client.post(f"/api/v1/stores/{on.slug}/webhooks/greeter", content=b"{}")).status_code == 404


async def test_hook_pyc_document_renderers(factory, probe):
    """Provisional: collected at start-up like every start-up hook; no feature renders documents yet."""
    on = await store_with(factory, "probe")
    [renderers] = probe_pm().subset_hook_caller("pyc_document_renderers", remove_plugins=[])()
    hooks = await hooks_of(factory, on)
    assert await renderers["invoice"].render(store=hooks.info, kind="invoice", context={"number": "1001"}) == \
        f"invoice for {on.slug}: 1001".encode()
    assert hookspecs.RULES["pyc_document_renderers"].provisional


async def test_hook_pyc_ai_providers(probe):
    """Provisional: no feature uses AI providers yet."""
    [providers] = probe_pm().hook.pyc_ai_providers()
    assert await providers["echo"].generate_text(prompt="shout") == "SHOUT"
    assert hookspecs.RULES["pyc_ai_providers"].provisional


async def test_hook_pyc_api_scopes(settings, factory, probe):
    """A plugin's scope can be granted to an API key, and the plugin's route checks it."""
    async with app_client(settings) as client:
        store = await store_with(factory, "probe")
        owner = (await factory.staff(store)).headers
        created = await client.post(f"/api/v1/stores/{store.slug}/api-keys", headers=owner,
                                    json={"name": "probe reader", "scopes": ["probe:read"]})
        assert created.status_code == 201, created.text
        key = {"Authorization": f"Bearer {created.json()['token']}"}
        assert (await client.get(f"/api/v1/stores/{store.slug}/probe/secret-count", headers=key)).json() == {
            "scopes": ["probe:read"]}
        other = await client.post(f"/api/v1/stores/{store.slug}/api-keys", headers=owner,
                                  json={"name": "catalog only", "scopes": ["catalog:read"]})
        assert (await client.get(f"/api/v1/stores/{store.slug}/probe/secret-count", headers={
            "Authorization": f"Bearer {other.json()['token']}"})).status_code == 403


async def test_hook_pyc_on_event(factory, probe):
    on, off = await on_and_off(factory, label="evt")
    for store in (on, off):
        event = Event(id=str(uuid.uuid4()), name="order.placed", version=1, store_id=store.id,
                      data=OrderPlaced.example(), occurred_at=datetime.now(timezone.utc))
        async with factory.session(store) as session:
            called = await deliver_event(session, await context(factory, store), event)
        assert called == (["probe"] if store is on else [])
    assert [(slug, label) for slug, _, label in probe.events if slug in (on.slug, off.slug)] == [(on.slug, "evt")]
    failing = Event(id=str(uuid.uuid4()), name="order.cancelled", version=1, store_id=on.id,
                    data=OrderCancelled(**{**OrderCancelled.example().model_dump(), "reason": "fail"}),
                    occurred_at=datetime.now(timezone.utc))
    with pytest.raises(RuntimeError, match="on purpose"):
        async with factory.session(on) as session:
            await deliver_event(session, await context(factory, on), failing)


async def test_a_rejected_webhook_answers_400_without_echoing_it(factory, probe_client, caplog):
    on = await store_with(factory, "probe")
    response = await probe_client.post(f"/api/v1/stores/{on.slug}/webhooks/probe", content=b"card=4242424242424242",
                                       headers={"X-Tamper": "yes"})
    assert response.status_code == 400 and response.json()["title"] == "Bad Request"
    assert "4242424242424242" not in response.text and "4242424242424242" not in caplog.text


async def test_storefront_pages_use_the_enabled_plugins_templates(client, factory, probe):
    on, off = await on_and_off(factory)
    page_on = await client.get("/", headers={"host": f"{on.slug}.localhost"})
    page_off = await client.get("/", headers={"host": f"{off.slug}.localhost"})
    assert page_on.status_code == page_off.status_code == 200
    assert f"probe home for {on.slug}" in page_on.text
    assert "probe home" not in page_off.text and off.name in page_off.text
