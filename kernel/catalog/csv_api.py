"""CSV import and export endpoints (format: docs/catalog.md, logic: kernel.catalog.csv_io)."""

from __future__ import annotations

from typing import Annotated

from fastapi import File, Query, Response, UploadFile
from pydantic import BaseModel, ConfigDict

from kernel.catalog import csv_io
from kernel.catalog.deps import API_ERRORS, CatalogReader, CatalogWriter, actor_of
from kernel.deps import SessionDep, StoreDep
from kernel.catalog.media import PayloadTooLarge
from kernel.routing import KernelRouter

router = KernelRouter(prefix="/api/v1/stores/{store_slug}/csv", tags=["catalog: CSV"], responses=API_ERRORS)
MAX_CSV_BYTES = 20 * 1024 * 1024


class ImportResult(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "rows": 3, "products_created": 1, "products_updated": 0, "variants_created": 3, "variants_updated": 0,
        "dry_run": False}]})

    rows: int
    products_created: int
    products_updated: int
    variants_created: int
    variants_updated: int
    dry_run: bool


@router.get("/products", summary="Export products and variants as CSV",
            response_class=Response, responses={200: {
                "content": {"text/csv": {"schema": {"type": "string"}, "example":
                                         ",".join(csv_io.COLUMNS) + "\norganic-tee,Organic Tee,,active,Size,S,,,,,"
                                         "TEE-S,19.99,,8.00,250,,10,\n"}},
                "description": "One row per variant; product fields on each product's first row."}})
async def export_products(session: SessionDep, store: StoreDep, staff: CatalogReader) -> Response:
    body = await csv_io.export_csv(session, store.currency)
    return Response(body, media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{store.slug}-products.csv"'})


@router.post("/products", summary="Import products and variants from CSV (all or nothing)",
             openapi_extra={"requestBody": {"content": {"multipart/form-data": {"example": {
                 "file": "Handle,Title,Variant SKU,Variant Price\norganic-tee,Organic Tee,TEE-S,19.99\n"}}}}})
async def import_products(session: SessionDep, store: StoreDep, manager: CatalogWriter,
                          file: Annotated[UploadFile, File(description="UTF-8 CSV, one row per variant, ≤ 20 MiB.")],
                          dry_run: Annotated[bool, Query(description="Validate and count only; write nothing.",
                                                         examples=[False])] = False) -> ImportResult:
    """Rows are matched to products by `Handle` and to variants by `Variant SKU`. If any row fails,
    nothing is written and the 422 problem lists every failed row (`errors[].loc = ["row", n, column]`)."""
    data = await file.read(MAX_CSV_BYTES + 1)
    if len(data) > MAX_CSV_BYTES:
        raise PayloadTooLarge(f"The file is larger than {MAX_CSV_BYTES} bytes.")
    report = await csv_io.import_csv(session, data, store.currency, actor=actor_of(manager), dry_run=dry_run)
    return ImportResult(rows=report.rows, products_created=report.products_created,
                        products_updated=report.products_updated, variants_created=report.variants_created,
                        variants_updated=report.variants_updated, dry_run=report.dry_run)
