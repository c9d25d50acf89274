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
    assert runner.invoke(main, ["migrate"]).exit_code == 0
    assert (local_env / "pycommerce.db").exists() and (local_env / "secret.key").exists()
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
    assert "CREATE ROLE own" in result.output and "CREATE ROLE appy" in result.output
