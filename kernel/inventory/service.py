"""Atomic stock changes and cart reservations. Never read-modify-write: one conditional statement,
checked by what it returned.

* ``stock_on_hand`` changes only through :func:`adjust_stock`, which writes a ledger row
  (:class:`StockMovement`) for every change, so the ledger always sums to the stock. (Placing
  an order runs its two halves, :func:`change_stock` and :func:`record_change`, apart, in one
  transaction: the ledger row names the order, which is inserted in between.)
* Reservations hold stock for carts in checkout: ``available = on hand − unexpired
  reservations``. Expired rows are ignored by every read (no sweeper needed for
  correctness; :func:`purge_expired` only tidies). Placing an order takes stock with
  ``reason="sold"`` and the order's id.
* Crossing a variant's ``low_stock_threshold`` downwards emits ``stock.low`` through
  the outbox, in the same transaction as the change.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import (DateTime, Integer, String, and_, bindparam, case, delete, func, insert, literal, or_, select,
                        update)
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.catalog.models import ProductVariant
from kernel.db import bound_store_id, utcnow
from kernel.errors import Conflict, InvalidInput, NotFound
from kernel.events.service import write_events
from kernel.inventory.models import StockMovement, StockReservation
from plugin_sdk.events import StockLow

MAX_RESERVATION_TTL = timedelta(hours=24)
MAX_STOCK = 1_000_000_000


class OutOfStock(Conflict):
    code = "out-of-stock"


@functools.cache
def _stock_change(*, decrease: bool, sale: bool = False):
    """The conditional UPDATE behind :func:`adjust_stock`, built once per kind (it runs for every
    line of every order). A decrease must leave stock ≥ 0 unless the variant allows backorders; a
    ``sale`` must also leave the units other carts hold (binds ``now`` and ``cart_ref``, the buyer's
    holds). An increase must keep the column inside PostgreSQL's integer (an overflow would be a 500)."""
    v = ProductVariant.__table__.c  # Core: see kernel.db.bound_store_id
    delta = bindparam("delta", type_=Integer)
    condition = and_(v.id == bindparam("variant_id", type_=Integer), v.store_id == bound_store_id())
    if decrease:
        left = v.stock_on_hand + delta
        if sale:
            left = left - held_quantity(bindparam("now", type_=DateTime(timezone=True)),
                                        exclude_cart=bindparam("cart_ref", type_=String))
        condition = and_(condition, or_(left >= 0, v.allow_backorder.is_(True)))
    else:
        condition = and_(condition, v.stock_on_hand <= MAX_STOCK - delta)
    return (update(ProductVariant.__table__)
            .where(condition, v.track_inventory.is_(True))
            .values(stock_on_hand=v.stock_on_hand + delta)
            .returning(v.stock_on_hand, v.low_stock_threshold, v.sku, v.product_id))


async def adjust_stock(session: AsyncSession, variant_id: int, delta: int, *, reason: str, note: str = "",
                       order_id: int | None = None, actor: str | None = None) -> int | None:
    """Change a variant's stock by ``delta`` and record it in the ledger; returns the new stock.

    A decrease that would take stock below zero is refused with :class:`OutOfStock`
    unless the variant allows backorders. Variants that do not track inventory
    are left alone (returns ``None``). Safe under any concurrency: the check and
    the change are one statement.
    """
    change = await change_stock(session, variant_id, delta)
    if change is None:
        return None
    await record_change(session, change, reason=reason, note=note, order_id=order_id, actor=actor)
    return change.stock_on_hand


@dataclass(frozen=True, slots=True)
class StockChange:
    """A change :func:`change_stock` made, waiting for its ledger row (:func:`record_change`)."""

    variant_id: int
    delta: int
    stock_on_hand: int
    low_stock_threshold: int | None
    sku: str
    product_id: int


