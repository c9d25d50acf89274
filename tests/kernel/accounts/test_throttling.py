"""Brute-force throttling: per account and per IP, 429 with Retry-After, never a permanent lock-out."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import update

from kernel.accounts.models import LoginThrottle
from kernel.accounts.throttle import ACCOUNT_LIMIT, IP_LIMIT, WINDOW_SECONDS, account_key
from tests.kernel.accounts.conftest import client_at, fresh_ip
from tests.support.factory import unique

PASSWORD = "correct-horse-9"


async def login(client, email, password=PASSWORD):
    return await client.post("/api/v1/auth/login", json={"email": email, "password": password})


async def test_account_is_throttled_after_repeated_failures_from_any_ip(app, factory, sessionmaker):
    actor = await factory.user()
    email = actor.user.email
    for _ in range(ACCOUNT_LIMIT):  # a distributed attack: every guess from another address
        async with client_at(app, fresh_ip()) as c:
            assert (await login(c, email, "wrong-password")).status_code == 401
    async with client_at(app, fresh_ip()) as c:
        refused = await login(c, email)  # even the right password is refused while throttled
    assert refused.status_code == 429
    assert 0 < int(refused.headers["Retry-After"]) <= WINDOW_SECONDS
    assert refused.headers["content-type"].startswith("application/problem+json")

    # Not locked out for good: once the window has passed, the real user gets in.
    async with sessionmaker() as session, session.begin():
        await session.execute(update(LoginThrottle).where(LoginThrottle.key == account_key(email).key)
                              .values(window_start=LoginThrottle.window_start - WINDOW_SECONDS - 1))
    async with client_at(app, fresh_ip()) as c:
        response = await login(c, email)
    assert response.status_code == 200 and response.json()["access_token"]


async def test_success_resets_the_account_counter(app, factory):
    actor = await factory.user()
    async with client_at(app, fresh_ip()) as c:
        for _ in range(ACCOUNT_LIMIT - 1):
            assert (await login(c, actor.user.email, "wrong-password")).status_code == 401
        assert (await login(c, actor.user.email)).status_code == 200
        for _ in range(ACCOUNT_LIMIT - 1):
            assert (await login(c, actor.user.email, "wrong-password")).status_code == 401
        assert (await login(c, actor.user.email)).status_code == 200


async def test_ip_is_throttled_when_trying_many_accounts(app, factory):
    victim = await factory.user()
    ip = fresh_ip()
    async with client_at(app, ip) as c:
        for _ in range(IP_LIMIT):  # credential stuffing: one address, many accounts
            assert (await login(c, f"{unique('nobody')}@example.com", "guess-123")).status_code == 401
        refused = await login(c, victim.user.email)
        assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    async with client_at(app, fresh_ip()) as c:  # the account itself is fine from elsewhere
        assert (await login(c, victim.user.email)).status_code == 200


async def test_customer_login_is_throttled_per_store_account(app, factory):
    store = await factory.store()
    email = f"{unique('c')}@example.com"
    async with client_at(app, fresh_ip()) as c:
        assert (await c.post(f"/api/v1/stores/{store.slug}/customers/register",
                             json={"email": email, "password": "customer-pass-1"})).status_code == 201
    for _ in range(ACCOUNT_LIMIT):
        async with client_at(app, fresh_ip()) as c:
            r = await c.post(f"/api/v1/stores/{store.slug}/customers/login", json={"email": email, "password": "nope"})
            assert r.status_code == 401
    async with client_at(app, fresh_ip()) as c:
        r = await c.post(f"/api/v1/stores/{store.slug}/customers/login",
                         json={"email": email, "password": "customer-pass-1"})
    assert r.status_code == 429 and "Retry-After" in r.headers


@pytest.mark.postgres_only
async def test_parallel_guesses_cannot_race_past_the_limit(app, factory):
    actor = await factory.user()

    async def guess():
        async with client_at(app, fresh_ip()) as c:
            return (await login(c, actor.user.email, "wrong-password")).status_code

    codes = await asyncio.gather(*(guess() for _ in range(20)))
    assert codes.count(401) == ACCOUNT_LIMIT and codes.count(429) == 20 - ACCOUNT_LIMIT
