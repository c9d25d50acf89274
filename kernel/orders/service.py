"""Order operations for staff: pay, fulfil, cancel (restocking), refund, complete, notes.

Every change checks the state machine first, writes a timeline entry, and emits its domain event
through the outbox in the same transaction.
"""

from __future__ import annotations

import functools
import uuid

from sqlalchemy import Integer, bindparam, func, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.db import contains_text, dialect_of, side_engine, upsert_insert, utcnow
from kernel.errors import Conflict, InvalidInput, NotFound
from kernel.events import emit_event
from kernel.inventory.service import adjust_stock
from kernel.orders.models import (Fulfilment, Order, OrderCounter, OrderStatus, OrderTimelineEntry,
                                  Payment, PaymentStatus, Refund)
from kernel.orders.states import IllegalTransition, check_transition
from plugin_sdk.events import (OrderCancelled, OrderFulfilled, OrderPaid, OrderRefunded, PaymentCaptured,
                               PaymentFailed, PaymentRefunded)
from plugin_sdk.types import Address, CustomerRef, OrderLineView, OrderTotals, OrderView, PaymentView

S = OrderStatus


@functools.cache
def _bump_order_counter():
    """Built once (it runs for every order); the store wall adds the store's row to it."""
    return (update(OrderCounter).values(last_number=OrderCounter.last_number + 1)
            .returning(OrderCounter.last_number).execution_options(synchronize_session=False))


# The migration orders_0002 defines the function: the whole numbering transaction, one round trip.
_TAKE_ORDER_NUMBER = text("select pyc_take_order_number(:store_id)").bindparams(bindparam("store_id", type_=Integer))


async def take_order_number(session: AsyncSession, store_id: int) -> int:
    """The number for an order being placed: the store's numbers increase and never repeat.

    On PostgreSQL the number is taken in a transaction of its own, committed at once
    (``pyc_take_order_number``: one round trip on :func:`kernel.db.side_engine`'s pool). The
    counter row is locked for that moment only: taken in the placement's transaction, its lock
    was held until the placement committed, so every checkout of a store waited for the one
    before it (``bench/checkout.py`` ran a third idle for it). The price: a placement that fails
    after taking its number leaves that number unused, so placing takes it as late as it can,
    after the stock. On SQLite, one writer at a time anyway, :func:`next_order_number` takes it
    in the session's transaction.
    """
    if dialect_of(session) != "postgresql":
        return await next_order_number(session, store_id)
    async with side_engine(session.bind).connect() as connection:
        return (await connection.execute(_TAKE_ORDER_NUMBER, {"store_id": store_id})).scalar_one()


async def next_order_number(session: AsyncSession, store_id: int) -> int:
    """The store's next order number, in the session's transaction. The counter row is created once
    (racing creators are fine: ON CONFLICT DO NOTHING) and bumped with one ``UPDATE … RETURNING``,
    whose row lock serialises concurrent callers until commit: no gaps, no repeats."""
    bump = _bump_order_counter()
    number = (await session.execute(bump)).scalar_one_or_none()
    if number is not None:
        return number  # every order but the store's first: one statement
    await session.execute(upsert_insert(session, OrderCounter).values(store_id=store_id, last_number=0)
                          .on_conflict_do_nothing(index_elements=["store_id"]))
    return (await session.execute(bump)).scalar_one()


def order_view(order: Order, lines: list[dict] | None = None) -> OrderView:
    """What plugins see of an order: its snapshot, detached from the ORM. ``lines`` (the rows as written)
    for an order just placed, whose ``lines`` relationship was never loaded."""
    rows = [OrderLineView(variant_id=l["variant_id"], product_id=l["product_id"], sku=l["sku"], name=l["name"],
                          quantity=l["quantity"], unit_price=l["unit_price"], subtotal=l["subtotal"],
                          discount=l["discount_total"], tax=l["tax_total"], total=l["total"], tax_class=l["tax_class"])
            for l in lines] if lines is not None else [
        OrderLineView(id=l.id, variant_id=l.variant_id, product_id=l.product_id, sku=l.sku, name=l.name,
                      quantity=l.quantity, unit_price=l.unit_price, subtotal=l.subtotal, discount=l.discount_total,
                      tax=l.tax_total, total=l.total, tax_class=l.tax_class) for l in order.lines]
    return OrderView(
        id=order.id, number=str(order.number), status=order.status.value, currency=order.currency, total=order.total,
        email=order.email, created_at=order.placed_at, customer=CustomerRef(id=order.customer_id, email=order.email),
        lines=rows, shipping_address=_address(order.shipping_address), billing_address=_address(order.billing_address),
        shipping_method=order.shipping_name or None,
        totals=OrderTotals(subtotal=order.subtotal, discount=order.discount_total, shipping=order.shipping_total,
                           shipping_tax=order.shipping_tax, tax=order.tax_total, total=order.total,
                           paid=order.paid_total or 0, refunded=order.refunded_total or 0,
                           prices_include_tax=bool(order.prices_include_tax)))


