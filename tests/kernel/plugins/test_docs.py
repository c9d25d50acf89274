"""The author's guide and the hook contract stay one text, and every example in it runs.

The hook reference of docs/plugins.md is generated from kernel/hookspecs.py
(``python -m kernel.plugins.guide``); a section that differs from what the generator
writes fails here. Each hook's example is then registered as a plugin, enabled for a
store, and called exactly as the kernel calls it: through the per-store facade for
store-scoped hooks, through the start-up machinery for the others.
"""

from __future__ import annotations

import hashlib
import hmac
import inspect
import re
import types
import uuid
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

import pytest

from kernel import hookspecs
from kernel.app import create_app
from kernel.plugins import deliver_event, get_plugin_manager, register_plugin
from kernel.plugins import settings as plugin_settings
from kernel.plugins.guide import GUIDE, PREAMBLE, current_reference, example, hook_reference
from kernel.plugins.manager import PyCommercePluginManager
from plugin_sdk.events import OrderPlaced
from plugin_sdk.types import Event, OrderView, PaymentView, ShippingRate
from tests.kernel.plugins.helpers import app_client, cart, context, hooks_of, store_with

HOOKS = sorted(name for name in dir(hookspecs) if name.startswith("pyc_"))
HEADING = re.compile(r"^#{3,4} `(pyc_\w+)(\(.*\) -> .*)`$", re.M)


def test_the_hook_reference_is_what_hookspecs_generates():
    assert current_reference(GUIDE.read_text()) == hook_reference(), \
        "docs/plugins.md's hook reference is stale: run `python -m kernel.plugins.guide`"


def test_every_hook_is_documented_with_its_exact_signature_and_rule():
    documented = {m.group(1): m.group(1) + m.group(2) for m in HEADING.finditer(GUIDE.read_text())}
    assert set(documented) == set(HOOKS)
    from kernel.plugins.guide import signature

    assert {name: documented[name] for name in HOOKS} == {name: signature(name) for name in HOOKS}
    assert set(hookspecs.RULES) == set(HOOKS)


def test_the_hook_docstrings_follow_the_recipe():
    """CONVENTIONS item 2: first line says when/what, :param: per argument, versionadded, an example."""
    problems = []
    for name in HOOKS:
        spec = getattr(hookspecs, name)
        doc = inspect.getdoc(spec) or ""
        if not re.match(r"(Called|Return)\b", doc):
            problems.append(f"{name}: first line must start with 'Called' or 'Return'")
        for param in inspect.signature(spec).parameters:
            if f":param {param}:" not in doc:
                problems.append(f"{name}: no :param {param}:")
        if ".. versionadded::" not in doc or "Example::" not in doc:
            problems.append(f"{name}: needs versionadded and an example")
    assert not problems, problems


def example_module(hook: str) -> types.ModuleType:
    module = types.ModuleType(f"doc_example_{hook}")
    module.__file__ = str(GUIDE)
    exec(compile(PREAMBLE + example(hook), f"docs/plugins.md#{hook}", "exec", dont_inherit=True), module.__dict__)
    return module


@contextmanager
def installed(hook: str):
    """The example registered on the process-wide manager as plugin ``example``, as an installed one is."""
    pm = get_plugin_manager()
    register_plugin(pm, example_module(hook), "example", distribution="docs", version="0")
    try:
        assert hook in pm.hooks_of("example")
        yield pm
    finally:
        pm.unregister(name="example")


def test_every_example_registers_on_its_own():
    for hook in HOOKS:
        pm = PyCommercePluginManager()
        register_plugin(pm, example_module(hook), "example")
        assert hook in pm.hooks_of("example"), hook


ORDER = OrderView(id=1, number="1001", status="pending_payment", currency="USD", total=1000)
PAYMENT = PaymentView(id=1, plugin_id="example", method="invoice", amount=1000, currency="USD", status="pending",
                      reference="inv-1001")


async def _store_hooks(factory, settings=None):
    store = await store_with(factory, "example", settings)
    return store, await hooks_of(factory, store)


async def run_pyc_plugin_settings(factory, settings):
    model = plugin_settings.settings_models(get_plugin_manager())["example"]
    _, hooks = await _store_hooks(factory, {"rate": 450})
    assert hooks.settings_of("example") == model(rate=450)


async def run_pyc_api_routers(factory, settings):
    store = await store_with(factory, "example")
    async with app_client(settings) as client:
        assert (await client.get(f"/api/v1/stores/{store.slug}/hello")).json() == {"hello": store.name}


