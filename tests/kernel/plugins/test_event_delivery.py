"""End to end: an event committed in a store reaches, through the outbox and the worker, only that
store's enabled plugins (the bridge wired by ``create_app`` and ``pycommerce worker``)."""

from __future__ import annotations

import pytest

from kernel.events import emit_event
from plugin_sdk.events import OrderPlaced
from tests.kernel.plugins.helpers import store_with
from tests.support.jobs import make_worker  # noqa: F401 (fixture)
from tests.support.plugins import registered


@pytest.fixture
def probe():
    with registered("probe") as module:
        yield module


async def test_outbox_event_reaches_only_the_enabling_store(app, factory, make_worker, probe):
    enabled = await store_with(factory, "probe", {"label": "from-outbox"})
    other = await factory.store()
    emitted = {}
    for store in (enabled, other):
        async with factory.session(store) as session:
            emitted[store.slug] = (await emit_event(session, OrderPlaced.example())).event_id
    await make_worker().run_until_idle()
    seen = [(slug, event_id, label) for slug, event_id, label in probe.events if slug in emitted]
    assert seen == [(enabled.slug, emitted[enabled.slug], "from-outbox")]
