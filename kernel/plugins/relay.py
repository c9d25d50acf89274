"""Per-store hooks: a relay over the process-wide manager, cached per (store, plugins version).

Modelled on pytest's ``FSHookProxy``: for each hook the relay asks
``pm.subset_hook_caller(name, remove_plugins)`` once, where ``remove_plugins`` is
every registered plugin that is neither enabled for the store nor a platform
plugin (subset callers are a deny-list). pluggy >= 1.7 filters by plugin
object, so an implementation registered under another function name
(``specname``) is removed with its plugin.

The store row's ``plugins_version`` is read on every request anyway (store
resolution), so comparing it here is the cross-process invalidation: a process
that enabled a plugin bumped the version, and every other process rebuilds its
relay on its next request for that store.
"""

from __future__ import annotations

import logging
from typing import Any

from pluggy import HookCaller
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.errors import NotFound
from kernel.plugins import settings as plugin_settings
from kernel.plugins.calling import call_impl, call_order
from kernel.plugins.manager import PyCommercePluginManager, get_plugin_manager, platform_plugins
from kernel.plugins.models import StorePlugin
from kernel.tenancy import StoreContext
from plugin_sdk.settings import StoreSettings
from plugin_sdk.types import StoreInfo


log = logging.getLogger("pycommerce.plugins")


class PluginNotEnabled(NotFound):
    code = "plugin-not-enabled"


class StoreHooks:
    """The hooks of the plugins enabled for one store (plus platform plugins).

    ``store`` and ``settings`` are passed to every hook that declares them, so
    callers only pass the hook's own arguments::

        rates = await hooks.call_all("pyc_shipping_rates", cart=cart)
    """

    def __init__(self, pm: PyCommercePluginManager, store: StoreContext, enabled: frozenset[str],
                 settings: StoreSettings):
        self.pm = pm
        self.store = store
        self.enabled = enabled
        self.settings = settings
        self.info = StoreInfo(id=store.id, slug=store.slug, name=store.name, currency=store.currency,
                              locale=store.locale, timezone=store.timezone)
        active = enabled | set(platform_plugins())
        self._remove = frozenset(plugin for name, plugin in pm.list_name_plugin()
                                 if plugin is not None and name not in active)
        self._callers: dict[str, HookCaller] = {}

    def caller(self, hook_name: str) -> HookCaller:
        """The pluggy subset caller of ``hook_name`` for this store (cached)."""
        caller = self._callers.get(hook_name)
        if caller is None:
            if not hasattr(self.pm.hook, hook_name):
                raise AttributeError(f"no hook named {hook_name!r}")
            caller = self.pm.subset_hook_caller(hook_name, self._remove)
            self._callers[hook_name] = caller
        return caller

    def __getattr__(self, hook_name: str) -> HookCaller:
        """``hooks.pyc_x`` is the raw subset caller (results of all implementations, sync only)."""
        if hook_name.startswith("pyc_"):
            return self.caller(hook_name)
        raise AttributeError(hook_name)

    def _kwargs(self, caller: HookCaller, kwargs: dict[str, Any]) -> dict[str, Any]:
        argnames = caller.spec.argnames if caller.spec is not None else ()
        full = dict(kwargs)
        if "store" in argnames:
            full.setdefault("store", self.info)
        if "settings" in argnames:
            full.setdefault("settings", self.settings)
        return full

    async def call_all(self, hook_name: str, **kwargs: Any) -> list[tuple[str, Any]]:
        """``(plugin id, result)`` of every enabled implementation whose result is not ``None``."""
        caller = self.caller(hook_name)
        full = self._kwargs(caller, kwargs)
        results = []
        for impl in call_order(caller.get_hookimpls()):
            result = await call_impl(impl, hook_name, full, self.store.id)
            if result is not None:
                results.append((impl.plugin_name, result))
        return results

    async def call_all_isolated(self, hook_name: str, **kwargs: Any) -> list[tuple[str, Any]]:
        """Like :meth:`call_all`, but a plugin that raises is logged (plugin, store) and skipped.

        For hooks where one broken plugin must not break the page for the
        shopper (shipping rates, payment methods, admin navigation).
        """
        caller = self.caller(hook_name)
        full = self._kwargs(caller, kwargs)
        results = []
        for impl in call_order(caller.get_hookimpls()):
            try:
                result = await call_impl(impl, hook_name, full, self.store.id)
            except Exception as exc:
                log.error("plugin %s failed in %s for store %s; skipped: %s", impl.plugin_name, hook_name,
                          self.store.slug, type(exc).__name__, exc_info=exc,
                          extra={"plugin": impl.plugin_name, "hook": hook_name, "store_id": self.store.id})
                continue
            if result is not None:
                results.append((impl.plugin_name, result))
        return results

    async def first_result(self, hook_name: str, **kwargs: Any) -> tuple[str, Any] | None:
        """The first non-None ``(plugin id, result)``, awaiting in order; later plugins are not called."""
        caller = self.caller(hook_name)
        full = self._kwargs(caller, kwargs)
        for impl in call_order(caller.get_hookimpls()):
            result = await call_impl(impl, hook_name, full, self.store.id)
            if result is not None:
                return impl.plugin_name, result
        return None

    async def call_plugin(self, plugin_id: str, hook_name: str, **kwargs: Any) -> Any:
        """Ask one plugin only (e.g. the gateway a webhook is addressed to): its first non-None result.

        :raises PluginNotEnabled: (404) the plugin is not enabled for this store.
        """
        if plugin_id not in self.enabled and plugin_id not in platform_plugins():
            raise PluginNotEnabled(f"Plugin {plugin_id!r} is not enabled for this store.")
        caller = self.caller(hook_name)
        full = self._kwargs(caller, kwargs)
        if caller.spec is not None and "plugin_id" in caller.spec.argnames:
            full.setdefault("plugin_id", plugin_id)
        for impl in call_order(caller.get_hookimpls()):
            if impl.plugin_name != plugin_id:
                continue
            result = await call_impl(impl, hook_name, full, self.store.id)
            if result is not None:
                return result
        return None

    def __repr__(self) -> str:
        return f"StoreHooks(store={self.store.slug!r}, enabled={sorted(self.enabled)})"


