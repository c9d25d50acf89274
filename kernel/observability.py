"""Structured logs and the per-request access line.

Every log record becomes one JSON line carrying the request id and the store
when there is one. Values under secret-looking keys are masked before they are
written, as a last line of defence; the first is never to log a secret at all.
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import sys
import time
import uuid
from typing import Any

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)
store_slug_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("store_slug", default=None)
# The plugin whose hook implementation is running (set by kernel.plugins.calling around each call).
plugin_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("plugin_id", default=None)

SECRET_KEY_PATTERN = re.compile(r"(secret|password|passwd|token|api[_-]?key|authorization|cookie|totp|seed)", re.I)
_STANDARD_ATTRS = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}


def mask_secrets(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: ("***" if isinstance(k, str) and SECRET_KEY_PATTERN.search(k) else mask_secrets(v))
                for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [mask_secrets(v) for v in value]
    return value


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "ts": round(record.created, 3),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        rid = getattr(record, "request_id", None) or request_id_var.get()
        if rid:
            data["request_id"] = rid
        store = getattr(record, "store", None) or store_slug_var.get()
        if store:
            data["store"] = store
        plugin = getattr(record, "plugin", None) or plugin_id_var.get()
        if plugin:
            data["plugin"] = plugin
        for key, value in record.__dict__.items():
            if key not in _STANDARD_ATTRS and key not in data and not key.startswith("_"):
                data[key] = "***" if SECRET_KEY_PATTERN.search(key) else mask_secrets(value)
        if record.exc_info:
            data["exc"] = self.formatException(record.exc_info)
        return json.dumps(data, default=str)


_handler: logging.Handler | None = None


def configure_logging(level: str = "INFO", json_lines: bool = True) -> None:
    global _handler
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if json_lines else logging.Formatter("%(levelname)s %(name)s %(message)s"))
    root = logging.getLogger("pycommerce")
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    root.propagate = True  # lets pytest's caplog see records too
    _handler = handler


def adopt_loggers(names: set[str]) -> None:
    """Give plugins' own loggers (``logging.getLogger(__name__)`` under their top-level package) the
    structured log's handler and level, so their lines reach it with plugin id and store."""
    root = logging.getLogger("pycommerce")
    for name in names:
        logger = logging.getLogger(name)
        if _handler is not None and _handler not in logger.handlers:
            logger.handlers[:] = [_handler]
        logger.setLevel(root.level)
        logger.propagate = True


access_log = logging.getLogger("pycommerce.access")


class RequestContextMiddleware:
    """Pure ASGI middleware: assigns the request id, and writes one access line per request."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        incoming = dict(scope.get("headers") or ()).get(b"x-request-id", b"").decode("latin-1")
        request_id = incoming if re.fullmatch(r"[A-Za-z0-9._-]{8,64}", incoming or "") else uuid.uuid4().hex[:16]
        scope.setdefault("state", {})["request_id"] = request_id
        rid_token = request_id_var.set(request_id)
        store_token = store_slug_var.set(None)
        started = time.perf_counter()
        status_holder = {"status": 500}

        async def send_wrapper(message):
            if message["type"] == "http.response.start":
                status_holder["status"] = message["status"]
                message.setdefault("headers", []).append((b"x-request-id", request_id.encode()))
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            access_log.info(
                "request",
                extra={"method": scope["method"], "path": scope["path"], "status": status_holder["status"],
                       "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                       "store": scope["state"].get("store_slug") or store_slug_var.get()},
            )
            request_id_var.reset(rid_token)
            store_slug_var.reset(store_token)
