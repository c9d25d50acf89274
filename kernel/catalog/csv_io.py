"""CSV import and export of products and variants, one row per variant (Shopify's column names).

Import is all or nothing: every row is validated (shape, values, option axes, SKU
uniqueness in the file and in the store) before anything is written; any failure
returns the list of failed rows and why, and writes nothing. Prices in the file are
decimal amounts in the store's currency ("19.99"), as merchants' spreadsheets hold
them; they are stored as integers in minor units. See docs/catalog.md for the columns.
"""

from __future__ import annotations

import csv
import io
import re
from collections import OrderedDict
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from babel.numbers import get_currency_precision
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.catalog import search
from kernel.catalog.models import MAX_OPTIONS, Product, ProductStatus, ProductVariant
from kernel.catalog.schemas import MAX_INT, SLUG_RE
from kernel.catalog.service import product_event
from kernel.errors import InvalidInput
from kernel.events.service import write_events
from kernel.inventory.models import StockMovement
from kernel.inventory.service import adjust_stock
from plugin_sdk.events import ProductCreated, ProductUpdated

COLUMNS = ["Handle", "Title", "Body (HTML)", "Status",
           "Option1 Name", "Option1 Value", "Option2 Name", "Option2 Value", "Option3 Name", "Option3 Value",
           "Variant SKU", "Variant Price", "Variant Compare At Price", "Cost per item", "Variant Grams",
           "Variant Barcode", "Variant Inventory Qty", "Image Src"]
REQUIRED = {"Handle", "Variant SKU", "Variant Price"}
MAX_ROWS = 20_000
MAX_ERRORS = 200
_LIMITS = {"Title": 255, "Body (HTML)": 100_000, "Variant SKU": 100, "Variant Barcode": 64, "Image Src": 2000,
           **{f"Option{i} {k}": 100 for i in range(1, 4) for k in ("Name", "Value")}}


@dataclass
class Row:
    number: int
    handle: str
    title: str
    body: str
    status: ProductStatus | None
    option_names: list[str]
    option_values: list[str]
    sku: str
    price: int
    compare_at: int | None
    cost: int | None
    grams: int
    barcode: str | None
    qty: int | None


@dataclass
class ImportReport:
    rows: int = 0
    products_created: int = 0
    products_updated: int = 0
    variants_created: int = 0
    variants_updated: int = 0
    dry_run: bool = False
    errors: list[dict] = field(default_factory=list)


def _money(text: str, precision: int) -> int:
    try:
        amount = Decimal(text.replace(",", "").strip())
    except InvalidOperation:
        raise ValueError(f"{text!r} is not an amount") from None
    if not amount.is_finite() or amount < 0:
        raise ValueError("must be a non-negative amount")
    minor = amount.scaleb(precision)
    if minor != minor.to_integral_value():
        raise ValueError(f"has more than {precision} decimal places")
    if minor > MAX_INT:
        raise ValueError("is too large")
    return int(minor)


def _int(text: str, low: int, high: int) -> int:
    if not re.fullmatch(r"-?\d{1,10}", text.strip()):
        raise ValueError(f"{text!r} is not a whole number")
    value = int(text)
    if not low <= value <= high:
        raise ValueError(f"must be between {low} and {high}")
    return value


