"""Enabling, disabling and configuring plugins for a store or the platform; rotating the key of stored secrets.

Store functions take a session bound to the store (``SessionDep`` after ``StoreDep``,
or ``store_session``); platform settings a session crossing stores. Services never
commit. Every change bumps the ``plugins_version`` of the stores it affects (every
store, for platform settings) so every process drops its cached relays.

Settings are validated as the store will see them, layered over the platform's values
(:func:`kernel.plugins.settings.layered`), and stored as only what the store set itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.db import insert_unless_present
from kernel.errors import Conflict, InvalidInput, NotFound
from kernel.plugins import settings as plugin_settings
from kernel.plugins.manager import PyCommercePluginManager, get_plugin_manager, platform_plugins
from kernel.plugins.models import PlatformPluginSettings, StorePlugin
from kernel.security import SecretBox
from kernel.stores.models import Store
from kernel.stores.service import bump_plugins_version


def _store_id(session: AsyncSession) -> int:
    store_id = session.info.get("store_id")
    if store_id is None:
        raise RuntimeError("plugin settings need a session bound to a store")
    return store_id


def _known(pm: PyCommercePluginManager, plugin_id: str) -> None:
    if pm.get_plugin(plugin_id) is None:
        raise NotFound(f"No plugin {plugin_id!r} is installed.")


async def get_row(session: AsyncSession, plugin_id: str) -> StorePlugin | None:
    return (await session.execute(
        select(StorePlugin).where(StorePlugin.plugin_id == plugin_id)
    )).scalar_one_or_none()


async def list_rows(session: AsyncSession) -> dict[str, StorePlugin]:
    return {row.plugin_id: row for row in (await session.execute(select(StorePlugin))).scalars()}


async def get_platform_row(session: AsyncSession, plugin_id: str) -> PlatformPluginSettings | None:
    return await session.get(PlatformPluginSettings, plugin_id)


def _validated(pm: PyCommercePluginManager, plugin_id: str, existing: dict[str, Any] | None, existing_version: int,
               changes: dict[str, Any] | None, *, replace: bool,
               beneath: dict[str, Any] | None = None) -> dict[str, Any]:
    """The new stored form: ``changes`` over the existing values (migrated to the model's version),
    validated over the plain values ``beneath`` them (platform and environment), re-encrypted."""
    model = plugin_settings.settings_models(pm).get(plugin_id)
    if model is None:
        if changes:
            raise InvalidInput(f"Plugin {plugin_id!r} has no settings.")
        return {}
    current = plugin_settings.migrated(model, plugin_settings.decode(existing), existing_version)
    if replace and changes is not None:  # a full replacement still keeps secrets that were not re-sent
        secrets = plugin_settings.secret_fields(model)
        current = {k: v for k, v in current.items() if k in secrets}
    own = plugin_settings.merge(current, changes or {}, model)
    instance = plugin_settings.validate(model, {**(beneath or {}), **own})
    return {k: v for k, v in plugin_settings.encode(model, instance).items() if k in own}


async def _beneath(session: AsyncSession, pm: PyCommercePluginManager, plugin_id: str) -> dict[str, Any]:
    """What a store's settings of ``plugin_id`` fall back to: the platform's values over the environment's."""
    model = plugin_settings.settings_models(pm).get(plugin_id)
    if model is None:
        return {}
    shared = await get_platform_row(session, plugin_id)
    return plugin_settings.layered(model, plugin_id, None, 1, shared.settings if shared else None,
                                   shared.settings_version if shared else 1)


def _version(pm: PyCommercePluginManager, plugin_id: str) -> int:
    model = plugin_settings.settings_models(pm).get(plugin_id)
    return plugin_settings.version_of(model) if model is not None else 1


async def enable_plugin(session: AsyncSession, plugin_id: str, settings: dict[str, Any] | None = None,
                        pm: PyCommercePluginManager | None = None) -> StorePlugin:
    """Enable ``plugin_id`` for the session's store, optionally (re)placing its settings (422 if invalid)."""
    pm = pm or get_plugin_manager()
    store_id = _store_id(session)
    _known(pm, plugin_id)
    row = await get_row(session, plugin_id)
    if settings is not None or row is None:
        stored = _validated(pm, plugin_id, row.settings if row else None, row.settings_version if row else 1,
                            settings, replace=True, beneath=await _beneath(session, pm, plugin_id))
        stored_version = _version(pm, plugin_id)
    else:
        stored, stored_version = row.settings, row.settings_version
    if row is None:  # the first enable; a simultaneous one finds this row, as enabling is idempotent
        inserted = await insert_unless_present(session, StorePlugin.__table__, ["store_id", "plugin_id"], {
            "store_id": store_id, "plugin_id": plugin_id, "enabled": True, "settings": stored,
            "settings_version": stored_version, "version": 1})
        row = await get_row(session, plugin_id)
        if inserted:
            await bump_plugins_version(session, store_id)
            return row
    row.enabled = True
    row.settings, row.settings_version = stored, stored_version
    row.version += 1
    await session.flush()
    await bump_plugins_version(session, store_id)
    return row


async def disable_plugin(session: AsyncSession, plugin_id: str,
                         pm: PyCommercePluginManager | None = None) -> StorePlugin:
    """Disable ``plugin_id`` for the session's store; its settings are kept for a later re-enable."""
    pm = pm or get_plugin_manager()
    store_id = _store_id(session)
    _known(pm, plugin_id)
    if plugin_id in platform_plugins():
        raise Conflict(f"{plugin_id!r} is a platform plugin: it is always on and cannot be disabled.")
    row = await get_row(session, plugin_id)
    if row is None:
        row = StorePlugin(plugin_id=plugin_id, enabled=False, settings={})
        session.add(row)
    else:
        row.enabled = False
        row.version += 1
    await session.flush()
    await bump_plugins_version(session, store_id)
    return row


async def configure_plugin(session: AsyncSession, plugin_id: str, settings: dict[str, Any],
                           pm: PyCommercePluginManager | None = None) -> StorePlugin:
    """Change some settings of ``plugin_id`` for the session's store (others, and secrets not sent, stay)."""
    pm = pm or get_plugin_manager()
    store_id = _store_id(session)
    _known(pm, plugin_id)
    row = await get_row(session, plugin_id)
    stored = _validated(pm, plugin_id, row.settings if row else None, row.settings_version if row else 1, settings,
                        replace=False, beneath=await _beneath(session, pm, plugin_id))
    if row is None:
        row = StorePlugin(plugin_id=plugin_id, enabled=plugin_id in platform_plugins(), settings=stored,
                          settings_version=_version(pm, plugin_id))
        session.add(row)
    else:
        row.settings, row.settings_version = stored, _version(pm, plugin_id)
        row.version += 1
    await session.flush()
    await bump_plugins_version(session, store_id)
    return row


async def configure_platform_plugin(session: AsyncSession, plugin_id: str, settings: dict[str, Any],
                                    pm: PyCommercePluginManager | None = None) -> PlatformPluginSettings:
    """Change some of a plugin's platform settings: the default of every store that does not set them.

    Validated field by field (a store may still supply what the platform leaves unset), over
    the environment's values. The session crosses stores: every store's relay is rebuilt.
    """
    pm = pm or get_plugin_manager()
    _known(pm, plugin_id)
    model = plugin_settings.settings_models(pm).get(plugin_id)
    if model is None:
        raise InvalidInput(f"Plugin {plugin_id!r} has no settings.")
    row = await get_platform_row(session, plugin_id)
    current = plugin_settings.migrated(model, plugin_settings.decode(row.settings if row else None),
                                       row.settings_version if row else 1)
    own = plugin_settings.merge(current, settings, model)
    plugin_settings.validate_fields(model, own)
    stored = plugin_settings.encode_fields(model, own)
    if row is None:
        row = PlatformPluginSettings(plugin_id=plugin_id, settings=stored,
                                     settings_version=plugin_settings.version_of(model))
        session.add(row)
    else:
        row.settings, row.settings_version = stored, plugin_settings.version_of(model)
    await session.flush()
    await session.execute(update(Store).values(plugins_version=Store.plugins_version + 1)
                          .execution_options(synchronize_session=False))
    return row


@dataclass
class RotationReport:
    rows: int
    secrets: int


def _rotate_value(value: Any, box: SecretBox) -> tuple[Any, int]:
    if isinstance(value, dict):
        if set(value) == {plugin_settings.SECRET_MARK}:
            return {plugin_settings.SECRET_MARK: box.rotate(value[plugin_settings.SECRET_MARK])}, 1
        out, count = {}, 0
        for k, v in value.items():
            out[k], n = _rotate_value(v, box)
            count += n
        return out, count
    return value, 0


async def rotate_secrets(session: AsyncSession, box: SecretBox | None = None) -> RotationReport:
    """Re-encrypt every stored plugin secret, of every store and of the platform, under the current key.

    The session must cross stores (``cross_store_session``). Decrypting uses the
    current key or any of ``PYCOMMERCE_PREVIOUS_SECRET_KEYS``; a secret under an
    unknown key aborts the whole rotation (the transaction rolls back), naming
    the store and plugin but never the value.
    """
    box = box or plugin_settings.secret_box()
    rows = secrets = 0
    stored = [*(await session.execute(select(StorePlugin).execution_options(all_stores=True))).scalars(),
              *(await session.execute(select(PlatformPluginSettings))).scalars()]
    for row in stored:
        try:
            rotated, count = _rotate_value(row.settings or {}, box)
        except Exception:
            where = f"in store {row.store_id}" if isinstance(row, StorePlugin) else "in the platform settings"
            raise RuntimeError(f"cannot decrypt a secret of plugin {row.plugin_id!r} {where}: "
                               "it was encrypted with a key that is neither current nor previous") from None
        if count:
            row.settings = rotated
            rows += 1
            secrets += count
    await session.flush()
    return RotationReport(rows, secrets)
