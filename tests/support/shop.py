"""Shop builders for order tests: products with stock, plugins enabled per store, a checkout
walked through the public API exactly as a storefront would."""

from __future__ import annotations

import uuid

from kernel.accounts.models import Customer
from kernel.accounts.service import start_session
from kernel.carts.service import create_cart
from kernel.catalog.models import Product, ProductStatus, ProductVariant
from kernel.catalog.search import refresh_products
from kernel.inventory.service import adjust_stock
from kernel.plugins import enable_plugin

US_ADDRESS = {"name": "Ada Lovelace", "line1": "1 Market St", "city": "San Francisco", "region": "CA",
              "postcode": "94105", "country": "US"}
DE_ADDRESS = {"name": "Grace Hopper", "line1": "Unter den Linden 1", "city": "Berlin", "postcode": "10117",
              "country": "DE"}


async def variant(factory, store, *, price: int = 1000, cost: int | None = 400, stock: int = 10,
                  name: str | None = None, status: ProductStatus = ProductStatus.active, weight_grams: int = 500,
                  tax_class: str = "standard", track_inventory: bool = True) -> ProductVariant:
    name = name or f"Product {uuid.uuid4().hex[:6]}"
    async with factory.session(store) as session:
        product = Product(name=name, slug=uuid.uuid4().hex[:12], status=status, tax_class=tax_class)
        v = ProductVariant(sku=f"SKU-{uuid.uuid4().hex[:8]}", price=price, cost=cost, weight_grams=weight_grams,
                           track_inventory=track_inventory, stock_on_hand=0)
        product.variants.append(v)
        session.add(product)
        await session.flush()
        await refresh_products(session, [product.id])  # its listed prices, as the catalog service keeps them
        if stock and track_inventory:
            await adjust_stock(session, v.id, stock, reason="received")
        return v


async def enable(factory, store, plugin_id: str, settings: dict | None = None) -> None:
    async with factory.session(store) as session:
        await enable_plugin(session, plugin_id, settings or {})


async def standard_plugins(factory, store, *, tax: dict | None = None, shipping: dict | None = None) -> None:
    """Manual payments, the default shipping methods, and (when given) regional tax."""
    await enable(factory, store, "manual_payments")
    await enable(factory, store, "shipping_methods", shipping)
    if tax is not None:
        await enable(factory, store, "regional_tax", tax)


def base(store) -> str:
    return f"/api/v1/stores/{store.slug}"


async def signed_in_customer(factory, store, email: str, **fields) -> tuple[Customer, dict[str, str]]:
    """A customer of ``store`` and the headers of a session they signed in to (their bearer token)."""
    async with factory.session(store) as session:
        customer = Customer(email=email, **fields)
        session.add(customer)
        await session.flush()
        token = await start_session(session, customer=customer)
    return customer, {"Authorization": f"Bearer {token}"}


async def new_cart(factory, store, headers: dict | None = None, *, customer_id: int | None = None) -> dict[str, str]:
    """An empty cart, made through the service; returns the headers that carry its token (plus any
    auth headers given)."""
    async with factory.session(store) as session:
        _cart, token = await create_cart(session, store.currency, customer_id)
    return {**(headers or {}), "X-Cart-Token": token}


async def fill_checkout(client, store, cart_headers, *, variant_id: int, quantity: int = 1, address=US_ADDRESS,
                        email: str = "shopper@example.com", rate: str = "shipping_methods:standard",
                        method: str = "manual_payments:bank_transfer") -> dict:
    url = base(store)
    r = await client.post(f"{url}/carts/current/lines", json={"variant_id": variant_id, "quantity": quantity},
                          headers=cart_headers)
    assert r.status_code == 200, r.text
    r = await client.patch(f"{url}/carts/current/checkout", headers=cart_headers,
                           json={"email": email, "shipping_address": address, "billing_same_as_shipping": True})
    assert r.status_code == 200, r.text
    r = await client.patch(f"{url}/carts/current/checkout", headers=cart_headers,
                           json={"shipping_rate_id": rate, "payment_method_id": method})
    assert r.status_code == 200, r.text
    return r.json()


async def place(client, store, cart_headers, key: str | None = None, body: dict | None = None):
    headers = dict(cart_headers)
    if key:
        headers["Idempotency-Key"] = key
    return await client.post(f"{base(store)}/carts/current/checkout/place", headers=headers, json=body or {})


async def buy(client, factory, store, *, variant_id: int, quantity: int = 1, **kw) -> dict:
    """A whole guest checkout; returns the placed order body."""
    cart_headers = await new_cart(factory, store)
    await fill_checkout(client, store, cart_headers, variant_id=variant_id, quantity=quantity, **kw)
    r = await place(client, store, cart_headers)
    assert r.status_code == 201, r.text
    return r.json()
