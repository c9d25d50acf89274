"""Checkout state: what the store's plugins offer for this cart and address, and the totals.

Everything is recomputed from the catalog and the plugins at every step; the cart stores only the
shopper's choices (email, addresses, which rate, which payment method), never an amount.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from kernel.carts.models import Cart
from kernel.carts.service import PricedCart, lock_open_cart, price_cart
from kernel.checkout.addresses import validate_address
from kernel.checkout.holds import hold_cart_stock
from kernel.checkout.totals import Totals, compute_totals
from kernel.errors import InvalidInput
from plugin_sdk.types import Address, CartLineView, CartView, CustomerRef, PaymentMethod, ShippingRate, TaxLine


def choice_id(plugin_id: str, code: str) -> str:
    """How rates and payment methods are named to clients: ``<plugin id>:<code>``."""
    return f"{plugin_id}:{code}"


def split_choice(value: str) -> tuple[str, str]:
    plugin_id, _, code = value.partition(":")
    return plugin_id, code


@dataclass
class CheckoutState:
    priced: PricedCart
    view: CartView
    rates: list[ShippingRate] = field(default_factory=list)
    rate: ShippingRate | None = None
    methods: list[PaymentMethod] = field(default_factory=list)
    method: PaymentMethod | None = None
    tax_plugin_id: str | None = None
    tax_lines: list[TaxLine] = field(default_factory=list)
    totals: Totals | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def ready(self) -> bool:
        return not self.problems


def _address(data: dict | None) -> Address | None:
    return Address.model_validate(data) if data else None


def cart_view(priced: PricedCart, *, prices_include_tax: bool = False) -> CartView:
    """What plugins see: only sellable lines, detached from the ORM."""
    cart = priced.cart
    lines = [CartLineView(variant_id=l.variant_id, product_id=l.product_id or 0, sku=l.sku, name=l.name,
                          quantity=l.quantity, unit_price=l.unit_price, total=l.subtotal,
                          weight_grams=l.weight_grams, tax_class=l.tax_class)
             for l in priced.lines if l.problem is None]
    return CartView(id=cart.id, currency=cart.currency, lines=lines, subtotal=sum(l.total for l in lines),
                    shipping_address=_address(cart.shipping_address), billing_address=_address(cart.billing_address),
                    email=cart.email, prices_include_tax=prices_include_tax,
                    customer=CustomerRef(id=cart.customer_id, email=cart.email))


async def _tax(hooks, view: CartView, rate: ShippingRate | None) -> tuple[str | None, list[TaxLine], bool]:
    found = await hooks.tax_lines(cart=view, shipping=rate)
    if found is None:
        return None, [], False
    plugin_id, lines = found
    # A tax engine states in its settings whether catalog prices include tax (see docs/orders.md).
    inclusive = bool(getattr(hooks.settings_of(plugin_id), "prices_include_tax", False))
    return plugin_id, list(lines or []), inclusive


async def build_checkout(session: AsyncSession, hooks, cart: Cart) -> CheckoutState:
    priced = await price_cart(session, cart)
    view = cart_view(priced)
    state = CheckoutState(priced=priced, view=view, problems=list(priced.problems))
    if not view.lines:
        state.problems.append("The cart is empty.")
    if not cart.email:
        state.problems.append("Enter a contact email.")
    if view.shipping_address is None:
        state.problems.append("Enter a shipping address.")
    for plugin_id, rates in await hooks.shipping_rates(cart=view):
        state.rates.extend(r if r.plugin_id else r.model_copy(update={"plugin_id": plugin_id}) for r in rates or [])
    if cart.shipping_code:
        state.rate = next((r for r in state.rates if (r.plugin_id, r.code) ==
                           (cart.shipping_plugin_id, cart.shipping_code)), None)
    if state.rate is None and view.shipping_address is not None:
        state.problems.append("Choose a shipping method." if state.rates else
                              "No shipping method is available for this address.")
    state.tax_plugin_id, state.tax_lines, inclusive = await _tax(hooks, view, state.rate)
    if inclusive:
        state.view = view = view.model_copy(update={"prices_include_tax": True})
    for plugin_id, methods in await hooks.payment_methods(cart=view):
        state.methods.extend(m if m.plugin_id else m.model_copy(update={"plugin_id": plugin_id}) for m in methods or [])
    if cart.payment_code:
        state.method = next((m for m in state.methods if (m.plugin_id, m.code) ==
                             (cart.payment_plugin_id, cart.payment_code)), None)
    if state.method is None:
        state.problems.append("Choose a payment method." if state.methods else "No payment method is available.")
    state.totals = compute_totals([l.total for l in view.lines], [0] * len(view.lines),
                                  state.rate.amount if state.rate else 0, state.tax_lines,
                                  prices_include_tax=inclusive)
    return state


async def update_checkout(session: AsyncSession, hooks, cart: Cart, changes: dict, *, hold_stock: bool = True) -> None:
    """Apply the shopper's choices (only the keys given). Addresses are validated per country;
    shipping and payment choices must be among what the plugins offer right now. Then, when the
    store holds stock for checkouts, the cart's lines are held anew (:mod:`kernel.checkout.holds`;
    ``hold_stock=False`` for a caller that has just held them)."""
    await lock_open_cart(session, cart)
    if "email" in changes:
        cart.email = changes["email"]
    for key in ("shipping_address", "billing_address"):
        if key in changes:
            value = changes[key]
            cart.__setattr__(key, None if value is None else
                             validate_address(Address.model_validate(value), field=key).model_dump())
    if changes.get("billing_same_as_shipping") and cart.shipping_address:
        cart.billing_address = dict(cart.shipping_address)
    # A rate chosen earlier stays chosen while it is still offered for the (new) address.
    await session.flush()
    if changes.get("shipping_rate_id") or changes.get("payment_method_id"):
        state = await build_checkout(session, hooks, cart)
        if changes.get("shipping_rate_id"):
            plugin_id, code = split_choice(changes["shipping_rate_id"])
            if not any((r.plugin_id, r.code) == (plugin_id, code) for r in state.rates):
                raise InvalidInput("That shipping method is not offered for this cart and address.",
                                   errors=[{"loc": ["body", "shipping_rate_id"], "msg": "not offered",
                                            "type": "value_error"}])
            cart.shipping_plugin_id, cart.shipping_code = plugin_id, code
        if changes.get("payment_method_id"):
            plugin_id, code = split_choice(changes["payment_method_id"])
            if not any((m.plugin_id, m.code) == (plugin_id, code) for m in state.methods):
                raise InvalidInput("That payment method is not offered for this cart.",
                                   errors=[{"loc": ["body", "payment_method_id"], "msg": "not offered",
                                            "type": "value_error"}])
            cart.payment_plugin_id, cart.payment_code = plugin_id, code
        await session.flush()
    if hold_stock and hooks.store.checkout_hold_minutes:
        await hold_cart_stock(session, hooks.store, await price_cart(session, cart))
