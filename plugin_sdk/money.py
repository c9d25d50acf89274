"""Money for plugins: amounts are integers in minor units plus an ISO 4217 code.

Babel knows each currency's exponent (JPY 0, USD/EUR 2, KWD/BHD 3) and how each locale writes
an amount. The kernel formats with these helpers too, so a plugin's text and the kernel's agree.
"""

from __future__ import annotations

import functools
from decimal import Decimal

from babel import Locale
from babel.numbers import NumberPattern, get_currency_precision


def currency_exponent(currency: str) -> int:
    """Digits after the decimal point: ``"USD"`` → 2, ``"JPY"`` → 0, ``"KWD"`` → 3."""
    return get_currency_precision(currency)


def format_money(amount: int, currency: str, locale: str = "en_US") -> str:
    """``12345, "USD"`` → ``$123.45``; ``12345, "EUR", "de_DE"`` → ``123,45 €``."""
    babel_locale, pattern, digits = _money_format(currency, locale)
    return pattern.apply(Decimal(amount).scaleb(-digits), babel_locale, currency=currency)


@functools.lru_cache(maxsize=256)
def _money_format(currency: str, locale: str) -> tuple[Locale, NumberPattern, int]:
    """The locale, its currency pattern and the currency's exponent, looked up once per pair
    (Babel's ``format_currency`` looks all three up on every call: most of its cost)."""
    babel_locale = Locale.parse(locale)
    return babel_locale, babel_locale.currency_formats["standard"], currency_exponent(currency)
