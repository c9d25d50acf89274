"""Carts: lines priced from the catalog on every read, with a clear message for each problem."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, select

from kernel.accounts.models import Customer
from kernel.carts.models import Cart, CartLine, CartStatus
from kernel.carts.service import add_line, cart_by_token, create_cart, merge_carts, price_cart
from kernel.catalog.models import Product, ProductStatus, ProductVariant
from tests.support import shop


async def test_lines_add_change_remove_and_live_prices(client, factory):
    store = await factory.store()
    v = await shop.variant(factory, store, price=1500, stock=10, name="Mug")
    w = await shop.variant(factory, store, price=250, stock=10, name="Spoon")
    cart = await shop.new_cart(factory, store)
    url = f"{shop.base(store)}/carts/current"
    r = await client.post(f"{url}/lines", json={"variant_id": v.id, "quantity": 2}, headers=cart)
    r = await client.post(f"{url}/lines", json={"variant_id": v.id}, headers=cart)  # same variant: adds up
    r = await client.post(f"{url}/lines", json={"variant_id": w.id, "quantity": 4}, headers=cart)
    body = r.json()
    assert [(l["name"], l["quantity"], l["subtotal"]) for l in body["lines"]] == [("Mug", 3, 4500), ("Spoon", 4, 1000)]
    assert body["subtotal"] == 5500 and body["item_count"] == 7 and body["problems"] == []
    mug, spoon = body["lines"]
    r = await client.patch(f"{url}/lines/{mug['id']}", json={"quantity": 1}, headers=cart)
    assert r.json()["subtotal"] == 1500 + 1000
    r = await client.delete(f"{url}/lines/{spoon['id']}", headers=cart)
    assert r.json()["subtotal"] == 1500 and len(r.json()["lines"]) == 1
    # The merchant changes the price: the cart shows the new one at once.
    async with factory.session(store) as session:
        (await session.get(ProductVariant, v.id)).price = 1800
    assert (await client.get(url, headers=cart)).json()["subtotal"] == 1800
    r = await client.patch(f"{url}/lines/{mug['id']}", json={"quantity": 0}, headers=cart)
    assert r.json()["lines"] == []
    # Writes never carry a price.
    r = await client.post(f"{url}/lines", json={"variant_id": v.id, "price": 1}, headers=cart)
    assert r.status_code == 422


async def test_clear_messages_for_gone_inactive_and_short_items(client, factory):
    store = await factory.store()
    gone = await shop.variant(factory, store, name="Gone")
    inactive = await shop.variant(factory, store, name="Retired")
    short = await shop.variant(factory, store, name="Scarce", stock=3)
    cart = await shop.new_cart(factory, store)
    url = f"{shop.base(store)}/carts/current"
    for v, qty in ((gone, 1), (inactive, 1), (short, 3)):
        assert (await client.post(f"{url}/lines", json={"variant_id": v.id, "quantity": qty}, headers=cart)).status_code == 200
    async with factory.session(store) as session:
        await session.execute(delete(Product).where(Product.id == gone.product_id))
        (await session.get(Product, inactive.product_id)).status = ProductStatus.archived
        (await session.get(ProductVariant, short.id)).stock_on_hand = 2
    body = (await client.get(url, headers=cart)).json()
    assert body["problems"] == [
        "This item is no longer available and was removed from sale.",
        "'Retired' is no longer on sale.",
        "Only 2 of 'Scarce' left in stock; reduce the quantity."]
    assert body["subtotal"] == 0  # problem lines are not counted
    # Adding refuses what cannot be sold, with the same words.
    r = await client.post(f"{url}/lines", json={"variant_id": short.id, "quantity": 5}, headers=cart)
    assert r.status_code == 409 and "Only 2 of 'Scarce'" in r.json()["detail"]
    r = await client.post(f"{url}/lines", json={"variant_id": inactive.id}, headers=cart)
    assert r.status_code == 409 and "no longer on sale" in r.json()["detail"]
    r = await client.post(f"{url}/lines", json={"variant_id": 987654321}, headers=cart)
    assert r.status_code == 404


async def test_cart_is_bound_to_its_store_and_token(client, factory):
    a = await factory.store()
    b = await factory.store()
    va = await shop.variant(factory, a)
    cart_a = await shop.new_cart(factory, a)
    r = await client.post(f"{shop.base(a)}/carts/current/lines", json={"variant_id": va.id}, headers=cart_a)
    line_id = r.json()["lines"][0]["id"]
    assert (await client.get(f"{shop.base(b)}/carts/current", headers=cart_a)).status_code == 404
    r = await client.patch(f"{shop.base(b)}/carts/current/lines/{line_id}", json={"quantity": 3}, headers=cart_a)
    assert r.status_code == 404
    assert (await client.get(f"{shop.base(a)}/carts/current")).status_code == 404  # no token
    assert (await client.get(f"{shop.base(a)}/carts/current", headers={"X-Cart-Token": "pct_forged"})).status_code == 404
    # The cookie works as well as the header.
    client.cookies.set("pyc_cart", cart_a["X-Cart-Token"])
    r = await client.get(f"{shop.base(a)}/carts/current")
    client.cookies.clear()
    assert r.status_code == 200 and r.json()["item_count"] == 1
    # A variant of store B cannot be put in a cart of store A.
    vb = await shop.variant(factory, b)
    r = await client.post(f"{shop.base(a)}/carts/current/lines", json={"variant_id": vb.id}, headers=cart_a)
    assert r.status_code == 404
    # A line naming it anyway (lines keep no foreign key to the variant, on purpose) is read with
    # the cart in one statement: store B's catalog row must not come along with it.
    async with factory.session(a) as session:
        session.add(CartLine(cart_id=(await cart_by_token(session, cart_a["X-Cart-Token"])).id, variant_id=vb.id,
                             quantity=1))
    body = (await client.get(f"{shop.base(a)}/carts/current", headers=cart_a)).json()
    foreign = next(l for l in body["lines"] if l["variant_id"] == vb.id)
    assert (foreign["sku"], foreign["unit_price"], foreign["product_id"]) == ("", 0, None)
    assert foreign["problem"] == "This item is no longer available and was removed from sale."
    assert body["subtotal"] == va.price
    # Adding reads the cart's lines with its write (one statement on PostgreSQL): the same wall holds.
    r = await client.post(f"{shop.base(a)}/carts/current/lines", json={"variant_id": va.id}, headers=cart_a)
    foreign = next(l for l in r.json()["lines"] if l["variant_id"] == vb.id)
    assert (foreign["sku"], foreign["unit_price"], foreign["product_id"]) == ("", 0, None)
    assert r.json()["subtotal"] == 2 * va.price
    # Store A's cart token adds nothing through store B's API, not even store B's own variant.
    r = await client.post(f"{shop.base(b)}/carts/current/lines", json={"variant_id": vb.id}, headers=cart_a)
    assert r.status_code == 404
    assert (await client.get(f"{shop.base(a)}/carts/current", headers=cart_a)).json()["item_count"] == 3


async def test_merge_carts_on_sign_in(factory):
    store = await factory.store()
    v = await shop.variant(factory, store, stock=50)
    w = await shop.variant(factory, store, stock=50)
    async with factory.session(store) as session:
        customer = Customer(email="merge@example.com")
        session.add(customer)
        await session.flush()
        own, _ = await create_cart(session, store.currency, customer.id)
        await add_line(session, own, v.id, 2)
        guest, _ = await create_cart(session, store.currency)
        await add_line(session, guest, v.id, 3)
        await add_line(session, guest, w.id, 1)
        merged = await merge_carts(session, guest, customer)
        assert merged.id == own.id and guest.status == CartStatus.merged
        priced = await price_cart(session, merged)
        assert sorted((l.variant_id, l.quantity) for l in priced.lines) == [(v.id, 5), (w.id, 1)]
        # No customer cart yet: the guest cart simply becomes theirs.
        other = Customer(email="other@example.com")
        session.add(other)
        await session.flush()
        lone, _ = await create_cart(session, store.currency)
        await add_line(session, lone, w.id, 1)
        assert (await merge_carts(session, lone, other)).id == lone.id and lone.customer_id == other.id
        assert lone.email == "other@example.com"
        statuses = (await session.execute(select(Cart.status).where(Cart.id.in_([own.id, guest.id, lone.id])))).scalars()
        assert sorted(s.value for s in statuses) == ["merged", "open", "open"]


async def test_addresses_validated_per_country(client, factory):
    store = await factory.store()
    await shop.standard_plugins(factory, store)
    cart = await shop.new_cart(factory, store)
    url = f"{shop.base(store)}/carts/current/checkout"
    cases = [({**shop.US_ADDRESS, "postcode": "9410"}, "postcode"), ({**shop.US_ADDRESS, "region": ""}, "region"),
             ({**shop.DE_ADDRESS, "postcode": "1011"}, "postcode"), ({**shop.DE_ADDRESS, "country": "XX"}, "country"),
             ({**shop.DE_ADDRESS, "city": ""}, "city"), ({**shop.DE_ADDRESS, "country": "NL", "postcode": "1012"}, "postcode")]
    for address, field in cases:
        r = await client.patch(url, json={"shipping_address": address}, headers=cart)
        assert r.status_code == 422, (address, r.text)
        assert ["body", "shipping_address", field] in [e["loc"] for e in r.json()["errors"]]
    good = [{**shop.DE_ADDRESS, "country": "GB", "postcode": "sw1a1aa"}, {**shop.DE_ADDRESS, "country": "CA", "region": "ON", "postcode": "k1a0b1"},
            {**shop.DE_ADDRESS, "country": "NL", "postcode": "1012ab"}, {**shop.DE_ADDRESS, "country": "JP", "region": "13", "postcode": "1000001"},
            {**shop.DE_ADDRESS, "country": "FR", "postcode": "75001"}, {**shop.DE_ADDRESS, "country": "BR", "postcode": "01310-100"},
            {**shop.DE_ADDRESS, "country": "IE", "postcode": ""}]
    expected = ["SW1A 1AA", "K1A 0B1", "1012 AB", "100-0001", "75001", "01310-100", ""]
    for address, postcode in zip(good, expected):
        r = await client.patch(url, json={"shipping_address": address}, headers=cart)
        assert r.status_code == 200, (address, r.text)
        assert r.json()["shipping_address"]["postcode"] == postcode
    r = await client.patch(url, json={"shipping_address": {**shop.DE_ADDRESS, "name": "Bad\x00Name"}}, headers=cart)
    assert r.status_code == 422
    r = await client.patch(url, json={"email": "not-an-email"}, headers=cart)
    assert r.status_code == 422


async def test_signed_in_customer_gets_merged_cart_through_the_api(client, factory):
    store = await factory.store()
    v = await shop.variant(factory, store, stock=20, name="Tea")
    customer, auth = await shop.signed_in_customer(factory, store, "tea@example.com")
    mine = await shop.new_cart(factory, store, headers=auth, customer_id=customer.id)  # the customer's own cart
    await client.post(f"{shop.base(store)}/carts/current/lines", json={"variant_id": v.id, "quantity": 2}, headers=mine)
    guest = await shop.new_cart(factory, store)
    await client.post(f"{shop.base(store)}/carts/current/lines", json={"variant_id": v.id, "quantity": 3},
                      headers=guest)
    for _ in range(2):  # merging happens once; the guest token keeps leading to the customer's cart
        r = await client.get(f"{shop.base(store)}/carts/current", headers={**guest, **auth})
        assert r.status_code == 200 and r.json()["item_count"] == 5
    # Signed out, the merged guest token no longer opens anything, nor does the customer's cart token.
    assert (await client.get(f"{shop.base(store)}/carts/current", headers=guest)).status_code == 404
    assert (await client.get(f"{shop.base(store)}/carts/current",
                             headers={"X-Cart-Token": mine["X-Cart-Token"]})).status_code == 404


async def test_create_cart_through_the_api(client, factory):
    store = await factory.store(currency="JPY")
    v = await shop.variant(factory, store, price=1200, stock=3, name="Tea bowl")
    url = f"{shop.base(store)}/carts"
    r = await client.post(url, json={"lines": [{"variant_id": v.id, "quantity": 5}]})
    assert r.status_code == 409 and "Only 3 of 'Tea bowl'" in r.json()["detail"]
    r = await client.post(url, json={"lines": [{"variant_id": v.id, "quantity": 2}]})
    assert r.status_code == 201
    body = r.json()
    assert body["subtotal"] == 2400 and body["currency_exponent"] == 0 and body["token"].startswith("pct_")
    assert client.cookies.get("pyc_cart") == body["token"]
    r = await client.get(f"{url}/current")  # the cookie alone finds it
    client.cookies.clear()
    assert r.status_code == 200 and r.json()["item_count"] == 2
    async with factory.session(store) as session:
        assert (await session.execute(select(Cart.id).where(Cart.status == CartStatus.open))).scalars().all() != []


@pytest.mark.postgres_only
async def test_a_merge_racing_the_placement_of_the_target_cart_is_refused(factory):
    """Merging takes the customer's cart lock like every change: when that cart became an order while
    the merge waited, the merge is refused instead of adding lines to an ordered cart."""
    import asyncio

    from sqlalchemy import update

    from kernel.carts.service import CartAlreadyOrdered

    store = await factory.store()
    v = await shop.variant(factory, store, stock=50)
    async with factory.session(store) as session:
        customer = Customer(email="race@example.com")
        session.add(customer)
        await session.flush()
        own, _ = await create_cart(session, store.currency, customer.id)
        await add_line(session, own, v.id, 1)
        guest, _ = await create_cart(session, store.currency)
        await add_line(session, guest, v.id, 2)
    async with factory.session(store) as placing:  # a placement holds the customer's cart…
        await placing.execute(update(Cart).where(Cart.id == own.id).values(status=CartStatus.converted))

        async def merge():
            async with factory.session(store) as session:
                g = await session.get(Cart, guest.id)
                c = await session.get(Customer, customer.id)
                await merge_carts(session, g, c)
        merging = asyncio.create_task(merge())
        await asyncio.sleep(0.5)  # …while the merge has found it open and waits for its lock
        assert not merging.done()
    with pytest.raises(CartAlreadyOrdered):
        await merging
    async with factory.session(store) as session:
        lines = (await session.get(Cart, own.id)).lines
        assert [(l.variant_id, l.quantity) for l in lines] == [(v.id, 1)]
        assert (await session.get(Cart, guest.id)).status == CartStatus.open


async def _a_guest_cart_with_one_mug(factory):
    """A store with two variants in stock (a mug and a cap) and a guest cart holding one mug."""
    store = await factory.store()
    mug, cap = await shop.variant(factory, store, stock=50), await shop.variant(factory, store, stock=50)
    async with factory.session(store) as session:
        cart, token = await create_cart(session, store.currency)
        await add_line(session, cart, mug.id, 1)
    return store, mug, cap, token


@pytest.mark.postgres_only
async def test_two_adds_at_once_add_up(factory):
    """Two "add" clicks at once: the second read the cart before the first committed; it must add
    to the first one's quantity (3), not overwrite it (2), and price the line the first one added."""
    from kernel.carts.service import add_line_and_price, cart_by_token

    store, mug, cap, token = await _a_guest_cart_with_one_mug(factory)
    async with factory.session(store) as late:
        stale = await cart_by_token(late, token)  # read before the other click commits
        async with factory.session(store) as first:
            await add_line_and_price(first, await cart_by_token(first, token), mug.id, 1)
            await add_line(first, await cart_by_token(first, token), cap.id, 1)
        priced = await add_line_and_price(late, stale, mug.id, 1)
        assert sorted((l.variant_id, l.quantity, l.problem) for l in priced.lines) == \
            [(mug.id, 3, None), (cap.id, 1, None)]
    async with factory.session(store) as session:
        lines = (await cart_by_token(session, token)).lines
        assert sorted((l.variant_id, l.quantity) for l in lines) == [(mug.id, 3), (cap.id, 1)]


