"""Per-store settings of the manual payments plugin.

Instructions may use ``{order_number}`` and ``{amount}`` (formatted in the store's currency).
"""

from __future__ import annotations

from pydantic import Field, field_validator

from plugin_sdk import PluginSettings


class ManualPaymentsSettings(PluginSettings):

    bank_transfer_enabled: bool = True
    bank_transfer_name: str = Field(default="Bank transfer", min_length=1, max_length=100)
    bank_transfer_instructions: str = Field(
        default="Please transfer {amount} to our bank account, quoting your order number {order_number}.", max_length=2000,
        examples=["Transfer {amount} to IBAN DE89 3704 0044 0532 0130 00, reference {order_number}."])
    cash_on_delivery_enabled: bool = True
    cash_on_delivery_name: str = Field(default="Cash on delivery", min_length=1, max_length=100)
    cash_on_delivery_instructions: str = Field(
        default="Please pay {amount} in cash to the courier on delivery.", max_length=2000)
    cash_on_delivery_countries: list[str] = Field(
        default_factory=list, max_length=300, examples=[["DE", "FR"]],
        description="Countries where cash on delivery is offered; empty means everywhere.")

    @field_validator("cash_on_delivery_countries")
    @classmethod
    def _upper(cls, values: list[str]) -> list[str]:
        return [v.strip().upper() for v in values]
