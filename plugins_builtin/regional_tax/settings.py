"""Per-store settings of the regional tax plugin."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

from plugin_sdk import PluginSettings


class TaxRate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    country: str = Field(min_length=2, max_length=2, examples=["DE"], description="ISO 3166-1 alpha-2.")
    region: str = Field(default="", max_length=10, examples=["", "CA"],
                        description="State/province code; empty applies to the whole country.")
    tax_class: str = Field(default="standard", max_length=50, examples=["standard", "reduced"])
    rate_bp: int = Field(ge=0, le=10000, examples=[1900], description="Basis points: 1900 = 19 %.")
    name: str = Field(default="Tax", min_length=1, max_length=100, examples=["VAT"])

    @field_validator("country", "region")
    @classmethod
    def _upper(cls, value: str) -> str:
        return value.upper()


class RegionalTaxSettings(PluginSettings):

    prices_include_tax: bool = Field(
        default=False, description="Catalog prices already contain tax (typical in the EU, JP, GB).")
    shipping_taxable: bool = Field(default=True, description="Tax shipping at the destination's standard rate.")
    rates: list[TaxRate] = Field(default_factory=list, max_length=2000, examples=[[
        {"country": "DE", "rate_bp": 1900, "name": "MwSt"},
        {"country": "US", "region": "CA", "rate_bp": 725, "name": "CA sales tax"}]])
