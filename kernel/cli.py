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
@click.option("--workers", default=1, show_default=True, type=int,
              help="Worker processes; with more than one, each new connection goes to the next in turn.")
@click.option("--reload", is_flag=True, help="Reload on code changes (development).")
def serve(host: str | None, port: int | None, workers: int, reload: bool) -> None:
    settings = get_settings()
    host, port, log_level = host or settings.host, port or settings.port, settings.log_level.lower()
    from kernel import serving

    if workers > 1 and not reload and serving.can_balance():  # see kernel.serving for why not uvicorn's workers
        sys.exit(serving.main(["kernel.app:create_app", "--factory", "--host", host, "--port", str(port),
                               "--workers", str(workers), "--log-level", log_level]))
    import uvicorn

    uvicorn.run("kernel.app:create_app", factory=True, host=host, port=port, workers=workers, reload=reload,
                access_log=False, log_level=log_level)


@main.command(help="Bring the database (kernel and every installed plugin) to the latest schema.")
@click.option("--revision", default="heads", show_default=True)
def migrate(revision: str) -> None:
    from kernel import migrate as migrations

    settings = get_settings()
    if settings.database_url.startswith("sqlite"):
        settings.var_dir.mkdir(parents=True, exist_ok=True)
    before = migrations.table_names(settings.migration_database_url)
    migrations.upgrade(settings.migration_database_url, revision)
    click.echo(migrations.upgrade_summary(settings.migration_database_url, before,
                                          migrations.table_names(settings.migration_database_url)))
    migrations.check_tenant_tables(settings.migration_database_url)
    if settings.is_postgres and settings.db_app_role:
        migrations.grant_app_role(settings.migration_database_url, settings.db_app_role, settings.db_platform_role)
        click.echo(f"Granted table access to role {settings.db_app_role}"
                   + (f" and, across stores, to {settings.db_platform_role}." if settings.db_platform_role else "."))


@main.command(help="Undo migrations (default: everything).")
@click.option("--revision", default="base", show_default=True)
@click.confirmation_option(prompt="This drops data. Continue?")
def downgrade(revision: str) -> None:
    from kernel import migrate as migrations

    migrations.downgrade(get_settings().migration_database_url, revision)


@main.group(help="PostgreSQL roles for row-level security.")
def db() -> None:
    pass


@db.command("roles-sql", help="Print the SQL that creates the owner, application and platform roles.")
@click.option("--owner", default="pycommerce_owner", show_default=True)
@click.option("--app-role", default="pycommerce_app", show_default=True)
@click.option("--platform-role", default="pycommerce_platform_login", show_default=True,
              help="The login of workers, the CLI and platform administration (sees every store).")
@click.option("--database", default="pycommerce", show_default=True)
def roles_sql(owner: str, app_role: str, platform_role: str, database: str) -> None:
    from kernel.migrate import role_setup_sql

    click.echo(role_setup_sql(owner, app_role, database, platform_role))


async def _create_superuser(email: str, password: str) -> None:
    from kernel.accounts.service import create_user
    from kernel.db import create_engine_for, make_sessionmaker, store_session

    settings = get_settings()
    engine = create_engine_for(settings.platform_database_url)
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


@main.command(help="Run a standalone job worker (any number, on any number of hosts). "
                    "SIGTERM/SIGINT stop it gracefully; a second signal gives in-flight jobs back at once.")
@click.option("--concurrency", default=None, type=click.IntRange(min=1),
              help="Jobs run at once (default: PYCOMMERCE_JOB_CONCURRENCY or 4).")
@click.option("--name", default=None, help="Worker name shown in jobs.locked_by (default: host:pid:random).")
def worker(concurrency: int | None, name: str | None) -> None:
    from kernel.jobs.worker import run_worker
    from kernel.plugins import get_plugin_manager
    from kernel.plugins.bridge import connect_plugins_to_jobs
    from kernel.plugins.settings import use_settings

    get_plugin_manager()  # fail fast on a broken plugin set, as `serve` does
    use_settings(get_settings())
    connect_plugins_to_jobs()
    _run(run_worker(get_settings(), concurrency=concurrency, name=name))


@main.group(help="Inspect the job queue and retry parked jobs.")
def jobs() -> None:
    pass


