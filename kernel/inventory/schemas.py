"""API shapes for stock levels, adjustments and the ledger."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from kernel.catalog.schemas import MAX_INT, Input, Text, UtcDatetime

REASONS = ("received", "sold", "returned", "damaged", "lost", "correction", "restock", "other")


class StockAdjustment(Input):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"delta": 24, "reason": "received", "note": "PO 1042"}, {"delta": -1, "reason": "damaged"}]})

    delta: int = Field(ge=-1_000_000, le=1_000_000, description="Signed change; 0 is refused.", examples=[24],
                       json_schema_extra={"not": {"const": 0}})
    reason: Annotated[str, StringConstraints(pattern="^(" + "|".join(REASONS) + ")$")] = Field(
        examples=["received"], description="One of: " + ", ".join(REASONS) + ".")
    note: Text(500) = Field(default="", examples=["PO 1042"])
    order_id: int | None = Field(default=None, ge=1, le=MAX_INT, examples=[None])


class StockLevel(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "variant_id": 7, "sku": "TEE-S", "track_inventory": True, "allow_backorder": False, "stock_on_hand": 20,
        "reserved": 2, "available": 18, "low_stock_threshold": 5}]})

    variant_id: int
    sku: str
    track_inventory: bool
    allow_backorder: bool
    stock_on_hand: int
    reserved: int = Field(description="Held by carts in checkout (unexpired reservations).")
    available: int | None = Field(description="On hand minus reserved; null when inventory is not tracked.")
    low_stock_threshold: int | None


class MovementRead(BaseModel):
    model_config = ConfigDict(from_attributes=True, json_schema_extra={"examples": [{
        "id": 31, "variant_id": 7, "quantity": -1, "reason": "sold", "note": "", "order_id": 1001,
        "actor": "user:4", "created_at": "2026-11-25T12:00:00Z"}]})

    id: int
    variant_id: int
    quantity: int
    reason: str
    note: str
    order_id: int | None
    actor: str | None
    created_at: UtcDatetime


class MovementPage(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"items": [], "next_cursor": None}]})

    items: list[MovementRead]
    next_cursor: int | None = Field(description="Pass as `after` for older movements; null on the last page.")