def parse_rows(data: bytes, currency: str) -> tuple[list[Row], list[dict]]:
    """Parse and check each row on its own; returns the good rows and one error per bad cell."""
    errors: list[dict] = []
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput("The file is not UTF-8 text.") from None
    if "\x00" in text:
        raise InvalidInput("The file contains NUL bytes.")
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [h.strip() for h in (reader.fieldnames or [])]
    lookup = {h.lower(): h for h in header}
    if missing := sorted(c for c in REQUIRED if c.lower() not in lookup):
        raise InvalidInput(f"Missing columns: {', '.join(missing)}.",
                           errors=[{"loc": ["header", c], "msg": "missing column", "type": "missing"} for c in missing])
    unknown = [h for h in header if h.lower() not in {c.lower() for c in COLUMNS}]
    if unknown:
        raise InvalidInput(f"Unknown columns: {', '.join(unknown)}.",
                           errors=[{"loc": ["header", h], "msg": "unknown column", "type": "extra_forbidden"}
                                   for h in unknown])
    reader.fieldnames = header
    precision = get_currency_precision(currency)
    rows: list[Row] = []
    for number, raw in enumerate(reader, start=2):  # row 1 is the header
        if number - 1 > MAX_ROWS:
            raise InvalidInput(f"At most {MAX_ROWS} rows per file.")
        if None in raw:
            errors.append({"loc": ["row", number], "msg": "more cells than columns", "type": "value_error"})
            continue
        cell = {c: (raw.get(lookup.get(c.lower(), ""), "") or "").strip() for c in COLUMNS}
        row_errors = []

        def bad(column: str, msg: str) -> None:
            row_errors.append({"loc": ["row", number, column], "msg": msg, "type": "value_error"})

        for column, limit in _LIMITS.items():
            if len(cell[column]) > limit:
                bad(column, f"longer than {limit} characters")
        if not re.fullmatch(SLUG_RE, cell["Handle"]):
            bad("Handle", "lower-case letters, digits and hyphens only")
        if not cell["Variant SKU"]:
            bad("Variant SKU", "required")
        status = None
        if cell["Status"]:
            try:
                status = ProductStatus(cell["Status"].lower())
            except ValueError:
                bad("Status", "one of draft, active, archived")

        def parsed(column, fn, *args, required=False):
            if not cell[column]:
                if required:
                    bad(column, "required")
                return None
            try:
                return fn(cell[column], *args)
            except ValueError as exc:
                bad(column, str(exc))
                return None

        price = parsed("Variant Price", _money, precision, required=True)
        compare_at = parsed("Variant Compare At Price", _money, precision)
        cost = parsed("Cost per item", _money, precision)
        grams = parsed("Variant Grams", _int, 0, 10_000_000)
        qty = parsed("Variant Inventory Qty", _int, 0, 1_000_000)
        names = [cell[f"Option{i} Name"] for i in range(1, MAX_OPTIONS + 1)]
        values = [cell[f"Option{i} Value"] for i in range(1, MAX_OPTIONS + 1)]
        if names[0] == "Title" and values[0] == "Default Title":  # Shopify's "no options" marker
            names[0] = values[0] = ""
        if any(values[i] and not values[i - 1] for i in range(1, MAX_OPTIONS)):
            bad("Option1 Value", "option values must fill Option1 first, then Option2, then Option3")
        if row_errors:
            errors.extend(row_errors)
            continue
        rows.append(Row(number, cell["Handle"], cell["Title"], cell["Body (HTML)"], status,
                        [n for n in names if n], [v for v in values if v], cell["Variant SKU"], price, compare_at,
                        cost, grams or 0, cell["Variant Barcode"] or None, qty))
    return rows, errors


async def import_csv(session: AsyncSession, data: bytes, currency: str, *, actor: str | None,
                     dry_run: bool = False) -> ImportReport:
    rows, errors = parse_rows(data, currency)
    report = ImportReport(rows=len(rows) + len({e["loc"][1] for e in errors}), dry_run=dry_run)
    if not rows and not errors:
        raise InvalidInput("The file has no rows.")

    def bad(row: Row, column: str, msg: str) -> None:
        errors.append({"loc": ["row", row.number, column], "msg": msg, "type": "value_error"})

    groups: OrderedDict[str, list[Row]] = OrderedDict()
    for row in rows:
        groups.setdefault(row.handle, []).append(row)
    existing = {p.slug: p for p in (await session.execute(
        select(Product).where(Product.slug.in_(list(groups))))).scalars()} if groups else {}
    skus = [r.sku for r in rows]
    owners = {sku: (pid, vid) for sku, pid, vid in (await session.execute(
        select(ProductVariant.sku, ProductVariant.product_id, ProductVariant.id)
        .where(ProductVariant.sku.in_(skus)))).all()} if skus else {}
    seen: dict[str, int] = {}
    plans = []
    for handle, group in groups.items():
        first, product = group[0], existing.get(handle)
        if product is None and not first.title:
            bad(first, "Title", "required on the first row of a new product")
        names = first.option_names or [a["name"] for a in (product.options if product else [])]
        axes = [{"name": n, "values": []} for n in names]
        for row in group:
            if row.sku in seen:
                bad(row, "Variant SKU", f"duplicates the SKU of row {seen[row.sku]}")
            seen.setdefault(row.sku, row.number)
            owner = owners.get(row.sku)
            if owner and (product is None or owner[0] != product.id):
                bad(row, "Variant SKU", "already used by another product in this store")
            if len(row.option_values) != len(axes):
                bad(row, "Option1 Value", f"expected {len(axes)} option value(s) for {handle!r}")
                continue
            for axis, value in zip(axes, row.option_values):
                if value not in axis["values"]:
                    axis["values"].append(value)
        combos = [tuple(r.option_values) for r in group]
        if axes and len(set(combos)) != len(combos):
            bad(group[-1], "Option1 Value", f"two variants of {handle!r} have the same options")
        plans.append((handle, group, product, axes))
    if errors:
        errors.sort(key=lambda e: (e["loc"][1], str(e["loc"][2:])))
        raise InvalidInput(f"{len({e['loc'][1] for e in errors})} row(s) failed; nothing was imported.",
                           errors=errors[:MAX_ERRORS])
    if dry_run:
        report.products_created = sum(1 for p in plans if p[2] is None)
        report.products_updated = len(plans) - report.products_created
        report.variants_updated = sum(1 for r in rows if r.sku in owners)
        report.variants_created = len(rows) - report.variants_updated
        return report
    await _apply(session, plans, owners, report, actor)
    return report