async def _list_jobs(status: str | None, limit: int) -> list:
    from kernel.db import create_engine_for, make_sessionmaker, store_session
    from kernel.jobs import queue

    engine = create_engine_for(get_settings().platform_database_url)
    try:
        async with store_session(make_sessionmaker(engine), None) as session:
            return await queue.list_jobs(session, status=status, limit=limit)
    finally:
        await engine.dispose()


@jobs.command("list", help="List jobs; --status failed shows the parked ones.")
@click.option("--status", type=click.Choice(["queued", "running", "done", "failed"]), default=None)
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 1000))
def jobs_list(status: str | None, limit: int) -> None:
    for job in _run(_list_jobs(status, limit)):
        error = (job.last_error or "").splitlines()[0][:100] if job.last_error else ""
        click.echo(f"{job.id}\t{job.kind}\tstore={job.store_id}\t{job.status}\t"
                   f"attempts={job.attempts}/{job.max_attempts}\t{error}")


async def _retry_jobs(job_ids: tuple[int, ...]) -> list[int]:
    from kernel.db import create_engine_for, make_sessionmaker, store_session
    from kernel.jobs import queue

    engine = create_engine_for(get_settings().platform_database_url)
    try:
        async with store_session(make_sessionmaker(engine), None) as session:
            return [job_id for job_id in job_ids if await queue.retry(session, job_id)]
    finally:
        await engine.dispose()


@jobs.command("retry", help="Put parked (failed) jobs back in the queue with fresh attempts.")
@click.argument("job_ids", nargs=-1, type=int, required=True)
def jobs_retry(job_ids: tuple[int, ...]) -> None:
    retried = _run(_retry_jobs(job_ids))
    for job_id in job_ids:
        click.echo(f"{job_id}: {'queued again' if job_id in retried else 'not a failed job; unchanged'}")
    if len(retried) != len(job_ids):
        sys.exit(1)


async def _purge_jobs(days: int, include_failed: bool) -> tuple[int, int]:
    from datetime import timedelta

    from kernel.db import create_engine_for, make_sessionmaker, store_session, utcnow
    from kernel.events.delivery import purge_dispatched_events
    from kernel.jobs import queue

    engine = create_engine_for(get_settings().platform_database_url)
    cutoff = utcnow() - timedelta(days=days)
    try:
        factory = make_sessionmaker(engine)
        async with store_session(factory, None) as session:
            jobs_deleted = await queue.purge_finished(session, cutoff, include_failed=include_failed)
        return jobs_deleted, await purge_dispatched_events(factory, cutoff)
    finally:
        await engine.dispose()


@jobs.command("purge", help="Delete done jobs and dispatched outbox events older than N days (housekeeping).")
@click.option("--older-than-days", "days", default=14, show_default=True, type=click.IntRange(min=0))
@click.option("--failed", "include_failed", is_flag=True, help="Also delete parked (failed) jobs that old.")
def jobs_purge(days: int, include_failed: bool) -> None:
    jobs_deleted, events_deleted = _run(_purge_jobs(days, include_failed))
    click.echo(f"Deleted {jobs_deleted} finished jobs and {events_deleted} dispatched outbox events.")


def run() -> None:  # pragma: no cover - console entry point convenience
    sys.exit(main())


# --- Plugins -----------------------------------------------------------------------------------

async def _enabled_where(settings) -> dict[str, list[str]] | None:
    """Slugs of the stores using each plugin, or ``None`` when the database cannot tell (not migrated)."""
    from sqlalchemy import select

    from kernel.db import create_engine_for, cross_store_session, make_sessionmaker
    from kernel.plugins.models import StorePlugin
    from kernel.stores.models import Store

    engine = create_engine_for(settings.platform_database_url)
    try:
        async with cross_store_session(make_sessionmaker(engine)) as session:
            rows = (await session.execute(
                select(StorePlugin.plugin_id, Store.slug).join(Store, Store.id == StorePlugin.store_id)
                .where(StorePlugin.enabled.is_(True)).order_by(Store.slug))).all()
    except Exception:  # no database yet: still list what is installed
        return None
    finally:
        await engine.dispose()
    where: dict[str, list[str]] = {}
    for plugin_id, slug in rows:
        where.setdefault(plugin_id, []).append(slug)
    return where


