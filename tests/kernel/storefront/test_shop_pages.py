"""A guest buys through the storefront's pages: browse, add to cart, change the cart, check out
and place the order, with every refusal shown on the page and nothing half-written."""

from __future__ import annotations

import asyncio
from contextlib import aclosing
import re

import pytest
from sqlalchemy import func, select, update

from kernel.carts.models import Cart, CartLine
from kernel.catalog.models import ProductStatus, ProductVariant
from kernel.orders.models import Order
from tests.support import shop
from tests.support.storefront import add_to_cart, fill_checkout, form_page, hidden_fields, shopper

CA_TAX = {"rates": [{"country": "US", "region": "CA", "rate_bp": 725, "name": "CA sales tax"}]}


async def product_slug(factory, store, variant) -> str:
    from kernel.catalog.models import Product

    async with factory.session(store) as session:
        return (await session.get(Product, variant.product_id)).slug


async def orders_of(factory, store) -> list[Order]:
    async with factory.session(store) as session:
        return (await session.execute(select(Order).order_by(Order.id))).scalars().all()


async def stock_of(factory, store, variant) -> int:
    async with factory.session(store) as session:
        return (await session.get(ProductVariant, variant.id)).stock_on_hand


async def ready_to_place(app, factory, *, stock: int = 5, quantity: int = 2):
    """A store with the standard plugins and CA tax, and a shopper whose checkout is complete."""
    store = await factory.store()
    await shop.standard_plugins(factory, store, tax=CA_TAX)
    v = await shop.variant(factory, store, price=2000, cost=800, stock=stock, name="Blue mug")
    browser = shopper(app, store)
    assert (await add_to_cart(browser, await product_slug(factory, store, v), v.id, quantity)).status_code == 303
    r = await fill_checkout(browser, shop.US_ADDRESS, rate="shipping_methods:standard",
                            method="manual_payments:bank_transfer")
    assert r.status_code == 303, r.text
    return store, v, browser


async def test_a_guest_buys_through_the_pages(app, client, factory):
    store = await factory.store()
    await shop.standard_plugins(factory, store, tax=CA_TAX)
    v = await shop.variant(factory, store, price=2000, cost=800, stock=5, name="Blue mug")
    await shop.variant(factory, store, name="Secret draft", status=ProductStatus.draft)
    async with shopper(app, store) as browser:
        home = await browser.get("/")
        assert home.status_code == 200 and "Blue mug" in home.text and "$20.00" in home.text
        assert "Secret draft" not in home.text
        slug = re.search(r'href="/products/([^"]+)"', home.text).group(1)

        added = await add_to_cart(browser, slug, v.id, 2)
        assert added.status_code == 303 and added.headers["location"] == "/cart"
        # The cart cookie is out of scripts' reach and stays home on cross-site posts.
        cart_cookie = added.headers["set-cookie"].lower()
        assert cart_cookie.startswith("pyc_cart=") and "httponly" in cart_cookie and "samesite=lax" in cart_cookie
        cart = await browser.get("/cart")
        assert "Blue mug" in cart.text and 'id="subtotal">$40.00' in cart.text and "Cart (2)" in cart.text

        # Before an address there is nothing to choose from and nothing to place.
        checkout = await browser.get("/checkout")
        assert "Enter your address to see the shipping methods." in checkout.text and "place-form" not in checkout.text
        assert (await fill_checkout(browser, shop.US_ADDRESS)).status_code == 303
        checkout = await browser.get("/checkout")
        assert re.findall(r'value="(shipping_methods:\w+)"', checkout.text) == [
            "shipping_methods:standard", "shipping_methods:express", "shipping_methods:premium"]
        assert "Choose a shipping method." in checkout.text and "place-form" not in checkout.text

        assert (await fill_checkout(browser, shop.US_ADDRESS, rate="shipping_methods:standard",
                                    method="manual_payments:bank_transfer")).status_code == 303
        checkout = await browser.get("/checkout")
        # 2 × 20.00 + 5.00 shipping + 7.25 % CA tax on both (2.90 + 0.36): what the API says too.
        assert 'id="total">$48.26' in checkout.text and "CA sales tax" in checkout.text
        token = browser.cookies["pyc_cart"]
        api = (await client.get(f"{shop.base(store)}/carts/current/checkout", headers={"X-Cart-Token": token})).json()
        assert api["totals"]["total"] == 4826 and api["shipping_rate_id"] == "shipping_methods:standard"

        placed = await browser.post("/checkout/place", data=hidden_fields(checkout.text, "place-form"))
        assert placed.status_code == 303 and placed.headers["location"] == "/checkout/complete"
        done = await browser.get("/checkout/complete")
        assert done.status_code == 200 and 'id="order-number">1<' in done.text
        assert "Please transfer $48.26" in done.text and 'id="order-total">$48.26' in done.text

        # The cart became the order: the header and the cart page start afresh.
        assert "Your cart is empty." in (await browser.get("/cart")).text
    [order] = await orders_of(factory, store)
    assert (order.number, order.total, order.email) == (1, 4826, "shopper@example.com")
    assert await stock_of(factory, store, v) == 3


