"""Housekeeping for the accounts tables: expired sessions, challenges, reset tokens, stale throttle rows.

A plain async function the job queue can run periodically (e.g. hourly); nothing depends on it for
correctness (every lookup already ignores expired rows), it only keeps the tables small.
"""

from __future__ import annotations

import time
from datetime import timedelta

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kernel.accounts.models import AuthSession, LoginChallenge, LoginThrottle, PasswordResetToken
from kernel.accounts.throttle import WINDOW_SECONDS
from kernel.db import store_session, utcnow

# Spent or expired reset tokens are kept a while: "this link was already used" beats "unknown link".
RESET_TOKEN_RETENTION = timedelta(days=7)


async def purge_expired_auth_rows(sessionmaker: async_sessionmaker[AsyncSession]) -> dict[str, int]:
    """Delete what can never be used again; returns how many rows of each kind went."""
    now = utcnow()
    async with store_session(sessionmaker, None) as session:
        counts = {
            "auth_sessions": (await session.execute(
                delete(AuthSession).where(AuthSession.expires_at <= now))).rowcount,
            "login_challenges": (await session.execute(
                delete(LoginChallenge).where(LoginChallenge.expires_at <= now))).rowcount,
            "password_reset_tokens": (await session.execute(
                delete(PasswordResetToken).where(PasswordResetToken.expires_at <= now - RESET_TOKEN_RETENTION)
            )).rowcount,
            "login_throttle": (await session.execute(
                delete(LoginThrottle).where(LoginThrottle.window_start <= int(time.time()) - WINDOW_SECONDS)
            )).rowcount,
        }
    return counts
