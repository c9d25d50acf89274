"""PYCOMMERCE_TRACE_HOOKS=1 logs every hook call with hook, plugin, store and duration."""

from __future__ import annotations

import logging

from kernel.config import Settings
from kernel.plugins.calling import set_tracing, tracing
from tests.kernel.plugins.helpers import cart, hooks_of, store_with


def test_the_switch_comes_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("PYCOMMERCE_TRACE_HOOKS", "1")
    assert Settings(var_dir=tmp_path, secret_key="k").trace_hooks is True


async def test_hook_calls_are_traced_when_switched_on(factory, greeter, caplog):
    store = await store_with(factory, "greeter", {"api_key": "sk-trace-secret-42"})
    hooks = await hooks_of(factory, store)
    caplog.set_level(logging.INFO, logger="pycommerce.plugins.trace")
    await hooks.shipping_rates(cart=cart())
    assert not [r for r in caplog.records if r.name == "pycommerce.plugins.trace"]  # off by default
    previous = tracing()
    set_tracing(True)
    try:
        await hooks.shipping_rates(cart=cart())
    finally:
        set_tracing(previous)
    [record] = [r for r in caplog.records if r.name == "pycommerce.plugins.trace"]
    assert (record.hook, record.plugin, record.store_id) == ("pyc_shipping_rates", "greeter", store.id)
    assert record.duration_ms >= 0
    assert "sk-trace-secret-42" not in caplog.text
