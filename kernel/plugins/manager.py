"""The process-wide plugin manager: every plugin registered once, at start-up.

Per-store enablement never registers, unregisters or blocks anything (that
would mutate a manager shared by every concurrent request); it filters at call
time through ``subset_hook_caller`` (see :mod:`kernel.plugins.relay`).
"""

from __future__ import annotations

import difflib
import logging
import re
import threading
from dataclasses import dataclass
from typing import Any

import pluggy
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import Version

from kernel import __version__ as KERNEL_VERSION
from kernel import hookspecs
from kernel.plugins.discovery import (PluginFailure, PluginSource, PluginStartupError, load_sources,
                                      scan_entry_points)
from plugin_sdk.info import PluginInfo

log = logging.getLogger("pycommerce.plugins")

PROJECT = "pycommerce"

# Always on for every store; cannot be disabled; a failure to import them stops start-up
# (like pytest's essential_plugins). Kernel-level wrappers belong to these only.
PLATFORM_PLUGINS: tuple[str, ...] = ()


def platform_plugins() -> tuple[str, ...]:
    """The platform plugin ids (read at call time, so tests and deployments may extend the tuple)."""
    return PLATFORM_PLUGINS


@dataclass(frozen=True)
class PluginMeta:
    """What the platform knows about one registered plugin."""

    id: str
    distribution: str | None
    version: str | None
    value: str | None = None
    info: PluginInfo = PluginInfo()

    @property
    def is_platform(self) -> bool:
        return self.id in platform_plugins()


class PyCommercePluginManager(pluggy.PluginManager):
    """A pluggy manager that remembers each plugin's distribution and counts registrations.

    ``generation`` moves whenever a plugin is registered or unregistered, so caches
    keyed on it (per-store relays, settings models) never serve a stale plugin set.
    """

    def __init__(self) -> None:
        super().__init__(PROJECT)
        self.meta: dict[str, PluginMeta] = {}
        self.failures: list[PluginFailure] = []
        self.generation = 0
        self.add_hookspecs(hookspecs)

    def register(self, plugin: Any, name: str | None = None) -> str | None:  # noqa: D102
        result = super().register(plugin, name)
        self.generation += 1
        return result

    def unregister(self, plugin: Any = None, name: str | None = None) -> Any:  # noqa: D102
        result = super().unregister(plugin, name)
        self.generation += 1
        if name is not None:
            self.meta.pop(name, None)
        else:
            for plugin_id, _ in list(self.meta.items()):
                if self.get_plugin(plugin_id) is None:
                    self.meta.pop(plugin_id, None)
        return result

    def plugin_ids(self) -> list[str]:
        """Ids of the registered plugins, sorted."""
        return sorted(name for name, _ in self.list_name_plugin() if name in self.meta)

    def hooks_of(self, plugin_id: str) -> list[str]:
        """The hook names a plugin implements (its ``specname`` targets, not its function names)."""
        plugin = self.get_plugin(plugin_id)
        if plugin is None:
            return []
        return sorted({caller.name for caller in self.get_hookcallers(plugin) or ()})


def _suggestion(message: str) -> str:
    """"did you mean" for a misspelt hook name (the commonest cause of an unknown hook)."""
    match = re.search(r"unknown hook '([^']+)'", message)
    if not match:
        return ""
    close = difflib.get_close_matches(match.group(1), [n for n in dir(hookspecs) if n.startswith("pyc_")], n=1)
    return f" (did you mean {close[0]!r}?)" if close else " (known hooks: see kernel/hookspecs.py)"


class IncompatiblePlugin(PluginStartupError):
    """The plugin declares kernel versions that the running kernel is not."""


