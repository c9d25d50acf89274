"""Customers belong to one store: registered at A means unknown at B; tokens work only at home."""

from __future__ import annotations

import re

from kernel import aftercommit
from tests.kernel.accounts.conftest import bearer
from tests.support.factory import unique

PASSWORD = "customer-pass-1"


async def register(client, store, email, password=PASSWORD):
    return await client.post(f"/api/v1/stores/{store.slug}/customers/register",
                             json={"email": email, "password": password, "full_name": "Sam"})


async def test_register_login_me(ip_client, factory):
    store = await factory.store()
    email = f"{unique('c')}@Example.com"
    created = await register(ip_client, store, email)
    assert created.status_code == 201
    assert created.json()["customer"]["email"] == email.lower()
    login = await ip_client.post(f"/api/v1/stores/{store.slug}/customers/login",
                                 json={"email": email, "password": PASSWORD})
    assert login.status_code == 200
    me = await ip_client.get(f"/api/v1/stores/{store.slug}/customers/me", headers=bearer(login.json()["access_token"]))
    assert me.status_code == 200 and me.json()["email"] == email.lower()
    assert (await register(ip_client, store, email)).status_code == 409


async def test_customers_are_isolated_between_stores(ip_client, factory):
    a, b = await factory.store(), await factory.store()
    email = f"{unique('c')}@example.com"
    token_a = (await register(ip_client, a, email)).json()["access_token"]
    # Unknown at B: cannot sign in there, and the same email can register there as a separate account.
    refused = await ip_client.post(f"/api/v1/stores/{b.slug}/customers/login", json={"email": email, "password": PASSWORD})
    assert refused.status_code == 401
    # A's token does not work at B.
    assert (await ip_client.get(f"/api/v1/stores/{b.slug}/customers/me", headers=bearer(token_a))).status_code == 401
    created_b = await register(ip_client, b, email, "another-pass-22")
    assert created_b.status_code == 201
    assert created_b.json()["customer"]["id"] != (await ip_client.get(
        f"/api/v1/stores/{a.slug}/customers/me", headers=bearer(token_a))).json()["id"]
    # Each store's password is its own.
    wrong = await ip_client.post(f"/api/v1/stores/{a.slug}/customers/login",
                                 json={"email": email, "password": "another-pass-22"})
    assert wrong.status_code == 401
    # Customers are not staff anywhere.
    assert (await ip_client.get(f"/api/v1/stores/{a.slug}/customers", headers=bearer(token_a))).status_code == 401


async def test_register_validates_input(ip_client, factory):
    store = await factory.store()
    for body in ({"email": "no-at-sign", "password": PASSWORD}, {"email": "a@b.example", "password": "short"},
                 {"email": "a\x00@b.example", "password": PASSWORD},
                 {"email": "a@b.example", "password": PASSWORD, "is_active": False}):
        response = await ip_client.post(f"/api/v1/stores/{store.slug}/customers/register", json=body)
        assert response.status_code == 422, body


async def test_customer_password_reset_is_store_bound_and_single_use(ip_client, factory, smtp_server):
    a, b = await factory.store(), await factory.store()
    email = f"{unique('c')}@example.com"
    old_token = (await register(ip_client, a, email)).json()["access_token"]
    asked = await ip_client.post(f"/api/v1/stores/{a.slug}/customers/password-reset", json={"email": email})
    assert asked.status_code == 202
    await aftercommit.drain()
    mails = [m for m in smtp_server.messages() if m["To"] == email]
    assert len(mails) == 1
    text = mails[0].get_body(("plain",)).get_content()
    token = re.search(r'"token": "(pcr_[\w-]+)"', text).group(1)
    # The mail sends the customer to their store's own address, not the API host the request used.
    assert f"POST http://{a.slug}.localhost/api/v1/stores/{a.slug}/customers/password-reset/confirm\r\n" in text, text

    body = {"token": token, "new_password": "new customer pass"}
    # Another store does not accept (nor spend) it; staff reset does not either.
    assert (await ip_client.post(f"/api/v1/stores/{b.slug}/customers/password-reset/confirm", json=body)).status_code == 422
    assert (await ip_client.post("/api/v1/auth/password-reset/confirm", json=body)).status_code == 422
    assert (await ip_client.post(f"/api/v1/stores/{a.slug}/customers/password-reset/confirm", json=body)).status_code == 204
    assert (await ip_client.post(f"/api/v1/stores/{a.slug}/customers/password-reset/confirm", json=body)).status_code == 422
    assert (await ip_client.get(f"/api/v1/stores/{a.slug}/customers/me", headers=bearer(old_token))).status_code == 401
    login = await ip_client.post(f"/api/v1/stores/{a.slug}/customers/login",
                                 json={"email": email, "password": "new customer pass"})
    assert login.status_code == 200


async def test_simultaneous_registrations_of_one_email_give_one_account(app, factory):
    import asyncio

    from tests.kernel.accounts.conftest import client_at, fresh_ip

    store = await factory.store()
    email = f"{unique('race')}@example.com"

    async def attempt():
        async with client_at(app, fresh_ip()) as c:
            return (await register(c, store, email)).status_code

    codes = sorted(await asyncio.gather(*(attempt() for _ in range(4))))
    assert codes == [201, 409, 409, 409]


async def test_customer_reset_mail_uses_the_store_custom_domain(ip_client, factory, smtp_server):
    store = await factory.store(domains=["shop.reset-test.example"])
    email = f"{unique('c')}@example.com"
    await register(ip_client, store, email)
    assert (await ip_client.post(f"/api/v1/stores/{store.slug}/customers/password-reset",
                                 json={"email": email})).status_code == 202
    await aftercommit.drain()
    text = [m for m in smtp_server.messages() if m["To"] == email][0].get_body(("plain",)).get_content()
    url = re.search(r"POST (\S+)", text).group(1)
    assert url == f"http://shop.reset-test.example/api/v1/stores/{store.slug}/customers/password-reset/confirm"
    token = re.search(r'"token": "(pcr_[\w-]+)"', text).group(1)
    # The link works where it points: on the store's domain.
    confirmed = await ip_client.post(url, json={"token": token, "new_password": "new customer pass"})
    assert confirmed.status_code == 204
