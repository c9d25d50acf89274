"""Cart tables. A cart stores only what the shopper chose; prices always come from the catalog."""

from __future__ import annotations

import enum
from typing import Any

from sqlalchemy import JSON, Enum, ForeignKey, ForeignKeyConstraint, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kernel.db import Base, TenantMixin, TimestampMixin
from kernel.plugin_data import plugin_data_column


class CartStatus(str, enum.Enum):
    open = "open"
    converted = "converted"  # became an order
    merged = "merged"  # folded into a customer's cart at sign-in


class Cart(TimestampMixin, TenantMixin, Base):
    __tablename__ = "carts"
    __table_args__ = (UniqueConstraint("store_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plugin_data: Mapped[dict[str, Any]] = plugin_data_column()  # {plugin id: its own JSON}
    # Only the digest of the cart token is stored: a leaked database does not hand out carts.
    token_digest: Mapped[str] = mapped_column(String(64), unique=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="SET NULL"), index=True)
    status: Mapped[CartStatus] = mapped_column(
        Enum(CartStatus, native_enum=False, length=20, validate_strings=True), default=CartStatus.open)
    currency: Mapped[str] = mapped_column(String(3))
    # Checkout choices, kept on the cart until the order is placed.
    email: Mapped[str | None] = mapped_column(String(320))
    shipping_address: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    billing_address: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    shipping_plugin_id: Mapped[str | None] = mapped_column(String(100))
    shipping_code: Mapped[str | None] = mapped_column(String(100))
    payment_plugin_id: Mapped[str | None] = mapped_column(String(100))
    payment_code: Mapped[str | None] = mapped_column(String(100))
    order_id: Mapped[int | None] = mapped_column(Integer)

    lines: Mapped[list["CartLine"]] = relationship(
        back_populates="cart", cascade="all, delete-orphan", order_by="CartLine.id", lazy="selectin",
        overlaps="cart")

    @property
    def hold_ref(self) -> str:
        """What this cart's stock holds in checkout are named (kernel.checkout.holds)."""
        return f"cart:{self.id}"


class CartLine(TimestampMixin, TenantMixin, Base):
    """A variant and a quantity. No foreign key to the variant on purpose: a deleted variant leaves
    the line in place so the shopper is told it is gone instead of seeing it vanish."""

    __tablename__ = "cart_lines"
    __table_args__ = (
        UniqueConstraint("cart_id", "variant_id"),
        ForeignKeyConstraint(["store_id", "cart_id"], ["carts.store_id", "carts.id"], ondelete="CASCADE"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cart_id: Mapped[int] = mapped_column(Integer, index=True)
    variant_id: Mapped[int] = mapped_column(Integer)
    quantity: Mapped[int] = mapped_column(Integer)

    cart: Mapped[Cart] = relationship(back_populates="lines", overlaps="lines")
