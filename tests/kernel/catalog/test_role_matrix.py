"""Who may call each catalog and inventory route: every route × every kind of caller.

read → any staff role; catalog writes → manager or owner; stock adjustments → any staff
role (see kernel.catalog.deps). Anonymous callers and customers are not authenticated as
staff (401); another store's owner learns nothing (404). API-key scopes are not covered
here: keys are built by the accounts work and this test cannot mint one without it.
"""

from __future__ import annotations

import pytest

from kernel.accounts.models import Customer
from kernel.accounts.service import start_session
from tests.support import makers_catalog as makers
from tests.support.factory import unique
from tests.support.isolation import OBJECT_MAKERS

S, M = "staff", "manager"


def csv_file() -> dict:
    sku = unique("CSV-")
    data = f"Handle,Title,Variant SKU,Variant Price\n{sku.lower()},Thing,{sku},1.00\n".encode()
    return {"files": {"file": ("p.csv", data, "text/csv")}}


ROUTES = [  # (method, path, who may, request kwargs)
    ("GET", "/products", S, lambda: {}),
    ("GET", "/search", S, lambda: {"params": {"q": "thing"}}),
    ("POST", "/products", M, lambda: {"json": {"name": "Thing", "variants": [{"sku": unique("R-"), "price": 1}]}}),
    ("GET", "/products/{product_id}", S, lambda: {}),
    ("PATCH", "/products/{product_id}", M, lambda: {"json": {"name": "Renamed"}}),
    ("DELETE", "/products/{product_id}", M, lambda: {}),
    ("POST", "/products/{product_id}/variants", M, lambda: {"json": {"sku": unique("V-"), "price": 5}}),
    ("GET", "/variants/{variant_id}", S, lambda: {}),
    ("PATCH", "/variants/{variant_id}", M, lambda: {"json": {"price": 7}}),
    ("DELETE", "/variants/{variant_id}", M, lambda: {}),
    ("POST", "/products/{product_id}/images", M,
     lambda: {"files": {"file": ("p.png", makers.png_bytes(), "image/png")}}),
    ("GET", "/images/{image_id}", S, lambda: {}),
    ("PATCH", "/images/{image_id}", M, lambda: {"json": {"alt": "x"}}),
    ("DELETE", "/images/{image_id}", M, lambda: {}),
    ("GET", "/categories", S, lambda: {}),
    ("POST", "/categories", M, lambda: {"json": {"name": "Cat"}}),
    ("GET", "/categories/{category_id}", S, lambda: {}),
    ("PATCH", "/categories/{category_id}", M, lambda: {"json": {"name": "Cat 2"}}),
    ("DELETE", "/categories/{category_id}", M, lambda: {}),
    ("GET", "/csv/products", S, lambda: {}),
    ("POST", "/csv/products", M, csv_file),
    ("GET", "/inventory/{variant_id}", S, lambda: {}),
    ("POST", "/inventory/{variant_id}/adjustments", S, lambda: {"json": {"delta": 1, "reason": "received"}}),
    ("GET", "/inventory/{variant_id}/movements", S, lambda: {}),
]
PREFIX = "/api/v1/stores/{store_slug}"
RANK = {"staff": 1, "manager": 2, "owner": 3, "admin": 9}


def test_the_matrix_covers_every_catalog_route(app):
    catalog_sections = {path.split("/")[1] for _m, path, _w, _k in ROUTES}
    documented = {(m.upper(), p[len(PREFIX):]) for p, ops in app.openapi()["paths"].items()
                  if p.startswith(PREFIX + "/") and p[len(PREFIX):].split("/")[1] in catalog_sections
                  for m in ops}
    assert documented == {(m, p) for m, p, _w, _k in ROUTES}


@pytest.fixture(scope="module")
async def world(factory):
    store, other = await factory.store(), await factory.store()
    people = {role: await factory.staff(store, role) for role in ("staff", "manager", "owner")}
    people["admin"] = await factory.admin()
    people["other_owner"] = await factory.staff(other, "owner")
    async with factory.session(store) as session:
        customer = Customer(email=f"{unique('c')}@example.com")
        session.add(customer)
        await session.flush()
        people["customer"] = type("A", (), {"headers": {"Authorization": f"Bearer {await start_session(session, customer=customer)}"}})()
    return store, people


@pytest.mark.parametrize("caller", ["anonymous", "customer", "staff", "manager", "owner", "admin", "other_owner"])
async def test_each_caller_gets_exactly_what_its_role_allows(client, factory, world, caller):
    store, people = world
    headers = people[caller].headers if caller != "anonymous" else {}
    wrong = []
    for method, path, who, kwargs in ROUTES:
        values = {"store_slug": store.slug}
        for param in ("product_id", "variant_id", "image_id", "category_id"):
            if "{" + param + "}" in path:
                values[param] = await OBJECT_MAKERS[param](factory, store)
        response = await client.request(method, (PREFIX + path).format(**values), headers=headers, **kwargs())
        if caller in ("anonymous", "customer"):
            expected = {401}
        elif caller == "other_owner":
            expected = {404}
        elif RANK[caller] >= RANK[who]:
            expected = {200, 201, 204}
        else:
            expected = {403}
        if response.status_code not in expected:
            wrong.append((method, path, response.status_code, response.text[:200]))
    assert not wrong, wrong
