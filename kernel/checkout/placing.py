"""Placing an order: ONE transaction (the request's) that either does everything or nothing.

Order of work, chosen for correctness under concurrency:

1. Claim the Idempotency-Key (insert; a concurrent twin waits on the unique index, then reads the
   committed answer). Same key, different cart or body: refused, nothing changes.
2. Close the cart (conditional UPDATE): the same cart can become an order only once.
3. Recompute the checkout from the catalog and plugins; refuse if anything is missing.
4. Decrement stock variant by variant in id order (no deadlocks between carts sharing items),
   leaving what other carts in checkout hold, and end this cart's holds
   (:mod:`kernel.checkout.holds`); any shortfall raises and rolls the whole order back.
5. Take the store's next order number (:func:`kernel.orders.service.take_order_number`: on
   PostgreSQL committed on its own, so placements do not queue on the store's counter), insert
   the order and its lines, then the stock ledger rows naming it.
6. Ask the chosen gateway to start the payment, record it, emit ``order.placed``, store the answer
   under the idempotency key.

Every row a placement writes (the order and its lines, the ledger's, the payment, the timeline's,
the outbox's, the cart's link to its order) is a Core statement run at once, not an object
flushed by the unit of work, whose bookkeeping cost more than writing the rows
(docs/decisions/placement-core-statements.md). Only a gateway that charges at once loads the
order, to move it to paid through the state machine like any other payment.
"""

from __future__ import annotations

import functools
import hashlib
import json
import uuid
from typing import Any

from sqlalchemy import Integer, bindparam, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from kernel.carts.models import Cart, CartStatus
from kernel.carts.service import CartAlreadyOrdered
from kernel.checkout.holds import end_holds, lock_for_sale
from kernel.checkout.models import IdempotencyKey
from kernel.checkout.service import build_checkout
from kernel.db import bound_store_id, dialect_of, upsert_insert_for, utcnow
from kernel.errors import Conflict, InvalidInput
from kernel.events.service import write_events
from kernel.inventory.service import OutOfStock, change_stock, record_changes
from kernel.orders.models import Order, OrderLine, OrderStatus, Payment, PaymentStatus
from kernel.orders.service import (order_event_fields, order_view, payment_event_fields, set_status,
                                   take_order_number, timeline_entry, write_timeline)
from plugin_sdk.events import OrderPaid, OrderPlaced, PaymentCaptured


class IdempotencyKeyReused(InvalidInput):
    code = "idempotency-key-reused"


class CheckoutIncomplete(InvalidInput):
    code = "checkout-incomplete"


class TotalChanged(Conflict):
    code = "total-changed"


def fingerprint(cart_id: int, body: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps({"cart": cart_id, "body": body}, sort_keys=True).encode()).hexdigest()


@functools.cache
def _claim(dialect: str):
    """Built once per dialect: insert the key row unless the store has it (binds ``store_id``,
    ``key``, ``fingerprint``); RETURNING gives the new row's id, or nothing when it existed."""
    table = IdempotencyKey.__table__
    values = {"store_id": bindparam("store_id"), "key": bindparam("key"), "scope": "place_order",
              "fingerprint": bindparam("fingerprint")}
    return (upsert_insert_for(dialect, table).values(**values)
            .on_conflict_do_nothing(index_elements=["store_id", "key"]).returning(table.c.id))


@functools.cache
def _record_answer():
    """Built once: store the placement's answer under its key (binds ``key_id``, ``response``, ``order_id``)."""
    k = IdempotencyKey.__table__.c  # Core: see kernel.db.bound_store_id
    return (update(IdempotencyKey.__table__)
            .where(k.id == bindparam("key_id", type_=Integer), k.store_id == bound_store_id())
            .values(status_code=201, response=bindparam("response", type_=k.response.type),
                    order_id=bindparam("order_id", type_=Integer)))


@functools.cache
def _set_cart_order():
    """Built once: name the order on its cart (binds ``cart_id``, ``order_id``)."""
    c = Cart.__table__.c  # Core: see kernel.db.bound_store_id
    return (update(Cart.__table__).where(c.id == bindparam("cart_id", type_=Integer), c.store_id == bound_store_id())
            .values(order_id=bindparam("order_id", type_=Integer)))


@functools.cache
def _insert_returning_id(table):
    """Built once per table: an INSERT of one row that returns the new row's id."""
    return insert(table).returning(table.c.id)


