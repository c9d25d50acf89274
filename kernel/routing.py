"""Routers that say "not mine" with one regular-expression match.

FastAPI (0.16x) finds a request's route by asking every included router, in order, whether
the request is its own; each answers by walking its routes in Python, one path match per
route, with scope bookkeeping around each. With every kernel router included, that walk is a
visible share of a small request's CPU (``bench/inprocess.py --profile``), and it grows with
every route added. A :class:`KernelRouter` first tests the path against one compiled
pattern that unites all its routes' paths; only a router that can hold the path walks its
routes. What FastAPI does after that (methods, 405s, trailing-slash redirects, dependency
overrides) is unchanged. The test applies to routers included without a path prefix (the
kernel's routers carry their full paths); one included under a prefix is walked as before.
"""

from __future__ import annotations

import re

from fastapi import APIRouter
from starlette.routing import Match, get_route_path
from starlette.types import Scope

_NAMED_GROUP = re.compile(r"\(\?P<[^>]+>")


def _union_of_paths(routes) -> re.Pattern | None:
    """One pattern matching every path any of ``routes`` can match; ``None`` when some route
    has no path pattern (an included router, a host route), so nothing may be ruled out."""
    parts = []
    for route in routes:
        pattern = getattr(getattr(route, "path_regex", None), "pattern", None)
        if pattern is None:
            return None
        # Starlette anchors each pattern with ^…$; group names would clash once united.
        parts.append(_NAMED_GROUP.sub("(?:", pattern.removeprefix("^").removesuffix("$")))
    return re.compile("^(?:" + "|".join(parts) + ")$") if parts else re.compile(r"(?!)")


class KernelRouter(APIRouter):
    """An :class:`~fastapi.APIRouter` that rules out foreign paths before walking its routes."""

    _paths_union: re.Pattern | None = None
    _paths_union_of: int = -1  # the number of routes the pattern was built from

    def may_hold(self, path: str) -> bool:
        """False only when no route of this router can match ``path`` (a route path, no root path)."""
        if len(self.routes) != self._paths_union_of:  # built lazily, rebuilt when routes were added
            self._paths_union = _union_of_paths(self.routes)
            self._paths_union_of = len(self.routes)
        return self._paths_union is None or self._paths_union.match(path) is not None

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if _included_without_prefix(scope) and not self.may_hold(get_route_path(scope)):
            return Match.NONE, {}
        return super().matches(scope)


def _included_without_prefix(scope: Scope) -> bool:
    """Whether the router being asked was included without a path prefix, so that its routes'
    own patterns are the whole story. FastAPI keeps the inclusion being matched in the scope;
    when it cannot be read (another FastAPI release), the answer is no and nothing is ruled out."""
    included = scope.get("fastapi", {}).get("included_router")
    return getattr(getattr(included, "include_context", None), "prefix", None) == ""
