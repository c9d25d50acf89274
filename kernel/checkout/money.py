"""Money helpers. Amounts are integers in minor units; babel knows each currency's exponent
(JPY 0, USD/EUR 2, KWD/BHD 3)."""

from __future__ import annotations

from decimal import Decimal

from babel.numbers import format_currency, get_currency_precision


def exponent(currency: str) -> int:
    return get_currency_precision(currency)


def format_money(amount: int, currency: str, locale: str = "en_US") -> str:
    return format_currency(Decimal(amount).scaleb(-exponent(currency)), currency, locale=locale)
