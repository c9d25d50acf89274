"""The pool's disconnect handling: idle connections are pinged, busy ones are trusted.

A request must not fail because PostgreSQL restarted (or a backend was terminated)
while its pooled connection sat idle; yet a connection reused moments after its last
request must not pay a round trip for a ping (see ``kernel.db.ping_connections_idle_longer_than``).
"""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import create_engine, text

from kernel import db as kernel_db

pytestmark = pytest.mark.postgres_only


def _terminate_backend(database, pid: int) -> bool:
    """As if PostgreSQL restarted under this one connection (the suite's other pools are left alone)."""
    owner = create_engine(kernel_db.sync_url(database.owner_url))
    try:
        with owner.connect() as connection:
            return connection.execute(text("select pg_terminate_backend(:pid)"), {"pid": pid}).scalar()
    finally:
        owner.dispose()


async def _backend_pid(engine) -> int:
    async with engine.connect() as connection:
        return (await connection.execute(text("select pg_backend_pid()"))).scalar()


async def test_an_idle_connection_whose_backend_died_is_replaced_before_use(database, monkeypatch):
    monkeypatch.setattr(kernel_db, "PING_AFTER_IDLE_SECONDS", 0.2)
    engine = kernel_db.create_engine_for(database.url, pool_size=1, max_overflow=0)
    try:
        first = await _backend_pid(engine)
        assert _terminate_backend(database, first)
        await asyncio.sleep(0.3)  # idle longer than the threshold: the next checkout pings
        second = await _backend_pid(engine)  # no error reaches the caller
        assert second != first
    finally:
        await engine.dispose()


async def test_a_recently_used_connection_is_not_pinged(database, monkeypatch):
    monkeypatch.setattr(kernel_db, "PING_AFTER_IDLE_SECONDS", 60)
    engine = kernel_db.create_engine_for(database.url, pool_size=1, max_overflow=0)
    statements: list[str] = []

    from sqlalchemy import event

    @event.listens_for(engine.sync_engine, "before_cursor_execute")
    def _count(conn, cursor, statement, *args):
        statements.append(statement)

    pings = []
    original = engine.dialect.do_ping
    monkeypatch.setattr(engine.dialect, "do_ping", lambda c: pings.append(c) or original(c))
    try:
        for _ in range(5):
            await _backend_pid(engine)
        assert pings == []
        assert len(statements) == 5
    finally:
        await engine.dispose()
