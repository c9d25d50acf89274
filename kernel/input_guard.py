"""Reject NUL characters at the edge.

PostgreSQL refuses ``\\x00`` in text, so a NUL that slips into any string field
would surface as a 500 deep inside a query. Checking once here, before routing,
turns every such request into the API's ordinary 422 problem, whatever the
endpoint and on both databases alike.
"""

from __future__ import annotations

import json
from urllib.parse import parse_qsl

from kernel.errors import PROBLEM_JSON

_NUL_MARKERS = (b"\\u0000", b"\x00")


def _nul_locations(value, loc: list) -> list[list]:
    """Where in a parsed JSON document a string (or key) holds a NUL, as FastAPI-style locations."""
    found = []
    if isinstance(value, str):
        if "\x00" in value:
            found.append(loc)
    elif isinstance(value, dict):
        for key, item in value.items():
            found += [loc + [key]] if "\x00" in key else _nul_locations(item, loc + [key])
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _nul_locations(item, loc + [index])
    return found


def _problem(scope, detail: str, locations: list[list]) -> bytes:
    errors = [{"loc": loc, "msg": "NUL characters are not allowed", "type": "string_nul"} for loc in locations]
    return json.dumps({
        "type": "https://pycommerce.dev/problems/invalid-input", "title": "Unprocessable Content", "status": 422,
        "detail": detail, "instance": scope.get("path"), "request_id": scope.get("state", {}).get("request_id"),
        "errors": errors or [{"loc": ["body"], "msg": "NUL characters are not allowed", "type": "string_nul"}],
    }).encode()


class RejectNulBytes:
    def __init__(self, app):
        self.app = app

    async def _reject(self, scope, send, detail: str, locations: list[list] | None = None) -> None:
        body = _problem(scope, detail, locations or [])
        await send({"type": "http.response.start", "status": 422,
                    "headers": [(b"content-type", PROBLEM_JSON.encode()), (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        query = scope.get("query_string", b"")
        if b"%00" in query or b"\x00" in query or "\x00" in scope.get("path", ""):
            names = [["query", k] for k, v in parse_qsl(query.decode("latin-1"), keep_blank_values=True)
                     if "\x00" in k or "\x00" in v]
            return await self._reject(scope, send, "NUL characters are not allowed in the URL.", names or [["path"]])
        content_type = dict(scope.get("headers") or ()).get(b"content-type", b"")
        if not content_type.startswith((b"application/json", b"application/x-www-form-urlencoded", b"text/")):
            return await self.app(scope, receive, send)
        chunks, more = [], True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                return await self.app(scope, receive, send)
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        body = b"".join(chunks)
        if any(marker in body for marker in _NUL_MARKERS) or b"%00" in body and b"urlencoded" in content_type:
            locations = []
            if content_type.startswith(b"application/json"):
                try:
                    locations = _nul_locations(json.loads(body), ["body"])
                except ValueError:
                    pass  # not JSON after all: let the endpoint's own parsing answer
            return await self._reject(scope, send, "NUL characters are not allowed in the request body.", locations)
        replayed = False

        async def replay():
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


# What the schema says of it: every free-form string of the API's document carries a pattern of
# NUL-free characters, so a client (or a schema-driven fuzzer) knows before sending that NUL
# characters are refused. The pattern repeats the string's length bounds, so that a generator
# drawing from the pattern draws strings of the right length at once.
NUL_FREE = r"[^\u0000]"
_CONSTRAINED = ("pattern", "format", "enum", "const")


def nul_free_pattern(min_length: int | None = None, max_length: int | None = None) -> str:
    if min_length is None and max_length is None:
        return f"^{NUL_FREE}*$"
    return f"^{NUL_FREE}{{{min_length or 0},{'' if max_length is None else max_length}}}$"


def document_nul_refusal(node) -> None:
    """Add a NUL-free pattern to every string schema of an OpenAPI document that does not already
    constrain its characters (in place; running it twice changes nothing)."""
    if isinstance(node, dict):
        if node.get("type") == "string" and not any(key in node for key in _CONSTRAINED):
            node["pattern"] = nul_free_pattern(node.get("minLength"), node.get("maxLength"))
        for value in node.values():
            document_nul_refusal(value)
    elif isinstance(node, list):
        for value in node:
            document_nul_refusal(value)
