"""Per-store hooks: a relay over the process-wide manager, cached per (store, plugins version), and the
typed facade every call site uses.

:class:`StoreHooks` is the cached part. Modelled on pytest's ``FSHookProxy``: for
each hook it asks ``pm.subset_hook_caller(name, remove_plugins)`` once, where
``remove_plugins`` is every registered plugin that is not active for the store
(subset callers are a deny-list). pluggy >= 1.7 filters by plugin object, so an
implementation registered under another function name (``specname``) is removed
with its plugin. It also holds each active plugin's own validated settings; a
plugin whose stored settings no longer validate is left out of the store's active
set ("needs attention") rather than called with ``None``.

:class:`Hooks` is the facade: ``store_hooks(session, store)`` binds the cached relay
to the caller's session (no query), and its typed methods (``await
hooks.shipping_rates(cart=view)``) apply each hook's calling rule from
:data:`kernel.hookspecs.RULES`. Every implementation gets its own kwargs: its own
plugin's settings, and a :class:`~kernel.plugins.context.KernelPluginContext` when
it names ``context``.

The store row's ``plugins_version`` is read on every request anyway (store
resolution), so comparing it here is the cross-process invalidation: a process
that enabled a plugin (or changed platform settings) bumped the version, and every
other process rebuilds its relay on its next request for that store.
"""

from __future__ import annotations

import logging
from typing import Any

from pluggy import HookImpl
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.errors import NotFound
from kernel.hookspecs import RULES
from kernel.plugins import settings as plugin_settings
from kernel.plugins.calling import call_impl, call_order
from kernel.plugins.context import KernelPluginContext
from kernel.plugins.manager import PyCommercePluginManager, get_plugin_manager, platform_plugins
from kernel.plugins.models import PlatformPluginSettings, StorePlugin
from kernel.tenancy import StoreContext
from plugin_sdk.types import (CartView, Event, OrderView, PaymentMethod, PaymentResult, PaymentView, ShippingRate,
                              StoreInfo, TaxLine)

log = logging.getLogger("pycommerce.plugins")


class PluginNotEnabled(NotFound):
    code = "plugin-not-enabled"


def store_info(store: StoreContext) -> StoreInfo:
    return StoreInfo(id=store.id, slug=store.slug, name=store.name, currency=store.currency, locale=store.locale,
                     timezone=store.timezone, storefront_url=plugin_settings.storefront_url(store.slug))


class StoreHooks:
    """The plugins active for one store (enabled with valid settings, plus platform plugins), cached.

    ``settings`` maps each active plugin with a settings model to its own validated
    instance; ``attention`` maps each enabled plugin whose stored settings do not
    validate to the reason (it is not called in this store until they are fixed).
    """

    def __init__(self, pm: PyCommercePluginManager, store: StoreContext, enabled: frozenset[str],
                 settings: dict[str, BaseModel], attention: dict[str, str] | None = None):
        self.pm = pm
        self.store = store
        self.attention = dict(attention or {})
        self.enabled = enabled - set(self.attention)
        self.settings = settings
        self.info = store_info(store)
        active = self.enabled | (set(platform_plugins()) - set(self.attention))
        self._remove = frozenset(plugin for name, plugin in pm.list_name_plugin()
                                 if plugin is not None and name not in active)
        self._impls: dict[str, list[HookImpl]] = {}

    def impls(self, hook_name: str) -> list[HookImpl]:
        """The store's implementations of ``hook_name``, in call order (cached)."""
        found = self._impls.get(hook_name)
        if found is None:
            if hook_name not in RULES:
                raise AttributeError(f"no hook named {hook_name!r}")
            found = list(call_order(self.pm.subset_hook_caller(hook_name, self._remove).get_hookimpls()))
            self._impls[hook_name] = found
        return found

    def is_active(self, plugin_id: str) -> bool:
        return plugin_id in self.enabled or (plugin_id in platform_plugins() and plugin_id not in self.attention)

    def bind(self, session: AsyncSession) -> "Hooks":
        return Hooks(self, session)

    def __repr__(self) -> str:
        return f"StoreHooks(store={self.store.slug!r}, enabled={sorted(self.enabled)})"


