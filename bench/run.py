"""Run the load benchmark: (a) bare limit, (b) product list, (c) detail, (d) search, at 16 and 64 connections.

Usage: python bench/seed.py && python bench/run.py
Starts the app with two workers (kernel.serving, as ``pycommerce serve --workers 2``; uvloop,
httptools, no access log; :mod:`bench.workers`) on 127.0.0.1:8765 against the seeded database,
then per connection count runs wrk (2 threads, a 3 s warm-up and a 10 s measurement) on the bare
limit and each scenario in turn, the limit before and after every scenario, and search between two
measurements of its own limit too (the bare search, ``bench/app.py``): bare, list, bare, detail,
bare, bare search, search, bare search, bare. Each scenario is compared with the mean of the two
limit measurements around it, so a machine that speeds up or slows down during the run (this one
drifts by a fifth within minutes) moves both sides of the ratio alike. Writes a Markdown table to
bench/results/<UTC timestamp>.md (and prints it), with the verdicts on the catalog targets
(:mod:`bench.targets`) and, for each run, how its connections spread over the two workers
(:mod:`bench.workers`).
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
if __package__ in (None, ""):  # run as ``python bench/run.py``: make ``bench`` importable as a package
    sys.path.insert(0, str(ROOT))
from bench.targets import against_flanking_limits, against_own_limit, catalog_targets  # noqa: E402
from bench.workers import run_wrk, server_command, server_name  # noqa: E402

RESULTS = ROOT / "bench" / "results"
HOST, PORT = "127.0.0.1", 8765
DURATION, WARMUP = os.environ.get("BENCH_DURATION", "10s"), os.environ.get("BENCH_WARMUP", "3s")
CONNECTIONS = [16, 64]
BARE_SEARCH = "bare search (its limit)"
OWN_LIMITS = {"search": BARE_SEARCH}  # scenarios measured between two runs of a limit of their own too


def lua(entries: list[tuple[str, str]]) -> str:
    """A wrk script cycling randomly through (path, token) pairs."""
    items = ",\n".join(f'{{"{p}", "{t}"}}' for p, t in entries)
    return f"""local entries = {{
{items}
}}
math.randomseed(os.time())
request = function()
  local e = entries[math.random(#entries)]
  return wrk.format("GET", e[1], {{["Authorization"] = "Bearer " .. e[2]}})
end
"""


def scenarios(targets: dict) -> dict[str, list[tuple[str, str]]]:
    out: dict[str, list[tuple[str, str]]] = {"bare": [], "list": [], "detail": [], "search": [], BARE_SEARCH: []}
    for s in targets["stores"]:
        base, token = f"/api/v1/stores/{s['slug']}", s["token"]
        out["bare"].append((f"/bench/stores/{s['slug']}/bare", token))
        out["list"].append((f"{base}/products?limit=20", token))
        out["list"].append((f"{base}/products?limit=20&sort=price", token))
        out["detail"] += [(f"{base}/products/{pid}", token) for pid in s["product_ids"]]
        out["search"] += [(f"{base}/search?limit=20&q={w.replace(' ', '+')}", token) for w in s["words"]]
        out[BARE_SEARCH] += [(f"/bench/stores/{s['slug']}/bare-search?q={w.replace(' ', '+')}", token)
                             for w in s["words"]]
    return out


def wrk(script: Path, connections: int, duration: str) -> dict:
    return run_wrk(["wrk", "-t2", f"-c{connections}", f"-d{duration}", "--latency", "-s", str(script),
                    f"http://{HOST}:{PORT}"], PORT, seconds(duration))


def seconds(duration: str) -> float:
    """wrk's duration ("10s", "1m") in seconds."""
    number, unit = re.fullmatch(r"([\d.]+)([smh]?)", duration).groups()
    return float(number) * {"": 1, "s": 1, "m": 60, "h": 3600}[unit]


def main() -> None:
    targets = json.loads((RESULTS / "targets.json").read_text())
    env = {**os.environ, "PYCOMMERCE_DATABASE_URL": targets["app_url"], "PYCOMMERCE_ENV": "production",
           "PYCOMMERCE_SECRET_KEY": "bench-secret-key-not-for-production", "PYCOMMERCE_LOG_LEVEL": "WARNING",
           "PYCOMMERCE_DB_POOL_SIZE": os.environ.get("PYCOMMERCE_DB_POOL_SIZE", "30"),
           "PYCOMMERCE_DB_MAX_OVERFLOW": os.environ.get("PYCOMMERCE_DB_MAX_OVERFLOW", "0")}
    server = subprocess.Popen(server_command(PORT), cwd=ROOT, env=env, start_new_session=True)
    try:
        for _ in range(100):
            try:
                if httpx.get(f"http://{HOST}:{PORT}/healthz", timeout=1).status_code < 500:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        rows = []
        with tempfile.TemporaryDirectory() as tmp:
            scripts = {}
            for name, entries in scenarios(targets).items():
                scripts[name] = Path(tmp) / f"{name}.lua"
                scripts[name].write_text(lua(entries))
                check = httpx.get(f"http://{HOST}:{PORT}{entries[0][0]}",
                                  headers={"Authorization": f"Bearer {entries[0][1]}"})
                assert check.status_code == 200, (name, check.status_code, check.text[:300])
            for connections in CONNECTIONS:
                for name in flanked([n for n in scripts if n != "bare" and n not in OWN_LIMITS.values()]):
                    wrk(scripts[name], connections, WARMUP)
                    result = wrk(scripts[name], connections, DURATION)
                    rows.append((name, connections, result))
                    print(name, connections, result, os.getloadavg(), flush=True)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=20)
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    load = os.getloadavg()
    lines = [f"Run {stamp}: wrk -t2, {WARMUP} warm-up + {DURATION}, {server_name()}, 2 stores × 10,000 "
             "products × 3 variants, the limit measured before and after each scenario; load average at the end "
             f"{load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} on {os.cpu_count()} cores", "",
             *flanked_table(rows)]
    report = "\n".join(lines) + "\n"
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{stamp.replace(' ', '_').replace(':', '')}.md").write_text(report)
    print(report)


def flanked(names: list[str], limit: str = "bare") -> list[str]:
    """The order of measurement: the limit, then each scenario followed by the limit again; a
    scenario with a limit of its own (:data:`OWN_LIMITS`) between two runs of that one first."""
    order = [limit]
    for name in names:
        own = OWN_LIMITS.get(name)
        order += [own, name, own, limit] if own else [name, limit]
    return order


def flanked_table(rows: list[tuple[str, int, dict]], limit: str = "bare") -> list[str]:
    """A Markdown table: each scenario with the mean of the limit measured just before and just
    after it (same connection count): its share of the limit's req/s, its p99 over the limit's, and
    its CPU a request (:mod:`bench.cpu`) over the limit's. Each limit measurement has a row of its
    own; search against its own limit, and the verdicts on the catalog targets follow."""
    compared = against_flanking_limits(rows, lambda name: name == limit)
    scenarios = iter(compared)
    lines = ["| scenario | conns | conns a worker | req/s | % of limit | p50 ms | p99 ms | limit's req/s | limit's p99 ms "
             "| p99 ÷ limit's | CPU ms a request: app + PostgreSQL | CPU ÷ limit's |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for name, c, r in rows:
        cpu = f"{r['app_cpu_ms']:.2f} + {r['pg_cpu_ms']:.2f}"
        if name == limit:
            lines.append(f"| {name} | {c} | {r['split']} | {r['rps']:,.0f} | | {r['p50']:.1f} | {r['p99']:.1f} | | | "
                         f"| {cpu} | |")
            continue
        scenario = next(scenarios)
        lines.append(f"| {name} | {c} | {r['split']} | {r['rps']:,.0f} | {100 * scenario.share:.0f} % | {r['p50']:.1f} | "
                     f"{r['p99']:.1f} | {scenario.limit_rps:,.0f} | {scenario.limit_p99:.1f} | {scenario.p99_ratio:.2f} "
                     f"| {cpu} | {scenario.cpu_ratio:.2f} |")
    if any(r["non2xx"] for _, _, r in rows):
        lines.append(f"\nnon-2xx answers: {sum(r['non2xx'] for _, _, r in rows)}")
    searches = [row for row in rows if row[0] in ("search", BARE_SEARCH)]  # in the order measured
    own = against_flanking_limits(searches, lambda name: name == BARE_SEARCH)
    lines.append("")
    lines += [against_own_limit(scenario, "bare search") for scenario in own]
    return [*lines, "", *catalog_targets(compared, own)]


if __name__ == "__main__":
    main()
