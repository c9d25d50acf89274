"""The tenant registry. These are platform tables: they are read before any store is known."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Enum, ForeignKey, Index, Integer, String, func, literal_column, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kernel.db import Base, TimestampMixin


# The one spelling of a host name, in SQL for the indexes (the same in SQLite and PostgreSQL) and in
# Python for everything else: no trailing dot, lower case (DNS names are case-insensitive).
NORMALISED_HOSTNAME_SQL = "lower(rtrim(hostname, '.'))"


def normalise_hostname(hostname: str) -> str:
    """``Shop.Example.`` → ``shop.example`` (a port, if any, is the caller's to remove)."""
    return hostname.strip().lower().rstrip(".")


class StoreStatus(str, enum.Enum):
    active = "active"
    suspended = "suspended"


class Store(TimestampMixin, Base):
    __tablename__ = "stores"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(63), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    status: Mapped[StoreStatus] = mapped_column(
        Enum(StoreStatus, native_enum=False, length=20, validate_strings=True), default=StoreStatus.active
    )
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    locale: Mapped[str] = mapped_column(String(35), default="en_US")
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    # Bumped whenever the store's plugin set or plugin settings change; every process compares it
    # per request and rebuilds its cached per-store hook relay when it moved (cross-process invalidation).
    plugins_version: Mapped[int] = mapped_column(Integer, default=1)
    # How long a cart in checkout holds its stock for the shopper (0: no holds); see docs/orders.md.
    checkout_hold_minutes: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    domains: Mapped[list["StoreDomain"]] = relationship(
        back_populates="store", cascade="all, delete-orphan", lazy="raise", order_by="StoreDomain.hostname"
    )

    @property
    def is_active(self) -> bool:
        return self.status == StoreStatus.active


class StoreDomain(Base):
    """A custom host name a store's storefront answers on once verified (subdomains need no row).

    Names are stored normalised (lower case, no trailing dot: :func:`kernel.stores.domains.normalise`);
    the indexes hold for any row written around that, being on the normalised expression. A store
    lists a name once; across stores a name may be *claimed* by several (so a squatter's unproven
    claim cannot lock the real owner out) but *verified* by one only: the first store to prove it
    controls the name (:mod:`kernel.stores.verification`) is the one that answers on it.
    """

    __tablename__ = "store_domains"
    __table_args__ = (
        Index("uq_store_domains_store_id_hostname", "store_id", text(NORMALISED_HOSTNAME_SQL), unique=True),
        Index("uq_store_domains_verified_hostname", text(NORMALISED_HOSTNAME_SQL), unique=True,
              sqlite_where=text("verified_at IS NOT NULL"), postgresql_where=text("verified_at IS NOT NULL")),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"), index=True)
    hostname: Mapped[str] = mapped_column(String(253))
    is_primary: Mapped[bool] = mapped_column(default=False)
    # What the store publishes to prove it controls the name (a DNS TXT record or an HTTP file);
    # not a secret: anyone may read it back from DNS once published.
    verification_token: Mapped[str | None] = mapped_column(String(64), default=None)
    verified_at: Mapped[datetime | None] = mapped_column(default=None)

    store: Mapped[Store] = relationship(back_populates="domains")

    @property
    def is_verified(self) -> bool:
        return self.verified_at is not None


# The indexes' expression as a column expression, for lookups that should use them: written with a
# literal '.', since PostgreSQL matches an index expression only when the query repeats it exactly
# (a bound parameter in its place would not do).
normalised_hostname_column = func.lower(func.rtrim(StoreDomain.hostname, literal_column("'.'")))
