"""Storefront checkout API, on the shopper's current cart (token header/cookie, or signed-in customer)."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Annotated

from fastapi import Body, Header, Request, Response, status

from kernel.carts.api import PUBLIC, CurrentCart
from kernel.checkout import service
from kernel.checkout.placing import place_order
from kernel.checkout.schemas import CheckoutRead, CheckoutUpdate, OrderPlaced, PlacedPayment, PlaceOrder
from kernel.checkout.service import choice_id
from kernel.deps import SessionDep
from kernel.errors import ERROR_RESPONSES
from kernel.plugins import StoreHooksDep
from kernel.routing import KernelRouter

router = KernelRouter(prefix="/api/v1/stores/{store_slug}/carts/current/checkout", tags=["storefront: checkout"],
                   responses=ERROR_RESPONSES)


def render_placed(order, payment) -> dict:
    return OrderPlaced(
        id=order.id, number=order.number, status=order.status.value, email=order.email, currency=order.currency,
        subtotal=order.subtotal, discount_total=order.discount_total, shipping_total=order.shipping_total,
        tax_total=order.tax_total, total=order.total, prices_include_tax=order.prices_include_tax,
        payment=PlacedPayment(id=payment.id, method_id=choice_id(payment.plugin_id, payment.method_code),
                              status=payment.status.value, amount=payment.amount, reference=payment.reference,
                              instructions=payment.instructions),
    ).model_dump(mode="json")


@router.get("", summary="Get the checkout", openapi_extra=PUBLIC)
async def read_checkout(cart: CurrentCart, session: SessionDep, hooks: StoreHooksDep) -> CheckoutRead:
    """Shipping rates, payment methods, tax and totals for the cart as it is now, plus what is missing."""
    return CheckoutRead.of(await service.build_checkout(session, hooks, cart))


@router.patch("", summary="Update contact, addresses, shipping or payment choice", openapi_extra=PUBLIC)
async def update_checkout(data: CheckoutUpdate, cart: CurrentCart, session: SessionDep,
                          hooks: StoreHooksDep) -> CheckoutRead:
    """Addresses are validated per country; a rate or payment method must be one currently offered."""
    await service.update_checkout(session, hooks, cart, data.model_dump(exclude_unset=True, mode="json"))
    return CheckoutRead.of(await service.build_checkout(session, hooks, cart))


def placement_slots(request: Request) -> asyncio.Semaphore | contextlib.nullcontext:
    """The process's placement slots (``placement_concurrency``), created on first use."""
    slots = getattr(request.app.state, "placement_slots", None)
    if slots is None:
        limit = request.app.state.settings.placement_concurrency
        slots = request.app.state.placement_slots = asyncio.Semaphore(limit) if limit else contextlib.nullcontext()
    return slots


@router.post("/place", status_code=status.HTTP_201_CREATED, summary="Place the order", openapi_extra=PUBLIC)
async def place(request: Request, cart: CurrentCart, session: SessionDep, hooks: StoreHooksDep, response: Response,
                data: Annotated[PlaceOrder | None, Body(examples=[{"expected_total": 4824}])] = None,
                idempotency_key: Annotated[str | None, Header(
                    max_length=200, description="Replays with the same key return the same order.",
                    examples=["b1f0c3e2-6a4d-4a57-9c1e-2f7d9a0c5b11"])] = None) -> OrderPlaced:
    """Turns the cart into an order in one transaction: stock taken, order numbered, payment started."""
    body = (data or PlaceOrder()).model_dump(mode="json")
    async with placement_slots(request):
        code, payload, replayed = await place_order(session, hooks, cart, body, idempotency_key=idempotency_key,
                                                    render=render_placed)
    response.status_code = code
    if replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return OrderPlaced.model_validate(payload)
