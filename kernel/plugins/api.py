"""Plugin endpoints: platform administrators see every installed plugin; store owners manage theirs."""

from __future__ import annotations

import logging
from typing import Annotated, Any

from fastapi import Body, Path, Request
from fastapi.responses import JSONResponse
from sqlalchemy import select

from kernel.deps import PlatformAdmin, PlatformSessionDep, SessionDep, StoreDep, StoreOwner
from kernel.errors import ERROR_RESPONSES, InvalidInput, NotFound
from kernel.plugins import service
from kernel.plugins import settings as plugin_settings
from kernel.plugins.manager import get_plugin_manager, platform_plugins
from kernel.plugins.deps import StoreHooksDep
from kernel.plugins.models import StorePlugin
from kernel.plugins.relay import PluginNotEnabled
from kernel.plugins.schemas import PluginInfoRead, SettingsSchemaRead, StorePluginEnable, StorePluginRead
from kernel.routing import KernelRouter
from kernel.stores.models import Store

log = logging.getLogger("pycommerce.plugins")

platform_router = KernelRouter(prefix="/api/v1/platform/plugins", tags=["platform: plugins"],
                            responses=ERROR_RESPONSES)
store_router = KernelRouter(prefix="/api/v1/stores/{store_slug}/plugins", tags=["plugins"], responses=ERROR_RESPONSES)

PluginId = Annotated[str, Path(description="The plugin id (its entry-point name).", examples=["flat_rate_shipping"],
                               max_length=100, pattern=r"^[A-Za-z0-9_.-]+$")]


@platform_router.get("", summary="List installed plugins")
async def list_installed_plugins(admin: PlatformAdmin, session: PlatformSessionDep) -> list[PluginInfoRead]:
    """Every installed plugin: distribution, version, hooks implemented and the stores using it."""
    pm = get_plugin_manager()
    where: dict[str, list[str]] = {}
    rows = (await session.execute(
        select(StorePlugin.plugin_id, Store.slug).join(Store, Store.id == StorePlugin.store_id)
        .where(StorePlugin.enabled.is_(True)).order_by(Store.slug)
    )).all()
    for plugin_id, slug in rows:
        where.setdefault(plugin_id, []).append(slug)
    return [PluginInfoRead(id=pid, distribution=pm.meta[pid].distribution, version=pm.meta[pid].version,
                           hooks=pm.hooks_of(pid), always_on=pid in platform_plugins(), enabled_in=where.get(pid, []))
            for pid in pm.plugin_ids()]


def _read(plugin_id: str, row: StorePlugin | None) -> StorePluginRead:
    pm = get_plugin_manager()
    meta = pm.meta.get(plugin_id)
    model = plugin_settings.settings_models(pm).get(plugin_id)
    return StorePluginRead(
        id=plugin_id, distribution=meta.distribution if meta else None, version=meta.version if meta else None,
        enabled=plugin_id in platform_plugins() or bool(row and row.enabled), always_on=plugin_id in platform_plugins(),
        settings=plugin_settings.masked(model, row.settings if row else None),
        settings_schema=plugin_settings.settings_schema(model))


def _installed(plugin_id: str) -> None:
    if get_plugin_manager().get_plugin(plugin_id) is None:
        raise NotFound(f"No plugin {plugin_id!r} is installed.")


@store_router.get("", summary="List the plugins available to this store")
async def list_store_plugins(store: StoreDep, owner: StoreOwner, session: SessionDep) -> list[StorePluginRead]:
    """Every installed plugin, whether it is enabled here, its settings (secrets masked) and form schema."""
    rows = await service.list_rows(session)
    return [_read(pid, rows.get(pid)) for pid in get_plugin_manager().plugin_ids()]


@store_router.get("/{plugin_id}", summary="Get one plugin of this store")
async def get_store_plugin(plugin_id: PluginId, store: StoreDep, owner: StoreOwner,
                           session: SessionDep) -> StorePluginRead:
    _installed(plugin_id)
    return _read(plugin_id, await service.get_row(session, plugin_id))


@store_router.put("/{plugin_id}", summary="Enable a plugin for this store")
async def enable_store_plugin(plugin_id: PluginId, data: StorePluginEnable, store: StoreDep, owner: StoreOwner,
                              session: SessionDep) -> StorePluginRead:
    """Enable the plugin; with ``settings``, validate and store them (422 with field errors otherwise)."""
    row = await service.enable_plugin(session, plugin_id, data.settings)
    return _read(plugin_id, row)


@store_router.delete("/{plugin_id}", summary="Disable a plugin for this store")
async def disable_store_plugin(plugin_id: PluginId, store: StoreDep, owner: StoreOwner,
                               session: SessionDep) -> StorePluginRead:
    """The plugin falls silent for this store at once (its settings are kept for a later re-enable)."""
    return _read(plugin_id, await service.disable_plugin(session, plugin_id))


@store_router.patch("/{plugin_id}/settings", summary="Change some settings of a plugin")
async def configure_store_plugin(
        plugin_id: PluginId, store: StoreDep, owner: StoreOwner, session: SessionDep,
        settings: Annotated[dict[str, Any], Body(examples=[{"rate": 595}], max_length=200)]) -> StorePluginRead:
    """Only the keys sent change; a secret sent back as its mask keeps its stored value."""
    return _read(plugin_id, await service.configure_plugin(session, plugin_id, settings))


@store_router.get("/{plugin_id}/settings/schema", summary="The JSON schema of a plugin's settings")
async def store_plugin_settings_schema(plugin_id: PluginId, store: StoreDep, owner: StoreOwner) -> SettingsSchemaRead:
    """For rendering the settings form in the admin: secret fields are marked ``writeOnly``."""
    _installed(plugin_id)
    model = plugin_settings.settings_models(get_plugin_manager()).get(plugin_id)
    return SettingsSchemaRead(id=plugin_id, settings_schema=plugin_settings.settings_schema(model))


webhook_router = KernelRouter(prefix="/api/v1/stores/{store_slug}/webhooks", tags=["plugins"],
                           responses=ERROR_RESPONSES)


class WebhookRejected(InvalidInput):
    status, title, code = 400, "Bad Request", "webhook-rejected"


@webhook_router.post("/{plugin_id}", summary="Deliver a payment gateway's webhook to its plugin",
                     response_model=dict[str, Any],
                     responses={200: {"content": {"application/json": {"example": {"received": True}}}}})
async def gateway_webhook(plugin_id: PluginId, request: Request, hooks: StoreHooksDep) -> JSONResponse:
    """No sign-in: the plugin verifies the gateway's signature on the raw body (``pyc_gateway_webhook``).

    404 when the plugin is not enabled for this store; 400 when the plugin rejects the delivery.
    """
    body = await request.body()
    headers = {k.lower(): v for k, v in request.headers.items()}
    try:
        result = await hooks.call_plugin(plugin_id, "pyc_gateway_webhook", headers=headers, body=body)
    except PluginNotEnabled:
        raise
    except Exception as exc:  # never log the body or headers: they carry signatures and personal data
        log.warning("webhook for plugin %s in store %s rejected: %s", plugin_id, hooks.store.slug,
                    type(exc).__name__, extra={"plugin": plugin_id, "store_id": hooks.store.id})
        raise WebhookRejected("The webhook was rejected.") from None
    return JSONResponse(result if result is not None else {})
