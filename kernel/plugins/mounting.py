"""Mounting what plugins contribute to the application: API routers, static folders, API-key scopes,
the SDK's route dependencies and the plugins' loggers.

Done once in ``create_app`` (every plugin is registered once). Per-store
visibility is enforced at request time: a plugin's store-scoped routes carry
:func:`require_plugin_enabled`, so they answer 404 for stores where it is off.
"""

from __future__ import annotations

import logging
from pathlib import Path

from fastapi import APIRouter, Depends, FastAPI
from fastapi.staticfiles import StaticFiles

from kernel.accounts.apikeys import register_api_scopes
from kernel.errors import ERROR_RESPONSES
from kernel.observability import adopt_loggers
from kernel.plugins.deps import require_plugin_enabled
from kernel.plugins.manager import PyCommercePluginManager
from kernel.plugins.sdk_deps import install_sdk_dependencies

log = logging.getLogger("pycommerce.plugins")


def _as_list(value) -> list:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def plugin_packages(pm: PyCommercePluginManager) -> set[str]:
    """The top-level packages plugins live in (whose loggers carry their lines)."""
    names = set()
    for _plugin_id, plugin in pm.list_name_plugin():
        module = getattr(plugin, "__name__", None) or type(plugin).__module__
        top = module.split(".")[0] if isinstance(module, str) else None
        if top and top not in ("kernel", "pycommerce", "plugin_sdk", "builtins"):
            names.add(top)
    return names


def mount_plugins(app: FastAPI, pm: PyCommercePluginManager) -> None:
    adopt_loggers(plugin_packages(pm))
    for impl in pm.hook.pyc_api_scopes.get_hookimpls():
        register_api_scopes(impl.plugin_name, impl.function() or {})
    routers_mounted = False
    for impl in reversed(pm.hook.pyc_api_routers.get_hookimpls()):
        for router in _as_list(impl.function()):
            if not isinstance(router, APIRouter):
                raise TypeError(f"plugin {impl.plugin_name!r}: pyc_api_routers must return APIRouter objects")
            app.include_router(router, dependencies=[Depends(require_plugin_enabled(impl.plugin_name))],
                               responses=ERROR_RESPONSES)
            routers_mounted = True
    if routers_mounted:
        # Only plugin routes use plugin_sdk.deps. While any override is installed, FastAPI
        # re-analyses every dependency of every request, the kernel's own hot paths included, so
        # an app whose plugins add no routes installs none.
        install_sdk_dependencies(app)
    for impl in reversed(pm.hook.pyc_static_dirs.get_hookimpls()):
        for name, path in (impl.function() or {}).items():
            if not Path(path).is_dir():
                raise ValueError(f"plugin {impl.plugin_name!r}: static folder {name!r} does not exist: {path}")
            app.mount(f"/static/plugins/{impl.plugin_name}/{name}", StaticFiles(directory=str(path)),
                      name=f"plugin-static-{impl.plugin_name}-{name}")
