"""Mounting what plugins contribute to the application: API routers and static folders.

Done once in ``create_app`` (every plugin is registered once). Per-store
visibility is enforced at request time: a plugin's store-scoped routes carry
:func:`require_plugin_enabled`, so they answer 404 for stores where it is off.
"""

from __future__ import annotations

import logging
from pathlib import Path

from fastapi import APIRouter, Depends, FastAPI
from fastapi.staticfiles import StaticFiles

from kernel.errors import ERROR_RESPONSES
from kernel.plugins.deps import require_plugin_enabled
from kernel.plugins.manager import PyCommercePluginManager

log = logging.getLogger("pycommerce.plugins")


def _as_list(value) -> list:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def mount_plugins(app: FastAPI, pm: PyCommercePluginManager) -> None:
    for impl in reversed(pm.hook.pyc_api_routers.get_hookimpls()):
        for router in _as_list(impl.function()):
            if not isinstance(router, APIRouter):
                raise TypeError(f"plugin {impl.plugin_name!r}: pyc_api_routers must return APIRouter objects")
            app.include_router(router, dependencies=[Depends(require_plugin_enabled(impl.plugin_name))],
                               responses=ERROR_RESPONSES)
    for impl in reversed(pm.hook.pyc_static_dirs.get_hookimpls()):
        for name, path in (impl.function() or {}).items():
            if not Path(path).is_dir():
                raise ValueError(f"plugin {impl.plugin_name!r}: static folder {name!r} does not exist: {path}")
            app.mount(f"/static/plugins/{impl.plugin_name}/{name}", StaticFiles(directory=str(path)),
                      name=f"plugin-static-{impl.plugin_name}-{name}")
