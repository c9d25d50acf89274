"""Fixture plugin: consumes every event and fails the first ``failures_left`` deliveries of each store.

Tests set ``failures_left[store.slug]``; every attempt, failed or not, is recorded in ``attempts``.
"""

from __future__ import annotations

from plugin_sdk import hookimpl

PLUGIN_ID = "event_flaky"
failures_left: dict[str, int] = {}
attempts: list[tuple[str, str]] = []


@hookimpl
async def pyc_on_event(store, event):
    attempts.append((store.slug, event.id))
    if failures_left.get(store.slug, 0) > 0:
        failures_left[store.slug] -= 1
        raise ConnectionError("the flaky plugin's endpoint is down")
