"""Run the load benchmark: the limit and PyCommerce's endpoints, in one run, on PostgreSQL.

    .venv/bin/python -m bench.run [--duration 10] [--connections 16,64] [--skip-seed]

Creates (or reuses) the database ``pyc_bench`` on the local server, migrates it as
the owner, seeds 2 stores × 10,000 products × 3 variants, starts the limit app and
``pycommerce serve`` (2 uvicorn workers each, the app connecting as a role that owns
nothing, so row-level security is on), then drives each scenario with wrk from
127.0.0.1 and prints a Markdown table. Every request loop is bounded by wrk's
duration; servers are stopped at the end.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bench.scenarios import SCENARIOS, Scenario
from bench.seed import PASSWORD, seed
from kernel import migrate
from kernel.db import sync_url

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
ADMIN_URL = os.environ.get("BENCH_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
DB, APP_ROLE = "pyc_bench", "pyc_bench_app"
APP_PORT, LIMIT_PORT = 18000, 18001


def prepare_database(reseed: bool) -> tuple[str, str]:
    admin = make_url(sync_url(ADMIN_URL))
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as c:
        if not c.execute(text("select 1 from pg_roles where rolname = :r"), {"r": APP_ROLE}).first():
            c.execute(text(f"CREATE ROLE {APP_ROLE} LOGIN NOSUPERUSER NOBYPASSRLS"))
        exists = c.execute(text("select 1 from pg_database where datname = :d"), {"d": DB}).first()
        if exists and reseed:
            c.execute(text(f"DROP DATABASE {DB} WITH (FORCE)"))
            exists = None
        if not exists:
            c.execute(text(f"CREATE DATABASE {DB}"))
    engine.dispose()
    owner_url = admin.set(database=DB).render_as_string(hide_password=False)
    app_url = admin.set(database=DB, username=APP_ROLE, password=None).render_as_string(hide_password=False)
    migrate.upgrade(owner_url)
    migrate.grant_app_role(owner_url, APP_ROLE)
    seed(owner_url)
    engine = create_engine(sync_url(owner_url))
    with engine.begin() as c:
        c.execute(text("ANALYZE"))
    engine.dispose()
    return owner_url, app_url


def start(cmd: list[str], env: dict[str, str], port: int) -> subprocess.Popen:
    proc = subprocess.Popen(cmd, env={**os.environ, **env}, cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz" if port == APP_PORT
                                   else f"http://127.0.0.1:{port}/limit", timeout=1)
            return proc
        except Exception:
            time.sleep(0.2)
    stop(proc)
    raise RuntimeError(f"server on port {port} did not start: {' '.join(cmd)}")


def stop(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=15)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        os.killpg(proc.pid, signal.SIGKILL)


def login() -> str:
    body = json.dumps({"email": "owner@bench.local", "password": PASSWORD}).encode()
    request = urllib.request.Request(f"http://127.0.0.1:{APP_PORT}/api/v1/auth/login", data=body,
                                     headers={"content-type": "application/json"})
    return json.load(urllib.request.urlopen(request, timeout=10))["access_token"]


def parse_wrk(output: str) -> dict[str, float]:
    def ms(value: str) -> float:
        number, unit = re.match(r"([\d.]+)(\w+)", value).groups()
        return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]

    result = {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))}
    for pct in ("50", "99"):
        match = re.search(rf"^\s+{pct}(?:\.000)?%\s+(\S+)", output, re.M)
        result[f"p{pct}"] = ms(match.group(1)) if match else float("nan")
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    result["non2xx"] = int(errors.group(1)) if errors else 0
    return result


def run_wrk(scenario: Scenario, connections: int, duration: int, token: str) -> dict[str, float]:
    port = LIMIT_PORT if scenario.limit else APP_PORT
    cmd = ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency", "-H", f"Authorization: Bearer {token}"]
    if scenario.lua:
        cmd += ["-s", str(Path(__file__).parent / scenario.lua)]
    cmd.append(f"http://127.0.0.1:{port}{scenario.path}")
    warm = cmd.copy()
    warm[3] = "-d3s"
    subprocess.run(warm, capture_output=True, text=True, timeout=60)
    output = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + 60).stdout
    return parse_wrk(output)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", default="16,64")
    parser.add_argument("--reseed", action="store_true")
    parser.add_argument("--only", default="", help="comma-separated scenario names")
    args = parser.parse_args()
    owner_url, app_url = prepare_database(args.reseed)
    env = {"PYCOMMERCE_DATABASE_URL": app_url, "PYCOMMERCE_MIGRATION_DATABASE_URL": owner_url,
           "PYCOMMERCE_RUN_WORKER_IN_PROCESS": "false", "PYCOMMERCE_LOG_LEVEL": "WARNING",
           "PYCOMMERCE_SECRET_KEY": "bench-secret", "PYCOMMERCE_DB_POOL_SIZE": "20",
           "PYCOMMERCE_DB_MAX_OVERFLOW": "0", "BENCH_LIMIT_DATABASE_URL": owner_url}
    limit = start([str(BIN / "uvicorn"), "bench.limit_app:app", "--workers", "2", "--port", str(LIMIT_PORT),
                   "--no-access-log", "--log-level", "warning"], env, LIMIT_PORT)
    app = start([str(BIN / "pycommerce"), "serve", "--workers", "2", "--port", str(APP_PORT)], env, APP_PORT)
    rows = []
    try:
        token = login()
        selected = [s for s in SCENARIOS if not args.only or s.name in args.only.split(",")]
        for scenario in selected:
            for connections in (int(c) for c in args.connections.split(",")):
                r = run_wrk(scenario, connections, args.duration, token)
                rows.append((scenario.name, connections, r))
                print(f"{scenario.name:<28} c={connections:<4} {r['rps']:>9.0f} req/s  p50 {r['p50']:7.1f} ms"
                      f"  p99 {r['p99']:7.1f} ms  non-2xx {r['non2xx']}", flush=True)
        for scenario in selected:
            if scenario.check:
                print(scenario.check(owner_url))
    finally:
        stop(app)
        stop(limit)
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    print(f"\n### {stamp}, {os.cpu_count()} cores, {args.duration} s per row\n")
    print("| scenario | connections | req/s | p50 ms | p99 ms | non-2xx |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, connections, r in rows:
        print(f"| {name} | {connections} | {r['rps']:.0f} | {r['p50']:.1f} | {r['p99']:.1f} | {r['non2xx']} |")


if __name__ == "__main__":
    main()