async def _write_order(session: AsyncSession, values: dict[str, Any], lines: list[dict[str, Any]]) -> Order:
    """The order and its lines, written now (two INSERTs; see the module's docstring). Returns an
    :class:`Order` outside the session holding what was written (its lines left out: nobody reads
    them here) for the payment gateway, the events and the answer."""
    store_id, now = session.info["store_id"], utcnow()
    values = {**values, "store_id": store_id, "placed_at": now, "created_at": now, "updated_at": now,
              "paid_total": 0, "refunded_total": 0}
    order_id = (await session.execute(_insert_returning_id(Order.__table__), values)).scalar_one()
    await session.execute(insert(OrderLine.__table__),
                          [{**line, "store_id": store_id, "order_id": order_id} for line in lines])
    return Order(id=order_id, **values)


async def _write_payment(session: AsyncSession, order: Order, *, status: PaymentStatus, **fields) -> Payment:
    """The order's payment, written now (see :func:`kernel.events.service.write_events`); returned
    as a :class:`Payment` outside the session for the answer. A gateway that charged at once has
    captured it all."""
    values = {**fields, "order_id": order.id, "amount": order.total, "currency": order.currency, "status": status,
              "captured_amount": order.total if status == PaymentStatus.captured else 0, "refunded_amount": 0}
    payment_id = (await session.execute(_insert_returning_id(Payment.__table__),
                                        {**values, "store_id": session.info["store_id"]})).scalar_one()
    return Payment(id=payment_id, **values)


async def claim_key(session: AsyncSession, store_id: int, key: str, print_: str) -> tuple[int | None, IdempotencyKey | None]:
    """Insert the key row: returns (new row id, None), or (None, earlier row with its answer) when the
    key was used before."""
    inserted = (await session.execute(_claim(dialect_of(session)),
                                      {"store_id": store_id, "key": key, "fingerprint": print_})).scalar_one_or_none()
    if inserted is not None:
        return inserted, None
    earlier = (await session.execute(select(IdempotencyKey).where(IdempotencyKey.key == key)
                                     .execution_options(populate_existing=True))).scalar_one()
    if earlier.fingerprint != print_:
        raise IdempotencyKeyReused("This Idempotency-Key was already used with a different cart or request body.")
    if earlier.response is None:
        raise Conflict("A request with this Idempotency-Key is still being processed; retry shortly.")
    return None, earlier


@functools.cache
def _close_statements():
    """Built once: close the cart if it is unchanged since it was read (binds ``cart_id``, ``seen``),
    and close it whatever changed, reloading it (binds ``cart_id``)."""
    cart_id = Cart.id == bindparam("cart_id", type_=Integer)
    c = Cart.__table__.c  # the common case in Core: see kernel.db.bound_store_id
    unchanged = (update(Cart.__table__)
                 .where(c.id == bindparam("cart_id", type_=Integer), c.store_id == bound_store_id(),
                        c.status == CartStatus.open, c.updated_at == bindparam("seen", type_=c.updated_at.type))
                 .values(status=CartStatus.converted).returning(c.id))
    reloading = (update(Cart).where(cart_id, Cart.status == CartStatus.open).values(status=CartStatus.converted)
                 .returning(Cart).execution_options(synchronize_session=False, populate_existing=True))
    return unchanged, reloading


async def close_cart(session: AsyncSession, cart: Cart) -> None:
    """Turn the open cart into a converted one, holding its row lock until commit, and make sure
    ``cart`` (with its lines) is the cart as it is under that lock.

    Every change to a cart bumps its ``updated_at`` under the same lock
    (:func:`kernel.carts.service.lock_open_cart`), so when the row still carries the
    ``updated_at`` read at the start of this request, nothing changed since and the cart in
    hand is current: one plain UPDATE. Otherwise (a change committed meanwhile, or the cart
    is no longer open) the UPDATE's RETURNING reloads the cart, and its lines by selectin: a
    change that committed just before is in the order, none can come after.
    """
    unchanged, reloading = _close_statements()
    if (await session.execute(unchanged, {"cart_id": cart.id, "seen": cart.updated_at})).scalar_one_or_none():
        set_committed_value(cart, "status", CartStatus.converted)
        return
    closed = await session.execute(reloading, {"cart_id": cart.id})
    if closed.scalars().one_or_none() is None:
        raise CartAlreadyOrdered("This cart has already been ordered; start a new cart.")


