"""The operator's commands: migrate, demo (seeds once, prints credentials once), createsuperuser."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner

from kernel.cli import main
from kernel.config import get_settings


@pytest.fixture
def local_env(tmp_path, monkeypatch):
    monkeypatch.setenv("PYCOMMERCE_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.delenv("PYCOMMERCE_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    yield tmp_path / "var"
    get_settings.cache_clear()


def test_help_lists_the_commands():
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0
    for command in ("serve", "migrate", "demo", "createsuperuser"):
        assert command in result.output


def test_migrate_demo_and_login(local_env):
    runner = CliRunner()
    migrated = runner.invoke(main, ["migrate"])
    assert migrated.exit_code == 0, migrated.output
    assert (local_env / "pycommerce.db").exists() and (local_env / "secret.key").exists()
    # On an empty database it names what it made, and where; run again, it says nothing changed.
    created = re.search(r"Created (\d+) tables in (\S+): (.+)\.\n", migrated.output)
    assert created and created.group(2).endswith("pycommerce.db"), migrated.output
    assert {"stores", "products", "orders", "carts"} <= set(created.group(3).split(", "))
    assert int(created.group(1)) == len(created.group(3).split(", "))
    again = runner.invoke(main, ["migrate"])
    assert "up to date" in again.output and "Created" not in again.output
    first = runner.invoke(main, ["demo"])
    assert first.exit_code == 0, first.output
    owner = re.search(r"store owner\s+(\S+) / (\S+)", first.output)
    assert owner, first.output
    second = runner.invoke(main, ["demo"])
    assert "already has stores" in second.output and owner.group(2) not in second.output

    import asyncio

    from kernel.accounts.service import authenticate_user
    from kernel.db import create_engine_for, make_sessionmaker, store_session

    async def can_log_in(email, password):
        engine = create_engine_for(get_settings().database_url)
        try:
            async with store_session(make_sessionmaker(engine), None) as session:
                return await authenticate_user(session, email, password) is not None
        finally:
            await engine.dispose()

    assert asyncio.run(can_log_in(owner.group(1), owner.group(2)))
    assert not asyncio.run(can_log_in(owner.group(1), "wrong"))

    async def demo_shop():
        """What the demo storefront offers: its active products and its enabled plugins."""
        from sqlalchemy import select

        from kernel.catalog.models import Product, ProductStatus
        from kernel.db import cross_store_session
        from kernel.plugins import StorePlugin

        engine = create_engine_for(get_settings().database_url)
        try:
            async with cross_store_session(make_sessionmaker(engine)) as session:
                products = (await session.execute(select(Product.name).where(
                    Product.status == ProductStatus.active).order_by(Product.name))).scalars().all()
                plugins = (await session.execute(select(StorePlugin.plugin_id).where(
                    StorePlugin.enabled.is_(True)).order_by(StorePlugin.plugin_id))).scalars().all()
                return products, plugins
        finally:
            await engine.dispose()

    assert asyncio.run(demo_shop()) == (["Gift card", "Organic T-shirt", "Stoneware mug"],
                                        ["manual_payments", "regional_tax", "shipping_methods"])


def test_createsuperuser(local_env):
    runner = CliRunner()
    runner.invoke(main, ["migrate"])
    result = runner.invoke(main, ["createsuperuser", "--email", "root@example.com"],
                           input="s3cret-pass\ns3cret-pass\n")
    assert result.exit_code == 0, result.output
    again = runner.invoke(main, ["createsuperuser", "--email", "root@example.com"],
                          input="s3cret-pass\ns3cret-pass\n")
    assert again.exit_code == 1 and "already exists" in again.output


def test_roles_sql_names_both_roles():
    result = CliRunner().invoke(main, ["db", "roles-sql", "--owner", "own", "--app-role", "appy"])
    assert "CREATE ROLE own " in result.output and "CREATE ROLE appy " in result.output


@pytest.mark.postgres_only
def test_roles_sql_runs_twice_in_psql(database):
    """The operator's script creates both roles and the database, and a second run changes nothing
    (no 'already exists' error, the first run's password kept)."""
    import secrets
    import subprocess

    import psycopg

    from tests.support.databases import postgres_admin_url

    suffix = secrets.token_hex(4)
    owner, app_role, name = f"pyc_own_{suffix}", f"pyc_app_{suffix}", f"pyc_roles_{suffix}"
    script = CliRunner().invoke(main, ["db", "roles-sql", "--owner", owner, "--app-role", app_role,
                                       "--database", name]).output
    admin = postgres_admin_url()
    try:
        for _ in range(2):
            run = subprocess.run(["psql", admin, "-v", "ON_ERROR_STOP=1", "-q"], input=script, text=True,
                                 capture_output=True)
            assert run.returncode == 0, run.stderr
        with psycopg.connect(admin, autocommit=True) as connection:
            assert connection.execute("SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = %s",
                                      (name,)).fetchone() == (owner,)
            roles = connection.execute("SELECT rolname, rolsuper, rolbypassrls FROM pg_roles WHERE rolname IN (%s, %s)"
                                       " ORDER BY rolname", (app_role, owner)).fetchall()
            assert roles == [(app_role, False, False), (owner, False, False)]
    finally:
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
            connection.execute(f'DROP ROLE IF EXISTS "{owner}"')
            connection.execute(f'DROP ROLE IF EXISTS "{app_role}"')
