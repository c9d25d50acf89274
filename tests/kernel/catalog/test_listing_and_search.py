"""Listing, filters, full-text search and keyset pagination: correct, stable, on both databases."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
from sqlalchemy import event, text, update

from kernel.catalog.models import Product
from kernel.db import store_session

from tests.support.factory import unique


def base(store) -> str:
    return f"/api/v1/stores/{store.slug}"


async def seed(client, store, headers):
    """Ten products with known names, prices, categories, attributes and stock."""
    tops = (await client.post(f"{base(store)}/categories", headers=headers, json={"name": "Tops"})).json()
    tees = (await client.post(f"{base(store)}/categories", headers=headers,
                              json={"name": "Tees", "parent_id": tops["id"]})).json()
    mugs = (await client.post(f"{base(store)}/categories", headers=headers, json={"name": "Mugs"})).json()
    specs = [
        ("Organic Cotton Tee", 1500, [tees["id"]], "cotton", 3),
        ("Linen Shirt", 4500, [tops["id"]], "linen", 0),
        ("Striped Tee", 1800, [tees["id"]], "cotton", 7),
        ("Ceramic Mug", 1200, [mugs["id"]], "ceramic", 2),
        ("Enamel Mug", 900, [mugs["id"]], "enamel", 0),
        ("Wool Sweater", 8900, [tops["id"]], "wool", 1),
        ("Graphic Tee", 2200, [tees["id"]], "cotton", 4),
        ("Travel Mug", 2500, [mugs["id"]], "steel", 6),
        ("Cotton Hoodie", 6500, [tops["id"]], "cotton", 0),
        ("Basic Tee", 1500, [tees["id"]], "cotton", 9),
    ]
    ids = {}
    for name, price, cats, material, stock in specs:
        response = await client.post(f"{base(store)}/products", headers=headers, json={
            "name": name, "status": "active", "description": f"A {material} thing.", "category_ids": cats,
            "attributes": [{"key": "material", "value": material}],
            "variants": [{"sku": unique(name.split()[0].upper() + "-"), "price": price, "initial_stock": stock}]})
        assert response.status_code == 201, response.text
        ids[name] = response.json()["id"]
    return ids, {"tops": tops["id"], "tees": tees["id"], "mugs": mugs["id"]}


async def walk(client, url, headers, params, limit):
    """Every page of a listing; returns the names in order and the number of pages."""
    names, after, pages = [], None, 0
    while True:
        query = {**params, "limit": limit, **({"after": after} if after else {})}
        response = await client.get(url, headers=headers, params=query)
        assert response.status_code == 200, response.text
        body = response.json()
        names += [p["name"] for p in body["items"]]
        pages += 1
        after = body["next_cursor"]
        if not after:
            return names, pages


async def test_sorts_filters_and_pages_are_correct_and_stable(client, factory):
    store = await factory.store()
    owner = await factory.staff(store, "owner")
    ids, cats = await seed(client, store, owner.headers)
    url = f"{base(store)}/products"
    by_price, pages = await walk(client, url, owner.headers, {"sort": "price"}, 3)
    assert pages == 4
    assert by_price == ["Enamel Mug", "Ceramic Mug", "Organic Cotton Tee", "Basic Tee", "Striped Tee", "Graphic Tee",
                        "Travel Mug", "Linen Shirt", "Cotton Hoodie", "Wool Sweater"], "ties broken by id"
    assert (await walk(client, url, owner.headers, {"sort": "price"}, 4))[0] == by_price, "page size changes nothing"
    by_name, _ = await walk(client, url, owner.headers, {"sort": "name"}, 4)
    assert by_name == sorted(by_name)
    newest, _ = await walk(client, url, owner.headers, {"sort": "newest"}, 3)
    assert newest == list(reversed(list(ids)))
    desc, _ = await walk(client, url, owner.headers, {"sort": "price_desc"}, 3)
    assert desc[0] == "Wool Sweater" and desc[-1] == "Enamel Mug"

    tees, _ = await walk(client, url, owner.headers, {"category_id": cats["tees"], "sort": "name"}, 2)
    assert tees == ["Basic Tee", "Graphic Tee", "Organic Cotton Tee", "Striped Tee"]
    tops, _ = await walk(client, url, owner.headers, {"category_id": cats["tops"], "sort": "name"}, 50)
    assert len(tops) == 7, "a category includes its subcategories"
    cheap, _ = await walk(client, url, owner.headers, {"min_price": 1000, "max_price": 1800, "sort": "price"}, 50)
    assert cheap == ["Ceramic Mug", "Organic Cotton Tee", "Basic Tee", "Striped Tee"]
    cotton, _ = await walk(client, url, owner.headers, {"attr": "material:cotton", "sort": "name"}, 50)
    assert cotton == ["Basic Tee", "Cotton Hoodie", "Graphic Tee", "Organic Cotton Tee", "Striped Tee"]
    in_stock, _ = await walk(client, url, owner.headers, {"in_stock": "true", "sort": "name",
                                                          "attr": "material:cotton"}, 50)
    assert "Cotton Hoodie" not in in_stock and len(in_stock) == 4
    sold_out, _ = await walk(client, url, owner.headers, {"in_stock": "false", "sort": "name"}, 50)
    assert sold_out == ["Cotton Hoodie", "Enamel Mug", "Linen Shirt"]


async def test_full_text_search_over_name_description_and_sku(client, factory):
    store = await factory.store()
    owner = await factory.staff(store, "owner")
    other = await factory.store()
    other_owner = await factory.staff(other, "owner")
    await seed(client, store, owner.headers)
    await seed(client, other, other_owner.headers)
    url = f"{base(store)}/search"
    found, _ = await walk(client, url, owner.headers, {"q": "tee", "sort": "name"}, 2)
    assert found == ["Basic Tee", "Graphic Tee", "Organic Cotton Tee", "Striped Tee"], "only this store's products"
    assert (await walk(client, url, owner.headers, {"q": "organic te", "sort": "name"}, 10))[0] == ["Organic Cotton Tee"]
    assert (await walk(client, url, owner.headers, {"q": "ceramic", "sort": "name"}, 10))[0] == ["Ceramic Mug"]
    assert (await walk(client, url, owner.headers, {"q": "TRAVEL", "sort": "name"}, 10))[0] == ["Travel Mug"], \
        "SKUs are searchable (prefix TRAVEL-…)"
    mugs_in_stock, _ = await walk(client, url, owner.headers, {"q": "mug", "in_stock": "true", "sort": "price"}, 10)
    assert mugs_in_stock == ["Ceramic Mug", "Travel Mug"]
    assert (await walk(client, url, owner.headers, {"q": "\"zzzq*\" OR tee (", "sort": "name"}, 10))[0] == [], \
        "operators are not interpreted"
    renamed = (await client.get(f"{base(store)}/products", headers=owner.headers,
                                params={"q": "basic"})).json()["items"][0]
    await client.patch(f"{base(store)}/products/{renamed['id']}", headers=owner.headers, json={"name": "Plain Tee", "description": "Simple."})
    assert "Plain Tee" not in (await walk(client, url, owner.headers, {"q": "cotton"}, 10))[0]
    assert (await walk(client, url, owner.headers, {"q": "plain"}, 10))[0] == ["Plain Tee"]
    await client.delete(f"{base(store)}/products/{renamed['id']}", headers=owner.headers)
    assert (await walk(client, url, owner.headers, {"q": "plain"}, 10))[0] == []


@pytest.mark.postgres_only
async def test_postgresql_looks_up_a_search_among_its_own_stores_words_only(app, client, factory):
    """Each store's lexemes carry its id (migration catalog_0006), so a search's index scan never
    reads another store's entries and its cost follows the store's catalog, not the platform's:
    here the index alone, with no filter on the store, finds this store's four tees."""
    stores = [await factory.store(), await factory.store()]
    for store in stores:
        await seed(client, store, (await factory.staff(store, "owner")).headers)
    async with store_session(app.state.sessionmaker, stores[0].id) as session:
        found = (await session.execute(text(
            "SELECT store_id, count(*) FROM product_search "
            "WHERE document @@ pyc_store_tsquery(:store, to_tsquery('simple', 'tee')) GROUP BY store_id"),
            {"store": stores[0].id})).all()
    assert [tuple(row) for row in found] == [(stores[0].id, 4)]


