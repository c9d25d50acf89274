"""Builders for test data, going through the real services (never around them)."""

from __future__ import annotations

import functools
import itertools
import uuid
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kernel.accounts.models import StaffRole, User
from kernel.accounts.service import create_user, grant_role, start_session
from kernel.db import cross_store_session, store_session
from kernel.security import hash_password
from kernel.stores.models import Store
from kernel.stores.schemas import StoreCreate
from kernel.stores.service import create_store
from kernel.tenancy import StoreContext

_counter = itertools.count(1)


@functools.lru_cache
def password_hash(password: str) -> str:
    """argon2 is slow on purpose (about a second on a busy machine): each test password is hashed once."""
    return hash_password(password)


def unique(prefix: str) -> str:
    return f"{prefix}{next(_counter)}{uuid.uuid4().hex[:6]}"


@dataclass
class Actor:
    """A signed-in person and the headers that authenticate them."""

    user: User
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


class Factory:
    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]):
        self.sessionmaker = sessionmaker

    def session(self, store: Store | StoreContext | int | None):
        """A committed unit of work bound to ``store`` (``None``: platform level)."""
        store_id = store if isinstance(store, int) or store is None else store.id
        return store_session(self.sessionmaker, store_id)

    async def store(self, **overrides) -> Store:
        data = {"slug": unique("s"), "name": "Test Store", "currency": "USD", **overrides}
        async with cross_store_session(self.sessionmaker) as session:  # as platform administration does
            return await create_store(session, StoreCreate(**data))

    async def user(self, *, platform_admin: bool = False, password: str = "correct-horse-9") -> Actor:
        async with self.session(None) as session:
            user = await create_user(session, f"{unique('u')}@example.com", None, is_platform_admin=platform_admin)
            user.password_hash = password_hash(password)
            token = await start_session(session, user=user)
        return Actor(user, token)

    async def staff(self, store: Store, role: StaffRole | str = StaffRole.owner) -> Actor:
        actor = await self.user()
        async with self.session(store) as session:
            await grant_role(session, actor.user, StaffRole(role))
        return actor

    async def admin(self) -> Actor:
        return await self.user(platform_admin=True)
