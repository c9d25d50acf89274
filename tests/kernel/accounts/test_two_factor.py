"""TOTP two-factor: enrolment (otpauth URI + QR), two-step login, recovery codes, store-level requirement."""

from __future__ import annotations

import time

import pyotp
from sqlalchemy import select

from kernel.accounts.models import TotpCredential

PASSWORD = "correct-horse-9"


def code(secret: str, offset_steps: int = 0) -> str:
    return pyotp.TOTP(secret).at(time.time() + 30 * offset_steps)


async def enrol(client, actor) -> tuple[str, list[str]]:
    """Enrol and confirm with the current code; returns the secret and the recovery codes."""
    started = await client.post("/api/v1/auth/2fa/enroll", headers=actor.headers)
    assert started.status_code == 200
    body = started.json()
    assert body["otpauth_uri"].startswith("otpauth://totp/") and f"secret={body['secret']}" in body["otpauth_uri"]
    assert body["qr_svg"].lstrip().startswith("<svg")
    confirmed = await client.post("/api/v1/auth/2fa/confirm", headers=actor.headers, json={"code": code(body["secret"])})
    assert confirmed.status_code == 200
    return body["secret"], confirmed.json()["recovery_codes"]


async def start_login(client, email) -> str:
    response = await client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
    assert response.status_code == 200
    body = response.json()
    assert body["two_factor_required"] is True and body["access_token"] is None
    return body["challenge_token"]


async def test_enrolment_and_two_step_login(ip_client, factory, sessionmaker):
    actor = await factory.user()
    secret, recovery = await enrol(ip_client, actor)
    assert len(recovery) == 10 and len(set(recovery)) == 10
    async with sessionmaker() as session:  # the seed is encrypted at rest
        cred = (await session.execute(select(TotpCredential).where(TotpCredential.user_id == actor.user.id))).scalar_one()
        assert secret not in cred.secret_encrypted and cred.confirmed_at is not None

    challenge = await start_login(ip_client, actor.user.email)
    wrong = await ip_client.post("/api/v1/auth/login/2fa", json={"challenge_token": challenge, "code": "000000"})
    assert wrong.status_code == 401
    done = await ip_client.post("/api/v1/auth/login/2fa", json={"challenge_token": challenge, "code": code(secret, 1)})
    assert done.status_code == 200
    token = done.json()["access_token"]
    me = await ip_client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200 and me.json()["two_factor_enabled"] is True
    # A challenge is spent once used.
    reuse = await ip_client.post("/api/v1/auth/login/2fa", json={"challenge_token": challenge, "code": code(secret, 1)})
    assert reuse.status_code == 401


async def test_a_totp_code_is_not_accepted_twice(ip_client, factory):
    actor = await factory.user()
    secret, _ = await enrol(ip_client, actor)
    first = await ip_client.post("/api/v1/auth/login/2fa", json={
        "challenge_token": await start_login(ip_client, actor.user.email), "code": code(secret, 1)})
    assert first.status_code == 200
    replay = await ip_client.post("/api/v1/auth/login/2fa", json={
        "challenge_token": await start_login(ip_client, actor.user.email), "code": code(secret, 1)})
    assert replay.status_code == 401


async def test_recovery_codes_work_once(ip_client, factory):
    actor = await factory.user()
    _, recovery = await enrol(ip_client, actor)
    first = await ip_client.post("/api/v1/auth/login/2fa", json={
        "challenge_token": await start_login(ip_client, actor.user.email), "code": recovery[0]})
    assert first.status_code == 200
    again = await ip_client.post("/api/v1/auth/login/2fa", json={
        "challenge_token": await start_login(ip_client, actor.user.email), "code": recovery[0]})
    assert again.status_code == 401
    other = await ip_client.post("/api/v1/auth/login/2fa", json={
        "challenge_token": await start_login(ip_client, actor.user.email), "code": recovery[1].upper()})
    assert other.status_code == 200


async def test_confirming_needs_a_valid_code_and_enrolment_cannot_be_repeated(ip_client, factory):
    actor = await factory.user()
    started = await ip_client.post("/api/v1/auth/2fa/enroll", headers=actor.headers)
    bad = await ip_client.post("/api/v1/auth/2fa/confirm", headers=actor.headers, json={"code": "123456"})
    assert bad.status_code == 422
    # Not active yet: sign-in still needs only the password.
    login = await ip_client.post("/api/v1/auth/login", json={"email": actor.user.email, "password": PASSWORD})
    assert login.json()["two_factor_required"] is False
    ok = await ip_client.post("/api/v1/auth/2fa/confirm", headers=actor.headers,
                              json={"code": code(started.json()["secret"])})
    assert ok.status_code == 200
    assert (await ip_client.post("/api/v1/auth/2fa/enroll", headers=actor.headers)).status_code == 409


async def test_disable_needs_a_code(ip_client, factory):
    actor = await factory.user()
    secret, _ = await enrol(ip_client, actor)
    assert (await ip_client.post("/api/v1/auth/2fa/disable", headers=actor.headers, json={"code": "000000"})).status_code == 422
    assert (await ip_client.post("/api/v1/auth/2fa/disable", headers=actor.headers,
                                 json={"code": code(secret, 1)})).status_code == 204
    login = await ip_client.post("/api/v1/auth/login", json={"email": actor.user.email, "password": PASSWORD})
    assert login.json()["access_token"]


async def test_store_can_require_two_factor_for_staff(ip_client, factory):
    store = await factory.store()
    owner = await factory.staff(store, "owner")
    clerk = await factory.staff(store, "staff")
    elsewhere = await factory.store()
    await factory_role(factory, elsewhere, clerk)
    # The owner enrols first, then turns the requirement on.
    secret, _ = await enrol(ip_client, owner)
    token = (await ip_client.post("/api/v1/auth/login/2fa", json={
        "challenge_token": await start_login(ip_client, owner.user.email), "code": code(secret, 1)})).json()["access_token"]
    owner_headers = {"Authorization": f"Bearer {token}"}
    r = await ip_client.patch(f"/api/v1/stores/{store.slug}/security-settings", headers=owner_headers,
                              json={"require_staff_2fa": True})
    assert r.status_code == 200 and r.json() == {"require_staff_2fa": True}

    refused = await ip_client.get(f"/api/v1/stores/{store.slug}", headers=clerk.headers)
    assert refused.status_code == 403 and "two-factor" in refused.json()["detail"]
    # Only that store: the clerk still works for a store without the requirement.
    assert (await ip_client.get(f"/api/v1/stores/{elsewhere.slug}", headers=clerk.headers)).status_code == 200

    clerk_secret, _ = await enrol(ip_client, clerk)
    clerk_token = (await ip_client.post("/api/v1/auth/login/2fa", json={
        "challenge_token": await start_login(ip_client, clerk.user.email),
        "code": code(clerk_secret, 1)})).json()["access_token"]
    allowed = await ip_client.get(f"/api/v1/stores/{store.slug}", headers={"Authorization": f"Bearer {clerk_token}"})
    assert allowed.status_code == 200


async def factory_role(factory, store, actor):
    from kernel.accounts.service import grant_role

    async with factory.session(store) as session:
        await grant_role(session, actor.user, "staff")
