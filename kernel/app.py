"""The application factory: one ASGI app serving the API, the admin, the storefront and the probes."""

from __future__ import annotations

import importlib
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi_offline import FastAPIOffline

from kernel import __version__
from kernel.accounts.signins import SignInCache
from kernel.catalog.media import media_store
from kernel.config import Settings, get_settings
from kernel.db import connection_turns, create_engine_for, make_sessionmaker
from kernel.errors import install_error_handlers
from kernel.input_guard import RejectNulBytes
from kernel.observability import RequestContextMiddleware, configure_logging
from kernel.storefront.pages import problem_page

# Kernel routers, by domain. Each module exposes one or more APIRouter objects named *router.
KERNEL_ROUTER_MODULES = (
    "kernel.health",
    "kernel.accounts.api",
    "kernel.accounts.store_api",
    "kernel.audit.api",
    "kernel.stores.api",
    "kernel.plugins.api",
    "kernel.jobs.api",
    "kernel.storefront.shop",
    "kernel.catalog.api",
    "kernel.catalog.api_categories",
    "kernel.catalog.csv_api",
    "kernel.catalog.media",
    "kernel.catalog.storefront_api",
    "kernel.inventory.api",
    "kernel.carts.api",
    "kernel.checkout.api",
    "kernel.orders.api",
    "kernel.reports.api",
)

API_DESCRIPTION = """
PyCommerce's JSON API. Store-scoped endpoints live under `/api/v1/stores/{store_slug}/…`;
platform administration under `/api/v1/platform/…`.

Authenticate with `Authorization: Bearer <token>` (a session token from `POST /api/v1/auth/login`,
or a store API key). Every error is an RFC 9457 problem document (`application/problem+json`)
carrying the request id.
"""


def _include_kernel_routers(app: FastAPI) -> None:
    for name in KERNEL_ROUTER_MODULES:
        module = importlib.import_module(name)
        for attr in sorted(vars(module)):
            if attr.endswith("router"):
                app.include_router(getattr(module, attr))


async def _start_embedded_worker(app: FastAPI, settings: Settings):
    """Embedded mode: one job worker inside the app process (the default for ``pycommerce serve``)."""
    import asyncio

    from kernel.jobs.registry import load_job_handlers
    from kernel.jobs.worker import Worker, WorkerOptions

    await load_job_handlers(settings.job_modules)
    worker = Worker(app.state.sessionmaker, WorkerOptions.from_settings(settings))
    app.state.worker = worker
    app.state.worker_task = asyncio.create_task(worker.run(), name="embedded-job-worker")
    return worker


async def _stop_embedded_worker(app: FastAPI) -> None:
    """Graceful: no new claims; jobs in flight finish within the grace period or go back to the queue."""
    app.state.worker.stop()
    try:
        await app.state.worker_task
    except Exception:  # pragma: no cover - the worker logs its own failures
        pass


def _freeze_startup_objects() -> None:
    """Move everything allocated at start-up (modules, routes, models, plugins) out of the collector's reach.

    Those objects live as long as the process, yet every full collection walks them all: a
    pause of the whole event loop, long enough to be what a p99 sees (docs/decisions/gc-freeze.md).
    ``gc.freeze`` (the approach Instagram described for Django) leaves request garbage collected
    as before.
    """
    import gc

    gc.collect()
    gc.freeze()


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    configure_logging(settings.log_level, settings.log_json)
    # Fail fast: a broken plugin set (duplicate ids, unknown hooks, a broken platform plugin) stops start-up here.
    from kernel.plugins import get_plugin_manager
    from kernel.plugins.calling import monitor, set_tracing
    from kernel.plugins.mounting import mount_plugins
    from kernel.plugins.settings import use_settings

    from kernel.plugins.bridge import connect_plugins_to_jobs

    plugin_manager = get_plugin_manager()
    connect_plugins_to_jobs()
    use_settings(settings)
    set_tracing(settings.trace_hooks)
    if settings.trace_hooks and not getattr(plugin_manager, "_pyc_monitored", False):
        monitor(plugin_manager)
        plugin_manager._pyc_monitored = True

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        app.state.engine = create_engine_for(
            settings.database_url, pool_size=settings.db_pool_size, max_overflow=settings.db_max_overflow,
            pool_timeout=settings.db_pool_timeout, echo=settings.db_echo)
        app.state.sessionmaker = make_sessionmaker(app.state.engine)
        app.state.connection_turns = connection_turns(app.state.engine, settings.db_pool_size,
                                                      settings.db_max_overflow, settings.db_pool_timeout)
        worker = await _start_embedded_worker(app, settings) if settings.run_worker_in_process else None
        _freeze_startup_objects()
        try:
            yield
        finally:
            if worker is not None:
                await _stop_embedded_worker(app)
            await app.state.engine.dispose()

    # /docs and /redoc with their scripts and styles served by the app itself, not a CDN, so the
    # reference works on a machine without internet and leaks no visit to a third party.
    app = FastAPIOffline(title="PyCommerce", version=__version__, description=API_DESCRIPTION, lifespan=lifespan,
                         static_url="/static/api-docs")
    app.state.settings = settings
    app.state.sign_ins = SignInCache()  # this process's staff sign-ins (kernel.accounts.signins)
    app.state.media = media_store(settings)  # where uploads go: made once, it holds no connection
    install_error_handlers(app)
    app.state.problem_page = problem_page  # a browser's page requests get their problems as pages
    _include_kernel_routers(app)
    app.state.plugin_manager = plugin_manager
    mount_plugins(app, plugin_manager)
    app.add_middleware(RejectNulBytes)
    app.add_middleware(RequestContextMiddleware)
    return app
