"""Wall 3 (PostgreSQL): row-level security holds even when the ORM filter is bypassed with raw SQL."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.db import Base, TenantMixin, sync_url

pytestmark = pytest.mark.postgres_only


async def _seed(factory):
    from kernel.accounts.models import Customer

    a, b = await factory.store(), await factory.store()
    async with factory.session(a) as session:
        session.add(Customer(email="a@a.example"))
    async with factory.session(b) as session:
        session.add(Customer(email="b@b.example"))
    return a, b


async def _raw(sessionmaker, store_id, sql, **params):
    async with sessionmaker() as session:
        session: AsyncSession
        async with session.begin():
            if store_id is not None:
                await session.execute(text("select set_config('app.store_id', :s, true)"), {"s": str(store_id)})
            return (await session.execute(text(sql), params)).all()


async def test_raw_select_sees_only_the_transaction_store(factory, sessionmaker):
    a, b = await _seed(factory)
    rows = await _raw(sessionmaker, a.id, "select store_id, email from customers where store_id in (:a, :b)",
                      a=a.id, b=b.id)
    assert rows == [(a.id, "a@a.example")]


async def test_raw_select_without_store_sees_nothing(factory, sessionmaker):
    await _seed(factory)
    assert await _raw(sessionmaker, None, "select * from customers") == []


async def test_raw_update_and_delete_of_other_store_change_nothing(factory, sessionmaker):
    a, b = await _seed(factory)
    await _raw(sessionmaker, a.id, "update customers set full_name = 'x' where store_id = :b returning id", b=b.id)
    await _raw(sessionmaker, a.id, "delete from customers where store_id = :b returning id", b=b.id)
    rows = await _raw(sessionmaker, b.id, "select email, full_name from customers")
    assert rows == [("b@b.example", "")]


async def test_raw_insert_into_other_store_is_rejected(factory, sessionmaker):
    a, b = await _seed(factory)
    with pytest.raises(DBAPIError, match="row-level security"):
        await _raw(sessionmaker, a.id, "insert into customers (store_id, email, full_name, is_active, created_at,"
                   " updated_at) values (:b, 'evil@x', '', true, now(), now()) returning id", b=b.id)


async def test_setting_does_not_leak_across_pooled_transactions(factory, settings):
    """One pooled connection, alternating stores: the previous store never carries over."""
    from kernel.db import create_engine_for, make_sessionmaker

    a, b = await _seed(factory)
    engine = create_engine_for(settings.database_url, pool_size=1, max_overflow=0)
    maker = make_sessionmaker(engine)
    try:
        for i in range(20):
            store = a if i % 2 == 0 else b
            rows = await _raw(maker, store.id, "select store_id from customers where store_id in (:a, :b)",
                              a=a.id, b=b.id)
            assert {r[0] for r in rows} == {store.id}
            assert await _raw(maker, None, "select * from customers") == []
    finally:
        await engine.dispose()


def test_every_tenant_table_has_forced_rls_and_the_app_owns_nothing(database):
    tenant_tables = {m.local_table.name for m in Base.registry.mappers if issubclass(m.class_, TenantMixin)}
    engine = create_engine(sync_url(database.owner_url))
    try:
        with engine.connect() as c:
            rows = c.execute(text("select relname, relrowsecurity, relforcerowsecurity, pg_get_userbyid(relowner)"
                                  " from pg_class where relkind = 'r' and relnamespace = 'public'::regnamespace")).all()
            app_role = c.execute(text("select rolsuper, rolbypassrls from pg_roles where rolname = 'pyc_test_app'")).one()
    finally:
        engine.dispose()
    info = {r[0]: r[1:] for r in rows}
    unprotected = sorted(t for t in tenant_tables if not (info[t][0] and info[t][1]))
    assert not unprotected, f"tenant tables without forced row-level security: {unprotected}"
    assert all(owner != "pyc_test_app" for *_x, owner in info.values())
    assert app_role == (False, False)
