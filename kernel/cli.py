"""The ``pycommerce`` command line."""

from __future__ import annotations

import asyncio
import sys

import click

from kernel.config import get_settings


def _run(coro):
    return asyncio.run(coro)


@click.group(help="PyCommerce: a multi-tenant, plugin-first ecommerce platform.")
def main() -> None:
    pass


@main.command(help="Serve the application (API, admin, storefront) with uvicorn.")
@click.option("--host", default=None, help="Interface to bind (default: PYCOMMERCE_HOST or 127.0.0.1).")
@click.option("--port", default=None, type=int, help="Port (default: PYCOMMERCE_PORT or 8000).")
@click.option("--workers", default=1, show_default=True, type=int, help="Worker processes.")
@click.option("--reload", is_flag=True, help="Reload on code changes (development).")
def serve(host: str | None, port: int | None, workers: int, reload: bool) -> None:
    import uvicorn

    settings = get_settings()
    uvicorn.run("kernel.app:create_app", factory=True, host=host or settings.host, port=port or settings.port,
                workers=workers, reload=reload, access_log=False, log_level=settings.log_level.lower())


@main.command(help="Bring the database (kernel and every installed plugin) to the latest schema.")
@click.option("--revision", default="heads", show_default=True)
def migrate(revision: str) -> None:
    from kernel import migrate as migrations

    settings = get_settings()
    if settings.database_url.startswith("sqlite"):
        settings.var_dir.mkdir(parents=True, exist_ok=True)
    migrations.upgrade(settings.migration_database_url, revision)
    if settings.is_postgres and settings.db_app_role:
        migrations.grant_app_role(settings.migration_database_url, settings.db_app_role)
        click.echo(f"Granted table access to role {settings.db_app_role}.")
    click.echo("Database is up to date.")


@main.command(help="Undo migrations (default: everything).")
@click.option("--revision", default="base", show_default=True)
@click.confirmation_option(prompt="This drops data. Continue?")
def downgrade(revision: str) -> None:
    from kernel import migrate as migrations

    migrations.downgrade(get_settings().migration_database_url, revision)


@main.group(help="PostgreSQL roles for row-level security.")
def db() -> None:
    pass


@db.command("roles-sql", help="Print the SQL that creates the owner and application roles.")
@click.option("--owner", default="pycommerce_owner", show_default=True)
@click.option("--app-role", default="pycommerce_app", show_default=True)
@click.option("--database", default="pycommerce", show_default=True)
def roles_sql(owner: str, app_role: str, database: str) -> None:
    from kernel.migrate import role_setup_sql

    click.echo(role_setup_sql(owner, app_role, database))


async def _create_superuser(email: str, password: str) -> None:
    from kernel.accounts.service import create_user
    from kernel.db import create_engine_for, make_sessionmaker, store_session

    settings = get_settings()
    engine = create_engine_for(settings.database_url)
    try:
        async with store_session(make_sessionmaker(engine), None) as session:
            await create_user(session, email, password, is_platform_admin=True)
    finally:
        await engine.dispose()


@main.command(help="Create a platform administrator.")
@click.option("--email", prompt=True)
@click.password_option()
def createsuperuser(email: str, password: str) -> None:
    from kernel.errors import DomainError

    try:
        _run(_create_superuser(email, password))
    except DomainError as exc:
        raise click.ClickException(exc.detail or exc.title) from None
    click.echo(f"Platform administrator {email} created.")


@main.command(help="Create a demo store with an owner account, if the database has no store yet.")
def demo() -> None:
    from kernel.demo import seed_demo

    result = _run(seed_demo(get_settings()))
    if result is None:
        click.echo("The database already has stores; no demo data created.")
        return
    settings = get_settings()
    base = f"http://{settings.host}:{settings.port}"
    click.echo("Demo store created. These credentials are shown only once:")
    click.echo(f"  platform admin  {result.admin_email} / {result.admin_password}")
    click.echo(f"  store owner     {result.owner_email} / {result.owner_password}  (store '{result.store_slug}')")
    click.echo(f"  API docs        {base}/docs")
    click.echo(f"  storefront      http://{result.store_slug}.localhost:{settings.port}/")


def run() -> None:  # pragma: no cover - console entry point convenience
    sys.exit(main())
