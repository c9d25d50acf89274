"""What a request tells its client when the database says no: a conflict, or an outage.

* **A unique or foreign-key violation** is a conflict with another request's data, most often the
  same request sent twice at once (a double click, a retry): both passed the service's up-front
  check, one insert won. It answers 409 naming what clashed (:func:`conflict_detail`), in one place
  for every route, rather than a ``try`` around each flush. Operations that are idempotent by
  nature (enabling a plugin, writing settings) do not get here: they upsert.
* **A database that cannot be reached** (refused connections, a connection dropped by a restart
  or failover, a server starting up or shutting down) answers 503 with ``Retry-After``: the
  request's transaction did not commit, so nothing changed, and the client may simply retry.
  Each such request logs one warning line with its request id, no traceback: an outage is not a
  bug, and a traceback per request would drown the log while it lasts.

Anything else goes on to the generic 500 handler (:mod:`kernel.errors`). The handlers are
registered per exception class because only those run inside the app's exception middleware; the
catch-all ``Exception`` handler runs in the outermost one, which also re-raises to the server.
"""

from __future__ import annotations

import logging
import re
import socket

from fastapi import FastAPI, Request
from sqlalchemy import Column, exc as sa_exc

from kernel.errors import Conflict, problem_response

log = logging.getLogger("pycommerce.errors")

RETRY_AFTER_SECONDS = 2

# SQLSTATE classes of an unreachable server: 08 connection exception, 57 operator intervention
# (shutting down, starting up, terminated by administrator, statement or lock timeouts).
_OUTAGE_CLASSES = ("08", "57")
_UNIQUE, _FOREIGN_KEY, _EXCLUSION = "23505", "23503", "23P01"


def _sqlstate(error) -> str:
    for candidate in (error, getattr(error, "__cause__", None)):
        for attribute in ("sqlstate", "pgcode"):
            value = getattr(candidate, attribute, None)
            if isinstance(value, str):
                return value
    return ""


def database_unreachable(error: BaseException) -> bool:
    """Whether ``error`` means the database could not be reached, rather than that it refused."""
    if isinstance(error, (sa_exc.DisconnectionError, sa_exc.TimeoutError, ConnectionError, socket.gaierror)):
        return True
    if isinstance(error, sa_exc.DBAPIError):
        if error.connection_invalidated:
            return True
        if "database is locked" in str(error.orig):  # SQLite: the writer lock stayed busy
            return True
        error = error.orig
    return _sqlstate(error)[:2] in _OUTAGE_CLASSES


# --- Conflicts ------------------------------------------------------------------------------------

_SQLITE_COLUMNS = re.compile(r"UNIQUE constraint failed: (?P<columns>[\w.]+(?:, [\w.]+)*)")
_SQLITE_INDEX = re.compile(r"UNIQUE constraint failed: index '(?P<name>\w+)'")


def _constraint_name(error: sa_exc.IntegrityError) -> str | None:
    for candidate in (error.orig, getattr(error.orig, "__cause__", None)):
        name = getattr(candidate, "constraint_name", None) or getattr(getattr(candidate, "diag", None),
                                                                         "constraint_name", None)
        if name:
            return name
    found = _SQLITE_INDEX.search(str(error.orig))
    return found["name"] if found else None


def _table_and_columns(error: sa_exc.IntegrityError) -> tuple[str, list[str]] | None:
    """The clashing table and its columns, from the constraint's name (PostgreSQL, SQLite indexes)
    looked up in the models' metadata, or from SQLite's ``table.column`` message."""
    from kernel.models import load_all_models

    name = _constraint_name(error)
    if name:
        for table in load_all_models().tables.values():
            for item in (*table.constraints, *table.indexes):
                if item.name == name:
                    columns = [c.name for c in getattr(item, "columns", ())]
                    for expression in getattr(item, "expressions", ()):  # e.g. lower(rtrim(hostname, '.'))
                        if not isinstance(expression, Column):
                            words = set(re.findall(r"\w+", str(expression)))
                            columns += [c.name for c in table.columns if c.name in words and c.name not in columns]
                    return table.name, columns
    found = _SQLITE_COLUMNS.search(str(error.orig))
    if found:
        pairs = [part.split(".", 1) for part in found["columns"].split(", ")]
        return pairs[0][0], [column for _, column in pairs]
    return None


def _is_conflict(error: sa_exc.IntegrityError) -> bool:
    state = _sqlstate(error.orig)
    if state:
        return state in (_UNIQUE, _FOREIGN_KEY, _EXCLUSION)
    message = str(error.orig)
    return "UNIQUE constraint failed" in message or "FOREIGN KEY constraint failed" in message


def conflict_detail(error: sa_exc.IntegrityError) -> str:
    """``"Another product variant in this store already has this sku."``, or as near as can be told."""
    if _sqlstate(error.orig) == _FOREIGN_KEY or "FOREIGN KEY" in str(error.orig):
        return "This refers to something that no longer exists (another request removed it), or belongs to it."
    found = _table_and_columns(error)
    if found is None:
        return "This clashes with something that already exists; it may have been created by a simultaneous request."
    table, columns = found
    thing = table.replace("_", " ").removesuffix("s")
    named = [c.replace("_", " ") for c in columns if c != "store_id"]
    scope = " in this store" if "store_id" in columns else ""
    what = " and ".join(named) if named else "key"
    return f"Another {thing}{scope} already has this {what} (it may have been created by a simultaneous request)."


# --- Handlers -------------------------------------------------------------------------------------

def _unavailable(request: Request, error: BaseException):
    log.warning("database unreachable: answered 503", extra={
        "request_id": getattr(request.state, "request_id", None), "path": request.url.path,
        "error": type(error).__name__})
    return problem_response(request, 503, "Service Unavailable", code="database-unavailable",
                            detail="The database cannot be reached right now; nothing was changed. Try again shortly.",
                            headers={"Retry-After": str(RETRY_AFTER_SECONDS)})


def install_database_error_handlers(app: FastAPI) -> None:
    async def _integrity(request: Request, error: sa_exc.IntegrityError):
        if not _is_conflict(error):
            raise error  # NOT NULL, CHECK: a bug, for the generic handler
        return problem_response(request, Conflict.status, Conflict.title, code=Conflict.code,
                                detail=conflict_detail(error))

    async def _database(request: Request, error: Exception):
        if not database_unreachable(error):
            raise error
        return _unavailable(request, error)

    app.add_exception_handler(sa_exc.IntegrityError, _integrity)
    for kind in (sa_exc.DBAPIError, sa_exc.DisconnectionError, sa_exc.TimeoutError, ConnectionError,
                 socket.gaierror, *_driver_errors()):
        app.add_exception_handler(kind, _database)


def _driver_errors() -> tuple[type[Exception], ...]:
    """The PostgreSQL driver's own exceptions that reach a request unwrapped (raised while the
    pool opens a connection: ``CannotConnectNowError`` while the server starts up, for one)."""
    try:
        import asyncpg
    except ImportError:  # pragma: no cover - asyncpg is a dependency
        return ()
    return (asyncpg.PostgresError, asyncpg.InterfaceError)
