"""API shapes for checkout. The shopper sends choices (email, addresses, a rate id, a payment
method id); every amount in an answer is computed by the server."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from kernel.checkout.money import exponent
from kernel.checkout.service import CheckoutState, choice_id
from kernel.carts.schemas import CART_EXAMPLE, CartRead


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("NUL bytes are not allowed")
    return value


def Text(max_length: int, min_length: int = 0):  # noqa: N802 - a type factory
    """A bounded string that refuses NUL bytes (PostgreSQL cannot store them: 422, never 500)."""
    return Annotated[str, StringConstraints(strip_whitespace=True, min_length=min_length, max_length=max_length),
                     AfterValidator(_no_nul)]


EMAIL_RE = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"


class AddressIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Text(200) = Field(default="", examples=["Ada Lovelace"])
    company: Text(200) = ""
    line1: Text(200) = Field(default="", examples=["12 Main Street"])
    line2: Text(200) = ""
    city: Text(100) = Field(default="", examples=["Springfield"])
    region: Text(10) = Field(default="", examples=["IL"], description="State/province/prefecture code.")
    postcode: Text(16) = Field(default="", examples=["62701"])
    country: Text(2) = Field(default="", examples=["US"], description="ISO 3166-1 alpha-2.")
    phone: Text(40) = ""


ADDRESS_EXAMPLE = {"name": "Ada Lovelace", "company": "", "line1": "1 Market St", "line2": "", "city": "San Francisco", "region": "CA", "postcode": "94105", "country": "US", "phone": ""}


class CheckoutUpdate(BaseModel):
    """Only the fields sent are changed."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"email": "ada@example.com", "shipping_address": ADDRESS_EXAMPLE, "billing_same_as_shipping": True},
        {"shipping_rate_id": "shipping_methods:express", "payment_method_id": "manual_payments:bank_transfer"}]})

    email: Annotated[str, StringConstraints(strip_whitespace=True, to_lower=True, max_length=320,
                                            pattern=EMAIL_RE), AfterValidator(_no_nul)] | None = Field(
        default=None, examples=["ada@example.com"])
    shipping_address: AddressIn | None = None
    billing_address: AddressIn | None = None
    billing_same_as_shipping: bool | None = Field(default=None, examples=[True])
    shipping_rate_id: Text(200, 1) | None = Field(default=None, examples=["shipping_methods:express"])
    payment_method_id: Text(200, 1) | None = Field(default=None, examples=["manual_payments:bank_transfer"])


class PlaceOrder(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"expected_total": 4826}]})

    expected_total: int | None = Field(
        default=None, ge=0, le=2**62, examples=[2599],
        description="Optional: the total the shopper confirmed; placing is refused if it changed.")


class RateRead(BaseModel):
    id: str = Field(examples=["shipping_methods:express"])
    name: str = Field(examples=["Express"])
    amount: int = Field(examples=[1500])
    delivery_estimate: str = Field(examples=["1-2 business days"])


class PaymentMethodRead(BaseModel):
    id: str = Field(examples=["manual_payments:bank_transfer"])
    name: str = Field(examples=["Bank transfer"])
    instructions: str = Field(examples=["Please transfer {amount} to our bank account, quoting order {order_number}."])


class TaxLineRead(BaseModel):
    name: str = Field(examples=["VAT"])
    rate_bp: int = Field(examples=[1900])
    amount: int = Field(examples=[380])
    line_index: int | None = Field(examples=[0], description="Cart line index; null for shipping.")


class AmountsRead(BaseModel):
    """The money of a checkout or an order, in minor units of ``currency``."""

    currency: str = Field(examples=["USD"])
    subtotal: int = Field(examples=[3998])
    discount_total: int = Field(examples=[0])
    shipping_total: int = Field(examples=[500])
    tax_total: int = Field(examples=[360])
    total: int = Field(examples=[4858])
    prices_include_tax: bool = Field(examples=[False])


class TotalsRead(AmountsRead):
    currency_exponent: int = Field(examples=[2])


