"""Regional tax: most specific rate wins, rounding per line, inclusive and exclusive prices."""

from __future__ import annotations

from plugin_sdk.types import Address, CartLineView, CartView, ShippingRate
from plugins_builtin.regional_tax.service import find_rate, tax_lines, tax_on
from plugins_builtin.regional_tax.settings import RegionalTaxSettings

RATES = [{"country": "US", "region": "CA", "rate_bp": 725, "name": "CA"},
         {"country": "US", "rate_bp": 0, "name": "none"},
         {"country": "DE", "rate_bp": 1900, "name": "MwSt"},
         {"country": "DE", "tax_class": "reduced", "rate_bp": 700, "name": "MwSt 7"}]


def view(country: str, region: str = "", lines=((1000, "standard"),)) -> CartView:
    return CartView(currency="USD", subtotal=sum(t for t, _ in lines), shipping_address=Address(country=country, region=region),
                    lines=[CartLineView(variant_id=i, product_id=i, sku="S", name="N", quantity=1, unit_price=t,
                                        total=t, tax_class=c) for i, (t, c) in enumerate(lines)])


def test_rate_lookup_most_specific_first():
    s = RegionalTaxSettings(rates=RATES)
    assert find_rate(s, "us", "ca", "standard").rate_bp == 725
    assert find_rate(s, "US", "NY", "standard").rate_bp == 0
    assert find_rate(s, "DE", "", "reduced").rate_bp == 700
    assert find_rate(s, "DE", "BY", "books").rate_bp == 1900  # unknown class falls back to standard
    assert find_rate(s, "FR", "", "standard") is None


def test_rounding_half_up_per_line():
    assert tax_on(50, 1000, inclusive=False) == 5
    assert tax_on(5, 1000, inclusive=False) == 1  # 0.5 rounds up
    assert tax_on(4, 1000, inclusive=False) == 0
    assert tax_on(1190, 1900, inclusive=True) == 190
    assert tax_on(100, 1900, inclusive=True) == 16  # 100 - round(84.03)


def test_lines_and_shipping():
    s = RegionalTaxSettings(rates=RATES, shipping_taxable=True)
    lines = tax_lines(view("DE", lines=((1000, "standard"), (999, "reduced"))),
                      ShippingRate(code="s", name="S", amount=500, currency="EUR"), s)
    assert [(t.line_index, t.rate_bp, t.amount) for t in lines] == [(0, 1900, 190), (1, 700, 70), (None, 1900, 95)]
    s = RegionalTaxSettings(rates=RATES, shipping_taxable=False, prices_include_tax=True)
    lines = tax_lines(view("DE"), ShippingRate(code="s", name="S", amount=500, currency="EUR"), s)
    assert [(t.line_index, t.amount) for t in lines] == [(0, 160)]
    assert tax_lines(view("FR"), None, s) == []