async def test_an_add_to_an_unchanged_cart_writes_once_and_keeps_the_line_as_stored(app, factory):
    """The busiest storefront write: when nobody changed the cart since this request read it,
    touching the cart (its lock) and writing the line is one statement on PostgreSQL (two on
    SQLite, which cannot write in a WITH), for a new line and for more of one; what the request
    then shows is what the database holds, with nothing left to flush."""
    from sqlalchemy import event

    from kernel.carts.models import CartLine
    from kernel.carts.service import add_line_and_price, cart_by_token

    store = await factory.store()
    mug, cap = await shop.variant(factory, store, stock=50), await shop.variant(factory, store, stock=50)
    async with factory.session(store) as session:
        cart, token = await create_cart(session, store.currency)
    writes: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith(("INSERT", "UPDATE", "WITH")):
            writes.append(statement)

    engine = app.state.engine.sync_engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        shown = {}
        for variant in (mug, cap, mug):
            async with factory.session(store) as session:
                priced = await add_line_and_price(session, await cart_by_token(session, token), variant.id, 2)
                assert not session.dirty and not session.new
                shown = {l.variant_id: (l.line_id, l.quantity) for l in priced.lines}
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len(writes) == 3 * (1 if app.state.engine.dialect.name == "postgresql" else 2), writes
    async with factory.session(store) as session:
        stored = (await session.execute(select(CartLine).where(CartLine.cart_id == cart.id))).scalars().all()
        assert {l.variant_id: (l.id, l.quantity) for l in stored} == shown == {
            mug.id: (shown[mug.id][0], 4), cap.id: (shown[cap.id][0], 2)}


