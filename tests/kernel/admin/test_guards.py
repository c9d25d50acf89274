"""The dashboard's walls, through HTTP: every admin page of store B refuses store A's staff, pages
need the staff cookie (not a customer's, not a bearer token), forms need their CSRF token, and the
dashboard never answers on a store's own host."""

from __future__ import annotations

import re

from starlette.routing import BaseRoute

from kernel.accounts.service import start_session
from kernel.accounts.staff import register_customer
from kernel.admin.guards import ADMIN_COOKIE
from tests.support.isolation import load_makers
from tests.support.domains import verify_by_dns

STORE_PREFIX = "/admin/stores/{store_slug}"
SIGNED_OUT = {"/admin/login", "/admin/password-reset", "/admin/password-reset/confirm", "/admin/login/2fa"}


def admin_routes(app) -> list[tuple[str, str]]:
    """Every (method, path) the dashboard serves, from the app's routers (its pages are not in OpenAPI)."""
    found = []

    def walk(routes: list[BaseRoute]):
        for route in routes:
            inner = getattr(route, "original_router", None)
            if inner is not None:
                walk(inner.routes)
            elif getattr(route, "path", "").startswith("/admin") and not route.path.startswith("/admin/static"):
                found.extend((method, route.path) for method in sorted(route.methods - {"HEAD"}))

    walk(app.routes)
    return found


def store_routes(app) -> list[tuple[str, str]]:
    return [(m, p) for m, p in admin_routes(app) if p.startswith(STORE_PREFIX)]


def only_cookie(client, name: str, token: str):
    """The client carries exactly this one cookie from now on."""
    client.cookies.clear()
    client.cookies.set(name, token)
    return client


def test_the_walker_sees_the_dashboard(app):
    paths = {p for _m, p in admin_routes(app)}
    assert {"/admin/login", STORE_PREFIX, STORE_PREFIX + "/orders/{order_id}", "/admin/platform/stores"} <= paths


async def test_staff_of_store_a_get_404_or_403_on_every_page_of_store_b(app, client, factory):
    """Every store page, every method, aimed at store B (and at store B's objects through A's slug):
    a new admin route is attacked without anyone listing it here; one whose path parameter has no
    object maker fails."""
    makers = load_makers()
    a, b = await factory.store(name="Store A"), await factory.store(name="Store B")
    owner_a = await factory.staff(a, "owner")
    b_objects: dict[str, str] = {}
    routes = store_routes(app)
    for _m, path in routes:
        for param in re.findall(r"{(\w+)}", path):
            if param != "store_slug" and param not in b_objects:
                assert param in makers, f"admin route {path} has no isolation object maker for {param}"
                b_objects[param] = await makers[param](factory, b)
    failures = []
    client.cookies.set(ADMIN_COOKIE, owner_a.token)
    for method, path in routes:
        for slug in (b.slug, a.slug):
            params = set(re.findall(r"{(\w+)}", path))
            if slug == a.slug and params == {"store_slug"}:
                continue  # A's own store pages are A's business
            url = path.format(store_slug=slug, **b_objects)
            headers = {"X-CSRF-Token": _csrf(app, owner_a.token)}
            response = await client.request(method, url, headers=headers, data={})
            if response.status_code not in (403, 404):
                failures.append((method, url, response.status_code))
    assert not failures, f"store A's owner reached store B's dashboard: {failures}"


def _csrf(app, token: str) -> str:
    from kernel.accounts.csrf import csrf_token_for_session

    return csrf_token_for_session(app.state.settings.secret_key.get_secret_value().encode(), token)


async def test_signed_out_visitors_are_sent_to_sign_in_from_every_page(app, client, factory):
    store = await factory.store()
    for method, path in admin_routes(app):
        if path in SIGNED_OUT:
            continue
        url = re.sub(r"{\w+}", "1", path).replace("/stores/1", f"/stores/{store.slug}")
        response = await client.request(method, url)
        assert response.status_code == 303 and response.headers["location"].startswith("/admin/login?next="), \
            (method, url, response.status_code)


async def test_a_customer_session_and_a_bearer_token_open_no_admin_page(client, factory):
    store = await factory.store()
    owner = await factory.staff(store, "owner")
    async with factory.session(store) as session:
        customer = await register_customer(session, "shopper@example.com", "correct-horse-9")
        customer_token = await start_session(session, customer=customer)
    home = f"/admin/stores/{store.slug}"
    as_customer = await only_cookie(client, "pyc_session", customer_token).get(home)
    assert as_customer.status_code == 303 and as_customer.headers["location"].startswith("/admin/login")
    in_our_cookie = await only_cookie(client, ADMIN_COOKIE, customer_token).get(home)
    assert in_our_cookie.status_code == 303  # a customer's token is nobody on the dashboard
    client.cookies.clear()
    by_bearer = await client.get(home, headers=owner.headers)
    assert by_bearer.status_code == 303
    # The API's cookie of a staff member does not open the dashboard either: it has its own.
    assert (await only_cookie(client, "pyc_session", owner.token).get(home)).status_code == 303
    page = await only_cookie(client, ADMIN_COOKIE, owner.token).get(home)
    assert page.status_code == 200 and store.name in page.text