def _address(data: dict | None) -> Address | None:
    return Address.model_validate(data) if data else None


def order_event_fields(order: Order) -> dict:
    """What every order event says of its order (``plugin_sdk.events``)."""
    return {"order_id": order.id, "number": str(order.number), "status": order.status.value, "total": order.total,
            "currency": order.currency}


def payment_event_fields(order: Order, payment: Payment) -> dict:
    """What every payment event says of its payment and order (``plugin_sdk.events``)."""
    return {"payment_id": payment.id, "order_id": order.id, "order_number": str(order.number),
            "plugin_id": payment.plugin_id, "method": payment.method_code, "amount": payment.amount,
            "currency": payment.currency}


class PaymentDeclined(Conflict):
    """The gateway declined a capture. The decline itself is recorded (the payment failed, a timeline
    entry, ``payment.failed``), so the request's changes are kept although it answers 409."""

    code = "payment-declined"


def add_timeline(session: AsyncSession, order: Order, kind: str, message: str, *, actor: str | None = None,
                 **data) -> OrderTimelineEntry:
    entry = OrderTimelineEntry(order_id=order.id, kind=kind, message=message, data=data, actor=actor)
    session.add(entry)
    return entry


def timeline_entry(kind: str, message: str, *, actor: str | None = None, **data) -> dict:
    """One entry for :func:`write_timeline`, as :func:`add_timeline` takes it."""
    return {"kind": kind, "message": message, "data": data, "actor": actor}


async def write_timeline(session: AsyncSession, order_id: int, entries: list[dict]) -> None:
    """Add several entries to an order's timeline now, in one INSERT (see
    :func:`kernel.events.service.write_events` for why a hot path skips the unit of work)."""
    store_id, now = session.info["store_id"], utcnow()
    await session.execute(insert(OrderTimelineEntry.__table__),
                          [{**entry, "store_id": store_id, "order_id": order_id, "created_at": now} for entry in entries])


async def get_order(session: AsyncSession, order_id: int, *, lock: bool = False) -> Order:
    query = select(Order).where(Order.id == order_id)
    if lock:
        query = query.with_for_update()
    order = (await session.execute(query)).scalar_one_or_none()
    if order is None:
        raise NotFound(f"No order with id {order_id} in this store.")
    return order


async def list_orders(session: AsyncSession, *, after: int | None = None, limit: int = 50,
                      status: OrderStatus | None = None, search: str | None = None,
                      customer_id: int | None = None) -> list[Order]:
    """Newest first, keyset-paginated on id (``after`` = the last id of the previous page).
    ``search``: an order number (``17`` or ``#17``) or part of the shopper's email."""
    query = select(Order).order_by(Order.id.desc()).limit(limit)
    if after is not None:
        query = query.where(Order.id < after)
    if status is not None:
        query = query.where(Order.status == status)
    if customer_id is not None:
        query = query.where(Order.customer_id == customer_id)
    if search:
        term = search.strip().lower()
        if term.lstrip("#").isdigit() and len(term) < 10:
            query = query.where(Order.number == int(term.lstrip("#")))
        else:
            query = query.where(contains_text(Order.email, term))
    return list((await session.execute(query)).scalars())


async def lifetime_value(session: AsyncSession, customer_id: int) -> tuple[int, int]:
    """(orders, what they paid net of refunds) over a customer's counted orders (as the reports count)."""
    from kernel.reports.service import COUNTED

    row = (await session.execute(
        select(func.count(Order.id), func.coalesce(func.sum(Order.total - Order.refunded_total), 0))
        .where(Order.customer_id == customer_id, Order.status.in_(COUNTED)))).one()
    return int(row[0]), int(row[1])


async def payments_of(session: AsyncSession, order_id: int) -> list[Payment]:
    return list((await session.execute(select(Payment).where(Payment.order_id == order_id).order_by(Payment.id))).scalars())


async def set_status(session: AsyncSession, order: Order, target: OrderStatus, *, actor: str | None,
                     message: str = "") -> None:
    check_transition(order.status, target)
    previous = order.status
    order.status = target
    add_timeline(session, order, "status", message or f"Status changed from {previous.value} to {target.value}.",
                 actor=actor, previous=previous.value, status=target.value)


