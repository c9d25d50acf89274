"""How wrk's connections spread over the server's worker processes, read while a run is under way.

uvicorn's workers share one listening socket and each takes the connections it happens to accept
first. wrk opens its connections once, at the start of a run, and keeps them: runs of 16
connections on 2 workers were seen served 8/8, 9/7 and 10/6. The worker holding more queues more
requests behind each other, up to 10/8 as many at 10/6 (less when the other worker's idle time
goes to it), and its slowest answers are the run's p99. Limit and scenario each draw a split of
their own, so a p99 ratio between them can move with their splits as well as with what the
scenario costs. The tables print each run's split beside it, so that a reader can tell.
"""

from __future__ import annotations

import re
import subprocess
import time
from collections import Counter

_PROCESS = re.compile(r"pid=(\d+)")


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


def run_sampling_split(command: list[str], port: int, seconds: float) -> tuple[str, str]:
    """Run wrk (``command``, a ``seconds`` run) and read the split halfway through: (stdout, split).
    A wrk that fails raises, with what it printed, rather than leave a table to parse nothing."""
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(seconds / 2)
        split = connections_per_worker(port)
        out, err = process.communicate(timeout=seconds + 60)
    except BaseException:
        process.kill()
        raise
    if process.returncode:
        raise subprocess.CalledProcessError(process.returncode, command, out, err)
    return out, split
