"""The tax computation, pure and synchronous so it can be property-tested without a database.

Tax is rounded per line in minor units (half up), which is what invoices show line by line; the
order's tax is the sum of its lines, never a separately rounded figure.
"""

from __future__ import annotations

from plugin_sdk.types import CartView, ShippingRate, TaxLine
from plugins_builtin.regional_tax.settings import RegionalTaxSettings, TaxRate

BP = 10_000


def div_round_half_up(numerator: int, denominator: int) -> int:
    """``round(numerator / denominator)`` with halves rounded away from zero, in integers only."""
    sign = -1 if (numerator < 0) != (denominator < 0) else 1
    n, d = abs(numerator), abs(denominator)
    return sign * ((2 * n + d) // (2 * d))


def tax_on(amount: int, rate_bp: int, *, inclusive: bool) -> int:
    """Tax contained in (inclusive) or added to (exclusive) ``amount`` minor units at ``rate_bp``."""
    if rate_bp == 0 or amount == 0:
        return 0
    if inclusive:
        return amount - div_round_half_up(amount * BP, BP + rate_bp)
    return div_round_half_up(amount * rate_bp, BP)


def find_rate(settings: RegionalTaxSettings, country: str, region: str, tax_class: str) -> TaxRate | None:
    """Most specific first: region and class, country and class, then the same for 'standard'."""
    country, region = country.upper(), region.upper()
    for wanted_class in dict.fromkeys((tax_class, "standard")):
        for wanted_region in dict.fromkeys((region, "")):
            for rate in settings.rates:
                if rate.country == country and rate.region == wanted_region and rate.tax_class == wanted_class:
                    return rate
    return None


def tax_lines(cart: CartView, shipping: ShippingRate | None, settings: RegionalTaxSettings) -> list[TaxLine]:
    """One tax line per taxed cart line (``line_index``) plus one for shipping (``line_index=None``).

    No shipping address yet means nothing to tax yet (destination-based tax): an empty list.
    """
    address = cart.shipping_address
    if address is None or not address.country:
        return []
    inclusive = settings.prices_include_tax
    lines: list[TaxLine] = []
    for index, line in enumerate(cart.lines):
        rate = find_rate(settings, address.country, address.region, line.tax_class)
        if rate is None:
            continue
        lines.append(TaxLine(name=rate.name, rate_bp=rate.rate_bp, line_index=index,
                             amount=tax_on(line.total, rate.rate_bp, inclusive=inclusive)))
    if shipping is not None and shipping.amount > 0 and settings.shipping_taxable:
        rate = find_rate(settings, address.country, address.region, "standard")
        if rate is not None:
            lines.append(TaxLine(name=rate.name, rate_bp=rate.rate_bp, line_index=None,
                                 amount=tax_on(shipping.amount, rate.rate_bp, inclusive=inclusive)))
    return lines
