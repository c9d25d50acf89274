"""CPU per request, in-process: the ASGI app called directly, no HTTP server, no load generator.

Wall-clock benchmarks on a shared 2-core machine move 10-20 % from run to run; this one
measures what a code change does to the Python side of one request (process CPU time,
median of ``--repeat`` rounds, scenarios interleaved), so changes can be compared one by
one before the load runs in ``run.py`` and ``checkout.py`` confirm them. It needs the
databases those two seed (PostgreSQL's own CPU is not counted here).

    python -m bench.inprocess [--requests 200] [--repeat 5] [--profile NAME] [scenario ...]

``--profile NAME`` then prints where scenario NAME's requests spend their time (a pyinstrument
call tree of ``--requests`` more of them; ``pip install pyinstrument``). It found the
product list's query parameters handed to a worker thread on every request.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import time
from pathlib import Path

from asgi_lifespan import LifespanManager
from sqlalchemy import text

from bench.cpu import postgres_cpu
from kernel.config import Settings

RESULTS = Path(__file__).resolve().parent / "results"
# The databases bench/seed.py and bench/checkout.py made (BENCH_DB, BENCH_ORDERS_DB to measure others).
CATALOG_DB = os.environ.get("BENCH_DB", "pyc_bench")
ORDERS_DB = os.environ.get("BENCH_ORDERS_DB", "pyc_bench_orders")
CATALOG_URL = f"postgresql://pyc_bench_app@127.0.0.1:5432/{CATALOG_DB}"  # the app picks its driver: asyncpg
ORDERS_URL = f"postgresql://pyc_bench_app@127.0.0.1:5432/{ORDERS_DB}"


class Caller:
    """Calls an ASGI app directly and returns (status, body)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, method: str, path: str, headers: dict[str, str] | None = None,
                       body: object = None) -> tuple[int, bytes]:
        raw = b"" if body is None else json.dumps(body).encode()
        path, _, query = path.partition("?")
        hdrs = [(b"host", b"127.0.0.1"), *((k.lower().encode(), v.encode()) for k, v in (headers or {}).items())]
        if body is not None:
            hdrs += [(b"content-type", b"application/json"), (b"content-length", str(len(raw)).encode())]
        scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method,
                 "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": query.encode(),
                 "headers": hdrs, "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 8000), "root_path": ""}
        sent = False
        status, chunks = 0, []

        async def receive():
            nonlocal sent
            if sent:
                await asyncio.sleep(3600)
            sent = True
            return {"type": "http.request", "body": raw, "more_body": False}

        async def send(message):
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.app(scope, receive, send)
        return status, b"".join(chunks)


async def _batch(call, n: int, concurrency: int = 4) -> None:
    queue = list(range(n))

    async def lane():
        while queue:
            queue.pop()
            await call()
    await asyncio.gather(*(lane() for _ in range(concurrency)))


async def measure(calls: dict, requests: int, repeat: int, profile: str | None = None) -> None:
    """CPU and wall time per request, scenarios interleaved round by round (4 requests in flight).

    Interleaving matters on a shared machine: a slow minute slows every scenario of that
    round alike, so the ratios to ``bare`` hold even when the absolute figures drift.
    Prints the median of ``repeat`` rounds.
    """
    for call in calls.values():  # warm caches (statement cache, prepared statements, plugin relay)
        await _batch(call, min(100, requests))
    cpu: dict[str, list[float]] = {name: [] for name in calls}
    wall: dict[str, list[float]] = {name: [] for name in calls}
    database: dict[str, list[float]] = {name: [] for name in calls}
    for _ in range(repeat):
        for name, call in calls.items():
            c0, w0, d0 = time.process_time(), time.perf_counter(), postgres_cpu()
            await _batch(call, requests)
            cpu[name].append((time.process_time() - c0) / requests * 1000)
            wall[name].append((time.perf_counter() - w0) / requests * 1000)
            database[name].append((postgres_cpu() - d0) / requests * 1000)
    base = statistics.median(cpu["bare"]) if "bare" in cpu else None
    base_total = base + statistics.median(database["bare"]) if base else None
    for name in calls:
        mid, db = statistics.median(cpu[name]), statistics.median(database[name])
        ratio = f"  {mid / base:4.2f}× bare, with PostgreSQL's {(mid + db) / base_total:4.2f}×" if base else ""
        print(f"{name:14s} {mid:6.2f} ms CPU/request  + PostgreSQL {db:5.2f} ms  "
              f"{statistics.median(wall[name]):6.2f} ms wall/request{ratio}", flush=True)
    if profile in calls:
        await _profile(profile, calls[profile], requests)


async def _profile(name: str, call, requests: int) -> None:
    from pyinstrument import Profiler

    profiler = Profiler(interval=0.0005, async_mode="disabled")  # every coroutine of the batch, as the loop runs them
    profiler.start()
    await _batch(call, requests)
    profiler.stop()
    print(f"\nwhere {requests} {name} requests spend their time:")
    print(profiler.output_text(unicode=True, color=False, show_all=bool(os.environ.get("BENCH_PROFILE_ALL"))))


