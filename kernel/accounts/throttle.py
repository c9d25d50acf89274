"""Sign-in throttling against password guessing and credential stuffing.

Two fixed-window counters of attempts are kept: one for the account (digest of the email, and of the
store for customers) and one for the client IP. Every attempt is counted up front (atomically, so
parallel guesses cannot race past the limit) and a successful one is given back, so in effect only
failures count. When either counter is over its limit,
sign-in answers 429 with ``Retry-After`` until the window ends — even with the right password, so a
guesser learns nothing. Nobody is locked out for good: a window lasts ``WINDOW_SECONDS`` and a
successful sign-in clears the account's counter.

Counters live in Redis when ``Settings.redis_url`` is set (``INCR`` + ``EXPIRE``), otherwise in the
``login_throttle`` table, upserted atomically in a transaction of its own (a failed sign-in rolls the
request back, the count must survive). Both hold across processes and restarts.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass

from sqlalchemy import case, delete, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kernel.accounts.models import LoginThrottle
from kernel.db import store_session, upsert_insert
from kernel.errors import TooManyRequests

WINDOW_SECONDS = 15 * 60
ACCOUNT_LIMIT = 5    # failures per account per window: slows guessing one password to a crawl
IP_LIMIT = 20        # failures per IP per window: stops one client trying many accounts


@dataclass(frozen=True)
class ThrottleKey:
    key: str
    limit: int


def account_key(email: str, store_id: int | None = None) -> ThrottleKey:
    scope = f"c{store_id}" if store_id is not None else "u"
    digest = hashlib.sha256(f"{scope}:{email.strip().lower()}".encode()).hexdigest()[:40]
    return ThrottleKey(f"acct:{scope}:{digest}", ACCOUNT_LIMIT)


def ip_key(ip: str | None) -> ThrottleKey:
    return ThrottleKey(f"ip:{ip or 'unknown'}", IP_LIMIT)


class DatabaseThrottle:
    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]):
        self.sessionmaker = sessionmaker

    async def attempt(self, keys: list[ThrottleKey]) -> int | None:
        """Count one attempt on every key (atomic upserts); the wait in seconds if any is over its limit.

        Counting *before* checking the password means parallel guesses cannot slip through between a
        check and a count; a successful sign-in gives the attempt back (:meth:`succeeded`).
        """
        now = int(time.time())
        waits = []
        async with store_session(self.sessionmaker, None) as session:
            expired = LoginThrottle.window_start <= now - WINDOW_SECONDS
            for k in keys:
                statement = upsert_insert(session, LoginThrottle).values(key=k.key, failures=1, window_start=now)
                statement = statement.on_conflict_do_update(index_elements=[LoginThrottle.key], set_={
                    "failures": case((expired, 1), else_=LoginThrottle.failures + 1),
                    "window_start": case((expired, now), else_=LoginThrottle.window_start),
                }).returning(LoginThrottle.failures, LoginThrottle.window_start)
                failures, window_start = (await session.execute(statement)).one()
                if failures > k.limit:
                    waits.append(max(1, window_start + WINDOW_SECONDS - now))
        return max(waits) if waits else None

    async def succeeded(self, keys: list[ThrottleKey]) -> None:
        """Clear the account's counter (the first key); give the attempt back to the others (the IP)."""
        async with store_session(self.sessionmaker, None) as session:
            await session.execute(delete(LoginThrottle).where(LoginThrottle.key == keys[0].key))
            if keys[1:]:
                await session.execute(
                    update(LoginThrottle).where(LoginThrottle.key.in_([k.key for k in keys[1:]]))
                    .values(failures=case((LoginThrottle.failures > 0, LoginThrottle.failures - 1), else_=0)))


class RedisThrottle:
    """The same policy on Redis (``redis`` package required when ``redis_url`` is set)."""

    def __init__(self, url: str):
        import redis.asyncio as redis  # optional dependency, only for deployments with Redis

        self.redis = redis.from_url(url)

    async def attempt(self, keys: list[ThrottleKey]) -> int | None:
        waits = []
        for k in keys:
            name = f"pyc:throttle:{k.key}"
            async with self.redis.pipeline(transaction=True) as pipe:
                count, _, ttl = await pipe.incr(name).expire(name, WINDOW_SECONDS, nx=True).ttl(name).execute()
            if int(count) > k.limit:
                waits.append(max(1, int(ttl)))
        return max(waits) if waits else None

    async def succeeded(self, keys: list[ThrottleKey]) -> None:
        await self.redis.delete(f"pyc:throttle:{keys[0].key}")
        for k in keys[1:]:
            await self.redis.decr(f"pyc:throttle:{k.key}")


def throttle_for(app_state) -> DatabaseThrottle | RedisThrottle:
    """The app's throttle, built once per process from its settings."""
    throttle = getattr(app_state, "login_throttle", None)
    if throttle is None:
        url = app_state.settings.redis_url
        throttle = RedisThrottle(url) if url else DatabaseThrottle(app_state.sessionmaker)
        app_state.login_throttle = throttle
    return throttle


async def check(throttle, keys: list[ThrottleKey]) -> None:
    """Count an attempt; raise 429 (with Retry-After) when any of the keys is over its limit."""
    wait = await throttle.attempt(keys)
    if wait is not None:
        raise TooManyRequests(f"Too many failed sign-in attempts. Try again in {wait} seconds.",
                              headers={"Retry-After": str(wait)})