@main.command("plugins", help="List installed plugins: id, distribution, version, description, category, "
                              "kernel requirement, hooks, where enabled; and those left out at start-up.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def list_plugins(as_json: bool) -> None:
    import json

    from kernel import __version__ as KERNEL_VERSION
    from kernel.plugins import PluginStartupError, build_plugin_manager, platform_plugins

    try:
        pm = build_plugin_manager()
    except PluginStartupError as exc:
        raise click.ClickException(str(exc)) from None
    where = _run(_enabled_where(get_settings()))
    plugins = [{"id": pid, "distribution": pm.meta[pid].distribution, "version": pm.meta[pid].version,
                "description": pm.meta[pid].info.description, "category": pm.meta[pid].info.category,
                "homepage": pm.meta[pid].info.homepage, "kernel_requirement": pm.meta[pid].info.kernel,
                "hooks": pm.hooks_of(pid), "always_on": pid in platform_plugins(),
                "enabled_in": None if where is None else where.get(pid, [])} for pid in pm.plugin_ids()]
    failed = [{"id": f.id, "distribution": f.distribution, "error": f.error} for f in pm.failures]
    if as_json:
        click.echo(json.dumps({"plugins": plugins, "failed": failed}, indent=2))
        return
    if not plugins:
        click.echo("No plugins installed.")
    for p in plugins:
        enabled = "all stores (platform plugin)" if p["always_on"] else (
            "unknown (database not migrated)" if p["enabled_in"] is None else (", ".join(p["enabled_in"]) or "no store"))
        click.echo(f"{p['id']}  ({p['distribution']} {p['version']})  [{p['category']}]")
        if p["description"]:
            click.echo(f"    {p['description']}")
        if p["homepage"]:
            click.echo(f"    homepage: {p['homepage']}")
        click.echo(f"    kernel:  {p['kernel_requirement'] or 'any'} (this kernel: {KERNEL_VERSION})")
        click.echo(f"    hooks:   {', '.join(p['hooks']) or '-'}")
        click.echo(f"    enabled: {enabled}")
    for f in failed:
        click.echo(f"FAILED {f['id']} ({f['distribution']}): {f['error']}", err=True)


@main.group("plugin", help="Write plugins.")
def plugin_group() -> None:
    pass


@plugin_group.command("new", help="Scaffold an installable plugin package NAME (its tests pass straight away).")
@click.argument("name")
@click.option("--with-migrations", is_flag=True, help="Add a model and an Alembic branch named after the plugin.")
@click.option("--dir", "directory", default=".", show_default=True, type=click.Path(file_okay=False),
              help="Where to create the package folder.")
@click.option("--distribution", default=None, help="The distribution name pip installs (default: NAME with '-').")
@click.option("--module", default=None, help="The Python package name (default: NAME with '_', lower-case).")
@click.option("--plugin-id", default=None, help="The plugin id, its entry-point name (default: as the module).")
def plugin_new(name: str, with_migrations: bool, directory: str, distribution: str | None, module: str | None,
               plugin_id: str | None) -> None:
    from pathlib import Path

    from kernel.plugins.scaffold import scaffold_plugin

    try:
        root = scaffold_plugin(name, Path(directory), with_migrations=with_migrations, distribution=distribution,
                               module=module, plugin_id=plugin_id)
    except (ValueError, FileExistsError) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Created {root}")
    click.echo(f"  cd {root} && pip install -e '.[test]' && pytest")


# --- Secrets -----------------------------------------------------------------------------------

@main.group(help="Secrets at rest (plugin API keys, webhook secrets).")
def secrets_group() -> None:
    pass


main.add_command(secrets_group, "secrets")


async def _rotate(settings) -> tuple[int, int]:
    from kernel.db import create_engine_for, cross_store_session, make_sessionmaker
    from kernel.plugins.service import rotate_secrets
    from kernel.plugins.settings import box_from

    engine = create_engine_for(settings.platform_database_url)
    try:
        async with cross_store_session(make_sessionmaker(engine)) as session:
            report = await rotate_secrets(session, box_from(settings))
    finally:
        await engine.dispose()
    return report.rows, report.secrets


@secrets_group.command("rotate", help="Re-encrypt every stored secret under the current PYCOMMERCE_SECRET_KEY "
                                      "(old keys in PYCOMMERCE_PREVIOUS_SECRET_KEYS).")
def rotate() -> None:
    try:
        rows, count = _run(_rotate(get_settings()))
    except RuntimeError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Re-encrypted {count} secret(s) in {rows} plugin setting row(s) under the current key.")


if __name__ == "__main__":  # python -m kernel.cli
    main()
