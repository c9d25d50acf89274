"""Database machinery: the declarative base, engines, sessions, and the tenant walls.

Two of the three isolation walls live here (the third, resolving the store of
a request, is in :mod:`kernel.tenancy`):

* **The ORM wall.** A session is bound to at most one store
  (``session.info["store_id"]``). Every ORM SELECT, UPDATE and DELETE touching a
  :class:`TenantMixin` model gets ``store_id = <bound store>`` added
  automatically; a session bound to no store sees no tenant rows at all (fail
  closed). New tenant rows take the bound store, and a row claiming another
  store is refused before it reaches the database (ORM bulk statements by value
  included: their inserts are stamped and checked, bulk updates/deletes by
  primary key are refused). Code that truly has to cross
  stores opens a session with :func:`cross_store_session` and so says so.
* **The database wall.** On PostgreSQL each transaction starts with
  ``set_config('app.store_id', …, true)`` (transaction-local, so a pooled
  connection never carries a store into the next request), and every tenant
  table with a ``store_id`` column has FORCE'd row-level security keyed on that
  setting (see :func:`tenant_rls_sql`; ``pycommerce migrate`` refuses a database
  where one has not), so a bug in the ORM wall still leaks nothing. Crossing
  stores is not a setting: it takes the platform's own database login
  (:func:`cross_store_session`), which the application's role cannot become.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timezone

from pydantic_core import from_json  # JSON columns: parsed in Rust, several times faster than json.loads
from sqlalchemy import Integer, bindparam, event, exc, func, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import ORMExecuteState, Session, with_loader_criteria

from kernel.errors import Unavailable
# The declarative base, the mixins and ``utcnow`` live in the SDK (plugins declare their tables on
# them without importing the kernel); they are re-exported here for the kernel's own models.
from plugin_sdk.db import NAMING_CONVENTION, Base, TenantMixin, TimestampMixin, provide_tenant_rls, utcnow  # noqa: F401


def as_utc(moment: datetime | None) -> datetime | None:
    """A timestamp read back from the database, with its zone: SQLite returns timezone-aware
    columns naive, and what is stored is always UTC."""
    return moment if moment is None or moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)


class TenantViolation(RuntimeError):
    """Raised when code tries to write a row into a store its session is not bound to."""


# --- The ORM wall -----------------------------------------------------------------------------

def _bound_store(session: Session) -> int | None:
    return session.info.get("store_id")


def _crosses_stores(session: Session, state: ORMExecuteState | None = None) -> bool:
    if session.info.get("all_stores"):
        return True
    return bool(state is not None and state.execution_options.get("all_stores"))


# The store's id is a parameter of the statement, not a value captured in it: the scoped form of a
# statement is then the same for every store, so it is made once per statement object (the hot
# statements are built once) and SQLAlchemy's cache key for it is computed once. Rebuilding it per
# execution (``.options()`` with the store id in a closure) spent much of a catalog request's
# Python time traversing cache keys. An unbound session passes NULL:
# ``store_id = NULL`` matches no row, so it still sees no tenant row at all.
SCOPE_PARAMETER = "pyc_scope_store_id"
_SCOPE_VALUE = bindparam(SCOPE_PARAMETER, type_=Integer())
_SCOPE = with_loader_criteria(TenantMixin, lambda cls: cls.store_id == _SCOPE_VALUE, include_aliases=True)
_scoped_statements: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def bound_store_id():
    """The session's bound store, as a bind parameter, for Core statements on a tenant table.

    The wall's criteria reach ORM entities only. A hot UPDATE written against ``Model.__table__``
    skips the ORM's per-execution work (it re-annotates an ORM UPDATE, so its cache key is computed
    anew every time): ``table.c.store_id == bound_store_id()`` scopes it to the session's store,
    whose id every execution supplies (:func:`_scope_to_bound_store`). Such statements are meant
    for store-bound sessions; in a cross-store session the value is missing and execution fails.
    An ``INSERT … SELECT`` may use it in its SELECT too (a new cart line, kernel.carts.service).
    """
    return _SCOPE_VALUE


def _scoped(statement):
    scoped = _scoped_statements.get(statement)
    if scoped is None:
        scoped = _scoped_statements[statement] = statement.options(_SCOPE)
    return scoped


def _bulk_target(state: ORMExecuteState):
    """The mapper an ORM bulk statement writes (``execute(insert(M), [rows])``, ``execute(update(M),
    [rows])``), or None. Such rows are named by value, out of reach of the store criteria."""
    return state.bind_mapper if isinstance(state.parameters, list) and state.is_orm_statement else None


def _guard_bulk_rows(state: ORMExecuteState) -> None:
    store_id = _bound_store(state.session)
    if not state.is_insert:
        raise TenantViolation("bulk UPDATE/DELETE by primary key is not scoped to the bound store: "
                              "use a WHERE-scoped statement, or cross stores explicitly")
    if store_id is None:
        raise TenantViolation("cannot insert tenant rows without a store-bound session")
    for row in state.parameters:
        if row.get("store_id", store_id) != store_id:
            raise TenantViolation(f"a row of store {row['store_id']} inserted in a session bound to {store_id}")
    state.parameters = [{**row, "store_id": store_id} for row in state.parameters]


@event.listens_for(Session, "do_orm_execute")
def _scope_to_bound_store(state: ORMExecuteState) -> None:
    if _crosses_stores(state.session, state):
        return
    bulk = _bulk_target(state)
    if bulk is not None:
        if issubclass(bulk.class_, TenantMixin):
            _guard_bulk_rows(state)
        return
    if state.is_select or state.is_update or state.is_delete:
        state.statement = _scoped(state.statement)
    elif not state.is_insert:
        return
    # An INSERT is not scoped by criteria, but one written as ``INSERT … SELECT`` may use
    # bound_store_id() in its SELECT, so it gets the value too.
    store_id = _bound_store(state.session)
    parameters = state.parameters
    if isinstance(parameters, list):  # a Core statement run with many parameter sets
        state.parameters = [{**each, SCOPE_PARAMETER: store_id} for each in parameters]
    else:
        state.parameters = {**(parameters or {}), SCOPE_PARAMETER: store_id}


@event.listens_for(Session, "before_flush")
def _stamp_and_guard_store(session: Session, flush_context, instances) -> None:
    if _crosses_stores(session):
        return
    store_id = _bound_store(session)
    for obj in session.new:
        if not isinstance(obj, TenantMixin):
            continue
        if obj.store_id is None:
            if store_id is None:
                raise TenantViolation(f"cannot insert {type(obj).__name__} without a store-bound session")
            obj.store_id = store_id
        elif obj.store_id != store_id:
            raise TenantViolation(f"{type(obj).__name__} belongs to store {obj.store_id}, session is bound to {store_id}")
    for obj in session.dirty:
        if isinstance(obj, TenantMixin) and obj.store_id != store_id:
            raise TenantViolation(f"{type(obj).__name__} of store {obj.store_id} changed in a session bound to {store_id}")


# --- The database wall (PostgreSQL) ------------------------------------------------------------

# The NOLOGIN group role whose members see every store's rows (``platform_access`` policies): the
# platform's own connections (job workers, the CLI, platform administration) log in as a member of
# it, and so does the migration owner (data migrations, the ``SECURITY DEFINER`` functions of
# isolation_0001). The application's role is never a member, so no statement it can send, and no
# setting it may change, lifts the wall: crossing stores takes another login.
PLATFORM_ROLE = "pycommerce_platform"

# The transaction's store, as the policies read it. ``NULLIF(…, '')`` matters: after a
# transaction-local setting ends, PostgreSQL leaves it defined as '' on the pooled connection, and
# ``''::int`` would raise. A transaction with no store set matches no store's row (fail closed).
CURRENT_STORE_SQL = "NULLIF(current_setting('app.store_id', true), '')::int"


@event.listens_for(Session, "after_begin")
def _set_transaction_store(session: Session, transaction, connection) -> None:
    if connection.dialect.name != "postgresql":
        return
    store_id = _bound_store(session)
    if store_id is None:
        return  # transaction-local settings start unset: such a transaction already sees no store's row
    connection.execute(text("select set_config('app.store_id', :sid, true)"), {"sid": str(store_id)})


def platform_role_sql() -> str:
    """Create :data:`PLATFORM_ROLE` when it is missing and make the migrating role a member (the
    policies name it, so it must exist before the first one; a superuser needs no membership).

    Test processes migrate databases of one server at once: a concurrent creation is not an error.
    """
    return f"""DO $$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{PLATFORM_ROLE}') THEN
    BEGIN
      CREATE ROLE {PLATFORM_ROLE} NOLOGIN;
    EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
    END;
  END IF;
  IF NOT pg_has_role(current_user, '{PLATFORM_ROLE}', 'USAGE') THEN
    EXECUTE format('GRANT {PLATFORM_ROLE} TO %I', current_user);
  END IF;
