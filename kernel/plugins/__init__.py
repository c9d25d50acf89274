"""The plugin kernel: discovery, the process-wide manager, per-store hooks, settings and secrets.

Public surface (what the rest of the kernel imports)::

    from kernel.plugins import get_plugin_manager, store_hooks, Hooks, StoreHooksDep
    from kernel.plugins import enable_plugin, disable_plugin, configure_plugin, deliver_event

Plugin authors import :mod:`plugin_sdk`, never this package.
"""

from __future__ import annotations

from kernel.plugins.calling import PluginTimedOut, maybe_await
from kernel.plugins.deps import StoreHooksDep, get_store_hooks, require_plugin_enabled
from kernel.plugins.discovery import PLUGIN_GROUP, PluginFailure, PluginSource, PluginStartupError
from kernel.plugins.events import deliver_event
from kernel.plugins.manager import (PLATFORM_PLUGINS, IncompatiblePlugin, PluginMeta, PyCommercePluginManager,
                                    build_plugin_manager, get_plugin_manager, platform_plugins, register_plugin)
from kernel.plugins.models import PlatformPluginSettings, StorePlugin
from kernel.plugins.relay import Hooks, PluginNotEnabled, StoreHooks, clear_cache, store_hooks
from kernel.plugins.service import configure_plugin, disable_plugin, enable_plugin, rotate_secrets

__all__ = [
    "PLATFORM_PLUGINS", "PLUGIN_GROUP", "Hooks", "IncompatiblePlugin", "PlatformPluginSettings", "PluginFailure",
    "PluginMeta", "PluginNotEnabled", "PluginSource", "PluginStartupError", "PluginTimedOut",
    "PyCommercePluginManager", "StoreHooks", "StoreHooksDep", "StorePlugin", "build_plugin_manager", "clear_cache",
    "configure_plugin", "deliver_event", "disable_plugin", "enable_plugin", "get_plugin_manager", "get_store_hooks",
    "maybe_await", "platform_plugins", "register_plugin", "require_plugin_enabled", "rotate_secrets", "store_hooks",
]
