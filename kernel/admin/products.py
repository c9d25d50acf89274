"""Products: the list (search, status, category, stock, sort), creating a product with its option
axes and variants, editing it (fields, categories, variants' price, compare-at, cost, SKU; images
with alt text), and the CSV import with its per-row error report.

Variants are made without JavaScript: the form's "Make the variants" button posts the option axes
back and the page returns with one row per combination, ready for SKUs and prices. Amounts are
typed in major units (``12.50``) and read with the currency's exponent. Writes need the catalog
API's role (manager or owner) and go through the catalog API's endpoint functions.
"""

from __future__ import annotations

import itertools
from typing import Annotated

from fastapi import File, Path, Query, Request, UploadFile
from pydantic import ValidationError

from kernel.admin.changes import refusable
from kernel.admin.guards import ADMIN_PATH, ManagerPage, PlatformHost, StaffPage
from kernel.admin.layout import store_page
from kernel.admin.rendering import field_errors, redirect
from kernel.catalog import api as catalog_api
from kernel.catalog import queries
from kernel.catalog import service as catalog
from kernel.catalog.api_categories import upload_image
from kernel.catalog.csv_api import import_products
from kernel.catalog.deps import Media
from kernel.catalog.models import MAX_OPTIONS, ProductStatus
from kernel.catalog.schemas import MAX_INT, ProductCreate, ProductUpdate, VariantUpdate
from kernel.checkout.money import exponent, parse_amount
from kernel.deps import SessionDep, StoreDep
from kernel.errors import DomainError
from kernel.routing import KernelRouter

router = KernelRouter(prefix=ADMIN_PATH + "/stores/{store_slug}/products", include_in_schema=False,
                      dependencies=[PlatformHost])
ProductId = Annotated[int, Path(ge=1, le=MAX_INT)]
PAGE = 50
MONEY_FIELDS = ("price", "compare_at_price", "cost")
SORTS = {"newest": "Newest", "name": "Name A–Z", "price": "Price, low to high", "price_desc": "Price, high to low"}


def _known(value: str | None, choices) -> str | None:
    """A filter the form sent empty ("any") reads as no filter."""
    return value if value in choices else None


@router.get("")
async def products_page(request: Request, store: StoreDep, session: SessionDep, principal: StaffPage, media: Media,
                        q: Annotated[str | None, Query(max_length=200)] = None,
                        status: Annotated[str | None, Query(max_length=20)] = None,
                        category: Annotated[str | None, Query(max_length=12)] = None,
                        stock: Annotated[str | None, Query(max_length=12)] = None,
                        sort: Annotated[str | None, Query(max_length=20)] = None,
                        after: Annotated[str | None, Query(max_length=500)] = None):
    categories = await catalog.list_categories(session)
    category_id = int(category) if category and category.isdigit() and int(category) <= MAX_INT else None
    filters = queries.ProductFilters(
        q=(q or "").strip() or None, status=ProductStatus(status) if _known(status, ProductStatus._value2member_map_) else None,
        category_id=category_id, in_stock={"in": True, "out": False}.get(stock or ""))
    chosen = queries.Sort(_known(sort, SORTS) or "newest")
    found = await queries.product_page_data(session, filters, sort=chosen, after=after, limit=PAGE, media_url=media.url)
    return await store_page(request, session, principal, store, "products", "store/products.html", {
        "items": found["items"], "next_cursor": found["next_cursor"], "categories": categories, "sorts": SORTS,
        "query": {"q": q or "", "status": status or "", "category": category or "", "stock": stock or "",
                  "sort": chosen.value}, "statuses": list(ProductStatus)})


# --- the product form ---------------------------------------------------------------------------

def _axes(form) -> list[dict]:
    axes = []
    for k in range(MAX_OPTIONS):
        name = str(form.get(f"options.{k}.name") or "").strip()
        values = [v.strip() for v in str(form.get(f"options.{k}.values") or "").split(",") if v.strip()]
        if name or values:
            axes.append({"name": name, "values": values})
    return axes


def _variant_rows(form) -> list[dict]:
    rows, i = [], 0
    while f"variants.{i}.sku" in form:
        rows.append({key: str(form.get(f"variants.{i}.{key}") or "").strip()
                     for key in ("id", "sku", "price", "compare_at_price", "cost", "initial_stock", "options")})
        i += 1
    return rows


