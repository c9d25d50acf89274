"""Enabling, disabling and configuring plugins for a store; rotating the key of stored secrets.

The session is bound to the store (``SessionDep`` after ``StoreDep``, or
``store_session``). Services never commit. Every change bumps the store's
``plugins_version`` so every process drops its cached relay for that store.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.db import insert_unless_present
from kernel.errors import Conflict, InvalidInput, NotFound
from kernel.plugins import settings as plugin_settings
from kernel.plugins.manager import PyCommercePluginManager, get_plugin_manager, platform_plugins
from kernel.plugins.models import StorePlugin
from kernel.security import SecretBox
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


def _validated(pm: PyCommercePluginManager, plugin_id: str, existing: dict[str, Any] | None,
               changes: dict[str, Any] | None, *, replace: bool) -> dict[str, Any]:
    """The new stored form: ``changes`` over the existing values, validated and re-encrypted."""
    model = plugin_settings.settings_models(pm).get(plugin_id)
    if model is None:
        if changes:
            raise InvalidInput(f"Plugin {plugin_id!r} has no settings.")
        return {}
    current = plugin_settings.decode(existing)
    if replace and changes is not None:  # a full replacement still keeps secrets that were not re-sent
        secrets = plugin_settings.secret_fields(model)
        current = {k: v for k, v in current.items() if k in secrets}
    merged = plugin_settings.merge(current, changes or {}, model)
    instance = plugin_settings.validate(model, merged)
    return plugin_settings.encode(model, instance)


async def enable_plugin(session: AsyncSession, plugin_id: str, settings: dict[str, Any] | None = None,
                        pm: PyCommercePluginManager | None = None) -> StorePlugin:
    """Enable ``plugin_id`` for the session's store, optionally (re)placing its settings (422 if invalid)."""
    pm = pm or get_plugin_manager()
    store_id = _store_id(session)
    _known(pm, plugin_id)
    row = await get_row(session, plugin_id)
    if row is None:  # the first enable; a simultaneous one finds this row, as enabling is idempotent
        stored = _validated(pm, plugin_id, None, settings, replace=True)
        inserted = await insert_unless_present(session, StorePlugin.__table__, ["store_id", "plugin_id"], {
            "store_id": store_id, "plugin_id": plugin_id, "enabled": True, "settings": stored, "version": 1})
        row = await get_row(session, plugin_id)
        if inserted:
            await bump_plugins_version(session, store_id)
            return row
    stored = _validated(pm, plugin_id, row.settings, settings, replace=True) if settings is not None \
        else row.settings
    row.enabled = True
    row.settings = stored
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
    stored = _validated(pm, plugin_id, row.settings if row else None, settings, replace=False)
    if row is None:
        row = StorePlugin(plugin_id=plugin_id, enabled=plugin_id in platform_plugins(), settings=stored)
        session.add(row)
    else:
        row.settings = stored
        row.version += 1
    await session.flush()
    await bump_plugins_version(session, store_id)
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
    """Re-encrypt every stored plugin secret of every store under the current key.

    The session must cross stores (``cross_store_session``). Decrypting uses the
    current key or any of ``PYCOMMERCE_PREVIOUS_SECRET_KEYS``; a secret under an
    unknown key aborts the whole rotation (the transaction rolls back), naming
    the store and plugin but never the value.
    """
    box = box or plugin_settings.secret_box()
    rows = secrets = 0
    for row in (await session.execute(select(StorePlugin).execution_options(all_stores=True))).scalars():
        try:
            rotated, count = _rotate_value(row.settings or {}, box)
        except Exception:
            raise RuntimeError(f"cannot decrypt a secret of plugin {row.plugin_id!r} in store {row.store_id}: "
                               "it was encrypted with a key that is neither current nor previous") from None
        if count:
            row.settings = rotated
            rows += 1
            secrets += count
    await session.flush()
    return RotationReport(rows, secrets)
