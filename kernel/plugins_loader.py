"""Import installed plugin modules so their models register on the declarative base.

(The plugin manager itself lives in kernel.plugins; this stays import-light so
Alembic can load models without building the application.)
"""

from __future__ import annotations

import importlib
import logging
from importlib.metadata import entry_points

log = logging.getLogger("pycommerce.plugins")
PLUGIN_GROUP = "pycommerce.plugins"


def import_plugin_modules() -> None:
    for ep in entry_points(group=PLUGIN_GROUP):
        module = ep.value.split(":", 1)[0]
        package = module.rsplit(".", 1)[0]
        for candidate in (f"{package}.models", module):
            try:
                importlib.import_module(candidate)
            except ModuleNotFoundError as exc:
                if exc.name != candidate:
                    log.warning("plugin %s failed to import %s: %s", ep.name, candidate, exc)
            except Exception as exc:  # a broken plugin must not stop migrations of the others
                log.warning("plugin %s failed to import %s: %s", ep.name, candidate, exc)
