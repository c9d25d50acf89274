"""The tenant registry. These are platform tables: they are read before any store is known."""

from __future__ import annotations

import enum

from sqlalchemy import Enum, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kernel.db import Base, TimestampMixin


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
    """A host name a store's storefront answers on (custom domains; subdomains need no row)."""

    __tablename__ = "store_domains"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"), index=True)
    hostname: Mapped[str] = mapped_column(String(253), unique=True)
    is_primary: Mapped[bool] = mapped_column(default=False)

    store: Mapped[Store] = relationship(back_populates="domains")
