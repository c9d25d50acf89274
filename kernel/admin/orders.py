"""Orders: the list (status filter, search by number or email) and an order's page (lines, totals,
cost and profit, payments, refunds, fulfilments, timeline) with its actions: mark paid, fulfil with
carrier and tracking number, cancel, refund all or part.

Every action calls the orders API's endpoint function, so its role, state machine, stock, events
and timeline entries are the API's. A refund's idempotency key is a token made when the order's
page is drawn, so a double-submitted refund form pays out once.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query, Request
from pydantic import ValidationError

from kernel.accounts.models import StaffRole
from kernel.admin.changes import refusable
from kernel.admin.guards import ADMIN_PATH, ManagerPage, PlatformHost, StaffPage
from kernel.admin.layout import role_in, store_page
from kernel.admin.rendering import field_errors, redirect
from kernel.catalog.schemas import MAX_INT
from kernel.checkout.money import exponent, parse_amount
from kernel.deps import Principal, SessionDep, StoreDep
from kernel.errors import DomainError, InvalidInput
from kernel.orders import api as orders_api
from kernel.orders import service
from kernel.orders.models import OrderStatus
from kernel.orders.schemas import CancelCreate, FulfilmentCreate, MarkPaidCreate, RefundCreate
from kernel.plugins import StoreHooksDep
from kernel.routing import KernelRouter
from kernel.security import new_token
from kernel.tenancy import StoreContext

router = KernelRouter(prefix=ADMIN_PATH + "/stores/{store_slug}/orders", include_in_schema=False,
                      dependencies=[PlatformHost])
OrderId = Annotated[int, Path(ge=1, le=MAX_INT)]
PAGE = 50


@router.get("")
async def orders_page(request: Request, store: StoreDep, session: SessionDep, principal: StaffPage,
                      q: Annotated[str | None, Query(max_length=320)] = None,
                      status: Annotated[str | None, Query(max_length=40)] = None,
                      after: Annotated[int | None, Query(ge=1, le=MAX_INT)] = None):
    # The filter form sends "status=" for "any status": only a known status filters.
    status = OrderStatus(status) if status in OrderStatus._value2member_map_ else None
    listed = await service.list_orders(session, after=after, limit=PAGE, status=status, search=q)
    return await store_page(request, session, principal, store, "orders", "store/orders.html", {
        "listed": listed, "q": q or "", "status": status, "statuses": list(OrderStatus),
        "next_after": listed[-1].id if len(listed) == PAGE else None})


def refundable(order) -> int:
    """What the order's payments can still give back."""
    return sum(p.captured_amount - p.refunded_amount for p in order.payments)


async def _order_page(request: Request, session, principal: Principal, store: StoreContext, order_id: int,
                      errors: dict | None = None, values: dict | None = None, status_code: int = 200):
    order = await orders_api.read_order(order_id, session, principal)
    return await store_page(request, session, principal, store, "orders", "store/order.html", {
        "order": order, "refundable": refundable(order), "can_refund": role_in(principal, store).rank >= StaffRole.manager.rank,
        "refund_token": new_token("rf_"), "errors": errors or {}, "values": values or {}}, status_code)


@router.get("/{order_id}")
async def order_page(order_id: OrderId, request: Request, store: StoreDep, session: SessionDep, principal: StaffPage):
    return await _order_page(request, session, principal, store, order_id)


def _back(request: Request, store: StoreContext, order_id: int, message: str) -> object:
    return redirect(request, f"{ADMIN_PATH}/stores/{store.slug}/orders/{order_id}", message)


async def _refused(request, session, principal, store, order_id, refused: DomainError | ValidationError, field: str,
                   values: dict):
    """The order's page again, the refusal beside the form that caused it (the change rolled back to
    its savepoint, which also expired what it had touched)."""
    if isinstance(refused, ValidationError):
        errors = {f"{field}.{k}" if k != "form" else field: v for k, v in field_errors(refused.errors()).items()}
        status_code = 422
    else:
        errors, status_code = {field: refused.detail}, refused.status
    return await _order_page(request, session, principal, store, order_id, errors, values, status_code)


async def _order_action(request: Request, session, principal: Principal, store: StoreContext, order_id: int,
                        action: str, change, done: str):
    """One of the order page's forms: ``change(form)`` makes the API call; a refusal is shown beside
    the form named ``action``, a success redirects back to the order with ``done``."""
    form = await request.form()
    try:
        async with refusable(session):
            await change(form)
    except (ValidationError, DomainError) as refused:
        return await _refused(request, session, principal, store, order_id, refused, action, dict(form))
    return _back(request, store, order_id, done)


def _text(form, name: str) -> str:
    return str(form.get(name) or "").strip()


@router.post("/{order_id}/mark-paid")
async def mark_paid(order_id: OrderId, request: Request, store: StoreDep, session: SessionDep, principal: StaffPage,
                    hooks: StoreHooksDep):
    return await _order_action(request, session, principal, store, order_id, "mark_paid", lambda form: orders_api.mark_paid(
        order_id, session, principal, hooks, MarkPaidCreate(reference=_text(form, "reference") or None)),
        "Marked as paid.")


@router.post("/{order_id}/fulfil")
async def fulfil(order_id: OrderId, request: Request, store: StoreDep, session: SessionDep, principal: StaffPage):
    return await _order_action(request, session, principal, store, order_id, "fulfil", lambda form: orders_api.fulfil(
        order_id, FulfilmentCreate(carrier=_text(form, "carrier"), tracking_number=_text(form, "tracking_number")),
        session, principal), "Fulfilled: every open item is on its way.")


@router.post("/{order_id}/cancel")
async def cancel(order_id: OrderId, request: Request, store: StoreDep, session: SessionDep, principal: StaffPage):
    return await _order_action(request, session, principal, store, order_id, "cancel", lambda form: orders_api.cancel(
        order_id, session, principal, CancelCreate(reason=_text(form, "reason"))),
        "Cancelled; its items are back in stock.")


@router.post("/{order_id}/refund")
async def refund(order_id: OrderId, request: Request, store: StoreDep, session: SessionDep, principal: ManagerPage,
                 hooks: StoreHooksDep):
    """``amount`` in major units (``12.50``), or ``full`` for everything still refundable."""

    async def change(form):
        token = _text(form, "refund_token")
        if not token.startswith("rf_") or len(token) > 100:
            raise InvalidInput("This form has expired. Reload the page and try again.")
        if form.get("full"):
            amount = refundable(await orders_api.read_order(order_id, session, principal))
        else:
            try:
                amount = parse_amount(_text(form, "amount"), exponent(store.currency))
            except ValueError as bad:
                raise InvalidInput(f"The amount {bad}.") from None
        await orders_api.refund(order_id, RefundCreate(amount=amount, reason=_text(form, "reason")), session,
                                principal, hooks, f"admin-{token}")

    return await _order_action(request, session, principal, store, order_id, "refund", change, "Refund recorded.")
