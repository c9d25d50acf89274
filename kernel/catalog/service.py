"""Catalog writes: products, their variants, option axes, attributes and categories.

Services never commit (the request's unit of work does). Uniqueness (SKU, slug) is
checked up front for a clear 409 and enforced again by the database's unique
constraints for races, which surface as the same 409. Each write emits its product's
event (``product.created``, ``product.updated``, ``product.deleted``) in the same transaction.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.catalog import search
from kernel.catalog.models import Category, Product, ProductAttribute, ProductCategory, ProductStatus, ProductVariant
from kernel.catalog.schemas import (Attribute, CategoryCreate, CategoryUpdate, OptionAxis, ProductCreate,
                                    ProductUpdate, VariantCreate, VariantUpdate, slugify)
from kernel.errors import Conflict, InvalidInput, NotFound
from kernel.events import emit_event
from kernel.inventory.models import StockMovement
from plugin_sdk.events import ProductCreated, ProductDeleted, ProductUpdated


async def flush_or_conflict(session: AsyncSession, what: str) -> None:
    try:
        await session.flush()
    except IntegrityError:
        raise Conflict(f"{what} clashes with an existing one in this store.") from None


def _invalid(loc: list, msg: str) -> InvalidInput:
    return InvalidInput(msg, errors=[{"loc": loc, "msg": msg, "type": "value_error"}])


# --- slugs and SKUs -----------------------------------------------------------------------------

async def _free_slug(session: AsyncSession, model, base: str, *, exclude_id: int | None = None) -> str:
    """``base`` or ``base-2``, ``base-3``… — the first slug not taken in this store (for automatic slugs)."""
    taken = set((await session.execute(
        select(model.slug).where(model.slug.like(f"{base}%"), model.id != (exclude_id or 0)))).scalars())
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


async def _require_free_slug(session: AsyncSession, model, slug: str, exclude_id: int | None = None) -> None:
    clash = (await session.execute(
        select(model.id).where(model.slug == slug, model.id != (exclude_id or 0)))).scalar_one_or_none()
    if clash is not None:
        raise Conflict(f"The slug {slug!r} is already used in this store.")


async def require_free_skus(session: AsyncSession, skus: Iterable[str], exclude_variant_id: int | None = None) -> None:
    skus = list(skus)
    if len(set(skus)) != len(skus):
        raise Conflict("The same SKU appears twice in the request.")
    if not skus:
        return
    clash = (await session.execute(select(ProductVariant.sku).where(
        ProductVariant.sku.in_(skus), ProductVariant.id != (exclude_variant_id or 0)).limit(1))).scalar_one_or_none()
    if clash is not None:
        raise Conflict(f"The SKU {clash!r} is already used in this store.")


# --- option axes --------------------------------------------------------------------------------

def check_variant_options(axes: list[dict], options: list[str] | None, loc: list) -> list[str | None]:
    """A variant's option values padded to three columns, checked against the product's axes."""
    options = options or []
    if len(options) != len(axes):
        raise _invalid(loc, f"expected {len(axes)} option value(s) ({', '.join(a['name'] for a in axes) or 'none'})"
                            f", got {len(options)}")
    for axis, value in zip(axes, options):
        if value not in axis["values"]:
            raise _invalid(loc, f"{value!r} is not a value of option {axis['name']!r}")
    return [*options, None, None, None][:3]


def _check_unique_combinations(variants: Iterable[ProductVariant]) -> None:
    seen = set()
    for v in variants:
        combo = (v.option1, v.option2, v.option3)
        if combo != (None, None, None) and combo in seen:
            raise Conflict(f"Two variants share the options {[o for o in combo if o is not None]}.")
        seen.add(combo)


def _axes(options: list[OptionAxis] | None) -> list[dict]:
    return [a.model_dump() for a in options or []]


# --- products -----------------------------------------------------------------------------------

def product_event(model: type[ProductCreated] | type[ProductUpdated], product: Product) -> ProductCreated | ProductUpdated:
    """``product.created`` or ``product.updated`` for ``product`` as it is now."""
    return model(product_id=product.id, slug=product.slug, name=product.name,
                 status=ProductStatus(product.status).value)


async def get_product(session: AsyncSession, product_id: int) -> Product:
    product = (await session.execute(select(Product).where(Product.id == product_id))).scalar_one_or_none()
    if product is None:
        raise NotFound(f"No product with id {product_id} in this store.")
    return product


async def _check_categories(session: AsyncSession, category_ids: list[int]) -> None:
    wanted = set(category_ids)
    found = set((await session.execute(select(Category.id).where(Category.id.in_(wanted)))).scalars())
    if missing := sorted(wanted - found):
        raise _invalid(["body", "category_ids"], f"no such categories in this store: {missing}")


async def _set_categories(session: AsyncSession, product_id: int, category_ids: list[int]) -> None:
    await _check_categories(session, category_ids)
    await session.execute(delete(ProductCategory).where(ProductCategory.product_id == product_id))
    session.add_all([ProductCategory(product_id=product_id, category_id=c) for c in sorted(set(category_ids))])


async def _set_attributes(session: AsyncSession, product_id: int, attributes: list[Attribute]) -> None:
    await session.execute(delete(ProductAttribute).where(ProductAttribute.product_id == product_id))
    session.add_all([ProductAttribute(product_id=product_id, key=a.key, value=a.value) for a in attributes])


def new_variant(product: Product, data: VariantCreate, position: int, loc: list) -> ProductVariant:
    """A variant (not yet added to the session) with its initial stock recorded in the ledger."""
    o1, o2, o3 = check_variant_options(product.options or [], data.options, loc)
    fields = data.model_dump(exclude={"options", "initial_stock", "sku", "price"}, exclude_none=True)
    fields.setdefault("position", position)
    fields.setdefault("title", " / ".join(data.options or []) or "Default")
    variant = ProductVariant(product_id=product.id, sku=data.sku, price=data.price, option1=o1, option2=o2, option3=o3,
                             stock_on_hand=data.initial_stock, **fields)
    return variant


def record_initial_stock(session: AsyncSession, variant: ProductVariant, quantity: int, actor: str | None) -> None:
    if quantity:
        session.add(StockMovement(variant_id=variant.id, quantity=quantity, reason="initial", actor=actor))


async def create_product(session: AsyncSession, data: ProductCreate, *, actor: str | None = None) -> Product:
    if data.slug:
        await _require_free_slug(session, Product, data.slug)
        slug = data.slug
    else:
        slug = await _free_slug(session, Product, slugify(data.name))
    await require_free_skus(session, [v.sku for v in data.variants])
    product = Product(name=data.name, slug=slug, description=data.description or "",
                      status=data.status or "draft", tax_class=data.tax_class or "standard",
                      meta_title=data.meta_title, meta_description=data.meta_description, options=_axes(data.options))
    session.add(product)
    await flush_or_conflict(session, "The product's slug")
    variants = [new_variant(product, v, i, ["body", "variants", i, "options"]) for i, v in enumerate(data.variants)]
    _check_unique_combinations(variants)
    session.add_all(variants)
    await flush_or_conflict(session, "A SKU")
    for variant, spec in zip(variants, data.variants):
        record_initial_stock(session, variant, spec.initial_stock, actor)
    if data.category_ids:
        await _set_categories(session, product.id, data.category_ids)
    if data.attributes:
        await _set_attributes(session, product.id, data.attributes)
    await emit_event(session, product_event(ProductCreated, product))
    await session.flush()
    await search.refresh_products(session, [product.id])
    return product


async def update_product(session: AsyncSession, product_id: int, data: ProductUpdate) -> Product:
    product = await get_product(session, product_id)
    changes = data.model_dump(exclude_unset=True, exclude={"options", "attributes", "category_ids"})
    for key in ("name", "slug", "status", "tax_class", "description"):
        if key in changes and changes[key] is None:
            raise _invalid(["body", key], f"{key} cannot be null")
    if changes.get("slug") and changes["slug"] != product.slug:
        await _require_free_slug(session, Product, changes["slug"], exclude_id=product.id)
    if "options" in data.model_fields_set:
        axes = _axes(data.options)
        variants = (await session.execute(select(ProductVariant).where(
            ProductVariant.product_id == product.id))).scalars().all()
        for v in variants:
            check_variant_options(axes, [o for o in (v.option1, v.option2, v.option3) if o is not None],
                                  ["body", "options"])
        product.options = axes
    for key, value in changes.items():
        setattr(product, key, value)
    await flush_or_conflict(session, "The slug")
    if data.category_ids is not None:
        await _set_categories(session, product.id, data.category_ids)
    if data.attributes is not None:
        await _set_attributes(session, product.id, data.attributes)
    await emit_event(session, product_event(ProductUpdated, product))
    await session.flush()
    await search.refresh_products(session, [product.id])
    return product


async def delete_product(session: AsyncSession, product_id: int) -> None:
    product = await get_product(session, product_id)
    await emit_event(session, ProductDeleted(product_id=product.id, slug=product.slug, name=product.name))
    await session.delete(product)
    await session.flush()
    await search.forget_products(session, [product_id])


# --- variants -----------------------------------------------------------------------------------

async def get_variant(session: AsyncSession, variant_id: int) -> ProductVariant:
    variant = (await session.execute(
        select(ProductVariant).where(ProductVariant.id == variant_id))).scalar_one_or_none()
    if variant is None:
        raise NotFound(f"No variant with id {variant_id} in this store.")
    return variant


async def add_variant(session: AsyncSession, product_id: int, data: VariantCreate, *,
                      actor: str | None = None) -> ProductVariant:
    product = await get_product(session, product_id)
    await require_free_skus(session, [data.sku])
    siblings = (await session.execute(select(ProductVariant).where(
        ProductVariant.product_id == product.id))).scalars().all()
    position = max((v.position for v in siblings), default=-1) + 1
    variant = new_variant(product, data, position, ["body", "options"])
    _check_unique_combinations([*siblings, variant])
    session.add(variant)
    await flush_or_conflict(session, "The SKU")
    record_initial_stock(session, variant, data.initial_stock, actor)
    await emit_event(session, product_event(ProductUpdated, product))
    await session.flush()
    await search.refresh_products(session, [product.id])
    return variant


async def update_variant(session: AsyncSession, variant_id: int, data: VariantUpdate) -> ProductVariant:
    variant = await get_variant(session, variant_id)
    changes = data.model_dump(exclude_unset=True, exclude={"options"})
    for key in ("sku", "price", "title", "position", "weight_grams", "track_inventory", "allow_backorder"):
        if key in changes and changes[key] is None:
            raise _invalid(["body", key], f"{key} cannot be null")
    if changes.get("sku") and changes["sku"] != variant.sku:
        await require_free_skus(session, [changes["sku"]], exclude_variant_id=variant.id)
    product = await get_product(session, variant.product_id)
    if "options" in data.model_fields_set:
        variant.option1, variant.option2, variant.option3 = check_variant_options(
            product.options or [], data.options, ["body", "options"])
        siblings = (await session.execute(select(ProductVariant).where(
            ProductVariant.product_id == product.id, ProductVariant.id != variant.id))).scalars().all()
        _check_unique_combinations([*siblings, variant])
    for key, value in changes.items():
        setattr(variant, key, value)
    await emit_event(session, product_event(ProductUpdated, product))
    await flush_or_conflict(session, "The SKU")
    await search.refresh_products(session, [variant.product_id])
    return variant


async def delete_variant(session: AsyncSession, variant_id: int) -> None:
    variant = await get_variant(session, variant_id)
    product_id = variant.product_id
    await emit_event(session, product_event(ProductUpdated, await get_product(session, product_id)))
    await session.delete(variant)
    await session.flush()
    await search.refresh_products(session, [product_id])


# --- categories ---------------------------------------------------------------------------------

async def get_category(session: AsyncSession, category_id: int) -> Category:
    category = (await session.execute(select(Category).where(Category.id == category_id))).scalar_one_or_none()
    if category is None:
        raise NotFound(f"No category with id {category_id} in this store.")
    return category


async def list_categories(session: AsyncSession, limit: int = 5000) -> list[Category]:
    return list((await session.execute(select(Category).order_by(
        Category.parent_id.is_not(None), Category.parent_id, Category.position, Category.id).limit(limit))).scalars())


async def create_category(session: AsyncSession, data: CategoryCreate) -> Category:
    if data.parent_id is not None:
        await get_category_or_422(session, data.parent_id)
    if data.slug:
        await _require_free_slug(session, Category, data.slug)
    slug = data.slug or await _free_slug(session, Category, slugify(data.name))
    category = Category(name=data.name, slug=slug, parent_id=data.parent_id, description=data.description,
                        position=data.position)
    session.add(category)
    await flush_or_conflict(session, "The category slug")
    return category


async def get_category_or_422(session: AsyncSession, category_id: int) -> Category:
    try:
        return await get_category(session, category_id)
    except NotFound:
        raise _invalid(["body", "parent_id"], f"no category with id {category_id} in this store") from None


async def _ancestors(session: AsyncSession, category_id: int) -> set[int]:
    seen: set[int] = set()
    current: int | None = category_id
    while current is not None and current not in seen:
        seen.add(current)
        current = (await session.execute(select(Category.parent_id).where(Category.id == current))).scalar()
    return seen


async def update_category(session: AsyncSession, category_id: int, data: CategoryUpdate) -> Category:
    category = await get_category(session, category_id)
    changes = data.model_dump(exclude_unset=True, exclude={"make_root", "parent_id"})
    for key in ("name", "slug", "description", "position"):
        if key in changes and changes[key] is None:
            raise _invalid(["body", key], f"{key} cannot be null")
    if data.make_root:
        category.parent_id = None
    elif data.parent_id is not None:
        await get_category_or_422(session, data.parent_id)
        if category.id in await _ancestors(session, data.parent_id):
            raise Conflict("A category cannot move under itself or one of its descendants.")
        category.parent_id = data.parent_id
    if changes.get("slug") and changes["slug"] != category.slug:
        await _require_free_slug(session, Category, changes["slug"], exclude_id=category.id)
    for key, value in changes.items():
        setattr(category, key, value)
    await flush_or_conflict(session, "The category slug")
    return category


async def delete_category(session: AsyncSession, category_id: int) -> None:
    category = await get_category(session, category_id)
    children = (await session.execute(select(func.count()).select_from(Category).where(
        Category.parent_id == category.id))).scalar_one()
    if children:
        raise Conflict("This category has subcategories; move or delete them first.")
    await session.delete(category)
    await session.flush()