async def test_the_form_token_makes_one_order_however_often_it_is_sent(app, factory):
    store, v, browser = await ready_to_place(app, factory)
    async with aclosing(browser):
        form = await form_page(browser, "/checkout", "place-form")
        answers = [await browser.post("/checkout/place", data=form) for _ in range(5)]
        assert {(a.status_code, a.headers["location"]) for a in answers} == {(303, "/checkout/complete")}
        # Another checkout page of the same browser (another tab) cannot order the cart again either.
        assert (await browser.get("/checkout")).status_code == 303  # the cart is ordered: back to the cart
    assert len(await orders_of(factory, store)) == 1
    assert await stock_of(factory, store, v) == 3


@pytest.mark.postgres_only
async def test_five_concurrent_posts_of_one_checkout_form_make_one_order(app, factory):
    store, v, browser = await ready_to_place(app, factory)
    async with aclosing(browser):
        form = await form_page(browser, "/checkout", "place-form")
        answers = await asyncio.gather(*(browser.post("/checkout/place", data=form) for _ in range(5)))
    # Each twin waits for the first placement to commit, then is shown the same confirmation.
    assert [(a.status_code, a.headers.get("location")) for a in answers] == [(303, "/checkout/complete")] * 5
    assert len(await orders_of(factory, store)) == 1
    assert await stock_of(factory, store, v) == 3


async def test_a_tampered_place_order_form_is_refused_and_orders_nothing(app, factory):
    store, v, browser = await ready_to_place(app, factory)
    async with aclosing(browser):
        form = await form_page(browser, "/checkout", "place-form")
        for tampered in ({"expected_total": "²"}, {"expected_total": "-1"}, {"expected_total": "12.5"},
                         {"expected_total": "9" * 40}, {"form_token": ""}, {"form_token": "pcf_" + "x" * 200}):
            refused = await browser.post("/checkout/place", data={**form, **tampered},
                                         headers={"accept": "text/html"})
            assert refused.status_code == 422 and "reload the checkout page" in refused.text, tampered
    assert await orders_of(factory, store) == []
    assert await stock_of(factory, store, v) == 5


async def test_two_checkout_pages_order_the_cart_once(app, factory):
    store, v, browser = await ready_to_place(app, factory)
    async with aclosing(browser):
        first = await form_page(browser, "/checkout", "place-form")
        second = await form_page(browser, "/checkout", "place-form")
        assert first["form_token"] != second["form_token"]
        assert (await browser.post("/checkout/place", data=first)).status_code == 303
        again = await browser.post("/checkout/place", data=second)
        assert again.status_code == 303 and again.headers["location"] == "/checkout/complete"
    assert len(await orders_of(factory, store)) == 1


async def test_posts_without_this_browsers_form_token_are_refused(app, factory):
    store = await factory.store()
    v = await shop.variant(factory, store, stock=5)
    slug = await product_slug(factory, store, v)
    async with shopper(app, store) as browser, shopper(app, store) as other:
        first = (await browser.get(f"/products/{slug}")).headers["set-cookie"].lower()
        assert first.startswith("pyc_visitor=") and "httponly" in first and "samesite=lax" in first
        assert "set-cookie" not in (await browser.get(f"/products/{slug}")).headers  # one visitor, one token
        bare = await browser.post("/cart/add", data={"variant_id": str(v.id), "quantity": "1"})
        assert bare.status_code == 403 and "Reload the page and try again." in bare.text
        # Another visitor's token (a page fetched by another site's server, say) is no better.
        foreign = await form_page(other, f"/products/{slug}")
        stolen = await browser.post("/cart/add", data={**foreign, "variant_id": str(v.id), "quantity": "1"})
        assert stolen.status_code == 403
        assert "pyc_cart" not in browser.cookies
    async with factory.session(store) as session:
        assert (await session.execute(select(func.count()).select_from(Cart))).scalar_one() == 0


async def test_refused_additions_show_the_product_again_and_make_no_cart(app, factory):
    store = await factory.store()
    v = await shop.variant(factory, store, stock=2, name="Rare print")
    slug = await product_slug(factory, store, v)
    async with shopper(app, store) as browser:
        too_many = await add_to_cart(browser, slug, v.id, 3)
        assert too_many.status_code == 409 and "Rare print" in too_many.text
        assert re.search(r'class="error" role="alert">[^<]*only 2', too_many.text, re.I), too_many.text
        nonsense = await add_to_cart(browser, slug, v.id, 0)
        assert nonsense.status_code == 422 and "quantity between 1 and 999" in nonsense.text
        assert "pyc_cart" not in browser.cookies
    async with factory.session(store) as session:
        assert (await session.execute(select(func.count()).select_from(Cart))).scalar_one() == 0