def _combinations(axes: list[dict], rows: list[dict]) -> list[dict]:
    """One row per combination of the axes' values, keeping what was typed in rows already there."""
    typed = {row["options"]: row for row in rows}
    combos = itertools.product(*[axis["values"] for axis in axes]) if axes else [()]
    return [typed.get(" / ".join(c), {"sku": "", "price": "", "compare_at_price": "", "cost": "",
                                       "initial_stock": "0", "options": " / ".join(c)}) for c in combos]


def _money_of(row: dict, i: int, precision: int, errors: dict) -> dict:
    amounts = {}
    for key in MONEY_FIELDS:
        if row.get(key):
            try:
                amounts[key] = parse_amount(row[key], precision)
            except ValueError as bad:
                errors[f"variants.{i}.{key}"] = f"The amount {bad}."
        elif key == "price":
            errors.setdefault(f"variants.{i}.price", "A price is needed.")
    return amounts


def _product_fields(form) -> dict:
    fields = {"name": str(form.get("name") or "").strip(), "description": str(form.get("description") or ""),
              "status": str(form.get("status") or "draft"),
              "category_ids": [int(c) for c in form.getlist("category_ids") if str(c).isdigit()]}
    for key in ("meta_title", "meta_description"):
        fields[key] = str(form.get(key) or "").strip() or None
    return fields


async def _form_page(request, session, principal, store, *, product=None, values=None, errors=None,
                     status_code: int = 200):
    return await store_page(request, session, principal, store, "products", "store/product.html", {
        "product": product, "values": values or {}, "errors": errors or {}, "statuses": list(ProductStatus),
        "categories": await catalog.list_categories(session), "max_options": MAX_OPTIONS}, status_code)


@router.get("/new")
async def new_product_page(request: Request, store: StoreDep, session: SessionDep, principal: ManagerPage):
    return await _form_page(request, session, principal, store, values={
        "status": "draft", "axes": [], "rows": _combinations([], [])})


@router.post("/new")
async def create_product(request: Request, store: StoreDep, session: SessionDep, principal: ManagerPage,
                         media: Media):
    form = await request.form()
    fields, axes, rows = _product_fields(form), _axes(form), _variant_rows(form)
    if "make_variants" in form:
        return await _form_page(request, session, principal, store,
                                values={**fields, "axes": axes, "rows": _combinations(axes, rows)})
    values = {**fields, "axes": axes, "rows": rows}
    errors: dict[str, str] = {}
    variants = []
    for i, row in enumerate(rows):
        stock = row.get("initial_stock") or "0"
        variants.append({"sku": row["sku"], **_money_of(row, i, exponent(store.currency), errors),
                         "initial_stock": int(stock) if stock.isdigit() else stock,
                         "options": [o.strip() for o in row["options"].split(" / ")] if axes else None})
    try:
        data = ProductCreate(**fields, options=axes or None, variants=variants)
        if errors:
            raise DomainError("Some values are not valid.")
        async with refusable(session):
            created = await catalog_api.create_product(data, session, principal, media)
    except ValidationError as invalid:
        errors = {**field_errors(invalid.errors()), **errors}
        return await _form_page(request, session, principal, store, values=values, errors=errors, status_code=422)
    except DomainError as refused:
        errors = {**(field_errors(refused.errors) if refused.errors else {}), **errors}
        errors.setdefault("form", refused.detail)
        return await _form_page(request, session, principal, store, values=values, errors=errors,
                                status_code=refused.status if refused.status != 400 else 422)
    return redirect(request, f"{ADMIN_PATH}/stores/{store.slug}/products/{created.id}",
                    f"“{created.name}” created with {len(created.variants)} variant(s).")


# --- CSV ------------------------------------------------------------------------------------------

@router.get("/import")
async def import_page(request: Request, store: StoreDep, session: SessionDep, principal: ManagerPage):
    return await store_page(request, session, principal, store, "products", "store/product_import.html", {})


