"""pytest fixtures for plugin authors: the kernel on a temporary SQLite database, your plugin enabled.

In your ``tests/conftest.py``::

    import pytest

    pytest_plugins = ["plugin_sdk.testing"]

    @pytest.fixture(scope="session")
    def pyc_plugin_id():
        return "my_plugin"          # your entry-point name

Then, in tests (``asyncio_mode = "auto"`` with session loop scope, see the scaffold)::

    async def test_rates(pyc_store, pyc_hooks):
        hooks = await pyc_hooks(pyc_store)
        assert await hooks.shipping_rates(cart=...)

Install your package first (``pip install -e .``) so the kernel discovers it
through its entry point, exactly as in production; a plugin that is not
installed is registered from ``pyc_plugin_module`` instead (override it).

Fixtures: ``pyc_plugin_id``, ``pyc_plugin_module``, ``pyc_settings``, ``pyc_app``,
``pyc_client``, ``pyc_sessionmaker``, ``pyc_session``, ``pyc_make_store``,
``pyc_store``, ``pyc_enable_plugin``, ``pyc_store_settings``, ``pyc_hooks``, ``pyc_owner``,
``pyc_deliver_event``.

These fixtures run the real kernel (this module is test tooling: it imports the kernel, which
plugin code itself never does).
"""

from __future__ import annotations

import itertools
import secrets
import uuid
from datetime import datetime, timezone
from typing import Any

import httpx
import pytest

_counter = itertools.count(1)


def _unique(prefix: str) -> str:
    return f"{prefix}{next(_counter)}{uuid.uuid4().hex[:6]}"


@pytest.fixture(scope="session")
def pyc_plugin_id() -> str:
    """Override in your conftest: the id (entry-point name) of the plugin under test."""
    raise pytest.UsageError("define a session-scoped `pyc_plugin_id` fixture returning your plugin id")


@pytest.fixture(scope="session")
def pyc_plugin_module():
    """Override to register a plugin module that is not installed (default: rely on its entry point)."""
    return None


@pytest.fixture(scope="session")
def pyc_settings(tmp_path_factory):
    """Kernel settings for a throwaway SQLite database, migrated (kernel and installed plugins' branches)."""
    from kernel import migrate
    from kernel.config import Settings

    var_dir = tmp_path_factory.mktemp("pycommerce")
    settings = Settings(env="test", var_dir=var_dir, database_url=f"sqlite+aiosqlite:///{var_dir / 'test.db'}",
                        secret_key=secrets.token_urlsafe(32), log_json=False, run_worker_in_process=False)
    migrate.upgrade(settings.migration_database_url)
    return settings


@pytest.fixture(scope="session")
def pyc_plugin_manager(pyc_plugin_id, pyc_plugin_module):
    from kernel.plugins import get_plugin_manager, register_plugin

    pm = get_plugin_manager()
    if pm.get_plugin(pyc_plugin_id) is None:
        if pyc_plugin_module is None:
            raise pytest.UsageError(f"plugin {pyc_plugin_id!r} is not installed: run `pip install -e .` "
                                    "(or override the `pyc_plugin_module` fixture)")
        register_plugin(pm, pyc_plugin_module, pyc_plugin_id)
    return pm


@pytest.fixture(scope="session")
async def pyc_app(pyc_settings, pyc_plugin_manager):
    """The whole application (API, admin, storefront) with its lifespan running."""
    from kernel.app import create_app

    app = create_app(pyc_settings)
    async with app.router.lifespan_context(app):
        yield app


@pytest.fixture
async def pyc_client(pyc_app):
    """An httpx client talking to ``pyc_app`` in-process."""
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=pyc_app), base_url="http://testserver") as client:
        yield client


@pytest.fixture(scope="session")
def pyc_sessionmaker(pyc_app):
    return pyc_app.state.sessionmaker


@pytest.fixture(scope="session")
def pyc_session(pyc_sessionmaker):
    """``async with pyc_session(store) as session:`` a committed unit of work bound to ``store``."""
    from kernel.db import store_session

    def open_session(store=None):
        return store_session(pyc_sessionmaker, None if store is None else store.id)

    return open_session


@pytest.fixture(scope="session")
def pyc_enable_plugin(pyc_session, pyc_plugin_id):
    """``await pyc_enable_plugin(store, settings=None, plugin_id=None)``: enable (and configure) for ``store``."""
    from kernel.plugins import enable_plugin

    async def enable(store, settings: dict[str, Any] | None = None, plugin_id: str | None = None):
        async with pyc_session(store) as session:
            await enable_plugin(session, plugin_id or pyc_plugin_id, settings)

    return enable