class CheckoutRead(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "cart": CART_EXAMPLE, "email": "ada@example.com", "shipping_address": ADDRESS_EXAMPLE,
        "billing_address": ADDRESS_EXAMPLE,
        "shipping_rates": [{"id": "shipping_methods:standard", "name": "Standard", "amount": 500,
                            "delivery_estimate": "3-5 business days"}],
        "shipping_rate_id": "shipping_methods:standard",
        "payment_methods": [{"id": "manual_payments:bank_transfer", "name": "Bank transfer",
                             "instructions": "Please transfer the order total to our bank account."}],
        "payment_method_id": "manual_payments:bank_transfer",
        "tax_lines": [{"name": "CA sales tax", "rate_bp": 725, "amount": 290, "line_index": 0},
                      {"name": "CA sales tax", "rate_bp": 725, "amount": 36, "line_index": None}],
        "totals": {"currency": "USD", "currency_exponent": 2, "subtotal": 3998, "discount_total": 0,
                   "shipping_total": 500, "tax_total": 326, "total": 4824, "prices_include_tax": False},
        "ready": True, "problems": []}]})

    cart: CartRead
    email: str | None = Field(examples=["ada@example.com"])
    shipping_address: dict[str, Any] | None = None
    billing_address: dict[str, Any] | None = None
    shipping_rates: list[RateRead]
    shipping_rate_id: str | None = Field(examples=["shipping_methods:standard"])
    payment_methods: list[PaymentMethodRead]
    payment_method_id: str | None = Field(examples=["manual_payments:bank_transfer"])
    tax_lines: list[TaxLineRead]
    totals: TotalsRead
    ready: bool = Field(examples=[True], description="True when the order can be placed.")
    problems: list[str] = Field(examples=[[]])

    @classmethod
    def of(cls, state: CheckoutState) -> "CheckoutRead":
        cart, t = state.priced.cart, state.totals
        return cls(
            cart=CartRead.of(state.priced), email=cart.email, shipping_address=cart.shipping_address,
            billing_address=cart.billing_address,
            shipping_rates=[RateRead(id=choice_id(r.plugin_id, r.code), name=r.name, amount=r.amount,
                                     delivery_estimate=r.delivery_estimate) for r in state.rates],
            shipping_rate_id=choice_id(state.rate.plugin_id, state.rate.code) if state.rate else None,
            payment_methods=[PaymentMethodRead(id=choice_id(m.plugin_id, m.code), name=m.name,
                                               instructions=m.instructions) for m in state.methods],
            payment_method_id=choice_id(state.method.plugin_id, state.method.code) if state.method else None,
            tax_lines=[TaxLineRead(**t_.model_dump()) for t_ in state.tax_lines],
            totals=TotalsRead(currency=cart.currency, currency_exponent=exponent(cart.currency), subtotal=t.subtotal,
                              discount_total=t.discount_total, shipping_total=t.shipping_total,
                              tax_total=t.tax_total, total=t.total, prices_include_tax=t.prices_include_tax),
            ready=state.ready, problems=state.problems)


class PlacedPayment(BaseModel):
    id: int = Field(examples=[1])
    method_id: str = Field(examples=["manual_payments:bank_transfer"])
    status: str = Field(examples=["pending"])
    amount: int = Field(examples=[4858])
    reference: str | None = Field(examples=["manual-1001"])
    instructions: str = Field(examples=["Please transfer $48.58 to our bank account, quoting order 1."])


class OrderPlaced(AmountsRead):
    """What the shopper sees once the order is placed (and what a replay returns, byte for byte)."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "id": 17, "number": 1001, "status": "pending_payment", "email": "ada@example.com", "currency": "USD",
        "subtotal": 3998, "discount_total": 0, "shipping_total": 500, "tax_total": 326, "total": 4824,
        "prices_include_tax": False,
        "payment": {"id": 9, "method_id": "manual_payments:bank_transfer", "status": "pending", "amount": 4824,
                    "reference": "manual-1001", "instructions": "Please transfer $48.24 … order number 1001."}}]})

    id: int = Field(examples=[17])
    number: int = Field(examples=[1001])
    status: str = Field(examples=["pending_payment"])
    email: str = Field(examples=["ada@example.com"])
    payment: PlacedPayment
