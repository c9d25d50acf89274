"""Wall 3, table by table (PostgreSQL): every table holding ``store_id`` keeps another store's rows
out of reach of the application's role, and weakening any one policy is caught.

Each table's probe runs in one transaction of the owner's connection that is rolled back at the
end, so it writes nothing: it inserts a row for store A and one for store B (foreign keys switched
off for the transaction, so a row of any table can be made up from its column types), then, as the
application's role bound to A and with raw SQL (no ORM wall), reads, updates and deletes B's row.
Then it proves itself: with the table's policy replaced by ``USING (true)``, or row-level security
disabled, the same probe must reach B's row.
"""

from __future__ import annotations

import itertools

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError

from kernel.db import PLATFORM_ROLE, sync_url
from kernel.migrate import PLATFORM_WIDE_TABLES, UNMANAGED_TABLE_PREFIXES, unprotected_tenant_tables
from kernel.models import load_all_models
from tests.support.databases import APP_ROLE, PLATFORM_LOGIN

pytestmark = pytest.mark.postgres_only

TENANT_TABLES = sorted({t.name for t in load_all_models().tables.values() if "store_id" in t.c}
                       | set(UNMANAGED_TABLE_PREFIXES))


@pytest.fixture(scope="module")
def owner(database):
    engine = create_engine(sync_url(database.owner_url))
    try:
        yield engine
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
async def two_stores(factory):
    return (await factory.store()).id, (await factory.store()).id


def test_the_probed_tables_are_every_table_with_store_id_in_the_database(owner):
    """Plugins' tables count too: the list probed below must be the live catalog's."""
    with owner.connect() as c:
        live = set(c.execute(text(
            "select c.relname from pg_class c join pg_attribute a on a.attrelid = c.oid and a.attname = 'store_id'"
            " where c.relnamespace = 'public'::regnamespace and c.relkind = 'r'")).scalars())
    assert live == set(TENANT_TABLES)
    assert {"store_domains", "auth_sessions", "jobs", "product_search", "mail_messages"} <= live


def test_every_table_with_store_id_has_the_standard_policies(owner):
    with owner.connect() as c:
        assert unprotected_tenant_tables(c) == {}
    assert not PLATFORM_WIDE_TABLES  # an entry here needs its reason, and its rows nothing personal


def test_the_catalog_check_notices_a_weakened_or_missing_policy(owner):
    with owner.connect() as c, c.begin():
        c.execute(text("ALTER POLICY store_isolation ON refunds USING (true)"))
        c.execute(text("ALTER TABLE jobs NO FORCE ROW LEVEL SECURITY"))
        c.execute(text("CREATE POLICY extra ON customers USING (true)"))
        c.execute(text("CREATE TABLE plugin_widgets (id serial primary key, store_id int not null)"))
        assert set(unprotected_tenant_tables(c)) == {"refunds", "jobs", "customers", "plugin_widgets"}
        c.rollback()


# Made-up values far above any id the suite's own rows reach, so a unique key never collides.
_counter = itertools.count(1_000_000_000)


def _value(data_type: str, length: int | None):
    n = next(_counter)
    if data_type in ("integer", "bigint", "smallint", "numeric", "double precision", "real"):
        return n
    if data_type == "boolean":
        return False
    if data_type.startswith("timestamp"):
        return text("now()")
    if data_type == "date":
        return text("current_date")
    if data_type in ("json", "jsonb"):
        return text("'{}'")
    if data_type == "tsvector":
        return text("''::tsvector")
    if data_type == "bytea":
        return text("'\\x00'::bytea")
    if data_type == "ARRAY":
        return text("'{}'")
    return f"p{n}"[: length or 40]


def _insert_made_up_row(c, table: str, store_id: int) -> None:
    columns = c.execute(text(
        "select column_name, data_type, character_maximum_length from information_schema.columns"
        " where table_schema = 'public' and table_name = :t and is_nullable = 'NO' and column_default is null"
        " and column_name <> 'store_id'"), {"t": table}).all()
    names, values, params = ["store_id"], [":store_id"], {"store_id": store_id}
    for name, data_type, length in columns:
        value = _value(data_type, length)
        names.append(f'"{name}"')
        if isinstance(value, (int, str, bool)):
            values.append(f":{name}")
            params[name] = value
        else:
            values.append(value.text)
    c.execute(text(f'INSERT INTO "{table}" ({", ".join(names)}) VALUES ({", ".join(values)})'), params)


def _probe(c, table: str, a: int, b: int) -> dict[str, int | str]:
    """As the application's role bound to store A: how many of A's and of B's rows it reads, and how
    many of B's it updates and deletes (each change undone by a savepoint; "refused" when the
    statement reached B's row but a check stopped it)."""
    c.execute(text(f"SET LOCAL ROLE {APP_ROLE}"))
    c.execute(text("select set_config('app.store_id', :a, true)"), {"a": str(a)})
    try:
        found = dict(c.execute(text(f'SELECT store_id, count(*) FROM "{table}" WHERE store_id IN (:a, :b)'
                                    " GROUP BY store_id"), {"a": a, "b": b}).all())
        changed: dict[str, int | str] = {}
        for verb, sql in (("updated", f'UPDATE "{table}" SET store_id = store_id WHERE store_id = :b'),
                          ("deleted", f'DELETE FROM "{table}" WHERE store_id = :b')):
            savepoint = c.begin_nested()
            try:
                changed[verb] = c.execute(text(sql), {"b": b}).rowcount
            except DBAPIError:
                changed[verb] = "refused"
            savepoint.rollback()
        return {"own": found.get(a, 0), "other": found.get(b, 0), **changed}
    finally:
        c.execute(text("RESET ROLE"))


