"""CSRF protection for cookie-authenticated requests.

A request authenticated by the ``pyc_session`` cookie that changes state (any method but GET, HEAD,
OPTIONS) must carry the session's CSRF token, either in the ``X-CSRF-Token`` header or, for HTML
forms, in a ``csrf_token`` form field. The token is an HMAC of the session token's digest under the
deployment's secret key: bound to one session, nothing to store, unguessable by another site. Bearer
requests are exempt (a browser never adds that header by itself). SameSite=Lax cookies already stop
most cross-site posts; this covers older browsers and same-site subdomains (``<store>.<platform>``).

Templates embed the token with ``{{ csrf_input(request) }}``.
"""

from __future__ import annotations

import hashlib
import hmac

from fastapi import Request
from markupsafe import Markup

from kernel.errors import PermissionDenied
from kernel.security import token_digest

CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
SESSION_COOKIE = "pyc_session"


def _secret(request: Request) -> bytes:
    return request.app.state.settings.secret_key.get_secret_value().encode()


def csrf_token_for_session(secret: bytes, session_token: str) -> str:
    return hmac.new(secret, b"csrf:" + token_digest(session_token).encode(), hashlib.sha256).hexdigest()


def csrf_token(request: Request, session_token: str | None = None) -> str | None:
    """The CSRF token of the request's cookie session (or of ``session_token``), ``None`` if signed out."""
    session_token = session_token or request.cookies.get(SESSION_COOKIE)
    return csrf_token_for_session(_secret(request), session_token) if session_token else None


def csrf_input(request: Request) -> Markup:
    """A hidden form field carrying the token, for the admin's and storefront's forms."""
    token = csrf_token(request) or ""
    return Markup('<input type="hidden" name="{}" value="{}">').format(CSRF_FIELD, token)


async def verify_csrf(request: Request, session_token: str) -> None:
    """Refuse a state-changing, cookie-authenticated request without the session's CSRF token."""
    if request.method in SAFE_METHODS:
        return
    sent = request.headers.get(CSRF_HEADER)
    content_type = request.headers.get("content-type", "")
    if not sent and content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await request.form()  # cached by Starlette: the endpoint still gets its form
        value = form.get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    expected = csrf_token_for_session(_secret(request), session_token)
    if not sent or not hmac.compare_digest(sent.encode(), expected.encode()):
        raise PermissionDenied("Missing or invalid CSRF token: send the session's token in the X-CSRF-Token "
                               "header or the csrf_token form field.")
