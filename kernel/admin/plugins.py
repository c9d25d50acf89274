"""Plugins (owners, as the API's plugin endpoints): every installed plugin with whether it is on here;
enable and disable; the settings form generated from the plugin's settings schema
(:mod:`kernel.admin.schema_form`), secrets write-only, errors beside their fields, and "needs
attention" when the stored settings no longer validate."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Request

from kernel.admin import schema_form
from kernel.admin.changes import refusable
from kernel.admin.guards import ADMIN_PATH, OwnerPage, PlatformHost
from kernel.admin.layout import store_page
from kernel.admin.rendering import field_errors, redirect
from kernel.deps import SessionDep, StoreDep
from kernel.errors import DomainError
from kernel.plugins import settings as plugin_settings
from kernel.plugins.api import (configure_store_plugin, disable_store_plugin, enable_store_plugin, get_store_plugin,
                                list_store_plugins)
from kernel.plugins.manager import get_plugin_manager
from kernel.plugins.schemas import StorePluginEnable
from kernel.routing import KernelRouter

router = KernelRouter(prefix=ADMIN_PATH + "/stores/{store_slug}/plugins", include_in_schema=False,
                      dependencies=[PlatformHost])
PluginId = Annotated[str, Path(max_length=100, pattern=r"^[A-Za-z0-9_.-]+$")]


@router.get("")
async def plugins_page(request: Request, store: StoreDep, session: SessionDep, principal: OwnerPage):
    plugins = await list_store_plugins(store, principal, session)
    return await store_page(request, session, principal, store, "plugins", "store/plugins.html",
                            {"plugins": plugins})


async def _plugin_page(request, session, principal, store, plugin_id: str, *, errors=None, values=None,
                       status_code: int = 200):
    plugin = await get_store_plugin(plugin_id, store, principal, session)
    fields = schema_form.build(plugin.settings_schema, values or plugin.settings) if plugin.settings_schema else []
    return await store_page(request, session, principal, store, "plugins", "store/plugin.html", {
        "plugin": plugin, "fields": fields, "errors": errors or {}}, status_code)


@router.get("/{plugin_id}")
async def plugin_page(plugin_id: PluginId, request: Request, store: StoreDep, session: SessionDep,
                      principal: OwnerPage):
    return await _plugin_page(request, session, principal, store, plugin_id)


@router.post("/{plugin_id}/enable")
async def enable(plugin_id: PluginId, request: Request, store: StoreDep, session: SessionDep, principal: OwnerPage):
    await enable_store_plugin(plugin_id, StorePluginEnable(), store, principal, session, request)
    return redirect(request, f"{ADMIN_PATH}/stores/{store.slug}/plugins/{plugin_id}", f"{plugin_id} is enabled.")


@router.post("/{plugin_id}/disable")
async def disable(plugin_id: PluginId, request: Request, store: StoreDep, session: SessionDep, principal: OwnerPage):
    await disable_store_plugin(plugin_id, store, principal, session, request)
    return redirect(request, f"{ADMIN_PATH}/stores/{store.slug}/plugins", f"{plugin_id} is disabled.", "info")


@router.post("/{plugin_id}/settings")
async def save_settings(plugin_id: PluginId, request: Request, store: StoreDep, session: SessionDep,
                        principal: OwnerPage):
    plugin = await get_store_plugin(plugin_id, store, principal, session)
    if not plugin.settings_schema:
        return redirect(request, f"{ADMIN_PATH}/stores/{store.slug}/plugins/{plugin_id}", "Nothing to save.", "info")
    form = await request.form()
    values = schema_form.read(plugin.settings_schema, form, plugin.settings)
    try:
        async with refusable(session):
            await configure_store_plugin(plugin_id, store, principal, session, values, request)
    except DomainError as refused:
        shown = {k: v for k, v in values.items() if k not in plugin_settings.secret_fields(
            plugin_settings.settings_models(get_plugin_manager())[plugin_id])}  # typed secrets are never echoed
        errors = field_errors(refused.errors) if refused.errors else {"form": refused.detail}
        return await _plugin_page(request, session, principal, store, plugin_id, errors=errors,
                                  values={**(plugin.settings or {}), **shown}, status_code=refused.status)
    return redirect(request, f"{ADMIN_PATH}/stores/{store.slug}/plugins/{plugin_id}", "Settings saved.")
