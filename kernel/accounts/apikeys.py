"""Store API keys: ``pck_…`` bearer tokens limited to scopes, stored as digests, revocable."""

from __future__ import annotations

import functools
from datetime import timedelta

from sqlalchemy import DateTime, String, bindparam, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from kernel.accounts.models import ApiKey
from kernel.db import as_utc, dialect_of, utcnow
from kernel.errors import NotFound
from kernel.security import new_token, token_digest

API_KEY_PREFIX = "pck_"

# The scopes a key can be given. Domains check them with ``require_staff(role, "<scope>")``;
# a domain adding endpoints for a new resource adds its scopes here.
API_SCOPES: tuple[str, ...] = (
    "catalog:read", "catalog:write",
    "inventory:read", "inventory:write",
    "orders:read", "orders:write",
    "customers:read", "customers:write",
    "audit:read",
)

# Scopes plugins declare (``pyc_api_scopes``): scope -> (plugin id, description). Registered once at
# start-up by the plugin kernel; a key may hold them like the kernel's own.
PLUGIN_SCOPES: dict[str, tuple[str, str]] = {}


def register_api_scopes(plugin_id: str, scopes: dict[str, str]) -> None:
    """Make a plugin's scopes grantable; a scope the kernel or another plugin already claims is refused."""
    for scope, description in scopes.items():
        owner = PLUGIN_SCOPES.get(scope, (plugin_id,))[0]
        if scope in API_SCOPES or owner != plugin_id:
            raise ValueError(f"plugin {plugin_id!r} declares API scope {scope!r}, which "
                             f"{'the kernel' if scope in API_SCOPES else repr(owner)} already claims")
        PLUGIN_SCOPES[scope] = (plugin_id, description)


def known_scopes() -> tuple[str, ...]:
    return API_SCOPES + tuple(sorted(PLUGIN_SCOPES))


# ``last_used_at`` is refreshed at most this often, so a busy key does not write on every request.
LAST_USED_RESOLUTION = timedelta(minutes=1)


async def create_api_key(session: AsyncSession, *, name: str, scopes: list[str],
                         created_by_user_id: int | None) -> tuple[ApiKey, str]:
    """Create a key in the session's store; returns the row and the token (shown once)."""
    token = new_token(API_KEY_PREFIX)
    key = ApiKey(name=name, prefix=token[:12], token_digest=token_digest(token),
                 scopes=sorted(set(scopes)), created_by_user_id=created_by_user_id)
    session.add(key)
    await session.flush()
    return key, token


async def list_api_keys(session: AsyncSession) -> list[ApiKey]:
    return list((await session.execute(select(ApiKey).order_by(ApiKey.id))).scalars())


async def get_api_key(session: AsyncSession, key_id: int) -> ApiKey:
    key = (await session.execute(select(ApiKey).where(ApiKey.id == key_id))).scalar_one_or_none()
    if key is None:
        raise NotFound("No such API key in this store.")
    return key


async def revoke_api_key(session: AsyncSession, key: ApiKey) -> ApiKey:
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        await session.flush()
    return key


async def api_key_for_token(session: AsyncSession, token: str) -> ApiKey | None:
    """The live key for a bearer token, whatever store the request names (the caller checks the store).

    Read across stores (the token is presented before any store is known): on PostgreSQL through
    the ``SECURITY DEFINER`` functions of isolation_0001, which find and touch only the key whose
    digest the caller holds. ``last_used_at`` is refreshed by a targeted statement, never via the
    ORM unit of work, whose flush would later run bound to the path's store.
    """
    digest = token_digest(token)
    find, touch = _key_statements(dialect_of(session))
    key = (await session.execute(find, {"digest": digest})).scalar_one_or_none()
    if key is None or key.revoked_at is not None:
        return None
    now = utcnow()
    if key.last_used_at is None or as_utc(key.last_used_at) <= now - LAST_USED_RESOLUTION:
        await session.execute(touch, {"digest": digest, "at": now})
        set_committed_value(key, "last_used_at", now)
    session.expunge(key)  # detached: nothing about a foreign store's row is flushed later
    return key


@functools.cache
def _key_statements(dialect: str):
    """Built once per dialect: find a key by digest, and mark it used (``digest``, ``at``). The ORM
    wall steps aside for them: on PostgreSQL the functions are the crossing, on SQLite (no
    row-level security) the statements say so."""
    crossing = {"all_stores": True}
    if dialect == "postgresql":
        return (select(ApiKey).from_statement(text("SELECT * FROM pyc_api_key_for_digest(:digest)"))
                .execution_options(**crossing),
                text("SELECT pyc_api_key_used(:digest, :at)"))
    table = ApiKey.__table__
    return (select(ApiKey).where(ApiKey.token_digest == bindparam("digest", type_=String))
            .execution_options(**crossing),
            update(table).where(table.c.token_digest == bindparam("digest", type_=String),
                                table.c.revoked_at.is_(None))
            .values(last_used_at=bindparam("at", type_=DateTime(timezone=True))).execution_options(**crossing))
