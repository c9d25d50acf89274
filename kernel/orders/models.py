"""Order tables. Every line snapshots what it sold (name, SKU, price, cost, tax, discount) so that
revenue and profit stay exact whatever happens to the catalog later."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import (JSON, Boolean, Enum, ForeignKey, ForeignKeyConstraint, Integer, String, Text,
                        UniqueConstraint)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kernel.db import Base, TenantMixin, TimestampMixin, utcnow
from kernel.plugin_data import plugin_data_column


class OrderStatus(str, enum.Enum):
    pending_payment = "pending_payment"
    paid = "paid"
    partially_fulfilled = "partially_fulfilled"
    fulfilled = "fulfilled"
    completed = "completed"
    cancelled = "cancelled"
    partially_refunded = "partially_refunded"
    refunded = "refunded"


def _enum(cls):
    return Enum(cls, native_enum=False, length=30, validate_strings=True)


class OrderCounter(TenantMixin, Base):
    """One row per store holding the last order number; bumped with ``UPDATE … RETURNING`` so numbers
    increase per store and never repeat, even under concurrent checkouts (see
    :func:`kernel.orders.service.take_order_number`)."""

    __tablename__ = "order_counters"
    __table_args__ = (UniqueConstraint("store_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_number: Mapped[int] = mapped_column(Integer, default=0)


class Order(TimestampMixin, TenantMixin, Base):
    __tablename__ = "orders"
    __table_args__ = (UniqueConstraint("store_id", "number"), UniqueConstraint("store_id", "id"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plugin_data: Mapped[dict[str, Any]] = plugin_data_column()  # {plugin id: its own JSON}
    number: Mapped[int] = mapped_column(Integer)
    status: Mapped[OrderStatus] = mapped_column(_enum(OrderStatus), default=OrderStatus.pending_payment, index=True)
    currency: Mapped[str] = mapped_column(String(3))
    email: Mapped[str] = mapped_column(String(320))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="SET NULL"), index=True)
    cart_id: Mapped[int | None] = mapped_column(Integer)
    shipping_address: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    billing_address: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    shipping_plugin_id: Mapped[str | None] = mapped_column(String(100))
    shipping_code: Mapped[str | None] = mapped_column(String(100))
    shipping_name: Mapped[str] = mapped_column(String(200), default="")
    prices_include_tax: Mapped[bool] = mapped_column(Boolean, default=False)
    # Totals in minor units. total = subtotal - discount_total + shipping_total + (tax_total unless included).
    subtotal: Mapped[int] = mapped_column(Integer, default=0)
    discount_total: Mapped[int] = mapped_column(Integer, default=0)
    shipping_total: Mapped[int] = mapped_column(Integer, default=0)
    shipping_tax: Mapped[int] = mapped_column(Integer, default=0)
    tax_total: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[int] = mapped_column(Integer, default=0)
    paid_total: Mapped[int] = mapped_column(Integer, default=0)
    refunded_total: Mapped[int] = mapped_column(Integer, default=0)
    tax_lines: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    placed_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    paid_at: Mapped[datetime | None] = mapped_column()
    cancelled_at: Mapped[datetime | None] = mapped_column()

    lines: Mapped[list["OrderLine"]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="OrderLine.id", lazy="selectin",
        overlaps="order")


class _OrderChild(TenantMixin):
    """Children of an order carry the store in a composite key, so they cannot point at another store's order."""

    order_id: Mapped[int] = mapped_column(Integer, index=True)


def _order_fk():
    return ForeignKeyConstraint(["store_id", "order_id"], ["orders.store_id", "orders.id"], ondelete="CASCADE")


class OrderLine(_OrderChild, Base):
    __tablename__ = "order_lines"
    __table_args__ = (_order_fk(),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    variant_id: Mapped[int | None] = mapped_column(Integer, index=True)
    product_id: Mapped[int | None] = mapped_column(Integer, index=True)
    sku: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(512))
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price: Mapped[int] = mapped_column(Integer)
    unit_cost: Mapped[int] = mapped_column(Integer, default=0)
    subtotal: Mapped[int] = mapped_column(Integer, doc="unit_price * quantity")
    discount_total: Mapped[int] = mapped_column(Integer, default=0)
    tax_total: Mapped[int] = mapped_column(Integer, default=0)
    net_revenue: Mapped[int] = mapped_column(Integer, doc="subtotal - discount - tax included in the price")
    total: Mapped[int] = mapped_column(Integer, doc="what the shopper pays for this line")
    fulfilled_quantity: Mapped[int] = mapped_column(Integer, default=0)
    tax_class: Mapped[str] = mapped_column(String(50), default="standard")

    order: Mapped[Order] = relationship(back_populates="lines", overlaps="lines")

    @property
    def cost_total(self) -> int:
        return self.unit_cost * self.quantity


class OrderTimelineEntry(_OrderChild, Base):
    __tablename__ = "order_timeline"
    __table_args__ = (_order_fk(),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(50))
    message: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    actor: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Fulfilment(_OrderChild, Base):
    __tablename__ = "fulfilments"
    __table_args__ = (_order_fk(),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    carrier: Mapped[str] = mapped_column(String(100), default="")
    tracking_number: Mapped[str] = mapped_column(String(100), default="")
    lines: Mapped[list[dict[str, int]]] = mapped_column(JSON, default=list)  # [{"line_id": 1, "quantity": 2}]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class PaymentStatus(str, enum.Enum):
    pending = "pending"
    authorized = "authorized"
    captured = "captured"
    failed = "failed"
    voided = "voided"
    partially_refunded = "partially_refunded"
    refunded = "refunded"


class Payment(_OrderChild, TimestampMixin, Base):
    __tablename__ = "payments"
    __table_args__ = (_order_fk(), UniqueConstraint("store_id", "idempotency_key"), UniqueConstraint("store_id", "id"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plugin_data: Mapped[dict[str, Any]] = plugin_data_column()  # {plugin id: its own JSON}
    plugin_id: Mapped[str] = mapped_column(String(100))
    method_code: Mapped[str] = mapped_column(String(100))
    amount: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[PaymentStatus] = mapped_column(_enum(PaymentStatus), default=PaymentStatus.pending)
    reference: Mapped[str | None] = mapped_column(String(200))
    idempotency_key: Mapped[str] = mapped_column(String(200))
    instructions: Mapped[str] = mapped_column(Text, default="")
    captured_amount: Mapped[int] = mapped_column(Integer, default=0)
    refunded_amount: Mapped[int] = mapped_column(Integer, default=0)


class Refund(_OrderChild, Base):
    __tablename__ = "refunds"
    __table_args__ = (_order_fk(), UniqueConstraint("store_id", "idempotency_key"),
                      ForeignKeyConstraint(["store_id", "payment_id"], ["payments.store_id", "payments.id"],
                                           ondelete="CASCADE"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    payment_id: Mapped[int] = mapped_column(Integer, index=True)
    amount: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(500), default="")
    reference: Mapped[str | None] = mapped_column(String(200))
    idempotency_key: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