END $$"""


def tenant_policy_condition(*, platform_rows: bool = False) -> str:
    """The standard ``store_isolation`` condition: the row is the transaction's store's.

    ``platform_rows``: for a table whose ``store_id`` is nullable, a row of no store (a staff
    sign-in session, a platform job, a mail to a platform user) belongs to the platform, not to any
    store, and the application reads and writes it whatever store its transaction serves.
    """
    own = f"store_id = {CURRENT_STORE_SQL}"
    return f"{own} OR store_id IS NULL" if platform_rows else own


def tenant_rls_sql(table: str, *, platform_rows: bool = False) -> list[str]:
    """The statements that put one tenant table behind row-level security: the store's own rows for
    everyone (a plain comparison against the setting, so an index on ``store_id`` still serves),
    every row for :data:`PLATFORM_ROLE`. Enabled and forced, so the table's owner obeys them too."""
    condition = tenant_policy_condition(platform_rows=platform_rows)
    return [
        f'ALTER TABLE "{table}" ENABLE ROW LEVEL SECURITY',
        f'ALTER TABLE "{table}" FORCE ROW LEVEL SECURITY',
        f'DROP POLICY IF EXISTS store_isolation ON "{table}"',
        f'DROP POLICY IF EXISTS platform_access ON "{table}"',
        f'CREATE POLICY store_isolation ON "{table}" USING ({condition}) WITH CHECK ({condition})',
        f'CREATE POLICY platform_access ON "{table}" TO {PLATFORM_ROLE} USING (true) WITH CHECK (true)',
    ]


