"""Throwaway databases for the suite: a SQLite file, and (when reachable) a PostgreSQL database.

On PostgreSQL the tests behave like production: migrations run as the owner
(the server's superuser here) and the application connects as ``pyc_test_app``,
a role that owns nothing, so row-level security applies to it.
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


@dataclass
class TestDatabase:
    backend: str
    url: str  # what the application connects with
    owner_url: str  # what migrations run with
    name: str = ""


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


def _ensure_app_role(admin_engine) -> None:
    with admin_engine.connect() as connection:
        exists = connection.execute(text("select 1 from pg_roles where rolname = :r"), {"r": APP_ROLE}).first()
        if not exists:
            try:
                connection.execute(text(f"CREATE ROLE {APP_ROLE} LOGIN NOSUPERUSER NOBYPASSRLS"))
                connection.commit()
            except Exception:
                connection.rollback()  # another test process created it first


def create_postgres() -> TestDatabase:
    admin_url = make_url(sync_url(postgres_admin_url()))
    name = f"pyc_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin_engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        _ensure_app_role(admin_engine)
        with admin_engine.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin_engine.dispose()
    owner_url = admin_url.set(database=name).render_as_string(hide_password=False)
    # A plain URL, as production's: the app picks its driver for it (asyncpg), as it will there.
    app_url = admin_url.set(drivername="postgresql", database=name, username=APP_ROLE,
                            password=None).render_as_string(hide_password=False)
    migrate.upgrade(owner_url)
    migrate.grant_app_role(owner_url, APP_ROLE)
    return TestDatabase("postgresql", app_url, owner_url, name)


def drop_postgres(db: TestDatabase) -> None:
    admin_engine = create_engine(sync_url(postgres_admin_url()), isolation_level="AUTOCOMMIT")
    try:
        with admin_engine.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{db.name}" WITH (FORCE)'))
    finally:
        admin_engine.dispose()