async def test_a_form_posted_without_its_csrf_token_is_refused(app, client, factory):
    store = await factory.store(name="Before")
    owner = await factory.staff(store, "owner")
    url = f"/admin/stores/{store.slug}/settings"
    form = {"name": "After", "currency": "USD", "locale": "en_US", "timezone": "UTC", "domains": ""}
    only_cookie(client, ADMIN_COOKIE, owner.token)
    refused = await client.post(url, data=form)
    assert refused.status_code == 403 and "CSRF" in refused.text and "<html" in refused.text
    assert "Before" in (await client.get(url)).text
    accepted = await client.post(url, data={**form, "csrf_token": _csrf(app, owner.token)})
    assert accepted.status_code == 303
    assert "After" in (await client.get(url)).text


async def test_the_dashboard_does_not_answer_on_a_store_host(app, client, factory):
    store = await factory.store(domains=["shop.example.com"])
    owner = await factory.staff(store, "owner")
    assert (await verify_by_dns(app, client, owner.headers, store.slug, "shop.example.com")).status_code == 200
    only_cookie(client, ADMIN_COOKIE, owner.token)
    for host in (f"{store.slug}.localhost", "shop.example.com"):
        response = await client.get(f"/admin/stores/{store.slug}", headers={"host": host})
        assert response.status_code == 404, host
    assert (await client.get(f"/admin/stores/{store.slug}")).status_code == 200  # the platform host


async def test_assets_have_fingerprinted_long_cached_urls(client):
    from kernel.admin.assets import asset_url

    url = asset_url("vendor/bootstrap/bootstrap.min.css")
    response = await client.get(url)
    assert response.status_code == 200 and "immutable" in response.headers["cache-control"]
    assert (await client.get(re.sub(r"/static/[0-9a-f]{12}/", "/static/000000000000/", url))).status_code == 404
    outside = "/admin/static/" + url.split("/")[3] + "/vendor%2F..%2F..%2Fguards.py"
    assert (await client.get(outside)).status_code == 404


async def test_a_stale_staff_cookie_does_not_stop_signing_in(client, factory):
    actor = await factory.user()
    client.cookies.set(ADMIN_COOKIE, "pcs_expired-or-made-up", domain="testserver", path="/admin")
    page = await client.get("/admin/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    signed_in = await client.post("/admin/login", data={"csrf_token": token, "email": actor.user.email,
                                                        "password": "correct-horse-9", "next": "/admin"})
    assert signed_in.status_code == 303 and signed_in.headers["location"] == "/admin"
    assert (await client.get("/admin")).status_code == 200  # the new cookie replaced the stale one


async def test_the_platform_pages_see_and_act_on_every_stores_jobs_and_stores(app, client, factory):
    """A store's failed job shows on the platform's jobs page and goes back to the queue from it; a
    store is suspended and resumed from the stores page (on PostgreSQL, as the platform's login)."""
    from sqlalchemy import select, update

    from kernel.db import cross_store_session
    from kernel.jobs.models import Job
    from kernel.jobs.queue import enqueue
    from kernel.stores.models import Store

    store = await factory.store()
    async with factory.session(store) as session:
        job_id = await enqueue(session, "tests.admin_probe", {"n": 1}, store_id=store.id)
    async with cross_store_session(factory.sessionmaker) as session:
        await session.execute(update(Job).where(Job.id == job_id).values(status="failed", last_error="Boom: probe"))
    admin = await factory.admin()
    only_cookie(client, ADMIN_COOKIE, admin.token)
    page = await client.get("/admin/platform/jobs")
    assert page.status_code == 200 and "tests.admin_probe" in page.text and "Boom: probe" in page.text
    csrf = {"csrf_token": _csrf(app, admin.token)}
    assert (await client.post(f"/admin/platform/jobs/{job_id}/retry", data=csrf)).status_code == 303
    assert (await client.post(f"/admin/platform/stores/{store.slug}/suspend", data=csrf)).status_code == 303
    async with cross_store_session(factory.sessionmaker) as session:
        assert (await session.get(Job, job_id)).status == "queued"
        assert (await session.execute(select(Store.status).where(Store.id == store.id))).scalar_one() == "suspended"
    assert (await client.post(f"/admin/platform/stores/{store.slug}/resume", data=csrf)).status_code == 303
    async with cross_store_session(factory.sessionmaker) as session:
        assert (await session.execute(select(Store.status).where(Store.id == store.id))).scalar_one() == "active"
