"""One error shape: problem details with the request id, and no stack trace on a 500."""

from __future__ import annotations

import logging
from typing import Annotated

import httpx
from asgi_lifespan import LifespanManager
from fastapi import APIRouter, Query
from sqlalchemy import event

from kernel.app import create_app
from kernel.deps import SessionDep
from kernel.errors import NotFound


async def test_unknown_route_is_problem_json(client):
    response = await client.get("/api/v1/nowhere", headers={"x-request-id": "req-12345678"})
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["request_id"] == "req-12345678"
    assert response.headers["x-request-id"] == "req-12345678"


async def test_unexpected_error_is_500_with_request_id_and_logged(settings, caplog):
    app = create_app(settings)
    router = APIRouter()

    @router.get("/boom")
    async def boom():
        raise RuntimeError("database password is hunter2")

    app.include_router(router)
    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            with caplog.at_level(logging.ERROR, logger="pycommerce"):
                response = await c.get("/boom")
    assert response.status_code == 500
    body = response.json()
    assert body["request_id"] and "hunter2" not in response.text and "Traceback" not in response.text
    logged = [r for r in caplog.records if r.name == "pycommerce.errors"]
    assert logged and logged[0].request_id == body["request_id"]


async def test_access_log_line_per_request(client, factory, caplog):
    store = await factory.store()
    owner = await factory.staff(store, "owner")
    with caplog.at_level(logging.INFO, logger="pycommerce.access"):
        await client.get(f"/api/v1/stores/{store.slug}", headers=owner.headers)
    lines = [r for r in caplog.records if r.name == "pycommerce.access"]
    assert lines[-1].status == 200 and lines[-1].store == store.slug and lines[-1].duration_ms >= 0
    assert owner.token not in caplog.text


async def test_nul_bytes_are_a_422_not_a_500(client, factory):
    admin = await factory.admin()
    body = await client.post("/api/v1/platform/stores", headers=admin.headers,
                             json={"slug": "nulstore", "name": "bad\x00name"})
    assert body.status_code == 422 and "NUL" in body.json()["detail"]
    query = await client.get("/api/v1/platform/stores?after=1%00", headers=admin.headers)
    assert query.status_code == 422
    fine = await client.post("/api/v1/platform/stores", headers=admin.headers,
                             json={"slug": f"ok-{admin.user.id}", "name": "Plain name"})
    assert fine.status_code == 201


async def test_nul_byte_error_names_the_field(client, factory):
    admin = await factory.admin()
    response = await client.post("/api/v1/platform/stores", headers=admin.headers,
                                 json={"slug": "nul2", "name": "ok", "domains": ["a.example", "b\x00.example"]})
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", "domains", 1]


async def test_a_failed_commit_is_an_error_response_not_a_success(settings):
    """The unit of work commits before the response is sent: if the commit fails, the client sees a 500."""
    app = create_app(settings)
    router = APIRouter()

    @router.post("/commit-fails")
    async def commit_fails(session: SessionDep) -> dict[str, str]:
        def refuse(_session):
            raise RuntimeError("disk full")

        event.listen(session.sync_session, "before_commit", refuse)
        return {"status": "saved"}

    app.include_router(router)
    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            response = await c.post("/commit-fails")
    assert response.status_code == 500
    assert "saved" not in response.text


async def test_a_browser_reads_problems_as_pages_while_the_api_stays_json(client, factory):
    """A shopper's browser that asks for a page that is not there reads a page saying so, with the
    reference to quote; the API answers its problem document whatever the client accepts."""
    store = await factory.store(name="Page Shop")
    browser = {"host": f"{store.slug}.localhost", "accept": "text/html,application/xhtml+xml,*/*;q=0.8",
               "x-request-id": "req-page-4040"}
    page = await client.get("/no-such-page", headers=browser)
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
    assert "<h1>Not Found</h1>" in page.text and "req-page-4040" in page.text
    api = await client.get("/api/v1/nowhere", headers=browser)
    assert api.status_code == 404 and api.headers["content-type"].startswith("application/problem+json")


async def test_a_problem_page_shows_what_the_request_said_as_text_never_as_markup(settings):
    """A page's problem repeats input (a name from the path) escaped: no markup reaches the browser."""
    app = create_app(settings)
    router = APIRouter()

    @router.get("/test-only/products/{name}")
    async def missing(name: str):
        raise NotFound(f"No product called {name}.")

    app.include_router(router)
    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            page = await c.get("/test-only/products/%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E",
                               headers={"accept": "text/html"})
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
    assert "<img" not in page.text
    assert "No product called &lt;img src=x onerror=alert(1)&gt;." in page.text


async def test_an_invalid_page_request_lists_each_field_at_fault(settings):
    """A browser's request that fails validation reads which fields are wrong and why, as the API's
    ``errors`` say, without the values it sent (they may be secrets)."""
    app = create_app(settings)
    router = APIRouter()

    @router.get("/test-only/browse")
    async def browse(page: int, colour: Annotated[str, Query(max_length=10)] = "any"):
        return {"page": page, "colour": colour}

    app.include_router(router)
    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            page = await c.get("/test-only/browse?page=second&colour=ultramarine-blue", headers={"accept": "text/html"})
            api = await c.get("/test-only/browse?page=second&colour=ultramarine-blue")
    assert page.status_code == 422 and page.headers["content-type"].startswith("text/html")
    assert "<strong>page</strong>: Input should be a valid integer" in page.text
    assert "<strong>colour</strong>: String should have at most 10 characters" in page.text
    assert "ultramarine-blue" not in page.text and "second" not in page.text
    assert [e["loc"] for e in api.json()["errors"]] == [["query", "page"], ["query", "colour"]]