@router.post("/import")
async def import_csv(request: Request, store: StoreDep, session: SessionDep, principal: ManagerPage,
                     file: Annotated[UploadFile | None, File()] = None):
    """All or nothing, as the API: one bad row and nothing is imported; every bad row is listed."""
    if file is None:
        return redirect(request, f"{ADMIN_PATH}/stores/{store.slug}/products/import", "Choose a CSV file first.",
                        "warning")
    try:
        async with refusable(session):
            result = await import_products(session, store, principal, file, dry_run=False)
    except DomainError as refused:
        rows = [{"row": e["loc"][1] if len(e["loc"]) > 1 else "", "column": e["loc"][2] if len(e["loc"]) > 2 else "",
                 "message": e["msg"]} for e in refused.errors or ()]
        return await store_page(request, session, principal, store, "products", "store/product_import.html",
                                {"problem": refused.detail, "rows": rows}, 422)
    return redirect(request, f"{ADMIN_PATH}/stores/{store.slug}/products",
                    f"Imported {result.rows} row(s): {result.products_created} product(s) created, "
                    f"{result.products_updated} updated, {result.variants_created} variant(s) created.")


# --- one product ------------------------------------------------------------------------------------

def _as_major(amount: int | None, precision: int) -> str:
    return "" if amount is None else f"{amount / 10 ** precision:.{precision}f}"


@router.get("/{product_id}")
async def product_page(product_id: ProductId, request: Request, store: StoreDep, session: SessionDep,
                       principal: StaffPage, media: Media):
    product = await catalog_api.get_product(product_id, session, principal, media)
    precision = exponent(store.currency)
    values = {"name": product.name, "description": product.description, "status": product.status.value,
              "category_ids": product.category_ids, "meta_title": product.meta_title or "",
              "meta_description": product.meta_description or "",
              "rows": [{"id": v.id, "sku": v.sku, "options": " / ".join(v.options), "stock": v.stock_on_hand,
                        **{k: _as_major(getattr(v, k), precision) for k in MONEY_FIELDS}} for v in product.variants]}
    return await _form_page(request, session, principal, store, product=product, values=values)


@router.post("/{product_id}")
async def save_product(product_id: ProductId, request: Request, store: StoreDep, session: SessionDep,
                       principal: ManagerPage, media: Media):
    form = await request.form()
    fields, rows = _product_fields(form), _variant_rows(form)
    errors: dict[str, str] = {}
    changes = []
    for i, row in enumerate(rows):
        amounts = _money_of(row, i, exponent(store.currency), errors)
        for key in ("compare_at_price", "cost"):
            if not row.get(key):
                amounts[key] = None  # emptied: no longer set
        changes.append((int(row["id"]) if row["id"].isdigit() else 0, {"sku": row["sku"], **amounts}))
    try:
        update = ProductUpdate(**fields)
        variant_updates = [(vid, VariantUpdate(**data)) for vid, data in changes]
        if errors:
            raise DomainError("Some values are not valid.")
        async with refusable(session):
            await catalog_api.update_product(product_id, update, session, principal, media)
            owned = {v.id for v in (await catalog_api.get_product(product_id, session, principal, media)).variants}
            for vid, data in variant_updates:
                if vid in owned:  # only this product's variants, whatever the form claims
                    await catalog_api.update_variant(vid, data, session, principal)
    except (ValidationError, DomainError) as refused:
        if isinstance(refused, ValidationError):
            errors = {**field_errors(refused.errors()), **errors}
        else:
            errors = {**(field_errors(refused.errors) if refused.errors else {}), **errors}
            errors.setdefault("form", refused.detail)
        product = await catalog_api.get_product(product_id, session, principal, media)
        return await _form_page(request, session, principal, store, product=product,
                                values={**fields, "rows": rows}, errors=errors, status_code=422)
    return redirect(request, f"{ADMIN_PATH}/stores/{store.slug}/products/{product_id}", "Product saved.")


@router.post("/{product_id}/images")
async def add_image(product_id: ProductId, request: Request, store: StoreDep, session: SessionDep,
                    principal: ManagerPage, media: Media, file: Annotated[UploadFile | None, File()] = None):
    await catalog.get_product(session, product_id)  # another store's product: 404 before anything else
    back = f"{ADMIN_PATH}/stores/{store.slug}/products/{product_id}"
    if file is None:
        return redirect(request, back, "Choose an image file first.", "warning")
    form = await request.form()
    try:
        async with refusable(session):
            await upload_image(product_id, request, session, store, principal, media, file,
                               str(form.get("alt") or ""))
    except DomainError as refused:
        return redirect(request, back, f"The image was not added: {refused.detail}", "danger")
    return redirect(request, back, "Image added.")