def store_id_is_nullable(connection, table: str) -> bool:
    """Whether ``table.store_id`` may be NULL (then its rows of no store are platform rows)."""
    return bool(connection.execute(text(
        "select not attnotnull from pg_attribute where attrelid = to_regclass(:t) and attname = 'store_id'"),
        {"t": f'"{table}"'}).scalar())


def enable_tenant_rls(*tables: str) -> None:
    """Call from an Alembic migration after creating tenant tables; a no-op off PostgreSQL.

    A nullable ``store_id`` gets the policy that lets platform rows (no store) through
    (:func:`tenant_policy_condition`). ``pycommerce migrate`` refuses a database where a table with
    ``store_id`` lacks these policies (:func:`kernel.migrate.unprotected_tenant_tables`).
    """
    from alembic import op

    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    op.execute(platform_role_sql())
    for table in tables:
        for statement in tenant_rls_sql(table, platform_rows=store_id_is_nullable(bind, table)):
            op.execute(statement)


def disable_tenant_rls(*tables: str) -> None:
    from alembic import op

    if op.get_bind().dialect.name != "postgresql":
        return
    for table in tables:
        op.execute(f'DROP POLICY IF EXISTS store_isolation ON "{table}"')
        op.execute(f'DROP POLICY IF EXISTS platform_access ON "{table}"')


provide_tenant_rls(enable_tenant_rls, disable_tenant_rls)  # what plugin_sdk.db's helpers of the same names run


# --- Engines and sessions -----------------------------------------------------------------------

def dialect_of(session: AsyncSession) -> str:
    """``"postgresql"`` or ``"sqlite"``: the database behind ``session`` (SQLite when it has no bind)."""
    return session.bind.dialect.name if session.bind is not None else "sqlite"


def contains_text(column, text: str):
    """``column`` contains ``text``, ignoring case; ``%`` and ``_`` in ``text`` match themselves."""
    escaped = text.strip().lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return func.lower(column).like(f"%{escaped}%", escape="\\")


def upsert_insert(session: AsyncSession, table):
    """``insert(table)`` with the dialect's ``on_conflict_do_*`` methods (PostgreSQL or SQLite)."""
    return upsert_insert_for(dialect_of(session), table)


def upsert_insert_for(dialect: str, table):
    """:func:`upsert_insert` by dialect name, for statements built once per dialect."""
    from sqlalchemy.dialects.postgresql import insert as pg_insert
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return (pg_insert if dialect == "postgresql" else sqlite_insert)(table)


async def insert_unless_present(session: AsyncSession, table, key: list[str], values: dict) -> bool:
    """Insert a row unless one with the same ``key`` (a unique constraint's columns) exists: True
    when this call inserted it. For rows an idempotent request creates on first use: a
    simultaneous twin's insert waits for this one's commit and then finds the row, rather than
    failing on the unique constraint."""
    statement = upsert_insert(session, table).values(**values).on_conflict_do_nothing(index_elements=key)
    return (await session.execute(statement.returning(table.c[key[0]]))).first() is not None


