"""Staff order API: list, detail, transitions, fulfilments, notes, cancellation, payment, refunds."""

from __future__ import annotations

from typing import Annotated

from fastapi import Body, Depends, Header, Path, Query, Request, status
from fastapi.responses import Response

from kernel.accounts.models import StaffRole
from kernel.catalog.schemas import MAX_INT
from kernel.deps import Principal, SessionDep, require_staff
from kernel.errors import ERROR_RESPONSES, DomainError, problem_response
from kernel.orders import service
from kernel.orders.models import Order, OrderStatus
from kernel.orders.schemas import (CancelCreate, FulfilmentCreate, FulfilmentRead, MarkPaidCreate, NoteCreate,
                                   OrderRead, OrderSummary, RefundCreate, RefundRead, TimelineRead, TransitionCreate)
from kernel.plugins import StoreHooksDep
from kernel.routing import KernelRouter

router = KernelRouter(prefix="/api/v1/stores/{store_slug}/orders", tags=["orders"], responses=ERROR_RESPONSES)

OrdersReader = Annotated[Principal, Depends(require_staff(StaffRole.staff, "orders:read"))]
OrdersWriter = Annotated[Principal, Depends(require_staff(StaffRole.staff, "orders:write"))]
OrderId = Annotated[int, Path(ge=1, le=MAX_INT, description="The order's id.", examples=[17])]


def kept_error(request: Request, exc: DomainError) -> Response:
    """Answer ``exc`` as the problem it is, but as a returned response, so the request's transaction
    commits: for refusals whose record must stay (a declined capture, :class:`service.PaymentDeclined`)."""
    return problem_response(request, exc.status, exc.title, detail=exc.detail, code=exc.code)


def actor_of(principal: Principal) -> str:
    if principal.api_key_id is not None:
        return f"api_key:{principal.api_key_id}"
    return f"user:{principal.user.id}" if principal.user else "system"


async def _detail(session, order: Order) -> OrderRead:
    return OrderRead.build(order, await service.payments_of(session, order.id),
                           await service.refunds_of(session, order.id),
                           await service.fulfilments_of(session, order.id),
                           await service.timeline(session, order.id))


@router.get("", summary="List orders")
async def list_orders(session: SessionDep, staff: OrdersReader,
                      after: Annotated[int | None, Query(ge=0, le=MAX_INT, description="Cursor: the last id of the previous page.",
                                                      examples=[120])] = None,
                      limit: Annotated[int, Query(ge=1, le=200, examples=[50])] = 50,
                      status_: Annotated[OrderStatus | None, Query(alias="status", examples=["paid"])] = None) -> list[OrderSummary]:
    """Newest first; one query per page whatever its size."""
    return [OrderSummary.model_validate(o) for o in await service.list_orders(session, after=after, limit=limit,
                                                                               status=status_)]


@router.get("/{order_id}", summary="Get an order with its lines, payments, fulfilments and timeline")
async def read_order(order_id: OrderId, session: SessionDep, staff: OrdersReader) -> OrderRead:
    return await _detail(session, await service.get_order(session, order_id))


@router.post("/{order_id}/transitions", summary="Move an order to another status")
async def transition(order_id: OrderId, data: TransitionCreate, session: SessionDep, staff: OrdersWriter,
                     hooks: StoreHooksDep, request: Request) -> OrderRead:
    """Refused with 409 when the state machine does not allow it (see docs/orders.md)."""
    order = await service.get_order(session, order_id, lock=True)
    try:
        await service.transition(session, hooks, order, data.to, actor=actor_of(staff))
    except service.PaymentDeclined as declined:
        return kept_error(request, declined)
    return await _detail(session, order)


@router.post("/{order_id}/mark-paid", summary="Mark the payment as received")
async def mark_paid(order_id: OrderId, session: SessionDep, staff: OrdersWriter, hooks: StoreHooksDep,
                    request: Request,
                    data: Annotated[MarkPaidCreate | None, Body(examples=[{"reference": "Statement #44"}])] = None) -> OrderRead:
    """409 when the gateway declines the capture: the payment is then recorded as failed
    (``payment.failed``) and the order stays unpaid."""
    order = await service.get_order(session, order_id, lock=True)
    try:
        await service.mark_paid(session, hooks, order, actor=actor_of(staff),
                                reference=data.reference if data else None)
    except service.PaymentDeclined as declined:
        return kept_error(request, declined)
    return await _detail(session, order)


@router.post("/{order_id}/fulfilments", status_code=status.HTTP_201_CREATED, summary="Ship some or all items")
async def fulfil(order_id: OrderId, data: FulfilmentCreate, session: SessionDep, staff: OrdersWriter) -> FulfilmentRead:
    order = await service.get_order(session, order_id, lock=True)
    lines = None if data.lines is None else [(l.line_id, l.quantity) for l in data.lines]
    return FulfilmentRead.model_validate(await service.fulfil(
        session, order, lines, carrier=data.carrier, tracking_number=data.tracking_number, actor=actor_of(staff)))


@router.post("/{order_id}/notes", status_code=status.HTTP_201_CREATED, summary="Add a staff note")
async def add_note(order_id: OrderId, data: NoteCreate, session: SessionDep, staff: OrdersWriter) -> TimelineRead:
    order = await service.get_order(session, order_id)
    return TimelineRead.model_validate(await service.add_note(session, order, data.body, actor=actor_of(staff)))


@router.post("/{order_id}/cancel", summary="Cancel the order and restock its items")
async def cancel(order_id: OrderId, session: SessionDep, staff: OrdersWriter,
                 data: Annotated[CancelCreate | None, Body(examples=[{"reason": "Customer asked."}])] = None) -> OrderRead:
    order = await service.get_order(session, order_id, lock=True)
    await service.cancel(session, order, reason=data.reason if data else "", actor=actor_of(staff))
    return await _detail(session, order)


@router.post("/{order_id}/refunds", status_code=status.HTTP_201_CREATED, summary="Refund part or all of the payment")
async def refund(order_id: OrderId, data: RefundCreate, session: SessionDep, staff: OrdersWriter, hooks: StoreHooksDep,
                 idempotency_key: Annotated[str, Header(min_length=1, max_length=200,
                                                        examples=["refund-17-1"])]) -> RefundRead:
    """The Idempotency-Key header is required: a retried refund never pays out twice."""
    order = await service.get_order(session, order_id, lock=True)
    return RefundRead.model_validate(await service.refund(
        session, hooks, order, data.amount, reason=data.reason, idempotency_key=idempotency_key,
        actor=actor_of(staff)))
