"""One error shape for the whole API: RFC 9457 problem details.

Services raise :class:`DomainError` subclasses (no HTTP in them); the handlers
here turn those, FastAPI's validation errors and anything unexpected into
``application/problem+json`` with the request id, so a client can quote it and
an operator can find the matching log line. Unexpected errors never leak a
stack trace or a message to the client.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

log = logging.getLogger("pycommerce.errors")

PROBLEM_JSON = "application/problem+json"


class FieldError(BaseModel):
    loc: list[str | int] = Field(examples=[["body", "price"]])
    msg: str = Field(examples=["Input should be greater than or equal to 0"])
    type: str = Field(examples=["greater_than_equal"])


class Problem(BaseModel):
    """RFC 9457 problem details, the body of every API error."""

    type: str = Field(default="about:blank", examples=["https://pycommerce.dev/problems/not-found"])
    title: str = Field(examples=["Not Found"])
    status: int = Field(examples=[404])
    detail: str | None = Field(default=None, examples=["No product with id 42 in this store."])
    instance: str | None = Field(default=None, examples=["/api/v1/stores/acme/products/42"])
    request_id: str | None = Field(default=None, examples=["3f2a9c1e5b7d4e0f"])
    errors: list[FieldError] | None = None


class DomainError(Exception):
    status = 400
    title = "Bad Request"
    code = "bad-request"

    def __init__(self, detail: str | None = None, *, errors: list[dict[str, Any]] | None = None,
                 headers: dict[str, str] | None = None):
        super().__init__(detail or self.title)
        self.detail = detail
        self.errors = errors
        self.headers = headers


class NotFound(DomainError):
    status, title, code = 404, "Not Found", "not-found"


class Conflict(DomainError):
    status, title, code = 409, "Conflict", "conflict"


class InvalidInput(DomainError):
    status, title, code = 422, "Unprocessable Content", "invalid-input"


class NotAuthenticated(DomainError):
    status, title, code = 401, "Unauthorized", "not-authenticated"


class PermissionDenied(DomainError):
    status, title, code = 403, "Forbidden", "permission-denied"


class TooManyRequests(DomainError):
    status, title, code = 429, "Too Many Requests", "rate-limited"


class Gone(DomainError):
    status, title, code = 410, "Gone", "gone"


class Unavailable(DomainError):
    """Overloaded for now: the client should retry (``Retry-After``)."""
    status, title, code = 503, "Service Unavailable", "unavailable"


def wants_page(request: Request) -> bool:
    """A browser asking for a page, not a client of the API: its problems read best as a page.
    The dashboard (``/admin``) has pages only."""
    path = request.url.path
    if path == "/admin" or path.startswith("/admin/"):
        return True
    return not path.startswith("/api/") and "text/html" in request.headers.get("accept", "")


def problem_response(request: Request, status: int, title: str, *, detail: str | None = None,
                     code: str | None = None, errors: list[dict[str, Any]] | None = None,
                     headers: dict[str, str] | None = None) -> Response:
    """The problem document; a page instead, for a browser's page request when the app has a page
    renderer (``app.state.problem_page``, the storefront's)."""
    render_page = getattr(request.app.state, "problem_page", None)
    if render_page is not None and wants_page(request):
        return render_page(request, status, title, detail, headers, errors=errors)
    body = Problem(
        type=f"https://pycommerce.dev/problems/{code}" if code else "about:blank",
        title=title,
        status=status,
        detail=detail,
        instance=request.url.path,
        request_id=getattr(request.state, "request_id", None),
        errors=[FieldError(**e) for e in errors] if errors else None,
    )
    return JSONResponse(body.model_dump(exclude_none=True), status_code=status, media_type=PROBLEM_JSON,
                        headers=headers)


def _validation_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    # Never echo the offending input back: it may be a password or an API key.
    return [{"loc": [str(p) if not isinstance(p, int) else p for p in e.get("loc", ())],
             "msg": e.get("msg", "invalid"), "type": e.get("type", "value_error")} for e in exc.errors()]


_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def allowed_methods(request: Request) -> list[str]:
    """Every method some route accepts at the request's path, for a 405's ``Allow``.

    Starlette answers 405 from the first route whose path matched, naming that route's methods
    only; a path served by several routes (``GET`` and ``POST`` on a collection) then looked as if
    it took one. Asking every route of the app again, once per method, finds them all; only 405s
    pay for it."""
    allowed = []
    for method in _METHODS:
        scope = {**request.scope, "method": method}
        if any(route.matches(scope)[0] == Match.FULL for route in request.app.router.routes):
            allowed.append(method)
    return allowed


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError):
        return problem_response(request, exc.status, exc.title, detail=exc.detail, code=exc.code,
                                errors=exc.errors, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError):
        return problem_response(request, 422, "Unprocessable Content", detail="The request is not valid.",
                                code="invalid-input", errors=_validation_errors(exc))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        from http import HTTPStatus

        title = HTTPStatus(exc.status_code).phrase if exc.status_code in HTTPStatus._value2member_map_ else "Error"
        detail = exc.detail if isinstance(exc.detail, str) and exc.detail != title else None
        headers = getattr(exc, "headers", None)
        if exc.status_code == 405:
            headers = {**(headers or {}), "Allow": ", ".join(allowed_methods(request))}
        return problem_response(request, exc.status_code, title, detail=detail, headers=headers)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception):
        log.error("unhandled error", exc_info=exc, extra={"request_id": getattr(request.state, "request_id", None)})
        return problem_response(request, 500, "Internal Server Error",
                                detail="An unexpected error occurred; quote the request id when reporting it.",
                                code="internal-error")


# Documented on every API route so the OpenAPI document shows the error shape.
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": Problem, "description": description, "content": {PROBLEM_JSON: {}}}
    for status, description in {
        400: "Malformed request (e.g. a body that is not valid JSON)", 401: "Not authenticated", 403: "Not allowed for this caller", 404: "Not found in this store",
        409: "Conflicts with the current state", 422: "The request is not valid",
        503: "Overloaded (every database connection stayed busy) or the database is unreachable; nothing "
             "was changed: retry after `Retry-After` seconds",
    }.items()
}
