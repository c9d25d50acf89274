"""No store answers on another's address: names under the platform domain are each store's own,
custom domains are compared normalised and serve only once the store proved it controls them."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from kernel.stores.verification import DomainVerifier, dns_txt_lookup
from tests.support.domains import TxtRecords, dns_server, http_files, verifier_on, verify_by_dns
from tests.support.factory import unique


async def _shop(client, host: str):
    return await client.get("/", headers={"host": host})


async def _claim(client, factory, label: str = "shop"):
    """Store A (of two) listing a fresh custom domain: (A, A's owner, the domain)."""
    a, a_owner, _, _ = await _two_stores(factory)
    host = f"{label}.{unique('alpha')}.example"
    listed = await client.patch(f"/api/v1/stores/{a.slug}", headers=a_owner.headers, json={"domains": [host]})
    assert listed.status_code == 200, listed.text
    return a, a_owner, host


async def _proof(client, store, owner, host) -> dict:
    return (await client.post(f"/api/v1/stores/{store.slug}/domains/{host}/verification",
                              headers=owner.headers)).json()


async def _verify(client, store, owner, host):
    return await client.post(f"/api/v1/stores/{store.slug}/domains/{host}/verify", headers=owner.headers)


async def _two_stores(factory):
    a = await factory.store(name="Alpha Goods")
    b = await factory.store(name="Beta Goods")
    return a, await factory.staff(a, "owner"), b, await factory.staff(b, "owner")


@pytest.mark.parametrize("spelling", ["{b}.localhost", "{B}.LOCALHOST.", " {b}.localhost "])
async def test_claiming_another_stores_platform_address_is_a_conflict(client, factory, spelling):
    a, a_owner, b, _ = await _two_stores(factory)
    claim = spelling.format(b=b.slug, B=b.slug.upper())
    response = await client.patch(f"/api/v1/stores/{a.slug}", headers=a_owner.headers, json={"domains": [claim]})
    assert response.status_code == 409, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "another store's platform address" in response.json()["detail"]
    page = await _shop(client, f"{b.slug}.localhost")
    assert page.status_code == 200 and "Beta Goods" in page.text and "Alpha Goods" not in page.text


async def test_names_under_the_platform_domain_are_reserved_but_a_store_may_list_its_own(client, factory):
    a, a_owner, _, _ = await _two_stores(factory)
    free = f"{unique('nobody')}.localhost"
    reserved = await client.patch(f"/api/v1/stores/{a.slug}", headers=a_owner.headers,
                                  json={"domains": ["shop.alpha.example", free]})
    assert reserved.status_code == 422
    assert reserved.json()["errors"][0]["loc"] == ["body", "domains", 1]
    assert f"{a.slug}.localhost" in reserved.json()["detail"]
    nested = await client.patch(f"/api/v1/stores/{a.slug}", headers=a_owner.headers,
                                json={"domains": [f"x.{a.slug}.localhost"]})
    assert nested.status_code == 422
    own = await client.patch(f"/api/v1/stores/{a.slug}", headers=a_owner.headers,
                             json={"domains": [f"{a.slug.upper()}.localhost."]})
    assert own.status_code == 200 and own.json()["domains"] == [f"{a.slug}.localhost"]
    listed = (await client.get(f"/api/v1/stores/{a.slug}/domains", headers=a_owner.headers)).json()
    assert listed == [{"hostname": f"{a.slug}.localhost", "is_primary": True, "verified": True,
                       "verified_at": listed[0]["verified_at"]}]


async def test_a_platform_admin_cannot_create_a_store_on_another_stores_address(client, factory):
    admin = await factory.admin()
    b = await factory.store(name="Beta Goods")
    response = await client.post("/api/v1/platform/stores", headers=admin.headers,
                                 json={"slug": unique("c"), "name": "C", "domains": [f"{b.slug}.localhost"]})
    assert response.status_code == 409
    assert "Beta Goods" in (await _shop(client, f"{b.slug}.localhost")).text


async def test_an_unverified_custom_domain_does_not_serve_until_proven(app, client, factory):
    a, a_owner, host = await _claim(client, factory)
    assert (await _shop(client, host)).status_code == 404
    nothing = await _verify(client, a, a_owner, host)
    assert nothing.status_code == 422
    assert f"_pycommerce-verify.{host}" in nothing.json()["detail"]
    assert (await _shop(client, host)).status_code == 404
    verified = await verify_by_dns(app, client, a_owner.headers, a.slug, host)
    assert verified.status_code == 200 and verified.json()["verified"] is True
    assert "Alpha Goods" in (await _shop(client, host)).text


async def test_a_wrong_token_proves_nothing(app, client, factory):
    a, a_owner, host = await _claim(client, factory)
    with verifier_on(app, DomainVerifier(txt_lookup=TxtRecords({f"_pycommerce-verify.{host}": ["pcv-guess"]}),
                                         http_base=lambda _h: "http://127.0.0.1:9")):
        response = await _verify(client, a, a_owner, host)
    assert response.status_code == 422
    assert (await _shop(client, host)).status_code == 404


async def test_verification_by_http_file_on_a_real_server(app, client, factory):
    a, a_owner, host = await _claim(client, factory, "www")
    proof = await _proof(client, a, a_owner, host)
    assert proof["http_file"]["url"] == f"http://{host}/.well-known/pycommerce-verify/{proof['token']}"
    files = {}
    with http_files(files) as base:
        with verifier_on(app, DomainVerifier(txt_lookup=TxtRecords(), http_base=lambda _h: base)):
            assert (await _verify(client, a, a_owner, host)).status_code == 422
            files[(host, proof["token"])] = proof["http_file"]["body"] + "\n"
            found = await _verify(client, a, a_owner, host)
    assert found.status_code == 200 and found.json()["verified"] is True
    assert "Alpha Goods" in (await _shop(client, host)).text


async def test_verification_by_dns_txt_through_a_real_name_server(app, client, factory):
    a, a_owner, host = await _claim(client, factory)
    proof = await _proof(client, a, a_owner, host)
    assert proof["dns_txt"]["name"] == f"_pycommerce-verify.{host}"
    with dns_server({proof["dns_txt"]["name"]: ["unrelated", proof["dns_txt"]["value"]]}) as port:
        verifier = DomainVerifier(txt_lookup=dns_txt_lookup(["127.0.0.1"], port),
                                  http_base=lambda _h: "http://127.0.0.1:9")
        with verifier_on(app, verifier):
            found = await _verify(client, a, a_owner, host)
    assert found.status_code == 200, found.text
    assert "Alpha Goods" in (await _shop(client, host)).text


async def test_custom_domains_are_one_name_whatever_the_spelling_and_the_first_proof_wins(app, client, factory):
    a, a_owner, b, b_owner = await _two_stores(factory)
    host = f"shop.{unique('beta')}.example"
    # A squatter's unproven claim does not lock the real owner out...
    assert (await client.patch(f"/api/v1/stores/{a.slug}", headers=a_owner.headers,
                               json={"domains": [host]})).status_code == 200
    assert (await client.patch(f"/api/v1/stores/{b.slug}", headers=b_owner.headers,
                               json={"domains": [host]})).status_code == 200
    assert (await verify_by_dns(app, client, b_owner.headers, b.slug, host)).status_code == 200
    # ...and once B proved the name, A can neither verify nor claim it again, in any spelling.
    late = await verify_by_dns(app, client, a_owner.headers, a.slug, host)
    assert late.status_code == 409 and "already verified by another store" in late.json()["detail"]
    again = await client.patch(f"/api/v1/stores/{a.slug}", headers=a_owner.headers,
                               json={"domains": [host.upper() + "."]})
    assert again.status_code == 409
    page = await _shop(client, host)
    assert "Beta Goods" in page.text and "Alpha Goods" not in page.text


async def test_the_database_holds_one_verified_store_per_name_written_any_way(factory, sessionmaker):
    a, _, b, _ = await _two_stores(factory)
    host = f"shop.{unique('raw')}.example"
    insert = text("INSERT INTO store_domains (store_id, hostname, is_primary, verified_at) "
                  "VALUES (:store, :host, false, CURRENT_TIMESTAMP)")
    async with factory.session(b) as session:
        await session.execute(insert, {"store": b.id, "host": host})
    with pytest.raises(IntegrityError):  # each store writes its own row: the index spans the stores
        async with factory.session(a) as session:
            await session.execute(insert, {"store": a.id, "host": host.upper() + "."})
