"""Fixture plugin: consumes every event and records each delivery it got (store slug, event id)."""

from __future__ import annotations

from plugin_sdk import hookimpl

PLUGIN_ID = "event_ledger"
deliveries: list[tuple[str, str]] = []


@hookimpl
async def pyc_on_event(store, event):
    deliveries.append((store.slug, event.id))