async def test_bad_cursors_and_queries_are_422(client, factory):
    store = await factory.store()
    owner = await factory.staff(store, "owner")
    await seed(client, store, owner.headers)
    url = f"{base(store)}/products"
    first = (await client.get(url, headers=owner.headers, params={"limit": 2, "sort": "price"})).json()
    wrong_sort = await client.get(url, headers=owner.headers, params={"after": first["next_cursor"], "sort": "name"})
    assert wrong_sort.status_code == 422
    for params in ({"after": "garbage!"}, {"limit": 0}, {"limit": 101}, {"q": "a\x00b"}, {"attr": "nocolon"},
                   {"min_price": -1}, {"sort": "random"}):
        response = await client.get(url, headers=owner.headers, params=params)
        assert response.status_code == 422, (params, response.text)


async def test_list_and_detail_use_a_constant_number_of_statements(app, client, factory):
    store = await factory.store()
    owner = await factory.staff(store, "owner")
    for i in range(50):
        response = await client.post(f"{base(store)}/products", headers=owner.headers, json={
            "name": f"Item {i}", "options": [{"name": "Size", "values": ["S", "M", "L"]}],
            "attributes": [{"key": "k", "value": "v"}],
            "variants": [{"sku": unique("N-"), "price": 100 + i, "options": [s], "initial_stock": 1}
                         for s in ("S", "M", "L")]})
        assert response.status_code == 201
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    engine = app.state.engine.sync_engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        counts = {}
        for size in (5, 50):
            statements.clear()
            body = (await client.get(f"{base(store)}/products", headers=owner.headers,
                                     params={"limit": size})).json()
            assert len(body["items"]) == size and all(len(p["variants"]) == 3 for p in body["items"])
            counts[("list", size)] = len(statements)
            statements.clear()
            await client.get(f"{base(store)}/search", headers=owner.headers, params={"q": "item", "limit": size})
            counts[("search", size)] = len(statements)
        statements.clear()
        pid = body["items"][0]["id"]
        await client.get(f"{base(store)}/products/{pid}", headers=owner.headers)
        detail = len(statements)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert counts[("list", 5)] == counts[("list", 50)]
    assert counts[("search", 5)] == counts[("search", 50)]
    assert counts[("list", 50)] <= 10, counts
    # A search is the listing's statements with its words: no statement of its own (catalog_0006).
    assert counts[("search", 50)] == counts[("list", 50)], counts
    # A product with its variants, images, attributes and categories is one statement, as a page is.
    assert detail == counts[("list", 5)], (counts, detail)


