"""Cart and checkout benchmark on PostgreSQL: add to cart, and place order, many shoppers buying the
same few popular variants at once.

    .venv/bin/python -m bench.checkout [--duration 10] [--connections 16,64] [--carts 3000]

Uses its own database (``pyc_bench_orders``) and port, so it runs beside :mod:`bench.run`. In store ``bench1`` it enables manual
payments, shipping methods and regional tax, picks 8 popular variants, then:

* **bare** — the in-run limit: ``bench/app.py``'s bare endpoint on the same server, so that
  figures from runs on a busier or quieter machine can be compared by their ratio to it;
* **bare add** — add to cart's own limit: ``bench/app.py``'s one-statement upsert of a cart
  line on the same server, driven exactly like the next scenario (its own 1,000 carts), measured
  just before and just after add to cart, which is compared with the mean of the two;
* **add to cart** — wrk POSTs ``/carts/current/lines`` (1 unit of a popular variant) round-robin
  over pre-created carts;
* **place order** — carts are prepared over HTTP (line + email, address, shipping and payment in
  one PATCH), then wrk POSTs ``/checkout/place`` once per cart with its own ``Idempotency-Key``.
  One popular variant has too little stock on purpose, so some placements must be refused.
  Orders per second are counted in the database, not from wrk's request rate.

The end-of-run check: no variant below zero, stock taken == units in the ledger == units on order
lines, at most one order per cart, and replaying placements (5 concurrent per key) adds no order.
The report ends with the verdicts on the checkout targets (:mod:`bench.targets`).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import signal
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import httpx
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from bench.targets import against_flanking_limits, against_own_limit, checkout_targets
from bench.workers import run_wrk, server_command, server_name
from kernel import migrate
from kernel.catalog.models import Product, ProductStatus, ProductVariant
from kernel.db import create_engine_for, make_sessionmaker, store_session, sync_url
from kernel.inventory.models import StockMovement
from kernel.inventory.service import adjust_stock
from kernel.orders.models import Order, OrderLine
from kernel.plugins import enable_plugin
from kernel.stores.models import Store

ROOT = Path(__file__).resolve().parent.parent
ADMIN_URL = os.environ.get("BENCH_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
APP_ROLE = "pyc_bench_app"
# Own port and database: the catalog benchmark (bench/run.py) can run at the same time.
APP_PORT = 18100
BASE = f"http://127.0.0.1:{APP_PORT}/api/v1/stores/bench1"
BARE_ADD = "/bench/stores/bench1/bare-add"  # add to cart's own limit (bench/app.py)
ADDRESS = {"name": "Bench Shopper", "line1": "1 Load St", "city": "Austin", "region": "TX", "postcode": "73301",
           "country": "US"}
TAX = {"rates": [{"country": "US", "region": "TX", "rate_bp": 625, "name": "TX sales tax"}]}
LUA = """
tokens = {%(tokens)s}
variants = {%(variants)s}
local counter = 0
function setup(thread) thread:set("tid", counter); counter = counter + 1 end
function init(args) i = tid; n = tid end
function request()
  local t = tokens[(i %% #tokens) + 1]
  i = i + 2
  if "%(mode)s" == "add" then
    n = n + 1
    return wrk.format("POST", "%(path)s", {["X-Cart-Token"] = t, ["Content-Type"] = "application/json"},
                      '{"variant_id":' .. variants[(n %% #variants) + 1] .. ',"quantity":1}')
  end
  return wrk.format("POST", "%(path)s", {["X-Cart-Token"] = t, ["Idempotency-Key"] = "bench-" .. t,
                    ["Content-Type"] = "application/json"}, "{}")
end
"""


def prepare_database(name: str) -> tuple[str, str]:
    """Create the benchmark database afresh and migrate it; the app connects as a role owning nothing.

    Afresh on every run: orders, ledger rows and outbox events of earlier runs would otherwise pile
    up, and autovacuum working through them during a later run's measurement moves its figures."""
    admin = make_url(sync_url(ADMIN_URL))
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as c:
        if not c.execute(text("select 1 from pg_roles where rolname = :r"), {"r": APP_ROLE}).first():
            c.execute(text(f"CREATE ROLE {APP_ROLE} LOGIN NOSUPERUSER NOBYPASSRLS"))
        c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        c.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    owner_url = admin.set(database=name).render_as_string(hide_password=False)
    # A plain postgresql:// URL: the app picks its own driver, as in production.
    app_url = admin.set(drivername="postgresql", database=name, username=APP_ROLE, password=None).render_as_string(hide_password=False)
    migrate.upgrade(owner_url)
    migrate.grant_app_role(owner_url, APP_ROLE)
    return owner_url, app_url


async def prepare_store(owner_url: str, scarce_stock: int) -> tuple[int, list[int], dict[int, int]]:
    """Store bench1 with 8 popular variants and the three built-in plugins; stock set through the ledger."""
    from kernel.stores.schemas import StoreCreate
    from kernel.stores.service import create_store

    engine = create_engine_for(owner_url)
    factory = make_sessionmaker(engine)
    async with store_session(factory, None) as session:
        store_id = (await session.execute(select(Store.id).where(Store.slug == "bench1"))).scalar_one_or_none()
        if store_id is None:
            store_id = (await create_store(session, StoreCreate(slug="bench1", name="Bench 1"))).id
    async with store_session(factory, store_id) as session:
        for plugin_id, settings in (("manual_payments", {}), ("shipping_methods", {}), ("regional_tax", TAX)):
            await enable_plugin(session, plugin_id, settings)
        popular = list((await session.execute(select(ProductVariant.id).order_by(ProductVariant.id).limit(8))).scalars())
        for i in range(len(popular), 8):
            product = Product(name=f"Popular {i}", slug=f"popular-{i}-{uuid.uuid4().hex[:6]}",
                              status=ProductStatus.active)
            product.variants.append(ProductVariant(sku=f"POP-{i}-{uuid.uuid4().hex[:6]}", price=1500 + 100 * i,
                                                   cost=600, weight_grams=400))
            session.add(product)
            await session.flush()
            popular.append(product.variants[0].id)
        stock = {}
        for index, variant_id in enumerate(popular):
            current = (await session.execute(select(ProductVariant.stock_on_hand)
                                             .where(ProductVariant.id == variant_id))).scalar_one()
            wanted = scarce_stock if index == 0 else 1_000_000
            if wanted != current:
                await adjust_stock(session, variant_id, wanted - current, reason="correction", note="bench")
            stock[variant_id] = wanted
    await engine.dispose()
    return store_id, popular, stock


def start_server(app_url: str) -> subprocess.Popen:
    env = {**os.environ, "PYCOMMERCE_DATABASE_URL": app_url, "PYCOMMERCE_ENV": "production",
           "PYCOMMERCE_SECRET_KEY": "bench-secret-key-not-for-production", "PYCOMMERCE_LOG_LEVEL": "WARNING",
           "PYCOMMERCE_RUN_WORKER_IN_PROCESS": "false",
           # 2 workers x 15 connections: the PostgreSQL server (max_connections 100) is shared.
           "PYCOMMERCE_DB_POOL_SIZE": os.environ.get("PYCOMMERCE_DB_POOL_SIZE", "15"),
           "PYCOMMERCE_DB_MAX_OVERFLOW": os.environ.get("PYCOMMERCE_DB_MAX_OVERFLOW", "0")}
    server = subprocess.Popen(server_command(APP_PORT), cwd=ROOT, env=env, start_new_session=True)
    for _ in range(150):
        try:
            if httpx.get(f"http://127.0.0.1:{APP_PORT}/healthz", timeout=1).status_code < 500:
                time.sleep(2)  # let the second worker finish starting too
                return server
        except httpx.HTTPError:
            time.sleep(0.2)
    stop_server(server)
    raise RuntimeError("the server did not start")


def stop_server(server: subprocess.Popen) -> None:
    try:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=20)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        os.killpg(server.pid, signal.SIGKILL)


async def make_carts(count: int, popular: list[int], *, prepared: bool, concurrency: int = 32) -> list[str]:
    tokens: list[str] = []
    failures: list[int | str] = []  # a status, or the name of a transport error
    limits = httpx.Limits(max_connections=concurrency)
    async with httpx.AsyncClient(base_url=BASE, limits=limits, timeout=60) as client:
        async def one(i: int) -> None:
            """One cart (prepared: with a line and a complete checkout); a cart that fails is left out."""
            try:
                r = await client.post("/carts", json={"lines": [{"variant_id": popular[i % len(popular)],
                                                                 "quantity": 1}]})
                if r.status_code != 201:
                    failures.append(r.status_code)
                    return
                token = r.json()["token"]
                if prepared:
                    h = {"X-Cart-Token": token}
                    r = await client.patch("/carts/current/checkout", headers=h, json={
                        "email": f"s{i}@bench.local", "shipping_address": ADDRESS, "billing_same_as_shipping": True,
                        "shipping_rate_id": "shipping_methods:standard",
                        "payment_method_id": "manual_payments:bank_transfer"})
                    if r.status_code != 200 or not r.json().get("ready"):
                        failures.append(r.status_code)
                        return
                tokens.append(token)
            except httpx.TransportError as exc:
                failures.append(type(exc).__name__)

        sem = asyncio.Semaphore(concurrency)

        async def guarded(i: int) -> None:
            async with sem:
                await one(i)

        await asyncio.gather(*(guarded(i) for i in range(count)))
    if failures:
        print(f"  {len(failures)} of {count} carts could not be prepared: {sorted(set(map(str, failures)))}")
    return tokens


def wrk(mode: str, path: str, tokens: list[str], variants: list[int], connections: int, duration: int) -> dict:
    script = LUA % {"tokens": ",".join(f'"{t}"' for t in tokens), "variants": ",".join(map(str, variants)),
                    "mode": mode, "path": path}
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(script)
    try:
        return run_wrk(["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency", "-s", f.name,
                        f"http://127.0.0.1:{APP_PORT}{path}"], APP_PORT, duration)
    finally:
        Path(f.name).unlink()


def wrk_bare(connections: int, duration: int) -> dict:
    """The in-run limit (bench/app.py's bare endpoint, 20 rows from one indexed query) on this server."""
    url = f"http://127.0.0.1:{APP_PORT}/bench/stores/bench1/bare"
    return run_wrk(["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency", url], APP_PORT, duration)


def settled_order_count(owner_url: str, store_id: int) -> int:
    """The order count once requests still in flight when wrk stopped have finished (it stops moving)."""
    last = count_orders(owner_url, store_id)
    while True:
        time.sleep(1)
        now = count_orders(owner_url, store_id)
        if now == last:
            return now
        last = now


def vacuum(owner_url: str) -> None:
    """Each measurement starts from a vacuumed, analysed database, as autovacuum leaves one between
    bursts. Without it one scenario's dead rows tax the next (the bare add's line updates leave
    enough to double add to cart's PostgreSQL CPU a request), and autovacuum may be off on a
    benchmark machine."""
    engine = create_engine(sync_url(owner_url), isolation_level="AUTOCOMMIT")
    with engine.connect() as c:
        c.execute(text("VACUUM ANALYZE"))
    engine.dispose()


def count_orders(owner_url: str, store_id: int) -> int:
    engine = create_engine(sync_url(owner_url))
    with engine.connect() as c:
        n = c.execute(select(func.count()).select_from(Order).where(Order.store_id == store_id)).scalar_one()
    engine.dispose()
    return n


def placed_sample(owner_url: str, tokens: list[str], size: int) -> list[str]:
    """Up to ``size`` of these cart tokens whose carts did become orders (replays must find an order)."""
    from kernel.carts.models import Cart
    from kernel.security import token_digest

    by_digest = {token_digest(t): t for t in tokens}
    engine = create_engine(sync_url(owner_url))
    with engine.connect() as c:
        digests = c.execute(select(Cart.token_digest).join(Order, Order.cart_id == Cart.id)
                            .where(Cart.token_digest.in_(list(by_digest)))).scalars().all()
    engine.dispose()
    return [by_digest[d] for d in digests][:size]


def end_check(owner_url: str, store_id: int, start_stock: dict[int, int], since) -> list[str]:
    engine = create_engine(sync_url(owner_url))
    problems, lines = [], []
    with engine.connect() as c:
        for variant_id, before in start_stock.items():
            now = c.execute(select(ProductVariant.stock_on_hand).where(ProductVariant.id == variant_id)).scalar_one()
            ledger = -c.execute(select(func.coalesce(func.sum(StockMovement.quantity), 0)).where(
                StockMovement.variant_id == variant_id, StockMovement.reason == "sold",
                StockMovement.created_at >= since)).scalar_one()
            ordered = c.execute(select(func.coalesce(func.sum(OrderLine.quantity), 0)).join(
                Order, Order.id == OrderLine.order_id).where(OrderLine.variant_id == variant_id,
                                                              Order.placed_at >= since)).scalar_one()
            lines.append(f"variant {variant_id}: stock {before} -> {now}, sold (ledger) {ledger}, on orders {ordered}")
            if now < 0 or before - now != ledger or ledger != ordered:
                problems.append(lines[-1])
        dupes = c.execute(text("select count(*) from (select cart_id from orders where store_id = :s "
                               "group by cart_id having count(*) > 1) d"), {"s": store_id}).scalar_one()
        if dupes:
            problems.append(f"{dupes} carts with more than one order")
    engine.dispose()
    return lines + (["OVERSELL/DUPLICATE: " + p for p in problems] if problems else
                    ["end-of-run check: zero oversell, zero duplicate orders"])


async def replay(tokens: list[str]) -> list[int]:
    """Replay each placement 5 times at once (same key); returns the HTTP statuses seen (0: no answer)."""
    limits = httpx.Limits(max_connections=32)
    async with httpx.AsyncClient(base_url=BASE, timeout=120, limits=limits) as client:
        async def one(token: str) -> int:
            try:
                r = await client.post("/carts/current/checkout/place", json={},
                                      headers={"X-Cart-Token": token, "Idempotency-Key": f"bench-{token}"})
                return r.status_code
            except httpx.HTTPError:
                return 0

        return list(await asyncio.gather(*(one(t) for t in tokens for _ in range(5))))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", default="16,64")
    parser.add_argument("--carts", type=int, default=3000, help="prepared carts per place-order run")
    parser.add_argument("--scarce", type=int, default=200, help="stock of the one scarce popular variant")
    parser.add_argument("--database", default="pyc_bench_orders")
    args = parser.parse_args()
    owner_url, app_url = prepare_database(args.database)
    since = dt.datetime.now(dt.timezone.utc)
    store_id, popular, stock = asyncio.run(prepare_store(owner_url, args.scarce))
    server = start_server(app_url)
    rows = []
    try:
        conns = [int(c) for c in args.connections.split(",")]
        for c in conns:
            vacuum(owner_url)
            wrk_bare(c, 3)  # warm-up
            rows.append(("bare (the limit)", c, wrk_bare(c, args.duration), None))
            print(rows[-1], os.getloadavg(), flush=True)
        # Add to cart between two measurements of its limit, compared with their mean: the machine
        # drifts by a fifth within minutes, and this moves both sides of the ratio alike.
        bare_tokens = asyncio.run(make_carts(1000, popular, prepared=False))
        cart_tokens = asyncio.run(make_carts(1000, popular, prepared=False))
        for c in conns:
            for name, path, tokens in (("bare add (its limit)", BARE_ADD, bare_tokens),
                                       ("add to cart", "/api/v1/stores/bench1/carts/current/lines", cart_tokens),
                                       ("bare add (its limit)", BARE_ADD, bare_tokens)):
                vacuum(owner_url)
                wrk("add", path, tokens, popular, c, 3)  # warm-up
                rows.append((name, c, wrk("add", path, tokens, popular, c, args.duration), None))
                print(rows[-1], os.getloadavg(), flush=True)
        placed_tokens = []
        for c in conns:
            tokens = asyncio.run(make_carts(args.carts, popular, prepared=True))
            before = settled_order_count(owner_url, store_id)
            vacuum(owner_url)
            t0 = time.monotonic()
            r = wrk("place", "/api/v1/stores/bench1/carts/current/checkout/place", tokens, popular, c, args.duration)
            elapsed = time.monotonic() - t0
            placed = count_orders(owner_url, store_id) - before
            rows.append(("place order", c, r, placed / elapsed))
            print(rows[-1], f"{placed} orders in {elapsed:.1f} s", os.getloadavg(), flush=True)
            placed_tokens += placed_sample(owner_url, tokens, 50)
        orders_before = settled_order_count(owner_url, store_id)
        statuses = asyncio.run(replay(placed_tokens))
        print(f"replays: {len(statuses)} concurrent replays, statuses {sorted(set(statuses))}, "
              f"new orders {count_orders(owner_url, store_id) - orders_before}")
        for line in end_check(owner_url, store_id, stock, since):
            print(line)
    finally:
        stop_server(server)
    load = os.getloadavg()
    print(f"\nserver: {server_name()}; load average at the end {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} "
          f"on {os.cpu_count()} cores")
    print_report(rows)


def print_report(rows: list[tuple[str, int, dict, float | None]]) -> None:
    """The run's table, add to cart against its limit, and the verdicts on the checkout targets."""
    print("\n| scenario | connections | conns a worker | req/s | p50 ms | p99 ms | non-2xx | orders/s "
          "| CPU ms a request: app + PostgreSQL |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name, c, r, per_s in rows:
        print(f"| {name} | {c} | {r['split']} | {r['rps']:.0f} | {r['p50']:.1f} | {r['p99']:.1f} | "
              f"{r['non2xx']} | {'' if per_s is None else f'{per_s:.0f}'} | {r['app_cpu_ms']:.2f} + {r['pg_cpu_ms']:.2f} |")
    adds = [row[:3] for row in rows if "add" in row[0]]  # bare add, add to cart, bare add, … in order
    compared = against_flanking_limits(adds, lambda name: name == "bare add (its limit)")
    for scenario in compared:
        print(against_own_limit(scenario, "bare add"))
    print("", *checkout_targets(compared, [(c, per_s) for name, c, _, per_s in rows if name == "place order"]),
          sep="\n")


if __name__ == "__main__":
    main()