async def test_the_cart_page_changes_quantities_and_removes_lines(app, factory):
    store = await factory.store()
    v = await shop.variant(factory, store, price=1500, stock=4, name="Green tea")
    async with shopper(app, store) as browser:
        await add_to_cart(browser, await product_slug(factory, store, v), v.id, 1)
        page = await browser.get("/cart")
        line_id = re.search(r'action="/cart/lines/(\d+)"', page.text).group(1)
        fields = hidden_fields(page.text)
        changed = await browser.post(f"/cart/lines/{line_id}", data={**fields, "quantity": "3"})
        assert changed.status_code == 303
        assert 'id="subtotal">$45.00' in (await browser.get("/cart")).text
        too_many = await browser.post(f"/cart/lines/{line_id}", data={**fields, "quantity": "9"})
        assert too_many.status_code == 409 and 'id="subtotal">$45.00' in too_many.text
        assert re.search(r'role="alert">[^<]*only 4', too_many.text, re.I), too_many.text
        removed = await browser.post(f"/cart/lines/{line_id}", data={**fields, "quantity": "3", "remove": "1"})
        assert removed.status_code == 303 and "Your cart is empty." in (await browser.get("/cart")).text


async def test_a_bad_address_is_shown_beside_its_field_and_not_saved(app, factory):
    store = await factory.store()
    await shop.standard_plugins(factory, store)
    v = await shop.variant(factory, store, stock=5)
    async with shopper(app, store) as browser:
        await add_to_cart(browser, await product_slug(factory, store, v), v.id, 1)
        wrong = await fill_checkout(browser, {**shop.US_ADDRESS, "postcode": "ABCDE"})
        assert wrong.status_code == 422 and 'id="postcode-error"' in wrong.text
        assert 'value="ABCDE"' in wrong.text and 'value="1 Market St"' in wrong.text  # what the shopper typed stays
        no_email = await fill_checkout(browser, shop.US_ADDRESS, email="not-an-email")
        assert no_email.status_code == 422 and 'id="email-error"' in no_email.text
    async with factory.session(store) as session:
        cart = (await session.execute(select(Cart))).scalar_one()
        assert cart.shipping_address is None and cart.email is None


async def test_a_total_that_changed_since_the_page_is_not_placed(app, factory):
    store, v, browser = await ready_to_place(app, factory)
    async with aclosing(browser):
        form = await form_page(browser, "/checkout", "place-form")
        async with factory.session(store) as session:  # the merchant raises the price meanwhile
            await session.execute(update(ProductVariant).where(ProductVariant.id == v.id).values(price=2500))
        refused = await browser.post("/checkout/place", data=form)
        assert refused.status_code == 409 and "The total is now" in refused.text
        assert 'id="total">$58.99' in refused.text  # 2 × 25.00 + 5.00 + 7.25 % tax (3.63 + 0.36): the new total to decide on
    assert await orders_of(factory, store) == []
    assert await stock_of(factory, store, v) == 5


async def test_stock_held_by_another_checkout_is_explained_on_the_checkout_page(app, factory):
    store = await factory.store(checkout_hold_minutes=15)
    await shop.standard_plugins(factory, store)
    v = await shop.variant(factory, store, stock=2, name="Last lamp")
    slug = await product_slug(factory, store, v)
    async with shopper(app, store) as first, shopper(app, store) as second:
        for browser in (first, second):
            assert (await add_to_cart(browser, slug, v.id, 2)).status_code == 303
        assert (await fill_checkout(first, shop.US_ADDRESS)).status_code == 303  # holds both lamps
        refused = await fill_checkout(second, shop.US_ADDRESS)
        assert refused.status_code == 409
        assert "Only 0 of &#39;Last lamp&#39; can be held for you now" in refused.text
    async with factory.session(store) as session:
        emails = (await session.execute(select(Cart.email).order_by(Cart.id))).scalars().all()
    assert emails == ["shopper@example.com", None], "the refused checkout saved nothing"


