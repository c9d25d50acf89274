"""Probes: alive, ready, and not ready when the database is down or behind on migrations."""

from __future__ import annotations

import httpx
from asgi_lifespan import LifespanManager

from kernel.app import create_app
from kernel.config import Settings


async def test_healthz(client):
    response = await client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


async def test_readyz_when_migrated(client):
    response = await client.get("/readyz")
    assert response.status_code == 200, response.text
    assert response.json()["migrations"] == "current"


async def _ready_status(settings: Settings) -> httpx.Response:
    app = create_app(settings)
    async with LifespanManager(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
            return await c.get("/readyz")


async def test_readyz_fails_when_database_unreachable(settings, backend):
    if backend == "sqlite":
        url = "sqlite+aiosqlite:////nonexistent-dir/for/sure/db.sqlite"
    else:
        url = "postgresql+psycopg://nobody@127.0.0.1:1/nothing"
    response = await _ready_status(settings.model_copy(update={"database_url": url}))
    assert response.status_code == 503
    assert response.json()["database"] == "unreachable"


async def test_readyz_fails_when_migrations_pending(settings, tmp_path):
    from kernel import migrate

    url = f"sqlite+aiosqlite:///{tmp_path / 'behind.db'}"
    migrate.upgrade(url)
    migrate.downgrade(url, "base")
    response = await _ready_status(settings.model_copy(update={"database_url": url,
                                                               "migration_database_url": url}))
    assert response.status_code == 503
    assert response.json()["migrations"] == "pending"
