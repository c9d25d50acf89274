"""The stock ledger (every change to a variant's stock is a row) and cart reservations."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKeyConstraint, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kernel.db import Base, TenantMixin, utcnow


class StockMovement(TenantMixin, Base):
    __tablename__ = "stock_movements"
    __table_args__ = (
        ForeignKeyConstraint(["store_id", "variant_id"], ["product_variants.store_id", "product_variants.id"],
                             ondelete="CASCADE"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    variant_id: Mapped[int] = mapped_column(Integer, index=True)
    quantity: Mapped[int] = mapped_column(Integer, doc="Signed change: negative takes stock out.")
    reason: Mapped[str] = mapped_column(String(50), doc="'received', 'sold', 'restock', 'correction', …")
    note: Mapped[str] = mapped_column(String(500), default="")
    order_id: Mapped[int | None] = mapped_column(Integer, index=True)
    actor: Mapped[str | None] = mapped_column(String(200), doc="Who: 'user:12', 'api_key:3', 'system'.")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class StockReservation(TenantMixin, Base):
    """Stock held for a cart in checkout until ``expires_at``; expired rows are simply ignored.

    available = stock_on_hand − sum(quantity of unexpired reservations).
    """

    __tablename__ = "stock_reservations"
    __table_args__ = (
        ForeignKeyConstraint(["store_id", "variant_id"], ["product_variants.store_id", "product_variants.id"],
                             ondelete="CASCADE"),
        UniqueConstraint("store_id", "cart_ref", "variant_id"),
        Index("ix_stock_reservations_variant_expiry", "variant_id", "expires_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    variant_id: Mapped[int] = mapped_column(Integer)
    cart_ref: Mapped[str] = mapped_column(String(100))
    quantity: Mapped[int] = mapped_column(Integer)
    expires_at: Mapped[datetime] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