async def place_order(session: AsyncSession, hooks, cart: Cart, body: dict[str, Any], *,
                      idempotency_key: str | None, render) -> tuple[int, dict[str, Any], bool]:
    """Place ``cart``; returns (status code, response body, replayed?). ``render(order, payment)``
    builds the response body, which is stored with the key so a replay answers exactly the same."""
    store_id = session.info["store_id"]
    key_id = None
    if idempotency_key:
        key_id, earlier = await claim_key(session, store_id, idempotency_key, fingerprint(cart.id, body))
        if earlier is not None:
            return earlier.status_code or 201, earlier.response, True

    await close_cart(session, cart)

    state = await build_checkout(session, hooks, cart)
    stock_problems = [line.problem for line in state.priced.lines if line.problem]
    if stock_problems:
        raise OutOfStock(" ".join(stock_problems))
    if state.problems:
        raise CheckoutIncomplete("The checkout is not complete: " + " ".join(state.problems))
    totals = state.totals
    expected = body.get("expected_total")
    if expected is not None and expected != totals.total:
        raise TotalChanged(f"The total is now {totals.total}, not {expected}; review the cart and confirm again.")

    sellable = [line for line in state.priced.lines if line.problem is None]
    quantities: dict[int, int] = {}
    for line in sellable:
        quantities[line.variant_id] = quantities.get(line.variant_id, 0) + line.quantity
    taken = []
    await lock_for_sale(session, hooks.store, sorted(quantities))
    for variant_id in sorted(quantities):
        try:
            change = await change_stock(session, variant_id, -quantities[variant_id], for_cart=cart.hold_ref)
        except OutOfStock:
            name = next(l.name for l in sellable if l.variant_id == variant_id)
            raise OutOfStock(f"Sorry, '{name}' sold out while you were checking out (or other shoppers hold "
                             "the rest in their checkouts); nothing was charged.") from None
        if change is not None:
            taken.append(change)
    await end_holds(session, hooks.store, cart)

    number = await take_order_number(session, store_id)
    shipping = state.rate
    order_lines = [dict(
        variant_id=priced.variant_id, product_id=priced.product_id, sku=priced.sku, name=priced.name,
        quantity=priced.quantity, unit_price=priced.unit_price, unit_cost=priced.unit_cost,
        subtotal=amounts.subtotal, discount_total=amounts.discount, tax_total=amounts.tax,
        net_revenue=amounts.net_revenue, total=amounts.total, tax_class=priced.tax_class)
        for priced, amounts in zip(sellable, totals.lines)]
    order = await _write_order(session, dict(
        number=number, status=OrderStatus.pending_payment, currency=cart.currency, email=cart.email,
        customer_id=cart.customer_id, cart_id=cart.id, shipping_address=cart.shipping_address,
        billing_address=cart.billing_address or cart.shipping_address,
        shipping_plugin_id=shipping.plugin_id, shipping_code=shipping.code, shipping_name=shipping.name,
        prices_include_tax=totals.prices_include_tax, subtotal=totals.subtotal, discount_total=totals.discount_total,
        shipping_total=totals.shipping_total, shipping_tax=totals.shipping_tax, tax_total=totals.tax_total,
        total=totals.total, tax_lines=[t.model_dump() for t in state.tax_lines]), order_lines)
    await record_changes(session, taken, reason="sold", order_id=order.id, actor=f"order:{order.id}")

    method = state.method
    payment_key = f"place:{idempotency_key or uuid.uuid4()}"
    result = await hooks.create_payment(method.plugin_id, order=order_view(order, order_lines), method=method.code,
                                        amount=order.total, idempotency_key=payment_key)
    if result is None or result.status == "failed":
        raise Conflict(f"The payment could not be started: {getattr(result, 'error', None) or 'no answer from the gateway'}.")
    status = PaymentStatus(result.status) if result.status in PaymentStatus.__members__ else PaymentStatus.pending
    payment = await _write_payment(session, order, plugin_id=method.plugin_id, method_code=method.code, status=status,
                                   reference=result.reference, instructions=result.instructions or method.instructions,
                                   idempotency_key=payment_key)
    await session.execute(_set_cart_order(), {"cart_id": cart.id, "order_id": order.id})
    set_committed_value(cart, "order_id", order.id)
    await write_timeline(session, order.id, [
        timeline_entry("placed", f"Order placed: {len(sellable)} line(s), total {order.total}.",
                       actor=f"customer:{cart.customer_id}" if cart.customer_id else "guest"),
        timeline_entry("payment", f"Payment started with {method.name}.", actor="system",
                       plugin_id=method.plugin_id, method=method.code, status=status.value)])
    events = [OrderPlaced(**order_event_fields(order), email=order.email, customer_id=order.customer_id,
                          subtotal=order.subtotal, discount_total=order.discount_total,
                          shipping_total=order.shipping_total, tax_total=order.tax_total)]
    if status == PaymentStatus.captured:  # gateways that charge at once: the order, loaded, moves to paid
        order = await session.get_one(Order, order.id)
        order.paid_total = payment.amount
        await set_status(session, order, OrderStatus.paid, actor="system", message="Paid at checkout.")
        events += [OrderPaid(**order_event_fields(order), payment_id=payment.id, amount=payment.amount),
                   PaymentCaptured(**payment_event_fields(order, payment), reference=payment.reference)]
        await session.flush()
    await write_events(session, events)
    response = render(order, payment)
    if key_id is not None:
        await session.execute(_record_answer(), {"key_id": key_id, "response": response, "order_id": order.id})
    return 201, response, False
