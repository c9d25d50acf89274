"""Adversarial isolation through the HTTP layer, on every store-scoped route.

Store A's owner aims every store-scoped route (every method) at store B: with
B's slug, and with A's slug but B's object ids. Each attempt must answer 404,
401 or 403 and must change nothing in B. New routes are covered automatically;
a route with a path parameter nobody knows how to fill fails the test.
"""

from __future__ import annotations

import re

from sqlalchemy import func, select

from kernel.db import Base, TenantMixin
from tests.support.isolation import load_makers

STORE_PREFIX = "/api/v1/stores/{store_slug}"
REFUSED = {401, 403, 404, 405}
INVALID_BODY = {"pyc_isolation_probe": True}  # every public route's request model forbids unknown fields


def store_scoped_routes(app) -> list[tuple[str, str]]:
    """Every (method, path) of the API under the store prefix, read from the OpenAPI document."""
    return [(method.upper(), path) for path, operations in app.openapi()["paths"].items()
            if path.startswith(STORE_PREFIX) for method in operations]


def public_routes(app) -> set[tuple[str, str]]:
    """Routes anyone may call at any store (customer sign-up and sign-in, a guest's cart and
    checkout), flagged ``x-pyc-public``. They are sent :data:`INVALID_BODY`, which no model accepts:
    invalid (422) unless the route reached something first — still nothing reached or changed in B.
    (An empty body is valid at some of them: anyone may start an empty cart in any store.)"""
    return {(method.upper(), path) for path, operations in app.openapi()["paths"].items()
            for method, op in operations.items() if op.get("x-pyc-public")}


async def snapshot(factory, store) -> dict[str, int]:
    """How many rows each tenant table holds for the store, plus the store row's own fields."""
    counts = {}
    async with factory.session(store) as session:
        for mapper in Base.registry.mappers:
            cls = mapper.class_
            if issubclass(cls, TenantMixin) and mapper.local_table is not None:
                counts[cls.__tablename__] = (await session.execute(select(func.count()).select_from(cls))).scalar_one()
    from kernel.stores.service import get_store

    async with factory.session(None) as session:
        s = await get_store(session, store.slug)
        counts["store"] = hash((s.name, s.status, s.currency, s.timezone, s.locale, s.plugins_version))
    return counts


def test_every_path_parameter_has_an_object_maker(app):
    makers = load_makers()
    missing = set()
    for _method, path in store_scoped_routes(app):
        for param in re.findall(r"{(\w+)(?::\w+)?}", path):
            if param != "store_slug" and param not in makers:
                missing.add((path, param))
    assert not missing, f"store-scoped routes with no isolation object maker: {sorted(missing)}"


async def test_store_a_owner_cannot_reach_store_b(app, client, factory):
    makers = load_makers()
    a = await factory.store(name="Store A")
    b = await factory.store(name="Store B")
    owner_a = await factory.staff(a, "owner")
    routes = store_scoped_routes(app)
    assert routes, "no store-scoped routes found"
    b_objects: dict[str, str] = {}
    for _m, path in routes:
        for param in re.findall(r"{(\w+)}", path):
            if param != "store_slug" and param not in b_objects:
                b_objects[param] = await makers[param](factory, b)
    before = await snapshot(factory, b)
    failures = []
    public = public_routes(app)
    for method, path in routes:
        for slug in (b.slug, a.slug):
            values = {"store_slug": slug, **b_objects}
            if slug == a.slug and set(re.findall(r"{(\w+)}", path)) == {"store_slug"}:
                continue  # A's own store-level routes are A's business
            url = path.format(**values)
            body = INVALID_BODY if (method, path) in public else {}
            response = await client.request(method, url, headers=owner_a.headers, json=body)
            if response.status_code not in REFUSED and not (response.status_code == 422 and (
                    slug == a.slug or (method, path) in public)):
                failures.append((method, url, response.status_code))
    assert not failures, f"store A reached store B: {failures}"
    assert await snapshot(factory, b) == before