async def test_pages_of_one_store_know_nothing_of_another(app, factory):
    """Store A's cart cookie, line ids and product slugs, aimed at every storefront page of store B."""
    from kernel.storefront.shop import router

    a, b = await factory.store(name="Store A"), await factory.store(name="Store B")
    await shop.standard_plugins(factory, a)
    await shop.standard_plugins(factory, b)
    va = await shop.variant(factory, a, stock=5, name="Only in A")
    vb = await shop.variant(factory, b, stock=5, name="Only in B")
    a_slug = await product_slug(factory, a, va)
    async with factory.session(a) as session:  # a category of A's under the same slug, holding A's product
        from kernel.catalog.models import Category, ProductCategory

        shelf = Category(name="A's shelf", slug=a_slug)
        session.add(shelf)
        await session.flush()
        session.add(ProductCategory(product_id=va.product_id, category_id=shelf.id))
    async with shopper(app, a) as in_a, shopper(app, b) as in_b:
        await add_to_cart(in_a, a_slug, va.id, 1)
        await fill_checkout(in_a, shop.US_ADDRESS, rate="shipping_methods:standard",
                            method="manual_payments:bank_transfer")
        a_page = await in_a.get("/cart")
        a_line = re.search(r'action="/cart/lines/(\d+)"', a_page.text).group(1)
        a_form = hidden_fields((await in_a.get("/checkout")).text, "place-form")
        b_fields = await form_page(in_b, f"/products/{await product_slug(factory, b, vb)}")  # B's own visitor token: the wall must hold without CSRF help
        in_b.cookies.set("pyc_cart", in_a.cookies["pyc_cart"], domain=f"{b.slug}.localhost")
        params = {"slug": a_slug, "line_id": a_line}
        form = {**a_form, **b_fields, "variant_id": str(va.id), "quantity": "1", "product": a_slug,
                "email": "x@example.com", **shop.US_ADDRESS}
        routes = [(method, route.path) for route in router.routes for method in route.methods]
        assert len(routes) >= 10
        for method, path in routes:
            url = re.sub(r"{(\w+)}", lambda m: params[m.group(1)], path)
            answer = await in_b.request(method, url, data=form if method == "POST" else None)
            assert answer.status_code in (200, 303, 403, 404, 422), (method, url, answer.status_code)
            assert "Only in A" not in answer.text, (method, url)
            if answer.status_code == 303:
                assert answer.headers["location"] in ("/cart", "/checkout"), (method, url)
    assert await orders_of(factory, a) == [] and await orders_of(factory, b) == []
    async with factory.session(a) as session:
        line = (await session.execute(select(CartLine))).scalar_one()
        assert line.quantity == 1
    async with factory.session(b) as session:
        assert (await session.execute(select(func.count()).select_from(Cart))).scalar_one() == 0


async def test_unknown_and_draft_products_are_a_readable_not_found_page(app, factory):
    store = await factory.store()
    draft = await shop.variant(factory, store, status=ProductStatus.draft)
    async with shopper(app, store) as browser:
        for slug in ("no-such-thing", await product_slug(factory, store, draft)):
            page = await browser.get(f"/products/{slug}", headers={"accept": "text/html"})
            assert page.status_code == 404 and "<html" in page.text and "not in the shop" in page.text


async def test_shoppers_find_products_by_words_and_by_category(app, client, factory):
    store = await factory.store()
    owner = await factory.staff(store, "owner")
    mug = await shop.variant(factory, store, name="Blue ceramic mug")
    await shop.variant(factory, store, name="Organic tee")
    await shop.variant(factory, store, name="Blue draft mug", status=ProductStatus.draft)
    kitchen = (await client.post(f"{shop.base(store)}/categories", headers=owner.headers,
                                 json={"name": "Kitchen", "slug": "kitchen"})).json()
    cups = (await client.post(f"{shop.base(store)}/categories", headers=owner.headers,
                              json={"name": "Cups", "slug": "cups", "parent_id": kitchen["id"]})).json()
    assert (await client.patch(f"{shop.base(store)}/products/{mug.product_id}", headers=owner.headers,
                               json={"category_ids": [cups["id"]]})).status_code == 200
    async with shopper(app, store) as browser:
        home = await browser.get("/")
        assert 'href="/categories/kitchen"' in home.text and 'href="/categories/cups"' not in home.text  # roots only
        found = await browser.get("/search", params={"q": "blue mu"})
        assert found.status_code == 200 and "Results for “blue mu”" in found.text
        assert "Blue ceramic mug" in found.text and "Organic tee" not in found.text and "Blue draft mug" not in found.text
        nothing = await browser.get("/search", params={"q": "sofa"})
        assert "Nothing matches “sofa”" in nothing.text and 'id="products"' not in nothing.text
        shelf = await browser.get("/categories/kitchen")  # its sub-category's products included
        assert "<h1>Kitchen</h1>" in shelf.text and "Blue ceramic mug" in shelf.text and "Organic tee" not in shelf.text
        assert (await browser.get("/categories/garden")).status_code == 404
        too_long = await browser.get("/search", params={"q": "x" * 201}, headers={"accept": "text/html"})
        assert too_long.status_code == 422 and "<strong>q</strong>" in too_long.text
