"""A store's home: the period's figures beside the previous period's, a revenue and profit chart,
top products, low stock and recent orders. Every figure comes from the reports service, the
source of the reports API (the same counted orders, the store's time zone, the same rounding)."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

from babel.numbers import get_currency_symbol
from fastapi import Query, Request
from markupsafe import Markup

from kernel.admin.guards import ADMIN_PATH, PlatformHost, StaffPage
from kernel.admin.layout import store_page
from kernel.deps import SessionDep, StoreDep
from kernel.inventory.service import low_stock
from kernel.orders.service import list_orders
from kernel.reports import service as reports
from kernel.reports.api import MAX_DAYS
from kernel.routing import KernelRouter
from plugin_sdk.money import currency_exponent

router = KernelRouter(prefix=ADMIN_PATH + "/stores/{store_slug}", include_in_schema=False,
                      dependencies=[PlatformHost])
DEFAULT_DAYS = 30


def period(start: date | None, end: date | None, tz: str) -> tuple[date, date]:
    """The chosen days (inclusive), by default the last 30 in the store's time zone."""
    today = datetime.now(ZoneInfo(tz)).date()
    end = end or today
    start = start or end - timedelta(days=DEFAULT_DAYS - 1)
    if start > end:
        start, end = end, start
    return max(start, end - timedelta(days=MAX_DAYS)), end


def change(now: int, before: int) -> int | None:
    """Percent change from the previous period; None when there was nothing before."""
    return None if before == 0 else round((now - before) * 100 / abs(before))


def chart_series(buckets, start: date, end: date, bucket: str, currency: str, symbol: str) -> Markup:
    """The chart's numbers (major units) as JSON for the page's script, every bucket present."""
    by_start = dict(buckets)
    scale = 10 ** currency_exponent(currency)
    labels, revenue, profit = [], [], []
    day = start if bucket == "day" else start - timedelta(days=start.weekday())
    while day <= end:
        figures = by_start.get(day) or reports.Figures()
        labels.append(day.isoformat())
        revenue.append(figures.revenue / scale)
        profit.append(figures.gross_profit / scale)
        day += timedelta(days=1 if bucket == "day" else 7)
    data = json.dumps({"labels": labels, "revenue": revenue, "profit": profit, "prefix": symbol})
    return Markup(data.replace("<", "\\u003c"))  # inside a <script> element


@router.get("")
async def home(request: Request, store: StoreDep, session: SessionDep, principal: StaffPage,
               start: Annotated[date | None, Query()] = None, end: Annotated[date | None, Query()] = None):
    start, end = period(start, end, store.timezone)
    days = (end - start).days + 1
    bucket = "day" if days <= 62 else "week"
    figures, buckets = await reports.summary(session, start=start, end=end, tz=store.timezone, bucket=bucket)
    before_end = start - timedelta(days=1)
    before, _ = await reports.summary(session, start=before_end - timedelta(days=days - 1), end=before_end,
                                      tz=store.timezone)
    top = {by: await reports.top_products(session, start=start, end=end, tz=store.timezone, by=by, limit=5)
           for by in ("revenue", "profit")}
    symbol = get_currency_symbol(store.currency, locale=store.locale.replace("-", "_"))
    return await store_page(request, session, principal, store, "home", "store/home.html", {
        "start": start, "end": end, "figures": figures, "before": before, "change": change, "top": top,
        "series": chart_series(buckets, start, end, bucket, store.currency, symbol),
        "low_stock": await low_stock(session, limit=8), "recent": await list_orders(session, limit=8)})