async def test_listing_and_search_answer_exactly_what_their_model_writes(client, factory):
    """The staff listing and search are serialized straight from the rows (no model in between):
    every field of every kind must come out exactly as ``ProductPage`` would write it."""
    from kernel.catalog.schemas import ProductPage
    from tests.support.makers_catalog import png_bytes

    store = await factory.store()
    owner = await factory.staff(store, "owner")
    created = await client.post(f"{base(store)}/products", headers=owner.headers, json={
        "name": "Organic Tee", "status": "active", "options": [{"name": "Size", "values": ["S", "M", "L"]}],
        "variants": [
            {"sku": unique("TEE-S-"), "price": 1999, "compare_at_price": 2499, "cost": 800, "barcode": "4006381333931",
             "options": ["S"], "initial_stock": 4, "low_stock_threshold": 2, "weight_grams": 250},
            {"sku": unique("TEE-M-"), "price": 2099, "options": ["M"], "track_inventory": False},
            {"sku": unique("TEE-L-"), "price": 2199, "options": ["L"], "allow_backorder": True, "title": "Large"}]})
    assert created.status_code == 201, created.text
    mug = await client.post(f"{base(store)}/products", headers=owner.headers, json={"name": "Draft mug", "variants": []})
    image = await client.post(f"{base(store)}/products/{created.json()['id']}/images", headers=owner.headers,
                              data={"alt": "Front"}, files={"file": ("p.png", png_bytes((40, 30)), "image/png")})
    assert image.status_code == 201, image.text
    back = await client.post(f"{base(store)}/products/{created.json()['id']}/images", headers=owner.headers,
                             data={"alt": "Back"}, files={"file": ("b.png", png_bytes((30, 40)), "image/png")})
    assert back.status_code == 201, back.text

    for url, params in ((f"{base(store)}/products", {"limit": 1}), (f"{base(store)}/search", {"q": "organic"})):
        response = await client.get(url, headers=owner.headers, params=params)
        assert response.status_code == 200 and response.headers["content-type"] == "application/json"
        body = response.json()
        canonical = ProductPage.model_validate(body).model_dump(mode="json")
        # As JSON text: in Python 1 == True, and a 0/1 where the schema says boolean must fail here.
        assert json.dumps(body, sort_keys=True) == json.dumps(canonical, sort_keys=True)
        assert body["items"], url
    listed = (await client.get(f"{base(store)}/products", headers=owner.headers, params={"sort": "name"})).json()
    tee = next(p for p in listed["items"] if p["name"] == "Organic Tee")
    assert [(v["track_inventory"], v["allow_backorder"], v["available"]) for v in tee["variants"]] == \
        [(True, False, 4), (False, False, None), (True, True, 0)]
    assert tee["created_at"].endswith("Z") and tee["status"] == "active"
    detail = (await client.get(f"{base(store)}/products/{tee['id']}", headers=owner.headers)).json()
    assert [i["alt"] for i in tee["images"]] == ["Front", "Back"] and tee["images"] == detail["images"]
    assert [(i["url"], i["thumbnail_url"]) for i in tee["images"]] == \
        [(image.json()["url"], image.json()["thumbnail_url"]), (back.json()["url"], back.json()["thumbnail_url"])]
    assert [v["options"] for v in tee["variants"]] == [["S"], ["M"], ["L"]] and tee["variants"][2]["title"] == "Large"
    # Times exactly as the model writes them (the detail's), a whole second without a fraction too.
    async with factory.session(store) as session:
        await session.execute(update(Product).where(Product.id == mug.json()["id"]).values(
            created_at=datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)))
    for url, params in ((f"{base(store)}/products", {}), (f"{base(store)}/search", {"q": "mug"})):
        items = (await client.get(url, headers=owner.headers, params=params)).json()["items"]
        assert items, url
        for item in items:
            shown = (await client.get(f"{base(store)}/products/{item['id']}", headers=owner.headers)).json()
            assert item["created_at"] == shown["created_at"], (item["name"], item["created_at"])
    listed = {p["name"]: p["created_at"] for p in (await client.get(f"{base(store)}/products", headers=owner.headers)).json()["items"]}
    assert listed["Draft mug"] == "2026-01-02T03:04:05Z" and "." in listed["Organic Tee"]


