"""Money helpers. Amounts are integers in minor units; the formatting is the plugin SDK's, so the
kernel and plugins write amounts alike."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from plugin_sdk.money import currency_exponent as exponent
from plugin_sdk.money import format_money

__all__ = ["exponent", "format_money", "parse_amount"]

MAX_AMOUNT = 2**31 - 1  # amounts are 32-bit integer columns


def parse_amount(text: str, precision: int) -> int:
    """``"1,234.50"`` with precision 2 → ``123450``; ValueError (a reason a person can read) otherwise."""
    try:
        amount = Decimal(text.replace(",", "").strip())
    except InvalidOperation:
        raise ValueError(f"{text!r} is not an amount") from None
    if not amount.is_finite() or amount < 0:
        raise ValueError("must be a non-negative amount")
    minor = amount.scaleb(precision)
    if minor != minor.to_integral_value():
        raise ValueError(f"has more than {precision} decimal places")
    if minor > MAX_AMOUNT:
        raise ValueError("is too large")
    return int(minor)
