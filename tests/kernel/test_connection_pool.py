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


async def test_the_side_pool_commits_on_its_own_and_closes_with_its_engine(database):
    """``side_engine`` (order numbers) commits each statement at once, even while the main pool's
    transaction is open, and disposing the main engine closes its connections too (no leak)."""
    engine = kernel_db.create_engine_for(database.url, pool_size=1, max_overflow=0)
    side = kernel_db.side_engine(engine)
    assert kernel_db.side_engine(engine) is side  # one side pool per engine
    async with engine.connect() as main:
        await main.execute(text("select 1"))  # the main pool's only connection is busy in a transaction
        async with side.connect() as connection:
            side_pid = (await connection.execute(text("select pg_backend_pid()"))).scalar()
            in_transaction = (await connection.execute(text("select now() <> statement_timestamp()"))).scalar()
    assert in_transaction is False  # autocommit: each statement is its own transaction
    await engine.dispose()
    owner = create_engine(kernel_db.sync_url(database.owner_url))
    try:
        for _ in range(40):  # a closed connection's backend exits a moment after the client hangs up
            with owner.connect() as connection:
                alive = connection.execute(text("select count(*) from pg_stat_activity where pid = :pid"),
                                           {"pid": side_pid}).scalar()
            if not alive:
                break
            await asyncio.sleep(0.05)
    finally:
        owner.dispose()
    assert alive == 0
