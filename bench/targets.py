"""The speed targets (bench/README.md), checked against the figures of one benchmark run.

Each latency target is read relative to the same run on a 2-core machine: at 64 connections, a
scenario's p99 at most 1.5 × its limit's p99 measured in the same run; at 16 connections, the
target's absolute figure. The limit of a scenario is measured just before and
just after it, and the scenario is compared with the mean of the two (the machine drifts by a
fifth within minutes). Printing the verdicts with every run saves whoever reads the run from
working them out by hand, and every reader works them out the same way.
"""

from __future__ import annotations

from dataclasses import dataclass

P99_RATIO_AT_64 = 1.5


@dataclass(frozen=True)
class Compared:
    """A scenario's wrk result beside the mean of its limit's measurements around it."""

    name: str
    connections: int
    result: dict
    limit_rps: float
    limit_p99: float
    limit_cpu_ms: float

    @property
    def cpu_ms(self) -> float:
        """CPU a request, the app's and PostgreSQL's together (:mod:`bench.cpu`)."""
        return request_cpu_ms(self.result)

    @property
    def cpu_ratio(self) -> float:
        return self.cpu_ms / self.limit_cpu_ms

    @property
    def share(self) -> float:
        return self.result["rps"] / self.limit_rps

    @property
    def p99_ratio(self) -> float:
        return self.result["p99"] / self.limit_p99


def against_flanking_limits(rows: list[tuple[str, int, dict]], is_limit) -> list[Compared]:
    """Every scenario of ``rows`` (name, connections, wrk result, in the order measured) that is
    not a limit, with the mean of the nearest limit rows (``is_limit(name)``, same connections)
    measured before and after it: usually its neighbours; a scenario with a limit of its own
    around it (search) is a measurement further from the common one."""
    compared = []
    for i, (name, connections, result) in enumerate(rows):
        if is_limit(name):
            continue
        before = next((row for row in reversed(rows[:i]) if is_limit(row[0]) and row[1] == connections), None)
        after = next((row for row in rows[i + 1:] if is_limit(row[0]) and row[1] == connections), None)
        assert before is not None and after is not None, f"{name} is not between two limits"
        compared.append(Compared(name, connections, result, (before[2]["rps"] + after[2]["rps"]) / 2,
                                 (before[2]["p99"] + after[2]["p99"]) / 2,
                                 (request_cpu_ms(before[2]) + request_cpu_ms(after[2])) / 2))
    return compared


def against_own_limit(scenario: Compared, limit_name: str) -> str:
    """One line: ``scenario`` beside the limit of its own measured just before and after it."""
    return (f"{scenario.name} at {scenario.connections}: {scenario.share:.0%} of its own limit's req/s, p99 "
            f"{scenario.p99_ratio:.2f} × its own limit's, CPU a request {scenario.cpu_ratio:.2f} × its own limit's "
            f"(the mean of the {limit_name} just before and after it: {scenario.limit_rps:,.0f} req/s, p99 "
            f"{scenario.limit_p99:.1f} ms, CPU {scenario.limit_cpu_ms:.2f} ms a request)")


def request_cpu_ms(result: dict) -> float:
    """A wrk result's CPU a request: the server's processes and PostgreSQL's together."""
    return result["app_cpu_ms"] + result["pg_cpu_ms"]


def _find(compared: list[Compared], name: str, connections: int) -> Compared | None:
    return next((c for c in compared if c.name == name and c.connections == connections), None)


def _verdict(met: bool) -> str:
    return "met" if met else "NOT met"


def _p99_targets(compared: list[Compared], name: str, absolute_ms: float) -> list[str]:
    lines = []
    if (at16 := _find(compared, name, 16)) is not None:
        lines.append(f"- {name} p99 < {absolute_ms:.0f} ms at 16 connections: {at16.result['p99']:.1f} ms "
                     f"(its limit's {at16.limit_p99:.1f}): {_verdict(at16.result['p99'] < absolute_ms)}")
    if (at64 := _find(compared, name, 64)) is not None:
        lines.append(f"- {name} p99 ≤ {P99_RATIO_AT_64} × its limit's at 64 connections: {at64.p99_ratio:.2f} × "
                     f"({at64.result['p99']:.0f} against {at64.limit_p99:.0f} ms): "
                     f"{_verdict(at64.p99_ratio <= P99_RATIO_AT_64)}")
    return lines


def catalog_targets(compared: list[Compared], search_own: list[Compared] = ()) -> list[str]:
    """The catalog targets: the list ≥ 50 % of the limit's throughput with p99 < 50 ms; search p99 < 100 ms.
    ``search_own``: search against its own limit (one full-text query of 20 rows), when measured."""
    lines = ["Against the catalog targets:"]
    for connections in (16, 64):
        if (listing := _find(compared, "list", connections)) is not None:
            lines.append(f"- list ≥ 50 % of the limit at {connections} connections: {100 * listing.share:.0f} %: "
                         f"{_verdict(listing.share >= 0.5)}")
    lines += _p99_targets(compared, "list", 50)
    lines += _p99_targets(compared, "search", 100)
    if (search := _find(compared, "search", 64)) is not None:
        scaled = P99_RATIO_AT_64 * 100 / 50
        lines.append(f"  (search's target is twice the list's: scaled alike, ≤ {scaled:.0f} × at 64 connections: "
                     f"{_verdict(search.p99_ratio <= scaled)})")
    if (own := _find(list(search_own), "search", 64)) is not None:
        lines.append(f"- search p99 ≤ {P99_RATIO_AT_64} × its own limit's (the bare search) at 64 connections: "
                     f"{own.p99_ratio:.2f} × ({own.result['p99']:.0f} against {own.limit_p99:.0f} ms): "
                     f"{_verdict(own.p99_ratio <= P99_RATIO_AT_64)}")
    return lines


def checkout_targets(compared: list[Compared], placing: list[tuple[int, float]]) -> list[str]:
    """The checkout targets: add to cart p99 < 50 ms; ≥ 100 orders placed per second (``placing``: connections,
    orders per second). Oversell and duplicates are the end-of-run check's, printed above."""
    lines = ["Against the checkout targets:", *_p99_targets(compared, "add to cart", 50)]
    for connections, per_second in placing:
        lines.append(f"- ≥ 100 orders placed per second at {connections} connections: {per_second:.0f}: "
                     f"{_verdict(per_second >= 100)}")
    return lines