WALLED = {"own": 1, "other": 0, "updated": 0, "deleted": 0}
BREACHED = {"own": 1, "other": 1, "updated": 1, "deleted": 1}
# Each way of weakening one table's wall, and what the probe must then see.
TAMPERING = {
    'ALTER POLICY store_isolation ON "{t}" USING (true)': {"other": 1, "updated": "refused", "deleted": 1},
    'ALTER POLICY store_isolation ON "{t}" USING (true) WITH CHECK (true)': BREACHED,
    'ALTER TABLE "{t}" DISABLE ROW LEVEL SECURITY': BREACHED,
    f"GRANT {PLATFORM_ROLE} TO {APP_ROLE}": BREACHED,  # the app made a member of the platform
}


@pytest.mark.parametrize("table", TENANT_TABLES)
def test_the_app_role_in_store_a_cannot_read_or_change_store_bs_rows(owner, two_stores, table):
    a, b = two_stores
    with owner.connect() as c, c.begin():
        c.execute(text("SET LOCAL session_replication_role = replica"))  # no foreign keys: rows from types
        _insert_made_up_row(c, table, a)
        _insert_made_up_row(c, table, b)
        assert _probe(c, table, a, b) == WALLED
        for tampering, seen in TAMPERING.items():  # the probe proves itself on this very table
            savepoint = c.begin_nested()
            c.execute(text(tampering.format(t=table)))
            probe = _probe(c, table, a, b)
            assert {key: probe[key] for key in seen} == seen, tampering
            savepoint.rollback()
        c.rollback()


# Every setting and role change the application's role might try, to lift or widen the wall.
ATTEMPTS = [
    "select set_config('app.all_stores', 'on', true)",
    "SET LOCAL app.all_stores = 'on'",
    "SET LOCAL row_security = off",
    f"SET LOCAL ROLE {PLATFORM_ROLE}",
    f"SET LOCAL ROLE {PLATFORM_LOGIN}",
    "SET LOCAL ROLE postgres",
    "SET LOCAL SESSION AUTHORIZATION postgres",
    "select set_config('app.store_id', '', true)",
    "select set_config('app.store_id', :a || ' OR true', true)",
    "select set_config('app.store_id', :a || ',' || :b, true)",
    "SET LOCAL search_path = pg_temp, public",
]


@pytest.mark.parametrize("attempt", ATTEMPTS)
async def test_no_setting_the_app_role_may_change_shows_another_stores_rows(sessionmaker, factory, attempt):
    from kernel.accounts.models import Customer

    a, b = await factory.store(), await factory.store()
    for store in (a, b):
        async with factory.session(store) as session:
            session.add(Customer(email=f"someone@{store.slug}.example"))
    async with sessionmaker() as session, session.begin():
        connection = await session.connection()
        await connection.execute(text("select set_config('app.store_id', :a, true)"), {"a": str(a.id)})
        try:
            await connection.execute(text(attempt), {"a": str(a.id), "b": str(b.id)})
            rows = (await connection.execute(text("SELECT email FROM customers WHERE store_id = :b"),
                                             {"b": b.id})).all()
        except DBAPIError:
            return  # refused (not a member, no privilege, not an integer, RLS would apply): nothing seen
        assert rows == []


async def test_the_app_role_with_no_store_reads_no_stores_mail(sessionmaker, factory, settings):
    """The issue's own case: another store's customer's address and subject, from mail_messages."""
    from kernel.mail.service import queue_mail

    store = await factory.store()
    async with factory.session(store) as session:
        await queue_mail(session, settings, to="customer@example.com", subject="Your order", text="Thanks!",
                         store_id=store.id)
    async with sessionmaker() as session, session.begin():
        rows = (await session.execute(text("SELECT to_address, subject FROM mail_messages"))).all()
    assert ("customer@example.com", "Your order") not in rows


async def test_the_search_matching_function_answers_for_the_transactions_own_store_only(sessionmaker, factory):
    """``pyc_product_search_matches`` runs as the owner (so its full-text index serves): asked for
    another store's matches, it answers none."""
    from tests.support import shop

    a, b = await factory.store(), await factory.store()
    for store in (a, b):
        await shop.variant(factory, store, name="Linen shirt")
    async with sessionmaker() as session, session.begin():
        await session.execute(text("select set_config('app.store_id', :a, true)"), {"a": str(a.id)})
        found = {store.id: (await session.execute(text("SELECT count(*) FROM pyc_product_search_matches(:s, 'linen')"),
                                                  {"s": store.id})).scalar() for store in (a, b)}
    assert found == {a.id: 1, b.id: 0}
