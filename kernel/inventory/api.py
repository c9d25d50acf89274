"""Inventory API: stock levels, atomic adjustments, and the ledger."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from kernel.catalog.deps import API_ERRORS, CatalogReader, InventoryWriter, VariantId, actor_of
from kernel.catalog.schemas import MAX_INT
from kernel.deps import SessionDep
from kernel.errors import InvalidInput
from kernel.inventory import service
from kernel.inventory.schemas import MovementPage, MovementRead, StockAdjustment, StockLevel
from kernel.routing import KernelRouter

router = KernelRouter(prefix="/api/v1/stores/{store_slug}/inventory", tags=["inventory"], responses=API_ERRORS)


@router.get("/{variant_id}", summary="Get a variant's stock level")
async def get_stock(variant_id: VariantId, session: SessionDep, staff: CatalogReader) -> StockLevel:
    return StockLevel(**await service.stock_level(session, variant_id))


@router.post("/{variant_id}/adjustments", summary="Adjust a variant's stock (atomic, recorded in the ledger)")
async def adjust(variant_id: VariantId, data: StockAdjustment, session: SessionDep,
                 staff: InventoryWriter) -> StockLevel:
    """Refused with 409 `out-of-stock` when a decrease would take stock below zero (unless the
    variant allows backorders), and with 409 when the variant does not track inventory."""
    if data.delta == 0:
        raise InvalidInput("A stock adjustment needs a non-zero delta.",
                           errors=[{"loc": ["body", "delta"], "msg": "must not be 0", "type": "value_error"}])
    level = await service.stock_level(session, variant_id)
    if not level["track_inventory"]:
        raise service.OutOfStock("This variant does not track inventory; turn tracking on first.")
    if data.order_id is not None:
        await service.ensure_order_in_store(session, data.order_id)
    await service.adjust_stock(session, variant_id, data.delta, reason=data.reason, note=data.note,
                               order_id=data.order_id, actor=actor_of(staff))
    return StockLevel(**await service.stock_level(session, variant_id))


@router.get("/{variant_id}/movements", summary="Read a variant's stock ledger (newest first)")
async def movements(variant_id: VariantId, session: SessionDep, staff: CatalogReader,
                    after: Annotated[int | None, Query(ge=1, le=MAX_INT, description="`next_cursor` of the previous page.",
                                                       examples=[120])] = None,
                    limit: Annotated[int, Query(ge=1, le=200, examples=[50])] = 50) -> MovementPage:
    await service.stock_level(session, variant_id)  # 404 for an unknown variant
    rows = await service.ledger(session, variant_id, after=after, limit=limit + 1)
    items = [MovementRead.model_validate(r) for r in rows[:limit]]
    return MovementPage(items=items, next_cursor=items[-1].id if len(rows) > limit else None)
