"""Store API keys: shown once, hashed, scoped, store-bound, revocable, with last-used time."""

from __future__ import annotations

from sqlalchemy import select

from kernel.accounts.models import ApiKey
from kernel.security import token_digest
from tests.kernel.accounts.conftest import bearer


async def create_key(client, store, owner, scopes, name="ERP"):
    response = await client.post(f"/api/v1/stores/{store.slug}/api-keys", headers=owner.headers,
                                 json={"name": name, "scopes": scopes})
    assert response.status_code == 201, response.text
    return response.json()


async def test_key_is_shown_once_and_stored_hashed(ip_client, factory):
    store = await factory.store()
    owner = await factory.staff(store, "owner")
    created = await create_key(ip_client, store, owner, ["customers:read"])
    token = created["token"]
    assert token.startswith("pck_") and created["prefix"] == token[:12]
    listed = (await ip_client.get(f"/api/v1/stores/{store.slug}/api-keys", headers=owner.headers)).json()
    assert [k["id"] for k in listed] == [created["id"]] and "token" not in listed[0]
    async with factory.session(store) as session:
        row = (await session.execute(select(ApiKey).where(ApiKey.id == created["id"]))).scalar_one()
        assert row.token_digest == token_digest(token)


async def test_scope_store_revocation_and_last_used(ip_client, factory):
    store = await factory.store()
    other = await factory.store()
    owner = await factory.staff(store, "owner")
    key = await create_key(ip_client, store, owner, ["customers:read"])
    headers = bearer(key["token"])
    assert key["last_used_at"] is None

    assert (await ip_client.get(f"/api/v1/stores/{store.slug}/customers", headers=headers)).status_code == 200
    # Without the scope: 403. Another store: 404, as if it did not exist.
    assert (await ip_client.get(f"/api/v1/stores/{store.slug}/audit-log", headers=headers)).status_code == 403
    assert (await ip_client.get(f"/api/v1/stores/{other.slug}/customers", headers=headers)).status_code == 404
    # Keys cannot manage keys or staff (owner-only, people only).
    assert (await ip_client.get(f"/api/v1/stores/{store.slug}/api-keys", headers=headers)).status_code == 403
    assert (await ip_client.get("/api/v1/auth/me", headers=headers)).status_code == 401

    listed = (await ip_client.get(f"/api/v1/stores/{store.slug}/api-keys", headers=owner.headers)).json()
    assert listed[0]["last_used_at"] is not None

    revoked = await ip_client.delete(f"/api/v1/stores/{store.slug}/api-keys/{key['id']}", headers=owner.headers)
    assert revoked.status_code == 200 and revoked.json()["revoked_at"] is not None
    assert (await ip_client.get(f"/api/v1/stores/{store.slug}/customers", headers=headers)).status_code == 401


async def test_unknown_scopes_and_nul_bytes_are_rejected(ip_client, factory):
    store = await factory.store()
    owner = await factory.staff(store, "owner")
    for body in ({"name": "x", "scopes": ["root"]}, {"name": "x\x00", "scopes": ["catalog:read"]},
                 {"name": "x", "scopes": ["catalog:read"], "store_id": 1}):
        response = await ip_client.post(f"/api/v1/stores/{store.slug}/api-keys", headers=owner.headers, json=body)
        assert response.status_code == 422


async def test_forged_key_is_refused(ip_client, factory):
    store = await factory.store()
    response = await ip_client.get(f"/api/v1/stores/{store.slug}/customers", headers=bearer("pck_forged"))
    assert response.status_code == 401
