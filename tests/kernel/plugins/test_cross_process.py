"""A change made in one process is honoured by another process on its very next request."""

from __future__ import annotations

import httpx
import pytest

from kernel.plugins import configure_plugin, disable_plugin, enable_plugin
from tests.support.plugin_server import plugin_server


@pytest.mark.slow
async def test_enabling_in_one_process_is_honoured_by_another(settings, database, factory, greeter):
    store, other = await factory.store(), await factory.store()
    with plugin_server(settings, database.url, ["tests.plugins.greeter:greeter"]) as base:
        async with httpx.AsyncClient(base_url=base) as remote:
            greeting = f"/api/v1/stores/{store.slug}/greeter/greeting"
            assert (await remote.get(greeting)).status_code == 404  # the other process caches "disabled"

            async with factory.session(store) as session:
                await enable_plugin(session, "greeter", {"greeting": "hello from process 1"})
            assert (await remote.get(greeting)).json() == {"greeting": "hello from process 1"}

            async with factory.session(store) as session:
                await configure_plugin(session, "greeter", {"greeting": "changed"})
            assert (await remote.get(greeting)).json() == {"greeting": "changed"}
            assert (await remote.get(f"/api/v1/stores/{other.slug}/greeter/greeting")).status_code == 404

            async with factory.session(store) as session:
                await disable_plugin(session, "greeter")
            assert (await remote.get(greeting)).status_code == 404
