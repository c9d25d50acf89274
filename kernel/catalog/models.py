"""Catalog models. Prices are integers in minor units of the store's currency.

Option axes follow the model merchants know from Shopify: a product declares up to
three named options with their values (``options``), and each variant picks one value
per axis (``option1``…``option3``). That keeps a variant's identity in its own row (no
join to show it) and maps one-to-one onto the CSV format.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import (JSON, Enum, ForeignKeyConstraint, Index, Integer, String, Text, UniqueConstraint)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kernel.db import Base, TenantMixin, TimestampMixin

MAX_OPTIONS = 3


class ProductStatus(str, enum.Enum):
    draft = "draft"
    active = "active"
    archived = "archived"


class Product(TimestampMixin, TenantMixin, Base):
    __tablename__ = "products"
    __table_args__ = (
        UniqueConstraint("store_id", "slug"), UniqueConstraint("store_id", "id"),
        # Keyset pagination per sort order; each ends in id so the order is total (stable pages).
        Index("ix_products_store_created", "store_id", "created_at", "id"),
        Index("ix_products_store_name", "store_id", "name", "id"),
        Index("ix_products_store_price", "store_id", "price_min", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    slug: Mapped[str] = mapped_column(String(255))
    description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[ProductStatus] = mapped_column(
        Enum(ProductStatus, native_enum=False, length=20, validate_strings=True), default=ProductStatus.draft,
        index=True)
    tax_class: Mapped[str] = mapped_column(String(50), default="standard")
    meta_title: Mapped[str | None] = mapped_column(String(255))
    meta_description: Mapped[str | None] = mapped_column(String(500))
    # [{"name": "Size", "values": ["S", "M"]}, …] — at most MAX_OPTIONS axes.
    options: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # Denormalised from the variants (kept by kernel.catalog.search.refresh_products) so that
    # price filters and price sorting use an index instead of aggregating per request.
    # 0 while a product has no variants.
    price_min: Mapped[int] = mapped_column(Integer, default=0)
    price_max: Mapped[int] = mapped_column(Integer, default=0)

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
    # The latest expiry any hold on this variant has had (a trigger on stock_reservations writes
    # it: migration catalog_0005). Where it is NULL or past no hold is live, and reads of the
    # variant's available units skip looking (kernel.inventory.service.held_quantity).
    reserved_until: Mapped[datetime | None] = mapped_column()
    option1: Mapped[str | None] = mapped_column(String(100))
    option2: Mapped[str | None] = mapped_column(String(100))
    option3: Mapped[str | None] = mapped_column(String(100))

    product: Mapped[Product] = relationship(back_populates="variants", overlaps="variants")


class Category(TimestampMixin, TenantMixin, Base):
    """A node of the store's category tree (``parent_id`` None: a root)."""

    __tablename__ = "categories"
    __table_args__ = (
        UniqueConstraint("store_id", "slug"), UniqueConstraint("store_id", "id"),
        ForeignKeyConstraint(["store_id", "parent_id"], ["categories.store_id", "categories.id"],
                             ondelete="CASCADE"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    parent_id: Mapped[int | None] = mapped_column(Integer, index=True)
    name: Mapped[str] = mapped_column(String(200))
    slug: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(Integer, default=0)


class ProductCategory(TenantMixin, Base):
    """A product may sit in several categories."""

    __tablename__ = "product_categories"
    __table_args__ = (
        ForeignKeyConstraint(["store_id", "product_id"], ["products.store_id", "products.id"], ondelete="CASCADE"),
        ForeignKeyConstraint(["store_id", "category_id"], ["categories.store_id", "categories.id"],
                             ondelete="CASCADE"),
        Index("ix_product_categories_category", "store_id", "category_id", "product_id"),
    )

    product_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    category_id: Mapped[int] = mapped_column(Integer, primary_key=True)


class ProductAttribute(TenantMixin, Base):
    """A free key/value fact about a product (material: cotton), filterable."""

    __tablename__ = "product_attributes"
    __table_args__ = (
        ForeignKeyConstraint(["store_id", "product_id"], ["products.store_id", "products.id"], ondelete="CASCADE"),
        UniqueConstraint("store_id", "product_id", "key"),
        Index("ix_product_attributes_lookup", "store_id", "key", "value"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    product_id: Mapped[int] = mapped_column(Integer, index=True)
    key: Mapped[str] = mapped_column(String(100))
    value: Mapped[str] = mapped_column(String(500))


class ProductImage(TimestampMixin, TenantMixin, Base):
    """An uploaded image; the bytes live in the media store under ``storage_key``."""

    __tablename__ = "product_images"
    __table_args__ = (
        UniqueConstraint("store_id", "id"),
        ForeignKeyConstraint(["store_id", "product_id"], ["products.store_id", "products.id"], ondelete="CASCADE"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    product_id: Mapped[int] = mapped_column(Integer, index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    alt: Mapped[str] = mapped_column(String(255), default="")
    storage_key: Mapped[str] = mapped_column(String(300))
    thumbnail_key: Mapped[str] = mapped_column(String(300))
    content_type: Mapped[str] = mapped_column(String(50))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    size_bytes: Mapped[int] = mapped_column(Integer)
