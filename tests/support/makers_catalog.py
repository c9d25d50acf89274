"""Isolation object makers for the catalog and inventory routes (see tests/support/isolation.py)."""

from __future__ import annotations

import io

from PIL import Image

from kernel.catalog import service
from kernel.catalog.models import ProductImage
from kernel.catalog.schemas import CategoryCreate, ProductCreate, VariantCreate
from tests.support.factory import unique
from tests.support.isolation import object_maker


async def make_product(factory, store, *, variants: int = 1, price: int = 1000, stock: int = 5, **fields):
    async with factory.session(store) as session:
        data = ProductCreate(name=fields.pop("name", unique("Product ")), **fields, variants=[
            VariantCreate(sku=unique("SKU-"), price=price + i, initial_stock=stock) for i in range(variants)])
        product = await service.create_product(session, data, actor="test")
        return product


@object_maker("product_id")
async def _product(factory, store) -> str:
    return str((await make_product(factory, store)).id)


@object_maker("variant_id")
async def _variant(factory, store) -> str:
    product = await make_product(factory, store)
    async with factory.session(store) as session:
        from sqlalchemy import select

        from kernel.catalog.models import ProductVariant
        return str((await session.execute(select(ProductVariant.id).where(
            ProductVariant.product_id == product.id))).scalar_one())


@object_maker("category_id")
async def _category(factory, store) -> str:
    async with factory.session(store) as session:
        return str((await service.create_category(session, CategoryCreate(name=unique("Cat ")))).id)


def png_bytes(size=(40, 30), color=(200, 10, 10)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, format="PNG")
    return out.getvalue()


@object_maker("image_id")
async def _image(factory, store) -> str:
    product = await make_product(factory, store)
    async with factory.session(store) as session:
        row = ProductImage(product_id=product.id, storage_key=f"{store.id}/x.png", thumbnail_key=f"{store.id}/x.webp",
                           content_type="image/png", width=1, height=1, size_bytes=1)
        session.add(row)
        await session.flush()
        return str(row.id)
