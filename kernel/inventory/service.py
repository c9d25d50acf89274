"""Atomic stock changes. Never read-modify-write: one conditional UPDATE, checked by rows affected."""

from __future__ import annotations

from sqlalchemy import and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.catalog.models import ProductVariant
from kernel.errors import Conflict, NotFound
from kernel.inventory.models import StockMovement


class OutOfStock(Conflict):
    code = "out-of-stock"


async def adjust_stock(session: AsyncSession, variant_id: int, delta: int, *, reason: str, note: str = "",
                       order_id: int | None = None, actor: str | None = None) -> int | None:
    """Change a variant's stock by ``delta`` and record it in the ledger; returns the new stock.

    A decrease that would take stock below zero is refused with :class:`OutOfStock`
    unless the variant allows backorders. Variants that do not track inventory
    are left alone (returns ``None``). Safe under any concurrency: the check and
    the change are one statement.
    """
    condition = ProductVariant.id == variant_id
    if delta < 0:
        condition = and_(condition, or_(ProductVariant.stock_on_hand + delta >= 0,
                                        ProductVariant.allow_backorder.is_(True)))
    result = await session.execute(
        update(ProductVariant)
        .where(condition, ProductVariant.track_inventory.is_(True))
        .values(stock_on_hand=ProductVariant.stock_on_hand + delta)
        .returning(ProductVariant.stock_on_hand)
        .execution_options(synchronize_session=False)
    )
    new_stock = result.scalar_one_or_none()
    if new_stock is None:
        tracked = (await session.execute(
            select(ProductVariant.track_inventory).where(ProductVariant.id == variant_id))).scalar_one_or_none()
        if tracked is None:
            raise NotFound(f"No variant with id {variant_id} in this store.")
        if not tracked:
            return None
        raise OutOfStock(f"Not enough stock for variant {variant_id}.")
    session.add(StockMovement(variant_id=variant_id, quantity=delta, reason=reason, note=note,
                              order_id=order_id, actor=actor))
    return new_stock
