"""Report computations. Every figure is a sum of integers snapshotted on order lines at placing,
so a report for last year gives the same answer tomorrow whatever happened to the catalog.

Counted orders: those paid (paid, partially/fully fulfilled, completed, partially refunded).
Pending (unpaid), cancelled and fully refunded orders are left out. Periods are dates in the
store's time zone; buckets (day, week starting Monday, month) too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.orders.models import Order, OrderLine, OrderStatus

COUNTED = (OrderStatus.paid, OrderStatus.partially_fulfilled, OrderStatus.fulfilled, OrderStatus.completed,
           OrderStatus.partially_refunded)


def ratio_bp(numerator: int, denominator: int) -> int:
    """numerator / denominator in basis points, rounded half up; 0 when the denominator is 0."""
    if denominator == 0:
        return 0
    sign = -1 if (numerator < 0) != (denominator < 0) else 1
    n, d = abs(numerator) * 10_000, abs(denominator)
    return sign * ((2 * n + d) // (2 * d))


def div_half_up(numerator: int, denominator: int) -> int:
    return 0 if denominator == 0 else (2 * numerator + denominator) // (2 * denominator)


@dataclass
class Figures:
    orders: int = 0
    gross_sales: int = 0  # what shoppers paid: lines, shipping and tax
    revenue: int = 0  # net merchandise sales: excluding tax, shipping and discounts
    shipping: int = 0
    tax: int = 0
    refunds: int = 0
    cogs: int = 0

    @property
    def gross_profit(self) -> int:
        return self.revenue - self.cogs

    @property
    def margin_bp(self) -> int:
        return ratio_bp(self.gross_profit, self.revenue)

    @property
    def average_order_value(self) -> int:
        return div_half_up(self.gross_sales, self.orders)


def utc_range(start: date, end: date, tz: str) -> tuple[datetime, datetime]:
    """[start 00:00, day after end 00:00) in the store's zone, as UTC instants."""
    zone = ZoneInfo(tz)
    lo = datetime.combine(start, time.min, zone).astimezone(timezone.utc)
    hi = datetime.combine(end + timedelta(days=1), time.min, zone).astimezone(timezone.utc)
    return lo, hi


def bucket_of(moment: datetime, tz: str, bucket: str) -> date:
    if moment.tzinfo is None:  # SQLite hands back naive UTC
        moment = moment.replace(tzinfo=timezone.utc)
    day = moment.astimezone(ZoneInfo(tz)).date()
    if bucket == "week":
        return day - timedelta(days=day.weekday())
    if bucket == "month":
        return day.replace(day=1)
    return day


async def summary(session: AsyncSession, *, start: date, end: date, tz: str,
                  bucket: str = "day") -> tuple[Figures, list[tuple[date, Figures]]]:
    """Totals for the range and per bucket; one query whatever the number of orders."""
    lo, hi = utc_range(start, end, tz)
    per_order = (select(OrderLine.order_id.label("order_id"),
                        func.sum(OrderLine.net_revenue).label("revenue"),
                        func.sum(OrderLine.unit_cost * OrderLine.quantity).label("cogs"))
                 .group_by(OrderLine.order_id).subquery())
    rows = await session.execute(
        select(Order.placed_at, Order.total, Order.shipping_total, Order.tax_total, Order.refunded_total,
               per_order.c.revenue, per_order.c.cogs)
        .join(per_order, per_order.c.order_id == Order.id)
        .where(Order.placed_at >= lo, Order.placed_at < hi, Order.status.in_(COUNTED)))
    total, buckets = Figures(), {}
    for placed_at, order_total, shipping, tax, refunded, revenue, cogs in rows:
        key = bucket_of(placed_at, tz, bucket)
        for figures in (total, buckets.setdefault(key, Figures())):
            figures.orders += 1
            figures.gross_sales += order_total
            figures.revenue += int(revenue or 0)
            figures.shipping += shipping
            figures.tax += tax
            figures.refunds += refunded
            figures.cogs += int(cogs or 0)
    return total, sorted(buckets.items())


@dataclass
class ProductFigures:
    product_id: int | None
    name: str
    sku: str
    units: int
    revenue: int
    cogs: int

    @property
    def gross_profit(self) -> int:
        return self.revenue - self.cogs

    @property
    def margin_bp(self) -> int:
        return ratio_bp(self.gross_profit, self.revenue)


async def top_products(session: AsyncSession, *, start: date, end: date, tz: str, by: str = "revenue",
                       limit: int = 10) -> list[ProductFigures]:
    lo, hi = utc_range(start, end, tz)
    revenue = func.sum(OrderLine.net_revenue)
    cogs = func.sum(OrderLine.unit_cost * OrderLine.quantity)
    order_by = (revenue - cogs) if by == "profit" else revenue
    rows = await session.execute(
        select(OrderLine.product_id, func.max(OrderLine.name), func.max(OrderLine.sku), func.sum(OrderLine.quantity),
               revenue, cogs)
        .join(Order, Order.id == OrderLine.order_id)
        .where(Order.placed_at >= lo, Order.placed_at < hi, Order.status.in_(COUNTED))
        .group_by(OrderLine.product_id).order_by(order_by.desc(), OrderLine.product_id).limit(limit))
    return [ProductFigures(pid, name, sku, int(units), int(rev), int(cost))
            for pid, name, sku, units, rev, cost in rows]
