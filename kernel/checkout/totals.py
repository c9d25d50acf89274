"""The one place order totals are computed, from integers only, so every step of checkout and the
placed order agree to the minor unit.

Invariant (property-tested): ``total == subtotal - discount_total + shipping_total + added_tax`` where
``added_tax`` is ``tax_total`` for tax-exclusive prices and 0 when prices already include tax.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from plugin_sdk.types import TaxLine


@dataclass(frozen=True)
class LineAmounts:
    subtotal: int
    discount: int
    tax: int
    net_revenue: int  # excludes tax and discounts: what the merchant earns before cost
    total: int  # what the shopper pays for the line


@dataclass(frozen=True)
class Totals:
    lines: tuple[LineAmounts, ...]
    subtotal: int
    discount_total: int
    shipping_total: int
    shipping_tax: int
    tax_total: int
    total: int
    prices_include_tax: bool


def compute_totals(line_subtotals: Sequence[int], line_discounts: Sequence[int], shipping: int,
                   tax_lines: Sequence[TaxLine], *, prices_include_tax: bool) -> Totals:
    if len(line_subtotals) != len(line_discounts):
        raise ValueError("one discount per line")
    line_tax = [0] * len(line_subtotals)
    shipping_tax = 0
    for tax in tax_lines:
        if tax.line_index is None:
            shipping_tax += tax.amount
        elif 0 <= tax.line_index < len(line_tax):
            line_tax[tax.line_index] += tax.amount
        else:
            raise ValueError(f"tax line points at line {tax.line_index}, which does not exist")
    lines = []
    for subtotal, discount, tax in zip(line_subtotals, line_discounts, line_tax):
        discount = min(discount, subtotal)
        base = subtotal - discount
        lines.append(LineAmounts(subtotal=subtotal, discount=discount, tax=tax,
                                 net_revenue=base - tax if prices_include_tax else base,
                                 total=base if prices_include_tax else base + tax))
    tax_total = sum(line_tax) + shipping_tax
    total = sum(line.total for line in lines) + shipping + (0 if prices_include_tax else shipping_tax)
    return Totals(lines=tuple(lines), subtotal=sum(line_subtotals), discount_total=sum(l.discount for l in lines),
                  shipping_total=shipping, shipping_tax=shipping_tax, tax_total=tax_total, total=total,
                  prices_include_tax=prices_include_tax)