async def mark_paid(session: AsyncSession, hooks, order: Order, *, actor: str | None,
                    reference: str | None = None) -> Order:
    """Staff record that the money arrived (manual payments), through the gateway's capture hook."""
    check_transition(order.status, S.paid)
    payment = next((p for p in await payments_of(session, order.id)
                    if p.status in (PaymentStatus.pending, PaymentStatus.authorized)), None)
    if payment is None:
        raise Conflict("This order has no pending payment to mark as received.")
    due = payment.amount
    result = await hooks.capture_payment(payment.plugin_id, order=order_view(order), payment=payment_view(payment),
                                         amount=due)
    if result is not None and result.status == "failed":
        error = result.error or "declined"
        payment.status = PaymentStatus.failed
        add_timeline(session, order, "payment", f"The payment gateway declined the capture: {error}.", actor=actor,
                     plugin_id=payment.plugin_id, status=PaymentStatus.failed.value)
        await emit_event(session, PaymentFailed(**payment_event_fields(order, payment), error=error))
        await session.flush()
        raise PaymentDeclined(f"The payment gateway declined the capture: {error}.")
    if result is None or result.status != "captured":
        raise Conflict(f"The payment gateway did not capture the payment: {getattr(result, 'error', None) or 'no answer'}.")
    payment.status, payment.captured_amount = PaymentStatus.captured, due
    payment.reference = reference or result.reference or payment.reference
    order.paid_total += due
    order.paid_at = utcnow()
    await set_status(session, order, S.paid, actor=actor, message="Payment received.")
    await emit_event(session, OrderPaid(**order_event_fields(order), payment_id=payment.id, amount=due))
    await emit_event(session, PaymentCaptured(**payment_event_fields(order, payment), reference=payment.reference))
    await session.flush()
    return order


def payment_view(payment: Payment) -> PaymentView:
    return PaymentView(id=payment.id, plugin_id=payment.plugin_id, method=payment.method_code, amount=payment.amount,
                       currency=payment.currency, status=payment.status.value, reference=payment.reference,
                       captured_amount=payment.captured_amount or 0, refunded_amount=payment.refunded_amount or 0)


async def fulfil(session: AsyncSession, order: Order, lines: list[tuple[int, int]] | None, *, carrier: str = "",
                 tracking_number: str = "", actor: str | None) -> Fulfilment:
    """Ship some or all remaining units; ``lines`` is ``[(line_id, quantity)]`` or ``None`` for everything."""
    if order.status not in (S.paid, S.partially_fulfilled):
        raise IllegalTransition(f"An order in status '{order.status.value}' cannot be fulfilled; it must be paid first."
                                if order.status == S.pending_payment else
                                f"An order in status '{order.status.value}' cannot be fulfilled.")
    by_id = {line.id: line for line in order.lines}
    wanted = [(l.id, l.quantity - l.fulfilled_quantity) for l in order.lines] if lines is None else lines
    shipped = []
    for line_id, quantity in wanted:
        line = by_id.get(line_id)
        if line is None:
            raise InvalidInput(f"Order line {line_id} is not part of this order.")
        remaining = line.quantity - line.fulfilled_quantity
        if quantity < 0 or quantity > remaining:
            raise InvalidInput(f"Line {line_id} has {remaining} unit(s) left to fulfil, not {quantity}.")
        if quantity:
            line.fulfilled_quantity += quantity
            shipped.append({"line_id": line_id, "quantity": quantity})
    if not shipped:
        raise InvalidInput("Nothing to fulfil.")
    complete = all(l.fulfilled_quantity == l.quantity for l in order.lines)
    await set_status(session, order, S.fulfilled if complete else S.partially_fulfilled, actor=actor)
    fulfilment = Fulfilment(order_id=order.id, carrier=carrier, tracking_number=tracking_number, lines=shipped)
    session.add(fulfilment)
    add_timeline(session, order, "fulfilment", f"Shipped {sum(s['quantity'] for s in shipped)} unit(s)"
                 + (f" with {carrier}, tracking {tracking_number}." if tracking_number else "."), actor=actor,
                 carrier=carrier, tracking_number=tracking_number, lines=shipped)
    if complete:
        await emit_event(session, OrderFulfilled(**order_event_fields(order), carrier=carrier,
                                                 tracking_number=tracking_number))
    await session.flush()
    return fulfilment


async def cancel(session: AsyncSession, order: Order, *, reason: str = "", actor: str | None) -> Order:
    """Cancel and put back into stock exactly what the order took (ledger rows with reason 'restock')."""
    check_transition(order.status, S.cancelled)
    for line in sorted(order.lines, key=lambda l: l.variant_id or 0):
        units = line.quantity - line.fulfilled_quantity
        if line.variant_id is None or units <= 0:
            continue
        try:
            await adjust_stock(session, line.variant_id, units, reason="restock", order_id=order.id, actor=actor,
                               note=f"order {order.number} cancelled")
        except NotFound:
            continue  # the variant was deleted since: nothing to put back
    for payment in await payments_of(session, order.id):
        if payment.status in (PaymentStatus.pending, PaymentStatus.authorized):
            payment.status = PaymentStatus.voided
    order.cancelled_at = utcnow()
    await set_status(session, order, S.cancelled, actor=actor, message=f"Cancelled. {reason}".strip())
    await emit_event(session, OrderCancelled(**order_event_fields(order), reason=reason))
    await session.flush()
    return order


