"""Property tests: order totals add up to the minor unit for any cart, currency and tax mode."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from hypothesis import given, settings, strategies as st

from kernel.checkout.money import exponent, format_money
from kernel.checkout.totals import compute_totals
from plugin_sdk.types import Address, CartLineView, CartView, ShippingRate
from plugins_builtin.regional_tax.service import tax_lines
from plugins_builtin.regional_tax.settings import RegionalTaxSettings

CURRENCIES = {"JPY": 0, "USD": 2, "EUR": 2, "KWD": 3, "BHD": 3}

line_st = st.tuples(st.integers(0, 5_000_000), st.integers(1, 50), st.integers(0, 100),
                    st.sampled_from(["standard", "reduced", "zero"]))


def expected_tax(base: int, rate_bp: int, inclusive: bool) -> int:
    """The same rule, computed independently with Decimal: per line, half up, in minor units."""
    if inclusive:
        net = (Decimal(base) * 10000 / Decimal(10000 + rate_bp)).quantize(Decimal(1), ROUND_HALF_UP)
        return base - int(net)
    return int((Decimal(base) * rate_bp / 10000).quantize(Decimal(1), ROUND_HALF_UP))


@settings(max_examples=300, deadline=None)
@given(lines=st.lists(line_st, min_size=1, max_size=12), currency=st.sampled_from(sorted(CURRENCIES)),
       inclusive=st.booleans(), standard_bp=st.integers(0, 2700), reduced_bp=st.integers(0, 1000),
       shipping=st.integers(0, 100_000), shipping_taxable=st.booleans())
def test_totals_add_up(lines, currency, inclusive, standard_bp, reduced_bp, shipping, shipping_taxable):
    assert exponent(currency) == CURRENCIES[currency]
    subtotals = [price * qty for price, qty, _pct, _cls in lines]
    discounts = [subtotal * pct // 100 for subtotal, (_p, _q, pct, _c) in zip(subtotals, lines)]
    view = CartView(currency=currency, subtotal=sum(subtotals), prices_include_tax=inclusive,
                    shipping_address=Address(country="DE", region="BY"),
                    lines=[CartLineView(variant_id=i + 1, product_id=i + 1, sku=f"S{i}", name=f"P{i}", quantity=qty,
                                        unit_price=price, total=sub - disc, tax_class=cls)
                           for i, ((price, qty, _pct, cls), sub, disc) in enumerate(zip(lines, subtotals, discounts))])
    tax_settings = RegionalTaxSettings(prices_include_tax=inclusive, shipping_taxable=shipping_taxable, rates=[
        {"country": "DE", "rate_bp": standard_bp, "name": "VAT"},
        {"country": "DE", "tax_class": "reduced", "rate_bp": reduced_bp, "name": "VAT reduced"},
        {"country": "DE", "tax_class": "zero", "rate_bp": 0, "name": "VAT zero"}])
    rate = ShippingRate(code="standard", name="Standard", amount=shipping, currency=currency)
    taxes = tax_lines(view, rate, tax_settings)
    totals = compute_totals(subtotals, discounts, shipping, taxes, prices_include_tax=inclusive)

    added_tax = 0 if inclusive else totals.tax_total
    assert totals.total == totals.subtotal - totals.discount_total + totals.shipping_total + added_tax
    assert totals.total == sum(l.total for l in totals.lines) + shipping + (0 if inclusive else totals.shipping_tax)
    assert totals.subtotal == sum(subtotals) and totals.discount_total == sum(discounts)
    assert totals.tax_total == sum(t.amount for t in taxes)
    rates = {"standard": standard_bp, "reduced": reduced_bp, "zero": 0}
    for i, (line, amounts) in enumerate(zip(view.lines, totals.lines)):
        assert amounts.tax == expected_tax(line.total, rates[line.tax_class], inclusive)
        assert amounts.net_revenue + (amounts.tax if inclusive else 0) == line.total
        assert amounts.total == line.total + (0 if inclusive else amounts.tax)
        assert 0 <= amounts.tax <= line.total or not inclusive
    assert totals.shipping_tax == (expected_tax(shipping, standard_bp, inclusive) if shipping_taxable else 0)
    # Formatting shows exactly the currency's decimals (no float anywhere on the way).
    formatted = format_money(totals.total, currency)
    if CURRENCIES[currency]:
        assert formatted.rsplit(".", 1)[-1][:CURRENCIES[currency]].isdigit()
    else:
        assert "." not in formatted


def test_discount_never_exceeds_line():
    totals = compute_totals([1000], [5000], 0, [], prices_include_tax=False)
    assert totals.lines[0].discount == 1000 and totals.total == 0
