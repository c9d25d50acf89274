"""Two identical requests at the same moment are answered, never crashed: each create, enable or
claim route fired twice at once on PostgreSQL (two sessions, two connections, a real race on the
unique constraints) answers 2xx or a 409 problem naming the clash; idempotent ones (enabling a
plugin, writing security settings) answer 2xx both times."""

from __future__ import annotations

import asyncio

import pytest

from tests.support.factory import unique

pytestmark = pytest.mark.postgres_only

ROUNDS = 4  # each round a fresh name, so the race is run anew


def _round(pair, *, idempotent: bool = False, names: str | None = None) -> list[int]:
    statuses = [r.status_code for r in pair]
    for response in pair:
        assert response.status_code < 300 or response.status_code == 409, response.text
        if response.status_code == 409:
            body = response.json()
            assert response.headers["content-type"].startswith("application/problem+json")
            assert body["detail"] and body["status"] == 409
            assert names is None or names in body["detail"], body["detail"]
    assert any(s < 300 for s in statuses), statuses  # one of the twins always gets through
    if idempotent:
        assert all(s < 300 for s in statuses), statuses
    return statuses


async def _twice(client, method: str, url: str, **kwargs):
    return await asyncio.gather(client.request(method, url, **kwargs), client.request(method, url, **kwargs))


@pytest.fixture
async def shop(factory):
    store = await factory.store()
    return store, await factory.staff(store, "owner")


async def test_claiming_the_same_custom_domain_twice_at_once(client, shop):
    store, owner = shop
    for _ in range(ROUNDS):
        pair = await _twice(client, "PATCH", f"/api/v1/stores/{store.slug}", headers=owner.headers,
                            json={"domains": [f"shop.{unique('twin')}.example"]})
        _round(pair, names="hostname")


async def test_enabling_a_plugin_twice_at_once_is_idempotent(client, factory):
    for _ in range(ROUNDS):
        store = await factory.store()
        owner = await factory.staff(store, "owner")
        pair = await _twice(client, "PUT", f"/api/v1/stores/{store.slug}/plugins/shipping_methods",
                            headers=owner.headers, json={})
        _round(pair, idempotent=True)
        listed = await client.get(f"/api/v1/stores/{store.slug}/plugins/shipping_methods", headers=owner.headers)
        assert listed.json()["enabled"] is True


async def test_writing_security_settings_twice_at_once_is_idempotent(client, factory):
    for _ in range(ROUNDS):
        store = await factory.store()
        owner = await factory.staff(store, "owner")
        pair = await _twice(client, "PATCH", f"/api/v1/stores/{store.slug}/security-settings",
                            headers=owner.headers, json={"require_staff_2fa": False})
        _round(pair, idempotent=True)


async def test_adding_the_same_staff_email_twice_at_once(client, shop):
    store, owner = shop
    for _ in range(ROUNDS):
        pair = await _twice(client, "POST", f"/api/v1/stores/{store.slug}/staff", headers=owner.headers,
                            json={"email": f"{unique('clerk')}@example.com", "role": "staff"})
        _round(pair, names="email")
    staff = (await client.get(f"/api/v1/stores/{store.slug}/staff", headers=owner.headers)).json()
    emails = [member["email"] for member in staff]
    assert len(emails) == len(set(emails)) == ROUNDS + 1


async def test_registering_the_same_customer_twice_at_once(client, shop):
    store, _ = shop
    for _ in range(ROUNDS):
        pair = await _twice(client, "POST", f"/api/v1/stores/{store.slug}/customers/register",
                            json={"email": f"{unique('buyer')}@example.com", "password": "correct-horse-9"})
        _round(pair)


async def test_creating_the_same_product_twice_at_once_same_sku_and_slug(client, shop):
    store, owner = shop
    for _ in range(ROUNDS):
        name = unique("Twin Lamp ")
        pair = await _twice(client, "POST", f"/api/v1/stores/{store.slug}/products", headers=owner.headers,
                            json={"name": name, "variants": [{"sku": unique("TWIN-"), "price": 100}]})
        _round(pair)


async def test_two_products_with_one_slug_at_once(client, shop):
    store, owner = shop
    for _ in range(ROUNDS):
        slug = unique("twin-")
        pair = await asyncio.gather(*(client.post(
            f"/api/v1/stores/{store.slug}/products", headers=owner.headers,
            json={"name": "Twin", "slug": slug, "variants": [{"sku": unique("SKU-"), "price": 100}]})
            for _ in range(2)))
        _round(pair)


async def test_two_variants_with_one_sku_at_once(client, shop):
    store, owner = shop
    product = (await client.post(f"/api/v1/stores/{store.slug}/products", headers=owner.headers,
                                 json={"name": unique("Base "), "variants": [{"sku": unique("B-"), "price": 1}]})).json()
    for _ in range(ROUNDS):
        pair = await _twice(client, "POST", f"/api/v1/stores/{store.slug}/products/{product['id']}/variants",
                            headers=owner.headers, json={"sku": unique("V-"), "price": 100})
        _round(pair)


async def test_creating_the_same_category_twice_at_once(client, shop):
    store, owner = shop
    for _ in range(ROUNDS):
        pair = await _twice(client, "POST", f"/api/v1/stores/{store.slug}/categories", headers=owner.headers,
                            json={"name": unique("Lamps ")})
        _round(pair)


async def test_creating_api_keys_twice_at_once(client, shop):
    store, owner = shop
    for _ in range(ROUNDS):
        pair = await _twice(client, "POST", f"/api/v1/stores/{store.slug}/api-keys", headers=owner.headers,
                            json={"name": "ERP sync", "scopes": ["catalog:read"]})
        _round(pair)


async def test_creating_the_same_store_twice_at_once(client, factory):
    admin = await factory.admin()
    for _ in range(ROUNDS):
        pair = await _twice(client, "POST", "/api/v1/platform/stores", headers=admin.headers,
                            json={"slug": unique("twin"), "name": "Twin"})
        _round(pair, names="slug")