async def refund(session: AsyncSession, hooks, order: Order, amount: int, *, reason: str = "",
                 idempotency_key: str, actor: str | None) -> Refund:
    """Refund part or all of what was paid. The same idempotency key returns the first refund."""
    existing = (await session.execute(select(Refund).where(Refund.idempotency_key == idempotency_key))).scalar_one_or_none()
    if existing is not None:
        if existing.order_id != order.id or existing.amount != amount:
            raise InvalidInput("This Idempotency-Key was already used for a different refund.")
        return existing
    refundable = order.paid_total - order.refunded_total
    if amount <= 0 or amount > refundable:
        raise InvalidInput(f"The refund must be between 1 and {refundable} (minor units).")
    target = S.refunded if amount == refundable else S.partially_refunded
    check_transition(order.status, target)
    payment = next((p for p in await payments_of(session, order.id)
                    if p.captured_amount - p.refunded_amount >= amount), None)
    if payment is None:
        raise Conflict("No captured payment covers this amount.")
    result = await hooks.refund_payment(payment.plugin_id, order=order_view(order), payment=payment_view(payment),
                                        amount=amount)
    if result is None or result.status != "refunded":
        raise Conflict(f"The payment gateway refused the refund: {getattr(result, 'error', None) or 'no answer'}.")
    payment.refunded_amount += amount
    payment.status = PaymentStatus.refunded if payment.refunded_amount == payment.captured_amount \
        else PaymentStatus.partially_refunded
    order.refunded_total += amount
    row = Refund(order_id=order.id, payment_id=payment.id, amount=amount, reason=reason, reference=result.reference,
                 idempotency_key=idempotency_key)
    session.add(row)
    await set_status(session, order, target, actor=actor, message=f"Refunded {amount}. {reason}".strip())
    await session.flush()  # the refund's id, for the events
    await emit_event(session, OrderRefunded(**order_event_fields(order), refund_id=row.id, amount=amount,
                                            refunded_total=order.refunded_total, reason=reason))
    await emit_event(session, PaymentRefunded(**{**payment_event_fields(order, payment), "amount": amount},
                                              refund_id=row.id, refunded_amount=payment.refunded_amount,
                                              reference=row.reference))
    await session.flush()
    return row


async def complete(session: AsyncSession, order: Order, *, actor: str | None) -> Order:
    await set_status(session, order, S.completed, actor=actor, message="Order completed.")
    await session.flush()
    return order


async def add_note(session: AsyncSession, order: Order, body: str, *, actor: str | None) -> OrderTimelineEntry:
    entry = add_timeline(session, order, "note", body, actor=actor)
    await session.flush()
    return entry


async def transition(session: AsyncSession, hooks, order: Order, target: OrderStatus, *, actor: str | None) -> Order:
    """The generic transition endpoint, dispatching to the operation that carries each change's side effects."""
    check_transition(order.status, target)
    if target == S.paid:
        return await mark_paid(session, hooks, order, actor=actor)
    if target == S.cancelled:
        return await cancel(session, order, actor=actor)
    if target == S.fulfilled:
        await fulfil(session, order, None, actor=actor)
        return order
    if target == S.completed:
        return await complete(session, order, actor=actor)
    if target == S.refunded:
        await refund(session, hooks, order, order.paid_total - order.refunded_total,
                     idempotency_key=f"transition-{uuid.uuid4()}", actor=actor)
        return order
    raise InvalidInput(f"'{target.value}' follows from fulfilling or refunding part of the order; "
                       "use the fulfilments or refunds endpoint with quantities or an amount.")


async def timeline(session: AsyncSession, order_id: int) -> list[OrderTimelineEntry]:
    return list((await session.execute(select(OrderTimelineEntry).where(OrderTimelineEntry.order_id == order_id)
                                       .order_by(OrderTimelineEntry.id))).scalars())


async def fulfilments_of(session: AsyncSession, order_id: int) -> list[Fulfilment]:
    return list((await session.execute(select(Fulfilment).where(Fulfilment.order_id == order_id)
                                       .order_by(Fulfilment.id))).scalars())


async def refunds_of(session: AsyncSession, order_id: int) -> list[Refund]:
    return list((await session.execute(select(Refund).where(Refund.order_id == order_id).order_by(Refund.id))).scalars())
