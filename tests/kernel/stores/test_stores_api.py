"""Platform administrators create and suspend stores; nobody else can."""

from __future__ import annotations


async def test_platform_admin_creates_store_with_domain(client, factory):
    admin = await factory.admin()
    response = await client.post("/api/v1/platform/stores", headers=admin.headers, json={
        "slug": "acme-" + admin.user.email[:6].replace("@", ""), "name": "Acme", "currency": "eur",
        "locale": "de_DE", "timezone": "Europe/Berlin", "domains": ["Shop.Acme-Test.example"]})
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["currency"] == "EUR"
    assert body["domains"] == ["shop.acme-test.example"]
    assert body["status"] == "active"


async def test_duplicate_slug_is_a_conflict(client, factory):
    admin = await factory.admin()
    store = await factory.store()
    response = await client.post("/api/v1/platform/stores", headers=admin.headers,
                                 json={"slug": store.slug, "name": "Again"})
    assert response.status_code == 409
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "already exists" in response.json()["detail"]


async def test_bad_store_input_lists_each_field(client, factory):
    admin = await factory.admin()
    response = await client.post("/api/v1/platform/stores", headers=admin.headers, json={
        "slug": "Not A Slug", "name": "", "currency": "XXY", "timezone": "Mars/Olympus", "extra": 1})
    assert response.status_code == 422
    fields = {tuple(e["loc"])[-1] for e in response.json()["errors"]}
    assert {"slug", "name", "currency", "timezone", "extra"} <= fields


async def test_only_platform_admins_manage_stores(client, factory):
    store = await factory.store()
    owner = await factory.staff(store, "owner")
    anonymous = await client.post("/api/v1/platform/stores", json={"slug": "nope", "name": "x"})
    assert anonymous.status_code == 401
    as_owner = await client.post(f"/api/v1/platform/stores/{store.slug}/suspend", headers=owner.headers)
    assert as_owner.status_code == 403


async def test_suspended_store_disappears_from_its_api(client, factory):
    admin = await factory.admin()
    store = await factory.store()
    owner = await factory.staff(store, "owner")
    assert (await client.get(f"/api/v1/stores/{store.slug}", headers=owner.headers)).status_code == 200
    suspended = await client.post(f"/api/v1/platform/stores/{store.slug}/suspend", headers=admin.headers)
    assert suspended.json()["status"] == "suspended"
    assert (await client.get(f"/api/v1/stores/{store.slug}", headers=owner.headers)).status_code == 404
    await client.post(f"/api/v1/platform/stores/{store.slug}/resume", headers=admin.headers)
    assert (await client.get(f"/api/v1/stores/{store.slug}", headers=owner.headers)).status_code == 200


async def test_owner_updates_own_store_but_staff_cannot(client, factory):
    store = await factory.store()
    owner = await factory.staff(store, "owner")
    staff = await factory.staff(store, "staff")
    denied = await client.patch(f"/api/v1/stores/{store.slug}", headers=staff.headers, json={"name": "Renamed"})
    assert denied.status_code == 403
    allowed = await client.patch(f"/api/v1/stores/{store.slug}", headers=owner.headers,
                                 json={"name": "Renamed", "timezone": "Asia/Tokyo"})
    assert allowed.status_code == 200
    assert allowed.json()["name"] == "Renamed" and allowed.json()["timezone"] == "Asia/Tokyo"