class Hooks:
    """The typed per-store facade: one method per store-scoped hook, each following its spec's calling rule.

    Methods of "all" hooks return ``[(plugin id, result), …]`` (``None`` results left
    out); of "first" hooks ``(plugin id, result)`` or ``None``; of addressed hooks
    the one plugin's result.
    """

    __slots__ = ("relay", "session")

    def __init__(self, relay: StoreHooks, session: AsyncSession | None):
        self.relay, self.session = relay, session

    # What platform code reads of the relay (never handed to plugins).
    @property
    def store(self) -> StoreContext:
        return self.relay.store

    @property
    def info(self) -> StoreInfo:
        return self.relay.info

    @property
    def enabled(self) -> frozenset[str]:
        return self.relay.enabled

    @property
    def attention(self) -> dict[str, str]:
        return self.relay.attention

    def settings_of(self, plugin_id: str) -> BaseModel | None:
        """One plugin's settings for platform code (e.g. whether a tax engine's prices include tax)."""
        return self.relay.settings.get(plugin_id)

    # --- the calling rules --------------------------------------------------------------------

    def _kwargs(self, impl: HookImpl, base: dict[str, Any]) -> dict[str, Any]:
        plugin_id = impl.plugin_name
        settings = self.relay.settings.get(plugin_id)
        kwargs = {**base, "store": self.relay.info, "settings": settings}
        if "context" in impl.argnames:
            if self.session is None:
                raise RuntimeError("this hook needs a session: get the hooks with store_hooks(session, store)")
            kwargs["context"] = KernelPluginContext(plugin_id, self.relay.info, self.session, settings)
        return kwargs

    async def _call(self, hook_name: str, base: dict[str, Any], *, plugin_id: str | None = None
                    ) -> list[tuple[str, Any]]:
        rule = RULES[hook_name]
        impls = self.relay.impls(hook_name)
        if rule.addressed:
            if not self.relay.is_active(plugin_id):
                raise PluginNotEnabled(f"Plugin {plugin_id!r} is not enabled for this store.")
            impls = [impl for impl in impls if impl.plugin_name == plugin_id]
        results: list[tuple[str, Any]] = []
        failure: Exception | None = None
        store_id = self.relay.store.id
        for impl in impls:
            try:
                result = await call_impl(impl, hook_name, self._kwargs(impl, base), store_id, rule.timeout)
            except Exception as exc:
                if rule.failure == "fail":
                    raise
                failure = failure or exc
                log.error("plugin %s failed in %s for store %s; skipped: %s", impl.plugin_name, hook_name,
                          self.relay.store.slug, type(exc).__name__, exc_info=exc,
                          extra={"plugin": impl.plugin_name, "hook": hook_name, "store_id": store_id,
                                 "store": self.relay.store.slug})
                continue
            if result is None:
                continue
            results.append((impl.plugin_name, result))
            if rule.results == "first":
                return results
        if failure is not None and rule.failure == "fallback" and not results:
            raise failure
        return results

    async def _first(self, hook_name: str, base: dict[str, Any]) -> tuple[str, Any] | None:
        found = await self._call(hook_name, base)
        return found[0] if found else None

    async def _addressed(self, plugin_id: str, hook_name: str, base: dict[str, Any]) -> Any:
        found = await self._call(hook_name, base, plugin_id=plugin_id)
        return found[0][1] if found else None

    # --- one method per store-scoped hook (a test checks every such hook has one) ------------------

    async def template_dirs(self) -> list[tuple[str, list]]:
        return await self._call("pyc_template_dirs", {})

    async def shipping_rates(self, *, cart: CartView) -> list[tuple[str, list[ShippingRate]]]:
        return await self._call("pyc_shipping_rates", {"cart": cart})

    async def tax_lines(self, *, cart: CartView, shipping: ShippingRate | None) -> tuple[str, list[TaxLine]] | None:
        return await self._first("pyc_tax_lines", {"cart": cart, "shipping": shipping})

    async def payment_methods(self, *, cart: CartView) -> list[tuple[str, list[PaymentMethod]]]:
        return await self._call("pyc_payment_methods", {"cart": cart})

    async def create_payment(self, plugin_id: str, *, order: OrderView, method: str, amount: int,
                             idempotency_key: str) -> PaymentResult | None:
        return await self._addressed(plugin_id, "pyc_create_payment", {
            "order": order, "method": method, "amount": amount, "idempotency_key": idempotency_key})

    async def capture_payment(self, plugin_id: str, *, order: OrderView, payment: PaymentView,
                              amount: int) -> PaymentResult | None:
        return await self._addressed(plugin_id, "pyc_capture_payment",
                                     {"order": order, "payment": payment, "amount": amount})

    async def refund_payment(self, plugin_id: str, *, order: OrderView, payment: PaymentView,
                             amount: int) -> PaymentResult | None:
        return await self._addressed(plugin_id, "pyc_refund_payment",
                                     {"order": order, "payment": payment, "amount": amount})

    async def gateway_webhook(self, plugin_id: str, *, headers: dict[str, str], body: bytes) -> Any:
        return await self._addressed(plugin_id, "pyc_gateway_webhook",
                                     {"plugin_id": plugin_id, "headers": headers, "body": body})

    async def on_event(self, *, event: Event, plugin_id: str | None = None) -> list[str]:
        """Every active plugin's handler in order, or only ``plugin_id``'s (one consumer's delivery);
        the first failure stops the delivery. The ids of the plugins called."""
        rule = RULES["pyc_on_event"]
        called = []
        for impl in self.relay.impls("pyc_on_event"):
            if plugin_id is not None and impl.plugin_name != plugin_id:
                continue
            await call_impl(impl, "pyc_on_event", self._kwargs(impl, {"event": event}), self.relay.store.id,
                            rule.timeout)
            called.append(impl.plugin_name)
        return called

    async def admin_nav(self) -> list[tuple[str, list[dict[str, str]]]]:
        """Provisional: the admin dashboard will call it."""
        return await self._call("pyc_admin_nav", {})

    def __repr__(self) -> str:
        return f"Hooks(store={self.relay.store.slug!r}, enabled={sorted(self.relay.enabled)})"