def plugin_info(plugin: Any, plugin_id: str, origin: str = "") -> PluginInfo:
    """The plugin's ``pyc_plugin_info`` (a :class:`plugin_sdk.PluginInfo`), checked against the kernel's version.

    :raises IncompatiblePlugin: the running kernel does not satisfy the plugin's ``kernel`` specifier.
    """
    info = getattr(plugin, "pyc_plugin_info", None)
    if info is None:
        return PluginInfo()
    if not isinstance(info, PluginInfo):
        raise PluginStartupError(f"plugin {plugin_id!r}{origin}: pyc_plugin_info must be a plugin_sdk.PluginInfo, "
                                 f"not {type(info).__name__}")
    if info.kernel:
        try:
            supported = SpecifierSet(info.kernel)
        except InvalidSpecifier:
            raise PluginStartupError(f"plugin {plugin_id!r}{origin}: its kernel requirement {info.kernel!r} is not "
                                     "a version specifier (e.g. '>=0.1,<0.2')") from None
        if not supported.contains(Version(KERNEL_VERSION), prereleases=True):
            raise IncompatiblePlugin(f"plugin {plugin_id!r}{origin} requires kernel {info.kernel}, but this kernel "
                                     f"is {KERNEL_VERSION}; it is not loaded")
    return info


def _refuse_wrappers(pm: PyCommercePluginManager, plugin: Any, plugin_id: str, origin: str) -> None:
    """The kernel calls implementations one by one (to know who answered, to isolate and time each), so a
    wrapper would never run: refuse it rather than accept it silently."""
    for caller in pm.get_hookcallers(plugin) or ():
        for impl in caller.get_hookimpls():
            if impl.plugin is plugin and (impl.wrapper or impl.hookwrapper):
                pm.unregister(name=plugin_id)
                raise PluginStartupError(
                    f"plugin {plugin_id!r}{origin} implements {caller.name} as a wrapper "
                    f"({'wrapper' if impl.wrapper else 'hookwrapper'}=True), which PyCommerce does not support: "
                    "the kernel calls each implementation on its own. Remove the wrapper option.")


def register_plugin(pm: PyCommercePluginManager, plugin: Any, plugin_id: str, *,
                    distribution: str | None = None, version: str | None = None, value: str | None = None) -> None:
    """Register one plugin under its id and validate it against the hook specs right away.

    :raises PluginStartupError: an implementation names no known hook, its arguments do not fit, it is a
        wrapper, or the plugin does not support this kernel's version (:class:`IncompatiblePlugin`).
    """
    origin = f" (distribution {distribution})" if distribution else ""
    info = plugin_info(plugin, plugin_id, origin)
    try:
        pm.register(plugin, name=plugin_id)
        pm.check_pending()
    except pluggy.PluginValidationError as exc:
        if pm.get_plugin(plugin_id) is not None:
            pm.unregister(name=plugin_id)
        raise PluginStartupError(f"plugin {plugin_id!r}{origin} does not fit the hook contract: {exc}"
                                 f"{_suggestion(str(exc))}") from exc
    except ValueError as exc:  # already registered under that name, or the same object twice
        raise PluginStartupError(f"plugin {plugin_id!r}{origin} cannot be registered: {exc}") from exc
    _refuse_wrappers(pm, plugin, plugin_id, origin)
    pm.meta[plugin_id] = PluginMeta(plugin_id, distribution, version, value, info)


def build_plugin_manager(path: list[str] | None = None, sources: list[PluginSource] | None = None
                         ) -> PyCommercePluginManager:
    """Discover, import, register and validate every installed plugin (fail fast on a broken set)."""
    pm = PyCommercePluginManager()
    if sources is None:
        sources = scan_entry_points(path)
    loaded, failures = load_sources(sources, platform_plugins())
    pm.failures.extend(failures)
    for source, obj in loaded:
        try:
            register_plugin(pm, obj, source.id, distribution=source.distribution, version=source.version,
                            value=source.value)
        except IncompatiblePlugin as exc:  # left out like a plugin that fails to import (a platform one stops us)
            if source.id in platform_plugins():
                raise
            pm.failures.append(PluginFailure(source.id, source.distribution, str(exc)))
            log.error("%s", exc, extra={"plugin": source.id, "distribution": source.distribution})
    missing = [p for p in platform_plugins() if pm.get_plugin(p) is None]
    if missing:
        raise PluginStartupError(f"platform plugin(s) not installed: {', '.join(missing)}")
    return pm


_manager: PyCommercePluginManager | None = None
_lock = threading.Lock()


def get_plugin_manager() -> PyCommercePluginManager:
    """The process-wide manager, built on first use (raises :class:`PluginStartupError` on a broken set)."""
    global _manager
    if _manager is None:
        with _lock:
            if _manager is None:
                _manager = build_plugin_manager()
    return _manager
