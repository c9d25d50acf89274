"""Plugin endpoints: platform administrators see every installed plugin; store owners manage theirs."""

from __future__ import annotations

import logging
from typing import Annotated, Any

from fastapi import Body, Path, Request
from fastapi.responses import JSONResponse
from sqlalchemy import select

from kernel.audit import audit
from kernel.deps import PlatformAdmin, PlatformSessionDep, SessionDep, StoreDep, StoreOwner
from kernel.errors import ERROR_RESPONSES, InvalidInput, NotFound
from kernel.plugins import service
from kernel.plugins import settings as plugin_settings
from kernel.plugins.manager import get_plugin_manager, platform_plugins
from kernel.plugins.deps import StoreHooksDep
from kernel.plugins.models import PlatformPluginSettings, StorePlugin
from kernel.plugins.relay import PluginNotEnabled, platform_rows
from kernel.plugins.schemas import (PlatformPluginFailureRead, PluginInfoRead, SettingsSchemaRead, StorePluginEnable,
                                    StorePluginRead)
from kernel.routing import KernelRouter
from kernel.stores.models import Store

log = logging.getLogger("pycommerce.plugins")

platform_router = KernelRouter(prefix="/api/v1/platform/plugins", tags=["platform: plugins"],
                            responses=ERROR_RESPONSES)
store_router = KernelRouter(prefix="/api/v1/stores/{store_slug}/plugins", tags=["plugins"], responses=ERROR_RESPONSES)

PluginId = Annotated[str, Path(description="The plugin id (its entry-point name).", examples=["flat_rate_shipping"],
                               max_length=100, pattern=r"^[A-Za-z0-9_.-]+$")]


SettingsBody = Annotated[dict[str, Any], Body(examples=[{"rate": 595}], max_length=200)]


def _platform_values(plugin_id: str, row: PlatformPluginSettings | None) -> dict[str, Any] | None:
    """The platform layer as administrators see it: environment values under stored ones, secrets masked."""
    model = plugin_settings.settings_models(get_plugin_manager()).get(plugin_id)
    if model is None:
        return None
    values = plugin_settings.layered(model, plugin_id, None, 1, row.settings if row else None,
                                     row.settings_version if row else 1)
    secrets = plugin_settings.secret_fields(model)
    return {k: (plugin_settings.MASK if k in secrets and v else v) for k, v in values.items()}


def _info(plugin_id: str, enabled_in: list[str], row: PlatformPluginSettings | None) -> PluginInfoRead:
    pm = get_plugin_manager()
    meta = pm.meta[plugin_id]
    model = plugin_settings.settings_models(pm).get(plugin_id)
    return PluginInfoRead(id=plugin_id, distribution=meta.distribution, version=meta.version,
                          hooks=pm.hooks_of(plugin_id), always_on=plugin_id in platform_plugins(), enabled_in=enabled_in,
                          description=meta.info.description, category=meta.info.category,
                          homepage=meta.info.homepage, kernel_requirement=meta.info.kernel,
                          settings_schema=plugin_settings.settings_schema(model),
                          platform_settings=_platform_values(plugin_id, row))


@platform_router.get("", summary="List installed plugins")
async def list_installed_plugins(admin: PlatformAdmin, session: PlatformSessionDep) -> list[PluginInfoRead]:
    """Every installed plugin: distribution, version, description, category, homepage, supported kernel
    versions, hooks implemented, platform settings and the stores using it."""
    where = await _enabled_where(session)
    shared = {r.plugin_id: r for r in (await session.execute(select(PlatformPluginSettings))).scalars()}
    return [_info(pid, where.get(pid, []), shared.get(pid)) for pid in get_plugin_manager().plugin_ids()]


async def _enabled_where(session) -> dict[str, list[str]]:
    """plugin id -> slugs of the stores where it is enabled."""
    where: dict[str, list[str]] = {}
    rows = (await session.execute(
        select(StorePlugin.plugin_id, Store.slug).join(Store, Store.id == StorePlugin.store_id)
        .where(StorePlugin.enabled.is_(True)).order_by(Store.slug)
    )).all()
    for plugin_id, slug in rows:
        where.setdefault(plugin_id, []).append(slug)
    return where


@platform_router.get("/failures", summary="List plugins left out at start-up")
async def list_plugin_failures(admin: PlatformAdmin) -> list[PlatformPluginFailureRead]:
    """Installed plugins that failed to import, or that do not support this kernel's version."""
    return [PlatformPluginFailureRead(id=f.id, distribution=f.distribution, error=f.error)
            for f in get_plugin_manager().failures]


@platform_router.patch("/{plugin_id}/settings", summary="Change some platform settings of a plugin")
async def configure_platform_plugin(plugin_id: PluginId, admin: PlatformAdmin, session: PlatformSessionDep,
                                    settings: SettingsBody, request: Request) -> PluginInfoRead:
    """The values every store falls back to for fields it does not set itself (a store's own value wins).

    Only the keys sent change; a secret sent back as its mask keeps its stored value. Each
    field is validated on its own: a store may still supply the rest.
    """
    before = getattr(await service.get_platform_row(session, plugin_id), "settings", None)
    row = await service.configure_platform_plugin(session, plugin_id, settings)
    # No store's log fits a platform-wide change: it goes to the administrator's account log.
    await audit(session, admin, request, "plugin.platform_settings_change", "plugin", plugin_id,
                plugin_settings.changes(plugin_settings.settings_models(get_plugin_manager()).get(plugin_id),
                                        before, row.settings))
    return _info(plugin_id, (await _enabled_where(session)).get(plugin_id, []), row)


