"""API shapes for carts. Writes carry a variant and a quantity only: never a price."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from kernel.carts.service import MAX_QUANTITY, PricedCart, PricedLine
from kernel.catalog.schemas import MAX_INT
from kernel.checkout.money import exponent


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CartLineCreate(_In):
    variant_id: int = Field(ge=1, le=MAX_INT, examples=[42])
    quantity: int = Field(default=1, ge=1, le=MAX_QUANTITY, examples=[2])


class CartCreate(_In):
    """A cart, empty or with its first items (the storefront's first "add to cart")."""

    lines: list[CartLineCreate] = Field(default_factory=list, max_length=100,
                                        examples=[[{"variant_id": 42, "quantity": 2}]])


class CartLineUpdate(_In):
    quantity: int = Field(ge=0, le=MAX_QUANTITY, examples=[3], description="0 removes the line.")


class CartLineRead(BaseModel):
    id: int = Field(examples=[7])
    variant_id: int = Field(examples=[42])
    product_id: int | None = Field(examples=[12])
    sku: str = Field(examples=["TSHIRT-M"])
    name: str = Field(examples=["T-shirt - M"])
    quantity: int = Field(examples=[2])
    unit_price: int = Field(examples=[1999], description="Minor units, from the catalog now.")
    subtotal: int = Field(examples=[3998])
    available: int | None = Field(examples=[10], description="Units in stock; null when not limited.")
    problem: str | None = Field(default=None, examples=[None, "Only 1 of 'T-shirt - M' left in stock; reduce the quantity."])

    @classmethod
    def of(cls, line: PricedLine) -> "CartLineRead":
        return cls(id=line.line_id, variant_id=line.variant_id, product_id=line.product_id, sku=line.sku,
                   name=line.name, quantity=line.quantity, unit_price=line.unit_price, subtotal=line.subtotal,
                   available=line.available, problem=line.problem)


CART_EXAMPLE = {"status": "open", "currency": "USD", "currency_exponent": 2, "lines": [{"id": 7, "variant_id": 42, "product_id": 12, "sku": "TSHIRT-M", "name": "T-shirt - M", "quantity": 2, "unit_price": 1999, "subtotal": 3998, "available": 10, "problem": None}], "item_count": 2, "subtotal": 3998, "problems": [], "order_id": None}


class CartRead(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [CART_EXAMPLE]})

    status: str = Field(examples=["open"])
    currency: str = Field(examples=["USD"])
    currency_exponent: int = Field(examples=[2], description="Decimals of the currency: 0 JPY, 2 USD, 3 KWD.")
    lines: list[CartLineRead]
    item_count: int = Field(examples=[3])
    subtotal: int = Field(examples=[3998], description="Minor units; lines with a problem are not counted.")
    problems: list[str] = Field(examples=[[]])
    order_id: int | None = Field(default=None, examples=[None])

    @classmethod
    def of(cls, priced: PricedCart) -> "CartRead":
        cart = priced.cart
        return cls(status=cart.status.value, currency=cart.currency, currency_exponent=exponent(cart.currency),
                   lines=[CartLineRead.of(line) for line in priced.lines],
                   item_count=sum(line.quantity for line in priced.lines), subtotal=priced.subtotal,
                   problems=priced.problems, order_id=cart.order_id)


class CartCreated(CartRead):
    model_config = ConfigDict(json_schema_extra={"examples": [{**CART_EXAMPLE, "token": "pct_3q2Xk9…"}]})

    token: str = Field(examples=["pct_3q2…"], description="Send back in the X-Cart-Token header (or cookie).")
