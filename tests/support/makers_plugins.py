"""Isolation object maker for ``{plugin_id}``.

Plugin ids are platform-wide, so "store B's object" is B's own ``store_plugins``
row: one left behind by a plugin that is no longer installed. Aimed at store A
it must answer 404 (A has no such plugin), and store B's row must not change.
"""

from __future__ import annotations

from kernel.plugins.models import StorePlugin
from tests.support.factory import unique
from tests.support.isolation import object_maker


@object_maker("plugin_id")
async def _plugin_row(factory, store) -> str:
    plugin_id = unique("gone_plugin_")
    async with factory.session(store) as session:
        session.add(StorePlugin(plugin_id=plugin_id, enabled=True, settings={"note": "left behind"}))
    return plugin_id
