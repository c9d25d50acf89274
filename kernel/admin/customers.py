"""Customers (any staff role, as the API's customer list): search by email or name; a customer's
page with their orders and lifetime value (their counted orders, net of refunds)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query, Request

from kernel.accounts.staff import get_customer, list_customers
from kernel.admin.guards import ADMIN_PATH, PlatformHost, StaffPage
from kernel.admin.layout import store_page
from kernel.catalog.schemas import MAX_INT
from kernel.deps import SessionDep, StoreDep
from kernel.orders.service import lifetime_value, list_orders
from kernel.routing import KernelRouter

router = KernelRouter(prefix=ADMIN_PATH + "/stores/{store_slug}/customers", include_in_schema=False,
                      dependencies=[PlatformHost])
CustomerId = Annotated[int, Path(ge=1, le=MAX_INT)]
PAGE = 50


@router.get("")
async def customers_page(request: Request, store: StoreDep, session: SessionDep, principal: StaffPage,
                         q: Annotated[str | None, Query(max_length=320)] = None,
                         after: Annotated[int | None, Query(ge=1, le=MAX_INT)] = None):
    listed = await list_customers(session, after=after, limit=PAGE, search=q)
    return await store_page(request, session, principal, store, "customers", "store/customers.html", {
        "listed": listed, "q": q or "", "next_after": listed[-1].id if len(listed) == PAGE else None})


@router.get("/{customer_id}")
async def customer_page(customer_id: CustomerId, request: Request, store: StoreDep, session: SessionDep,
                        principal: StaffPage):
    customer = await get_customer(session, customer_id)
    orders, value = await lifetime_value(session, customer.id)
    return await store_page(request, session, principal, store, "customers", "store/customer.html", {
        "customer": customer, "orders": await list_orders(session, customer_id=customer.id, limit=100),
        "counted_orders": orders, "lifetime_value": value})