def async_url(url: str) -> str:
    """Accept plain URLs (``postgresql://``, ``sqlite:///``) and pick the async drivers.

    PostgreSQL goes through asyncpg: its protocol is implemented in C, so a request costs less
    Python CPU through it than through psycopg's async mode (``bench/inprocess.py`` compares them).
    An explicit ``postgresql+psycopg://`` URL is kept as given.
    """
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres", "postgresql+psycopg2"):
        parsed = parsed.set(drivername="postgresql+asyncpg")
    elif parsed.drivername in ("sqlite", "sqlite+pysqlite"):
        parsed = parsed.set(drivername="sqlite+aiosqlite")
    return parsed.render_as_string(hide_password=False)


def sync_url(url: str) -> str:
    """The same database through a synchronous driver (Alembic, the CLI)."""
    parsed = make_url(async_url(url))
    if parsed.drivername == "sqlite+aiosqlite":
        parsed = parsed.set(drivername="sqlite")
    elif parsed.drivername == "postgresql+asyncpg":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def create_engine_for(url: str, *, pool_size: int = 20, max_overflow: int = 0, pool_timeout: float = 30.0,
                      echo: bool = False, application_name: str = "pycommerce", autocommit: bool = False
                      ) -> AsyncEngine:
    """An engine for the app, the CLI or a worker.

    On PostgreSQL, ``application_name`` shows in ``pg_stat_activity`` which process holds
    which connection (``pycommerce`` for the app, ``pycommerce-worker:<name>`` for workers,
    ``pycommerce-side`` for :func:`side_engine`); ``autocommit`` makes every statement its own
    transaction.

    The pool opens connections as they are needed, up to ``pool_size``, and keeps them. Beyond
    that, ``max_overflow`` more are opened under load, but SQLAlchemy closes each the moment it
    comes back to a pool already holding ``pool_size`` idle ones; a request gives its connection
    back at commit, well before its answer is written, so under steady load that happened every
    few requests, each time a backend to start and every statement to prepare and plan again. So
    the defaults size the pool and leave no overflow (docs/decisions/pool-sizing.md).
    """
    url = async_url(url)
    if url.startswith("sqlite"):
        engine = create_async_engine(url, echo=echo, connect_args={"timeout": 30}, json_deserializer=from_json)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    connect_args = ({"server_settings": {"application_name": application_name}} if "+asyncpg" in url
                    else {"application_name": application_name})
    options = {"isolation_level": "AUTOCOMMIT"} if autocommit else {}
    engine = create_async_engine(url, echo=echo, pool_size=pool_size, max_overflow=max_overflow,
                                 pool_timeout=pool_timeout, connect_args=connect_args,
                                 json_deserializer=from_json, **options)
    ping_connections_idle_longer_than(engine, PING_AFTER_IDLE_SECONDS)
    return engine


# A pooled connection that served a request this recently is trusted without a round trip.
PING_AFTER_IDLE_SECONDS = 2.0


def ping_connections_idle_longer_than(engine: AsyncEngine, seconds: float) -> None:
    """Pessimistic disconnect handling that costs nothing under load.

    SQLAlchemy's ``pool_pre_ping`` pings on *every* checkout: one extra round trip
    per request, as much again as a small request's own statement. A connection that was
    checked in moments ago is alive unless the server went away in those moments, and then
    the statement's own failure marks it
    (and every older pooled connection) invalid, as SQLAlchemy does for any
    disconnect. So only connections that sat idle longer than ``seconds`` (after a
    quiet spell, a restart, a failover) are pinged; a dead one is replaced before the
    request sees it.
    """
    pool_events = engine.sync_engine

    @event.listens_for(pool_events, "connect")
    def _stamp_new(dbapi_connection, record) -> None:
        record.info["pyc_checked_in"] = time.monotonic()

    @event.listens_for(pool_events, "checkin")
    def _stamp_checkin(dbapi_connection, record) -> None:
        if record is not None:
            record.info["pyc_checked_in"] = time.monotonic()

    @event.listens_for(pool_events, "checkout")
    def _ping_if_idle(dbapi_connection, record, proxy) -> None:
        if time.monotonic() - record.info.get("pyc_checked_in", 0.0) <= seconds:
            return
        try:
            alive = engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error:
            alive = False
        if not alive:
            raise exc.DisconnectionError("pooled connection failed its idle ping")  # the pool reconnects


def side_engine(engine: AsyncEngine) -> AsyncEngine:
    """A small autocommit pool beside ``engine``'s, to the same database, for the rare statement
    that must commit on its own while a request's transaction is still open (taking an order
    number: :func:`kernel.orders.service.take_order_number`).

    Its own pool, because a request already holding one of ``engine``'s connections must never
    wait for a second one: with every connection held by such requests, none would come back.
    Here a caller waits only for other side statements, each a single round trip. Created on
    first use, disposed with ``engine``.
    """
    side = _SIDE_ENGINES.get(engine.sync_engine)
    if side is None:
        side = create_engine_for(engine.url.render_as_string(hide_password=False), pool_size=4, max_overflow=0,
                                 application_name="pycommerce-side", autocommit=True)
        _SIDE_ENGINES[engine.sync_engine] = side

        @event.listens_for(engine.sync_engine, "engine_disposed")
        def _dispose_side(_engine) -> None:  # runs inside AsyncEngine.dispose's greenlet
            _SIDE_ENGINES.pop(_engine, None)
            side.sync_engine.dispose()
    return side