async def test_a_cart_is_read_with_its_prices_in_one_statement_whatever_its_lines(app, client, factory):
    """Every cart request starts by reading the cart; its lines' catalog rows come on the same
    rows, so showing a cart of one line or of six costs the same statements, and adding more of
    an item already in it reads nothing more than showing it does."""
    from sqlalchemy import event

    store = await factory.store()
    items = [await shop.variant(factory, store, stock=50) for _ in range(6)]
    small, large = await shop.new_cart(factory, store), await shop.new_cart(factory, store)
    url = f"{shop.base(store)}/carts/current"
    for headers, count in ((small, 1), (large, 6)):
        for item in items[:count]:
            assert (await client.post(f"{url}/lines", json={"variant_id": item.id}, headers=headers)).status_code == 200
    reads: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith(("SELECT", "WITH")) and "set_config('app.store_id', :sid" not in statement:
            reads.append(statement)

    engine = app.state.engine.sync_engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        seen = {}
        for name, headers in (("small", small), ("large", large)):
            reads.clear()
            body = (await client.get(url, headers=headers)).json()
            seen[name] = len(reads)
            assert body["subtotal"] == sum(item.price for item in items[:len(body["lines"])])
        reads.clear()
        r = await client.post(f"{url}/lines", json={"variant_id": items[3].id}, headers=large)
        seen["add more"] = len(reads)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert r.status_code == 200 and r.json()["lines"][3]["quantity"] == 2
    # The store's statement and the cart's: no separate read of the catalog. (On PostgreSQL the
    # add's statement is the one that writes too: see the next test.)
    assert seen == {"small": 2, "large": 2, "add more": 2}, seen


