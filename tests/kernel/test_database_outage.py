"""A database outage is answered 503 with ``Retry-After``, changes nothing, logs one warning line
per request (no traceback), and the running app recovers by itself once the database is back.

A real server (a subprocess on 127.0.0.1) runs on a PostgreSQL cluster of this test's own, which
the test stops and starts under it; the machine's shared server is never touched.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import httpx
import pytest
from sqlalchemy import select

from kernel.catalog.models import ProductVariant
from kernel.db import create_engine_for, make_sessionmaker
from tests.support import databases
from tests.support.domains import free_port
from tests.support.factory import Factory
from tests.support.makers_catalog import make_product
from tests.support.pg_cluster import ThrowawayCluster


@pytest.fixture
def cluster(monkeypatch):
    cluster = ThrowawayCluster()
    try:
        cluster.start()
        monkeypatch.setenv("PYCOMMERCE_TEST_DATABASE_URL", cluster.admin_url)
        yield cluster
    finally:
        cluster.destroy()


def _start_server(database_url: str, var_dir, log_path):
    port = free_port()
    env = {**os.environ, "PYCOMMERCE_DATABASE_URL": database_url, "PYCOMMERCE_ENV": "test",
           "PYCOMMERCE_SECRET_KEY": "outage-test-secret-key", "PYCOMMERCE_VAR_DIR": str(var_dir),
           "PYCOMMERCE_LOG_LEVEL": "WARNING", "PYCOMMERCE_RUN_WORKER_IN_PROCESS": "false"}
    log = open(log_path, "wb")
    process = subprocess.Popen([sys.executable, "-m", "tests.support.plugin_server", str(port)], env=env,
                               stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60  # start-up wait, not an assertion about speed
    while True:
        assert process.poll() is None, log_path.read_text()
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return process, base
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.1)


async def test_an_outage_is_a_503_that_changes_nothing_and_the_app_recovers(cluster, tmp_path):
    db = databases.create_postgres()  # on the throwaway cluster (the fixture pointed the suite at it)
    engine = create_engine_for(db.url)
    factory = Factory(make_sessionmaker(engine))
    store = await factory.store(name="Outage Shop")
    owner = await factory.staff(store, "owner")
    product = await make_product(factory, store, name="Lamp", status="active")
    async with factory.session(store) as session:
        variant_id = (await session.execute(
            select(ProductVariant.id).where(ProductVariant.product_id == product.id))).scalar_one()
    await engine.dispose()
    log_path = tmp_path / "server.log"
    process, base = _start_server(db.url, tmp_path, log_path)
    api, shop = f"{base}/api/v1/stores/{store.slug}", f"{base}/api/v1/storefront/{store.slug}"
    try:
        async with httpx.AsyncClient(timeout=20) as client:
            def requests():
                return [client.get(f"{shop}/products"),
                        client.post(f"{api}/carts", json={"lines": [{"variant_id": variant_id, "quantity": 1}]}),
                        client.post(f"{api}/products", headers=owner.headers, json={
                            "name": "Ghost", "variants": [{"sku": "GHOST-1", "price": 100}]})]

            assert (await client.get(f"{shop}/products")).status_code == 200

            cluster.stop()
            stopped = time.monotonic()
            answers = [await each for each in requests()] + [await each for each in requests()]
            for answer in answers:
                assert answer.status_code == 503, answer.text
                assert answer.headers["retry-after"].isdigit()
                assert answer.headers["content-type"].startswith("application/problem+json")
                assert answer.json()["request_id"] == answer.headers["x-request-id"]

            answered = time.monotonic()
            cluster.start()
            listing = await client.get(f"{api}/products", headers=owner.headers)
            assert listing.status_code == 200, listing.text
            assert [p["name"] for p in listing.json()["items"]] == ["Lamp"]  # the refused writes left nothing
            assert (await client.get(f"{shop}/products")).status_code == 200
            cart = await client.post(f"{api}/carts", json={"lines": [{"variant_id": variant_id, "quantity": 1}]})
            assert cart.status_code == 201, cart.text
    finally:
        process.terminate()
        process.wait(timeout=10)
        databases.drop_postgres(db)
    lines = [json.loads(line) for line in log_path.read_text().splitlines() if line.startswith("{")]
    outage_lines = [line for line in lines if line["msg"].startswith("database unreachable")]
    assert sorted(line["request_id"] for line in outage_lines) == sorted(a.headers["x-request-id"] for a in answers)
    assert all(line["level"] == "warning" for line in outage_lines)
    assert "Traceback" not in log_path.read_text()
    assert answered - stopped < 10  # six answers at once, not after waiting out timeouts
