"""The public storefront catalog shows active products only, without costs or stock counts."""

from __future__ import annotations

from tests.support.makers_catalog import make_product


async def test_public_catalog_shows_only_active_products(client, factory):
    store = await factory.store()
    other = await factory.store()
    active = await make_product(factory, store, name="Shown Tee", status="active", stock=0)
    await make_product(factory, store, name="Draft Tee", status="draft")
    await make_product(factory, store, name="Old Tee", status="archived")
    await make_product(factory, other, name="Elsewhere Tee", status="active")
    url = f"/api/v1/storefront/{store.slug}"
    page = await client.get(f"{url}/products")
    assert page.status_code == 200, page.text
    items = page.json()["items"]
    assert [p["name"] for p in items] == ["Shown Tee"]
    variant = items[0]["variants"][0]
    assert variant["in_stock"] is False and "cost" not in variant and "stock_on_hand" not in variant
    assert [p["name"] for p in (await client.get(f"{url}/products", params={"q": "tee"})).json()["items"]] == \
        ["Shown Tee"]
    detail = await client.get(f"{url}/products/{active.slug}")
    assert detail.status_code == 200 and detail.json()["name"] == "Shown Tee"
    assert detail.json()["id"] == active.id and detail.json()["price_min"] == 1000
    # A slug names a product within its store: another store's product is never found by it here,
    # and a product of the same slug there is that store's own.
    assert (await client.get(f"{url}/products/elsewhere-tee")).status_code == 404
    twin = await make_product(factory, other, name="Shown Tee", status="active", price=4200)
    theirs = (await client.get(f"/api/v1/storefront/{other.slug}/products/{active.slug}")).json()
    assert theirs["id"] == twin.id and theirs["price_min"] == 4200
    assert (await client.get(f"{url}/products/{active.slug}")).json()["id"] == active.id
    draft_slug = "draft-tee"
    assert (await client.get(f"{url}/products/{draft_slug}")).status_code == 404
    assert (await client.get("/api/v1/storefront/no-such-store/products")).status_code == 404
    assert (await client.get(f"{url}/categories")).status_code == 200