@pytest.mark.postgres_only
async def test_an_add_refused_on_the_cart_as_read_is_judged_again_on_the_cart_as_it_is(factory):
    """A shopper lowers a line from 998 to 1 while another tab, which read 998, adds 5 more: on the
    cart as that tab read it the add would pass the 999 cap, on the cart as it is it fits (6)."""
    from kernel.carts.service import add_line_and_price, cart_by_token, set_quantity

    store = await factory.store()
    mug = await shop.variant(factory, store, stock=5000)
    async with factory.session(store) as session:
        cart, token = await create_cart(session, store.currency)
        await add_line(session, cart, mug.id, 998)
    async with factory.session(store) as late:
        stale = await cart_by_token(late, token)  # reads 998
        async with factory.session(store) as first:
            current = await cart_by_token(first, token)
            await set_quantity(first, current, current.lines[0].id, 1)
        priced = await add_line_and_price(late, stale, mug.id, 5)
        assert [(l.variant_id, l.quantity) for l in priced.lines] == [(mug.id, 6)]
    async with factory.session(store) as session:
        assert [(l.variant_id, l.quantity) for l in (await cart_by_token(session, token)).lines] == [(mug.id, 6)]


def test_a_catalog_row_names_the_columns_the_cart_reads_in_their_order():
    """Lines are priced by name from tuples of the cart statement's last columns: a column added
    to one and not the other, or moved, would price a line from the wrong value."""
    from kernel.carts.service import CatalogRow, _catalog_columns

    assert [column.key for column in _catalog_columns()] == list(CatalogRow._fields)


