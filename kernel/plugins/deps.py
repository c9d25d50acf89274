"""FastAPI dependencies: the request store's hooks, and the guard on plugin-mounted routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from kernel.deps import SessionDep, StoreDep
from kernel.plugins.manager import platform_plugins
from kernel.plugins.relay import Hooks, PluginNotEnabled, cached_store_hooks, store_hooks
from kernel.tenancy import resolve_store


async def get_store_hooks(store: StoreDep, session: SessionDep) -> Hooks:
    return await store_hooks(session, store)


StoreHooksDep = Annotated[Hooks, Depends(get_store_hooks)]


def require_plugin_enabled(plugin_id: str):
    """Guard for a plugin's routes: under ``/api/v1/stores/{store_slug}/`` they answer 404 where it is off.

    Reads ``store_slug`` from the matched path rather than declaring it, so the
    same guard sits on a plugin's platform-level routes (no slug) harmlessly.
    """

    async def guard(request: Request, session: SessionDep) -> None:
        request.state.plugin_id = plugin_id  # whose route this is: plugin_sdk.deps.ContextDep gives its own settings
        slug = request.path_params.get("store_slug")
        if slug is None or plugin_id in platform_plugins():
            return
        store = getattr(request.state, "store", None)
        if store is None or store.slug != slug:
            store = await resolve_store(session, slug=slug)
        if not (await cached_store_hooks(session, store)).is_active(plugin_id):
            raise PluginNotEnabled("Not found.")

    return guard