@pytest.fixture(scope="session")
def pyc_store_settings(pyc_session, pyc_plugin_id):
    """``await pyc_store_settings(store, values, version=1)``: store settings as an older release saved them.

    Written as they are (secrets left as given, nothing validated), so a test can check how the
    plugin's ``migrate_settings`` brings them to the current version, or that settings which no
    longer validate make the plugin "needs attention".
    """
    from sqlalchemy import select

    from kernel.plugins.models import StorePlugin
    from kernel.stores.service import bump_plugins_version

    async def store_settings(store, values: dict[str, Any], version: int = 1, plugin_id: str | None = None):
        async with pyc_session(store) as session:
            row = (await session.execute(select(StorePlugin).where(
                StorePlugin.plugin_id == (plugin_id or pyc_plugin_id)))).scalar_one()
            row.settings, row.settings_version = dict(values), version
            await session.flush()
            await bump_plugins_version(session, store.id)

    return store_settings


@pytest.fixture(scope="session")
def pyc_make_store(pyc_session, pyc_enable_plugin):
    """``await pyc_make_store(enabled=True, settings=None, **store_fields)``: a new store."""
    from kernel.stores.schemas import StoreCreate
    from kernel.stores.service import create_store

    async def make(enabled: bool = True, settings: dict[str, Any] | None = None, **fields):
        data = {"slug": _unique("s"), "name": "Test Store", "currency": "USD", **fields}
        async with pyc_session(None) as session:
            store = await create_store(session, StoreCreate(**data))
        if enabled:
            await pyc_enable_plugin(store, settings)
        return store

    return make


@pytest.fixture
async def pyc_store(pyc_make_store):
    """A fresh store with the plugin under test enabled (default settings)."""
    return await pyc_make_store()


@pytest.fixture(scope="session")
def pyc_hooks(pyc_session):
    """``await pyc_hooks(store)``: the store's hooks facade, as the kernel calls them (``shipping_rates(cart=…)``…).

    Bound to no open session: hooks whose implementation asks for ``context`` need
    ``pyc_deliver_event`` or a request instead."""
    from kernel.plugins.relay import cached_store_hooks
    from kernel.stores.service import get_store
    from kernel.tenancy import StoreContext

    async def hooks(store):
        async with pyc_session(None) as session:
            context = StoreContext.of(await get_store(session, store.slug))
        async with pyc_session(store) as session:
            return (await cached_store_hooks(session, context)).bind(None)

    return hooks


@pytest.fixture(scope="session")
def pyc_owner(pyc_session):
    """``await pyc_owner(store)``: request headers of a new owner of ``store``."""
    from kernel.accounts.models import StaffRole
    from kernel.accounts.service import create_user, grant_role, start_session

    async def owner(store) -> dict[str, str]:
        async with pyc_session(None) as session:
            user = await create_user(session, f"{_unique('owner')}@example.com", secrets.token_urlsafe(16))
            token = await start_session(session, user=user)
        async with pyc_session(store) as session:
            await grant_role(session, user, StaffRole.owner)
        return {"Authorization": f"Bearer {token}"}

    return owner


@pytest.fixture(scope="session")
def pyc_deliver_event(pyc_session, pyc_hooks):
    """``await pyc_deliver_event(store, OrderPlaced(...))``: deliver one event as the job worker does,
    to each enabled plugin in a unit of work of its own; returns the :class:`plugin_sdk.events.Event`."""
    from kernel.plugins.events import deliver_event, event_consumers
    from kernel.stores.service import get_store
    from kernel.tenancy import StoreContext
    from plugin_sdk.events import Event

    async def deliver(store, data) -> Event:
        event = Event(id=str(uuid.uuid4()), name=data.event_name, version=data.event_version, store_id=store.id,
                      occurred_at=datetime.now(timezone.utc), data=data)
        async with pyc_session(None) as session:
            context = StoreContext.of(await get_store(session, store.slug))
        async with pyc_session(store) as session:
            consumers = await event_consumers(session, context, event)
        for plugin_id in consumers:
            async with pyc_session(store) as session:
                await deliver_event(session, context, event, plugin_id=plugin_id)
        return event

    return deliver