async def test_a_unit_of_work_that_writes_the_catalog_prices_its_cart_afresh(factory):
    """The catalog rows read with the cart are reused only until the same unit of work writes the
    catalog: after a price change (a flush) or a stock change (a plain UPDATE), the cart is
    priced from the catalog as it now is."""
    from kernel.carts.service import cart_by_token
    from kernel.inventory.service import change_stock

    store = await factory.store()
    mug = await shop.variant(factory, store, price=1500, stock=10)
    async with factory.session(store) as session:
        cart, token = await create_cart(session, store.currency)
        await add_line(session, cart, mug.id, 2)
    async with factory.session(store) as session:
        cart = await cart_by_token(session, token)
        (await session.get(ProductVariant, mug.id)).price = 1800
        await session.flush()
        assert [(l.unit_price, l.available) for l in (await price_cart(session, cart)).lines] == [(1800, 10)]
        await change_stock(session, mug.id, -9)
        priced = await price_cart(session, cart)
        assert [(l.unit_price, l.available, l.problem) for l in priced.lines] == \
            [(1800, 1, f"Only 1 of '{priced.lines[0].name}' left in stock; reduce the quantity.")]


@pytest.mark.postgres_only
async def test_a_guests_add_is_one_statement_and_a_refused_add_writes_nothing(app, client, factory):
    """A guest's add to their open cart is one statement after the store's: it touches the cart,
    writes the line and reads every line with its price. Judged after the write, a refusal must
    leave nothing behind: not the line, not the cart's touch."""
    from sqlalchemy import event

    store = await factory.store()
    mug = await shop.variant(factory, store, price=1500, stock=5, name="Mug")
    cap = await shop.variant(factory, store, price=700, stock=50, name="Cap")
    headers = await shop.new_cart(factory, store)
    url = f"{shop.base(store)}/carts/current/lines"
    assert (await client.post(url, json={"variant_id": cap.id, "quantity": 2}, headers=headers)).status_code == 200
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    async def stored():
        async with factory.session(store) as session:
            cart = (await session.execute(select(Cart).where(Cart.id == cart_id))).scalar_one()
            lines = (await session.execute(select(CartLine.variant_id, CartLine.quantity)
                                           .where(CartLine.cart_id == cart_id).order_by(CartLine.id))).all()
            return cart.updated_at, [tuple(line) for line in lines]

    async with factory.session(store) as session:
        cart_id = (await cart_by_token(session, headers["X-Cart-Token"])).id
    engine = app.state.engine.sync_engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        r = await client.post(url, json={"variant_id": mug.id, "quantity": 3}, headers=headers)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert r.status_code == 200, r.text
    assert [(l["name"], l["quantity"], l["subtotal"]) for l in r.json()["lines"]] == [("Cap", 2, 1400), ("Mug", 3, 4500)]
    assert len(statements) == 2 and statements[1].lstrip().upper().startswith("WITH"), statements
    before = await stored()
    assert before[1] == [(cap.id, 2), (mug.id, 3)]
    refusals = [({"variant_id": mug.id, "quantity": 3}, 409, "Only 5 of 'Mug' left"),  # 6 of 5 in stock
                ({"variant_id": cap.id, "quantity": 998}, 422, "between 1 and 999"),
                ({"variant_id": 987654321}, 404, "No variant")]
    for body, status, words in refusals:
        r = await client.post(url, json=body, headers=headers)
        assert r.status_code == status and words in r.json()["detail"], (body, r.text)
        assert await stored() == before


