"""The Redis throttle (``PYCOMMERCE_REDIS_URL``) keeps the same policy as the database one, on a real server."""

from __future__ import annotations

import os
import uuid

import pytest

from kernel.accounts.throttle import ACCOUNT_LIMIT, RedisThrottle, account_key, ip_key

REDIS_URL = os.environ.get("PYCOMMERCE_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture
async def throttle():
    instance = RedisThrottle(REDIS_URL)
    try:
        await instance.redis.ping()
    except Exception as exc:  # CI starts Redis (.ci/run); a developer machine without it should say so loudly
        pytest.fail(f"Redis is not reachable at {REDIS_URL}: {exc}")
    yield instance
    await instance.redis.aclose()


async def test_account_is_throttled_after_the_limit_and_success_resets_it(throttle):
    email = f"{uuid.uuid4().hex}@example.com"
    keys = [account_key(email), ip_key(f"10.9.{uuid.uuid4().int % 250}.1")]
    for _ in range(ACCOUNT_LIMIT):
        assert await throttle.attempt(keys) is None
    wait = await throttle.attempt(keys)
    assert wait is not None and 1 <= wait <= 15 * 60
    await throttle.succeeded(keys)
    assert await throttle.attempt(keys) is None  # the account counter starts over


async def test_ip_limit_spans_accounts(throttle):
    ip = ip_key(f"10.8.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}")
    results = [await throttle.attempt([account_key(f"{uuid.uuid4().hex}@x.example"), ip]) for _ in range(ip.limit + 1)]
    assert results[:-1] == [None] * ip.limit and results[-1] is not None
