"""How the benchmark's server runs its workers, how wrk's connections spread over them, and one wrk
run's figures (:func:`run_wrk`: rates, latencies, the split and the CPU a request).

The server is the app under :mod:`kernel.serving`, as ``pycommerce serve --workers 2`` runs it:
a supervisor accepts each connection and hands it to the next of two workers, so wrk's 16
connections are served 8/8 and its 64 connections 32/32 in every run. ``BENCH_SERVER=uvicorn``
runs uvicorn's own workers instead, which share one listening socket and each take the
connections they happen to accept first. wrk opens its connections once, at the start of a run,
and keeps them: under uvicorn's workers, runs of 16 connections were seen served 8/8, 9/7, 10/6
and 14/2. The worker holding more queues more requests behind each other (up to 10/8 as many at
10/6, less when the other worker's idle time goes to it), and its slowest answers are the run's
p99 (docs/decisions/serving-connection-handoff.md). The tables print each run's split beside it,
so that a reader can tell.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections import Counter

from bench.cpu import cpu_times, session_of

_PROCESS = re.compile(r"pid=(\d+)")


def server_command(port: int) -> list[str]:
    """The command that serves ``bench.app`` on ``port`` with two workers (uvloop, httptools, no
    access log): under kernel.serving, or uvicorn's own workers when ``BENCH_SERVER=uvicorn``."""
    common = ["bench.app:create_bench_app", "--factory", "--host", "127.0.0.1", "--port", str(port),
              "--workers", "2", "--loop", "uvloop", "--http", "httptools", "--log-level", "warning"]
    if os.environ.get("BENCH_SERVER") == "uvicorn":
        return [sys.executable, "-m", "uvicorn", *common, "--no-access-log"]
    return [sys.executable, "-m", "kernel.serving", *common]


def server_name() -> str:
    """What :func:`server_command` runs, for a results table's heading."""
    return ("uvicorn, 2 workers sharing the socket" if os.environ.get("BENCH_SERVER") == "uvicorn"
            else "kernel.serving, 2 uvicorn workers, connections handed out in turn")


def connections_per_worker(port: int) -> str:
    """The established connections to ``port`` per server process, most first (e.g. ``"9/7"``);
    ``"?"`` when ``ss`` cannot tell."""
    try:
        out = subprocess.run(["ss", "-Htnp", "state", "established", f"( sport = :{port} )"],
                             capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return "?"
    counts = Counter(match.group(1) for match in map(_PROCESS.search, out.splitlines()) if match)
    return "/".join(str(n) for n in sorted(counts.values(), reverse=True)) or "?"


def server_session(port: int) -> int | None:
    """The session of the process listening on ``port``, which holds the server's supervisor and
    workers (``bench.run`` and ``bench.checkout`` start the server in a session of its own); ``None``
    when ``ss`` cannot tell."""
    try:
        out = subprocess.run(["ss", "-Hltnp", f"( sport = :{port} )"], capture_output=True, text=True,
                             timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    match = _PROCESS.search(out)
    return session_of(int(match.group(1))) if match else None


def run_wrk(command: list[str], port: int, seconds: float) -> dict:
    """Run wrk (``command``, a ``seconds`` run against the server on ``port``) and return its figures:
    ``rps``, ``p50`` and ``p99`` (ms), ``non2xx``, ``socket`` (wrk's socket errors), ``split`` (the
    connections per worker, read halfway through) and ``app_cpu_ms`` and ``pg_cpu_ms``: the CPU the
    server's processes and PostgreSQL's spent a request over the run (:mod:`bench.cpu`). A wrk that
    fails raises, with what it printed, rather than leave a table to parse nothing."""
    session = server_session(port)
    before = cpu_times(session)
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(seconds / 2)
        split = connections_per_worker(port)
        out, err = process.communicate(timeout=seconds + 60)
    except BaseException:
        process.kill()
        raise
    spent = cpu_times(session) - before
    if process.returncode:
        raise subprocess.CalledProcessError(process.returncode, command, out, err)
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket = re.search(r"Socket errors: (.*)", out)
    per_request = 1000 / requests if requests else float("nan")
    return {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
            "p50": _ms(_latency(out, 50)), "p99": _ms(_latency(out, 99)),
            "non2xx": int(errors.group(1)) if errors else 0, "socket": socket.group(1) if socket else "",
            "split": split, "app_cpu_ms": spent.app * per_request, "pg_cpu_ms": spent.postgres * per_request}


def _latency(out: str, percentile: int) -> str | None:
    match = re.search(rf"^\s+{percentile}%\s+(\S+)", out, re.M)
    return match.group(1) if match else None


def _ms(value: str | None) -> float:
    """wrk's latency ("850.00us", "12.3ms", "1.2s") in ms; NaN when it printed none."""
    match = re.match(r"([\d.]+)(us|ms|s)", value or "")
    return float("nan") if not match else float(match[1]) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[match[2]]
