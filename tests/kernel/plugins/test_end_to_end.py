"""Discovery end to end: scaffold with `pycommerce plugin new`, pip-install, and a fresh kernel finds it.

The scaffolded package's own tests must pass straight away; enabling it for
store A makes its hook run for A only; store B never sees it. The package is
uninstalled afterwards whatever happens.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid

import pytest

FRESH_KERNEL = r"""
import asyncio, json, sys
from kernel.config import Settings
from kernel.db import create_engine_for, make_sessionmaker, store_session
from kernel.plugins import enable_plugin, get_plugin_manager, store_hooks
from kernel.plugins.settings import use_settings
from kernel.stores.service import get_store
from kernel.tenancy import StoreContext
from plugin_sdk.types import CartView

plugin_id, slug_a, slug_b = sys.argv[1:4]

async def main():
    settings = Settings()
    use_settings(settings)
    pm = get_plugin_manager()
    factory = make_sessionmaker(create_engine_for(settings.database_url))
    async with store_session(factory, None) as session:
        a = StoreContext.of(await get_store(session, slug_a))
    async with store_session(factory, a.id) as session:
        await enable_plugin(session, plugin_id, {"label": "Only for A", "rate": 321})
    seen = {}
    for slug in (slug_a, slug_b):
        async with store_session(factory, None) as session:
            store = StoreContext.of(await get_store(session, slug))
        async with store_session(factory, store.id) as session:
            hooks = await store_hooks(session, store)
            results = await hooks.shipping_rates(cart=CartView(currency="USD", lines=[], subtotal=0))
        seen[slug] = [[pid, [[r.name, r.amount] for r in rates]] for pid, rates in results]
    print(json.dumps({"discovered": pm.plugin_ids(), "distribution": pm.meta[plugin_id].distribution,
                      "seen": seen}))

asyncio.run(main())
"""


def run(args, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(args, capture_output=True, text=True, timeout=300, **kwargs)


@pytest.mark.slow
async def test_scaffold_install_discover_enable_for_one_store(tmp_path, settings, database, factory):
    name = f"e2e-hello-{uuid.uuid4().hex[:6]}"
    plugin_id = name.replace("-", "_")
    a, b = await factory.store(), await factory.store()
    env = {**os.environ, "PYCOMMERCE_DATABASE_URL": database.url,
           "PYCOMMERCE_PLATFORM_DATABASE_URL": database.platform_url, "PYCOMMERCE_ENV": "test",
           "PYCOMMERCE_SECRET_KEY": settings.secret_key.get_secret_value(),
           "PYCOMMERCE_VAR_DIR": str(settings.var_dir), "PYCOMMERCE_LOG_LEVEL": "WARNING"}

    created = run([sys.executable, "-m", "kernel.cli", "plugin", "new", name, "--with-migrations",
                   "--dir", str(tmp_path)], env=env)
    assert created.returncode == 0, created.stderr
    root = tmp_path / name
    assert (root / plugin_id / "plugin.py").is_file() and (root / plugin_id / "migrations").is_dir()
    try:
        installed = run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", str(root)])
        assert installed.returncode == 0, installed.stderr

        own_tests = run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"], cwd=root,
                        env={k: v for k, v in os.environ.items() if not k.startswith("PYCOMMERCE_")})
        assert own_tests.returncode == 0, own_tests.stdout + own_tests.stderr
        assert "6 passed" in own_tests.stdout

        fresh = run([sys.executable, "-c", FRESH_KERNEL, plugin_id, a.slug, b.slug], env=env)
        assert fresh.returncode == 0, fresh.stderr
        report = json.loads(fresh.stdout.strip().splitlines()[-1])
        assert plugin_id in report["discovered"] and report["distribution"] == name
        assert report["seen"] == {a.slug: [[plugin_id, [["Only for A", 321]]]], b.slug: []}

        listing = run([sys.executable, "-m", "kernel.cli", "plugins", "--json"], env=env)
        assert listing.returncode == 0, listing.stderr
        [entry] = [p for p in json.loads(listing.stdout)["plugins"] if p["id"] == plugin_id]
        assert a.slug in entry["enabled_in"] and b.slug not in entry["enabled_in"]
        assert entry["hooks"] == ["pyc_on_event", "pyc_plugin_settings", "pyc_shipping_rates"]
    finally:
        run([sys.executable, "-m", "pip", "uninstall", "-y", "-q", name])
    gone = run([sys.executable, "-m", "kernel.cli", "plugins", "--json"], env=env)
    assert plugin_id not in [p["id"] for p in json.loads(gone.stdout)["plugins"]]
