"""What a load run costs in CPU, per request: the server's processes and PostgreSQL's, read from /proc.

A scenario's requests per second and its p99 follow this shared machine's speed, which drifts by a
fifth within minutes. The CPU each request costs drifts too (a slower machine spends more CPU time
on the same work) but the scenarios of one run are all measured on the same machine, so the ratio
of a scenario's CPU to its limit's says what the code costs. It also says where the time goes: in
the app's workers or in PostgreSQL, which shares the two cores with them. Under load, a statement
that costs PostgreSQL more takes that time from the workers, so a scenario's share of its limit's
throughput follows the sum of the two.

wrk runs on the same cores and is counted in neither.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class CpuTimes:
    """CPU seconds (user + system) used so far: by the server's processes, and by PostgreSQL's."""

    app: float
    postgres: float

    def __sub__(self, earlier: CpuTimes) -> CpuTimes:
        return CpuTimes(self.app - earlier.app, self.postgres - earlier.postgres)


def _processes() -> list[tuple[str, int, float]]:
    """Every process: (command name, session id, CPU seconds used by it and its ended children)."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/stat") as stat:
                head, tail = stat.read().rsplit(")", 1)
        except OSError:
            continue  # ended meanwhile
        # From field 3 (state) on: session is field 6; utime, stime, cutime and cstime fields 14 to 17.
        # A process's own time, and its children's once it has reaped them: a PostgreSQL backend that
        # exits during a run (the app's pool closes connections it holds beyond its size) takes its
        # CPU time with it, into the postmaster's cutime and cstime.
        fields = tail.split()
        found.append((head.partition("(")[2], int(fields[3]), sum(map(int, fields[11:15])) / _TICKS))
    return found


def session_of(pid: int) -> int | None:
    """The session id of process ``pid``; ``None`` once it has ended."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return int(stat.read().rsplit(")", 1)[1].split()[3])
    except (OSError, IndexError, ValueError):
        return None


def postgres_cpu() -> float:
    """CPU seconds that every PostgreSQL process on this machine has used."""
    return sum(seconds for name, _, seconds in _processes() if name == "postgres")


def cpu_times(session: int | None) -> CpuTimes:
    """CPU seconds used so far by the processes of ``session`` (the server) and by PostgreSQL's."""
    app = postgres = 0.0
    for name, process_session, seconds in _processes():
        if name == "postgres":
            postgres += seconds
        elif session is not None and process_session == session:
            app += seconds
    return CpuTimes(app, postgres)
