"""Value types that hooks pass to plugins and plugins return to the kernel.

They are frozen pydantic models: plain data, detached from the ORM, safe to
hand to third-party code. Money is always an integer in minor units plus an
ISO 4217 currency code.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from plugin_sdk.events import Event  # noqa: F401 (the envelope handlers receive; the catalog lives there)


class _Value(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Money(_Value):
    amount: int = Field(description="Minor units (cents for USD, yen for JPY, fils for KWD).")
    currency: str = Field(min_length=3, max_length=3)

    def __add__(self, other: "Money") -> "Money":
        if other.currency != self.currency:
            raise ValueError(f"cannot add {other.currency} to {self.currency}")
        return Money(amount=self.amount + other.amount, currency=self.currency)


class StoreInfo(_Value):
    id: int
    slug: str
    name: str
    currency: str
    locale: str
    timezone: str
    storefront_url: str = Field(default="", examples=["https://acme.shops.example.com/"],
                                description="The store's primary storefront address, ending in '/'.")


class Address(_Value):
    name: str = ""
    company: str = ""
    line1: str = ""
    line2: str = ""
    city: str = ""
    region: str = Field(default="", description="State, province or county code (e.g. 'CA', 'BY').")
    postcode: str = ""
    country: str = Field(default="", description="ISO 3166-1 alpha-2 country code.")
    phone: str = ""


class CustomerRef(_Value):
    """Who is buying: the customer account (``None`` for a guest) and the contact email."""

    id: int | None = None
    email: str | None = None


class CartLineView(_Value):
    variant_id: int
    product_id: int
    sku: str
    name: str = Field(description="Product and variant, as the shopper sees them.")
    quantity: int
    unit_price: int = Field(description="Minor units, as entered in the catalog (tax-inclusive or not per store).")
    total: int = Field(description="unit_price × quantity, less the line's discount.")
    discount: int = Field(default=0, description="Minor units taken off this line.")
    weight_grams: int = 0
    tax_class: str = "standard"


class CartView(_Value):
    """What shipping, tax and payment plugins see of a cart or an order being placed."""

    id: int | None = None
    currency: str
    lines: list[CartLineView]
    subtotal: int
    shipping_address: Address | None = None
    billing_address: Address | None = None
    email: str | None = None
    customer: CustomerRef | None = None
    prices_include_tax: bool = False

    @property
    def total_weight_grams(self) -> int:
        return sum(line.weight_grams * line.quantity for line in self.lines)


class ShippingRate(_Value):
    """One way to ship a cart, offered by a shipping plugin."""

    code: str = Field(description="Unique within the plugin, e.g. 'express'.")
    name: str
    amount: int = Field(ge=0, description="Minor units.")
    currency: str
    delivery_estimate: str = ""
    plugin_id: str = ""


class TaxLine(_Value):
    """Tax on one cart line (``line_index``) or on shipping (``line_index=None``)."""

    name: str
    rate_bp: int = Field(description="Rate in basis points: 1900 = 19 %.")
    amount: int = Field(description="Minor units.")
    line_index: int | None = None


class OrderLineView(_Value):
    """One line of an order, as sold (names, prices and taxes are the order's snapshot)."""

    id: int | None = None
    variant_id: int | None
    product_id: int | None
    sku: str
    name: str
    quantity: int
    unit_price: int = Field(description="Minor units.")
    subtotal: int = Field(description="unit_price × quantity.")
    discount: int = 0
    tax: int = 0
    total: int = Field(description="What the shopper pays for this line.")
    tax_class: str = "standard"


class OrderTotals(_Value):
    """An order's amounts, minor units of the order's currency."""

    subtotal: int
    discount: int = 0
    shipping: int = 0
    shipping_tax: int = 0
    tax: int = 0
    total: int
    paid: int = 0
    refunded: int = 0
    prices_include_tax: bool = False


class OrderView(_Value):
    """An order as gateways, documents and event handlers see it."""

    id: int
    number: str = Field(description="The store's order number, as text (it is shown, never computed with).")
    status: str
    currency: str
    total: int
    email: str | None = None
    created_at: datetime | None = None
    customer: CustomerRef | None = None
    lines: list[OrderLineView] = Field(default_factory=list)
    shipping_address: Address | None = None
    billing_address: Address | None = None
    shipping_method: str | None = Field(default=None, description="The chosen rate's name.")
    totals: OrderTotals | None = None


class PaymentMethod(_Value):
    """A way to pay that a gateway plugin offers to shoppers."""

    code: str
    name: str
    instructions: str = ""
    plugin_id: str = ""


class PaymentView(_Value):
    """The kernel's record of one payment, as a gateway plugin sees it (capture, refund, webhooks)."""

    id: int
    plugin_id: str = Field(description="The gateway plugin that created it.")
    method: str = Field(description="The ``PaymentMethod.code`` the shopper chose.")
    amount: int = Field(description="Minor units, in ``currency``.")
    currency: str
    status: str = Field(description="'pending', 'authorized', 'captured', 'partially_refunded', 'refunded', "
                                    "'voided' or 'failed'.")
    reference: str | None = Field(default=None, description="Your gateway's own id for the payment.")
    captured_amount: int = 0
    refunded_amount: int = 0


class PaymentResult(_Value):
    """What a gateway answers when asked to create, capture or refund a payment."""

    status: str = Field(description="'pending', 'authorized', 'captured', 'failed', 'refunded'.")
    reference: str | None = Field(default=None, description="The gateway's own id for the payment.")
    amount: int = 0
    redirect_url: str | None = None
    instructions: str = ""
    error: str | None = None
