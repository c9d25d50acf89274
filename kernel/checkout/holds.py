"""Stock held for a cart in checkout, so the shopper filling in the form is not outrun.

A store opts in with ``checkout_hold_minutes`` (0, the default, holds nothing; Saleor's checkout
reservations work the same way). Then every update of a cart's checkout holds each of its tracked
lines for that long, replacing what the cart held before (:func:`hold_cart_stock`). While a hold
is live every other shopper sees those units as unavailable: the product pages' and the API's
``available``, other carts' holds, and other carts' placements (which may take only what nobody
else holds). Placing the order takes the stock and ends the cart's holds in its one transaction
(:func:`lock_for_sale`, then the stock, then :func:`end_holds`); an abandoned checkout's holds
simply run out. The cart's own messages keep reading the stock on hand: a hold is checkout's
promise, not the cart's.

The holds are ``kernel.inventory`` reservations named ``cart:<id>`` (``Cart.hold_ref``); the
variant row is locked before each is written, so concurrent checkouts never hold more than there
is. A guest cart merged into a customer's at sign-in gives its holds up.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.carts.models import Cart
from kernel.carts.service import PricedCart
from kernel.catalog.models import ProductVariant
from kernel.inventory.service import OutOfStock, available, release, reserve
from kernel.tenancy import StoreContext


def _quantities(priced: PricedCart) -> dict[int, tuple[int, str]]:
    """variant id → (units wanted, the line's name), over the cart's sellable lines."""
    wanted: dict[int, tuple[int, str]] = {}
    for line in priced.lines:
        if line.problem is None:
            units, _ = wanted.get(line.variant_id, (0, line.name))
            wanted[line.variant_id] = (units + line.quantity, line.name)
    return wanted


async def hold_cart_stock(session: AsyncSession, store: StoreContext, priced: PricedCart) -> None:
    """Hold the cart's lines for the store's ``checkout_hold_minutes`` (nothing when 0).

    Refused with :class:`OutOfStock` (409) naming the first line that cannot be held and how many
    units could be; the request's transaction then rolls the whole update back.
    """
    if not store.checkout_hold_minutes:
        return
    ref, ttl = priced.cart.hold_ref, timedelta(minutes=store.checkout_hold_minutes)
    await release(session, ref)  # lines removed or lowered since the last update hold nothing more
    for variant_id, (units, name) in sorted(_quantities(priced).items()):  # id order: no deadlocks
        try:
            await reserve(session, variant_id, units, ref, ttl)
        except OutOfStock:
            left = max(await available(session, variant_id) or 0, 0)
            raise OutOfStock(f"Only {left} of '{name}' can be held for you now: other shoppers are checking "
                             "out with the rest. Lower the quantity, or try again in a few minutes.") from None


async def lock_for_sale(session: AsyncSession, store: StoreContext, variant_ids: list[int]) -> None:
    """Before a placement takes stock (``change_stock(…, for_cart=cart.hold_ref)``, in id order),
    when the store holds stock: lock the variants, so that those stock statements see every hold
    committed before them. One statement's snapshot is taken before it waits for a row lock and
    would miss a hold committed meanwhile; the stock itself is never oversold either way."""
    if store.checkout_hold_minutes and variant_ids:
        await session.execute(select(ProductVariant.id).where(ProductVariant.id.in_(variant_ids))
                              .order_by(ProductVariant.id).with_for_update())


async def end_holds(session: AsyncSession, store: StoreContext, cart: Cart) -> None:
    """The cart is ordered: its holds end. (Holds taken before the store turned them off are left
    to run out: the placement already took its units past them.)"""
    if store.checkout_hold_minutes:
        await release(session, cart.hold_ref)
