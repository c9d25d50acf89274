"""Products and variants through the API: create, read, update, delete, and strict validation."""

from __future__ import annotations

import pytest

from tests.support.factory import unique


def base(store) -> str:
    return f"/api/v1/stores/{store.slug}"


def tee(**overrides) -> dict:
    sku = unique("TEE-")
    return {"name": "Organic T-shirt", "status": "active", "description": "Soft organic cotton.",
            "options": [{"name": "Size", "values": ["S", "M"]}, {"name": "Colour", "values": ["Red"]}],
            "attributes": [{"key": "material", "value": "cotton"}],
            "meta_title": "Organic tee", "meta_description": "Our softest tee.",
            "variants": [{"sku": f"{sku}-S", "price": 1999, "cost": 800, "options": ["S", "Red"], "initial_stock": 10},
                         {"sku": f"{sku}-M", "price": 2199, "options": ["M", "Red"], "initial_stock": 0}],
            **overrides}


async def test_a_products_attributes_and_categories_read_back_sorted_and_only_its_own(client, factory):
    store = await factory.store()
    manager = await factory.staff(store, "manager")
    tops, sale, basics = [(await client.post(f"{base(store)}/categories", headers=manager.headers,
                                             json={"name": name})).json()["id"] for name in ("Tops", "Sale", "Basics")]
    attributes = [{"key": "weave", "value": "jersey"}, {"key": "care", "value": "30 °C"},
                  {"key": "material", "value": "cotton"}]
    pid = (await client.post(f"{base(store)}/products", headers=manager.headers,
                             json=tee(attributes=attributes, category_ids=[basics, tops, sale]))).json()["id"]
    # A second product's facts must not leak into the first's.
    await client.post(f"{base(store)}/products", headers=manager.headers, json=tee(
        variants=[], attributes=[{"key": "fit", "value": "loose"}], category_ids=[tops]))
    product = (await client.get(f"{base(store)}/products/{pid}", headers=manager.headers)).json()
    assert product["attributes"] == sorted(attributes, key=lambda a: a["key"])
    assert product["category_ids"] == sorted([tops, sale, basics])


async def test_manager_creates_reads_updates_and_deletes_a_product(client, factory):
    store = await factory.store()
    manager = await factory.staff(store, "manager")
    category = (await client.post(f"{base(store)}/categories", headers=manager.headers,
                                  json={"name": "Tops"})).json()
    created = await client.post(f"{base(store)}/products", headers=manager.headers,
                                json=tee(category_ids=[category["id"]]))
    assert created.status_code == 201, created.text
    product = created.json()
    assert product["slug"] == "organic-t-shirt"
    assert product["price_min"] == 1999 and product["price_max"] == 2199
    assert product["category_ids"] == [category["id"]]
    assert product["attributes"] == [{"key": "material", "value": "cotton"}]
    assert [v["options"] for v in product["variants"]] == [["S", "Red"], ["M", "Red"]]
    assert [v["title"] for v in product["variants"]] == ["S / Red", "M / Red"]
    assert product["variants"][0]["stock_on_hand"] == 10 and product["variants"][0]["available"] == 10

    pid = product["id"]
    updated = await client.patch(f"{base(store)}/products/{pid}", headers=manager.headers,
                                 json={"name": "Organic Tee", "status": "archived", "attributes": []})
    assert updated.status_code == 200, updated.text
    assert updated.json()["name"] == "Organic Tee" and updated.json()["status"] == "archived"
    assert updated.json()["attributes"] == [] and updated.json()["slug"] == "organic-t-shirt"

    again = await client.post(f"{base(store)}/products", headers=manager.headers, json=tee(variants=[]))
    assert again.json()["slug"] == "organic-t-shirt-2", "automatic slugs step around taken ones"

    variant_id = product["variants"][1]["id"]
    patched = await client.patch(f"{base(store)}/variants/{variant_id}", headers=manager.headers,
                                 json={"price": 2599, "compare_at_price": 2999})
    assert patched.json()["price"] == 2599
    detail = (await client.get(f"{base(store)}/products/{pid}", headers=manager.headers)).json()
    assert detail["price_max"] == 2599

    assert (await client.delete(f"{base(store)}/products/{pid}", headers=manager.headers)).status_code == 204
    assert (await client.get(f"{base(store)}/products/{pid}", headers=manager.headers)).status_code == 404
    assert (await client.get(f"{base(store)}/variants/{variant_id}", headers=manager.headers)).status_code == 404


async def test_skus_and_slugs_clash_with_409_per_store_only(client, factory):
    store, other = await factory.store(), await factory.store()
    manager, other_owner = await factory.staff(store, "manager"), await factory.staff(other, "owner")
    body = tee(slug="fixed-slug")
    assert (await client.post(f"{base(store)}/products", headers=manager.headers, json=body)).status_code == 201
    same_slug = await client.post(f"{base(store)}/products", headers=manager.headers,
                                  json={**body, "variants": []})
    assert same_slug.status_code == 409 and "slug" in same_slug.json()["detail"]
    same_sku = await client.post(f"{base(store)}/products", headers=manager.headers,
                                 json={**body, "slug": "another"})
    assert same_sku.status_code == 409 and "SKU" in same_sku.json()["detail"]
    # Another store may use the same slug and SKUs.
    assert (await client.post(f"{base(other)}/products", headers=other_owner.headers, json=body)).status_code == 201
    pid = (await client.post(f"{base(store)}/products", headers=manager.headers,
                             json={"name": "Mug", "variants": [{"sku": unique("MUG-"), "price": 900}]})).json()["id"]
    dup_variant = await client.post(f"{base(store)}/products/{pid}/variants", headers=manager.headers,
                                    json={"sku": body["variants"][0]["sku"], "price": 1})
    assert dup_variant.status_code == 409


