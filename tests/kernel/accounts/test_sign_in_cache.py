"""Staff sign-ins cached per process: a repeated request reads none, and every way a sign-in can
lose its rights reaches every process at once, on SQLite and PostgreSQL.

"Another process" is a second app on the same database, with its own cache: it fills its cache
first, then the change is made through the first app (or straight in the database, as an operator
would), and its very next request must already answer as the change says.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx
import pytest
from asgi_lifespan import LifespanManager
from sqlalchemy import event, update

from kernel.accounts.models import AuthSession, StaffRole, User
from kernel.app import create_app
from kernel.db import cross_store_session, utcnow
from kernel.security import token_digest


@pytest.fixture
async def other_process(settings):
    app = create_app(settings)
    async with LifespanManager(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as c:
            yield c


def _products(store) -> str:
    return f"/api/v1/stores/{store.slug}/products"


async def test_a_repeated_staff_request_reads_no_sign_in(app, client, factory):
    store = await factory.store()
    staff = await factory.staff(store, StaffRole.staff)
    statements: list[str] = []
    engine = app.state.engine.sync_engine

    def record(conn, cursor, statement, *args):
        statements.append(statement)
    event.listen(engine, "before_cursor_execute", record)
    try:
        first = await client.get(_products(store), headers=staff.headers)
        reads_first = [s for s in statements if "auth_sessions" in s]
        statements.clear()
        second = await client.get(_products(store), headers=staff.headers)
        reads_second = [s for s in statements if "auth_sessions" in s]
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert first.status_code == second.status_code == 200
    assert len(reads_first) == 1 and reads_second == []


async def test_another_store_is_not_answered_from_the_cache(client, factory):
    a, b = await factory.store(), await factory.store()
    staff = await factory.staff(a, StaffRole.owner)
    assert (await client.get(_products(a), headers=staff.headers)).status_code == 200
    assert (await client.get(_products(b), headers=staff.headers)).status_code == 404


async def test_signing_out_reaches_the_other_process(client, other_process, factory):
    store = await factory.store()
    staff = await factory.staff(store, StaffRole.staff)
    assert (await other_process.get(_products(store), headers=staff.headers)).status_code == 200
    assert (await client.post("/api/v1/auth/logout", headers=staff.headers)).status_code == 204
    assert (await other_process.get(_products(store), headers=staff.headers)).status_code == 401


async def test_a_lowered_role_reaches_the_other_process(client, other_process, factory):
    store = await factory.store()
    owner, second_owner = await factory.staff(store, StaffRole.owner), await factory.staff(store, StaffRole.owner)
    staff_list = f"/api/v1/stores/{store.slug}/staff"
    assert (await other_process.get(staff_list, headers=second_owner.headers)).status_code == 200
    lowered = await client.patch(f"{staff_list}/{second_owner.user.id}", json={"role": "staff"}, headers=owner.headers)
    assert lowered.status_code == 200
    assert (await other_process.get(staff_list, headers=second_owner.headers)).status_code == 403
    assert (await other_process.get(_products(store), headers=second_owner.headers)).status_code == 200


async def test_removal_from_the_store_reaches_the_other_process(client, other_process, factory):
    store = await factory.store()
    owner, staff = await factory.staff(store, StaffRole.owner), await factory.staff(store, StaffRole.staff)
    assert (await other_process.get(_products(store), headers=staff.headers)).status_code == 200
    removed = await client.delete(f"/api/v1/stores/{store.slug}/staff/{staff.user.id}", headers=owner.headers)
    assert removed.status_code == 204
    assert (await other_process.get(_products(store), headers=staff.headers)).status_code == 404


async def test_joining_a_store_reaches_the_other_process(client, other_process, factory):
    store = await factory.store()
    owner, newcomer = await factory.staff(store, StaffRole.owner), await factory.user()
    assert (await other_process.get(_products(store), headers=newcomer.headers)).status_code == 404
    added = await client.post(f"/api/v1/stores/{store.slug}/staff", json={"email": newcomer.user.email, "role": "staff"},
                              headers=owner.headers)
    assert added.status_code == 201
    assert (await other_process.get(_products(store), headers=newcomer.headers)).status_code == 200


async def test_requiring_two_factor_reaches_the_other_process(client, other_process, factory):
    store = await factory.store()
    owner, staff = await factory.staff(store, StaffRole.owner), await factory.staff(store, StaffRole.staff)
    assert (await other_process.get(_products(store), headers=staff.headers)).status_code == 200
    changed = await client.patch(f"/api/v1/stores/{store.slug}/security-settings", json={"require_staff_2fa": True},
                                 headers=owner.headers)
    assert changed.status_code == 200
    refused = await other_process.get(_products(store), headers=staff.headers)
    assert refused.status_code == 403 and "two-factor" in refused.json()["detail"]


async def test_deactivating_the_user_in_the_database_reaches_the_other_process(other_process, factory, sessionmaker):
    store = await factory.store()
    staff = await factory.staff(store, StaffRole.staff)
    assert (await other_process.get(_products(store), headers=staff.headers)).status_code == 200
    async with cross_store_session(sessionmaker) as session:  # an operator's change, no API involved
        await session.execute(update(User).where(User.id == staff.user.id).values(is_active=False))
    assert (await other_process.get(_products(store), headers=staff.headers)).status_code == 401


async def test_an_expired_session_is_refused_although_nothing_changed(other_process, factory, sessionmaker):
    store = await factory.store()
    staff = await factory.staff(store, StaffRole.staff)
    async with cross_store_session(sessionmaker) as session:
        await session.execute(update(AuthSession).where(AuthSession.token_digest == token_digest(staff.token))
                              .values(expires_at=utcnow() + timedelta(seconds=1)))
    assert (await other_process.get(_products(store), headers=staff.headers)).status_code == 200  # cached now
    await asyncio.sleep(1.2)
    assert (await other_process.get(_products(store), headers=staff.headers)).status_code == 401


def test_the_cache_keeps_at_most_its_capacity_and_trusts_only_its_epoch():
    """No database: the per-process bookkeeping alone. The oldest sign-in goes first when the cache
    is full, and an entry read under another epoch, or for another store, is not used."""
    from kernel.accounts.signins import SignInCache
    from kernel.tenancy import StoreContext

    def store(epoch, store_id=1):
        return StoreContext(store_id, "s", "S", "EUR", "en", "UTC", 1, True, auth_epoch=epoch)

    def sign_in(n):
        return (AuthSession(id=n, customer_id=None, expires_at=utcnow() + timedelta(hours=1)),
                User(id=n, email=f"u{n}@example.com", is_active=True, is_platform_admin=False))

    cache = SignInCache(capacity=2)
    for n in (1, 2, 3):
        cache.put(f"d{n}", store(7), *sign_in(n), StaffRole.staff, False)
    assert cache.get("d1", store(7)) is None  # the oldest went
    assert [cache.get(f"d{n}", store(7)).auth_session_id for n in (2, 3)] == [2, 3]
    assert cache.get("d3", store(8)) is None and cache.get("d3", store(7, store_id=2)) is None
    assert cache.get("d3", store(None)) is None  # an epoch not read: nothing is trusted
