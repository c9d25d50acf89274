"""Per-store settings of the shipping methods plugin. Prices are minor units of the store's currency."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from plugin_sdk import PluginSettings

MethodCode = Literal["standard", "express", "premium"]


class WeightBracket(BaseModel):
    model_config = ConfigDict(extra="forbid")

    max_grams: int = Field(ge=1, examples=[2000], description="Up to and including this cart weight.")
    price: int = Field(ge=0, examples=[900])


class ShippingMethod(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: MethodCode = Field(examples=["express"])
    name: str = Field(min_length=1, max_length=100, examples=["Express"])
    enabled: bool = True
    price: int = Field(default=0, ge=0, examples=[1500], description="Used when there are no weight brackets.")
    delivery_time: str = Field(default="", max_length=100, examples=["1-2 business days"])
    free_shipping_threshold: int | None = Field(
        default=None, ge=0, examples=[10000], description="Subtotal from which this method is free.")
    weight_brackets: list[WeightBracket] = Field(
        default_factory=list, max_length=50,
        description="Optional. When set, the first bracket holding the cart's weight sets the price; "
                    "heavier carts are not offered this method.")

    @field_validator("weight_brackets")
    @classmethod
    def _sorted(cls, brackets: list[WeightBracket]) -> list[WeightBracket]:
        return sorted(brackets, key=lambda b: b.max_grams)


class Zone(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100, examples=["Europe"])
    countries: list[str] = Field(min_length=1, max_length=300, examples=[["DE", "FR", "NL"]],
                                 description="ISO alpha-2 codes; '*' matches every country no other zone lists.")
    methods: list[ShippingMethod] = Field(default_factory=list, max_length=3)

    @field_validator("countries")
    @classmethod
    def _upper(cls, values: list[str]) -> list[str]:
        return [v.strip().upper() for v in values]

    @model_validator(mode="after")
    def _unique_codes(self) -> "Zone":
        codes = [m.code for m in self.methods]
        if len(codes) != len(set(codes)):
            raise ValueError("each method code may appear once per zone")
        return self


def _default_zones() -> list[Zone]:
    return [Zone(name="Everywhere", countries=["*"], methods=[
        ShippingMethod(code="standard", name="Standard", price=500, delivery_time="3-5 business days"),
        ShippingMethod(code="express", name="Express", price=1500, delivery_time="1-2 business days"),
        ShippingMethod(code="premium", name="Premium", price=3000, delivery_time="Next business day"),
    ])]


class ShippingMethodsSettings(PluginSettings):

    zones: list[Zone] = Field(default_factory=_default_zones, max_length=100)