# store id -> (plugins version, manager generation, manager id, relay)
# Keyed by (database, store id): store ids are only unique within one database, and a process may
# talk to several (the test suite runs SQLite and PostgreSQL side by side).
_cache: dict[tuple[str, int], tuple[int, int, int, StoreHooks]] = {}


def _cache_key(session: AsyncSession, store: StoreContext) -> tuple[str, int]:
    bind = session.bind
    return (str(bind.url) if bind is not None else "", store.id)


async def load_store_hooks(session: AsyncSession, store: StoreContext,
                           pm: PyCommercePluginManager | None = None) -> StoreHooks:
    """Build a store's relay from its ``store_plugins`` rows (one query)."""
    pm = pm or get_plugin_manager()
    rows = (await session.execute(
        select(StorePlugin.plugin_id, StorePlugin.enabled, StorePlugin.settings)
        .where(StorePlugin.store_id == store.id)
    )).all()
    registered = {name for name, _ in pm.list_name_plugin()}
    # Platform plugins count as enabled everywhere (they cannot be turned off).
    enabled = frozenset({r.plugin_id for r in rows if r.enabled and r.plugin_id in registered}
                        | (set(platform_plugins()) & registered))
    stored = {r.plugin_id: r.settings for r in rows}
    models = plugin_settings.settings_models(pm)
    by_plugin = {}
    for plugin_id in sorted(enabled):
        model = models.get(plugin_id)
        if model is not None:
            instance = plugin_settings.load(model, stored.get(plugin_id), plugin_id=plugin_id, store_id=store.id)
            if instance is not None:
                by_plugin[plugin_id] = instance
    return StoreHooks(pm, store, enabled, StoreSettings(by_plugin))


async def store_hooks(session: AsyncSession, store: StoreContext,
                      pm: PyCommercePluginManager | None = None) -> StoreHooks:
    """The store's hooks, from the process cache when the store's ``plugins_version`` has not moved."""
    pm = pm or get_plugin_manager()
    key = _cache_key(session, store)
    cached = _cache.get(key)
    if cached is not None and cached[:3] == (store.plugins_version, pm.generation, id(pm)):
        hooks = cached[3]
        if hooks.store != store:  # name or locale changed: same plugin set, fresh store info
            hooks = StoreHooks(pm, store, hooks.enabled, hooks.settings)
            _cache[key] = (*cached[:3], hooks)
        return hooks
    hooks = await load_store_hooks(session, store, pm)
    _cache[key] = (store.plugins_version, pm.generation, id(pm), hooks)
    return hooks


def clear_cache() -> None:
    _cache.clear()