async def run_pyc_api_scopes(factory, settings):
    from kernel.accounts.apikeys import known_scopes

    create_app(settings)
    assert "example:read" in known_scopes()


async def run_pyc_template_dirs(factory, settings):
    _, hooks = await _store_hooks(factory)
    [(plugin_id, [directory])] = await hooks.template_dirs()
    assert plugin_id == "example" and Path(directory) == GUIDE.parent / "templates"


async def run_pyc_static_dirs(factory, settings):
    application = create_app(settings)
    assert any(getattr(route, "path", "") == "/static/plugins/example/assets" for route in application.routes)


async def run_pyc_shipping_rates(factory, settings):
    _, hooks = await _store_hooks(factory)
    [(_, [rate])] = await hooks.shipping_rates(cart=cart())
    assert (rate.code, rate.amount) == ("flat", 500)


async def run_pyc_tax_lines(factory, settings):
    _, hooks = await _store_hooks(factory)
    _, [line] = await hooks.tax_lines(cart=cart(1000), shipping=ShippingRate(code="x", name="X", amount=0,
                                                                            currency="USD"))
    assert (line.rate_bp, line.amount) == (1900, 190)


async def run_pyc_payment_methods(factory, settings):
    _, hooks = await _store_hooks(factory)
    [(_, [method])] = await hooks.payment_methods(cart=cart())
    assert method.code == "invoice"


async def run_pyc_create_payment(factory, settings):
    _, hooks = await _store_hooks(factory)
    result = await hooks.create_payment("example", order=ORDER, method="invoice", amount=1000, idempotency_key="k")
    assert (result.status, result.amount) == ("pending", 1000)
    assert await hooks.create_payment("example", order=ORDER, method="card", amount=1000, idempotency_key="k") is None


async def run_pyc_capture_payment(factory, settings):
    _, hooks = await _store_hooks(factory)
    result = await hooks.capture_payment("example", order=ORDER, payment=PAYMENT, amount=1000)
    assert (result.status, result.reference) == ("captured", "inv-1001")


async def run_pyc_refund_payment(factory, settings):
    _, hooks = await _store_hooks(factory)
    result = await hooks.refund_payment("example", order=ORDER, payment=PAYMENT, amount=400)
    assert (result.status, result.reference, result.amount) == ("refunded", "inv-1001", 400)


async def run_pyc_gateway_webhook(factory, settings):
    store = await store_with(factory, "example", {"webhook_secret": "whsec-docs"})
    hooks = await hooks_of(factory, store)
    body = b'{"id": "evt_1"}'
    signature = hmac.new(b"whsec-docs", body, hashlib.sha256).hexdigest()
    assert await hooks.gateway_webhook("example", headers={"x-signature": signature}, body=body) == {"received": True}
    with pytest.raises(ValueError, match="bad signature"):
        await hooks.gateway_webhook("example", headers={"x-signature": "forged"}, body=body)


async def run_pyc_on_event(factory, settings, caplog=None):
    store = await store_with(factory, "example")
    event = Event(id=str(uuid.uuid4()), name="order.placed", version=1, store_id=store.id,
                  occurred_at=datetime.now(timezone.utc), data=OrderPlaced.example())
    async with factory.session(store) as session:
        assert await deliver_event(session, await context(factory, store), event) == ["example"]


async def run_pyc_job_handlers(factory, settings):
    [handlers] = get_plugin_manager().subset_hook_caller("pyc_job_handlers", remove_plugins=[])()
    from kernel.jobs.queue import JobContext

    job = JobContext(id=1, kind="example.sync_stock", payload={"variant_ids": [1]}, store_id=None, attempts=1,
                     max_attempts=3, worker="docs")
    await handlers["example.sync_stock"](None, job)


async def run_pyc_admin_nav(factory, settings):
    store, hooks = await _store_hooks(factory)
    assert await hooks.admin_nav() == [("example", [{"label": "Hello", "url": f"/admin/{store.slug}/hello"}])]


async def run_pyc_document_renderers(factory, settings):
    [renderers] = get_plugin_manager().hook.pyc_document_renderers()
    store, hooks = await _store_hooks(factory)
    assert await renderers["invoice"].render(store=hooks.info, kind="invoice", context={"number": "7"}) == b"Invoice 7"


async def run_pyc_ai_providers(factory, settings):
    [providers] = get_plugin_manager().hook.pyc_ai_providers()
    assert await providers["echo"].generate_text(prompt="hi") == "hi"


@pytest.mark.parametrize("hook", HOOKS)
async def test_each_example_runs_through_the_kernels_call(hook, factory, settings):
    with installed(hook):
        await globals()[f"run_{hook}"](factory, settings)
