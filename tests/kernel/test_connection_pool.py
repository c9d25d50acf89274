"""The pool: idle connections are pinged, busy ones are trusted, opened ones are kept, waiters take turns.

A request must not fail because PostgreSQL restarted (or a backend was terminated)
while its pooled connection sat idle; yet a connection reused moments after its last
request must not pay a round trip for a ping (see ``kernel.db.ping_connections_idle_longer_than``).
"""

from __future__ import annotations

import asyncio
import itertools
from typing import Annotated

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import Depends, Request
from sqlalchemy import create_engine, text

from kernel import db as kernel_db
from kernel.app import create_app
from kernel.deps import SessionDep

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
            side_state = (await main.execute(text("select state from pg_stat_activity where pid = :pid"),
                                             {"pid": side_pid})).scalar()
    assert side_state == "idle"  # autocommit: its transaction ended with its statement (not "idle in transaction")
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


async def _arrival(request: Request) -> int:
    """Solved before the session: the moment the request asks for a connection."""
    return next(request.app.state.test_arrivals)


async def _take_turn(request: Request, number: Annotated[int, Depends(_arrival)], session: SessionDep) -> dict:
    await session.execute(text("select 1"))
    request.app.state.test_served.append(number)
    return {}


async def _hold_connection(session: SessionDep) -> dict:
    await session.execute(text("select 1"))
    await asyncio.sleep(1.0)
    return {}


async def _backend_of_a_held_connection(session: SessionDep) -> dict:
    pid = (await session.execute(text("select pg_backend_pid()"))).scalar()
    await asyncio.sleep(0.3)  # every request of the burst holds its connection at once
    return {"pid": pid}


async def test_the_connections_a_burst_opened_serve_the_next_burst(settings):
    """As many requests at once as the app lets hold a connection, twice: the second burst is served
    by the connections the first opened, none new.

    SQLAlchemy closes an "overflow" connection as soon as it comes back to a pool already holding
    ``pool_size`` idle ones; under load, where requests give their connection back at commit and
    take one again at their next first statement, that happened every few requests, each a new
    PostgreSQL session (docs/decisions/pool-sizing.md). The defaults keep every connection the
    pool opens (``db_max_overflow`` 0).
    """
    app = create_app(settings)
    app.add_api_route("/test-only/held-backend", _backend_of_a_held_connection)
    burst = settings.db_pool_size + settings.db_max_overflow
    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            bursts = []
            for _ in range(2):
                answers = await asyncio.gather(*(client.get("/test-only/held-backend") for _ in range(burst)))
                assert [answer.status_code for answer in answers] == [200] * burst
                bursts.append({answer.json()["pid"] for answer in answers})
    assert len(bursts[0]) == burst  # each request of the burst had a connection of its own
    assert bursts[1] == bursts[0]


async def test_requests_waiting_for_a_connection_are_served_in_the_order_they_arrived(settings):
    """300 shoppers arriving one after another, one connection: none is served before someone who
    asked earlier.

    Waiting in SQLAlchemy's pool alone, a request arriving just as the connection came back took
    it ahead of those already waiting, who went back to the end of the line (see
    ``kernel.db.ConnectionTurns``): here, 200 or more of the 300 were overtaken.
    """
    app = create_app(settings.model_copy(update={"db_pool_size": 1, "db_max_overflow": 0}))
    app.add_api_route("/test-only/turn", _take_turn)
    app.state.test_arrivals, app.state.test_served = itertools.count(), []
    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            shoppers = []
            for _ in range(300):
                shoppers.append(asyncio.create_task(client.get("/test-only/turn")))
                for _ in range(3):  # the next shopper comes a few turns of the event loop later
                    await asyncio.sleep(0)
            answers = await asyncio.gather(*shoppers)
    assert [answer.status_code for answer in answers] == [200] * 300
    served = app.state.test_served
    overtaken = [number for index, number in enumerate(served) if number < max(served[:index], default=-1)]
    assert overtaken == []


async def _asked_while_the_only_connection_is_held(settings, path: str, headers: dict | None = None) -> httpx.Response:
    """GET ``path`` while another request holds the pool's only connection past the pool timeout
    (0.2 s); that request itself must still succeed."""
    app = create_app(settings.model_copy(update={"db_pool_size": 1, "db_max_overflow": 0, "db_pool_timeout": 0.2}))
    app.add_api_route("/test-only/hold", _hold_connection)
    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            holder = asyncio.create_task(client.get("/test-only/hold"))
            await asyncio.sleep(0.1)  # the holder has the only connection
            answer = await client.get(path, headers=headers)
            assert (await holder).status_code == 200
    return answer


async def test_a_request_that_waits_longer_than_the_pool_timeout_is_told_to_retry(settings):
    """503 in the API's error shape, with Retry-After."""
    waiting = await _asked_while_the_only_connection_is_held(settings, "/test-only/hold")
    assert waiting.status_code == 503
    assert waiting.headers["retry-after"] == "1"
    assert waiting.json()["type"].endswith("/unavailable") and waiting.json()["status"] == 503
    assert "try again" in waiting.json()["detail"]


async def test_a_shopper_who_waited_too_long_reads_a_page_saying_to_try_again(settings, factory):
    store = await factory.store(name="Busy Shop")
    page = await _asked_while_the_only_connection_is_held(
        settings, "/", {"host": f"{store.slug}.localhost", "accept": "text/html"})
    assert page.status_code == 503 and page.headers["content-type"].startswith("text/html")
    assert page.headers["retry-after"] == "1"
    assert "<h1>Service Unavailable</h1>" in page.text and "try again shortly" in page.text
