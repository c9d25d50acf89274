"""What a hook running inside a request or a job gets to work with: :class:`PluginContext`.

The SDK declares the shape; the kernel supplies the object. Everything on it belongs to the
calling plugin and the calling store only: the session is the transaction of the request or job
that called the hook (write your own tables there and they commit or roll back with it), and the
settings are your own plugin's, validated.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from plugin_sdk.events import EventPayload
    from plugin_sdk.settings import PluginSettings
    from plugin_sdk.types import StoreInfo


@runtime_checkable
class PluginContext(Protocol):
    """The unit of work a hook runs in, narrowed to one plugin and one store."""

    plugin_id: str
    """Your plugin id (the entry-point name)."""
    store: StoreInfo
    """The store the hook runs for."""
    session: AsyncSession
    """The request's or job's session, bound to ``store`` (row-level security applies). Never commit it."""
    settings: PluginSettings | None
    """Your validated settings for ``store`` (``None`` only when your plugin declares none)."""
    log: logging.LoggerAdapter
    """A logger whose lines carry your plugin id and the store in the structured log."""

    async def enqueue(self, kind: str, payload: dict[str, Any] | None = None, *, delay_seconds: float = 0,
                      dedupe_key: str | None = None) -> int | None:
        """Queue a job (one of your ``pyc_job_handlers`` kinds) in this transaction, for this store."""
        ...

    async def emit_event(self, payload: EventPayload) -> None:
        """Record a domain event (a payload model of :mod:`plugin_sdk.events`) for this store in this
        transaction; it is delivered after the transaction commits."""
        ...

    async def get_plugin_data(self, kind: str, object_id: int) -> dict[str, Any]:
        """Your own entry of ``plugin_data`` on a ``"cart"``, ``"order"``, ``"payment"`` or ``"customer"``
        of this store (``{}`` when you stored nothing there)."""
        ...

    async def set_plugin_data(self, kind: str, object_id: int, values: dict[str, Any]) -> None:
        """Replace your own entry of ``plugin_data`` on that object, in this transaction (JSON values).
        Other plugins' entries are untouched and never visible to you."""
        ...
