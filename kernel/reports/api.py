"""Dashboard report endpoints (staff with the orders:read scope)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import Depends, Query
from pydantic import BaseModel, Field

from kernel.accounts.models import StaffRole
from kernel.deps import Principal, SessionDep, StoreDep, require_staff
from kernel.errors import ERROR_RESPONSES, InvalidInput
from kernel.reports import service
from kernel.routing import KernelRouter

router = KernelRouter(prefix="/api/v1/stores/{store_slug}/reports", tags=["reports"], responses=ERROR_RESPONSES)
ReportsReader = Annotated[Principal, Depends(require_staff(StaffRole.staff, "orders:read"))]
MAX_DAYS = 3660


class FiguresRead(BaseModel):
    orders: int = Field(examples=[12])
    gross_sales: int = Field(examples=[58300], description="Paid by shoppers: lines, shipping and tax.")
    revenue: int = Field(examples=[48000], description="Net merchandise sales, excluding tax and shipping.")
    shipping: int = Field(examples=[6000])
    tax: int = Field(examples=[4300])
    refunds: int = Field(examples=[0])
    cogs: int = Field(examples=[21000], description="Cost of goods sold, at the costs snapshotted on the orders.")
    gross_profit: int = Field(examples=[27000])
    margin_bp: int = Field(examples=[5625], description="Gross profit / revenue in basis points (5625 = 56.25 %).")
    average_order_value: int = Field(examples=[4858], description="gross_sales / orders, rounded half up.")

    @classmethod
    def of(cls, f: service.Figures) -> "FiguresRead":
        return cls(orders=f.orders, gross_sales=f.gross_sales, revenue=f.revenue, shipping=f.shipping, tax=f.tax,
                   refunds=f.refunds, cogs=f.cogs, gross_profit=f.gross_profit, margin_bp=f.margin_bp,
                   average_order_value=f.average_order_value)


class BucketRead(FiguresRead):
    start: date = Field(examples=["2026-11-23"])


FIGURES = {"orders": 12, "gross_sales": 58300, "revenue": 48000, "shipping": 6000, "tax": 4300, "refunds": 0,
           "cogs": 21000, "gross_profit": 27000, "margin_bp": 5625, "average_order_value": 4858}


class SummaryRead(BaseModel):
    model_config = {"json_schema_extra": {"examples": [{
        "currency": "USD", "timezone": "Europe/Berlin", "start": "2026-11-01", "end": "2026-11-30", "bucket": "week",
        "totals": FIGURES, "buckets": [{"start": "2026-10-27", **FIGURES}]}]}}

    currency: str = Field(examples=["USD"])
    timezone: str = Field(examples=["Europe/Berlin"])
    start: date
    end: date
    bucket: str = Field(examples=["day"])
    totals: FiguresRead
    buckets: list[BucketRead]


class ProductRead(BaseModel):
    product_id: int | None = Field(examples=[12])
    name: str = Field(examples=["T-shirt - M"])
    sku: str = Field(examples=["TSHIRT-M"])
    units: int = Field(examples=[30])
    revenue: int = Field(examples=[59970])
    cogs: int = Field(examples=[24000])
    gross_profit: int = Field(examples=[35970])
    margin_bp: int = Field(examples=[5998])


def _check_range(start: date, end: date) -> None:
    if end < start:
        raise InvalidInput("'end' must not be before 'start'.")
    if (end - start).days > MAX_DAYS:
        raise InvalidInput(f"A report covers at most {MAX_DAYS} days.")


@router.get("/sales", summary="Revenue, cost of goods, profit and margin over a period")
async def sales(store: StoreDep, session: SessionDep, staff: ReportsReader,
                start: Annotated[date, Query(examples=["2026-11-01"], description="First day, store time zone.")],
                end: Annotated[date, Query(examples=["2026-11-30"], description="Last day (inclusive).")],
                bucket: Annotated[Literal["day", "week", "month"], Query(examples=["week"])] = "day") -> SummaryRead:
    _check_range(start, end)
    totals, buckets = await service.summary(session, start=start, end=end, tz=store.timezone, bucket=bucket)
    return SummaryRead(currency=store.currency, timezone=store.timezone, start=start, end=end, bucket=bucket,
                       totals=FiguresRead.of(totals),
                       buckets=[BucketRead(start=k, **FiguresRead.of(f).model_dump()) for k, f in buckets])


@router.get("/top-products", summary="Best-selling products by revenue or by profit")
async def top_products(store: StoreDep, session: SessionDep, staff: ReportsReader,
                       start: Annotated[date, Query(examples=["2026-11-01"])],
                       end: Annotated[date, Query(examples=["2026-11-30"])],
                       by: Annotated[Literal["revenue", "profit"], Query(examples=["profit"])] = "revenue",
                       limit: Annotated[int, Query(ge=1, le=100, examples=[10])] = 10) -> list[ProductRead]:
    _check_range(start, end)
    rows = await service.top_products(session, start=start, end=end, tz=store.timezone, by=by, limit=limit)
    return [ProductRead(product_id=r.product_id, name=r.name, sku=r.sku, units=r.units, revenue=r.revenue,
                        cogs=r.cogs, gross_profit=r.gross_profit, margin_bp=r.margin_bp) for r in rows]
