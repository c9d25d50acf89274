"""Wall 2: sessions bound to one store see, change and create only that store's rows."""

from __future__ import annotations

import pytest
from sqlalchemy import bindparam, delete, func, insert, select, update

from kernel.accounts.models import Customer
from kernel.db import TenantViolation, bound_store_id, cross_store_session


async def _customers(factory, store, *emails):
    async with factory.session(store) as session:
        for email in emails:
            session.add(Customer(email=email))


async def test_reads_are_scoped(factory):
    a, b = await factory.store(), await factory.store()
    await _customers(factory, a, "ann@a.example", "al@a.example")
    await _customers(factory, b, "bob@b.example")
    async with factory.session(a) as session:
        emails = set((await session.execute(select(Customer.email))).scalars())
        by_id_of_b = (await session.execute(select(Customer).where(Customer.email == "bob@b.example"))).first()
    assert emails == {"ann@a.example", "al@a.example"}
    assert by_id_of_b is None


async def test_get_by_primary_key_of_other_store_is_none(factory):
    a, b = await factory.store(), await factory.store()
    await _customers(factory, b, "bob@b.example")
    async with factory.session(b) as session:
        bob_id = (await session.execute(select(Customer.id))).scalar_one()
    async with factory.session(a) as session:
        assert await session.get(Customer, bob_id) is None


async def test_bulk_update_and_delete_are_scoped(factory):
    a, b = await factory.store(), await factory.store()
    await _customers(factory, a, "x@a.example")
    await _customers(factory, b, "x@b.example")
    async with factory.session(a) as session:
        await session.execute(update(Customer).values(full_name="hacked"))
        await session.execute(delete(Customer).where(Customer.email == "x@b.example"))
    async with factory.session(b) as session:
        bob = (await session.execute(select(Customer))).scalar_one()
    assert bob.full_name == "" and bob.email == "x@b.example"


async def test_insert_takes_the_bound_store_and_refuses_another(factory):
    a, b = await factory.store(), await factory.store()
    async with factory.session(a) as session:
        customer = Customer(email="new@a.example")
        session.add(customer)
        await session.flush()
        assert customer.store_id == a.id
    with pytest.raises(TenantViolation):
        async with factory.session(a) as session:
            session.add(Customer(email="sneaky@b.example", store_id=b.id))
    async with factory.session(b) as session:
        assert (await session.execute(select(func.count(Customer.id)))).scalar_one() == 0


async def test_unbound_session_sees_no_tenant_rows_and_cannot_insert(factory):
    a = await factory.store()
    await _customers(factory, a, "c@a.example")
    async with factory.session(None) as session:
        assert (await session.execute(select(Customer))).first() is None
    with pytest.raises(TenantViolation):
        async with factory.session(None) as session:
            session.add(Customer(email="orphan@example.com"))


async def test_crossing_stores_must_be_explicit(factory, sessionmaker):
    a, b = await factory.store(), await factory.store()
    await _customers(factory, a, "one@a.example")
    await _customers(factory, b, "two@b.example")
    async with cross_store_session(sessionmaker) as session:
        stores = set((await session.execute(
            select(Customer.store_id).where(Customer.store_id.in_([a.id, b.id])))).scalars())
    assert stores == {a.id, b.id}


async def test_a_statement_built_once_is_scoped_to_each_session_that_runs_it(factory):
    """Hot statements are module-level objects whose scoped form is cached: the store must come from
    the session running it each time, never from the first session that ran it."""
    a, b = await factory.store(), await factory.store()
    await _customers(factory, a, "ann@a.example")
    await _customers(factory, b, "bob@b.example")
    emails = select(Customer.email)
    seen = []
    for store in (a, b, a, None, b):
        async with factory.session(store) as session:
            seen.append(set((await session.execute(emails)).scalars()))
    assert seen == [{"ann@a.example"}, {"bob@b.example"}, {"ann@a.example"}, set(), {"bob@b.example"}]


async def test_bulk_statements_by_value_cannot_cross_stores(factory, sessionmaker):
    """``execute(update(M), [rows])`` names rows by primary key, out of reach of the store criteria: it
    is refused in a bound session. ``execute(insert(M), [rows])`` bypasses the flush: its rows take the
    bound store, and a row claiming another store is refused."""
    a, b = await factory.store(), await factory.store()
    await _customers(factory, b, "bob@b.example")
    async with factory.session(b) as session:
        bob_id = (await session.execute(select(Customer.id))).scalar_one()
    with pytest.raises(TenantViolation):
        async with factory.session(a) as session:
            await session.execute(update(Customer), [{"id": bob_id, "full_name": "hacked"}])
    with pytest.raises(TenantViolation):
        async with factory.session(a) as session:
            await session.execute(insert(Customer), [{"email": "sneaky@b.example", "store_id": b.id}])
    async with factory.session(a) as session:
        await session.execute(insert(Customer), [{"email": "one@a.example"}, {"email": "two@a.example"}])
    async with cross_store_session(sessionmaker) as everyone:
        rows = set((await everyone.execute(select(Customer.email, Customer.full_name, Customer.store_id)
                                           .where(Customer.store_id.in_([a.id, b.id])))).all())
    assert rows == {("bob@b.example", "", b.id), ("one@a.example", "", a.id), ("two@a.example", "", a.id)}


async def test_core_statements_compare_with_the_bound_store(factory, sessionmaker):
    """Hot UPDATEs are written in Core against the table with ``store_id == bound_store_id()``: the
    session's store is what they compare with, so another store's row stays untouched."""
    a, b = await factory.store(), await factory.store()
    await _customers(factory, a, "ann@a.example")
    await _customers(factory, b, "bob@b.example")
    table = Customer.__table__
    rename = (update(table).where(table.c.email == bindparam("target"), table.c.store_id == bound_store_id())
              .values(full_name="renamed").returning(table.c.email))
    async with factory.session(a) as session:
        renamed = {(await session.execute(rename, {"target": email})).scalar_one_or_none()
                   for email in ("ann@a.example", "bob@b.example")}
    assert renamed == {"ann@a.example", None}
    with pytest.raises(Exception, match="pyc_scope_store_id"):  # no store to compare with: refused, not unscoped
        async with cross_store_session(sessionmaker) as everyone:
            await everyone.execute(rename, {"target": "bob@b.example"})
    async with cross_store_session(sessionmaker) as everyone:
        names = dict((await everyone.execute(select(Customer.email, Customer.full_name)
                                             .where(Customer.store_id.in_([a.id, b.id])))).all())
    assert names == {"ann@a.example": "renamed", "bob@b.example": ""}
