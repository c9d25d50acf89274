"""API shapes for staff order management."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from kernel.catalog.schemas import MAX_INT, UtcDatetime
from kernel.checkout.schemas import Text
from kernel.orders.models import Order, OrderStatus


ADDRESS = {"name": "Ada Lovelace", "line1": "1 Market St", "city": "San Francisco", "region": "CA",
           "postcode": "94105", "country": "US"}
LINE = {"id": 3, "variant_id": 42, "product_id": 12, "sku": "TSHIRT-M", "name": "T-shirt - M", "quantity": 2,
        "unit_price": 1999, "unit_cost": 800, "subtotal": 3998, "discount_total": 0, "tax_total": 290,
        "net_revenue": 3998, "total": 4288, "fulfilled_quantity": 0}
TIMELINE = {"kind": "placed", "message": "Order placed: 1 line(s), total 4824.", "data": {}, "actor": "guest",
            "created_at": "2026-11-25T14:03:00Z"}
FULFILMENT = {"id": 1, "carrier": "DHL", "tracking_number": "JD014600003828", "lines": [{"line_id": 3, "quantity": 2}],
              "created_at": "2026-11-26T09:00:00Z"}
PAYMENT = {"id": 9, "plugin_id": "manual_payments", "method_code": "bank_transfer", "amount": 4824,
           "status": "captured", "reference": "manual-1001", "idempotency_key": "place:b1f0c3e2",
           "captured_amount": 4824, "refunded_amount": 0}
REFUND = {"id": 1, "payment_id": 9, "amount": 1999, "reason": "Damaged in transit.", "reference": None,
          "idempotency_key": "refund-17-1", "created_at": "2026-11-27T10:00:00Z"}
SUMMARY = {"id": 17, "number": 1001, "status": "paid", "email": "ada@example.com", "currency": "USD",
           "total": 4824, "placed_at": "2026-11-25T14:03:00Z"}


def _examples(*examples):
    return ConfigDict(from_attributes=True, json_schema_extra={"examples": list(examples)})


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TransitionCreate(_In):
    to: OrderStatus = Field(examples=["completed"])


class FulfilmentLineIn(_In):
    line_id: int = Field(ge=1, le=MAX_INT, examples=[3])
    quantity: int = Field(ge=1, le=100000, examples=[1])


class FulfilmentCreate(_In):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"lines": [{"line_id": 3, "quantity": 1}], "carrier": "DHL", "tracking_number": "JD014600003828"},
        {"carrier": "UPS", "tracking_number": "1Z999AA10123456784"}]})

    lines: list[FulfilmentLineIn] | None = Field(default=None, max_length=500,
                                                 description="Omit to ship everything still open.")
    carrier: Text(100) = Field(default="", examples=["DHL"])
    tracking_number: Text(100) = Field(default="", examples=["JD014600003828"])


class NoteCreate(_In):
    body: Text(5000, 1) = Field(examples=["Customer asked for gift wrapping."])


class CancelCreate(_In):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"reason": "Customer changed their mind."}]})

    reason: Text(500) = Field(default="", examples=["Customer changed their mind."])


class MarkPaidCreate(_In):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"reference": "Statement 2026-11-25 #44"}]})

    reference: Text(200) | None = Field(default=None, examples=["Bank statement 2026-11-25 #44"])


class RefundCreate(_In):
    amount: int = Field(ge=1, le=MAX_INT, examples=[1999], description="Minor units.")
    reason: Text(500) = Field(default="", examples=["Damaged in transit."])


class OrderLineRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int = Field(examples=[3])
    variant_id: int | None = Field(examples=[42])
    product_id: int | None = Field(examples=[12])
    sku: str = Field(examples=["TSHIRT-M"])
    name: str = Field(examples=["T-shirt - M"])
    quantity: int = Field(examples=[2])
    unit_price: int = Field(examples=[1999])
    unit_cost: int = Field(examples=[800])
    subtotal: int = Field(examples=[3998])
    discount_total: int = Field(examples=[0])
    tax_total: int = Field(examples=[360])
    net_revenue: int = Field(examples=[3998])
    total: int = Field(examples=[4358])
    fulfilled_quantity: int = Field(examples=[0])


class OrderSummary(BaseModel):
    model_config = _examples(SUMMARY)

    id: int = Field(examples=[17])
    number: int = Field(examples=[1001])
    status: OrderStatus = Field(examples=["paid"])
    email: str = Field(examples=["ada@example.com"])
    currency: str = Field(examples=["USD"])
    total: int = Field(examples=[4858])
    placed_at: UtcDatetime


class TimelineRead(BaseModel):
    model_config = _examples(TIMELINE)

    kind: str = Field(examples=["note"])
    message: str = Field(examples=["Customer asked for gift wrapping."])
    data: dict[str, Any]
    actor: str | None = Field(examples=["user:3"])
    created_at: UtcDatetime


class FulfilmentRead(BaseModel):
    model_config = _examples(FULFILMENT)

    id: int = Field(examples=[1])
    carrier: str = Field(examples=["DHL"])
    tracking_number: str = Field(examples=["JD014600003828"])
    lines: list[dict[str, int]]
    created_at: UtcDatetime


class PaymentRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int = Field(examples=[1])
    plugin_id: str = Field(examples=["manual_payments"])
    method_code: str = Field(examples=["bank_transfer"])
    amount: int = Field(examples=[4858])
    status: str = Field(examples=["captured"])
    reference: str | None = Field(examples=["manual-1001"])
    idempotency_key: str = Field(examples=["place:b1f0c3e2"])
    captured_amount: int = Field(examples=[4858])
    refunded_amount: int = Field(examples=[0])


class RefundRead(BaseModel):
    model_config = _examples(REFUND)

    id: int = Field(examples=[1])
    payment_id: int = Field(examples=[1])
    amount: int = Field(examples=[1999])
    reason: str = Field(examples=["Damaged in transit."])
    reference: str | None = Field(examples=[None])
    idempotency_key: str = Field(examples=["r-2026-11-25-1"])
    created_at: UtcDatetime


class OrderRead(OrderSummary):
    model_config = _examples({
        **SUMMARY, "customer_id": None, "shipping_address": ADDRESS, "billing_address": ADDRESS,
        "shipping_name": "Standard", "prices_include_tax": False, "subtotal": 3998, "discount_total": 0,
        "shipping_total": 500, "shipping_tax": 36, "tax_total": 326, "paid_total": 4824, "refunded_total": 0,
        "tax_lines": [{"name": "CA sales tax", "rate_bp": 725, "amount": 290, "line_index": 0}],
        "cost_total": 1600, "gross_profit": 2398, "lines": [LINE], "payments": [PAYMENT], "refunds": [],
        "fulfilments": [], "timeline": [TIMELINE]})

    customer_id: int | None = Field(examples=[None])
    shipping_address: dict[str, Any] | None
    billing_address: dict[str, Any] | None
    shipping_name: str = Field(examples=["Express"])
    prices_include_tax: bool
    subtotal: int
    discount_total: int
    shipping_total: int
    shipping_tax: int
    tax_total: int
    paid_total: int
    refunded_total: int
    tax_lines: list[dict[str, Any]]
    cost_total: int = Field(examples=[1600], description="Cost of goods, from the costs snapshotted at placing.")
    gross_profit: int = Field(examples=[2398], description="Net revenue (ex tax, ex shipping) minus cost of goods.")
    lines: list[OrderLineRead]
    payments: list[PaymentRead]
    refunds: list[RefundRead]
    fulfilments: list[FulfilmentRead]
    timeline: list[TimelineRead]

    @classmethod
    def build(cls, order: Order, payments, refunds, fulfilments, timeline) -> "OrderRead":
        cost = sum(l.unit_cost * l.quantity for l in order.lines)
        net = sum(l.net_revenue for l in order.lines)
        data = {k: getattr(order, k) for k in cls.model_fields if hasattr(order, k) and k not in (
            "lines", "payments", "refunds", "fulfilments", "timeline")}
        return cls(**data, cost_total=cost, gross_profit=net - cost,
                   lines=[OrderLineRead.model_validate(l) for l in order.lines],
                   payments=[PaymentRead.model_validate(p) for p in payments],
                   refunds=[RefundRead.model_validate(r) for r in refunds],
                   fulfilments=[FulfilmentRead.model_validate(f) for f in fulfilments],
                   timeline=[TimelineRead.model_validate(t) for t in timeline])