@pytest.mark.postgres_only
async def test_a_guests_add_never_prices_a_line_from_another_stores_catalog(factory, sessionmaker):
    """The one-statement add names tables, not ORM entities, so the ORM's store criteria do not
    reach it: it scopes every table itself. A line that points at another store's variant (data
    written across the walls) must come back as no longer available, never with that store's name
    and price, even with row-level security lifted (the test lifts it: the statement must hold alone)."""
    from sqlalchemy import insert, text

    from kernel.carts.service import add_to_guest_cart
    from kernel.db import cross_store_session, utcnow
    from kernel.errors import NotFound

    store, mug, cap, token = await _a_guest_cart_with_one_mug(factory)
    other = await factory.store()
    secret = await shop.variant(factory, other, price=99_00, stock=5, name="Other store's lamp")
    async with factory.session(store) as session:
        cart_id = (await cart_by_token(session, token)).id
    async with cross_store_session(sessionmaker) as everyone:
        await everyone.execute(insert(CartLine.__table__).values(
            store_id=store.id, cart_id=cart_id, variant_id=secret.id, quantity=1, created_at=utcnow(),
            updated_at=utcnow()))
    async with factory.session(store) as session:
        await session.execute(text("select set_config('app.all_stores', 'on', true)"))  # RLS lifted
        priced = await add_to_guest_cart(session, token, cap.id, 1)
        foreign = next(line for line in priced.lines if line.variant_id == secret.id)
        assert (foreign.name, foreign.unit_price, foreign.available) == ("", 0, 0)
        assert foreign.problem == "This item is no longer available and was removed from sale."
        assert priced.subtotal == mug.price + cap.price  # one of each; the foreign line counts nothing
    with pytest.raises(NotFound, match=f"No variant with id {secret.id} in this store"):
        async with factory.session(store) as session:
            await session.execute(text("select set_config('app.all_stores', 'on', true)"))
            await add_to_guest_cart(session, token, secret.id, 1)