# store id -> (plugins version, manager generation, manager id, relay)
# Keyed by (database, store id): store ids are only unique within one database, and a process may
# talk to several (the test suite runs SQLite and PostgreSQL side by side).
_cache: dict[tuple[str, int], tuple[int, int, int, StoreHooks]] = {}
# (database, store id, plugin id, row version): settings problems already logged, so each is logged once.
_reported: set[tuple[str, int, str, int]] = set()


def _cache_key(session: AsyncSession, store: StoreContext) -> tuple[str, int]:
    bind = session.bind
    return (str(bind.url) if bind is not None else "", store.id)


async def load_store_hooks(session: AsyncSession, store: StoreContext,
                           pm: PyCommercePluginManager | None = None) -> StoreHooks:
    """Build a store's relay from its ``store_plugins`` rows and the platform's settings (two queries)."""
    pm = pm or get_plugin_manager()
    rows = {r.plugin_id: r for r in (await session.execute(
        select(StorePlugin.plugin_id, StorePlugin.enabled, StorePlugin.settings, StorePlugin.settings_version,
               StorePlugin.version)
        .where(StorePlugin.store_id == store.id)
    )).all()}
    registered = {name for name, _ in pm.list_name_plugin()}
    # Platform plugins count as enabled everywhere (they cannot be turned off).
    enabled = frozenset({pid for pid, r in rows.items() if r.enabled and pid in registered}
                        | (set(platform_plugins()) & registered))
    models = plugin_settings.settings_models(pm)
    platform = await platform_rows(session, [pid for pid in enabled if pid in models])
    by_plugin: dict[str, BaseModel] = {}
    attention: dict[str, str] = {}
    for plugin_id in sorted(enabled):
        model = models.get(plugin_id)
        if model is None:
            continue
        row, shared = rows.get(plugin_id), platform.get(plugin_id)
        try:
            by_plugin[plugin_id] = plugin_settings.resolve(
                model, plugin_id, row.settings if row else None, row.settings_version if row else 1,
                shared.settings if shared else None, shared.settings_version if shared else 1)
        except plugin_settings.SettingsProblem as problem:
            attention[plugin_id] = str(problem)
            _report(session, store, plugin_id, row.version if row else 0, str(problem))
    return StoreHooks(pm, store, enabled, by_plugin, attention)


def _report(session: AsyncSession, store: StoreContext, plugin_id: str, version: int, problem: str) -> None:
    key = (*_cache_key(session, store), plugin_id, version)
    if key in _reported:
        return
    _reported.add(key)
    log.warning("plugin %s needs attention in store %s: its settings are not valid (%s); it is not called there "
                "until they are fixed", plugin_id, store.slug, problem,
                extra={"plugin": plugin_id, "store_id": store.id, "store": store.slug, "problem": problem})


async def platform_rows(session: AsyncSession, plugin_ids: list[str]) -> dict[str, Any]:
    if not plugin_ids:
        return {}
    return {r.plugin_id: r for r in (await session.execute(
        select(PlatformPluginSettings.plugin_id, PlatformPluginSettings.settings,
               PlatformPluginSettings.settings_version)
        .where(PlatformPluginSettings.plugin_id.in_(plugin_ids)))).all()}


async def cached_store_hooks(session: AsyncSession, store: StoreContext,
                             pm: PyCommercePluginManager | None = None) -> StoreHooks:
    """The store's relay, from the process cache when the store's ``plugins_version`` has not moved."""
    pm = pm or get_plugin_manager()
    key = _cache_key(session, store)
    cached = _cache.get(key)
    if cached is not None and cached[:3] == (store.plugins_version, pm.generation, id(pm)):
        relay = cached[3]
        if relay.store != store:  # name or locale changed: same plugin set, fresh store info
            relay = StoreHooks(pm, store, relay.enabled | frozenset(relay.attention), relay.settings, relay.attention)
            _cache[key] = (*cached[:3], relay)
        return relay
    relay = await load_store_hooks(session, store, pm)
    _cache[key] = (store.plugins_version, pm.generation, id(pm), relay)
    return relay


async def store_hooks(session: AsyncSession, store: StoreContext,
                      pm: PyCommercePluginManager | None = None) -> Hooks:
    """The store's hooks facade, bound to ``session`` (the caller's unit of work)."""
    return (await cached_store_hooks(session, store, pm)).bind(session)


def clear_cache() -> None:
    _cache.clear()
