"""Throwaway databases for the suite: a SQLite file, and (when reachable) a PostgreSQL database.

On PostgreSQL the tests behave like production: migrations run as the owner
(the server's superuser here), the application connects as ``pyc_test_app``,
a role that owns nothing, so row-level security applies to it, and work across
stores connects as ``pyc_test_platform``, a member of ``pycommerce_platform``.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from kernel import migrate
from kernel.db import sync_url

DEFAULT_PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
APP_ROLE = "pyc_test_app"
PLATFORM_LOGIN = "pyc_test_platform"


@dataclass
class TestDatabase:
    backend: str
    url: str  # what the application connects with
    owner_url: str  # what migrations run with
    name: str = ""
    platform_url: str = ""  # what work across stores connects with (the app's URL on SQLite)

    def __post_init__(self) -> None:
        self.platform_url = self.platform_url or self.url


def postgres_admin_url() -> str:
    return os.environ.get("PYCOMMERCE_TEST_DATABASE_URL", DEFAULT_PG_ADMIN_URL)


def postgres_reachable() -> bool:
    try:
        engine = create_engine(sync_url(postgres_admin_url()), connect_args={"connect_timeout": 3})
        with engine.connect() as connection:
            connection.execute(text("select 1"))
        engine.dispose()
        return True
    except Exception:
        return False


def create_sqlite(directory: Path) -> TestDatabase:
    url = f"sqlite+aiosqlite:///{directory / 'test.db'}"
    migrate.upgrade(url)
    return TestDatabase("sqlite", url, url)


def _ensure_login_role(admin_engine, role: str) -> None:
    with admin_engine.connect() as connection:
        exists = connection.execute(text("select 1 from pg_roles where rolname = :r"), {"r": role}).first()
        if not exists:
            try:
                connection.execute(text(f"CREATE ROLE {role} LOGIN NOSUPERUSER NOBYPASSRLS"))
                connection.commit()
            except Exception:
                connection.rollback()  # another test process created it first


def create_postgres() -> TestDatabase:
    admin_url = make_url(sync_url(postgres_admin_url()))
    name = f"pyc_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin_engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        _ensure_login_role(admin_engine, APP_ROLE)
        _ensure_login_role(admin_engine, PLATFORM_LOGIN)
        with admin_engine.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin_engine.dispose()
    owner_url = admin_url.set(database=name).render_as_string(hide_password=False)
    # A plain URL, as production's: the app picks its driver for it (asyncpg), as it will there.
    app_url, platform_url = (admin_url.set(drivername="postgresql", database=name, username=role, password=None)
                             .render_as_string(hide_password=False) for role in (APP_ROLE, PLATFORM_LOGIN))
    migrate.upgrade(owner_url)
    migrate.check_tenant_tables(owner_url)
    migrate.grant_app_role(owner_url, APP_ROLE, PLATFORM_LOGIN)
    return TestDatabase("postgresql", app_url, owner_url, name, platform_url)


def drop_postgres(db: TestDatabase) -> None:
    admin_engine = create_engine(sync_url(postgres_admin_url()), isolation_level="AUTOCOMMIT")
    try:
        with admin_engine.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{db.name}" WITH (FORCE)'))
    finally:
        admin_engine.dispose()
