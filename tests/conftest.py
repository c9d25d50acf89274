"""Suite-wide fixtures. Every test that touches the database runs on SQLite and on PostgreSQL.

The ``database`` fixture is parametrized by backend; PostgreSQL joins when it is
reachable (``PYCOMMERCE_TEST_DATABASE_URL``, default the local server). With
``CI=true`` an unreachable PostgreSQL fails the run instead of shrinking it.
Tests marked ``postgres_only`` or ``sqlite_only`` are deselected (not skipped)
on the other backend.
"""

from __future__ import annotations

import os

import httpx
import pytest
from asgi_lifespan import LifespanManager

from kernel.app import create_app
from kernel.config import Settings
from tests.support import databases
from tests.support.factory import Factory

BACKENDS = ["sqlite"]
if databases.postgres_reachable():
    BACKENDS.append("postgresql")
elif os.environ.get("CI") == "true":
    raise pytest.UsageError(f"CI=true but PostgreSQL is unreachable at {databases.postgres_admin_url()}")


def pytest_collection_modifyitems(config, items):
    kept, dropped = [], []
    for item in items:
        backend = getattr(getattr(item, "callspec", None), "params", {}).get("database")
        if (backend == "sqlite" and item.get_closest_marker("postgres_only")) or \
                (backend == "postgresql" and item.get_closest_marker("sqlite_only")):
            dropped.append(item)
        else:
            kept.append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


@pytest.fixture(scope="session", params=BACKENDS)
def database(request, tmp_path_factory):
    if request.param == "sqlite":
        yield databases.create_sqlite(tmp_path_factory.mktemp("sqlite"))
        return
    db = databases.create_postgres()
    try:
        yield db
    finally:
        databases.drop_postgres(db)


@pytest.fixture(scope="session")
def backend(database) -> str:
    return database.backend


@pytest.fixture(scope="session")
def settings(database, tmp_path_factory) -> Settings:
    var_dir = tmp_path_factory.mktemp(f"var-{database.backend}")
    return Settings(env="test", database_url=database.url, migration_database_url=database.owner_url,
                    platform_database_url=database.platform_url,
                    var_dir=var_dir, secret_key="test-secret-key-not-for-production", log_json=True,
                    # Tests drive job workers explicitly (tests/kernel/jobs); none runs inside the app.
                    run_worker_in_process=False)


@pytest.fixture(scope="session")
async def app(settings):
    application = create_app(settings)
    async with LifespanManager(application):
        yield application


@pytest.fixture
async def client(app):
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as c:
        yield c


@pytest.fixture(scope="session")
def sessionmaker(app):
    return app.state.sessionmaker


@pytest.fixture(scope="session")
def factory(sessionmaker) -> Factory:
    return Factory(sessionmaker)
