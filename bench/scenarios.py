"""The benchmark's scenarios: what is requested, and how (plain GET, or a wrk Lua script)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Scenario:
    name: str
    path: str
    limit: bool = False  # served by the bare limit app instead of PyCommerce
    lua: str | None = None  # wrk script for requests that are not a plain GET
    check: Callable[[str], str] | None = None  # end-of-run consistency check, given the owner URL


SCENARIOS: list[Scenario] = [
    Scenario("limit: 20 rows, one query", "/limit?store=1", limit=True),
    Scenario("store read (auth + tenancy)", "/api/v1/stores/bench1"),
]
