"""Isolation object makers for cart, checkout and order routes."""

from __future__ import annotations

from kernel.carts.service import add_line, create_cart
from kernel.orders.models import Order, OrderLine
from kernel.orders.service import next_order_number
from tests.support import shop
from tests.support.isolation import object_maker


@object_maker("line_id")
async def _line(factory, store) -> str:
    v = await shop.variant(factory, store)
    async with factory.session(store) as session:
        cart, _token = await create_cart(session, store.currency)
        line = await add_line(session, cart, v.id, 1)
        return str(line.id)


@object_maker("order_id")
async def _order(factory, store) -> str:
    v = await shop.variant(factory, store)
    async with factory.session(store) as session:
        number = await next_order_number(session, store.id)
        order = Order(number=number, currency=store.currency, email="x@example.com", subtotal=1000, total=1000,
                      lines=[OrderLine(variant_id=v.id, product_id=v.product_id, sku=v.sku, name="x", quantity=1,
                                       unit_price=1000, unit_cost=400, subtotal=1000, net_revenue=1000, total=1000)])
        session.add(order)
        await session.flush()
        return str(order.id)
