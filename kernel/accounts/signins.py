"""Each process's cache of staff sign-ins: a staff request spends no statement on who is calling.

Without it, every store-scoped staff request reads the sign-in session, its user, the user's
membership in the store and the store's two-factor policy: one statement on every staff request.
Those facts change rarely, and every change that can take rights away moves
one counter, ``auth_epoch`` (triggers of migration ``accounts_0002``; see
:class:`kernel.accounts.models.AuthEpoch`). Each request reads that counter in the statement that
resolves its store, before it authenticates.

**Why an entry is never trusted stale.** An entry holds the epoch the request that filled it read
*before* reading the sign-in. The trigger moves the epoch in the same transaction as the change,
so a change is visible no later than its epoch. Whatever an entry holds is therefore at least as
new as its epoch; while a request still reads that same epoch, no such change has committed since.
Passing time is the one thing no trigger sees: each hit checks the session's expiry itself.

Only staff sign-ins (a user, no customer) are cached, keyed by (token digest, store): a hit gives
the request a copy of the user merged into its own session (no SQL), so it behaves exactly like a
loaded one. API keys are not cached: a key's last-used time is written as it is used.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import make_transient_to_detached

from kernel.accounts.models import AuthSession, StaffRole, User
from kernel.db import as_utc, utcnow
from kernel.tenancy import StoreContext

_USER_COLUMNS = tuple(attribute.key for attribute in User.__mapper__.column_attrs)


@dataclass(frozen=True, slots=True)
class StaffSignIn:
    """A sign-in as it stood at ``epoch``: who, until when, and their standing in one store."""

    epoch: int
    expires_at: datetime
    auth_session_id: int
    user: User  # detached and never attached: each request merges a copy into its own session
    role: StaffRole | None  # None: signed in, but not a member of this store
    store_requires_2fa: bool

    async def user_in(self, session: AsyncSession) -> User:
        return await session.merge(self.user, load=False)


class SignInCache:
    """At most ``capacity`` sign-ins (the oldest go first); an entry of an old epoch is a miss."""

    def __init__(self, capacity: int = 10_000):
        self.capacity = capacity
        self._entries: dict[tuple[str, int], StaffSignIn] = {}

    def get(self, digest: str, store: StoreContext) -> StaffSignIn | None:
        if store.auth_epoch is None:
            return None
        entry = self._entries.get((digest, store.id))
        if entry is None or entry.epoch != store.auth_epoch or entry.expires_at <= utcnow():
            return None
        return entry

    def put(self, digest: str, store: StoreContext, auth: AuthSession, user: User, role: StaffRole | None,
            store_requires_2fa: bool) -> None:
        """Remember a staff sign-in just read (after ``store`` and its epoch were read)."""
        if store.auth_epoch is None or auth.customer_id is not None or user is None:
            return
        key = (digest, store.id)
        if key not in self._entries and len(self._entries) >= self.capacity:
            del self._entries[next(iter(self._entries))]
        self._entries[key] = StaffSignIn(store.auth_epoch, as_utc(auth.expires_at), auth.id, _detached_copy(user),
                                         role, store_requires_2fa)


def _detached_copy(user: User) -> User:
    copy = User(**{name: getattr(user, name) for name in _USER_COLUMNS})
    make_transient_to_detached(copy)  # as if loaded, then its session closed
    return copy
