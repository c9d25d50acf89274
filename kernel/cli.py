"""The ``pycommerce`` command line."""

from __future__ import annotations

import asyncio
import secrets
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
    _run(_create_superuser(email, password))
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

    _run(run_worker(get_settings(), concurrency=concurrency, name=name))


@main.group(help="Inspect the job queue and retry parked jobs.")
def jobs() -> None:
    pass


async def _list_jobs(status: str | None, limit: int) -> list:
    from kernel.db import create_engine_for, make_sessionmaker, store_session
    from kernel.jobs import queue

    engine = create_engine_for(get_settings().database_url)
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

    engine = create_engine_for(get_settings().database_url)
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

    engine = create_engine_for(get_settings().database_url)
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