_SIDE_ENGINES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


class ConnectionTurns:
    """Turns at an engine's connections, handed out in the order requests ask for them; a request
    holds one from before its session's first statement until the session has closed
    (:func:`kernel.deps.get_session`).

    Why not just wait in the pool: SQLAlchemy's async pool queues waiters on an ``asyncio.Queue``.
    A connection coming back wakes the first waiter, but any request that runs before it takes
    the connection, and the woken waiter goes back to the end of the line. Under overload the
    unlucky wait several rounds: with 32 requests a worker for 15 connections, the bare
    endpoint's p99 was 5.7 times its median (``bench/checkout.py``). ``asyncio.Semaphore`` queues
    a newcomer behind those already waiting, so with as many turns as the pool has connections,
    requests are served in arrival order and none waits in the pool itself. A request that waits
    longer than the pool timeout is answered 503 with ``Retry-After``. Only requests take turns:
    the embedded job worker and the rare second session of a request use the pool directly.
    """

    def __init__(self, turns: int, timeout: float):
        self._turns = asyncio.Semaphore(turns)
        self._timeout = timeout

    async def __aenter__(self) -> None:
        if not self._turns.locked():
            await self._turns.acquire()  # a free turn: taken at once, no timer needed
            return
        try:
            await asyncio.wait_for(self._turns.acquire(), self._timeout)
        except TimeoutError:
            raise Unavailable(f"Every database connection stayed busy for {self._timeout:g} s; try again shortly.",
                              headers={"Retry-After": "1"}) from None

    async def __aexit__(self, *exc_info) -> None:
        self._turns.release()


def connection_turns(engine: AsyncEngine, pool_size: int, max_overflow: int, timeout: float
                     ) -> ConnectionTurns | contextlib.nullcontext:
    """The request's turns at ``engine``'s pool of ``pool_size`` + ``max_overflow`` connections
    (:class:`ConnectionTurns`); none where there is no pool to share or no limit to it."""
    if engine.dialect.name == "sqlite" or pool_size <= 0 or max_overflow < 0:
        return contextlib.nullcontext()
    return ConnectionTurns(pool_size + max_overflow, timeout)


def make_sessionmaker(engine: AsyncEngine, platform_engine: AsyncEngine | None = None
                      ) -> async_sessionmaker[AsyncSession]:
    """Sessions on ``engine``; :func:`cross_store_session` on them opens its sessions on
    ``platform_engine`` (the platform's login, a member of :data:`PLATFORM_ROLE`) when given."""
    factory = async_sessionmaker(engine, expire_on_commit=False)
    if platform_engine is not None and platform_engine is not engine:
        _PLATFORM_FACTORIES[factory] = async_sessionmaker(platform_engine, expire_on_commit=False)
    return factory


_PLATFORM_FACTORIES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def platform_factory(factory: async_sessionmaker[AsyncSession]) -> async_sessionmaker[AsyncSession]:
    """The sessions that cross stores, for the application's ``factory``: on the platform's own
    login where the deployment has one, else ``factory`` itself (SQLite; one role for everything)."""
    return _PLATFORM_FACTORIES.get(factory, factory)


@asynccontextmanager
async def store_session(factory: async_sessionmaker[AsyncSession], store_id: int | None) -> AsyncIterator[AsyncSession]:
    """A unit of work bound to one store (or, with ``None``, to no store: platform tables only).

    Commits when the block ends without error, rolls back otherwise.
    """
    async with factory() as session:
        session.info["store_id"] = store_id
        async with session.begin():
            yield session


@asynccontextmanager
async def cross_store_session(factory: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """A unit of work that deliberately sees every store: platform administration, the job worker.

    Both walls step aside: the ORM's by the session's say-so, the database's because the session
    runs on the platform's own login (:func:`platform_factory`), which the application's role can
    never become. A request that must cross stores therefore takes a second connection, from
    another pool; the few crossings inside a request's own transaction are ``SECURITY DEFINER``
    functions with one fixed purpose each (isolation_0001).
    """
    async with platform_factory(factory)() as session:
        session.info["all_stores"] = True
        async with session.begin():
            yield session