def _settings(url: str) -> Settings:
    # Work across stores (and the bench's own fixture reads) as the server's superuser, the owner.
    platform = url.replace("pyc_bench_app@", "postgres@")
    return Settings(env="production", database_url=url, platform_database_url=platform,
                    secret_key="bench-secret-key-not-for-production",
                    log_level="WARNING", run_worker_in_process=False, db_pool_size=8, db_max_overflow=0)


async def catalog(scenarios: set[str], requests: int, repeat: int, profile: str | None) -> None:
    from bench.app import create_bench_app
    import kernel.config

    targets = json.loads((RESULTS / "targets.json").read_text())
    store = targets["stores"][0]
    auth = {"Authorization": f"Bearer {store['token']}"}
    base = f"/api/v1/stores/{store['slug']}"
    kernel.config.get_settings.cache_clear()
    app = create_bench_app(_settings(CATALOG_URL))
    async with LifespanManager(app):
        call = Caller(app)
        ids = iter(store["product_ids"] * 1000)
        words = iter(store["words"] * 10000)
        paths = {"bare": lambda: f"/bench/stores/{store['slug']}/bare",
                 "list": lambda: f"{base}/products?limit=20",
                 "detail": lambda: f"{base}/products/{next(ids)}",
                 "search": lambda: f"{base}/search?limit=20&q={next(words).replace(' ', '+')}",
                 "bare-search": lambda: f"/bench/stores/{store['slug']}/bare-search?q={next(words).replace(' ', '+')}"}
        calls = {}
        for name, path in paths.items():
            if name not in scenarios and name != "bare":
                continue
            status, body = await call("GET", path(), auth)
            assert status == 200, (name, status, body[:300])

            async def one(path=path):
                await call("GET", path(), auth)
            calls[name] = one
        await measure(calls, requests, repeat, profile)


async def checkout(scenarios: set[str], requests: int, repeat: int, profile: str | None) -> None:
    from bench.app import create_bench_app
    from bench.checkout import ADDRESS

    app = create_bench_app(_settings(ORDERS_URL))
    base = "/api/v1/stores/bench1"
    async with LifespanManager(app):
        call = Caller(app)
        # The popular variants bench/checkout.py made, read across stores as the platform.
        async with app.state.platform_engine.connect() as connection:
            variants = (await connection.execute(text(
                "select v.id from product_variants v join products p on p.id = v.product_id "
                "join stores s on s.id = p.store_id where s.slug = 'bench1' and p.name like 'Popular %' "
                "order by v.id limit 8"))).scalars().all()
            await connection.rollback()

        async def new_cart(prepared: bool, line_variants=variants[1:2]) -> str:
            lines = [{"variant_id": v, "quantity": 1} for v in line_variants]
            status, body = await call("POST", f"{base}/carts", body={"lines": lines})
            assert status == 201, body[:300]
            token = json.loads(body)["token"]
            if prepared:
                status, body = await call("PATCH", f"{base}/carts/current/checkout", {"X-Cart-Token": token}, {
                    "email": "shopper@bench.local", "shipping_address": ADDRESS, "billing_same_as_shipping": True,
                    "shipping_rate_id": "shipping_methods:standard",
                    "payment_method_id": "manual_payments:bank_transfer"})
                assert status == 200, body[:300]
            return token

        async def bare():
            await call("GET", "/bench/stores/bench1/bare")
        calls = {"bare": bare}
        if "add" in scenarios:
            # A line of each popular variant, as the load run's carts soon hold (bench/checkout.py),
            # but the first: it is the scarce one, which a load run may have sold out.
            carts = [await new_cart(False, variants[1:]) for _ in range(50)]
            pick = iter(carts * 100000)

            async def bare_add():
                status, _ = await call("POST", "/bench/stores/bench1/bare-add", {"X-Cart-Token": next(pick)},
                                       {"variant_id": variants[2], "quantity": 1})
                assert status == 200, status
            calls["bare add"] = bare_add

            async def add():
                status, _ = await call("POST", f"{base}/carts/current/lines", {"X-Cart-Token": next(pick)},
                                       {"variant_id": variants[2], "quantity": 1})
                assert status in (200, 201), status
            calls["add to cart"] = add
        if "place" in scenarios:
            # every placement needs a fresh cart: the warm-up's, the rounds', and a profile's
            n = min(100, requests) + requests * repeat + (requests if profile else 0)
            tokens = iter([await new_cart(True) for _ in range(n)])

            async def place():
                token = next(tokens)
                status, body = await call("POST", f"{base}/carts/current/checkout/place",
                                          {"X-Cart-Token": token, "Idempotency-Key": f"inproc-{token}"}, {})
                assert status == 201, (status, body[:300])
            calls["place order"] = place
        await measure(calls, requests, repeat, profile)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("scenarios", nargs="*", default=["bare", "list", "detail", "search", "add", "place"])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--profile", metavar="NAME", help="a scenario's name as printed, e.g. list or 'add to cart'")
    args = parser.parse_args()
    chosen = set(args.scenarios)
    if chosen & {"bare", "list", "detail", "search", "bare-search"}:
        asyncio.run(catalog(chosen, args.requests, args.repeat, args.profile))
    if chosen & {"add", "place"}:
        asyncio.run(checkout(chosen, args.requests, args.repeat, args.profile))


if __name__ == "__main__":
    main()
