"""The HTTP machinery both provider imitations share: a threaded server on 127.0.0.1, a router, the
request log, injectable faults and CORS for the browser stand-ins.

Threads, not an asyncio server, because one imitation must answer the ``stripe`` library's blocking
``requests`` calls and ``httpx`` async calls from the test's own event loop at the same time; a
server on that loop would deadlock the blocking caller."""

from __future__ import annotations

import contextlib
import fnmatch
import json
import re
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: Message  # case-insensitive, as clients send some header names in lowercase
    body: bytes
    query_string: str = ""
    params: dict[str, str] = field(default_factory=dict)  # the route's named segments

    def json(self) -> object:
        return json.loads(self.body) if self.body.strip() else {}


@dataclass
class Response:
    status: int
    body: bytes = b""
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)
    # False for answers given before the provider acted (bad parameters): never kept for a replay.
    replayable: bool = True

    @classmethod
    def json(cls, status: int, data: object, headers: dict[str, str] | None = None) -> Response:
        return cls(status, json.dumps(data).encode(), headers=headers or {})

    @classmethod
    def html(cls, body: str, status: int = 200) -> Response:
        return cls(status, body.encode(), "text/html; charset=utf-8")

    @classmethod
    def redirect(cls, location: str) -> Response:
        return cls(303, b"", "text/plain", {"Location": location})


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the provider saw it, for assertions such as "no refund call was made"."""
    method: str
    path: str
    status: int
    idempotency_key: str | None
    replayed: bool


FAULT_KINDS = ("hang", "slow_reply", "error_500", "decline")


@dataclass
class Fault:
    """What happens to the next ``times`` requests matching ``method`` and the glob ``path``.

    ``hang``: wait ``seconds`` before handling (the provider is stuck; nothing happened yet).
    ``slow_reply``: handle the request (its effect is real and its idempotent answer is stored), then
    wait ``seconds`` before answering, as when a client times out on a charge that went through.
    ``error_500``: answer the provider's 500 without any effect.
    ``decline``: the provider's own decline for that call (a card decline, a refused instrument).
    """
    method: str
    path: str
    kind: str
    times: int = 1
    seconds: float = 0.0

    def matches(self, method: str, path: str) -> bool:
        return self.times > 0 and method == self.method and fnmatch.fnmatchcase(path, self.path)


class Faults:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._planned: list[Fault] = []

    def inject(self, route: str, kind: str, *, times: int = 1, seconds: float = 0.0) -> Fault:
        """``route`` is ``"METHOD /glob/path"``, e.g. ``"POST /v1/payment_intents/*/capture"``."""
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault {kind!r}; one of {FAULT_KINDS}")
        method, path = route.split(" ", 1)
        fault = Fault(method.upper(), path, kind, times, seconds)
        with self._lock:
            self._planned.append(fault)
        return fault

    def take(self, method: str, path: str) -> Fault | None:
        """The first planned fault for this request, used up by one."""
        with self._lock:
            for fault in self._planned:
                if fault.matches(method, path):
                    fault.times -= 1
                    return fault
        return None

    def clear(self) -> None:
        with self._lock:
            self._planned.clear()


Handler = Callable[[Request, Fault | None], Response]


class Router:
    def __init__(self) -> None:
        self._routes: list[tuple[str, re.Pattern, Handler]] = []

    def add(self, method: str, pattern: str, handler: Handler) -> None:
        """``pattern`` like ``/v1/payment_intents/{id}/capture``; each ``{name}`` is one path segment."""
        regex = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", pattern)
        self._routes.append((method, re.compile(f"^{regex}$"), handler))

    def find(self, method: str, path: str) -> tuple[Handler, dict[str, str]] | None:
        for route_method, regex, handler in self._routes:
            match = regex.match(path)
            if match and route_method == method:
                return handler, match.groupdict()
        return None


class ImitationServer:
    """Serves a ``Router`` on 127.0.0.1 at a free port from a background thread.

    ``not_found`` and ``server_error`` build the provider's own error bodies; ``idempotency_key``
    reads the provider's idempotency header so the request log can show it."""

    browser_host = "imitation"

    def __init__(self) -> None:
        self.router = Router()
        self.faults = Faults()
        self.requests: list[RecordedRequest] = []
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # What a provider answers; each imitation overrides these.
    def not_found(self, request: Request) -> Response:
        return Response.json(404, {"error": "not found"})

    def server_error(self, request: Request) -> Response:
        return Response.json(500, {"error": "server error"})

    def idempotency_key(self, request: Request) -> str | None:
        return None

    @property
    def url(self) -> str:
        """The base URL server-side clients are pointed at."""
        assert self._httpd is not None, "the imitation is not running"
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    @property
    def browser_url(self) -> str:
        """The same server under a ``*.localhost`` name, which Chromium resolves to loopback, so a
        browser test that lets only ``*.localhost`` hosts through can load the provider's script."""
        assert self._httpd is not None, "the imitation is not running"
        return f"http://{self.browser_host}.localhost:{self._httpd.server_address[1]}"

    def start(self) -> None:
        imitation = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body go out in two writes; no 40 ms wait between

            def log_message(self, format, *args):  # noqa: A002 - the base class's name
                pass  # request lines carry client secrets in query strings; keep them out of logs

            def _serve(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                request = Request(self.command, parts.path, dict(parse_qsl(parts.query, keep_blank_values=True)),
                                  self.headers, self.rfile.read(length) if length else b"", parts.query)
                response, delay = imitation.dispatch(request)
                if delay:
                    time.sleep(delay)
                try:
                    self.send_response(response.status)
                    headers = {"Content-Type": response.content_type, "Content-Length": str(len(response.body)),
                               "Access-Control-Allow-Origin": "*", **response.headers}
                    for name, value in headers.items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(response.body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up waiting (a timeout test); the effect stands

            do_GET = do_POST = do_PATCH = do_DELETE = _serve

            def do_OPTIONS(self):  # CORS preflight from the browser stand-ins
                self.send_response(204)
                self.send_header("Access-Control-Allow-Origin", "*")
                self.send_header("Access-Control-Allow-Methods", "GET, POST, PATCH, DELETE, OPTIONS")
                self.send_header("Access-Control-Allow-Headers", "*")
                self.send_header("Content-Length", "0")
                self.end_headers()

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._httpd.daemon_threads = True  # a hung handler must not hold up stop()
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,), name=type(self).__name__,
                                        daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    @contextlib.contextmanager
    def running(self) -> Iterator[ImitationServer]:
        self.start()
        try:
            yield self
        finally:
            self.stop()

    def dispatch(self, request: Request) -> tuple[Response, float]:
        """The response and how long to hold it back (a ``slow_reply`` fault)."""
        fault = self.faults.take(request.method, request.path)
        delay = 0.0
        if fault and fault.kind == "hang":
            time.sleep(fault.seconds)
        elif fault and fault.kind == "slow_reply":
            delay = fault.seconds
        found = self.router.find(request.method, request.path)
        if fault and fault.kind == "error_500":
            response = self.server_error(request)
        elif found is None:
            response = self.not_found(request)
        else:
            handler, request.params = found
            try:
                response = handler(request, fault)
            except Exception:
                # A bug in the imitation: say so loudly rather than drop the connection without an answer.
                traceback.print_exc()
                response = Response.json(500, {"imitation_error": traceback.format_exc()})
        self.requests.append(RecordedRequest(request.method, request.path, response.status,
                                             self.idempotency_key(request),
                                             response.headers.get("Idempotent-Replayed") == "true"))
        return response, delay

    def requests_to(self, method: str, path_glob: str) -> list[RecordedRequest]:
        return [r for r in self.requests if r.method == method and fnmatch.fnmatchcase(r.path, path_glob)]
