"""Staff management by owners; one person, several stores, different roles; the audit trail."""

from __future__ import annotations

from kernel import aftercommit
from tests.support.factory import unique


async def test_owner_manages_staff_and_every_change_is_audited(ip_client, factory):
    store = await factory.store()
    owner = await factory.staff(store, "owner")
    person = await factory.user()
    base = f"/api/v1/stores/{store.slug}"

    added = await ip_client.post(f"{base}/staff", headers=owner.headers,
                                 json={"email": person.user.email, "role": "staff"})
    assert added.status_code == 201 and added.json()["role"] == "staff" and added.json()["invited"] is False
    assert (await ip_client.post(f"{base}/staff", headers=owner.headers,
                                 json={"email": person.user.email, "role": "manager"})).status_code == 409
    assert (await ip_client.get(base, headers=person.headers)).status_code == 200
    changed = await ip_client.patch(f"{base}/staff/{person.user.id}", headers=owner.headers, json={"role": "manager"})
    assert changed.status_code == 200 and changed.json()["role"] == "manager"
    listed = (await ip_client.get(f"{base}/staff", headers=owner.headers)).json()
    assert {(s["user_id"], s["role"]) for s in listed} == {(owner.user.id, "owner"), (person.user.id, "manager")}
    assert (await ip_client.delete(f"{base}/staff/{person.user.id}", headers=owner.headers)).status_code == 204
    assert (await ip_client.get(base, headers=person.headers)).status_code == 404

    log = await ip_client.get(f"{base}/audit-log", headers=owner.headers)
    assert log.status_code == 200
    entries = log.json()["items"]
    assert [e["action"] for e in entries] == ["staff.remove", "staff.role_change", "staff.add"]
    role_change = entries[1]
    assert role_change["user_id"] == owner.user.id and role_change["target_id"] == str(person.user.id)
    assert role_change["changes"] == {"role": ["staff", "manager"]}
    assert role_change["ip"] and role_change["user_agent"]


async def test_the_last_owner_stays(ip_client, factory):
    store = await factory.store()
    owner = await factory.staff(store, "owner")
    base = f"/api/v1/stores/{store.slug}"
    assert (await ip_client.patch(f"{base}/staff/{owner.user.id}", headers=owner.headers,
                                  json={"role": "staff"})).status_code == 409
    assert (await ip_client.delete(f"{base}/staff/{owner.user.id}", headers=owner.headers)).status_code == 409


async def test_one_person_several_stores_different_roles(ip_client, factory):
    a, b = await factory.store(), await factory.store()
    owner_a, owner_b = await factory.staff(a, "owner"), await factory.staff(b, "owner")
    person = await factory.user()
    await ip_client.post(f"/api/v1/stores/{a.slug}/staff", headers=owner_a.headers,
                         json={"email": person.user.email, "role": "manager"})
    await ip_client.post(f"/api/v1/stores/{b.slug}/staff", headers=owner_b.headers,
                         json={"email": person.user.email, "role": "staff"})
    me = (await ip_client.get("/api/v1/auth/me", headers=person.headers)).json()
    assert {(s["store_slug"], s["role"]) for s in me["stores"]} == {(a.slug, "manager"), (b.slug, "staff")}
    assert (await ip_client.get(f"/api/v1/stores/{a.slug}/audit-log", headers=person.headers)).status_code == 200
    assert (await ip_client.get(f"/api/v1/stores/{b.slug}/audit-log", headers=person.headers)).status_code == 403


async def test_inviting_an_unknown_email_creates_an_account_and_mails_a_link(ip_client, factory, smtp_server):
    store = await factory.store()
    owner = await factory.staff(store, "owner")
    email = f"{unique('new')}@example.com"
    added = await ip_client.post(f"/api/v1/stores/{store.slug}/staff", headers=owner.headers,
                                 json={"email": email, "role": "staff"})
    assert added.status_code == 201 and added.json()["invited"] is True
    await aftercommit.drain()
    mails = [m for m in smtp_server.messages() if m["To"] == email]
    assert len(mails) == 1 and "password-reset?token=pcr_" in mails[0].get_body(("plain",)).get_content()


async def test_audit_log_pagination_and_no_secrets(ip_client, factory):
    store = await factory.store()
    owner = await factory.staff(store, "owner")
    base = f"/api/v1/stores/{store.slug}"
    tokens = []
    for i in range(5):
        created = await ip_client.post(f"{base}/api-keys", headers=owner.headers,
                                       json={"name": f"k{i}", "scopes": ["catalog:read"]})
        tokens.append(created.json()["token"])
    seen, after = [], None
    while True:
        params = {"limit": 2, **({"after": after} if after else {})}
        page = (await ip_client.get(f"{base}/audit-log", headers=owner.headers, params=params)).json()
        seen += page["items"]
        after = page["next_after"]
        if after is None:
            break
    assert [e["changes"]["name"] for e in seen] == ["k4", "k3", "k2", "k1", "k0"]
    assert all(e["action"] == "api_key.create" for e in seen)
    assert not any(t in str(seen) for t in tokens)


async def test_account_actions_are_recorded(ip_client, factory):
    actor = await factory.user()
    await ip_client.post("/api/v1/auth/login", json={"email": actor.user.email, "password": "correct-horse-9"})
    await ip_client.post("/api/v1/auth/2fa/enroll", headers=actor.headers)
    events = (await ip_client.get("/api/v1/auth/security-events", headers=actor.headers)).json()
    assert [e["action"] for e in events] == ["auth.2fa_enroll_start", "auth.login"]


async def test_api_key_actions_are_attributed_to_the_key(ip_client, factory, sessionmaker):
    from kernel.audit import audit
    from kernel.audit.models import AuditEntry
    from kernel.deps import Principal
    from sqlalchemy import select

    store = await factory.store()
    async with factory.session(store) as session:
        await audit(session, Principal(api_key_id=99, scopes=frozenset()), None, "catalog.import", "product", 5,
                    {"rows": 3, "api_key": "pck_secret"})
    async with factory.session(store) as session:
        entry = (await session.execute(select(AuditEntry).where(AuditEntry.action == "catalog.import"))).scalar_one()
    assert entry.api_key_id == 99 and entry.user_id is None and entry.changes == {"rows": 3, "api_key": "***"}
