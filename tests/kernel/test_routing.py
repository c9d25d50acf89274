"""KernelRouter rules out foreign paths with one pattern; it must never rule out one of its own."""

from __future__ import annotations

import inspect
import re

import httpx
from fastapi import FastAPI
from fastapi.routing import APIRoute

from kernel.app import _include_kernel_routers, create_app
from kernel.config import Settings
from kernel.routing import KernelRouter

_PARAM = re.compile(r"{([^}:]+)(?::([^}]+))?}")


def _sample_path(template: str) -> str:
    """A concrete path for a route template: ``{store_slug}`` → ``s1``, ``{path:path}`` → ``a/b.png``."""
    return _PARAM.sub(lambda m: {"path": "a/b.png", "int": "7"}.get(m.group(2) or "", "s1"), template)


class CountingRoute(APIRoute):
    """Counts how often FastAPI asks the route whether a request is its own."""

    asked = 0

    def matches(self, scope):
        CountingRoute.asked += 1
        return super().matches(scope)


def _client(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")


def _app_with_two_routers():
    things = KernelRouter(prefix="/api/v1/stores/{store_slug}/things", route_class=CountingRoute)

    @things.get("/{thing_id}")
    async def get_thing(thing_id: int) -> dict:
        return {"id": thing_id}

    widgets = KernelRouter(prefix="/api/v1/stores/{store_slug}/widgets")

    @widgets.get("")
    async def list_widgets() -> list:
        return []

    app = FastAPI()
    app.include_router(things)
    app.include_router(widgets)
    return app, things


def test_every_kernel_route_passes_its_routers_gate():
    app = FastAPI()
    _include_kernel_routers(app)
    routers = [route.original_router for route in app.router.routes if hasattr(route, "original_router")]
    assert routers and all(isinstance(r, KernelRouter) for r in routers), "every kernel router is gated"
    paths = [(router, route.path) for router in routers for route in router.routes]
    assert len(paths) > 80
    for router, path in paths:
        assert router.may_hold(_sample_path(path)), f"{path} ruled out by its own router"
    assert not any(router.may_hold("/no/such/place") for router in routers)


async def test_a_foreign_path_never_reaches_the_routers_routes():
    app, things = _app_with_two_routers()
    client = _client(app)
    assert not things.may_hold("/api/v1/stores/s1/widgets")
    CountingRoute.asked = 0
    assert (await client.get("/api/v1/stores/s1/widgets")).json() == []
    assert CountingRoute.asked == 0
    assert (await client.get("/api/v1/stores/s1/things/5")).json() == {"id": 5}
    assert CountingRoute.asked > 0


async def test_methods_missing_paths_and_slash_redirects_answer_as_before():
    app, _ = _app_with_two_routers()
    client = _client(app)
    assert (await client.post("/api/v1/stores/s1/things/5")).status_code == 405  # the path is ours, the method is not
    assert (await client.get("/api/v1/stores/s1/things/5/extra")).status_code == 404
    redirect = await client.get("/api/v1/stores/s1/widgets/", follow_redirects=False)
    assert redirect.status_code == 307 and redirect.headers["location"].endswith("/api/v1/stores/s1/widgets")


async def test_routes_added_after_the_first_request_are_reachable():
    router = KernelRouter()
    app = FastAPI()
    app.include_router(router)
    client = _client(app)
    assert (await client.get("/late")).status_code == 404

    @router.get("/late")
    async def late() -> dict:
        return {"ok": True}

    assert (await client.get("/late")).json() == {"ok": True}


async def test_included_under_a_prefix_or_holding_a_router_it_still_answers():
    inner = KernelRouter()

    @inner.get("/inner")
    async def inner_route() -> dict:
        return {"inner": True}

    outer = KernelRouter()
    outer.include_router(inner, prefix="/outer")
    app = FastAPI()
    app.include_router(outer)
    app.include_router(inner, prefix="/elsewhere")
    client = _client(app)
    assert outer.may_hold("/anything")  # an included router has no pattern: nothing is ruled out
    assert (await client.get("/outer/inner")).json() == {"inner": True}
    assert (await client.get("/elsewhere/inner")).json() == {"inner": True}


def _runs_on_the_loop(call) -> bool:
    """Whether FastAPI awaits ``call`` (a coroutine or async generator function, or an object whose
    ``__call__`` is one) rather than running it in its thread pool."""
    for candidate in (call, getattr(call, "__call__", None)):
        if inspect.iscoroutinefunction(candidate) or inspect.isasyncgenfunction(candidate):
            return True
    return False


def _sync_calls(dependant, route_path: str):
    """Every plain ``def`` among a route's endpoint and (sub-)dependencies, with the route's path."""
    call = dependant.call
    if call is not None and not _runs_on_the_loop(call):
        yield f"{route_path}: {call.__module__}.{call.__qualname__}"
    for sub in dependant.dependencies:
        yield from _sync_calls(sub, route_path)


def _routes(routes):
    for route in routes:
        if hasattr(route, "original_router"):
            yield from _routes(route.original_router.routes)
        else:
            yield route


def test_no_route_hands_its_request_to_a_worker_thread():
    """FastAPI runs a plain ``def`` endpoint or dependency in anyio's thread pool: a hand-off per
    request that cost the product list a fifth of its CPU (``bench/inprocess.py``: 2.45 → 1.96 ms
    once its query-parameter dependency was made ``async``). Blocking work belongs in an explicit
    ``run_in_threadpool`` inside an ``async def``, where a reader sees it."""
    app = create_app(Settings(database_url="sqlite+aiosqlite:///:memory:", secret_key="k" * 32))
    routes = [route for route in _routes(app.router.routes) if hasattr(route, "dependant")]
    assert len(routes) > 80
    assert [found for route in routes for found in _sync_calls(route.dependant, route.path)] == []


def _numeric_sample(template: str) -> str:
    """Like :func:`_sample_path`, with numbers where ids go (``{product_id}`` → ``7``)."""
    return _PARAM.sub(lambda m: "7" if m.group(1).endswith("_id") else "s1", template)


async def test_a_405_names_every_method_the_path_takes(app, client):
    checked = 0
    for template, operations in app.openapi()["paths"].items():
        documented = {method.upper() for method in operations}
        refused = next(m for m in ("DELETE", "PUT", "PATCH", "POST", "GET") if m not in documented)
        response = await client.request(refused, _numeric_sample(template))
        assert response.status_code == 405, f"{refused} {template}: {response.status_code}"
        allowed = {m.strip() for m in response.headers["allow"].split(",")}
        assert documented <= allowed and refused not in allowed, f"{template}: Allow {allowed}, documented {documented}"
        checked += 1
    assert checked > 50