@pytest.mark.postgres_only
async def test_a_guests_add_racing_another_change_reads_the_cart_as_it_is(factory):
    """The one-statement add reads the other lines as its snapshot has them. When another request's
    change to the cart commits while the add waits for the cart's lock, that snapshot misses it:
    the add must write nothing and leave it to the general path, which reads the cart anew."""
    import asyncio

    from kernel.carts.service import add_line_and_price, add_to_guest_cart

    store, mug, cap, token = await _a_guest_cart_with_one_mug(factory)
    async with factory.session(store) as late:
        async with factory.session(store) as first:
            await add_line(first, await cart_by_token(first, token), cap.id, 1)  # holds the cart's lock
            racing = asyncio.create_task(add_to_guest_cart(late, token, mug.id, 1))
            await asyncio.sleep(0.3)
            assert not racing.done()  # waiting for the lock
        assert await racing is None  # the cart changed after its snapshot: nothing written
        priced = await add_line_and_price(late, await cart_by_token(late, token), mug.id, 1)
        assert sorted((l.variant_id, l.quantity) for l in priced.lines) == sorted([(mug.id, 2), (cap.id, 1)])
    async with factory.session(store) as session:
        lines = (await cart_by_token(session, token)).lines
        assert sorted((l.variant_id, l.quantity) for l in lines) == sorted([(mug.id, 2), (cap.id, 1)])
    async with factory.session(store) as session:  # unraced, the same call adds and answers the whole cart
        priced = await add_to_guest_cart(session, token, cap.id, 2)
        assert sorted((l.variant_id, l.quantity) for l in priced.lines) == sorted([(mug.id, 2), (cap.id, 3)])


async def test_a_cart_can_start_empty(client, factory):
    """A client may make the cart before the shopper picks anything: no body, or no lines."""
    store = await factory.store()
    v = await shop.variant(factory, store, price=900, stock=5, name="Tea")
    for body in (None, {}, {"lines": []}):
        created = await client.post(f"{shop.base(store)}/carts", json=body) if body is not None \
            else await client.post(f"{shop.base(store)}/carts")
        assert created.status_code == 201, created.text
        assert created.json()["lines"] == [] and created.json()["subtotal"] == 0
    token = {"X-Cart-Token": created.json()["token"]}
    added = await client.post(f"{shop.base(store)}/carts/current/lines", json={"variant_id": v.id, "quantity": 2},
                              headers=token)
    assert added.status_code == 200 and added.json()["subtotal"] == 1800
