"""Catalog models. Prices are integers in minor units of the store's currency."""

from __future__ import annotations

import enum

from sqlalchemy import Enum, ForeignKey, ForeignKeyConstraint, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kernel.db import Base, TenantMixin, TimestampMixin


class ProductStatus(str, enum.Enum):
    draft = "draft"
    active = "active"
    archived = "archived"


class Product(TimestampMixin, TenantMixin, Base):
    __tablename__ = "products"
    __table_args__ = (UniqueConstraint("store_id", "slug"), UniqueConstraint("store_id", "id"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    slug: Mapped[str] = mapped_column(String(255))
    description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[ProductStatus] = mapped_column(
        Enum(ProductStatus, native_enum=False, length=20, validate_strings=True), default=ProductStatus.draft,
        index=True)
    tax_class: Mapped[str] = mapped_column(String(50), default="standard")

    variants: Mapped[list["ProductVariant"]] = relationship(
        back_populates="product", cascade="all, delete-orphan", order_by="ProductVariant.position",
        overlaps="product")


class ProductVariant(TimestampMixin, TenantMixin, Base):
    """A sellable unit with its own SKU, price, cost and stock."""

    __tablename__ = "product_variants"
    __table_args__ = (
        UniqueConstraint("store_id", "sku"),
        UniqueConstraint("store_id", "id"),
        # The composite key keeps a variant and its product in the same store.
        ForeignKeyConstraint(["store_id", "product_id"], ["products.store_id", "products.id"], ondelete="CASCADE"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    product_id: Mapped[int] = mapped_column(Integer, index=True)
    sku: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(255), default="")
    position: Mapped[int] = mapped_column(Integer, default=0)
    price: Mapped[int] = mapped_column(Integer)
    compare_at_price: Mapped[int | None] = mapped_column(Integer)
    cost: Mapped[int | None] = mapped_column(Integer)
    weight_grams: Mapped[int] = mapped_column(Integer, default=0)
    barcode: Mapped[str | None] = mapped_column(String(64))
    # Inventory. ``stock_on_hand`` only changes through kernel.inventory.service, which
    # writes a StockMovement for every change (the ledger sums to it).
    track_inventory: Mapped[bool] = mapped_column(default=True)
    allow_backorder: Mapped[bool] = mapped_column(default=False)
    stock_on_hand: Mapped[int] = mapped_column(Integer, default=0)
    low_stock_threshold: Mapped[int | None] = mapped_column(Integer)

    product: Mapped[Product] = relationship(back_populates="variants", overlaps="variants")