async def test_a_listed_product_shows_every_change_made_to_it(client, factory):
    """On PostgreSQL a listed row is JSON the database keeps (migration catalog_0003), rewritten by
    triggers: each kind of write (product, variant, stock, image, removal) must show in the
    listing at once, texts that need escaping included."""
    from tests.support.makers_catalog import png_bytes

    store = await factory.store()
    owner = await factory.staff(store, "owner")
    h = owner.headers
    created = (await client.post(f"{base(store)}/products", headers=h, json={
        "name": "Mug", "status": "active", "variants": [
            {"sku": unique("MUG-A-"), "price": 1200, "initial_stock": 5},
            {"sku": unique("MUG-B-"), "price": 900, "track_inventory": False}]})).json()
    first, second = created["variants"]
    image = (await client.post(f"{base(store)}/products/{created['id']}/images", headers=h, data={"alt": "Front"},
                               files={"file": ("p.png", png_bytes(), "image/png")})).json()

    async def listed_item() -> dict:
        items = (await client.get(f"{base(store)}/products", headers=h)).json()["items"]
        return next(item for item in items if item["id"] == created["id"])

    tricky = 'Le "grand" mug \\ à café — 珈琲 </script>'
    assert (await client.patch(f"{base(store)}/products/{created['id']}", headers=h,
                               json={"name": tricky})).status_code == 200
    # Every field a variant lists, each changed on its own: the stored text must follow each of them.
    for change in ({"price": 1500}, {"title": 'Grand "A"'}, {"sku": unique("MUG-G-")}, {"position": 5},
                   {"compare_at_price": 1900}, {"cost": 700}, {"weight_grams": 350}, {"barcode": "4006381333931"},
                   {"allow_backorder": True}, {"low_stock_threshold": 1}):
        shown = await client.patch(f"{base(store)}/variants/{first['id']}", headers=h, json=change)
        assert shown.status_code == 200, shown.text
        listed = next(v for v in (await listed_item())["variants"] if v["id"] == first["id"])
        assert listed == shown.json(), change  # the answer is read from the variant's columns
    adjusted = await client.post(f"{base(store)}/inventory/{first['id']}/adjustments", headers=h,
                                 json={"delta": -2, "reason": "damaged"})
    assert adjusted.status_code in (200, 201), adjusted.text
    assert (await client.patch(f"{base(store)}/images/{image['id']}", headers=h,
                               json={"alt": 'Side "url":"x" \\'})).status_code == 200
    item = await listed_item()
    assert item["name"] == tricky and (item["price_min"], item["price_max"]) == (900, 1500)
    assert [(v["id"], v["price"], v["title"], v["stock_on_hand"], v["available"]) for v in item["variants"]] == \
        [(second["id"], 900, second["title"], 0, None), (first["id"], 1500, 'Grand "A"', 3, 3)]  # by position
    for variant in item["variants"]:  # the variant as read from its columns, not from any stored text
        assert variant == (await client.get(f"{base(store)}/variants/{variant['id']}", headers=h)).json()
    assert [(i["alt"], i["url"], i["thumbnail_url"]) for i in item["images"]] == \
        [('Side "url":"x" \\', image["url"], image["thumbnail_url"])]

    assert (await client.delete(f"{base(store)}/variants/{second['id']}", headers=h)).status_code == 204
    item = await listed_item()
    assert [v["id"] for v in item["variants"]] == [first["id"]] and item["price_min"] == 1500