async def change_stock(session: AsyncSession, variant_id: int, delta: int, *,
                       for_cart: str | None = None) -> StockChange | None:
    """The first half of :func:`adjust_stock`: the conditional UPDATE alone (``None``: the variant
    does not track inventory). The caller must :func:`record_change` it in the same transaction;
    placing an order does so once the order, which the ledger row names, exists.

    ``for_cart``: a sale to that cart, which may take its own holds but not the units other carts
    hold (a staff adjustment records what physically happened, holds or not).
    """
    if abs(delta) > MAX_STOCK:
        raise InvalidInput(f"A stock change is at most {MAX_STOCK} units.")
    params = {"delta": delta, "variant_id": variant_id}
    sale = for_cart is not None and delta < 0
    if sale:
        params |= {"now": utcnow(), "cart_ref": for_cart}
    result = await session.execute(_stock_change(decrease=delta < 0, sale=sale), params)
    row = result.one_or_none()
    if row is None:
        tracked = (await session.execute(
            select(ProductVariant.track_inventory).where(ProductVariant.id == variant_id))).scalar_one_or_none()
        if tracked is None:
            raise NotFound(f"No variant with id {variant_id} in this store.")
        if not tracked:
            return None
        if delta > 0:
            raise InvalidInput(f"Stock of variant {variant_id} would exceed {MAX_STOCK}.")
        raise OutOfStock(f"Not enough stock for variant {variant_id}.")
    return StockChange(variant_id, delta, row.stock_on_hand, row.low_stock_threshold, row.sku, row.product_id)


async def record_change(session: AsyncSession, change: StockChange, *, reason: str, note: str = "",
                        order_id: int | None = None, actor: str | None = None) -> None:
    """The second half of :func:`adjust_stock`: the ledger row, and ``stock.low`` when the change
    crossed the variant's threshold downwards."""
    await record_changes(session, [change], reason=reason, note=note, order_id=order_id, actor=actor)


async def record_changes(session: AsyncSession, changes: list[StockChange], *, reason: str, note: str = "",
                         order_id: int | None = None, actor: str | None = None) -> None:
    """:func:`record_change` for several changes: their ledger rows in one INSERT, written now (an
    order's lines are recorded together; see :func:`kernel.events.service.write_events`)."""
    if not changes:
        return
    store_id, now = session.info["store_id"], utcnow()
    await session.execute(insert(StockMovement.__table__), [
        {"store_id": store_id, "variant_id": change.variant_id, "quantity": change.delta, "reason": reason,
         "note": note, "order_id": order_id, "actor": actor, "created_at": now} for change in changes])
    await write_events(session, [StockLow(
        variant_id=change.variant_id, product_id=change.product_id, sku=change.sku,
        stock_on_hand=change.stock_on_hand, threshold=change.low_stock_threshold)
        for change in changes if _crossed_threshold(change)])


def _crossed_threshold(change: StockChange) -> bool:
    """Whether the change took stock from above the variant's low-stock threshold to at or below it."""
    threshold, new_stock = change.low_stock_threshold, change.stock_on_hand
    return threshold is not None and new_stock <= threshold < new_stock - change.delta


def held_quantity(now, *, exclude_cart=None):
    """The units of the (outer) :class:`ProductVariant` held at ``now`` by unexpired reservations,
    other than ``exclude_cart``'s: an SQL expression.

    The holds are looked up only where the variant's ``reserved_until`` says one may still be
    live; for the usual variant, which nobody holds, the answer is 0 without a lookup (listing
    a page of products did sixty of them).
    """
    v, r = ProductVariant.__table__.c, StockReservation.__table__.c  # Core: usable in Core UPDATEs too
    conditions = [r.variant_id == v.id, r.expires_at > now]
    if exclude_cart is not None:
        conditions.append(r.cart_ref != exclude_cart)
    held = select(func.coalesce(func.sum(r.quantity), 0)).where(*conditions).scalar_subquery()
    return case((v.reserved_until > now, held), else_=0)


