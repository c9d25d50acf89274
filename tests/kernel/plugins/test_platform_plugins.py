"""Platform plugins are on for every store and cannot be disabled."""

from __future__ import annotations

import pytest

from kernel.errors import Conflict
from kernel.plugins import disable_plugin, manager
from tests.kernel.plugins.helpers import cart, hooks_of


@pytest.fixture
def greeter_is_platform(greeter, monkeypatch):
    monkeypatch.setattr(manager, "PLATFORM_PLUGINS", ("greeter",))
    return greeter


async def test_a_platform_plugin_runs_for_every_store_and_cannot_be_disabled(client, factory, greeter_is_platform):
    store = await factory.store()
    hooks = await hooks_of(factory, store)
    assert "greeter" in hooks.enabled
    [(plugin_id, rates)] = await hooks.shipping_rates(cart=cart())
    assert plugin_id == "greeter" and rates[0].name == "hello"  # never enabled, default settings
    with pytest.raises(Conflict, match="platform plugin"):
        async with factory.session(store) as session:
            await disable_plugin(session, "greeter")
    owner = await factory.staff(store, "owner")
    response = await client.delete(f"/api/v1/stores/{store.slug}/plugins/greeter", headers=owner.headers)
    assert response.status_code == 409 and "platform plugin" in response.json()["detail"]
    listed = (await client.get(f"/api/v1/stores/{store.slug}/plugins/greeter", headers=owner.headers)).json()
    assert listed["always_on"] is True and listed["enabled"] is True
