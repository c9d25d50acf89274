"""Web sessions: HttpOnly SameSite cookie; CSRF token required on cookie-authenticated state changes."""

from __future__ import annotations

from kernel.accounts.csrf import SESSION_COOKIE


async def cookie_login(client, actor) -> str:
    response = await client.post("/api/v1/auth/login", json={"email": actor.user.email, "password": "correct-horse-9",
                                                             "cookie": True})
    assert response.status_code == 200
    body = response.json()
    assert body["access_token"] is None and body["csrf_token"]
    set_cookie = response.headers["set-cookie"]
    assert f"{SESSION_COOKIE}=" in set_cookie and "HttpOnly" in set_cookie and "SameSite=lax" in set_cookie
    return body["csrf_token"]


async def test_form_post_without_csrf_token_is_refused(ip_client, factory):
    actor = await factory.user()
    csrf = await cookie_login(ip_client, actor)
    assert (await ip_client.get("/api/v1/auth/me")).status_code == 200  # safe methods need no token

    forged = await ip_client.post("/api/v1/auth/logout", data={"next": "/"})
    assert forged.status_code == 403 and "CSRF" in forged.json()["detail"]
    wrong = await ip_client.post("/api/v1/auth/logout", data={"csrf_token": "0" * 64})
    assert wrong.status_code == 403
    assert (await ip_client.get("/api/v1/auth/me")).status_code == 200  # still signed in

    accepted = await ip_client.post("/api/v1/auth/logout", data={"csrf_token": csrf})
    assert accepted.status_code == 204


async def test_json_requests_by_cookie_need_the_header(ip_client, factory):
    actor = await factory.user()
    csrf = await cookie_login(ip_client, actor)
    refused = await ip_client.post("/api/v1/auth/2fa/enroll")
    assert refused.status_code == 403
    accepted = await ip_client.post("/api/v1/auth/2fa/enroll", headers={"X-CSRF-Token": csrf})
    assert accepted.status_code == 200


async def test_bearer_requests_are_exempt(ip_client, factory):
    actor = await factory.user()
    assert (await ip_client.post("/api/v1/auth/2fa/enroll", headers=actor.headers)).status_code == 200


async def test_csrf_input_helper_renders_the_session_token(app, factory):
    from starlette.requests import Request

    from kernel.accounts.csrf import csrf_input, csrf_token

    request = Request({"type": "http", "app": app, "headers": [(b"cookie", f"{SESSION_COOKIE}=pcs_abc".encode())]})
    html = str(csrf_input(request))
    assert html == f'<input type="hidden" name="csrf_token" value="{csrf_token(request)}">'


async def test_customer_cookie_session_works_in_its_store_with_csrf(ip_client, factory):
    store = await factory.store()
    base = f"/api/v1/stores/{store.slug}/customers"
    await ip_client.post(f"{base}/register", json={"email": "cookie@example.com", "password": "customer-pass-1"})
    ip_client.cookies.clear()
    login = await ip_client.post(f"{base}/login", json={"email": "cookie@example.com", "password": "customer-pass-1",
                                                        "cookie": True})
    assert login.status_code == 200 and login.json()["access_token"] is None and login.json()["csrf_token"]
    assert "HttpOnly" in login.headers["set-cookie"]
    assert (await ip_client.get(f"{base}/me")).json()["email"] == "cookie@example.com"