def _read(plugin_id: str, row: StorePlugin | None, shared: Any = None) -> StorePluginRead:
    pm = get_plugin_manager()
    meta = pm.meta.get(plugin_id)
    model = plugin_settings.settings_models(pm).get(plugin_id)
    enabled = plugin_id in platform_plugins() or bool(row and row.enabled)
    problem = None
    if enabled and model is not None:
        try:
            plugin_settings.resolve(model, plugin_id, row.settings if row else None, row.settings_version if row else 1,
                                    shared.settings if shared else None, shared.settings_version if shared else 1)
        except plugin_settings.SettingsProblem as exc:
            problem = str(exc)
    return StorePluginRead(
        id=plugin_id, distribution=meta.distribution if meta else None, version=meta.version if meta else None,
        enabled=enabled, always_on=plugin_id in platform_plugins(),
        settings=plugin_settings.masked(model, row.settings if row else None),
        settings_schema=plugin_settings.settings_schema(model), needs_attention=problem)


async def _read_one(session, plugin_id: str, row: StorePlugin | None) -> StorePluginRead:
    return _read(plugin_id, row, (await platform_rows(session, [plugin_id])).get(plugin_id))


def _installed(plugin_id: str) -> None:
    if get_plugin_manager().get_plugin(plugin_id) is None:
        raise NotFound(f"No plugin {plugin_id!r} is installed.")


@store_router.get("", summary="List the plugins available to this store")
async def list_store_plugins(store: StoreDep, owner: StoreOwner, session: SessionDep) -> list[StorePluginRead]:
    """Every installed plugin, whether it is enabled here, its settings (secrets masked) and form schema."""
    rows = await service.list_rows(session)
    ids = get_plugin_manager().plugin_ids()
    shared = await platform_rows(session, ids)
    return [_read(pid, rows.get(pid), shared.get(pid)) for pid in ids]


@store_router.get("/{plugin_id}", summary="Get one plugin of this store")
async def get_store_plugin(plugin_id: PluginId, store: StoreDep, owner: StoreOwner,
                           session: SessionDep) -> StorePluginRead:
    _installed(plugin_id)
    return await _read_one(session, plugin_id, await service.get_row(session, plugin_id))


@store_router.put("/{plugin_id}", summary="Enable a plugin for this store")
async def enable_store_plugin(plugin_id: PluginId, data: StorePluginEnable, store: StoreDep, owner: StoreOwner,
                              session: SessionDep, request: Request) -> StorePluginRead:
    """Enable the plugin; with ``settings``, validate and store them (422 with field errors otherwise).

    Fields left out fall back to the platform's settings, then to the plugin's defaults.
    """
    before = await _stored(session, plugin_id)
    row = await service.enable_plugin(session, plugin_id, data.settings)
    await audit(session, owner, request, "plugin.enable", "plugin", plugin_id, _changes(plugin_id, before, row))
    return await _read_one(session, plugin_id, row)


async def _stored(session, plugin_id: str) -> dict[str, Any] | None:
    _installed(plugin_id)
    row = await service.get_row(session, plugin_id)
    return dict(row.settings) if row is not None else None


def _changes(plugin_id: str, before: dict[str, Any] | None, row: StorePlugin) -> dict[str, Any]:
    model = plugin_settings.settings_models(get_plugin_manager()).get(plugin_id)
    return plugin_settings.changes(model, before, row.settings)


@store_router.delete("/{plugin_id}", summary="Disable a plugin for this store")
async def disable_store_plugin(plugin_id: PluginId, store: StoreDep, owner: StoreOwner,
                               session: SessionDep, request: Request) -> StorePluginRead:
    """The plugin falls silent for this store at once (its settings are kept for a later re-enable)."""
    row = await service.disable_plugin(session, plugin_id)
    await audit(session, owner, request, "plugin.disable", "plugin", plugin_id)
    return await _read_one(session, plugin_id, row)


@store_router.patch("/{plugin_id}/settings", summary="Change some settings of a plugin")
async def configure_store_plugin(plugin_id: PluginId, store: StoreDep, owner: StoreOwner, session: SessionDep,
                                 settings: SettingsBody, request: Request) -> StorePluginRead:
    """Only the keys sent change; a secret sent back as its mask keeps its stored value."""
    before = await _stored(session, plugin_id)
    row = await service.configure_plugin(session, plugin_id, settings)
    await audit(session, owner, request, "plugin.settings_change", "plugin", plugin_id,
                _changes(plugin_id, before, row))
    return await _read_one(session, plugin_id, row)


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
        result = await hooks.gateway_webhook(plugin_id, headers=headers, body=body)
    except PluginNotEnabled:
        raise
    except Exception as exc:  # never log the body or headers: they carry signatures and personal data
        log.warning("webhook for plugin %s in store %s rejected: %s", plugin_id, hooks.store.slug,
                    type(exc).__name__, extra={"plugin": plugin_id, "store_id": hooks.store.id})
        raise WebhookRejected("The webhook was rejected.") from None
    return JSONResponse(result if result is not None else {})
