"""People. Users (admins and staff) are platform-wide; customers and staff roles belong to a store."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Enum, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kernel.db import Base, TenantMixin, TimestampMixin


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
