"""CSV import (all or nothing, row-by-row report) and export (round trip)."""

from __future__ import annotations

import csv
import io

from sqlalchemy import func, select

from kernel.catalog.csv_io import COLUMNS
from kernel.catalog.models import Product, ProductVariant


def to_csv(rows: list[dict]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS)
    writer.writeheader()
    for row in rows:
        writer.writerow(row)
    return out.getvalue().encode()


def catalog_rows(products: int, prefix: str) -> list[dict]:
    rows = []
    for p in range(products):
        for i, size in enumerate(("S", "M", "L", "XL")[:3] if p % 2 else ("S", "M")):
            first = i == 0
            rows.append({"Handle": f"{prefix}-item-{p}", "Title": f"Item {p}" if first else "",
                         "Body (HTML)": "<p>Nice</p>" if first else "", "Status": "active" if first else "",
                         "Option1 Name": "Size" if first else "", "Option1 Value": size,
                         "Variant SKU": f"{prefix.upper()}-{p}-{size}", "Variant Price": f"{10 + p}.99",
                         "Variant Compare At Price": "", "Cost per item": "4.50", "Variant Grams": "200",
                         "Variant Inventory Qty": str(p % 7)})
    return rows


async def upload(client, store, headers, data: bytes, **params):
    return await client.post(f"/api/v1/stores/{store.slug}/csv/products", headers=headers, params=params,
                             files={"file": ("products.csv", data, "text/csv")})


async def counts(factory, store) -> tuple[int, int]:
    async with factory.session(store) as session:
        products = (await session.execute(select(func.count()).select_from(Product))).scalar_one()
        variants = (await session.execute(select(func.count()).select_from(ProductVariant))).scalar_one()
    return products, variants


async def test_import_of_a_thousand_variants_then_export_round_trips(client, factory):
    store = await factory.store()
    manager = await factory.staff(store, "manager")
    rows = catalog_rows(400, "k")  # 200 × 2 + 200 × 3 = 1,000 variants
    assert len(rows) == 1000
    response = await upload(client, store, manager.headers, to_csv(rows))
    assert response.status_code == 200, response.text[:2000]
    assert response.json() == {"rows": 1000, "products_created": 400, "products_updated": 0,
                               "variants_created": 1000, "variants_updated": 0, "dry_run": False}
    assert await counts(factory, store) == (400, 1000)
    page = (await client.get(f"/api/v1/stores/{store.slug}/search", headers=manager.headers,
                             params={"q": "K-7-M"})).json()
    assert [p["name"] for p in page["items"]] == ["Item 7"], "imported products are searchable by SKU"
    item = page["items"][0]
    assert [v["price"] for v in item["variants"]] == [1799] * 3 and item["variants"][0]["stock_on_hand"] == 0

    exported = await client.get(f"/api/v1/stores/{store.slug}/csv/products", headers=manager.headers)
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
    back = list(csv.DictReader(io.StringIO(exported.text)))
    assert len(back) == 1000 and back[0]["Variant Price"] == "10.99" and back[0]["Cost per item"] == "4.50"

    # Re-importing the export with changed prices and stock updates in place.
    for row in back:
        if row["Variant SKU"] == "K-7-M":
            row["Variant Price"], row["Variant Inventory Qty"] = "5.00", "12"
    again = await upload(client, store, manager.headers, to_csv(back))
    assert again.status_code == 200, again.text[:2000]
    assert again.json()["products_updated"] == 400 and again.json()["variants_updated"] == 1000
    assert await counts(factory, store) == (400, 1000)
    variant = (await client.get(f"/api/v1/stores/{store.slug}/search", headers=manager.headers,
                                params={"q": "K-7-M"})).json()["items"][0]["variants"][1]
    assert variant["sku"] == "K-7-M" and variant["price"] == 500 and variant["stock_on_hand"] == 12
    ledger = (await client.get(f"/api/v1/stores/{store.slug}/inventory/{variant['id']}/movements",
                               headers=manager.headers)).json()["items"]
    assert ledger[0]["quantity"] == 12 and ledger[0]["reason"] == "import"


async def test_a_file_with_bad_rows_imports_nothing_and_reports_each(client, factory):
    store = await factory.store()
    manager = await factory.staff(store, "manager")
    taken = (await client.post(f"/api/v1/stores/{store.slug}/products", headers=manager.headers, json={
        "name": "Existing", "variants": [{"sku": "TAKEN-1", "price": 100}]})).json()
    assert taken["id"]
    rows = catalog_rows(20, "b")
    rows[3]["Variant Price"] = "-1.00"           # row 5: negative price
    rows[6]["Variant Price"] = "12.345"          # row 8: too many decimals
    rows[9]["Variant SKU"] = rows[8]["Variant SKU"]  # row 11: duplicate SKU in the file
    rows[12]["Variant SKU"] = "TAKEN-1"          # row 14: SKU of another product
    rows[16]["Handle"] = "Bad Handle"            # row 18
    rows[21]["Variant Inventory Qty"] = "lots"   # row 23
    rows[0]["Title"] = ""                        # row 2: new product without title
    before = await counts(factory, store)
    response = await upload(client, store, manager.headers, to_csv(rows))
    assert response.status_code == 422, response.text
    body = response.json()
    failed = {e["loc"][1] for e in body["errors"]}
    assert failed == {2, 5, 8, 11, 14, 18, 23}, body["errors"]
    assert "nothing was imported" in body["detail"]
    assert await counts(factory, store) == before
    dry = await upload(client, store, manager.headers, to_csv(catalog_rows(3, "dry")), dry_run="true")
    assert dry.status_code == 200 and dry.json()["dry_run"] is True and dry.json()["variants_created"] == 7
    assert await counts(factory, store) == before


async def test_bad_files_are_refused_clearly(client, factory):
    store = await factory.store()
    manager = await factory.staff(store, "manager")
    for data in (b"", b"\xff\xfe\x00garbage", b"Handle,Nonsense\nx,y\n", "Handle,Title\nx,y\n".encode(),
                 to_csv([]), b"Handle,Variant SKU,Variant Price\nok,SKU-\x00,1\n"):
        response = await upload(client, store, manager.headers, data)
        assert response.status_code == 422, (data, response.text)
    staff = await factory.staff(store, "staff")
    assert (await upload(client, store, staff.headers, to_csv(catalog_rows(1, "s")))).status_code == 403