@pytest.mark.parametrize("patch, field", [
    ({"extra": 1}, "extra"),
    ({"variants": [{"sku": "X", "price": -1}]}, "price"),
    ({"variants": [{"sku": "X", "price": "12.50"}]}, "price"),
    ({"name": "x" * 256}, "name"),
    ({"name": "bad\x00name"}, "name"),
    ({"description": "nul\x00"}, "description"),
    ({"slug": "Not A Slug"}, "slug"),
    ({"status": "deleted"}, "status"),
    ({"variants": [{"sku": "X", "price": 1, "cost": 2**31}]}, "cost"),
    ({"variants": [{"sku": "X", "price": 1, "unknown": True}]}, "unknown"),
])
async def test_strict_validation_rejects_bad_products(client, factory, patch, field):
    store = await factory.store()
    manager = await factory.staff(store, "manager")
    response = await client.post(f"{base(store)}/products", headers=manager.headers,
                                 json={"name": "Valid", **patch})
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert field in {str(part) for e in response.json()["errors"] for part in e["loc"]}


async def test_variant_options_must_match_the_product_axes(client, factory):
    store = await factory.store()
    manager = await factory.staff(store, "manager")
    wrong_value = tee()
    wrong_value["variants"][0]["options"] = ["XL", "Red"]
    response = await client.post(f"{base(store)}/products", headers=manager.headers, json=wrong_value)
    assert response.status_code == 422 and "XL" in response.json()["detail"]
    missing = tee()
    missing["variants"][0]["options"] = ["S"]
    assert (await client.post(f"{base(store)}/products", headers=manager.headers, json=missing)).status_code == 422
    twins = tee()
    twins["variants"][1]["options"] = ["S", "Red"]
    assert (await client.post(f"{base(store)}/products", headers=manager.headers, json=twins)).status_code == 409
    unknown_category = await client.post(f"{base(store)}/products", headers=manager.headers,
                                         json=tee(category_ids=[2_000_000_000]))
    assert unknown_category.status_code == 422


async def test_category_tree_moves_and_refuses_cycles(client, factory):
    store = await factory.store()
    manager = await factory.staff(store, "manager")
    url = f"{base(store)}/categories"
    root = (await client.post(url, headers=manager.headers, json={"name": "Clothing"})).json()
    child = (await client.post(url, headers=manager.headers, json={"name": "Tops", "parent_id": root["id"]})).json()
    grandchild = (await client.post(url, headers=manager.headers,
                                    json={"name": "Tees", "parent_id": child["id"]})).json()
    assert grandchild["parent_id"] == child["id"] and grandchild["slug"] == "tees"
    cycle = await client.patch(f"{url}/{root['id']}", headers=manager.headers, json={"parent_id": grandchild["id"]})
    assert cycle.status_code == 409
    assert (await client.delete(f"{url}/{child['id']}", headers=manager.headers)).status_code == 409
    moved = await client.patch(f"{url}/{grandchild['id']}", headers=manager.headers, json={"make_root": True})
    assert moved.json()["parent_id"] is None
    listed = (await client.get(url, headers=manager.headers)).json()
    assert [c["name"] for c in listed] == ["Clothing", "Tees", "Tops"]
    dup = await client.post(url, headers=manager.headers, json={"name": "X", "slug": "tees"})
    assert dup.status_code == 409


async def test_search_index_follows_sku_changes_and_axes_changes_are_checked(client, factory):
    store = await factory.store()
    manager = await factory.staff(store, "manager")
    product = (await client.post(f"{base(store)}/products", headers=manager.headers, json=tee())).json()
    variant = product["variants"][0]
    new_sku = unique("ZEBRA")
    await client.patch(f"{base(store)}/variants/{variant['id']}", headers=manager.headers, json={"sku": new_sku})
    found = (await client.get(f"{base(store)}/search", headers=manager.headers, params={"q": new_sku})).json()
    assert [p["id"] for p in found["items"]] == [product["id"]]
    dropping_m = await client.patch(f"{base(store)}/products/{product['id']}", headers=manager.headers,
                                    json={"options": [{"name": "Size", "values": ["S"]},
                                                      {"name": "Colour", "values": ["Red"]}]})
    assert dropping_m.status_code == 422, "variant M would no longer fit the axes"
    adding_l = await client.patch(f"{base(store)}/products/{product['id']}", headers=manager.headers,
                                  json={"options": [{"name": "Size", "values": ["S", "M", "L"]},
                                                    {"name": "Colour", "values": ["Red"]}]})
    assert adding_l.status_code == 200
    added = await client.post(f"{base(store)}/products/{product['id']}/variants", headers=manager.headers,
                              json={"sku": unique("L-"), "price": 2500, "options": ["L", "Red"]})
    assert added.status_code == 201 and added.json()["position"] == 2
    for field, value in (("name", None), ("status", None), ("slug", None)):
        response = await client.patch(f"{base(store)}/products/{product['id']}", headers=manager.headers,
                                      json={field: value})
        assert response.status_code == 422, field