async def _apply(session: AsyncSession, plans, owners, report: ImportReport, actor: str | None) -> None:
    new_products = []
    for handle, group, product, axes in plans:
        first = group[0]
        if product is None:
            product = Product(name=first.title, slug=handle, description=first.body, options=axes,
                              status=first.status or ProductStatus.draft)
            new_products.append(product)
            report.products_created += 1
        else:
            if first.title:
                product.name = first.title
            if first.body:
                product.description = first.body
            if first.status:
                product.status = first.status
            product.options = axes
            report.products_updated += 1
    session.add_all(new_products)
    await session.flush()
    by_handle = {p.slug: p for p in new_products}
    existing_ids = [owners[r.sku][1] for _h, group, _p, _a in plans for r in group if r.sku in owners]
    variants = {v.id: v for v in (await session.execute(
        select(ProductVariant).where(ProductVariant.id.in_(existing_ids)))).scalars()} if existing_ids else {}
    created: list[tuple[ProductVariant, int]] = []
    adjustments: list[tuple[int, int]] = []
    for handle, group, product, _axes in plans:
        product = product or by_handle[handle]
        for position, row in enumerate(group):
            o = [*row.option_values, None, None, None]
            fields = dict(price=row.price, compare_at_price=row.compare_at, cost=row.cost, weight_grams=row.grams,
                          barcode=row.barcode, option1=o[0], option2=o[1], option3=o[2],
                          title=" / ".join(row.option_values) or "Default")
            if row.sku in owners:
                variant = variants[owners[row.sku][1]]
                for key, value in fields.items():
                    setattr(variant, key, value)
                if row.qty is not None and row.qty != variant.stock_on_hand:
                    adjustments.append((variant.id, row.qty - variant.stock_on_hand))
                report.variants_updated += 1
            else:
                variant = ProductVariant(product_id=product.id, sku=row.sku, position=position,
                                         stock_on_hand=row.qty or 0, **fields)
                created.append((variant, row.qty or 0))
                report.variants_created += 1
    session.add_all([v for v, _ in created])
    await session.flush()
    session.add_all([StockMovement(variant_id=v.id, quantity=q, reason="import", actor=actor)
                     for v, q in created if q])
    for variant_id, delta in adjustments:
        await adjust_stock(session, variant_id, delta, reason="import", note="CSV import", actor=actor)
    await session.flush()
    updated = [p for _h, _g, p, _a in plans if p is not None]
    # One event per product, every one in a single INSERT: an import of thousands of rows stays one statement.
    await write_events(session, [product_event(ProductCreated, p) for p in new_products] +
                       [product_event(ProductUpdated, p) for p in updated])
    await search.refresh_products(session, [p.id for p in new_products] + [p.id for p in updated])


def _amount(minor: int | None, precision: int) -> str:
    if minor is None:
        return ""
    return str(Decimal(minor).scaleb(-precision)) if precision else str(minor)


async def export_csv(session: AsyncSession, currency: str, batch: int = 500) -> str:
    """Every product and variant of the store, in id order, fetched in keyset batches."""
    precision = get_currency_precision(currency)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    after = 0
    while True:
        products = list((await session.execute(select(Product).where(Product.id > after)
                                                .order_by(Product.id).limit(batch))).scalars())
        if not products:
            break
        after = products[-1].id
        rows = (await session.execute(select(ProductVariant).where(
            ProductVariant.product_id.in_([p.id for p in products]))
            .order_by(ProductVariant.product_id, ProductVariant.position, ProductVariant.id))).scalars()
        variants: dict[int, list[ProductVariant]] = {}
        for v in rows:
            variants.setdefault(v.product_id, []).append(v)
        for p in products:
            names = [a["name"] for a in p.options or []]
            for i, v in enumerate(variants.get(p.id, [])):
                first = i == 0
                opts = [v.option1, v.option2, v.option3]
                option_cells = []
                for n in range(MAX_OPTIONS):
                    option_cells += [names[n] if first and n < len(names) else "", opts[n] or ""]
                writer.writerow([p.slug, p.name if first else "", p.description if first else "",
                                 p.status.value if first else "", *option_cells, v.sku, _amount(v.price, precision),
                                 _amount(v.compare_at_price, precision), _amount(v.cost, precision), v.weight_grams,
                                 v.barcode or "", v.stock_on_hand if v.track_inventory else "", ""])
    return out.getvalue()
