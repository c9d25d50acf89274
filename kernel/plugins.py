"""TEMPORARY SHIM (orders branch only) standing in for the plugin machinery being built on another
branch, with the same public API. Enablement lives in process memory. Delete when main's
kernel.plugins lands (the merge replaces this file)."""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from importlib import import_module
from importlib.metadata import entry_points
from typing import Annotated, Any

from fastapi import Depends

from kernel.deps import SessionDep, StoreDep
from plugin_sdk.types import StoreInfo

_ENABLED: dict[tuple, dict[str, Any]] = {}
_MODULES: dict[str, Any] = {}


def _modules() -> dict[str, Any]:
    if not _MODULES:
        for ep in entry_points(group="pycommerce.plugins"):
            _MODULES[ep.name] = import_module(ep.value)
    return _MODULES


class _Settings:
    def __init__(self, values: dict[str, Any]):
        self._values = values

    def get(self, plugin_id: str):
        return self._values.get(plugin_id)


async def _call(fn, kwargs):
    names = inspect.signature(fn).parameters
    result = fn(**{k: v for k, v in kwargs.items() if k in names})
    if inspect.isawaitable(result):
        result = await result
    return result


@dataclass
class StoreHooks:
    store: StoreInfo
    enabled: frozenset
    settings: _Settings

    def _kwargs(self, kwargs):
        return {"store": self.store, "settings": self.settings, **kwargs}

    async def call_all(self, hook: str, **kwargs):
        out = []
        for pid in sorted(self.enabled):
            fn = getattr(_modules()[pid], hook, None)
            if fn is not None:
                result = await _call(fn, self._kwargs(kwargs))
                if result is not None:
                    out.append((pid, result))
        return out

    async def first_result(self, hook: str, **kwargs):
        for pid, result in await self.call_all(hook, **kwargs):
            return pid, result
        return None

    async def call_plugin(self, plugin_id: str, hook: str, **kwargs):
        fn = getattr(_modules()[plugin_id], hook, None)
        return None if fn is None else await _call(fn, self._kwargs(kwargs))


def _key(session, store_id):
    return (str(session.bind.url), store_id)


async def store_hooks(session, store_ctx) -> StoreHooks:
    values = dict(_ENABLED.get(_key(session, store_ctx.id), {}))
    info = StoreInfo(id=store_ctx.id, slug=store_ctx.slug, name=store_ctx.name, currency=store_ctx.currency,
                     locale=store_ctx.locale, timezone=store_ctx.timezone)
    return StoreHooks(info, frozenset(values), _Settings(values))


async def _hooks_dep(session: SessionDep, store: StoreDep) -> StoreHooks:
    return await store_hooks(session, store)


StoreHooksDep = Annotated[StoreHooks, Depends(_hooks_dep)]


async def enable_plugin(session, plugin_id: str, settings: dict | None = None) -> None:
    module = _modules()[plugin_id]
    model = module.pyc_plugin_settings()
    _ENABLED.setdefault(_key(session, session.info["store_id"]), {})[plugin_id] = model.model_validate(settings or {})


async def configure_plugin(session, plugin_id: str, settings: dict) -> None:
    await enable_plugin(session, plugin_id, settings)


async def disable_plugin(session, plugin_id: str) -> None:
    _ENABLED.get(_key(session, session.info["store_id"]), {}).pop(plugin_id, None)
