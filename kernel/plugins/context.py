"""The kernel's :class:`plugin_sdk.PluginContext`: one plugin's narrow view of a request's or job's unit of work.

Built only for implementations that name ``context``, and only when they are called,
so hooks that do not ask for it cost nothing extra.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.db import utcnow
from plugin_sdk.events import EventPayload
from plugin_sdk.types import StoreInfo


def plugin_logger(plugin_id: str, store: StoreInfo | None) -> logging.LoggerAdapter:
    """A logger whose lines carry the plugin id and the store's slug in the structured log."""
    return logging.LoggerAdapter(logging.getLogger(f"pycommerce.plugin.{plugin_id}"),
                                 {"plugin": plugin_id, "store": store.slug if store else None})


class KernelPluginContext:
    __slots__ = ("plugin_id", "store", "session", "settings", "_log")

    def __init__(self, plugin_id: str, store: StoreInfo, session: AsyncSession, settings: BaseModel | None):
        self.plugin_id, self.store, self.session, self.settings = plugin_id, store, session, settings
        self._log: logging.LoggerAdapter | None = None

    @property
    def log(self) -> logging.LoggerAdapter:
        if self._log is None:
            self._log = plugin_logger(self.plugin_id, self.store)
        return self._log

    async def enqueue(self, kind: str, payload: dict[str, Any] | None = None, *, delay_seconds: float = 0,
                      dedupe_key: str | None = None) -> int | None:
        from kernel.jobs.queue import enqueue  # the job queue sits above the plugin kernel's imports

        run_at = utcnow() + timedelta(seconds=delay_seconds) if delay_seconds else None
        return await enqueue(self.session, kind, payload, store_id=self.store.id, run_at=run_at,
                             dedupe_key=dedupe_key)

    async def emit_event(self, payload: EventPayload) -> None:
        from kernel.events.service import emit_event

        await emit_event(self.session, payload)

    async def get_plugin_data(self, kind: str, object_id: int) -> dict[str, Any]:
        from kernel.plugins.data import get_plugin_data

        return await get_plugin_data(self.session, self.plugin_id, kind, object_id)

    async def set_plugin_data(self, kind: str, object_id: int, values: dict[str, Any]) -> None:
        from kernel.plugins.data import set_plugin_data

        await set_plugin_data(self.session, self.plugin_id, kind, object_id, values)

    def __repr__(self) -> str:  # never the settings: they may hold secrets
        return f"PluginContext(plugin={self.plugin_id!r}, store={self.store.slug!r})"
