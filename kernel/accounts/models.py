"""People. Users (admins and staff) are platform-wide; customers and staff roles belong to a store."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Enum, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kernel.db import Base, TenantMixin, TimestampMixin
from kernel.plugin_data import plugin_data_column


class StaffRole(str, enum.Enum):
    owner = "owner"
    manager = "manager"
    staff = "staff"

    @property
    def rank(self) -> int:
        return {"staff": 1, "manager": 2, "owner": 3}[self.value]


class User(TimestampMixin, Base):
    """Someone who works on the platform: a platform administrator, a store's staff, or both."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    full_name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str | None] = mapped_column(String(255))
    is_platform_admin: Mapped[bool] = mapped_column(default=False)
    is_active: Mapped[bool] = mapped_column(default=True)
    last_login_at: Mapped[datetime | None] = mapped_column()


class StaffMembership(TimestampMixin, TenantMixin, Base):
    """One user's role in one store. A user may work for several stores with different roles."""

    __tablename__ = "staff_memberships"
    __table_args__ = (UniqueConstraint("store_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[StaffRole] = mapped_column(Enum(StaffRole, native_enum=False, length=20, validate_strings=True))

    user: Mapped[User] = relationship(lazy="joined")


class Customer(TimestampMixin, TenantMixin, Base):
    """A shopper's account in one store: the same email at another store is another customer."""

    __tablename__ = "customers"
    __table_args__ = (UniqueConstraint("store_id", "email"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plugin_data: Mapped[dict[str, Any]] = plugin_data_column()  # {plugin id: its own JSON}
    email: Mapped[str] = mapped_column(String(320))
    full_name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str | None] = mapped_column(String(255))
    is_active: Mapped[bool] = mapped_column(default=True)
    last_login_at: Mapped[datetime | None] = mapped_column()


class AuthSession(Base):
    """A signed-in session (web cookie or bearer token), stored only as the token's digest.

    A platform table: a token is looked up before the store is known. ``store_id``
    is set for customer sessions, which are valid in that one store only.
    """

    __tablename__ = "auth_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_digest: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    store_id: Mapped[int | None] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column()
    expires_at: Mapped[datetime] = mapped_column()
    last_seen_at: Mapped[datetime | None] = mapped_column()
    ip: Mapped[str | None] = mapped_column(String(45))
    user_agent: Mapped[str | None] = mapped_column(String(300))


# --- Access control: throttling, password reset, two-factor, API keys --------------------------------

class LoginThrottle(Base):
    """A fixed-window counter of failed sign-ins for one key (an account digest or an IP address).

    A platform table, written in its own short transaction so a failed (rolled back) sign-in still counts,
    and shared by every process. The key never holds an email in clear: accounts are keyed by a digest.
    """

    __tablename__ = "login_throttle"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    window_start: Mapped[int] = mapped_column(Integer)  # unix seconds: simple, portable arithmetic in SQL


class PasswordResetToken(Base):
    """A single-use, expiring password-reset token, stored as its digest only.

    For a user (staff, administrators) or a customer; a customer's token is only accepted at the
    customer's own store (checked through the store-bound session when it is spent).
    """

    __tablename__ = "password_reset_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    token_digest: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column()
    expires_at: Mapped[datetime] = mapped_column()
    used_at: Mapped[datetime | None] = mapped_column()


class TotpCredential(Base):
    """A user's TOTP seed (encrypted with SecretBox); active once confirmed with a first valid code."""

    __tablename__ = "totp_credentials"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    secret_encrypted: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column()
    confirmed_at: Mapped[datetime | None] = mapped_column()
    # The last 30-second step accepted: a code is never accepted twice (replay of an observed code).
    last_used_step: Mapped[int | None] = mapped_column(Integer)


class RecoveryCode(Base):
    """A one-time recovery code for a user with two-factor authentication, stored as its digest."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_digest: Mapped[str] = mapped_column(String(64))
    used_at: Mapped[datetime | None] = mapped_column()


class LoginChallenge(Base):
    """The second step of a sign-in with two-factor authentication: password accepted, code pending."""

    __tablename__ = "login_challenges"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_digest: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    expires_at: Mapped[datetime] = mapped_column()
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    used_at: Mapped[datetime | None] = mapped_column()


class ApiKey(TimestampMixin, TenantMixin, Base):
    """A store's API key: shown once, stored as a digest, limited to scopes, revocable."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(16))  # the first characters, to recognise a key in lists
    token_digest: Mapped[str] = mapped_column(String(64), unique=True)
    scopes: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    last_used_at: Mapped[datetime | None] = mapped_column()
    revoked_at: Mapped[datetime | None] = mapped_column()


class StoreSecuritySettings(TimestampMixin, TenantMixin, Base):
    """Per-store access policy (a row only once an owner changed something; absent means defaults)."""

    __tablename__ = "store_security_settings"
    __table_args__ = (UniqueConstraint("store_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    require_staff_2fa: Mapped[bool] = mapped_column(default=False)


class AuthEpoch(Base):
    """One counter that every change able to take rights away from a staff sign-in moves forward.

    Database triggers (migration ``accounts_0002``) bump it, in the same transaction as the change,
    whenever a sign-in session is changed or ended, a user is deactivated or loses platform
    admin, a store membership or a store's security policy changes, or a two-factor credential
    appears, is confirmed or goes. Every request reads it with its store
    (:mod:`kernel.tenancy`), so each process's cache of staff sign-ins
    (:mod:`kernel.accounts.signins`) knows at once when an entry may be stale.
    """

    __tablename__ = "auth_epoch"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger)