async def reserve(session: AsyncSession, variant_id: int, qty: int, cart_ref: str,
                  ttl: timedelta = timedelta(minutes=15)) -> int | None:
    """Hold ``qty`` of a variant for ``cart_ref`` until now + ``ttl`` (replacing that cart's hold on it);
    returns the reservation's id.

    Refused with :class:`OutOfStock` when fewer than ``qty`` are available. Variants that
    do not track inventory or allow backorders need no hold (returns ``None``).
    On PostgreSQL the variant row is locked first, so concurrent reservations of the
    same variant queue instead of overbooking; on SQLite the single conditional
    INSERT … SELECT runs under the database's write lock.
    """
    if qty <= 0:
        raise InvalidInput("A reservation needs a positive quantity.")
    if not timedelta(0) < ttl <= MAX_RESERVATION_TTL:
        raise InvalidInput("A reservation lasts between a second and a day.")
    variant = (await session.execute(
        select(ProductVariant.id, ProductVariant.track_inventory, ProductVariant.allow_backorder)
        .where(ProductVariant.id == variant_id).with_for_update())).one_or_none()
    if variant is None:
        raise NotFound(f"No variant with id {variant_id} in this store.")
    await release(session, cart_ref, variant_id)
    if not variant.track_inventory or variant.allow_backorder:
        return None
    now = utcnow()
    store_id = session.info["store_id"]
    source = select(literal(store_id), ProductVariant.id, literal(cart_ref), literal(qty), literal(now + ttl),
                    literal(now)).where(
        ProductVariant.id == variant_id, ProductVariant.store_id == store_id,
        ProductVariant.stock_on_hand - held_quantity(now) >= qty)
    table = StockReservation.__table__
    result = await session.execute(
        insert(table).from_select(["store_id", "variant_id", "cart_ref", "quantity", "expires_at", "created_at"],
                                  source).returning(table.c.id))
    reservation_id = result.scalar_one_or_none()
    if reservation_id is None:
        raise OutOfStock(f"Only part of the requested quantity of variant {variant_id} is available.")
    return reservation_id


async def release(session: AsyncSession, cart_ref: str, variant_id: int | None = None) -> int:
    """Drop a cart's holds (on one variant, or all); returns how many were dropped."""
    stmt = delete(StockReservation).where(StockReservation.cart_ref == cart_ref)
    if variant_id is not None:
        stmt = stmt.where(StockReservation.variant_id == variant_id)
    result = await session.execute(stmt.execution_options(synchronize_session=False))
    return result.rowcount or 0


async def purge_expired(session: AsyncSession) -> int:
    result = await session.execute(delete(StockReservation).where(StockReservation.expires_at <= utcnow())
                                   .execution_options(synchronize_session=False))
    return result.rowcount or 0


async def stock_level(session: AsyncSession, variant_id: int) -> dict:
    now = utcnow()
    row = (await session.execute(select(
        ProductVariant.id, ProductVariant.sku, ProductVariant.track_inventory, ProductVariant.allow_backorder,
        ProductVariant.stock_on_hand, ProductVariant.low_stock_threshold,
        held_quantity(now).label("reserved")).where(ProductVariant.id == variant_id))
    ).one_or_none()
    if row is None:
        raise NotFound(f"No variant with id {variant_id} in this store.")
    return {"variant_id": row.id, "sku": row.sku, "track_inventory": row.track_inventory,
            "allow_backorder": row.allow_backorder, "stock_on_hand": row.stock_on_hand, "reserved": row.reserved,
            "available": row.stock_on_hand - row.reserved if row.track_inventory else None,
            "low_stock_threshold": row.low_stock_threshold}


async def available(session: AsyncSession, variant_id: int) -> int | None:
    """On hand minus active reservations (``None``: not tracked, unlimited)."""
    return (await stock_level(session, variant_id))["available"]


async def ledger(session: AsyncSession, variant_id: int, *, after: int | None = None,
                 limit: int = 50) -> list[StockMovement]:
    """The variant's movements, newest first, keyset-paginated by id."""
    stmt = select(StockMovement).where(StockMovement.variant_id == variant_id)
    if after is not None:
        stmt = stmt.where(StockMovement.id < after)
    return list((await session.execute(stmt.order_by(StockMovement.id.desc()).limit(limit))).scalars())
