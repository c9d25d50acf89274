"""Wall 1: each request resolves one store by host, subdomain or path; unknown and suspended ones never leak."""

from __future__ import annotations

from kernel.stores.models import StoreStatus
from kernel.stores.service import get_store, set_status
from kernel.tenancy import slug_from_host
from tests.support.domains import verify_by_dns


def test_slug_from_host():
    assert slug_from_host("acme.localhost:8000", "localhost") == "acme"
    assert slug_from_host("ACME.shops.example.", "shops.example") == "acme"
    assert slug_from_host("a.b.localhost", "localhost") is None
    assert slug_from_host("localhost", "localhost") is None
    assert slug_from_host("evil-localhost", "localhost") is None


async def test_storefront_by_subdomain(client, factory):
    store = await factory.store(name="Subdomain Shop")
    response = await client.get("/", headers={"host": f"{store.slug}.localhost:8000"})
    assert response.status_code == 200
    assert "Subdomain Shop" in response.text


async def test_storefront_by_verified_custom_domain(app, client, factory):
    store = await factory.store(name="Custom Domain Shop", domains=[f"www.{store_slug()}.example"])
    owner = await factory.staff(store, "owner")
    host = store.domains[0].hostname
    assert (await client.get("/", headers={"host": host})).status_code == 404  # not proven yet
    assert (await verify_by_dns(app, client, owner.headers, store.slug, host)).status_code == 200
    response = await client.get("/", headers={"host": host.upper() + "."})
    assert response.status_code == 200
    assert "Custom Domain Shop" in response.text


def store_slug() -> str:
    from tests.support.factory import unique

    return unique("dom")


async def test_two_stores_never_answer_for_each_other(client, factory):
    a = await factory.store(name="Alpha Shop")
    b = await factory.store(name="Beta Shop")
    page_a = (await client.get("/", headers={"host": f"{a.slug}.localhost"})).text
    page_b = (await client.get("/", headers={"host": f"{b.slug}.localhost"})).text
    assert "Alpha Shop" in page_a and "Beta Shop" not in page_a
    assert "Beta Shop" in page_b and "Alpha Shop" not in page_b


async def test_unknown_store_is_404_everywhere(client, factory):
    owner = await factory.admin()
    assert (await client.get("/", headers={"host": "no-such-store.localhost"})).status_code == 404
    assert (await client.get("/", headers={"host": "unrelated.example"})).status_code == 404
    api = await client.get("/api/v1/stores/no-such-store", headers=owner.headers)
    assert api.status_code == 404
    assert api.json()["title"] == "Not Found"


async def test_suspended_store_shows_a_suspended_page(client, factory):
    store = await factory.store(name="Sleepy Shop")
    async with factory.session(None) as session:
        await set_status(session, await get_store(session, store.slug), StoreStatus.suspended)
    response = await client.get("/", headers={"host": f"{store.slug}.localhost"})
    assert response.status_code == 503
    assert "temporarily unavailable" in response.text
    assert "Sleepy Shop" not in response.text
