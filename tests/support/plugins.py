"""Registering fixture plugins (tests/plugins/*) on the process-wide manager, removed in ``finally``."""

from __future__ import annotations

import importlib
from contextlib import contextmanager

from kernel.plugins import get_plugin_manager, register_plugin


@contextmanager
def registered(module_name: str, plugin_id: str | None = None):
    """Register ``tests.plugins.<module_name>`` under ``plugin_id`` for the block."""
    module = importlib.import_module(f"tests.plugins.{module_name}")
    plugin_id = plugin_id or getattr(module, "PLUGIN_ID", module_name)
    pm = get_plugin_manager()
    register_plugin(pm, module, plugin_id, distribution="tests", version="0")
    try:
        yield module
    finally:
        pm.unregister(name=plugin_id)
